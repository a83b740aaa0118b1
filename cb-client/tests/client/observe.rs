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

/// The client keeps each authorization under its budget, and says so in
/// the spans of the calls that waited.
#[cfg(feature = "rate-limit")]
#[test]
fn a_rate_limited_call_waits_per_authorization_and_its_span_says_so() {
    let capture = Capture::start();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let elapsed = runtime.block_on(async {
        let env = Env::new().await;
        let limits = cb_client::RateLimits::coinbase().advanced_trade_per_second(5);
        let oauth = env.builder().rate_limits(limits).build().unwrap();
        let first = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
        let second = env.connect::<Reader>(&oauth, "user-2", None).await.unwrap();
        let product = cb_client::models::ProductId::from("BTC-USD");
        let started = std::time::Instant::now();
        for _ in 0..10 {
            first.product(&product).await.unwrap();
        }
        let elapsed = started.elapsed();
        // The other authorization has a budget of its own.
        for _ in 0..3 {
            second.product(&product).await.unwrap();
        }
        elapsed
    });
    let spans = capture.stop().spans;
    let products: Vec<&CapturedSpan> = spans
        .iter()
        .filter(|s| field(s, "url.template") == Some("/api/v3/brokerage/products/:product_id"))
        .collect();
    assert_eq!(products.len(), 13);
    let waited = |span: &&&CapturedSpan| field(span, "cb.rate_limit_wait_ms").is_some();
    // 5 a second, from a full burst of 5: at least four of the first ten
    // waited, none of the other user's three.
    assert!(products[..10].iter().filter(waited).count() >= 4, "{products:?}");
    assert_eq!(products[10..].iter().filter(waited).count(), 0, "{products:?}");
    assert!(elapsed >= Duration::from_millis(700), "ten calls at 5/s took {elapsed:?}");
}
