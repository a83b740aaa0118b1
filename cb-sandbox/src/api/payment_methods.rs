//! `/v2/payment-methods` and `/v2/notifications`.

use axum::extract::Path;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Api, Caller};
use crate::wire::{ApiError, Item, Reply, money, timestamp};
use crate::world::{Notification, PaymentMethod};

const LIMITS_SCOPE: &str = "wallet:payment-methods:limits";

fn json(method: &PaymentMethod, caller: &Caller) -> Value {
    let bank = method.account_id.is_none();
    let mut json = json!({
        "id": method.id,
        "type": method.kind,
        "name": method.name,
        "currency": method.currency,
        "primary_buy": bank,
        "primary_sell": bank,
        "allow_buy": true,
        "allow_sell": true,
        "allow_deposit": bank,
        "allow_withdraw": bank,
        "instant_buy": true,
        "instant_sell": true,
        "created_at": timestamp(method.created_at),
        "updated_at": timestamp(method.created_at),
        "resource": "payment_method",
        "resource_path": format!("/v2/payment-methods/{}", method.id),
    });
    if let Some(account) = &method.account_id {
        json["fiat_account"] = json!({
            "id": account,
            "resource": "account",
            "resource_path": format!("/v2/accounts/{account}"),
        });
    }
    // Limits are only shown with their own scope.
    if caller.authorization.has_scope(LIMITS_SCOPE) {
        let total = money(rust_decimal::Decimal::new(2_500_000, 2), &method.currency);
        let limit = json!([{ "period_in_days": 7, "total": total, "remaining": total }]);
        json["limits"] = json!({ "type": "bank", "name": "Bank Account", "buy": limit, "sell": limit, "deposit": limit });
    }
    json
}

/// `GET /v2/payment-methods`
pub(crate) async fn list(api: Api) -> Response {
    api.call(Some("wallet:payment-methods:read"), |world, caller| {
        let items = world
            .payment_methods
            .values()
            .filter(|method| method.user_id == caller.user_id())
            .map(|method| Item {
                seq: method.seq,
                id: method.id.clone(),
                json: json(method, caller),
            })
            .collect();
        Ok(Reply::page(api.paginate(items)?))
    })
}

/// `GET /v2/payment-methods/:id`
pub(crate) async fn show(api: Api, Path(id): Path<String>) -> Response {
    api.call(Some("wallet:payment-methods:read"), |world, caller| {
        let method = world
            .payment_methods
            .get(&id)
            .filter(|method| method.user_id == caller.user_id())
            .ok_or_else(|| ApiError::not_found("Payment method"))?;
        Ok(Reply::ok(json(method, caller)))
    })
}

/// `DELETE /v2/payment-methods/:id`
pub(crate) async fn remove(api: Api, Path(id): Path<String>) -> Response {
    api.call(Some("wallet:payment-methods:delete"), |world, caller| {
        world
            .payment_methods
            .get(&id)
            .filter(|method| method.user_id == caller.user_id())
            .ok_or_else(|| ApiError::not_found("Payment method"))?;
        world.payment_methods.remove(&id);
        Ok(Reply::no_content())
    })
}

fn notification_json(notification: &Notification) -> Value {
    json!({
        "id": notification.id,
        "type": notification.kind,
        "data": {},
        "user": {
            "id": notification.user_id,
            "resource": "user",
            "resource_path": format!("/v2/users/{}", notification.user_id),
        },
        "delivery_attempts": 0,
        "created_at": timestamp(notification.created_at),
        "updated_at": timestamp(notification.created_at),
        "resource": "notification",
        "resource_path": format!("/v2/notifications/{}", notification.id),
    })
}

/// `GET /v2/notifications`
pub(crate) async fn notifications(api: Api) -> Response {
    api.call(Some("wallet:notifications:read"), |world, caller| {
        let items = world
            .notifications
            .values()
            .filter(|n| n.user_id == caller.user_id())
            .map(|n| Item { seq: n.seq, id: n.id.clone(), json: notification_json(n) })
            .collect();
        Ok(Reply::page(api.paginate(items)?))
    })
}

/// `GET /v2/notifications/:id`
pub(crate) async fn notification(api: Api, Path(id): Path<String>) -> Response {
    api.call(Some("wallet:notifications:read"), |world, caller| {
        let notification = world
            .notifications
            .get(&id)
            .filter(|n| n.user_id == caller.user_id())
            .ok_or_else(|| ApiError::not_found("Notification"))?;
        Ok(Reply::ok(notification_json(notification)))
    })
}
