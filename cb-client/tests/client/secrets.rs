//! No secret in `Debug` output or in logs, even at TRACE level.

use std::cell::Cell;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cb_client::{MemoryStore, TokenStore};
use cb_scopes::ExposeSecret as _;

use crate::support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

thread_local! {
    /// Whether this thread's events are captured.
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
}

/// Captures every event, at every level, of the threads that set
/// [`CAPTURING`]. It is the process's global subscriber: a thread-local one
/// (`set_default`) misses events when other tests' threads register the
/// same callsites at the same time, which made this test flaky.
fn capture() -> Captured {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_filter(tracing_subscriber::filter::filter_fn(|_| CAPTURING.with(Cell::get)))
                .with_filter(tracing_subscriber::filter::LevelFilter::TRACE);
            let subscriber = tracing_subscriber::registry().with(layer);
            tracing::subscriber::set_global_default(subscriber).unwrap();
            captured
        })
        .clone()
}

#[test]
fn secrets_never_reach_debug_output_or_trace_logs() {
    let captured = capture();
    CAPTURING.with(|capturing| capturing.set(true));
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

    CAPTURING.with(|capturing| capturing.set(false));
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("refreshed and saved new tokens"), "the capture works: {logs}");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the logs");
        for text in &debug {
            assert!(!text.contains(secret.as_str()), "a secret is in Debug output: {text}");
        }
    }
}
