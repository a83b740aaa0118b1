//! Brokerage accounts and portfolios (`wallet:accounts:read`), and the
//! transaction summary (`wallet:transactions:read`).

use axum::extract::Path;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{amount, page, shown};
use crate::api::{Api, Caller};
use crate::wire::{ApiError, timestamp};
use crate::world::market::{MAKER_FEE, TAKER_FEE};
use crate::world::{Account, World, convert, is_fiat};

fn account_json(world: &mut World, account: &Account) -> Value {
    let portfolio = world.portfolio_of(&account.user_id);
    let held = world.held(&account.id);
    json!({
        "uuid": account.id,
        "name": account.name,
        "currency": account.currency,
        "available_balance": amount(account.balance - held, &account.currency),
        "default": account.primary,
        "active": true,
        "created_at": timestamp(account.created_at),
        "updated_at": timestamp(account.updated_at),
        "deleted_at": null,
        "type": if is_fiat(&account.currency) { "ACCOUNT_TYPE_FIAT" } else { "ACCOUNT_TYPE_CRYPTO" },
        "ready": true,
        "hold": amount(held, &account.currency),
        "retail_portfolio_id": portfolio,
    })
}

fn accounts_of(world: &World, caller: &Caller) -> Vec<Account> {
    let mut accounts: Vec<Account> = world
        .accounts
        .values()
        .filter(|account| caller.authorization.can_access(account))
        .cloned()
        .collect();
    accounts.sort_by_key(|account| account.seq);
    accounts
}

/// `GET /accounts`
pub(crate) async fn list(api: Api) -> Response {
    api.call_v3("wallet:accounts:read", |world, caller| {
        let accounts = accounts_of(world, caller);
        let items = accounts.iter().map(|account| account_json(world, account)).collect();
        let (accounts, has_next, cursor) = page(&api.query, items, 49, 250)?;
        Ok(json!({ "size": accounts.len(), "accounts": accounts, "has_next": has_next, "cursor": cursor }))
    })
}

/// `GET /accounts/:account_uuid`
pub(crate) async fn show(api: Api, Path(id): Path<String>) -> Response {
    api.call_v3("wallet:accounts:read", |world, caller| {
        let account = accounts_of(world, caller)
            .into_iter()
            .find(|account| account.id == id)
            .ok_or_else(|| ApiError::not_found("Account"))?;
        Ok(json!({ "account": account_json(world, &account) }))
    })
}

fn portfolio_json(world: &mut World, caller: &Caller) -> Value {
    let uuid = world.portfolio_of(caller.user_id());
    json!({ "name": "Default", "uuid": uuid, "type": "DEFAULT", "deleted": false })
}

/// `GET /portfolios`: each user has one, the default.
pub(crate) async fn portfolios(api: Api) -> Response {
    api.call_v3("wallet:accounts:read", |world, caller| {
        Ok(json!({ "portfolios": [portfolio_json(world, caller)] }))
    })
}

/// `GET /portfolios/:portfolio_uuid`: the portfolio's breakdown.
pub(crate) async fn portfolio(api: Api, Path(id): Path<String>) -> Response {
    api.call_v3("wallet:accounts:read", |world, caller| {
        let portfolio = portfolio_json(world, caller);
        if portfolio["uuid"] != id.as_str() {
            return Err(ApiError::not_found("Portfolio"));
        }
        let accounts = accounts_of(world, caller);
        let usd = |account: &Account| convert(account.balance, &account.currency, "USD").unwrap_or_default();
        let total: Decimal = accounts.iter().map(usd).sum();
        let cash: Decimal = accounts.iter().filter(|a| is_fiat(&a.currency)).map(usd).sum();
        let positions: Vec<Value> = accounts
            .iter()
            .map(|account| {
                json!({
                    "asset": account.currency,
                    "account_uuid": account.id,
                    "total_balance_fiat": usd(account).to_string().parse::<f64>().unwrap_or_default(),
                    "total_balance_crypto": account.balance.to_string().parse::<f64>().unwrap_or_default(),
                    "is_cash": is_fiat(&account.currency),
                    "cost_basis": amount(usd(account), "USD"),
                })
            })
            .collect();
        Ok(json!({
            "breakdown": {
                "portfolio": portfolio,
                "portfolio_balances": {
                    "total_balance": amount(total, "USD"),
                    "total_cash_equivalent_balance": amount(cash, "USD"),
                    "total_crypto_balance": amount(total - cash, "USD"),
                },
                "spot_positions": positions,
                "perp_positions": [],
                "futures_positions": [],
            }
        }))
    })
}

/// `GET /transaction_summary`: volume and fees over the user's fills, and
/// the fee tier they pay.
pub(crate) async fn transaction_summary(api: Api) -> Response {
    api.call_v3("wallet:transactions:read", |world, caller| {
        let fills = world.fills.iter().filter(|fill| fill.user_id == caller.user_id());
        let (mut volume, mut fees) = (Decimal::ZERO, Decimal::ZERO);
        for fill in fills {
            let quote = fill.product_id.rsplit('-').next().unwrap_or("USD");
            volume += convert(fill.price * fill.size, quote, "USD").unwrap_or_default();
            fees += convert(fill.commission, quote, "USD").unwrap_or_default();
        }
        // Coinbase writes these two as JSON numbers.
        let number =
            |value: Decimal| value.round_dp(2).to_string().parse::<f64>().unwrap_or_default();
        Ok(json!({
            "total_volume": number(volume),
            "total_fees": number(fees),
            "fee_tier": {
                "pricing_tier": "Advanced 1",
                "usd_from": "0",
                "usd_to": "1000",
                "taker_fee_rate": shown(TAKER_FEE, 4),
                "maker_fee_rate": shown(MAKER_FEE, 4),
                "aop_from": "",
                "aop_to": "",
            },
            "margin_rate": null,
            "goods_and_services_tax": null,
            "advanced_trade_only_volume": number(volume),
            "advanced_trade_only_fees": number(fees),
            "coinbase_pro_volume": 0,
            "coinbase_pro_fees": 0,
            "total_balance": "",
            "has_promo_fee": false,
        }))
    })
}
