//! The production-shaped chaos test: three app processes share one token
//! store (PostgreSQL, directly or through pgbouncer, or Redis), each
//! restoring the user's client per request as a web app does, while the
//! test breaks what production breaks: the store goes away (a loopback TCP
//! proxy in front of it cuts every connection and refuses new ones), token
//! answers are slow, fail with 503 or are dropped after Coinbase processed
//! them, requests are cancelled at random, one process is killed with
//! SIGKILL mid-refresh and another is stopped by a rolling deploy
//! mid-refresh and replaced.
//!
//! After every round the faults stop, every process drains its background
//! work, and each authorization is checked with one more request. The
//! invariant: no authorization is lost, except where the sandbox granted a
//! refresh whose answer it dropped (a pair no client can have read), and
//! the figures are printed.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cb_client::TokenStore;
use cb_sandbox::{Fault, Sandbox, SandboxConfig, Times};
use tokio::sync::mpsc;

use crate::workers::{CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, authorize, command};

/// The app processes.
const PROCESSES: usize = 3;
/// The authorizations (users) the processes serve.
const KEYS: usize = 6;
/// Rounds of forced expiry.
const ROUNDS: u64 = 24;
/// Requests per round, spread over the processes.
const REQUESTS: u64 = 30;
/// The round in which one process is killed mid-refresh, and the one in
/// which another is stopped by a rolling deploy mid-refresh.
const KILL_ROUND: u64 = 8;
const RESTART_ROUND: u64 = 16;
/// A bound on anything the test waits for.
const PATIENCE: Duration = Duration::from_secs(60);

/// What a store needs for the chaos test.
pub(crate) struct ChaosStore {
    /// What the test process uses to save authorizations, directly.
    pub(crate) direct: Arc<dyn TokenStore>,
    /// The address the store listens on, which the outage proxy fronts.
    pub(crate) upstream: SocketAddr,
    /// The worker environment naming the store at a given address (the
    /// proxy's).
    pub(crate) env: Box<dyn Fn(SocketAddr) -> Vec<(&'static str, String)> + Send + Sync>,
}

#[derive(Debug, Default)]
struct Figures {
    requests: u64,
    ok: u64,
    cancelled: u64,
    /// Failures a later request gets past: the store away, a transport
    /// error, a 503.
    transient: u64,
    /// Requests told the authorization ended (before the check decided
    /// whether it really had).
    ended: u64,
    /// Requests that died with a process (the SIGKILL, the deploy).
    with_process: u64,
    /// Checks that met a transient failure and were tried again.
    check_retries: u64,
    store_outages: u64,
    slow_token_answers: u64,
    failed_token_answers: u64,
    dropped_token_answers: u64,
    kills: u64,
    restarts: u64,
    /// Authorizations lost where the sandbox provably dropped a granted
    /// refresh's answer.
    lost_on_the_wire: u64,
    /// Authorizations lost for any other reason: must stay 0.
    unexplained: u64,
}

/// Runs the chaos test against `store` and returns after printing the
/// figures; fails if an authorization was lost without an explanation.
pub(crate) async fn run(name: &str, store: ChaosStore) {
    let started = Instant::now();
    let dice = Dice::new(0xC4A0_5EED);
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
    sandbox.seed_demo_user();
    let keys: Vec<String> = (1..=KEYS).map(|n| format!("user-{n}")).collect();
    for key in &keys {
        authorize(&sandbox, store.direct.clone(), key).await;
    }
    let outage = OutageProxy::start(store.upstream).await;
    let worker_env = (store.env)(outage.address);
    let (answers_tx, mut answers) = mpsc::unbounded_channel();
    let mut processes: Vec<AppProcess> = (0..PROCESSES)
        .map(|index| AppProcess::start(&sandbox, &worker_env, index, answers_tx.clone()))
        .collect();
    let mut figures = Figures::default();
    let stats_before = sandbox.stats();
    let mut next_id = 0u64;

    for round in 1..=ROUNDS {
        // Every access token is expired: each key's next call refreshes.
        sandbox.advance(Duration::from_secs(3600));
        let dropped_before = sandbox.stats().token_answers_dropped;
        let mut pending: HashMap<u64, usize> = HashMap::new();

        if round == KILL_ROUND || round == RESTART_ROUND {
            // Mid-refresh: every refresh waits at the token endpoint while
            // one process (holding the refresh locks) goes away.
            let victim = if round == KILL_ROUND { 0 } else { 1 };
            sandbox.inject_fault(
                "POST",
                "/oauth2/token",
                Fault::Delay(Duration::from_millis(1500)),
                Times::Always,
            );
            figures.slow_token_answers += 1;
            for key in &keys {
                next_id += 1;
                processes[victim].request(next_id, key, Duration::from_secs(30));
                pending.insert(next_id, victim);
                figures.requests += 1;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            if round == KILL_ROUND {
                processes[victim].kill();
                figures.kills += 1;
            } else {
                processes[victim].send(&format!("exit {}", PATIENCE.as_millis()));
                let drained = loop {
                    let (from, line) = tokio::time::timeout(PATIENCE, answers.recv())
                        .await
                        .unwrap_or_else(|_| {
                            panic!("round {round}: the deploy's stop did not drain")
                        })
                        .expect("the processes' answers");
                    if let Some((id, outcome)) = parse_answer(&line) {
                        pending.remove(&id);
                        figures.count(outcome);
                    } else if from == victim && line.starts_with("drained") {
                        break line;
                    }
                };
                assert_eq!(drained, "drained true", "round {round}");
                figures.restarts += 1;
            }
            // Whatever the process answered before it went is counted;
            // the rest went with it.
            tokio::time::sleep(Duration::from_millis(100)).await;
            while let Ok((_, line)) = answers.try_recv() {
                if let Some((id, outcome)) = parse_answer(&line) {
                    pending.remove(&id);
                    figures.count(outcome);
                }
            }
            figures.with_process += pending.len() as u64;
            pending.clear();
            sandbox.clear_faults();
            processes[victim] =
                AppProcess::start(&sandbox, &worker_env, victim, answers_tx.clone());
        } else {
            // Each kind of token fault in turn, so that every run meets
            // them all; their timing within the round is random.
            match round % 5 {
                0 => {
                    let delay = Duration::from_millis(200 + dice.below(1300));
                    sandbox.inject_fault(
                        "POST",
                        "/oauth2/token",
                        Fault::Delay(delay),
                        Times::Next(3),
                    );
                    figures.slow_token_answers += 1;
                }
                1 => {
                    sandbox.inject_fault(
                        "POST",
                        "/oauth2/token",
                        Fault::Status(503),
                        Times::Next(2),
                    );
                    figures.failed_token_answers += 1;
                }
                2 => {
                    sandbox.inject_fault(
                        "POST",
                        "/oauth2/token",
                        Fault::DropAfterProcessing,
                        Times::Next(1),
                    );
                    figures.dropped_token_answers += 1;
                }
                _ => {}
            }
            // Nearly half the rounds lose the store for a while, starting
            // before, during or after the refreshes.
            let outage_task = dice.chance(450).then(|| {
                figures.store_outages += 1;
                let (after, lasting) = (
                    Duration::from_millis(dice.below(300)),
                    Duration::from_millis(300 + dice.below(1200)),
                );
                let outage = outage.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    outage.set_down(true);
                    tokio::time::sleep(lasting).await;
                    outage.set_down(false);
                })
            });
            for n in 0..REQUESTS {
                next_id += 1;
                let process = (n as usize) % PROCESSES;
                let key = &keys[dice.below(KEYS as u64) as usize];
                // A quarter of the requests are cancelled after 0 to 250 ms
                // (a closed browser, a load balancer's timeout).
                let timeout = if dice.chance(250) {
                    Duration::from_millis(dice.below(251))
                } else {
                    Duration::from_secs(30)
                };
                processes[process].request(next_id, key, timeout);
                pending.insert(next_id, process);
                figures.requests += 1;
                // Requests arrive over about a second, so that outages
                // and slow answers meet some in flight and some starting.
                tokio::time::sleep(Duration::from_millis(dice.below(60))).await;
            }
            while !pending.is_empty() {
                let (_, line) = tokio::time::timeout(PATIENCE, answers.recv())
                    .await
                    .unwrap_or_else(|_| {
                        panic!("round {round}: {} requests never answered", pending.len())
                    })
                    .expect("the processes' answers");
                if let Some((id, outcome)) = parse_answer(&line) {
                    pending.remove(&id);
                    figures.count(outcome);
                }
            }
            if let Some(task) = outage_task {
                task.await.unwrap();
            }
        }

        // The faults stop; every process saves what it holds.
        sandbox.clear_faults();
        outage.set_down(false);
        for (index, process) in processes.iter_mut().enumerate() {
            process.send(&format!("drain {}", PATIENCE.as_millis()));
            let drained = wait_for(&mut answers, index, |line| line.starts_with("drained"))
                .await
                .unwrap_or_else(|| panic!("round {round}: process {index} did not drain"));
            assert_eq!(drained, "drained true", "round {round}: process {index}");
        }

        // The check: one more request per authorization.
        let mut lost: Vec<(String, String)> = Vec::new();
        for (n, key) in keys.iter().enumerate() {
            let process = n % PROCESSES;
            // A transient failure here (a store connection that has not
            // come back yet) is tried again, a few times, and counted.
            let mut outcome = String::new();
            for _ in 0..3 {
                next_id += 1;
                processes[process].request(next_id, key, PATIENCE);
                outcome = wait_for_answer(&mut answers, next_id).await;
                if outcome == "ok" || outcome.starts_with("ended") {
                    break;
                }
                figures.check_retries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            if outcome != "ok" {
                lost.push((key.clone(), outcome));
            }
        }
        let dropped = sandbox.stats().token_answers_dropped - dropped_before;
        let explained = (lost.len() as u64).min(dropped);
        figures.lost_on_the_wire += explained;
        figures.unexplained += lost.len() as u64 - explained;
        if lost.len() as u64 > explained {
            eprintln!("chaos {name}: round {round}: lost {lost:?} with {dropped} answers dropped");
        }
        for (key, _) in &lost {
            // The user authorizes again; the rounds go on.
            authorize(&sandbox, store.direct.clone(), key).await;
        }
    }

    let stats = sandbox.stats();
    println!(
        "chaos ({name}): {PROCESSES} processes, {KEYS} keys, {ROUNDS} rounds in {:.1} s: \
         {} requests ({} ok, {} cancelled, {} transient failures, {} told ended, {} gone with \
         a process); {} refreshes, {} refused; faults: {} store outages, {} slow, {} failed and \
         {} dropped token answers ({} granted refreshes' answers dropped), {} SIGKILL and {} \
         rolling restart mid-refresh; {} checks tried again; authorizations lost: {} provably \
         on the wire, {} unexplained",
        started.elapsed().as_secs_f64(),
        figures.requests,
        figures.ok,
        figures.cancelled,
        figures.transient,
        figures.ended,
        figures.with_process,
        stats.refreshes - stats_before.refreshes,
        stats.invalid_grants - stats_before.invalid_grants,
        figures.store_outages,
        figures.slow_token_answers,
        figures.failed_token_answers,
        figures.dropped_token_answers,
        stats.token_answers_dropped - stats_before.token_answers_dropped,
        figures.kills,
        figures.restarts,
        figures.check_retries,
        figures.lost_on_the_wire,
        figures.unexplained,
    );
    assert_eq!(figures.unexplained, 0, "{figures:?}");
    // The faults really happened, and many requests still went through.
    assert!(figures.store_outages > 0 && figures.cancelled > 0, "{figures:?}");
    assert!(figures.slow_token_answers > 2 && figures.failed_token_answers > 0, "{figures:?}");
    assert!(stats.token_answers_dropped > stats_before.token_answers_dropped, "{figures:?}");
    assert_eq!((figures.kills, figures.restarts), (1, 1), "{figures:?}");
    assert!(figures.ok > figures.requests / 3, "{figures:?}");
}

impl Figures {
    fn count(&mut self, outcome: &str) {
        match outcome.split_whitespace().next() {
            Some("ok") => self.ok += 1,
            Some("cancelled") => self.cancelled += 1,
            Some("ended") => self.ended += 1,
            _ => self.transient += 1,
        }
    }
}

/// `res ID OUTCOME` as its id and outcome.
fn parse_answer(line: &str) -> Option<(u64, &str)> {
    let rest = line.strip_prefix("res ")?;
    let (id, outcome) = rest.split_once(' ')?;
    Some((id.parse().ok()?, outcome))
}

/// The next line of process `index` that `wanted` accepts, read when no
/// request is pending. `None` when nothing came in time.
async fn wait_for(
    answers: &mut mpsc::UnboundedReceiver<(usize, String)>,
    index: usize,
    wanted: impl Fn(&str) -> bool,
) -> Option<String> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (from, line) = tokio::time::timeout_at(deadline, answers.recv()).await.ok()??;
        if from == index && wanted(&line) {
            return Some(line);
        }
    }
}

/// The outcome of request `id`.
async fn wait_for_answer(
    answers: &mut mpsc::UnboundedReceiver<(usize, String)>,
    id: u64,
) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (_, line) = tokio::time::timeout_at(deadline, answers.recv())
            .await
            .unwrap_or_else(|_| panic!("request {id} was never answered"))
            .expect("the processes' answers");
        if let Some((answered, outcome)) = parse_answer(&line)
            && answered == id
        {
            return outcome.to_owned();
        }
    }
}

/// One app process, serving requests, its output read on a thread of its
/// own into the test's channel.
struct AppProcess {
    child: Child,
    stdin: ChildStdin,
}

impl AppProcess {
    fn start(
        sandbox: &Sandbox,
        store_env: &[(&'static str, String)],
        index: usize,
        answers: mpsc::UnboundedSender<(usize, String)>,
    ) -> AppProcess {
        let mut child = command(sandbox, store_env, 1).env("CB_PER_REQUEST", "1").spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "ready");
        std::thread::spawn(move || {
            for line in lines {
                let Ok(line) = line else { break };
                if answers.send((index, line)).is_err() {
                    break;
                }
            }
        });
        AppProcess { child, stdin }
    }

    fn send(&mut self, line: &str) {
        // A process that went away is found out by its missing answers.
        let _ = writeln!(self.stdin, "{line}").and_then(|()| self.stdin.flush());
    }

    fn request(&mut self, id: u64, key: &str, timeout: Duration) {
        self.send(&format!("req {id} {key} {}", timeout.as_millis()));
    }

    /// SIGKILL, as a crash or an OOM kill would.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback TCP proxy in front of the store. Down, it cuts every open
/// connection and closes new ones at once: the store is away.
#[derive(Clone)]
pub(crate) struct OutageProxy {
    pub(crate) address: SocketAddr,
    down: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl OutageProxy {
    pub(crate) async fn start(upstream: SocketAddr) -> OutageProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let (cut, _) = tokio::sync::watch::channel(0);
        let proxy = OutageProxy { address, down, cut };
        let serving = proxy.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if serving.down.load(Ordering::SeqCst) {
                    continue;
                }
                let mut cut = serving.cut.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        proxy
    }

    pub(crate) fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            self.cut.send_modify(|outages| *outages += 1);
        }
    }
}

/// The address a `postgres://` or `redis://` URL names.
pub(crate) fn socket_address(url: &str) -> SocketAddr {
    let parsed = url::Url::parse(url).unwrap();
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let port = parsed.port_or_known_default().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port)).unwrap().next().unwrap()
}

/// `url` pointed at `address` instead (the outage proxy).
pub(crate) fn at(url: &str, address: SocketAddr) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_ip_host(address.ip()).unwrap();
    url.set_port(Some(address.port())).unwrap();
    url.to_string()
}

/// A small seeded generator, so that a failing run can be replayed.
struct Dice(std::sync::Mutex<u64>);

impl Dice {
    fn new(seed: u64) -> Dice {
        Dice(std::sync::Mutex::new(seed))
    }

    /// A number below `n` (xorshift64*).
    fn below(&self, n: u64) -> u64 {
        let mut state = self.0.lock().unwrap();
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }

    /// True `per_mille` times in a thousand.
    fn chance(&self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}
