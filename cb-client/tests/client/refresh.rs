//! Refresh: driven by the sandbox's clock, single-flight under load, and
//! honest when a refresh's answer is lost.

use std::sync::Arc;
use std::time::Duration;

use cb_client::{Error, MemoryStore, ReauthorizationReason, TokenStore};
use cb_sandbox::{Fault, Times};
use cb_scopes::ExposeSecret as _;

use crate::support::*;

/// The refresh token currently stored under `key`.
async fn stored_refresh_token(store: &MemoryStore, key: &str) -> String {
    let stored = store.load(key).await.unwrap().unwrap();
    stored.record.refresh_token.unwrap().expose_secret().to_owned()
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_old_refresh_token_is_spent() {
    let env = Env::new().await;
    let store = Arc::new(MemoryStore::new());
    let oauth = env.builder().shared_store(store.clone()).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    let old = stored_refresh_token(&store, "user-1").await;

    env.sandbox.advance(Duration::from_secs(3600));
    client.auth_info().await.unwrap();
    assert_eq!(env.sandbox.stats().refreshes, 1);
    assert_eq!(env.sandbox.refresh_token_spent(&old), Some(true));
    let new = stored_refresh_token(&store, "user-1").await;
    assert_ne!(new, old);
    assert_eq!(env.sandbox.refresh_token_spent(&new), Some(false));
    assert_eq!(store.load("user-1").await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn a_token_near_its_expiry_is_refreshed_before_use() {
    let env = Env::new().await;
    let sandbox = env.sandbox.clone();
    // The client reads the sandbox's clock, so advancing it nears expiry.
    let oauth =
        env.builder().clock(move || std::time::SystemTime::from(sandbox.now())).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    env.sandbox.advance(Duration::from_secs(3600 - 30));
    client.auth_info().await.unwrap();
    let records = env.sandbox.requests();
    let expired_answers = records.iter().filter(|r| r.status == 401).count();
    assert_eq!(
        (env.sandbox.stats().refreshes, expired_answers),
        (1, 0),
        "refreshed before any 401"
    );
}

#[tokio::test]
async fn two_hundred_concurrent_tasks_on_an_expired_token_cause_one_refresh() {
    let env = Env::new().await;
    let oauth = env.oauth();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    env.sandbox.advance(Duration::from_secs(3600));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.auth_info().await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = env.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (1, 0));

    // Clients restored separately in this process share the same flight.
    let again = oauth.restore::<Reader>("user-1").await.unwrap();
    env.sandbox.advance(Duration::from_secs(3600));
    let (a, b) = tokio::join!(client.auth_info(), again.auth_info());
    a.unwrap();
    b.unwrap();
    assert_eq!(env.sandbox.stats().refreshes, 2);
}

#[tokio::test]
async fn a_lost_refresh_answer_is_reported_not_retried_forever() {
    let env = Env::new().await;
    let oauth = env.oauth();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    env.sandbox.advance(Duration::from_secs(3600));
    env.sandbox.inject_fault("POST", "/oauth2/token", Fault::DropAfterProcessing, Times::Next(1));
    let outcome =
        tokio::time::timeout(Duration::from_secs(20), client.auth_info()).await.expect("no hang");
    let error = outcome.unwrap_err();
    assert!(
        matches!(
            error,
            Error::ReauthorizationRequired { reason: ReauthorizationReason::RefreshResponseLost }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("answer was lost"), "{error}");
    let stats = env.sandbox.stats();
    assert_eq!(
        (stats.refreshes, stats.invalid_grants),
        (1, 1),
        "one processed refresh, one refused retry"
    );
}

#[tokio::test]
async fn server_errors_on_refresh_are_retried_within_the_bound() {
    let env = Env::new().await;
    let oauth = env.oauth();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    env.sandbox.advance(Duration::from_secs(3600));
    env.sandbox.inject_fault("POST", "/oauth2/token", Fault::Status(503), Times::Next(2));
    client.auth_info().await.unwrap();
    assert_eq!(env.sandbox.stats().refreshes, 1);

    env.sandbox.advance(Duration::from_secs(3600));
    env.sandbox.inject_fault("POST", "/oauth2/token", Fault::Status(503), Times::Always);
    let error = client.auth_info().await.unwrap_err();
    env.sandbox.clear_faults();
    let token_calls = env.sandbox.requests().iter().filter(|r| r.route == "/oauth2/token").count();
    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
    // 1 exchange, 3 attempts for the first refresh, 3 for the second.
    assert_eq!(token_calls, 7);
    // The stored refresh token was never spent: the next call recovers.
    client.auth_info().await.unwrap();
}

#[tokio::test]
async fn the_sandbox_clock_drives_the_clients_expiry() {
    let env = Env::new().await;
    let oauth = env.builder().clock(env.sandbox.clock()).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    env.sandbox.advance(Duration::from_secs(3600));
    client.auth_info().await.unwrap();
    let expired_answers = env.sandbox.requests().iter().filter(|r| r.status == 401).count();
    assert_eq!((env.sandbox.stats().refreshes, expired_answers), (1, 0), "refreshed before use");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_loses_a_refresh_race_adopts_the_winner_s_tokens() {
    let env = Env::new().await;
    // A store without a cross-instance lock (FlakyStore never fails here):
    // as when a lock expired under a slow refresh, both instances post.
    let store = Arc::new(FlakyStore::new(7));
    let instance =
        || env.builder().shared_store(store.clone()).clock(env.sandbox.clock()).build().unwrap();
    let (a, b) = (instance(), instance());
    env.connect::<Reader>(&a, "user-1", None).await.unwrap();
    let client_a = a.restore::<Reader>("user-1").await.unwrap();
    let client_b = b.restore::<Reader>("user-1").await.unwrap();
    env.sandbox.advance(Duration::from_secs(3 * 3600));
    // A's refresh is held up; B's, sent after, is answered first.
    env.sandbox.inject_fault(
        "POST",
        "/oauth2/token",
        Fault::Delay(Duration::from_millis(1500)),
        Times::Next(1),
    );
    let slow = tokio::spawn(async move { client_a.auth_info().await.map(|info| info.scopes) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    client_b.auth_info().await.unwrap();
    let outcome = slow.await.unwrap();
    let stats = env.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (1, 1), "A's post was refused");
    // A did not end the authorization: it adopted B's tokens.
    assert!(outcome.is_ok(), "{outcome:?}");
    let stored = store.load("user-1").await.unwrap().unwrap();
    assert!(stored.record.tombstone.is_none());
    let c = instance().restore::<Reader>("user-1").await.unwrap();
    c.auth_info().await.unwrap();
}
