//! Authentication, scopes, account access, the envelope, pagination, the
//! rate limit, and every endpoint of the reference table.

use std::collections::HashSet;
use std::time::Duration;

use cb_sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn the_bearer_token_is_checked() {
    let env = Env::new().await;
    let tokens = env.tokens("wallet:accounts:read").await;
    let response = env.http.get(env.url("/v2/accounts")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = env.get("/v2/accounts", "not-a-token").await;
    assert_eq!((status, error_id(&body)), (StatusCode::UNAUTHORIZED, "invalid_token"));
    assert_eq!(env.get("/v2/accounts", &tokens.access).await.0, StatusCode::OK);
    env.sandbox.advance(Duration::from_secs(3600));
    let (status, body) = env.get("/v2/accounts", &tokens.access).await;
    assert_eq!((status, error_id(&body)), (StatusCode::UNAUTHORIZED, "expired_token"));
}

#[tokio::test]
async fn each_endpoint_needs_its_scope_and_the_sandbox_records_it() {
    let env = Env::new().await;
    let tokens = env.tokens("wallet:user:read").await;
    let (status, body) = env.get("/v2/accounts", &tokens.access).await;
    assert_eq!((status, error_id(&body)), (StatusCode::FORBIDDEN, "invalid_scope"));
    let records = env.sandbox.requests();
    let last = records.last().unwrap();
    assert_eq!(
        (last.route.as_str(), last.required_scope),
        ("/v2/accounts", Some("wallet:accounts:read"))
    );
    assert_eq!(last.status, 403);
}

#[tokio::test]
async fn only_the_accounts_granted_at_consent_are_reachable() {
    let env = Env::new().await;
    let btc = env.account("BTC");
    let usd = env.account("USD");
    let url = env.authorize_url("wallet:accounts:read", &[]);
    let redirect = env.sandbox.consent(&url).unwrap().accounts([&btc]).approve().unwrap();
    let tokens = Tokens::from(env.exchange(&Env::code_of(&redirect)).await.1);
    let (_, body) = env.get("/v2/accounts", &tokens.access).await;
    let ids: Vec<&str> =
        body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [btc.as_str()]);
    assert_eq!(
        env.get(&format!("/v2/accounts/{usd}"), &tokens.access).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = env.get("/v2/accounts/BTC", &tokens.access).await;
    assert_eq!((status, body["data"]["id"].as_str()), (StatusCode::OK, Some(btc.as_str())));

    // `account_currency` narrows what is offered; `account=all` grants all.
    let url = env.authorize_url("wallet:accounts:read", &[("account_currency", "USD")]);
    let offered_usd_only = env.sandbox.consent(&url).unwrap().accounts([&btc]).approve();
    assert!(offered_usd_only.is_err());
    let tokens = env.tokens_with("wallet:accounts:read", &[("account", "all")]).await;
    let (_, body) = env.get("/v2/accounts", &tokens.access).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn user_fields_follow_the_scopes() {
    let env = Env::new().await;
    let public = env.tokens("wallet:accounts:read").await;
    let (_, body) = env.get("/v2/user", &public.access).await;
    assert_eq!(body["data"]["name"], "Satoshi Demo");
    assert!(body["data"].get("email").is_none() && body["data"].get("time_zone").is_none());

    let send = "wallet:user:read,wallet:user:email,wallet:transactions:send";
    let private = env.tokens_with(send, SEND_META).await;
    let (_, body) = env.get("/v2/user", &private.access).await;
    assert_eq!(body["data"]["email"], "demo@sandbox.example");
    assert_eq!(body["data"]["time_zone"], "UTC");
    assert_eq!(body["data"]["sends_disabled"], false);

    let (_, body) = env.get("/v2/user/auth", &private.access).await;
    assert_eq!(
        body["data"],
        json!({
            "method": "oauth",
            "scopes": ["wallet:user:read", "wallet:user:email", "wallet:transactions:send"],
            "oauth_meta": {
                "send_limit_amount": "100.00",
                "send_limit_currency": "USD",
                "send_limit_period": "day",
            },
        })
    );
    let (status, body) = env.get(&format!("/v2/users/{}", env.user), &public.access).await;
    assert_eq!((status, body["data"]["id"].as_str()), (StatusCode::OK, Some(env.user.as_str())));
}

#[tokio::test]
async fn a_missing_cb_version_gets_a_warning() {
    let env = Env::new().await;
    let tokens = env.tokens("wallet:accounts:read").await;
    let (_, pinned) = env.get("/v2/accounts", &tokens.access).await;
    assert!(pinned.get("warnings").is_none(), "{pinned}");
    let (status, unpinned) =
        env.api_with(Method::GET, "/v2/accounts", &tokens.access, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unpinned["warnings"][0]["id"], "missing_version");
}

#[tokio::test]
async fn the_rate_limit_is_per_user_per_hour() {
    let mut config = SandboxConfig::default();
    config.rate_limit_per_hour = 5;
    let env = Env::with(config).await;
    let tokens = env.tokens("wallet:accounts:read").await;
    for _ in 0..5 {
        assert_eq!(env.get("/v2/accounts", &tokens.access).await.0, StatusCode::OK);
    }
    let response =
        env.http.get(env.url("/v2/accounts")).bearer_auth(&tokens.access).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after));
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_id(&body), "rate_limit_exceeded");

    // The limit is per user: another authorization of the same user shares it.
    let other = env.tokens("wallet:accounts:read").await;
    assert_eq!(env.get("/v2/accounts", &other.access).await.0, StatusCode::TOO_MANY_REQUESTS);
    env.sandbox.advance(Duration::from_secs(3600));
    // The hour has passed (and with it the token); a new one gets through.
    let fresh = env.tokens("wallet:accounts:read").await;
    assert_eq!(env.get("/v2/accounts", &fresh.access).await.0, StatusCode::OK);
}

async fn walk(env: &Env, token: &str, first: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        let (status, body) = env.get(&path, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = body["data"].as_array().unwrap();
        assert!(page.len() <= 25);
        ids.extend(page.iter().map(|tx| tx["id"].as_str().unwrap().to_owned()));
        next = body["pagination"]["next_uri"].as_str().map(str::to_owned);
    }
    ids
}

#[tokio::test]
async fn pagination_walks_every_item_once_in_both_orders() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let savings = env.sandbox.add_account(&env.user, "USD", rust_decimal::Decimal::ZERO);
    let tokens_all = env
        .tokens_with("wallet:transactions:read,wallet:transactions:transfer", &[("account", "all")])
        .await;
    for _ in 0..60 {
        let body =
            json!({ "type": "transfer", "to": savings, "amount": "1.00", "currency": "USD" });
        let (status, reply) = env
            .api(
                Method::POST,
                &format!("/v2/accounts/{usd}/transactions"),
                &tokens_all.access,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
    }
    let path = format!("/v2/accounts/{usd}/transactions");
    let desc = walk(&env, &tokens_all.access, &path).await;
    let asc = walk(&env, &tokens_all.access, &format!("{path}?order=asc")).await;
    // 60 transfers and the funding transaction.
    assert_eq!(desc.len(), 61);
    assert_eq!(desc.iter().collect::<HashSet<_>>().len(), 61);
    let mut reversed = asc.clone();
    reversed.reverse();
    assert_eq!(desc, reversed);

    let (_, page) =
        env.get(&format!("{path}?limit=10&ending_before={}", desc[30]), &tokens_all.access).await;
    let ids: Vec<&str> =
        page["data"].as_array().unwrap().iter().map(|tx| tx["id"].as_str().unwrap()).collect();
    assert_eq!(ids, desc[20..30].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(page["pagination"]["limit"], 10);
    let (status, body) = env.get(&format!("{path}?limit=101"), &tokens_all.access).await;
    assert_eq!((status, error_id(&body)), (StatusCode::BAD_REQUEST, "validation_error"));
}

/// Calls every endpoint of the reference table, first without its scope
/// (403 `invalid_scope`), then with it (a 2xx answer in Coinbase's shape).
#[tokio::test]
async fn every_endpoint_of_the_reference_table_answers_with_its_scope() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let btc = env.account("BTC");
    let all = env
        .tokens_with(
            &cb_sandbox::SCOPES.join(","),
            &[
                ("account", "all"),
                ("meta[send_limit_amount]", "1000"),
                ("meta[send_limit_currency]", "USD"),
            ],
        )
        .await;
    let grant = |scope: &str| {
        let env = &env;
        let scope = scope.to_owned();
        async move { env.tokens_with(&scope, &[("account", "all")]).await.access }
    };
    let data = |body: &Value| body["data"].clone();

    // Resources to refer to, made with every scope.
    let (_, pms) = env.get("/v2/payment-methods", &all.access).await;
    let bank =
        pms["data"].as_array().unwrap().iter().find(|pm| pm["type"] == "ach_bank_account").unwrap()
            ["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let (_, address) = env
        .api(Method::POST, &format!("/v2/accounts/{btc}/addresses"), &all.access, Some(json!({})))
        .await;
    let address = data(&address)["id"].as_str().unwrap().to_owned();
    let (_, notes) = env.get("/v2/notifications", &all.access).await;
    let note = notes["data"][0]["id"].as_str().unwrap().to_owned();

    struct Case {
        method: Method,
        path: String,
        scope: &'static str,
        body: Option<Value>,
        expect: StatusCode,
    }
    let case =
        |method, path: String, scope, body, expect| Case { method, path, scope, body, expect };
    let request_body = json!({ "type": "request", "to": "friend@sandbox.example", "amount": "1.00", "currency": "USD" });
    let mut cases = vec![
        case(
            Method::PUT,
            "/v2/user".into(),
            "wallet:user:update",
            Some(json!({ "name": "Satoshi" })),
            StatusCode::OK,
        ),
        case(Method::GET, "/v2/accounts".into(), "wallet:accounts:read", None, StatusCode::OK),
        case(
            Method::GET,
            format!("/v2/accounts/{btc}"),
            "wallet:accounts:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::POST,
            "/v2/accounts".into(),
            "wallet:accounts:create",
            Some(json!({ "name": "Vault" })),
            StatusCode::CREATED,
        ),
        case(
            Method::PUT,
            format!("/v2/accounts/{btc}"),
            "wallet:accounts:update",
            Some(json!({ "name": "Main" })),
            StatusCode::OK,
        ),
        case(
            Method::POST,
            format!("/v2/accounts/{btc}/primary"),
            "wallet:accounts:update",
            None,
            StatusCode::OK,
        ),
        case(
            Method::GET,
            format!("/v2/accounts/{btc}/addresses"),
            "wallet:addresses:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::GET,
            format!("/v2/accounts/{btc}/addresses/{address}"),
            "wallet:addresses:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::GET,
            format!("/v2/accounts/{btc}/addresses/{address}/transactions"),
            "wallet:transactions:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::POST,
            format!("/v2/accounts/{btc}/addresses"),
            "wallet:addresses:create",
            Some(json!({ "name": "Deposit" })),
            StatusCode::CREATED,
        ),
        case(
            Method::GET,
            format!("/v2/accounts/{usd}/transactions"),
            "wallet:transactions:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::POST,
            format!("/v2/accounts/{usd}/transactions"),
            "wallet:transactions:request",
            Some(request_body),
            StatusCode::CREATED,
        ),
        case(
            Method::GET,
            format!("/v2/accounts/{btc}/buys"),
            "wallet:buys:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::POST,
            format!("/v2/accounts/{btc}/buys"),
            "wallet:buys:create",
            Some(json!({ "amount": "0.001", "currency": "BTC", "payment_method": bank })),
            StatusCode::CREATED,
        ),
        case(
            Method::GET,
            format!("/v2/accounts/{btc}/sells"),
            "wallet:sells:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::POST,
            format!("/v2/accounts/{btc}/sells"),
            "wallet:sells:create",
            Some(json!({ "amount": "0.001", "currency": "BTC", "payment_method": bank })),
            StatusCode::CREATED,
        ),
        case(
            Method::GET,
            format!("/v2/accounts/{usd}/deposits"),
            "wallet:deposits:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::POST,
            format!("/v2/accounts/{usd}/deposits"),
            "wallet:deposits:create",
            Some(json!({ "amount": "10.00", "currency": "USD", "payment_method": bank })),
            StatusCode::CREATED,
        ),
        case(
            Method::GET,
            format!("/v2/accounts/{usd}/withdrawals"),
            "wallet:withdrawals:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::POST,
            format!("/v2/accounts/{usd}/withdrawals"),
            "wallet:withdrawals:create",
            Some(json!({ "amount": "10.00", "currency": "USD", "payment_method": bank })),
            StatusCode::CREATED,
        ),
        case(
            Method::GET,
            "/v2/payment-methods".into(),
            "wallet:payment-methods:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::GET,
            format!("/v2/payment-methods/{bank}"),
            "wallet:payment-methods:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::GET,
            "/v2/notifications".into(),
            "wallet:notifications:read",
            None,
            StatusCode::OK,
        ),
        case(
            Method::GET,
            format!("/v2/notifications/{note}"),
            "wallet:notifications:read",
            None,
            StatusCode::OK,
        ),
    ];
    // The scope-free endpoints, and the destructive ones last.
    let empty = env.sandbox.add_account(&env.user, "ETH", rust_decimal::Decimal::ZERO);
    cases.push(case(
        Method::DELETE,
        format!("/v2/accounts/{empty}"),
        "wallet:accounts:delete",
        None,
        StatusCode::NO_CONTENT,
    ));
    cases.push(case(
        Method::DELETE,
        format!("/v2/payment-methods/{bank}"),
        "wallet:payment-methods:delete",
        None,
        StatusCode::NO_CONTENT,
    ));

    let unrelated = grant("wallet:notifications:read").await;
    for case in cases {
        if case.scope != "wallet:notifications:read" {
            let (status, body) =
                env.api(case.method.clone(), &case.path, &unrelated, case.body.clone()).await;
            assert_eq!(
                (status, error_id(&body)),
                (StatusCode::FORBIDDEN, "invalid_scope"),
                "{} {}",
                case.method,
                case.path
            );
        }
        let token = grant(case.scope).await;
        let (status, body) = env.api(case.method.clone(), &case.path, &token, case.body).await;
        assert_eq!(status, case.expect, "{} {}: {body}", case.method, case.path);
        if status != StatusCode::NO_CONTENT {
            let data = data(&body);
            assert!(data.is_object() || data.is_array(), "{body}");
            let resource = if data.is_array() { data.get(0).cloned() } else { Some(data) };
            if let Some(resource) = resource {
                assert!(
                    resource["id"].is_string() && resource["resource_path"].is_string(),
                    "{body}"
                );
            }
        }
    }
    // And the endpoints that need no scope.
    let token = grant("wallet:notifications:read").await;
    for path in
        ["/v2/user".to_owned(), format!("/v2/users/{}", env.user), "/v2/user/auth".to_owned()]
    {
        assert_eq!(env.get(&path, &token).await.0, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn payment_method_limits_need_their_own_scope() {
    let env = Env::new().await;
    let read = env.tokens("wallet:payment-methods:read").await;
    let (_, body) = env.get("/v2/payment-methods", &read.access).await;
    assert!(body["data"][0].get("limits").is_none());
    let limits = env.tokens("wallet:payment-methods:read,wallet:payment-methods:limits").await;
    let (_, body) = env.get("/v2/payment-methods", &limits.access).await;
    assert_eq!(body["data"][0]["limits"]["buy"][0]["period_in_days"], 7);
}

#[tokio::test]
async fn the_token_and_scope_are_checked_before_the_body() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let path = env.url(&format!("/v2/accounts/{usd}/transactions"));
    let post = |token: String, body: &'static str| {
        env.http
            .post(path.clone())
            .bearer_auth(token)
            .header("CB-VERSION", "2024-01-01")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let status_and_id = |response: reqwest::Response| async move {
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        (status, body["errors"][0]["id"].as_str().unwrap_or_default().to_owned())
    };
    // No token: 401, whatever the body.
    let answer = status_and_id(post("nope".into(), "not json").await.unwrap()).await;
    assert_eq!(answer, (StatusCode::UNAUTHORIZED, "invalid_token".to_owned()));
    // A token without any scope of this route: 403, whatever the body.
    let reader = env.tokens("wallet:accounts:read").await;
    for body in ["not json", "{}", r#"{"type":"teleport"}"#] {
        let answer = status_and_id(post(reader.access.clone(), body).await.unwrap()).await;
        assert_eq!(answer, (StatusCode::FORBIDDEN, "invalid_scope".to_owned()), "{body}");
    }
    // With a scope of the route, the body is read: 400.
    let sender = env.tokens("wallet:transactions:request").await;
    let answer = status_and_id(post(sender.access.clone(), "not json").await.unwrap()).await;
    assert_eq!(answer, (StatusCode::BAD_REQUEST, "invalid_request".to_owned()));
}
