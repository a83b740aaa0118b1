//! A hostile or broken answer cannot send the user's token to another
//! host, keep a stream going forever, or make the client read without
//! bound; and an id cannot change the route it is sent to.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cb_client::models::AccountId;
use cb_client::{Client, Error, OAuthClient};
use futures_util::TryStreamExt as _;

use crate::support::*;

cb_scopes::scopes! {
    struct AddressReader(wallet:accounts:read, wallet:addresses:read);
}

/// A client whose API answers pass through `proxy`.
async fn through(env: &Env, proxy: &Proxy) -> (OAuthClient, Client<Reader>) {
    let oauth = env.builder().api_base(&proxy.base).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    (oauth, client)
}

#[tokio::test]
async fn a_next_uri_to_another_host_is_never_requested() {
    let env = Env::new().await;
    let proxy = Proxy::start(env.sandbox.base_url().as_str(), 7).await;
    let spy = Spy::start().await;
    let (_oauth, client) = through(&env, &proxy).await;
    let host = spy.base.trim_start_matches("http://").to_owned();
    for next in [
        format!("{}/v2/accounts?limit=1", spy.base),
        format!("//{host}/v2/accounts?limit=1"),
        format!("https://{host}/v2/accounts"),
        format!("/\\{host}/v2/accounts"),
    ] {
        proxy.rewrite(
            "/v2/accounts",
            Some(Arc::new(move |json| json["pagination"]["next_uri"] = next.clone().into())),
        );
        let mut stream = std::pin::pin!(client.accounts().limit(1).stream());
        assert!(stream.try_next().await.unwrap().is_some(), "the first page is read");
        let error = stream.try_next().await.unwrap_err();
        assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
        assert!(stream.try_next().await.unwrap().is_none(), "the stream ends");
    }
    assert_eq!(spy.requests.load(Ordering::SeqCst), 0, "nothing reached the other host");
    assert_eq!(spy.with_credentials.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_next_uri_cycle_ends_the_stream() {
    let env = Env::new().await;
    let proxy = Proxy::start(env.sandbox.base_url().as_str(), 8).await;
    let (_oauth, client) = through(&env, &proxy).await;
    // Every page says the next one is the first.
    proxy.rewrite(
        "/v2/accounts",
        Some(Arc::new(|json| json["pagination"]["next_uri"] = "/v2/accounts?limit=1".into())),
    );
    let outcome = tokio::time::timeout(Duration::from_secs(5), client.accounts().limit(1).all())
        .await
        .expect("the stream ends by itself");
    let error = outcome.unwrap_err();
    assert!(error.to_string().contains("already fetched"), "{error}");
}

#[tokio::test]
async fn ids_that_would_change_the_route_are_refused_before_any_request() {
    let env = Env::new().await;
    let oauth = env.oauth();
    let client = env.connect::<AddressReader>(&oauth, "user-1", None).await.unwrap();
    let before = env.sandbox.requests().len();
    for id in ["", ".", ".."] {
        let error = client.account(id).await.unwrap_err();
        assert!(matches!(error, Error::InvalidId { .. }), "{id:?}: {error:?}");
    }
    // A list over such an id fails the same way when it is fetched.
    let account = AccountId::from("..");
    let error = client.addresses(&account).all().await.unwrap_err();
    assert!(matches!(error, Error::InvalidId { .. }), "{error:?}");
    assert_eq!(env.sandbox.requests().len(), before, "nothing was sent");
    // An id with a slash or an escaped dot stays one literal segment.
    for id in ["../user", "%2e%2e"] {
        let error = client.account(id).await.unwrap_err();
        assert!(
            matches!(error, Error::Api { status: cb_client::reqwest::StatusCode::NOT_FOUND, .. }),
            "{id:?}: {error:?}"
        );
    }
}

#[tokio::test]
async fn an_answer_over_the_size_cap_is_not_read_whole() {
    let env = Env::new().await;
    let oauth = env.builder().max_response_bytes(600).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    let error = client.accounts().all().await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidResponse { detail } if detail.contains("over 600 bytes")),
        "{error:?}"
    );
}
