//! `/payment_methods`: Advanced Trade's view of the user's payment methods
//! (the v2 ones, in v3's shape: no envelope, `payment_methods` or
//! `payment_method` as the key).

use axum::extract::Path;
use axum::response::Response;
use serde_json::{Value, json};

use crate::api::Api;
use crate::wire::{ApiError, timestamp};
use crate::world::PaymentMethod;

const SCOPE: &str = "wallet:payment-methods:read";

fn method_json(method: &PaymentMethod) -> Value {
    let bank = method.account_id.is_none();
    json!({
        "id": method.id,
        "type": method.kind,
        "name": method.name,
        "currency": method.currency,
        "verified": true,
        "allow_buy": true,
        "allow_sell": true,
        "allow_deposit": bank,
        "allow_withdraw": bank,
        "created_at": timestamp(method.created_at),
        "updated_at": timestamp(method.created_at),
    })
}

/// `GET /payment_methods`
pub(crate) async fn list(api: Api) -> Response {
    api.call_v3(SCOPE, |world, caller| {
        let mut methods: Vec<&PaymentMethod> =
            world.payment_methods.values().filter(|m| m.user_id == caller.user_id()).collect();
        methods.sort_by_key(|method| method.seq);
        let methods: Vec<Value> = methods.into_iter().map(method_json).collect();
        Ok(json!({ "payment_methods": methods }))
    })
}

/// `GET /payment_methods/:payment_method_id`
pub(crate) async fn show(api: Api, Path(id): Path<String>) -> Response {
    api.call_v3(SCOPE, |world, caller| {
        let method = world
            .payment_methods
            .get(&id)
            .filter(|method| method.user_id == caller.user_id())
            .ok_or_else(|| ApiError::not_found("Payment method"))?;
        Ok(json!({ "payment_method": method_json(method) }))
    })
}
