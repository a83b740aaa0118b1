//! One process of a multi-process test: an app instance sharing a token
//! store with others, driven over stdin, one command per line.
//!
//! - `round`: many concurrent calls on the client restored at start, then
//!   `ok` or the first error.
//! - `hold-lock`: takes the store's refresh lock and keeps it until the
//!   process dies.
//! - `req ID KEY TIMEOUT_MS`: one request as a web app serves it: restore
//!   the client for `KEY`, call, drop it; given up after `TIMEOUT_MS` (a
//!   cancelled request). Answers `res ID OUTCOME` whenever it ends, while
//!   other commands are read.
//! - `drain MS`: waits for the client's background work (`drained true`).
//! - `exit MS`: a rolling deploy's stop: waits for the background work, up
//!   to `MS`, says `drained true|false` and exits.
//!
//! Configured by `CB_SANDBOX_URL`, `CB_CLIENT_ID`, `CB_CLIENT_SECRET`,
//! `CB_REDIRECT_URI`, `CB_KEY` and `CB_TASKS`, and the store by one of
//! `CB_STORE_DIR` (a `FileStore`), `CB_REDIS_URL` and `CB_REDIS_PREFIX` (a
//! `RedisStore`, its lock expiring after `CB_REDIS_LOCK_MS`), or
//! `DATABASE_URL` and `CB_PG_TABLE` (a `PgStore`).

use std::io::BufRead as _;
use std::sync::Arc;
use std::time::Duration;

use cb_client::cb_scopes::scopes;
use cb_client::{Error, FileStore, OAuthClient, PgStore, RedisStore, TokenStore};

scopes! {
    struct Reader(wallet:accounts:read);
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

async fn store() -> Arc<dyn TokenStore> {
    if let Ok(url) = std::env::var("CB_REDIS_URL") {
        let lock_ms: u64 = var("CB_REDIS_LOCK_MS").parse().expect("milliseconds");
        return Arc::new(
            RedisStore::builder(url)
                .prefix(var("CB_REDIS_PREFIX"))
                .lock_expiry(std::time::Duration::from_millis(lock_ms))
                .connect()
                .await
                .expect("the Redis server"),
        );
    }
    match std::env::var("CB_STORE_DIR") {
        Ok(dir) => Arc::new(FileStore::new(dir).expect("the store directory")),
        Err(_) => Arc::new(
            PgStore::builder(var("DATABASE_URL"))
                .table(var("CB_PG_TABLE"))
                .max_connections(4)
                .connect()
                .await
                .expect("the database"),
        ),
    }
}

#[tokio::main]
async fn main() {
    let store = store().await;
    let oauth =
        OAuthClient::builder(var("CB_CLIENT_ID"), var("CB_CLIENT_SECRET"), var("CB_REDIRECT_URI"))
            .sandbox(var("CB_SANDBOX_URL"))
            .shared_store(store.clone())
            .build()
            .expect("a valid configuration");
    let key = var("CB_KEY");
    let client = match oauth.restore::<Reader>(&key).await {
        Ok(client) => Some(client),
        // A worker serving requests restores per request.
        Err(_) if std::env::var_os("CB_PER_REQUEST").is_some() => None,
        Err(error) => panic!("a stored authorization: {error}"),
    };
    let tasks: usize = var("CB_TASKS").parse().expect("a task count");
    println!("ready");

    // Lines are read on a thread of their own, so that requests in flight
    // go on while the next command waits.
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = lines.recv().await {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["round"] => {
                let client = client.as_ref().expect("restored at start");
                let calls: Vec<_> = (0..tasks)
                    .map(|_| {
                        let client = client.clone();
                        tokio::spawn(async move { client.auth_info().await.map(drop) })
                    })
                    .collect();
                let mut first_error = None;
                for call in calls {
                    match call.await {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) => first_error = first_error.or(Some(error.to_string())),
                        Err(panic) => first_error = first_error.or(Some(panic.to_string())),
                    }
                }
                match first_error {
                    None => println!("ok"),
                    Some(error) => println!("error {error}"),
                }
            }
            ["hold-lock"] => {
                let _lock = store.lock_refresh(&key).await.expect("the refresh lock");
                println!("holding");
                // Until killed, as a process that dies mid-refresh would.
                std::future::pending::<()>().await;
            }
            ["req", id, key, timeout_ms] => {
                let (oauth, id, key) = (oauth.clone(), id.to_string(), key.to_string());
                let timeout = Duration::from_millis(timeout_ms.parse().expect("milliseconds"));
                tokio::spawn(async move {
                    let request = async {
                        let client = oauth.restore::<Reader>(&key).await?;
                        client.auth_info().await.map(drop)
                    };
                    let outcome = match tokio::time::timeout(timeout, request).await {
                        Err(_elapsed) => "cancelled".to_owned(),
                        Ok(Ok(())) => "ok".to_owned(),
                        Ok(Err(error)) => outcome_of(&error),
                    };
                    println!("res {id} {outcome}");
                });
            }
            ["drain", ms] => {
                let drained = oauth.shutdown(Duration::from_millis(ms.parse().expect("ms"))).await;
                println!("drained {drained}");
            }
            ["exit", ms] => {
                let drained = oauth.shutdown(Duration::from_millis(ms.parse().expect("ms"))).await;
                println!("drained {drained}");
                std::process::exit(0);
            }
            _ => break,
        }
    }
}

/// A failed request's outcome in one word, then its detail: `ended` (the
/// authorization needs the user again, and why), or the kind of a fault
/// that a later request can get past.
fn outcome_of(error: &Error) -> String {
    match error {
        Error::ReauthorizationRequired { reason } => format!("ended {reason:?}"),
        Error::Store(error) => format!("store {error}"),
        Error::Transport(_) => "transport".to_owned(),
        Error::RateLimited { .. } => "rate-limited".to_owned(),
        other => format!("other {other}"),
    }
}
