//! The second process of the store conformance kit: the test binary run
//! again, serving one store instance to the first process over its stdin
//! and stdout.
//!
//! Between processes is where a store's promises matter (an app's
//! instances are processes), and where an in-process check cannot see
//! everything: a lock held in a process's memory, or one that its death
//! does not release. The kit runs the calling test again in a child
//! process (`current_exe`, the test's name, `--exact`), with
//! `CB_STORE_CONTRACT_PEER` naming the test; in the child, the same
//! `check` call serves its instance instead of checking. Each command is
//! one line; each answer is one line starting with `cb-contract: `, so
//! that the test harness's own output in between is skipped.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret as _, SecretString};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::auth::store::contract::{RefreshLock, TokenStore};
use crate::auth::store::error::StoreError;
use crate::auth::tokens::TokenRecord;

/// The variable that makes a `check` call the second process: the name of
/// the test it serves for.
pub(crate) const PEER_VARIABLE: &str = "CB_STORE_CONTRACT_PEER";

/// What starts every answer.
const ANSWER: &str = "cb-contract: ";

/// The longest wait for one answer: a lock the peer is asked to take is
/// free, so every command finishes quickly unless the peer is stuck.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// A record of the kit's, told apart by its access token.
pub(crate) fn record(access: &str, generation: u64) -> TokenRecord {
    let mut record = TokenRecord::new(
        SecretString::from(access.to_owned()),
        Some(SecretString::from(format!("{access}-refresh"))),
        SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
        "wallet:accounts:read,offline_access"
            .parse()
            .unwrap_or_else(|_| cb_scopes::ScopeSet::empty()),
    );
    record.generation = generation;
    record
}

/// The child side: answers commands on stdin with `store` until stdin
/// closes.
pub(crate) async fn serve(store: &impl TokenStore) {
    let mut out = tokio::io::stdout();
    let mut locks: HashMap<String, RefreshLock> = HashMap::new();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let _ = say(&mut out, "ready").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let words: Vec<&str> = line.split(' ').collect();
        let answer = match words.as_slice() {
            ["load", key] => match store.load(key).await {
                Ok(Some(stored)) => {
                    format!(
                        "loaded {} {}",
                        stored.record.access_token.expose_secret(),
                        stored.version
                    )
                }
                Ok(None) => "loaded - -".to_owned(),
                Err(error) => format!("error {}", one_line(&error)),
            },
            ["save", key, expected, access] => {
                let expected = expected.parse::<u64>().ok();
                match store.save(key, &record(access, 1), expected).await {
                    Ok(version) => format!("saved {version}"),
                    Err(StoreError::Conflict { .. }) => "conflict".to_owned(),
                    Err(error) => format!("error {}", one_line(&error)),
                }
            }
            ["lock", key] => match store.lock_refresh(key).await {
                Ok(lock) => {
                    locks.insert((*key).to_owned(), lock);
                    "locked".to_owned()
                }
                Err(error) => format!("error {}", one_line(&error)),
            },
            ["unlock", key] => {
                locks.remove(*key);
                "unlocked".to_owned()
            }
            _ => format!("error unknown command {line:?}"),
        };
        if say(&mut out, &answer).await.is_err() {
            break;
        }
    }
}

fn one_line(error: &StoreError) -> String {
    error.to_string().replace('\n', " ")
}

async fn say(out: &mut tokio::io::Stdout, answer: &str) -> std::io::Result<()> {
    out.write_all(format!("\n{ANSWER}{answer}\n").as_bytes()).await?;
    out.flush().await
}

/// The parent side: the child process serving one instance.
pub(crate) struct Peer {
    child: Child,
    stdin: ChildStdin,
    answers: Lines<BufReader<ChildStdout>>,
}

impl Peer {
    /// Runs the test `test` of this binary again as the peer, and waits
    /// until its instance is open.
    pub(crate) async fn start(test: &str) -> Result<Peer, String> {
        let exe = std::env::current_exe().map_err(|e| format!("the test binary: {e}"))?;
        let mut child = Command::new(exe)
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(PEER_VARIABLE, test)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting the peer process: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the peer process has no pipes".into());
        };
        let mut peer = Peer { child, stdin, answers: BufReader::new(stdout).lines() };
        match peer.answer().await?.as_str() {
            "ready" => Ok(peer),
            other => Err(format!("the peer process said {other:?} instead of being ready")),
        }
    }

    /// The next answer.
    async fn answer(&mut self) -> Result<String, String> {
        let read = async {
            loop {
                match self.answers.next_line().await {
                    Ok(Some(line)) => {
                        if let Some(answer) = line.strip_prefix(ANSWER) {
                            return Ok(answer.to_owned());
                        }
                    }
                    Ok(None) | Err(_) => {
                        return Err("the peer process ended without answering: is the name \
                                    given to `across_processes` the full name of the test \
                                    that calls `check` (as `cargo test -- --list` shows it)?"
                            .to_owned());
                    }
                }
            }
        };
        tokio::time::timeout(ANSWER_TIMEOUT, read)
            .await
            .map_err(|_| "the peer process did not answer within a minute".to_owned())?
    }

    /// Sends `command` and returns the answer.
    pub(crate) async fn ask(&mut self, command: &str) -> Result<String, String> {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .map_err(|e| format!("writing to the peer process: {e}"))?;
        self.stdin.flush().await.map_err(|e| format!("writing to the peer process: {e}"))?;
        let answer = self.answer().await?;
        match answer.strip_prefix("error ") {
            Some(error) => Err(format!("the other process, on {command:?}: {error}")),
            None => Ok(answer),
        }
    }

    /// Kills the process (as a crash or SIGKILL would) and waits for it.
    pub(crate) async fn kill(mut self) -> Result<(), String> {
        self.child.kill().await.map_err(|e| format!("killing the peer process: {e}"))
    }
}
