//! A span per API call and per token-endpoint call, with the route, the
//! scope, the attempt, Coinbase's status and any `Retry-After`: what an app
//! plugs a tracing subscriber into to see which call was slow or retried.

use std::time::Duration;

use cb_sandbox::{Fault, Times};

use crate::capture::{Capture, CapturedSpan};
use crate::support::*;

fn field<'a>(span: &'a CapturedSpan, name: &str) -> Option<&'a str> {
    span.fields.get(name).map(String::as_str)
}

#[test]
fn every_call_has_a_span_with_route_scope_status_and_attempt() {
    let capture = Capture::start();
    // One thread, so that every task runs where the capture listens.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let env = Env::new().await;
        let oauth = env
            .builder()
            .retry_policy(cb_client::RetryPolicy::default().base_delay(Duration::from_millis(1)))
            .build()
            .unwrap();
        let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
        env.sandbox.inject_fault("GET", "/v2/accounts", Fault::Status(503), Times::Next(1));
        client.accounts().all().await.unwrap();
        client.account("BTC").await.unwrap();
        env.sandbox.advance(Duration::from_secs(3600));
        client.auth_info().await.unwrap();
    });
    let spans = capture.stop().spans;

    let named = |name: &str, route: &str| -> Vec<&CapturedSpan> {
        spans.iter().filter(|s| s.name == name && field(s, "cb.route") == Some(route)).collect()
    };
    // The exchange: the code at the token endpoint, then the grant check.
    let exchange = named("cb.token", "POST /oauth2/token");
    assert_eq!(field(exchange[0], "cb.grant"), Some("authorization_code"));
    assert_eq!(field(exchange[0], "http.status"), Some("200"));
    // The list: a 503 on attempt 1, a 200 on attempt 2, both naming the scope.
    let accounts = named("cb.request", "GET /v2/accounts");
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    for (span, (attempt, status)) in accounts.iter().zip([("1", "503"), ("2", "200")]) {
        assert_eq!(field(span, "cb.attempt"), Some(attempt), "{span:?}");
        assert_eq!(field(span, "http.status"), Some(status), "{span:?}");
        assert_eq!(field(span, "cb.scope"), Some("wallet:accounts:read"), "{span:?}");
    }
    // A route with an id is named by its template, as OpenTelemetry's
    // `url.template` is: one metrics series per endpoint, not per account.
    let account = named("cb.request", "GET /v2/accounts/:id");
    assert_eq!(account.len(), 1, "{spans:?}");
    assert_eq!(field(account[0], "url.template"), Some("/v2/accounts/:id"));
    assert_eq!(field(account[0], "http.request.method"), Some("GET"));
    assert_eq!(field(account[0], "http.response.status_code"), Some("200"));
    assert!(spans.iter().all(|s| field(s, "cb.route").is_none_or(|r| !r.contains("BTC"))));
    assert_eq!(field(accounts[1], "http.request.resend_count"), Some("1"));
    // The refresh after the clock moved: its own token span.
    assert!(
        exchange.iter().any(|span| field(span, "cb.grant") == Some("refresh_token")
            && field(span, "http.status") == Some("200")),
        "{exchange:?}"
    );
    // No span carries a secret, not even a fingerprint of one.
    for span in &spans {
        for value in span.fields.values() {
            assert!(!value.contains(CLIENT_SECRET), "{span:?}");
        }
    }
}
