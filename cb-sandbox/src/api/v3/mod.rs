//! The Advanced Trade API (`/api/v3/brokerage`): orders, products, brokerage
//! accounts and portfolios, payment methods, and Convert. Each route is gated by the scope
//! Coinbase's "Advanced Trade Scope & Permissions" table gives it; answers
//! have v3's shapes (no `data` envelope, `cursor`/`has_next` pages, errors
//! as `{"error", "error_details", "message"}`).

pub(crate) mod accounts;
pub(crate) mod convert;
pub(crate) mod orders;
pub(crate) mod payment_methods;
pub(crate) mod products;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::wire::{ApiError, Params};
use crate::world::market::decimals;

/// A v3 amount: `{"value": "1.23", "currency": "USD"}`.
pub(crate) fn amount(value: Decimal, currency: &str) -> Value {
    json!({ "value": shown(value, decimals(currency)), "currency": currency })
}

/// A decimal as Advanced Trade writes it: a string, with `dp` decimals.
pub(crate) fn shown(value: Decimal, dp: u32) -> String {
    let mut value = value.round_dp(dp);
    value.rescale(dp);
    value.to_string()
}

/// A decimal string of a request body; `None` when absent.
pub(crate) fn decimal(body: &Value, name: &str) -> Result<Option<Decimal>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => text
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| ApiError::validation(format!("{name} must be a decimal string"))),
        Some(_) => Err(ApiError::validation(format!("{name} must be a decimal string"))),
    }
}

/// One page of `items` by v3's cursor: an offset into the list, `limit`
/// items at most (`default` when not given, `max` at most).
pub(crate) fn page(
    query: &Params,
    items: Vec<Value>,
    default: usize,
    max: usize,
) -> Result<(Vec<Value>, bool, String), ApiError> {
    let param = |name| query.one(name).map_err(ApiError::validation);
    let limit = match param("limit")? {
        None => default,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=max).contains(limit))
            .ok_or_else(|| ApiError::validation(format!("limit must be between 1 and {max}")))?,
    };
    let start = match param("cursor")? {
        None | Some("") => 0,
        Some(cursor) => cursor
            .parse::<usize>()
            .ok()
            .filter(|start| *start <= items.len())
            .ok_or_else(|| ApiError::validation("Unknown cursor"))?,
    };
    let end = (start + limit).min(items.len());
    let has_next = end < items.len();
    let cursor = if has_next { end.to_string() } else { String::new() };
    let page = items.into_iter().skip(start).take(end - start).collect();
    Ok((page, has_next, cursor))
}
