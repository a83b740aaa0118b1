//! One process of a multi-process test: restores an authorization from a
//! shared `FileStore` and, for every `round` line on stdin, runs many
//! concurrent calls, then prints `ok` or the first error.
//!
//! Configured by `CB_SANDBOX_URL`, `CB_CLIENT_ID`, `CB_CLIENT_SECRET`,
//! `CB_REDIRECT_URI`, `CB_STORE_DIR`, `CB_KEY` and `CB_TASKS`.

use std::io::BufRead as _;

use cb_client::cb_scopes::scopes;
use cb_client::{FileStore, OAuthClient};

scopes! {
    struct Reader(wallet:accounts:read);
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

#[tokio::main]
async fn main() {
    let store = FileStore::new(var("CB_STORE_DIR")).expect("the store directory");
    let oauth =
        OAuthClient::builder(var("CB_CLIENT_ID"), var("CB_CLIENT_SECRET"), var("CB_REDIRECT_URI"))
            .sandbox(var("CB_SANDBOX_URL"))
            .store(store)
            .build()
            .expect("a valid configuration");
    let client = oauth.restore::<Reader>(&var("CB_KEY")).await.expect("a stored authorization");
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
            _ => break,
        }
    }
}
