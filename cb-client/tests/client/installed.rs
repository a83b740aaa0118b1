//! The installed-app flow: the loopback redirect listener, with the
//! sandbox as Coinbase and reqwest as the browser.

use std::time::Duration;

use cb_client::{LoopbackError, LoopbackRedirect, OAuthClient};
use cb_scopes::CallbackError;

use crate::support::*;

/// An app registered with the listener's redirect URI.
async fn app(env: &Env) -> (LoopbackRedirect, OAuthClient) {
    let listener = LoopbackRedirect::bind().await.unwrap();
    let redirect = listener.redirect_uri().to_owned();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback"));
    env.sandbox.register_client("cli-app", "cli-secret", [redirect.as_str()]);
    let oauth = OAuthClient::builder("cli-app", "cli-secret", redirect)
        .sandbox(env.sandbox.base_url().as_str())
        .build()
        .unwrap();
    (listener, oauth)
}

#[tokio::test]
async fn the_listener_takes_only_its_callback_then_the_code_is_exchanged() {
    let env = Env::new().await;
    let (listener, oauth) = app(&env).await;
    let base = listener.redirect_uri().trim_end_matches("/callback").to_owned();
    let (url, pending) = oauth.authorize_url::<Reader>().build().unwrap();
    let waiting = tokio::spawn(listener.wait(pending, Duration::from_secs(20)));

    // Anything but the one callback is refused, and the wait goes on.
    let http = reqwest::Client::new();
    let status = |response: reqwest::Response| response.status().as_u16();
    assert_eq!(status(http.get(format!("{base}/other")).send().await.unwrap()), 404);
    let forged = format!("{base}/callback?code=stolen&state=not-the-state");
    assert_eq!(status(http.get(&forged).send().await.unwrap()), 400);
    assert_eq!(status(http.post(format!("{base}/callback")).send().await.unwrap()), 405);
    assert!(!waiting.is_finished());

    // The browser comes back from the consent page.
    let callback = env.sandbox.consent(url.as_str()).unwrap().approve().unwrap();
    let answer = http.get(callback.as_str()).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    assert!(answer.text().await.unwrap().contains("close this tab"));
    let code = waiting.await.unwrap().unwrap();
    let client = oauth.exchange(code, "me").await.unwrap();
    client.auth_info().await.unwrap();
    assert_eq!(env.sandbox.stats().code_grants, 1, "the forged code was never exchanged");
}

#[tokio::test]
async fn a_denial_ends_the_wait_and_silence_times_out() {
    let env = Env::new().await;
    let (listener, oauth) = app(&env).await;
    let (url, pending) = oauth.authorize_url::<Reader>().build().unwrap();
    let waiting = tokio::spawn(listener.wait(pending, Duration::from_secs(20)));
    let denied = env.sandbox.consent(url.as_str()).unwrap().deny();
    reqwest::get(denied.as_str()).await.unwrap();
    let outcome = waiting.await.unwrap();
    assert!(
        matches!(outcome, Err(LoopbackError::Callback(CallbackError::AccessDenied { .. }))),
        "{outcome:?}"
    );

    let (listener, oauth) = app(&env).await;
    let (_, pending) = oauth.authorize_url::<Reader>().build().unwrap();
    let outcome = listener.wait(pending, Duration::from_millis(200)).await;
    assert!(matches!(outcome, Err(LoopbackError::TimedOut(_))), "{outcome:?}");
}

#[tokio::test]
async fn only_loopback_http_redirect_uris_are_listened_on() {
    for uri in [
        "https://127.0.0.1:8765/callback",
        "http://10.1.2.3:8765/callback",
        "http://example.com:8765/callback",
        "http://127.0.0.1/callback",
        "not a url",
    ] {
        let refused = LoopbackRedirect::bind_to(uri).await;
        assert!(matches!(refused, Err(LoopbackError::NotLoopback(_))), "{uri}: {refused:?}");
    }
    let taken = LoopbackRedirect::bind().await.unwrap();
    let again = LoopbackRedirect::bind_to(taken.redirect_uri()).await;
    assert!(matches!(again, Err(LoopbackError::Io(_))), "{again:?}");
}
