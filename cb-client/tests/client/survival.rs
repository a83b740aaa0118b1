//! An authorization survives the faults production apps meet: a caller
//! cancelled mid-refresh, a store that fails once, a key authorized again by
//! another instance, a grant check that fails after the exchange, odd token
//! responses, and a revoke Coinbase did not confirm. An authorization that
//! did end stays ended, with its reason, without further requests.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cb_client::{Error, MemoryStore, ReauthorizationReason, TokenStore};
use cb_sandbox::{Fault, Times};

use crate::support::*;

/// A client configuration that reads the sandbox's clock, so that
/// advancing it makes tokens expire for the client too.
fn on_sandbox_clock(env: &Env) -> cb_client::OAuthClientBuilder {
    let sandbox = env.sandbox.clone();
    env.builder().clock(move || SystemTime::from(sandbox.now()))
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_caller_cancelled_during_the_refresh_request_loses_nothing() {
    let env = Env::new().await;
    let proxy = Proxy::start(env.sandbox.base_url().as_str(), 1).await;
    let store = Arc::new(MemoryStore::new());
    let oauth =
        on_sandbox_clock(&env).login_base(&proxy.base).shared_store(store.clone()).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();

    // The sandbox processes the refresh at once; its answer reaches the
    // client only after the caller gave up.
    proxy.hold(Duration::from_millis(400), Duration::from_millis(400));
    env.sandbox.advance(HOUR);
    let cancelled = tokio::time::timeout(Duration::from_millis(100), client.auth_info()).await;
    assert!(cancelled.is_err(), "the call was cancelled");
    proxy.hold(Duration::ZERO, Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(env.sandbox.stats().refreshes, 1, "the refresh reached Coinbase");

    // The pair Coinbase issued was saved: this process and a fresh one
    // both go on, without another refresh.
    client.auth_info().await.unwrap();
    let other = on_sandbox_clock(&env).shared_store(store.clone()).build().unwrap();
    other.restore::<Reader>("user-1").await.unwrap().auth_info().await.unwrap();
    let stats = env.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (1, 0));
    assert_eq!(store.load("user-1").await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn a_refreshed_pair_whose_save_failed_is_saved_and_used_before_the_next_refresh() {
    let env = Env::new().await;
    let store = Arc::new(FlakyStore::new(2));
    let oauth = on_sandbox_clock(&env).shared_store(store.clone()).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();

    store.set_failing(true);
    env.sandbox.advance(HOUR);
    let error = client.auth_info().await.unwrap_err();
    assert!(matches!(error, Error::Store(_)), "{error:?}");
    // Unsaved tokens are not handed out while the store keeps failing.
    let error = client.auth_info().await.unwrap_err();
    assert!(matches!(error, Error::Store(_)), "{error:?}");
    assert_eq!(env.sandbox.stats().refreshes, 1, "no second refresh while the pair is unsaved");

    store.set_failing(false);
    env.sandbox.advance(HOUR);
    client.auth_info().await.unwrap();
    let stats = env.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (2, 0), "never the spent token");
    // What the store holds now is live: another process can use it.
    let other = on_sandbox_clock(&env).shared_store(store.clone()).build().unwrap();
    other.restore::<Reader>("user-1").await.unwrap().auth_info().await.unwrap();
    assert_eq!(env.sandbox.stats().invalid_grants, 0);
}

/// A connected user, and one request that refreshed at Coinbase while the
/// store refused every save: the request ended with the store's error and
/// dropped its client; the saves still fail when this returns.
async fn refreshed_while_saves_fail(seed: u64) -> (Env, Arc<FlakyStore>, cb_client::OAuthClient) {
    let env = Env::new().await;
    let store = Arc::new(FlakyStore::new(seed));
    let oauth = on_sandbox_clock(&env).shared_store(store.clone()).build().unwrap();
    env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    store.set_failing(true);
    env.sandbox.advance(HOUR);
    {
        let client = oauth.restore::<Reader>("user-1").await.unwrap();
        assert!(matches!(client.auth_info().await, Err(Error::Store(_))));
    }
    (env, store, oauth)
}

#[tokio::test]
async fn restored_per_request_through_a_store_outage_nothing_is_lost() {
    // A request: restore, call (the refresh succeeds at Coinbase, the saves
    // fail during a 2 s outage), and the request ends, dropping its client.
    let (env, store, oauth) = refreshed_while_saves_fail(3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    store.set_failing(false);
    // The client keeps saving the pair in the background.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // A later request restores and calls: the pair was saved, nothing spent
    // twice, no second refresh.
    let client = oauth.restore::<Reader>("user-1").await.unwrap();
    client.auth_info().await.unwrap();
    let stats = env.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (1, 0));
    // Another instance reads the same live pair from the store.
    let other = on_sandbox_clock(&env).shared_store(store.clone()).build().unwrap();
    other.restore::<Reader>("user-1").await.unwrap().auth_info().await.unwrap();
    assert_eq!(env.sandbox.stats().invalid_grants, 0);
}

#[tokio::test]
async fn a_restore_during_the_outage_finds_the_unsaved_pair_not_the_spent_one() {
    let (env, store, oauth) = refreshed_while_saves_fail(4).await;
    // The next request comes while the store is still down: it gets the
    // store's error, and posts no spent refresh token.
    let client = oauth.restore::<Reader>("user-1").await.unwrap();
    assert!(matches!(client.auth_info().await, Err(Error::Store(_))));
    drop(client);
    store.set_failing(false);
    let client = oauth.restore::<Reader>("user-1").await.unwrap();
    client.auth_info().await.unwrap();
    let stats = env.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (1, 0));
}

#[tokio::test]
async fn a_restore_prefers_the_unsaved_pair_to_a_tombstone_another_instance_wrote() {
    // This instance cannot write to the store: its refresh stays unsaved.
    let (env, store, oauth) = refreshed_while_saves_fail(5).await;
    // Another instance, which reaches the store, tries the spent pair:
    // Coinbase refuses it, and that instance records the end.
    let other = on_sandbox_clock(&env).shared_store(store.reachable()).build().unwrap();
    let refused = other.restore::<Reader>("user-1").await.unwrap().auth_info().await;
    assert!(
        matches!(
            refused,
            Err(Error::ReauthorizationRequired {
                reason: ReauthorizationReason::RefreshRejected { .. }
            })
        ),
        "{refused:?}"
    );
    // This instance's next request finds its pair, not the tombstone, and
    // once it can write again saves the pair over the tombstone.
    let client = oauth.restore::<Reader>("user-1").await.expect("the unsaved pair");
    store.set_failing(false);
    client.auth_info().await.unwrap();
    other.restore::<Reader>("user-1").await.unwrap().auth_info().await.unwrap();
    let stats = env.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (1, 1));
}

#[tokio::test]
async fn an_instance_adopts_a_key_that_another_instance_revoked_and_authorized_again() {
    let env = Env::new().await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let first = on_sandbox_clock(&env).shared_store(store.clone()).build().unwrap();
    let second = on_sandbox_clock(&env).shared_store(store.clone()).build().unwrap();
    let a = env.connect::<Reader>(&first, "user-1", None).await.unwrap();
    let b = second.restore::<Reader>("user-1").await.unwrap();
    // The second instance refreshes twice: its record is at version 3.
    for _ in 0..2 {
        env.sandbox.advance(HOUR);
        b.auth_info().await.unwrap();
    }
    assert_eq!(store.load("user-1").await.unwrap().unwrap().version, 3);

    // The first instance revokes and authorizes again: version 1 of a new
    // authorization.
    a.revoke().await.unwrap();
    let a = env.connect::<Reader>(&first, "user-1", None).await.unwrap();
    assert_eq!(store.load("user-1").await.unwrap().unwrap().version, 1);

    // The second instance's tokens are revoked; it finds the new record.
    b.auth_info().await.unwrap();
    env.sandbox.advance(HOUR);
    b.auth_info().await.unwrap();
    a.auth_info().await.unwrap();
    let stats = env.sandbox.stats();
    assert_eq!(stats.invalid_grants, 0);
}

#[tokio::test]
async fn a_grant_check_that_keeps_failing_after_the_exchange_saves_the_tokens() {
    let env = Env::new().await;
    let oauth = env.oauth();
    env.sandbox.inject_fault("GET", "/v2/user/auth", Fault::Status(503), Times::Always);
    let error = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap_err();
    env.sandbox.clear_faults();
    let Error::GrantNotVerified { source } = &error else { panic!("{error:?}") };
    assert!(
        matches!(
            **source,
            Error::Api { status: cb_client::reqwest::StatusCode::SERVICE_UNAVAILABLE, .. }
        ),
        "{source:?}"
    );
    let checks = env.sandbox.requests().iter().filter(|r| r.route == "/v2/user/auth").count();
    assert_eq!(checks, 3, "the check is retried as a read");

    // The tokens were saved with the token response's grant: the app can
    // use them, or end the grant at Coinbase.
    assert!(oauth.stored_grant("user-1").await.unwrap().contains(cb_scopes::Scope::WalletUserRead));
    oauth.restore::<Reader>("user-1").await.unwrap().auth_info().await.unwrap();
    oauth.revoke("user-1").await.unwrap();
    assert_eq!(env.sandbox.stats().revocations, 1);
}

#[tokio::test]
async fn a_grant_check_that_fails_once_is_retried() {
    let env = Env::new().await;
    let oauth = env.oauth();
    env.sandbox.inject_fault("GET", "/v2/user/auth", Fault::Status(503), Times::Next(1));
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    client.auth_info().await.unwrap();
}

#[tokio::test]
async fn an_authorization_whose_refresh_answer_was_lost_stays_ended_without_requests() {
    let env = Env::new().await;
    let store = Arc::new(MemoryStore::new());
    let oauth = env.builder().shared_store(store.clone()).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    env.sandbox.advance(HOUR);
    env.sandbox.inject_fault("POST", "/oauth2/token", Fault::DropAfterProcessing, Times::Next(1));
    let lost = |error: Error| {
        matches!(
            error,
            Error::ReauthorizationRequired { reason: ReauthorizationReason::RefreshResponseLost }
        )
    };
    assert!(lost(client.auth_info().await.unwrap_err()));
    let requests = env.sandbox.requests().len();

    // Every later use, here or in another process, says why at once.
    assert!(lost(client.auth_info().await.unwrap_err()));
    assert!(lost(oauth.restore::<Reader>("user-1").await.unwrap_err()));
    let other = env.builder().shared_store(store.clone()).build().unwrap();
    assert!(lost(other.restore::<Reader>("user-1").await.unwrap_err()));
    assert_eq!(env.sandbox.requests().len(), requests, "no doomed request was made");
    assert_eq!(env.sandbox.stats().invalid_grants, 1);

    // Revoking the key clears the record; authorizing again works.
    oauth.revoke("user-1").await.unwrap();
    assert!(matches!(
        oauth.stored_grant("user-1").await.unwrap_err(),
        Error::ReauthorizationRequired { reason: ReauthorizationReason::NotStored }
    ));
    let again = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    again.auth_info().await.unwrap();
    client.auth_info().await.unwrap();
}

#[tokio::test]
async fn a_refused_refresh_is_recorded_with_its_reason() {
    let env = Env::new().await;
    let store = Arc::new(MemoryStore::new());
    let oauth = on_sandbox_clock(&env).shared_store(store.clone()).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    // The grant ends at Coinbase by another route: here, a copy of the
    // tokens revoked elsewhere.
    let record = store.load("user-1").await.unwrap().unwrap().record;
    let copy = MemoryStore::new();
    copy.save("user-1", &record, None).await.unwrap();
    env.builder().store(copy).build().unwrap().revoke("user-1").await.unwrap();

    env.sandbox.advance(HOUR);
    let error = client.auth_info().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::ReauthorizationRequired {
                reason: ReauthorizationReason::RefreshRejected { .. }
            }
        ),
        "{error:?}"
    );
    let stored = store.load("user-1").await.unwrap().unwrap();
    assert!(
        matches!(stored.record.tombstone, Some(ReauthorizationReason::RefreshRejected { .. })),
        "{:?}",
        stored.record
    );
    let grants = env.sandbox.stats().invalid_grants;
    assert!(oauth.restore::<Reader>("user-1").await.is_err());
    assert!(client.auth_info().await.is_err());
    assert_eq!(env.sandbox.stats().invalid_grants, grants, "no second doomed refresh");
}

#[tokio::test]
async fn token_responses_of_odd_shapes_keep_the_authorization() {
    let env = Env::new().await;
    let proxy = Proxy::start(env.sandbox.base_url().as_str(), 3).await;
    let oauth = on_sandbox_clock(&env).login_base(&proxy.base).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    let rewrites: [Rewrite; 4] = [
        Arc::new(|json| json["expires_in"] = serde_json::json!("3600")),
        Arc::new(|json| json["expires_in"] = serde_json::json!(3600.5)),
        Arc::new(|json| json["token_type"] = serde_json::json!("BEARER")),
        Arc::new(|json| json["expires_in"] = serde_json::json!(1e300)),
    ];
    for rewrite in rewrites {
        proxy.rewrite_token_responses(Some(rewrite));
        env.sandbox.advance(HOUR);
        client.auth_info().await.unwrap();
    }
    let stats = env.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (4, 0));
}

#[tokio::test]
async fn revoke_keeps_the_tokens_unless_coinbase_answered_200() {
    let env = Env::new().await;
    let oauth = env.oauth();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    env.sandbox.inject_fault("POST", "/oauth2/revoke", Fault::Status(400), Times::Next(1));
    let error = client.revoke().await.unwrap_err();
    assert!(
        matches!(error, Error::Api { status: cb_client::reqwest::StatusCode::BAD_REQUEST, .. }),
        "{error:?}"
    );
    // Still stored and still live: the app can try again.
    oauth.stored_grant("user-1").await.unwrap();
    client.auth_info().await.unwrap();
    oauth.revoke("user-1").await.unwrap();
    assert_eq!(env.sandbox.stats().revocations, 1);
    assert!(oauth.stored_grant("user-1").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_in_flight_when_the_process_ends_is_saved_only_if_the_client_drains() {
    for drain in [true, false] {
        let env = Env::new().await;
        let proxy = Proxy::start(env.sandbox.base_url().as_str(), 5).await;
        let store = Arc::new(MemoryStore::new());
        let builder = || on_sandbox_clock(&env).login_base(&proxy.base).shared_store(store.clone());
        env.connect::<Reader>(&builder().build().unwrap(), "user-1", None).await.unwrap();
        env.sandbox.advance(HOUR);
        // Coinbase processes the refresh at once; its answer takes 500 ms.
        proxy.hold(Duration::from_millis(500), Duration::from_millis(500));
        // The app: a process of its own (a runtime in a thread), ended by a
        // rolling deploy while its refresh is in flight.
        let app = builder().build().unwrap();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let client = app.restore::<Reader>("user-1").await.unwrap();
                let request = tokio::spawn(async move { client.auth_info().await });
                tokio::time::sleep(Duration::from_millis(150)).await;
                if drain {
                    assert!(app.shutdown(Duration::from_secs(5)).await, "drained in time");
                }
                request.abort();
            });
            runtime.shutdown_background();
        })
        .join()
        .unwrap();
        proxy.hold(Duration::ZERO, Duration::ZERO);
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(env.sandbox.stats().refreshes, 1, "the refresh reached Coinbase ({drain})");

        // The next instance starts from the store.
        let next = builder().build().unwrap();
        let outcome = next.restore::<Reader>("user-1").await.unwrap().auth_info().await;
        if drain {
            outcome.unwrap();
            let stats = env.sandbox.stats();
            assert_eq!((stats.refreshes, stats.invalid_grants), (1, 0));
        } else {
            // Without the drain the new pair died with the process, and the
            // store's refresh token is spent: the loss shutdown prevents.
            assert!(matches!(outcome, Err(Error::ReauthorizationRequired { .. })), "{outcome:?}");
        }
    }
}

#[tokio::test]
async fn an_exchange_whose_caller_went_away_is_finished_and_saved() {
    let env = Env::new().await;
    let proxy = Proxy::start(env.sandbox.base_url().as_str(), 6).await;
    let store = Arc::new(MemoryStore::new());
    let oauth =
        on_sandbox_clock(&env).login_base(&proxy.base).shared_store(store.clone()).build().unwrap();
    let (url, pending) = oauth.authorize_url::<Reader>().build().unwrap();
    let redirect = env.sandbox.consent(url.as_str()).unwrap().approve().unwrap();
    let code = pending.complete(redirect.as_str()).unwrap();
    // The browser goes away while the token answer is on its way.
    proxy.hold(Duration::from_millis(400), Duration::from_millis(400));
    let cancelled =
        tokio::time::timeout(Duration::from_millis(100), oauth.exchange(code, "user-1")).await;
    assert!(cancelled.is_err(), "the callback's request was cancelled");
    proxy.hold(Duration::ZERO, Duration::ZERO);
    assert!(oauth.shutdown(Duration::from_secs(5)).await);
    // The code is spent, and the user's consent is not lost: restore works.
    let client = oauth.restore::<Reader>("user-1").await.unwrap();
    client.auth_info().await.unwrap();
    assert_eq!(env.sandbox.stats().code_grants, 1);
}

#[tokio::test]
async fn tokens_that_cannot_be_saved_after_an_exchange_are_revoked_and_said_so() {
    let env = Env::new().await;
    let store = Arc::new(FlakyStore::new(8));
    let oauth = on_sandbox_clock(&env).shared_store(store.clone()).build().unwrap();
    store.set_failing(true);
    let error = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap_err();
    let Error::TokensNotSaved { revoked, .. } = &error else { panic!("{error:?}") };
    assert!(*revoked, "{error}");
    assert_eq!(env.sandbox.stats().revocations, 1, "no live grant is left behind");
    assert!(store.injected.load(std::sync::atomic::Ordering::SeqCst) >= 3, "saves were retried");
}
