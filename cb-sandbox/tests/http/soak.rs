//! A bounded soak: 200,000 mixed requests on loopback, most of them consent
//! pages nobody submits, code exchanges and refreshes, while the sandbox's
//! clock moves on. The resident memory printed at the start and the end
//! must stay flat: the sandbox forgets what can no longer be used.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};

use crate::support::*;

const REQUESTS: usize = 200_000;
const CONCURRENCY: usize = 32;
/// Requests between two moves of the sandbox's clock.
const TICK: usize = 2_000;

/// This process's resident memory in KiB, as Linux reports it.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One request of the mix, chosen by `n`; whether the answer was the
/// expected one.
async fn one(env: &Env, consent_url: &str, tokens: &Tokens, n: usize) -> bool {
    match n % 10 {
        // An abandoned consent page: rendered, its form never submitted.
        0..=3 => {
            let response = env.http.get(consent_url).send().await.unwrap();
            let ok = response.status() == StatusCode::OK;
            response.bytes().await.is_ok() && ok
        }
        4..=6 => env.get("/v2/accounts", &tokens.access).await.0 == StatusCode::OK,
        7 => env.get("/v2/user", "not-a-token").await.0 == StatusCode::UNAUTHORIZED,
        8 => env.refresh("not-a-refresh-token").await.0 == StatusCode::BAD_REQUEST,
        _ => {
            let (status, _) =
                env.api(Method::POST, "/v2/accounts/nope/transactions", &tokens.access, None).await;
            status == StatusCode::FORBIDDEN
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_flat_under_two_hundred_thousand_mixed_requests() {
    let env = Env::new().await;
    let consent_url = env.authorize_url("wallet:accounts:read,offline_access", &[]);
    let mut tokens = env.tokens("wallet:accounts:read,offline_access").await;
    let started = Instant::now();
    let mut unexpected = 0;
    let mut start_kib = None;
    let mut sent = 0;
    while sent < REQUESTS {
        let batch =
            join_all((sent..sent + CONCURRENCY).map(|n| one(&env, &consent_url, &tokens, n)));
        unexpected += batch.await.into_iter().filter(|ok| !ok).count();
        sent += CONCURRENCY;
        if sent % TICK < CONCURRENCY {
            // Ten minutes pass; the token is renewed as a client would,
            // and a new authorization is made and exchanged.
            env.sandbox.advance(Duration::from_secs(600));
            let (status, body) = env.refresh(tokens.refresh.as_deref().unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            tokens = Tokens::from(body);
            env.tokens("wallet:accounts:read,offline_access").await;
        }
        if start_kib.is_none() && sent >= REQUESTS / 10 {
            // Measured after a warm-up, so that pools and caches are full.
            start_kib = resident_kib();
        }
    }
    let end_kib = resident_kib();
    println!(
        "soak: {sent} requests in {:.1} s, {unexpected} unexpected answers; resident memory \
         {} KiB after the first {} requests, {} KiB at the end",
        started.elapsed().as_secs_f64(),
        start_kib.map_or("n/a".into(), |kib| kib.to_string()),
        REQUESTS / 10,
        end_kib.map_or("n/a".into(), |kib| kib.to_string()),
    );
    assert_eq!(unexpected, 0);
    // The sandbox still answers.
    assert_eq!(env.get("/v2/accounts", &tokens.access).await.0, StatusCode::OK);
    if let (Some(start), Some(end)) = (start_kib, end_kib) {
        // 80,000 abandoned consent forms kept would take far more.
        assert!(end < start + 12 * 1024, "resident memory grew from {start} to {end} KiB");
    }
}
