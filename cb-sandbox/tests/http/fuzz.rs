//! Arbitrary bytes at every route: whatever arrives, the sandbox answers
//! with a typed error or a success, never a server error or a dropped
//! connection, and it still answers the next request.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Method, StatusCode};

use crate::support::*;

/// Every route, with `{}` where an id goes.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/oauth2/auth"),
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth2/consent"),
    ("POST", "/oauth2/token"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth2/revoke"),
    ("POST", "/oauth/revoke"),
    ("GET", "/v2/user"),
    ("PUT", "/v2/user"),
    ("GET", "/v2/user/auth"),
    ("GET", "/v2/users/{}"),
    ("GET", "/v2/accounts"),
    ("POST", "/v2/accounts"),
    ("GET", "/v2/accounts/{}"),
    ("PUT", "/v2/accounts/{}"),
    ("DELETE", "/v2/accounts/{}"),
    ("POST", "/v2/accounts/{}/primary"),
    ("GET", "/v2/accounts/{}/addresses"),
    ("POST", "/v2/accounts/{}/addresses"),
    ("GET", "/v2/accounts/{}/addresses/{}"),
    ("GET", "/v2/accounts/{}/addresses/{}/transactions"),
    ("GET", "/v2/accounts/{}/transactions"),
    ("POST", "/v2/accounts/{}/transactions"),
    ("GET", "/v2/accounts/{}/transactions/{}"),
    ("DELETE", "/v2/accounts/{}/transactions/{}"),
    ("POST", "/v2/accounts/{}/transactions/{}/complete"),
    ("POST", "/v2/accounts/{}/transactions/{}/resend"),
    ("GET", "/v2/payment-methods"),
    ("GET", "/v2/payment-methods/{}"),
    ("DELETE", "/v2/payment-methods/{}"),
    ("GET", "/v2/notifications"),
    ("GET", "/v2/notifications/{}"),
    ("GET", "/v2/accounts/{}/buys"),
    ("POST", "/v2/accounts/{}/buys"),
    ("GET", "/v2/accounts/{}/buys/{}"),
    ("POST", "/v2/accounts/{}/buys/{}/commit"),
    ("POST", "/v2/accounts/{}/sells"),
    ("POST", "/v2/accounts/{}/deposits"),
    ("POST", "/v2/accounts/{}/withdrawals/{}/commit"),
    ("GET", "/nowhere"),
];

/// One request: a route, what fills its ids, a query, a body, and who asks.
#[derive(Debug, Clone)]
struct Case {
    route: usize,
    ids: Vec<String>,
    query: String,
    body: Vec<u8>,
    json_body: bool,
    auth: u8,
}

fn case() -> impl Strategy<Value = Case> {
    let id = prop_oneof![
        Just("USD".to_owned()),
        Just("BTC".to_owned()),
        "[a-zA-Z0-9%._~-]{0,40}",
        any::<String>()
            .prop_map(|text| url::form_urlencoded::byte_serialize(text.as_bytes()).collect()),
    ];
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        // JSON objects with the fields handlers read, holding odd values.
        (
            prop::sample::select(&["send", "transfer", "request", "x", ""][..]),
            prop_oneof![
                Just("79228162514264337593543950335".to_owned()),
                Just("-1".to_owned()),
                Just("1e30".to_owned()),
                Just("0.000000000000000000000000001".to_owned()),
                "[0-9.]{0,12}",
            ],
            prop::sample::select(&["USD", "BTC", "EUR", "", "usd"][..]),
            "[a-z@.]{0,20}",
        )
            .prop_map(|(kind, amount, currency, to)| {
                serde_json::json!({
                    "type": kind, "amount": amount, "currency": currency, "to": to,
                    "name": to, "payment_method": to, "idem": to, "commit": true,
                })
                .to_string()
                .into_bytes()
            }),
    ];
    (
        0..ROUTES.len(),
        prop::collection::vec(id, 2),
        "[a-z_=&%0-9]{0,40}",
        body,
        any::<bool>(),
        0u8..3,
    )
        .prop_map(|(route, ids, query, body, json_body, auth)| Case {
            route,
            ids,
            query,
            body,
            json_body,
            auth,
        })
}

#[test]
fn arbitrary_requests_get_typed_answers_and_the_sandbox_goes_on() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (env, token) = runtime.block_on(async {
        let env = Env::new().await;
        let everything = cb_sandbox::SCOPES
            .iter()
            .filter(|scope| !scope.contains("bypass"))
            .copied()
            .collect::<Vec<_>>()
            .join(",");
        let tokens = env.tokens_with(&everything, SEND_META).await;
        (env, tokens.access)
    });
    let mut runner = TestRunner::new(Config { cases: 1500, ..Config::default() });
    let outcome = runner.run(&case(), |case| {
        runtime.block_on(async {
            let (method, template) = ROUTES[case.route];
            let mut ids = case.ids.iter();
            let mut path = String::new();
            for (i, part) in template.split("{}").enumerate() {
                if i > 0 {
                    path.push_str(ids.next().map_or("x", String::as_str));
                }
                path.push_str(part);
            }
            let url = format!("{}?{}", env.url(&path), case.query);
            let mut request = env
                .http
                .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
                .header("CB-VERSION", "2024-01-01")
                .body(case.body.clone());
            if case.json_body {
                request = request.header("Content-Type", "application/json");
            } else {
                request = request.header("Content-Type", "application/x-www-form-urlencoded");
            }
            request = match case.auth {
                0 => request,
                1 => request.bearer_auth(&token),
                // Garbage, but what a header can carry.
                _ => request.bearer_auth(
                    case.body
                        .iter()
                        .take(20)
                        .map(|b| char::from(b'!' + b % 90))
                        .collect::<String>(),
                ),
            };
            let response = request.send().await.map_err(|error| {
                TestCaseError::fail(format!("{method} {path}: no answer: {error}"))
            })?;
            let status = response.status();
            let text = response.text().await.map_err(|error| {
                TestCaseError::fail(format!("{method} {path}: the answer was cut: {error}"))
            })?;
            prop_assert!(!status.is_server_error(), "{method} {path}: {status}: {text}");
            if path.starts_with("/v2/") && !status.is_success() {
                let body: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
                    TestCaseError::fail(format!("{method} {path}: {status} is not JSON: {text}"))
                })?;
                prop_assert!(body["errors"][0]["id"].is_string(), "{method} {path}: {text}");
            }
            // The sandbox still answers.
            let (status, _) = env.get("/v2/user", &token).await;
            prop_assert_eq!(status, StatusCode::OK);
            Ok(())
        })
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
}
