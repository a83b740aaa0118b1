//! The Advanced Trade routes as Coinbase answers them: v3's shapes, the
//! portfolio an OAuth spot order must name, `client_order_id`
//! deduplication, cursor pages, and malformed requests refused with
//! typed errors.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

const ORDER_SCOPES: &str = "wallet:accounts:read wallet:buys:create wallet:transactions:read";

fn market_buy(portfolio: Option<&str>, client_order_id: &str) -> Value {
    let mut body = json!({
        "client_order_id": client_order_id,
        "product_id": "BTC-USD",
        "side": "BUY",
        "order_configuration": { "market_market_ioc": { "quote_size": "10.00" } },
    });
    if let Some(portfolio) = portfolio {
        body["retail_portfolio_id"] = json!(portfolio);
    }
    body
}

#[tokio::test]
async fn an_oauth_spot_order_without_its_portfolio_is_refused_and_a_repeated_one_is_the_same() {
    let env = Env::new().await;
    let tokens = env.tokens(ORDER_SCOPES).await;
    let orders = "/api/v3/brokerage/orders";
    let (status, body) =
        env.api(Method::POST, orders, &tokens.access, Some(market_buy(None, "a"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "INVALID_ARGUMENT");
    assert!(body["message"].as_str().unwrap().contains("retail_portfolio_id"), "{body}");
    assert!(body.get("errors").is_none(), "v3's shape, not v2's: {body}");

    let (_, portfolios) = env.get("/api/v3/brokerage/portfolios", &tokens.access).await;
    let portfolio = portfolios["portfolios"][0]["uuid"].as_str().unwrap().to_owned();
    let (status, first) = env
        .api(Method::POST, orders, &tokens.access, Some(market_buy(Some(&portfolio), "b")))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["success"], true);
    let (_, again) = env
        .api(Method::POST, orders, &tokens.access, Some(market_buy(Some(&portfolio), "b")))
        .await;
    assert_eq!(again["success_response"]["order_id"], first["success_response"]["order_id"]);
    let (_, history) = env.get("/api/v3/brokerage/orders/historical/batch", &tokens.access).await;
    assert_eq!(history["orders"].as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history["has_next"], false);
    let usd = env.sandbox.accounts(&env.user).into_iter().find(|a| a.currency == "USD").unwrap();
    assert!(
        usd.balance < rust_decimal::Decimal::new(100_000, 2)
            && usd.balance > rust_decimal::Decimal::new(98_900, 2)
    );
}

#[tokio::test]
async fn a_missing_scope_is_a_v3_permission_error_and_malformed_orders_are_typed() {
    let env = Env::new().await;
    let tokens = env.tokens("wallet:user:read").await;
    let (status, body) = env.get("/api/v3/brokerage/accounts", &tokens.access).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "PERMISSION_DENIED");
    let (status, _) = env.get("/api/v3/brokerage/products/BTC-USD", &tokens.access).await;
    assert_eq!(status, StatusCode::OK);

    let tokens = env.tokens(ORDER_SCOPES).await;
    for configuration in [
        json!({}),
        json!({ "market_market_ioc": {} }),
        json!({ "limit_limit_gtc": { "base_size": 0.1, "limit_price": "1" } }),
        json!({ "bracket": {} }),
        json!({ "market_market_ioc": { "quote_size": "1" }, "limit_limit_gtc": {} }),
    ] {
        let body = json!({
            "client_order_id": "x", "product_id": "BTC-USD", "side": "BUY",
            "retail_portfolio_id": "p", "order_configuration": configuration,
        });
        let (_, portfolios) = env.get("/api/v3/brokerage/portfolios", &tokens.access).await;
        let mut body = body;
        body["retail_portfolio_id"] = portfolios["portfolios"][0]["uuid"].clone();
        let (status, answer) =
            env.api(Method::POST, "/api/v3/brokerage/orders", &tokens.access, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"], "INVALID_ARGUMENT", "{answer}");
    }
    let (status, body) =
        env.get("/api/v3/brokerage/orders/historical/batch?cursor=99", &tokens.access).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn lists_page_by_cursor_to_the_end() {
    let env = Env::new().await;
    for currency in ["ETH", "LTC", "USDC", "EUR", "GBP"] {
        env.sandbox.add_account(&env.user, currency, rust_decimal::Decimal::ZERO);
    }
    let tokens = env.tokens(ORDER_SCOPES).await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = env
            .get(&format!("/api/v3/brokerage/accounts?limit=3&cursor={cursor}"), &tokens.access)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for account in page["accounts"].as_array().unwrap() {
            seen.push(account["uuid"].as_str().unwrap().to_owned());
        }
        if page["has_next"] == false {
            assert_eq!(page["cursor"], "");
            break;
        }
        cursor = page["cursor"].as_str().unwrap().to_owned();
    }
    assert_eq!(seen.len(), 7);
    seen.dedup();
    assert_eq!(seen.len(), 7);
}
