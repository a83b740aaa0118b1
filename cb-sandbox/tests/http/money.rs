//! Sending money: two-factor challenges, `idem`, send limits and balances
//! that add up; and buys, sells, deposits, withdrawals and requests.

use std::collections::BTreeMap;
use std::time::Duration;

use cb_sandbox::{SandboxConfig, TransactionKind, TwoFactorStatus};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::*;

const PAYOUTS: &str = "wallet:accounts:read,wallet:transactions:read,wallet:transactions:send";

fn send_body(to: &str, amount: &str, idem: &str) -> Value {
    json!({ "type": "send", "to": to, "amount": amount, "currency": "USD", "idem": idem })
}

/// Sends, answering the two-factor challenge with the code the sandbox
/// issued; returns the final answer.
async fn send_with_2fa(env: &Env, token: &str, account: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/v2/accounts/{account}/transactions");
    let (status, reply) = env.api(Method::POST, &path, token, Some(body.clone())).await;
    if error_id(&reply) != "two_factor_required" {
        return (status, reply);
    }
    let code = env.sandbox.two_factor_code(&env.user).unwrap();
    let headers = [("CB-VERSION", "2024-01-01"), ("CB-2FA-TOKEN", code.as_str())];
    env.api_with(Method::POST, &path, token, Some(body), &headers).await
}

/// Balances plus what left the sandbox sum to zero in every currency.
fn assert_money_is_conserved(env: &Env, users: &[&str]) {
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    for user in users {
        for account in env.sandbox.accounts(user) {
            *totals.entry(account.currency).or_default() += account.balance;
        }
    }
    for (currency, amount) in env.sandbox.outside_balances() {
        *totals.entry(currency).or_default() += amount;
    }
    for (currency, total) in totals {
        assert!(total.is_zero(), "{currency} does not add up: {total}");
    }
    // And every balance is the sum of its account's transactions.
    for user in users {
        for account in env.sandbox.accounts(user) {
            let sum: Decimal = env
                .sandbox
                .ledger()
                .iter()
                .filter(|tx| tx.account_id == account.id)
                .filter(|tx| !(tx.kind == "request" && tx.status != "completed"))
                .map(|tx| tx.amount)
                .sum();
            assert_eq!(sum, account.balance, "{}", account.name);
        }
    }
}

#[tokio::test]
async fn a_send_needs_the_identical_request_replayed_with_the_2fa_code() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let tokens = env.tokens_with(PAYOUTS, SEND_META).await;
    let path = format!("/v2/accounts/{usd}/transactions");
    let body = send_body("friend@example.com", "10.00", "0b6a2f8e-6a36-4d5e-9a1d-7f3c1b2a9e11");

    let (status, reply) = env.api(Method::POST, &path, &tokens.access, Some(body.clone())).await;
    assert_eq!((status, error_id(&reply)), (StatusCode::PAYMENT_REQUIRED, "two_factor_required"));
    let code = env.sandbox.two_factor_code(&env.user).unwrap();

    // A different request with the code is challenged again.
    let other = send_body("friend@example.com", "11.00", "0b6a2f8e-6a36-4d5e-9a1d-7f3c1b2a9e12");
    let headers = [("CB-2FA-TOKEN", code.as_str())];
    let (status, _) =
        env.api_with(Method::POST, &path, &tokens.access, Some(other), &headers).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);

    let (status, reply) = send_with_2fa(&env, &tokens.access, &usd, body).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["data"]["status"], "pending");
    assert_eq!(reply["data"]["amount"], json!({ "amount": "-10.00", "currency": "USD" }));
    let sends: Vec<_> = env.sandbox.ledger().into_iter().filter(|tx| tx.kind == "send").collect();
    assert_eq!(sends.len(), 1);

    // Sends are asynchronous: a second later the send has completed.
    env.sandbox.advance(Duration::from_secs(1));
    let id = reply["data"]["id"].as_str().unwrap();
    let (_, shown) = env.get(&format!("{path}/{id}"), &tokens.access).await;
    assert_eq!(shown["data"]["status"], "completed");
    assert_money_is_conserved(&env, &[&env.user]);
}

#[tokio::test]
async fn the_two_factor_status_can_be_400() {
    let mut config = SandboxConfig::default();
    config.two_factor_status = TwoFactorStatus::BadRequest;
    let env = Env::with(config).await;
    let usd = env.account("USD");
    let tokens = env.tokens_with(PAYOUTS, SEND_META).await;
    let path = format!("/v2/accounts/{usd}/transactions");
    let (status, reply) = env
        .api(Method::POST, &path, &tokens.access, Some(send_body("a@b.example", "1.00", "i-1")))
        .await;
    assert_eq!((status, error_id(&reply)), (StatusCode::BAD_REQUEST, "two_factor_required"));
}

#[tokio::test]
async fn the_same_idem_returns_the_same_transaction_and_never_debits_twice() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let tokens = env.tokens_with(PAYOUTS, SEND_META).await;
    let body = send_body("friend@example.com", "25.00", "idem-1");
    let (_, first) = send_with_2fa(&env, &tokens.access, &usd, body.clone()).await;
    let (status, again) = send_with_2fa(&env, &tokens.access, &usd, body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(first["data"]["id"], again["data"]["id"]);
    let balance =
        env.sandbox.accounts(&env.user).into_iter().find(|a| a.id == usd).unwrap().balance;
    assert_eq!(balance, Decimal::new(97_500, 2));

    // The same idem for another request is refused.
    let path = format!("/v2/accounts/{usd}/transactions");
    let (status, reply) = env
        .api(
            Method::POST,
            &path,
            &tokens.access,
            Some(send_body("friend@example.com", "26.00", "idem-1")),
        )
        .await;
    assert_eq!((status, error_id(&reply)), (StatusCode::BAD_REQUEST, "invalid_request"));
}

#[tokio::test]
async fn the_send_limit_holds_per_period() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let btc = env.account("BTC");
    let tokens = env.tokens_with(&format!("{PAYOUTS},offline_access"), SEND_META).await;
    let (status, _) =
        send_with_2fa(&env, &tokens.access, &usd, send_body("a@x.example", "60.00", "l-1")).await;
    assert_eq!(status, StatusCode::CREATED);
    // 60 + 50 > 100 USD a day, whatever the account's currency.
    let btc_send = json!({ "type": "send", "to": "a@x.example", "amount": "50.00", "currency": "USD", "idem": "l-2" });
    let (status, reply) = send_with_2fa(&env, &tokens.access, &btc, btc_send.clone()).await;
    assert_eq!(
        (status, error_id(&reply)),
        (StatusCode::BAD_REQUEST, "send_limit_exceeded"),
        "{reply}"
    );
    assert!(reply["errors"][0]["message"].as_str().unwrap().contains("Send limit exceeded"));
    // The next day the same authorization, refreshed, may send again.
    env.sandbox.advance(Duration::from_secs(24 * 3600));
    let tokens = Tokens::from(env.refresh(tokens.refresh.as_ref().unwrap()).await.1);
    let (status, reply) = send_with_2fa(&env, &tokens.access, &btc, btc_send).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_money_is_conserved(&env, &[&env.user]);
}

#[tokio::test]
async fn money_sent_to_another_sandbox_user_arrives() {
    let env = Env::new().await;
    let friend = env.sandbox.add_user("Friend", "friend@sandbox.example");
    let usd = env.account("USD");
    let tokens = env.tokens_with(PAYOUTS, SEND_META).await;
    let (status, _) = send_with_2fa(
        &env,
        &tokens.access,
        &usd,
        send_body("friend@sandbox.example", "40.00", "f-1"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let received = env.sandbox.accounts(&friend);
    assert_eq!(
        (received[0].currency.as_str(), received[0].balance),
        ("USD", Decimal::new(4000, 2))
    );
    let (status, reply) = send_with_2fa(
        &env,
        &tokens.access,
        &usd,
        send_body("friend@sandbox.example", "2000.00", "f-2"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
    assert_money_is_conserved(&env, &[&env.user, &friend]);
}

#[tokio::test]
async fn trades_move_money_on_commit_and_everything_adds_up() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let btc = env.account("BTC");
    let scopes = "wallet:payment-methods:read,wallet:buys:create,wallet:sells:create,wallet:deposits:create,\
                  wallet:withdrawals:create,wallet:transactions:transfer,wallet:transactions:request";
    let tokens = env.tokens(scopes).await;
    let (_, methods) = env.get("/v2/payment-methods", &tokens.access).await;
    let method = |kind: &str| {
        methods["data"].as_array().unwrap().iter().find(|m| m["type"] == kind).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (wallet, bank) = (method("fiat_account"), method("ach_bank_account"));
    let post = |path: String, body: Value| {
        let env = &env;
        let token = tokens.access.clone();
        async move { env.api(Method::POST, &path, &token, Some(body)).await }
    };

    // A buy placed uncommitted moves nothing until committed.
    let (status, buy) = post(
        format!("/v2/accounts/{btc}/buys"),
        json!({ "amount": "600.00", "currency": "USD", "payment_method": wallet, "commit": false }),
    )
    .await;
    assert_eq!((status, buy["data"]["status"].as_str()), (StatusCode::CREATED, Some("created")));
    assert_eq!(buy["data"]["amount"], json!({ "amount": "0.01000000", "currency": "BTC" }));
    let id = buy["data"]["id"].as_str().unwrap();
    let (status, committed) = post(format!("/v2/accounts/{btc}/buys/{id}/commit"), json!({})).await;
    assert_eq!((status, committed["data"]["status"].as_str()), (StatusCode::OK, Some("completed")));
    let (status, _) = post(format!("/v2/accounts/{btc}/buys/{id}/commit"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _) = post(
        format!("/v2/accounts/{btc}/sells"),
        json!({ "amount": "0.005", "currency": "BTC", "payment_method": bank }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = post(
        format!("/v2/accounts/{usd}/deposits"),
        json!({ "amount": "50.00", "currency": "USD", "payment_method": bank }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = post(
        format!("/v2/accounts/{usd}/withdrawals"),
        json!({ "amount": "5000.00", "currency": "USD", "payment_method": bank }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "more than the balance");

    let balances: BTreeMap<String, Decimal> =
        env.sandbox.accounts(&env.user).into_iter().map(|a| (a.currency, a.balance)).collect();
    assert_eq!(balances["USD"], Decimal::new(45_000, 2), "1000 - 600 + 50");
    assert_eq!(balances["BTC"], Decimal::new(505, 3), "0.5 + 0.01 - 0.005");

    // A money request moves nothing until completed; a canceled one never.
    let request = json!({ "type": "request", "to": "payer@example.com", "amount": "20.00", "currency": "USD" });
    let (_, first) = post(format!("/v2/accounts/{usd}/transactions"), request.clone()).await;
    let (_, second) = post(format!("/v2/accounts/{usd}/transactions"), request).await;
    let first = first["data"]["id"].as_str().unwrap().to_owned();
    let second = second["data"]["id"].as_str().unwrap().to_owned();
    let (status, done) =
        post(format!("/v2/accounts/{usd}/transactions/{first}/complete"), json!({})).await;
    assert_eq!((status, done["data"]["status"].as_str()), (StatusCode::OK, Some("completed")));
    let (status, _) =
        post(format!("/v2/accounts/{usd}/transactions/{second}/resend"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let path = format!("/v2/accounts/{usd}/transactions/{second}");
    assert_eq!(
        env.api(Method::DELETE, &path, &tokens.access, None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        env.api(Method::DELETE, &path, &tokens.access, None).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_money_is_conserved(&env, &[&env.user]);
}

#[tokio::test]
async fn amounts_are_decimal_strings_never_floats() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let tokens = env.tokens_with(PAYOUTS, SEND_META).await;
    let path = format!("/v2/accounts/{usd}/transactions");
    let body = json!({ "type": "send", "to": "a@b.example", "amount": 10.5, "currency": "USD" });
    let (status, reply) = env.api(Method::POST, &path, &tokens.access, Some(body)).await;
    assert_eq!((status, error_id(&reply)), (StatusCode::BAD_REQUEST, "validation_error"));
    let (_, accounts) = env.get("/v2/accounts", &tokens.access).await;
    for account in accounts["data"].as_array().unwrap() {
        assert!(account["balance"]["amount"].is_string(), "{account}");
    }
}

#[tokio::test]
async fn amounts_out_of_decimal_range_are_refused_whole_and_the_sandbox_goes_on() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let scopes = "wallet:payment-methods:read,wallet:deposits:create,wallet:transactions:request";
    let tokens = env.tokens(scopes).await;
    let (_, methods) = env.get("/v2/payment-methods", &tokens.access).await;
    let bank = methods["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "ach_bank_account")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let huge = Decimal::MAX.to_string();
    let ledger = env.sandbox.ledger().len();

    let deposit = json!({ "amount": huge, "currency": "USD", "payment_method": bank });
    let (status, reply) = env
        .api(Method::POST, &format!("/v2/accounts/{usd}/deposits"), &tokens.access, Some(deposit))
        .await;
    assert_eq!(
        (status, error_id(&reply)),
        (StatusCode::BAD_REQUEST, "validation_error"),
        "{reply}"
    );

    let request =
        json!({ "type": "request", "to": "payer@example.com", "amount": huge, "currency": "USD" });
    let (status, created) = env
        .api(
            Method::POST,
            &format!("/v2/accounts/{usd}/transactions"),
            &tokens.access,
            Some(request),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap();
    let path = format!("/v2/accounts/{usd}/transactions/{id}/complete");
    // The outside world has paid in 1000 USD already: paying MAX more
    // would overflow its total.
    let (status, reply) = env.api(Method::POST, &path, &tokens.access, Some(json!({}))).await;
    assert_eq!(
        (status, error_id(&reply)),
        (StatusCode::BAD_REQUEST, "validation_error"),
        "{reply}"
    );

    // Nothing half-made, money still adds up, and the next request works.
    assert_eq!(env.sandbox.ledger().len(), ledger + 1, "only the pending request was recorded");
    let balance =
        env.sandbox.accounts(&env.user).into_iter().find(|a| a.currency == "USD").unwrap();
    assert_eq!(balance.balance, Decimal::new(100_000, 2));
    assert_money_is_conserved(&env, &[&env.user]);
    let (status, _) = env.get("/v2/payment-methods", &tokens.access).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn seeded_transactions_arrive_in_bulk_and_the_ledger_filters_by_account_and_kind() {
    let env = Env::new().await;
    let usd = env.account("USD");
    let btc = env.account("BTC");
    let before = env.sandbox.ledger_of(&usd, Some(TransactionKind::Receive)).len();
    let ids = env.sandbox.seed_transactions(&usd, 125);
    assert_eq!(ids.len(), 125);
    let receives = env.sandbox.ledger_of(&usd, Some(TransactionKind::Receive));
    assert_eq!(receives.len(), before + 125);
    assert!(receives.iter().all(|entry| entry.account_id == usd && entry.kind == "receive"));
    assert!(
        env.sandbox
            .ledger_of(&btc, Some(TransactionKind::Receive))
            .iter()
            .all(|e| e.account_id == btc)
    );
    assert_eq!(
        env.sandbox.ledger_of(&usd, None).len(),
        env.sandbox.ledger().iter().filter(|e| e.account_id == usd).count()
    );
    let balance = env.sandbox.accounts(&env.user).into_iter().find(|a| a.id == usd).unwrap();
    assert_eq!(balance.balance, Decimal::new(100_125, 2), "1000.00 + 125 x 0.01");
    assert_money_is_conserved(&env, &[&env.user]);
    // The API lists them, page by page.
    let tokens = env.tokens("wallet:transactions:read").await;
    let (status, page) =
        env.get(&format!("/v2/accounts/{usd}/transactions?limit=100"), &tokens.access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["data"].as_array().unwrap().len(), 100);
    assert!(env.sandbox.seed_transactions("no-such-account", 3).is_empty());
}
