//! Advanced Trade and Convert against the sandbox: every method refused by
//! Coinbase without its scope and answered with it, the scope the sandbox
//! recorded for each route equal to the method's declaration, the order
//! flow (market, limit, stop-limit, edits, cancels, close), typed
//! refusals, Convert, and creates and commits whose answers were lost.

use std::collections::HashMap;
use std::sync::Arc;

use cb_client::models::{
    AccountId, ConvertStatus, Granularity, Liquidity, OrderId, OrderStatus, PortfolioId, ProductId,
};
use cb_client::store::TokenStore as _;
use cb_client::{
    ClosePosition, Error, MemoryStore, NewOrder, OrderConfiguration, OrderRefusalReason, Side,
    StopDirection,
};
use cb_sandbox::{Fault, Times};
use cb_scopes::{ScopeSet, scopes};
use rust_decimal::Decimal;

use crate::support::*;

scopes! {
    /// Everything Advanced Trade and Convert need.
    pub(crate) struct Trading(
        wallet:accounts:read, wallet:buys:create, wallet:transactions:read, wallet:user:read,
        wallet:trades:create, wallet:trades:read
    );
    /// Seed 000's trading set: the Convert flow.
    pub(crate) struct ConvertFlow(wallet:accounts:read, wallet:trades:create, wallet:trades:read);
}

fn btc_usd() -> ProductId {
    ProductId::from("BTC-USD")
}

fn usd(amount: i64, scale: u32) -> Decimal {
    Decimal::new(amount, scale)
}

/// Balances plus what left the sandbox sum to zero in every currency.
fn money_adds_up(env: &Env) {
    let mut totals: HashMap<String, Decimal> = HashMap::new();
    for account in env.sandbox.ledger() {
        *totals.entry(account.currency).or_default() += account.amount;
    }
    for (currency, outside) in env.sandbox.outside_balances() {
        assert_eq!(
            totals.get(&currency).copied().unwrap_or_default() + outside,
            Decimal::ZERO,
            "{currency}"
        );
    }
}

fn balance(env: &Env, currency: &str) -> Decimal {
    env.sandbox
        .accounts(&env.user)
        .iter()
        .filter(|a| a.currency == currency)
        .map(|a| a.balance)
        .sum()
}

#[tokio::test]
async fn every_trading_method_is_refused_without_its_scope_naming_what_it_needs() {
    let env = Env::new().await;
    let store = Arc::new(MemoryStore::new());
    let oauth = env.builder().shared_store(store.clone()).build().unwrap();
    // Coinbase granted none of the trading scopes; the stored grant claims
    // them all, as when the user narrowed the authorization afterwards.
    env.connect::<scopes!(wallet:notifications:read)>(&oauth, "user-1", None).await.unwrap();
    let mut stored = store.load("user-1").await.unwrap().unwrap();
    stored.record.granted = <Trading as cb_scopes::DeclaredScopes>::SCOPES;
    store.save("user-1", &stored.record, Some(stored.version)).await.unwrap();
    let client = oauth.restore::<Trading>("user-1").await.unwrap();

    let portfolio = PortfolioId::from("p");
    let order = || {
        NewOrder::buy(
            "BTC-USD",
            OrderConfiguration::MarketBase { base_size: usd(1, 3) },
            &portfolio,
        )
    };
    let id = OrderId::from("o");
    let account = AccountId::from("a");
    let now = time::OffsetDateTime::now_utc();
    let needs = |text: &str| -> ScopeSet { text.parse().unwrap() };
    let outcomes: Vec<(&str, Result<(), Error>, ScopeSet)> = vec![
        ("create_order", client.create_order(order()).await.map(drop), needs("wallet:buys:create")),
        (
            "preview_order",
            client.preview_order(&order()).await.map(drop),
            needs("wallet:buys:create"),
        ),
        (
            "edit_order",
            client.edit_order(&id, usd(1, 0), usd(1, 0)).await,
            needs("wallet:buys:create"),
        ),
        (
            "preview_edit_order",
            client.preview_edit_order(&id, usd(1, 0), usd(1, 0)).await.map(drop),
            needs("wallet:buys:create"),
        ),
        (
            "cancel_orders",
            client.cancel_orders(std::slice::from_ref(&id)).await.map(drop),
            needs("wallet:buys:create"),
        ),
        (
            "close_position",
            client.close_position(ClosePosition::new("BTC-USD")).await.map(drop),
            needs("wallet:buys:create wallet:transactions:read"),
        ),
        ("orders", client.orders().page().await.map(drop), needs("wallet:transactions:read")),
        ("order", client.order(&id).await.map(drop), needs("wallet:transactions:read")),
        ("fills", client.fills().page().await.map(drop), needs("wallet:transactions:read")),
        (
            "transaction_summary",
            client.transaction_summary().await.map(drop),
            needs("wallet:transactions:read"),
        ),
        (
            "brokerage_accounts",
            client.brokerage_accounts().page().await.map(drop),
            needs("wallet:accounts:read"),
        ),
        (
            "brokerage_account",
            client.brokerage_account(&account).await.map(drop),
            needs("wallet:accounts:read"),
        ),
        ("portfolios", client.portfolios().await.map(drop), needs("wallet:accounts:read")),
        (
            "trading_portfolio",
            client.trading_portfolio().await.map(drop),
            needs("wallet:accounts:read"),
        ),
        ("portfolio", client.portfolio(&portfolio).await.map(drop), needs("wallet:accounts:read")),
        ("products", client.products().await.map(drop), needs("wallet:user:read")),
        ("product", client.product(&btc_usd()).await.map(drop), needs("wallet:user:read")),
        (
            "best_bid_ask",
            client.best_bid_ask(&[btc_usd()]).await.map(drop),
            needs("wallet:user:read"),
        ),
        (
            "product_book",
            client.product_book(&btc_usd()).await.map(drop),
            needs("wallet:user:read"),
        ),
        (
            "candles",
            client
                .candles(&btc_usd(), now - time::Duration::HOUR, now, Granularity::OneMinute)
                .await
                .map(drop),
            needs("wallet:user:read"),
        ),
        ("ticker", client.ticker(&btc_usd()).await.map(drop), needs("wallet:user:read")),
        (
            "convert_quote",
            client.convert_quote(&account, &account, usd(1, 0)).await.map(drop),
            needs("wallet:trades:create"),
        ),
        (
            "convert_trade",
            client.convert_trade(&"t".into(), &account, &account).await.map(drop),
            needs("wallet:trades:read"),
        ),
    ];
    assert_eq!(outcomes.len(), 23);
    for (method, outcome, expected) in outcomes {
        match outcome {
            Err(Error::ScopeRefused { needed, .. }) => assert_eq!(needed, expected, "{method}"),
            other => panic!("{method}: {other:?}"),
        }
    }
    // The scope the sandbox checked for each route is the one declared.
    for record in env.sandbox.requests().iter().filter(|r| r.route.starts_with("/api/v3/")) {
        let scope = record.required_scope.expect("every v3 route needs a scope");
        let expected = match record.route.trim_start_matches("/api/v3/brokerage") {
            "/orders"
            | "/orders/preview"
            | "/orders/edit"
            | "/orders/edit_preview"
            | "/orders/batch_cancel" => "wallet:buys:create",
            "/orders/close_position" => "wallet:buys:create|wallet:transactions:read",
            route if route.starts_with("/orders/historical") || route == "/transaction_summary" => {
                "wallet:transactions:read"
            }
            route if route.starts_with("/accounts") || route.starts_with("/portfolios") => {
                "wallet:accounts:read"
            }
            route if route.starts_with("/product") || route == "/best_bid_ask" => {
                "wallet:user:read"
            }
            "/convert/quote" => "wallet:trades:create",
            // The trade's GET and POST share a route.
            "/convert/trade/{trade}" if record.method == "GET" => "wallet:trades:read",
            "/convert/trade/{trade}" => "wallet:trades:create",
            route => panic!("unexpected route {route}"),
        };
        assert_eq!(scope, expected, "{} {}", record.method, record.route);
        assert_eq!(record.status, 403, "{} {}", record.method, record.route);
    }
}

#[tokio::test]
async fn orders_fill_rest_trigger_edit_cancel_and_close_with_money_adding_up() {
    let env = Env::new().await;
    let client = env.connect::<Trading>(&env.oauth(), "user-1", None).await.unwrap();
    let portfolio = client.trading_portfolio().await.unwrap();
    assert_eq!(portfolio.kind, "DEFAULT");
    let portfolios = client.portfolios().await.unwrap();
    assert_eq!(portfolios, std::slice::from_ref(&portfolio));

    // Market data.
    let products = client.products().await.unwrap();
    assert!(products.iter().any(|p| p.product_id == btc_usd() && p.base_currency_id == "BTC"));
    let btc = client.product(&btc_usd()).await.unwrap();
    assert_eq!(btc.price, usd(60_000, 0));
    assert_eq!(btc.quote_increment, usd(1, 2));
    let books = client.best_bid_ask(&[btc_usd()]).await.unwrap();
    assert_eq!(books.len(), 1);
    assert_eq!(books[0].bids[0].price, usd(5_999_999, 2));
    assert_eq!(books[0].asks[0].price, usd(6_000_001, 2));
    let book = client.product_book(&btc_usd()).limit(3).await.unwrap();
    assert_eq!(book.pricebook.bids.len(), 3);
    assert_eq!(book.spread_absolute, Some(usd(2, 2)));

    // A preview, then a market buy of 100 USD, which fills at once at the
    // ask, as a taker.
    let buy = NewOrder::buy(
        "BTC-USD",
        OrderConfiguration::MarketQuote { quote_size: usd(10_000, 2) },
        &portfolio.uuid,
    );
    let preview = client.preview_order(&buy).await.unwrap();
    assert!(
        preview.order_total <= usd(10_000, 2) && preview.commission_total > Decimal::ZERO,
        "{preview:?}"
    );
    let usd_before = balance(&env, "USD");
    let placed = client.create_order(buy.clone()).await.unwrap();
    assert_eq!(placed.client_order_id, buy.client_order_id());
    assert_eq!(placed.side, Side::Buy);
    let order = client.order(&placed.order_id).await.unwrap();
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.average_filled_price, Some(usd(6_000_001, 2)));
    assert_eq!(usd_before - balance(&env, "USD"), order.filled_value + order.total_fees);
    assert_eq!(order.total_fees, preview.commission_total);

    // A limit sell above the price rests, holding its BTC; an edit moves it;
    // the price crossing it fills it as a maker.
    let sell = NewOrder::sell(
        "BTC-USD",
        OrderConfiguration::LimitGtc {
            base_size: usd(1, 2),
            limit_price: usd(65_000, 0),
            post_only: true,
        },
        &portfolio.uuid,
    );
    let resting = client.create_order(sell).await.unwrap();
    let open = client.orders().status(OrderStatus::Open).all().await.unwrap();
    assert_eq!(open.iter().map(|o| &o.order_id).collect::<Vec<_>>(), [&resting.order_id]);
    assert!(matches!(
        open[0].order_configuration,
        Some(OrderConfiguration::LimitGtc { post_only: true, .. })
    ));
    let btc_account = client
        .brokerage_accounts()
        .all()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.currency == "BTC")
        .unwrap();
    assert_eq!(btc_account.hold.as_ref().unwrap().amount, usd(1, 2));
    assert_eq!(btc_account.retail_portfolio_id.as_ref(), Some(&portfolio.uuid));
    let one = client.brokerage_account(&btc_account.uuid).await.unwrap();
    assert_eq!(one, btc_account);
    let edit =
        client.preview_edit_order(&resting.order_id, usd(64_000, 0), usd(1, 2)).await.unwrap();
    assert_eq!(edit.order_total, usd(64_000, 2));
    client.edit_order(&resting.order_id, usd(64_000, 0), usd(1, 2)).await.unwrap();
    assert!(env.sandbox.set_price("BTC-USD", usd(63_000, 0)));
    assert_eq!(client.order(&resting.order_id).await.unwrap().status, OrderStatus::Open);
    assert!(env.sandbox.set_price("BTC-USD", usd(64_500, 0)));
    let sold = client.order(&resting.order_id).await.unwrap();
    assert_eq!(sold.status, OrderStatus::Filled);
    assert_eq!(sold.average_filled_price, Some(usd(64_000, 0)));

    // A stop-limit buy waits for its stop; a limit buy far below is
    // cancelled.
    let stop = NewOrder::buy(
        "BTC-USD",
        OrderConfiguration::StopLimitGtc {
            base_size: usd(1, 3),
            limit_price: usd(66_000, 0),
            stop_price: usd(65_500, 0),
            stop_direction: StopDirection::Up,
        },
        &portfolio.uuid,
    );
    let stop = client.create_order(stop).await.unwrap();
    assert_eq!(client.order(&stop.order_id).await.unwrap().status, OrderStatus::Open);
    env.sandbox.set_price("BTC-USD", usd(65_600, 0));
    assert_eq!(client.order(&stop.order_id).await.unwrap().status, OrderStatus::Filled);
    let low = NewOrder::buy(
        "BTC-USD",
        OrderConfiguration::LimitGtc {
            base_size: usd(1, 3),
            limit_price: usd(10_000, 0),
            post_only: false,
        },
        &portfolio.uuid,
    );
    let low = client.create_order(low).await.unwrap();
    let cancelled =
        client.cancel_orders(&[low.order_id.clone(), OrderId::from("nope")]).await.unwrap();
    assert!(cancelled[0].success && !cancelled[1].success, "{cancelled:?}");
    assert_eq!(client.order(&low.order_id).await.unwrap().status, OrderStatus::Cancelled);

    // Fills: the market buy as taker, the limit sell as maker.
    let fills = client.fills().all().await.unwrap();
    assert_eq!(fills.len(), 3);
    let sell_fill = client.fills().order(&resting.order_id).all().await.unwrap();
    assert_eq!(sell_fill.len(), 1);
    assert_eq!(sell_fill[0].liquidity_indicator, Liquidity::Maker);
    assert_eq!(sell_fill[0].commission, usd(256, 2), "0.40% of 640.00");
    let ticker = client.ticker(&btc_usd()).limit(2).await.unwrap();
    assert_eq!(ticker.trades.len(), 2);
    let now = env.sandbox.now();
    let candles = client
        .candles(
            &btc_usd(),
            now - time::Duration::HOUR,
            now + time::Duration::MINUTE,
            Granularity::OneHour,
        )
        .await
        .unwrap();
    assert!(candles.iter().any(|c| c.high >= usd(65_600, 0)), "{candles:?}");

    // Closing sells what is left of the position.
    let btc_left = balance(&env, "BTC");
    let closed =
        client.close_position(ClosePosition::new("BTC-USD").size(usd(1, 2))).await.unwrap();
    assert_eq!(closed.side, Side::Sell);
    assert_eq!(btc_left - balance(&env, "BTC"), usd(1, 2));

    let summary = client.transaction_summary().await.unwrap();
    assert!(
        summary.total_volume > usd(700, 0) && summary.total_fees > Decimal::ZERO,
        "{summary:?}"
    );
    assert_eq!(summary.fee_tier.taker_fee_rate, usd(60, 4));
    let breakdown = client.portfolio(&portfolio.uuid).await.unwrap();
    assert_eq!(breakdown.portfolio.uuid, portfolio.uuid);
    assert_eq!(breakdown.spot_positions.len(), 2);
    money_adds_up(&env);
}

#[tokio::test]
async fn refused_orders_are_typed_errors_and_move_nothing() {
    let env = Env::new().await;
    let client = env.connect::<Trading>(&env.oauth(), "user-1", None).await.unwrap();
    let portfolio = client.trading_portfolio().await.unwrap().uuid;
    let usd_before = balance(&env, "USD");
    fn refusal<T: std::fmt::Debug>(outcome: Result<T, Error>) -> OrderRefusalReason {
        match outcome {
            Err(Error::OrderRefused(refusal)) => refusal.reason,
            other => panic!("{other:?}"),
        }
    }
    let too_big = NewOrder::buy(
        "BTC-USD",
        OrderConfiguration::MarketBase { base_size: Decimal::ONE },
        &portfolio,
    );
    assert_eq!(
        refusal(client.create_order(too_big.clone()).await),
        OrderRefusalReason::InsufficientFunds
    );
    assert_eq!(
        refusal(client.preview_order(&too_big).await),
        OrderRefusalReason::InsufficientFunds
    );
    let crossing = NewOrder::buy(
        "BTC-USD",
        OrderConfiguration::LimitGtc {
            base_size: usd(1, 3),
            limit_price: usd(70_000, 0),
            post_only: true,
        },
        &portfolio,
    );
    assert_eq!(
        refusal(client.create_order(crossing).await),
        OrderRefusalReason::PostOnlyWouldCross
    );
    let unknown = NewOrder::buy(
        "DOGE-USD",
        OrderConfiguration::MarketBase { base_size: usd(1, 0) },
        &portfolio,
    );
    match client.create_order(unknown).await {
        Err(Error::OrderRefused(refusal)) => {
            assert_eq!(refusal.reason, OrderRefusalReason::UnknownProduct);
            assert_eq!(refusal.code, "INVALID_PRODUCT_ID");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        refusal(client.edit_order(&OrderId::from("nope"), usd(1, 0), usd(1, 0)).await),
        OrderRefusalReason::OrderNotFound
    );
    // An OAuth order must trade in the user's portfolio.
    let elsewhere = NewOrder::buy(
        "BTC-USD",
        OrderConfiguration::MarketBase { base_size: usd(1, 4) },
        &"other".into(),
    );
    let outcome = client.create_order(elsewhere).await;
    assert!(
        matches!(
            outcome,
            Err(Error::Api { status: cb_client::reqwest::StatusCode::BAD_REQUEST, .. })
        ),
        "{outcome:?}"
    );
    assert_eq!(balance(&env, "USD"), usd_before);
    assert!(client.orders().all().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_retried_into_one_order() {
    let env = Env::new().await;
    let client = env.connect::<Trading>(&env.oauth(), "user-1", None).await.unwrap();
    let portfolio = client.trading_portfolio().await.unwrap().uuid;
    let usd_before = balance(&env, "USD");
    env.sandbox.inject_fault(
        "POST",
        "/api/v3/brokerage/orders",
        Fault::DropAfterProcessing,
        Times::Next(1),
    );
    let buy = NewOrder::buy(
        "BTC-USD",
        OrderConfiguration::MarketQuote { quote_size: usd(5_000, 2) },
        &portfolio,
    );
    let placed = client.create_order(buy.clone()).await.unwrap();
    // The app retrying the same order itself places nothing either.
    let again = client.create_order(buy).await.unwrap();
    assert_eq!(again.order_id, placed.order_id);
    let orders = client.orders().all().await.unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(client.fills().all().await.unwrap().len(), 1);
    assert_eq!(usd_before - balance(&env, "USD"), orders[0].filled_value + orders[0].total_fees);
    let posts =
        env.sandbox.requests().iter().filter(|r| r.route == "/api/v3/brokerage/orders").count();
    assert_eq!(posts, 3, "the lost answer was retried once, then the app's own retry");
    money_adds_up(&env);
}

#[tokio::test]
async fn a_convert_quote_commits_once_even_when_its_answer_is_lost() {
    let env = Env::new().await;
    let usdc = AccountId::from(env.sandbox.add_account(&env.user, "USDC", Decimal::ZERO).as_str());
    let client = env.connect::<ConvertFlow>(&env.oauth(), "user-1", None).await.unwrap();
    let accounts = client.brokerage_accounts().all().await.unwrap();
    let dollars = accounts.iter().find(|a| a.currency == "USD").unwrap().uuid.clone();
    let quote = client.convert_quote(&dollars, &usdc, usd(2_000, 2)).await.unwrap();
    assert_eq!(quote.status, ConvertStatus::Created);
    assert_eq!(quote.user_entered_amount.amount, usd(2_000, 2));
    assert_eq!(quote.total.amount, usd(2_000, 2));
    assert_eq!(quote.total_fee.as_ref().unwrap().amount.amount, usd(20, 2));
    assert_eq!(quote.amount.amount, usd(1_980, 2));
    assert_eq!(quote.amount.currency, "USDC");
    assert_eq!(balance(&env, "USDC"), Decimal::ZERO, "a quote moves nothing");

    let route = "/api/v3/brokerage/convert/trade/{trade}";
    env.sandbox.inject_fault("POST", route, Fault::DropAfterProcessing, Times::Next(1));
    let done = client.commit_convert(&quote).await.unwrap();
    assert_eq!(done.status, ConvertStatus::Completed);
    let again = client.commit_convert(&quote).await.unwrap();
    assert_eq!(again.id, quote.id);
    assert_eq!(balance(&env, "USDC"), usd(1_980, 2));
    assert_eq!(balance(&env, "USD"), usd(98_000, 2));
    let read = client.convert_trade(&quote.id, &dollars, &usdc).await.unwrap();
    assert_eq!(read.status, ConvertStatus::Completed);
    assert_eq!(read.source_id, dollars);
    money_adds_up(&env);

    // A quote past its lifetime cannot be committed.
    let late = client.convert_quote(&dollars, &usdc, usd(100, 2)).await.unwrap();
    env.sandbox.advance(std::time::Duration::from_secs(31));
    assert!(matches!(
        client.commit_convert(&late).await,
        Err(Error::Api { status: cb_client::reqwest::StatusCode::BAD_REQUEST, .. })
    ));
}
