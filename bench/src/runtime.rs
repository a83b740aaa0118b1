//! Run-time figures against the in-process sandbox on loopback: the
//! client's overhead over a bare request, refresh under load, and the
//! sandbox's own throughput. Every load is bounded in count and time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cb_client::{MemoryStore, OAuthClient, TokenStore};
use cb_sandbox::{Sandbox, SandboxConfig};
use cb_scopes::{ExposeSecret as _, scopes};

use crate::median;

scopes! {
    struct Bench(wallet:accounts:read);
}

const CLIENT_ID: &str = "bench";
const CLIENT_SECRET: &str = "bench-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

struct Setup {
    sandbox: Sandbox,
    client: cb_client::Client<Bench>,
    store: Arc<MemoryStore>,
    /// The reqwest client that cb-client sends with, for the requests
    /// written by hand: one pool, so that every way of making the request
    /// goes over the same connection.
    http: reqwest::Client,
}

async fn setup() -> Setup {
    let mut config = SandboxConfig::default();
    config.rate_limit_per_hour = u32::MAX;
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
    sandbox.seed_demo_user();
    let store = Arc::new(MemoryStore::new());
    let http = hand_written_http();
    let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
        .sandbox(sandbox.base_url().as_str())
        .shared_store(store.clone())
        .http_client(http.clone())
        .build()
        .expect("a valid configuration");
    let (url, pending) = oauth.authorize_url::<Bench>().build().expect("a URL");
    let redirect = sandbox.consent(url.as_str()).expect("consent").approve().expect("approval");
    let code = pending.complete(redirect.as_str()).expect("a code");
    let client = oauth.exchange(code, "bench-user").await.expect("an exchange");
    Setup { sandbox, client, store, http }
}

/// Latencies of one way of making the request.
pub(crate) struct Latencies {
    pub(crate) per_request: Vec<Duration>,
    pub(crate) elapsed: Duration,
}

impl Latencies {
    pub(crate) fn requests_per_second(&self) -> f64 {
        self.per_request.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub(crate) fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.per_request.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

/// The reqwest client of the comparison: cb-client's own settings
/// (timeouts, no redirects, a user agent), given to cb-client and used by
/// the requests written by hand, so that the comparison is of the work
/// done per request and not of the configuration or the connection.
fn hand_written_http() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("cb-client/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a reqwest client")
}

/// What hand-written code reads from `GET /v2/accounts`.
#[derive(serde::Deserialize)]
struct Accounts {
    data: Vec<cb_client::models::Account>,
}

/// One `GET /v2/accounts` made without cb-client, with its headers; the
/// accounts decoded into cb-client's own types when `decode` is set.
async fn by_hand(http: &reqwest::Client, url: &str, token: &str, decode: bool) {
    let response = http
        .get(url)
        .bearer_auth(token)
        .header("CB-VERSION", cb_client::CB_VERSION)
        .header("Accept", "application/json")
        .send()
        .await
        .expect("a response");
    let body = response.bytes().await.expect("a body");
    if decode {
        let accounts: Accounts = serde_json::from_slice(&body).expect("accounts");
        std::hint::black_box(accounts.data);
    } else {
        std::hint::black_box(body);
    }
}

/// One request, made one of the ways of [`client_overhead`]: 0 through
/// cb-client, 2 by hand and left undecoded, any other by hand and decoded.
async fn request(
    way: usize,
    client: &cb_client::Client<Bench>,
    http: &reqwest::Client,
    url: &str,
    token: &str,
) {
    match way {
        0 => drop(client.accounts().page().await.expect("accounts")),
        2 => by_hand(http, url, token, false).await,
        _ => by_hand(http, url, token, true).await,
    }
}

/// The order of the four ways in each round: a Williams square, so that
/// each way comes first, second, third and last equally often and follows
/// each other way equally often. A fixed cycle (0, 1, 2, 0, 1, 2, ..)
/// made the way after the undecoded request pay for the connection work
/// that request left behind: the same request written by hand, measured
/// in the client's place, came out 3 to 7% slower than itself.
const ORDER: [[usize; 4]; 4] = [[0, 1, 3, 2], [1, 2, 0, 3], [2, 3, 1, 0], [3, 0, 2, 1]];

/// Per-request latencies of `client.accounts().page()`, of the same
/// request written by hand with the same reqwest settings and headers and
/// decoded into the same types, of that request left undecoded, and of the
/// request by hand again: the last, against the second, is the
/// measurement's own error. The four are interleaved request by request in
/// the rounds of [`ORDER`], so that drift and ordering hit them alike.
pub(crate) async fn client_overhead(blocks: usize, per_block: usize) -> [Latencies; 4] {
    let Setup { sandbox, client, store, http } = setup().await;
    let token =
        store.load("bench-user").await.ok().flatten().expect("stored tokens").record.access_token;
    let token = token.expose_secret();
    let url = format!("{}v2/accounts", sandbox.base_url());
    let mut ways = [(); 4].map(|()| Latencies { per_request: Vec::new(), elapsed: Duration::ZERO });
    // Warm every path up: connections, caches.
    for _ in 0..50 {
        request(0, &client, &http, &url, token).await;
        request(1, &client, &http, &url, token).await;
    }
    for round in 0..blocks * per_block {
        for way in ORDER[round % ORDER.len()] {
            let started = Instant::now();
            request(way, &client, &http, &url, token).await;
            let elapsed = started.elapsed();
            ways[way].per_request.push(elapsed);
            ways[way].elapsed += elapsed;
        }
    }
    ways
}

/// The median, over blocks of interleaved requests, of the ratio of the
/// median request's time in each: `numerator` over `denominator`.
pub(crate) fn block_ratio(numerator: &Latencies, denominator: &Latencies, per_block: usize) -> f64 {
    let ratios: Vec<f64> = numerator
        .per_request
        .chunks(per_block)
        .zip(denominator.per_request.chunks(per_block))
        .map(|(numerator, denominator)| {
            median(numerator.to_vec()).as_secs_f64()
                / median(denominator.to_vec()).as_secs_f64().max(1e-9)
        })
        .collect();
    let mut sorted = ratios;
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Allocations per request on the thread that makes it, for the three
/// ways of [`client_overhead`], each `requests` times. They run on a
/// current-thread runtime of their own, so that their connection tasks are
/// counted with them and the sandbox's work is not.
pub(crate) async fn allocations_per_request(requests: u64) -> [f64; 3] {
    let Setup { sandbox, store, .. } = setup().await;
    let base = sandbox.base_url().to_string();
    let counted = tokio::task::spawn_blocking(move || {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let (client, http, url, token) = runtime.block_on(async {
            let http = hand_written_http();
            let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
                .sandbox(base.as_str())
                .shared_store(store.clone())
                .http_client(http.clone())
                .build()
                .expect("a valid configuration");
            let client = oauth.restore::<Bench>("bench-user").await.expect("stored tokens");
            let token = store.load("bench-user").await.ok().flatten().expect("tokens");
            let token = token.record.access_token.expose_secret().to_owned();
            (client, http, format!("{base}v2/accounts"), token)
        });
        // Warm up: connections, the session's token.
        runtime.block_on(async {
            for _ in 0..20 {
                request(0, &client, &http, &url, &token).await;
                request(1, &client, &http, &url, &token).await;
            }
        });
        let count = |way: usize| {
            allocation_counter::measure(|| {
                runtime.block_on(async {
                    for _ in 0..requests {
                        request(way, &client, &http, &url, &token).await;
                    }
                });
            })
            .count_total
        };
        [count(0), count(1), count(2)]
    })
    .await
    .expect("the measuring thread");
    drop(sandbox);
    counted.map(|count| count as f64 / requests as f64)
}

/// One way of [`client_overhead`], `requests` times after a warm-up, on a
/// current-thread runtime that also serves the sandbox: what
/// [`instructions_per_request`] counts, run in a child process under
/// valgrind. One thread makes the count repeatable.
pub(crate) fn probe(way: usize, requests: u64) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let Setup { sandbox, client, store, http } = setup().await;
        let token = store.load("bench-user").await.ok().flatten().expect("tokens");
        let token = token.record.access_token.expose_secret().to_owned();
        let url = format!("{}v2/accounts", sandbox.base_url());
        for _ in 0..20 {
            request(0, &client, &http, &url, &token).await;
            request(1, &client, &http, &url, &token).await;
        }
        for _ in 0..requests {
            request(way, &client, &http, &url, &token).await;
        }
    });
}

/// Instructions per request, client and sandbox together, for the three
/// ways of [`client_overhead`], counted by valgrind's cachegrind in a
/// child process: the difference between `few` and `many` requests, so
/// that setup and warm-up cancel out. Unlike time, the count does not
/// depend on what else the machine is doing. `None` without valgrind.
pub(crate) fn instructions_per_request(few: u64, many: u64) -> Option<[f64; 3]> {
    if !crate::valgrind_available() {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let count = |way: usize, requests: u64| -> Option<u64> {
        let output = std::process::Command::new("valgrind")
            .args(crate::CACHEGRIND)
            .arg(&exe)
            .args(["--probe", &way.to_string(), &requests.to_string()])
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        crate::instructions_in(&String::from_utf8_lossy(&output.stderr))
    };
    let mut per_request = [0.0; 3];
    for (way, slot) in per_request.iter_mut().enumerate() {
        let (few_count, many_count) = (count(way, few)?, count(way, many)?);
        *slot = many_count.saturating_sub(few_count) as f64 / (many - few) as f64;
    }
    Some(per_request)
}

/// `tasks` concurrent calls on an expired token: the refreshes the sandbox
/// saw, and the time until every call returned.
pub(crate) async fn refresh_under_load(tasks: usize) -> (u64, Duration, usize) {
    let Setup { sandbox, client, .. } = setup().await;
    sandbox.advance(Duration::from_secs(3600));
    let started = Instant::now();
    let calls: Vec<_> = (0..tasks)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.accounts().page().await.is_ok() })
        })
        .collect();
    let mut failures = 0;
    for call in calls {
        if !call.await.unwrap_or(false) {
            failures += 1;
        }
    }
    (sandbox.stats().refreshes, started.elapsed(), failures)
}

/// Requests per second the sandbox answers on `GET /v2/accounts`, from
/// `concurrency` tasks making `total` requests in all, stopping early at
/// `limit`.
pub(crate) async fn sandbox_throughput(
    concurrency: usize,
    total: usize,
    limit: Duration,
) -> (usize, Duration) {
    let Setup { sandbox, store, .. } = setup().await;
    let token =
        store.load("bench-user").await.ok().flatten().expect("stored tokens").record.access_token;
    let token = Arc::new(token.expose_secret().to_owned());
    let url = Arc::new(format!("{}v2/accounts", sandbox.base_url()));
    let http = reqwest::Client::new();
    let deadline = Instant::now() + limit;
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            let share = total / concurrency;
            tokio::spawn(async move {
                let mut done = 0;
                while done < share && Instant::now() < deadline {
                    let response = http
                        .get(url.as_str())
                        .bearer_auth(token.as_str())
                        .header("CB-VERSION", "2024-09-01")
                        .send()
                        .await;
                    if let Ok(response) = response {
                        let _ = response.bytes().await;
                        done += 1;
                    }
                }
                done
            })
        })
        .collect();
    let mut answered = 0;
    for worker in workers {
        answered += worker.await.unwrap_or(0);
    }
    (answered, started.elapsed())
}

/// A store's side of refreshes, one after another for at most `limit` or
/// `max` round trips: take the refresh lock, load, save compare-and-swap,
/// release. Round trips per second.
pub(crate) async fn store_round_trips(
    store: Arc<dyn TokenStore>,
    limit: Duration,
    max: u64,
) -> Result<f64, cb_client::StoreError> {
    let Setup { store: memory, .. } = setup().await;
    let record = memory.load("bench-user").await?.expect("stored tokens").record;
    let key = format!("bench-{}", std::process::id());
    let existing = store.load(&key).await?.map(|stored| stored.version);
    store.save(&key, &record, existing).await?;
    let started = Instant::now();
    let mut done = 0;
    while done < max && started.elapsed() < limit {
        let lock = store.lock_refresh(&key).await?;
        let stored = store.load(&key).await?.expect("the record just saved");
        store.save(&key, &stored.record, Some(stored.version)).await?;
        drop(lock);
        done += 1;
    }
    let rate = done as f64 / started.elapsed().as_secs_f64();
    store.delete(&key).await?;
    Ok(rate)
}
