//! No secret in `Debug` output or in logs, even at TRACE level.

use std::sync::Arc;
use std::time::Duration;

use cb_client::{MemoryStore, TokenStore};
use cb_scopes::ExposeSecret as _;

use crate::capture::Capture;
use crate::support::*;

#[test]
fn secrets_never_reach_debug_output_or_trace_logs() {
    let captured = Capture::start();
    // One thread, so that every task logs through the capture above.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    let (secrets, debug) = runtime.block_on(async {
        let env = Env::new().await;
        let store = Arc::new(MemoryStore::new());
        let oauth = env.builder().shared_store(store.clone()).build().unwrap();
        let (url, pending) = oauth.authorize_url::<Reader>().build().unwrap();
        let redirect = env.sandbox.consent(url.as_str()).unwrap().approve().unwrap();
        let code = pending.complete(redirect.as_str()).unwrap();
        let mut secrets = vec![
            CLIENT_SECRET.to_owned(),
            code.code().expose_secret().to_owned(),
            code.code_verifier().expose_secret().to_owned(),
        ];
        let mut debug = vec![format!("{oauth:?}"), format!("{code:?}")];
        let client = oauth.exchange(code, "user-1").await.unwrap();
        let first = store.load("user-1").await.unwrap().unwrap().record;
        env.sandbox.advance(Duration::from_secs(3600));
        client.auth_info().await.unwrap();
        let second = store.load("user-1").await.unwrap().unwrap().record;
        for record in [&first, &second] {
            secrets.push(record.access_token.expose_secret().to_owned());
            secrets.push(record.refresh_token.as_ref().unwrap().expose_secret().to_owned());
            debug.push(format!("{record:?}"));
        }
        debug.push(format!("{client:?}"));
        client.revoke().await.unwrap();
        (secrets, debug)
    });

    let logs = captured.stop().logs;
    assert!(logs.contains("refreshed and saved new tokens"), "the capture works: {logs}");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the logs");
        for text in &debug {
            assert!(!text.contains(secret.as_str()), "a secret is in Debug output: {text}");
        }
    }
}
