//! Injected faults: delays, error statuses, and connections dropped after
//! the request was processed.

use std::time::{Duration, Instant};

use cb_sandbox::{Fault, Times};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_delay_holds_the_answer_back() {
    let env = Env::new().await;
    let tokens = env.tokens("wallet:accounts:read").await;
    env.sandbox.inject_fault(
        "GET",
        "/v2/accounts",
        Fault::Delay(Duration::from_millis(300)),
        Times::Next(1),
    );
    let started = Instant::now();
    assert_eq!(env.get("/v2/accounts", &tokens.access).await.0, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    env.get("/v2/accounts", &tokens.access).await;
    assert!(started.elapsed() < Duration::from_millis(300), "the fault applied once only");
}

#[tokio::test]
async fn an_error_status_is_answered_without_processing() {
    let env = Env::new().await;
    let tokens = env.tokens("wallet:accounts:read,offline_access").await;
    env.sandbox.inject_fault("POST", "/oauth2/token", Fault::Status(503), Times::Next(2));
    let refresh = tokens.refresh.unwrap();
    for _ in 0..2 {
        let (status, _) = env.refresh(&refresh).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(env.sandbox.refresh_token_spent(&refresh), Some(false));
    assert_eq!(env.refresh(&refresh).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_dropped_refresh_was_processed_and_its_token_is_spent() {
    let env = Env::new().await;
    let tokens = env.tokens("wallet:accounts:read,offline_access").await;
    let refresh = tokens.refresh.unwrap();
    env.sandbox.inject_fault("POST", "/oauth2/token", Fault::DropAfterProcessing, Times::Next(1));
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let outcome = async {
        let response = env.http.post(env.url("/oauth2/token")).form(&form).send().await?;
        response.text().await
    }
    .await;
    assert!(outcome.is_err(), "the client read an answer: {outcome:?}");
    assert_eq!(env.sandbox.stats().refreshes, 1);
    assert_eq!(env.sandbox.stats().token_answers_dropped, 1);
    assert_eq!(env.sandbox.refresh_token_spent(&refresh), Some(true));
    // A refused refresh whose answer is dropped issued nothing: not counted.
    env.sandbox.inject_fault("POST", "/oauth2/token", Fault::DropAfterProcessing, Times::Next(1));
    let dropped_refusal = env.http.post(env.url("/oauth2/token")).form(&form).send().await;
    assert!(dropped_refusal.is_err() || dropped_refusal.unwrap().text().await.is_err());
    assert_eq!(env.sandbox.stats().token_answers_dropped, 1);
    let (_, body) = env.refresh(&refresh).await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_dropped_send_happened_once_and_its_replay_returns_it() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let send = "wallet:accounts:read,wallet:transactions:send,wallet:transactions:send:bypass-2fa";
    let tokens = env.tokens_with(send, SEND_META).await;
    let path = format!("/v2/accounts/{usd}/transactions");
    let route = "/v2/accounts/{account}/transactions";
    env.sandbox.inject_fault("POST", route, Fault::DropAfterProcessing, Times::Next(1));
    let body = json!({ "type": "send", "to": "a@b.example", "amount": "5.00", "currency": "USD", "idem": "drop-1" });
    let dropped = async {
        let response =
            env.http.post(env.url(&path)).bearer_auth(&tokens.access).json(&body).send().await?;
        response.text().await
    }
    .await;
    assert!(dropped.is_err());
    let (status, replay) = env.api(Method::POST, &path, &tokens.access, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{replay}");
    let sends: Vec<_> = env.sandbox.ledger().into_iter().filter(|tx| tx.kind == "send").collect();
    assert_eq!(sends.len(), 1);
    assert_eq!(replay["data"]["id"].as_str(), Some(sends[0].id.as_str()));
}
