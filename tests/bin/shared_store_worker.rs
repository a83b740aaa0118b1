//! One process of a multi-process test: restores an authorization from a
//! shared store and, for every `round` line on stdin, runs many concurrent
//! calls, then prints `ok` or the first error. `hold-lock` takes the
//! store's refresh lock and keeps it until the process dies.
//!
//! Configured by `CB_SANDBOX_URL`, `CB_CLIENT_ID`, `CB_CLIENT_SECRET`,
//! `CB_REDIRECT_URI`, `CB_KEY` and `CB_TASKS`, and the store by one of
//! `CB_STORE_DIR` (a `FileStore`), `CB_REDIS_URL` and `CB_REDIS_PREFIX` (a
//! `RedisStore`, its lock expiring after `CB_REDIS_LOCK_MS`), or
//! `DATABASE_URL` and `CB_PG_TABLE` (a `PgStore`).

use std::io::BufRead as _;
use std::sync::Arc;

use cb_client::cb_scopes::scopes;
use cb_client::{FileStore, OAuthClient, PgStore, RedisStore, TokenStore};

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
    let client = oauth.restore::<Reader>(&key).await.expect("a stored authorization");
    let tasks: usize = var("CB_TASKS").parse().expect("a task count");
    println!("ready");

    for line in std::io::stdin().lock().lines() {
        match line.as_deref() {
            Ok("round") => {
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
            Ok("hold-lock") => {
                let _lock = store.lock_refresh(&key).await.expect("the refresh lock");
                println!("holding");
                // Until killed, as a process that dies mid-refresh would.
                std::future::pending::<()>().await;
            }
            _ => break,
        }
    }
}
