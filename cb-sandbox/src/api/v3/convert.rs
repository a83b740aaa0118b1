//! Convert: a quote (`wallet:trades:create`), its commit
//! (`wallet:trades:create`), and the trade read back (`wallet:trades:read`).

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{amount, decimal, shown};
use crate::api::{Api, Caller};
use crate::wire::{ApiError, json_body, string_param};
use crate::world::World;
use crate::world::market::ConvertTrade;

fn trade_json(trade: &ConvertTrade) -> Value {
    let rate =
        if trade.amount.is_zero() { trade.total } else { trade.total / (trade.amount - trade.fee) };
    let fee = json!({
        "title": "Convert fee",
        "description": "The sandbox's fee: 1% of the amount converted",
        "amount": amount(trade.fee, &trade.from_currency),
        "label": "Fee",
    });
    let ledger = |account: &str, currency: &str| {
        json!({
            "type": "LEDGER_ACCOUNT",
            "network": "internal",
            "ledger_account": { "account_id": account, "currency": currency, "owner": { "user_uuid": trade.user_id } },
        })
    };
    json!({
        "id": trade.id,
        "status": trade.status,
        "user_entered_amount": amount(trade.amount, &trade.from_currency),
        "amount": amount(trade.total, &trade.to_currency),
        "subtotal": amount(trade.amount - trade.fee, &trade.from_currency),
        "total": amount(trade.amount, &trade.from_currency),
        "fees": [fee.clone()],
        "total_fee": fee,
        "source": ledger(&trade.from_account, &trade.from_currency),
        "target": ledger(&trade.to_account, &trade.to_currency),
        "unit_price": {
            "target_to_source": { "value": shown(rate, 8), "currency": trade.to_currency },
        },
        "user_warnings": [],
        "user_reference": trade.user_id,
        "source_currency": trade.from_currency,
        "target_currency": trade.to_currency,
        "source_id": trade.from_account,
        "target_id": trade.to_account,
        "exchange_rate": { "value": shown(rate, 8), "currency": trade.to_currency },
        "cancellation_reason": null,
        "expires_at": crate::wire::timestamp(trade.expires_at),
    })
}

fn refused(message: &'static str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
}

/// The caller's trade `id`, between the accounts the request names.
fn own_trade<'w>(
    world: &'w World,
    caller: &Caller,
    id: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<&'w ConvertTrade, ApiError> {
    world
        .convert_trades
        .get(id)
        .filter(|trade| trade.user_id == caller.user_id())
        .filter(|trade| from.is_none_or(|from| from == trade.from_account))
        .filter(|trade| to.is_none_or(|to| to == trade.to_account))
        .ok_or_else(|| ApiError::not_found("Trade"))
}

/// The `from_account` and `to_account` a Convert body names.
fn accounts_of(body: &Value) -> Result<(&str, &str), ApiError> {
    let account = |name| string_param(body, name).ok_or_else(|| ApiError::param_required(name));
    Ok((account("from_account")?, account("to_account")?))
}

/// `POST /convert/quote`
pub(crate) async fn quote(api: Api, body: Bytes) -> Response {
    api.call_v3("wallet:trades:create", |world, caller| {
        let body = json_body(&body)?;
        let (from, to) = accounts_of(&body)?;
        let value = decimal(&body, "amount")?.ok_or_else(|| ApiError::param_required("amount"))?;
        for account in [from, to] {
            if !world.accounts.get(account).is_some_and(|a| caller.authorization.can_access(a)) {
                return Err(ApiError::not_found("Account"));
            }
        }
        let trade = world.convert_quote(caller.user_id(), from, to, value).map_err(refused)?;
        Ok(json!({ "trade": trade_json(&trade) }))
    })
}

/// `POST /convert/trade/:trade_id`: commits once; a second commit answers
/// the completed trade and moves nothing.
pub(crate) async fn commit(api: Api, Path(id): Path<String>, body: Bytes) -> Response {
    api.call_v3("wallet:trades:create", |world, caller| {
        let body = json_body(&body)?;
        let (from, to) = accounts_of(&body)?;
        own_trade(world, caller, &id, Some(from), Some(to))?;
        let trade = world.commit_convert(&id).map_err(refused)?;
        Ok(json!({ "trade": trade_json(&trade) }))
    })
}

/// `GET /convert/trade/:trade_id`
pub(crate) async fn show(api: Api, Path(id): Path<String>) -> Response {
    api.call_v3("wallet:trades:read", |world, caller| {
        let from = api.query.one("from_account").map_err(ApiError::validation)?;
        let to = api.query.one("to_account").map_err(ApiError::validation)?;
        Ok(json!({ "trade": trade_json(own_trade(world, caller, &id, from, to)?) }))
    })
}
