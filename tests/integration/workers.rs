//! Worker processes for the multi-process tests: each restores one
//! authorization from a shared store and answers `round` with `ok` once its
//! concurrent calls all succeeded.

use std::io::{BufRead as _, BufReader, Lines, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use cb_client::{OAuthClient, TokenStore};
use cb_sandbox::{Sandbox, SandboxConfig};
use cb_scopes::scopes;

scopes! {
    pub(crate) struct Reader(wallet:accounts:read);
}

pub(crate) const CLIENT_ID: &str = "shared-store-app";
pub(crate) const CLIENT_SECRET: &str = "shared-store-secret";
pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
pub(crate) const KEY: &str = "user-1";

/// A sandbox with the app registered, and an authorization for [`KEY`]
/// saved in `store`.
pub(crate) async fn authorized(store: std::sync::Arc<dyn TokenStore>) -> Sandbox {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
    sandbox.seed_demo_user();
    authorize(&sandbox, store, KEY).await;
    sandbox
}

/// Has the sandbox's user authorize the app once more, saving the tokens
/// under `key` in `store`.
pub(crate) async fn authorize(sandbox: &Sandbox, store: std::sync::Arc<dyn TokenStore>, key: &str) {
    let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
        .sandbox(sandbox.base_url().as_str())
        .shared_store(store)
        .build()
        .unwrap();
    let (url, pending) = oauth.authorize_url::<Reader>().build().unwrap();
    let redirect = sandbox.consent(url.as_str()).unwrap().approve().unwrap();
    oauth.exchange(pending.complete(redirect.as_str()).unwrap(), key).await.unwrap();
}

pub(crate) struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    /// Starts a worker with `tasks` concurrent calls per round and the
    /// store given by `store_env`.
    pub(crate) fn start(sandbox: &Sandbox, store_env: &[(&str, String)], tasks: usize) -> Worker {
        let mut child = command(sandbox, store_env, tasks).spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut worker = Worker { child, stdin, lines };
        assert_eq!(worker.read(), "ready");
        worker
    }

    pub(crate) fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    pub(crate) fn read(&mut self) -> String {
        self.lines.next().expect("the worker answered").unwrap()
    }

    /// Kills the process, as a crash would.
    pub(crate) fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command that starts a worker process with `tasks` concurrent calls
/// per round and the store given by `store_env`, its stdin and stdout piped.
pub(crate) fn command(sandbox: &Sandbox, store_env: &[(&str, String)], tasks: usize) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shared-store-worker"));
    command
        .env("CB_SANDBOX_URL", sandbox.base_url().as_str())
        .env("CB_CLIENT_ID", CLIENT_ID)
        .env("CB_CLIENT_SECRET", CLIENT_SECRET)
        .env("CB_REDIRECT_URI", REDIRECT_URI)
        .env("CB_KEY", KEY)
        .env("CB_TASKS", tasks.to_string())
        .env_remove("CB_STORE_DIR")
        .env_remove("CB_REDIS_URL")
        .env_remove("CB_PER_REQUEST")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (name, value) in store_env {
        command.env(name, value);
    }
    command
}

/// Runs `rounds` forced expiries: each advances the sandbox's clock past the
/// access token's lifetime and has every worker run a round concurrently.
pub(crate) fn expire_and_call(sandbox: &Sandbox, workers: &mut [Worker], rounds: usize) {
    for round in 1..=rounds {
        sandbox.advance(std::time::Duration::from_secs(3600));
        for worker in workers.iter_mut() {
            worker.send("round");
        }
        // Answers are read off the runtime's threads, so that the sandbox
        // keeps serving meanwhile.
        let answers = tokio::task::block_in_place(|| {
            workers.iter_mut().map(Worker::read).collect::<Vec<_>>()
        });
        assert!(answers.iter().all(|answer| answer == "ok"), "round {round}: {answers:?}");
    }
}
