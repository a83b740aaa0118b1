//! Two OS processes share one `FileStore` directory and one authorization,
//! each with 50 concurrent tasks, through 20 forced expiries: every expiry
//! costs exactly one refresh, and no refresh token is spent twice.

use std::io::{BufRead as _, BufReader, Lines, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use cb_client::{FileStore, OAuthClient};
use cb_sandbox::{Sandbox, SandboxConfig};
use cb_scopes::scopes;

scopes! {
    struct Reader(wallet:accounts:read);
}

const CLIENT_ID: &str = "shared-store-app";
const CLIENT_SECRET: &str = "shared-store-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
const ROUNDS: usize = 20;

struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    fn start(sandbox: &Sandbox, dir: &std::path::Path) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shared-store-worker"))
            .env("CB_SANDBOX_URL", sandbox.base_url().as_str())
            .env("CB_CLIENT_ID", CLIENT_ID)
            .env("CB_CLIENT_SECRET", CLIENT_SECRET)
            .env("CB_REDIRECT_URI", REDIRECT_URI)
            .env("CB_STORE_DIR", dir)
            .env("CB_KEY", "user-1")
            .env("CB_TASKS", "50")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut worker = Worker { child, stdin, lines };
        assert_eq!(worker.read(), "ready");
        worker
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn read(&mut self) -> String {
        self.lines.next().expect("the worker answered").unwrap()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sharing_a_file_store_refresh_once_per_expiry() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
    sandbox.seed_demo_user();
    let dir = tempfile::tempdir().unwrap();

    let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
        .sandbox(sandbox.base_url().as_str())
        .store(FileStore::new(dir.path()).unwrap())
        .build()
        .unwrap();
    let (url, pending) = oauth.authorize_url::<Reader>().build().unwrap();
    let redirect = sandbox.consent(url.as_str()).unwrap().approve().unwrap();
    oauth.exchange(pending.complete(redirect.as_str()).unwrap(), "user-1").await.unwrap();

    let mut workers = [Worker::start(&sandbox, dir.path()), Worker::start(&sandbox, dir.path())];
    for round in 1..=ROUNDS {
        sandbox.advance(Duration::from_secs(3600));
        for worker in &mut workers {
            worker.send("round");
        }
        // The workers run concurrently; the answers are read off the
        // runtime's threads so that the sandbox keeps serving meanwhile.
        let answers = tokio::task::block_in_place(|| {
            workers.iter_mut().map(Worker::read).collect::<Vec<_>>()
        });
        assert_eq!(answers, ["ok", "ok"], "round {round}");
    }
    for worker in &mut workers {
        worker.send("quit");
    }
    let stats = sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (ROUNDS as u64, 0));
}
