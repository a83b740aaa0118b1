//! `/v2/user`, `/v2/users/:id` and `/v2/user/auth`.

use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Api, Caller};
use crate::catalogue;
use crate::wire::{ApiError, Reply, json_body, string_param, timestamp};
use crate::world::{User, World};

/// The fields anyone may see.
fn public(user: &User) -> Value {
    json!({
        "id": user.id,
        "name": user.name,
        "username": Value::Null,
        "profile_location": Value::Null,
        "profile_bio": Value::Null,
        "profile_url": Value::Null,
        "avatar_url": format!("https://images.sandbox.invalid/{}.png", user.id),
        "resource": "user",
        "resource_path": format!("/v2/users/{}", user.id),
    })
}

/// The fields the caller's scopes reveal.
fn visible(user: &User, caller: &Caller) -> Value {
    let mut json = public(user);
    let authorization = &caller.authorization;
    if authorization.has_scope("wallet:user:read") {
        json["time_zone"] = user.time_zone.clone().into();
        json["native_currency"] = user.native_currency.clone().into();
        json["bitcoin_unit"] = "BTC".into();
        json["country"] = json!({ "code": user.country, "name": "United States" });
        json["created_at"] = timestamp(user.created_at);
    }
    if authorization.has_scope(catalogue::SEND) {
        json["sends_disabled"] = false.into();
    }
    if authorization.has_scope("wallet:user:email") {
        json["email"] = user.email.clone().into();
    }
    json
}

fn current<'w>(world: &'w World, caller: &Caller) -> Result<&'w User, ApiError> {
    world.users.get(caller.user_id()).ok_or_else(|| ApiError::not_found("User"))
}

/// `GET /v2/user`: public fields without a scope, more with `wallet:user:read`
/// and `wallet:user:email`.
pub(crate) async fn current_user(api: Api) -> Response {
    api.call(None, |world, caller| Ok(Reply::ok(visible(current(world, caller)?, caller))))
}

/// `GET /v2/users/:id`: public fields, no scope.
pub(crate) async fn user(api: Api, Path(id): Path<String>) -> Response {
    api.call(None, |world, _| {
        let user = world.users.get(&id).ok_or_else(|| ApiError::not_found("User"))?;
        Ok(Reply::ok(public(user)))
    })
}

/// `GET /v2/user/auth`: the granted scopes and the send limit.
pub(crate) async fn auth_info(api: Api) -> Response {
    api.call(None, |_, caller| {
        let authorization = &caller.authorization;
        let meta = match &authorization.send_limit {
            Some(limit) => json!({
                "send_limit_amount": limit.amount.to_string(),
                "send_limit_currency": limit.currency,
                "send_limit_period": limit.period,
            }),
            None => json!({}),
        };
        Ok(Reply::ok(json!({
            "method": "oauth",
            "scopes": authorization.scopes,
            "oauth_meta": meta,
        })))
    })
}

/// `PUT /v2/user`: `name`, `time_zone` and `native_currency`.
pub(crate) async fn update_user(api: Api, body: Bytes) -> Response {
    api.call(Some("wallet:user:update"), |world, caller| {
        let body = json_body(&body)?;
        let user =
            world.users.get_mut(caller.user_id()).ok_or_else(|| ApiError::not_found("User"))?;
        if let Some(name) = string_param(&body, "name") {
            user.name = name.to_owned();
        }
        if let Some(zone) = string_param(&body, "time_zone") {
            user.time_zone = zone.to_owned();
        }
        if let Some(currency) = string_param(&body, "native_currency") {
            if !crate::world::is_fiat(currency) {
                return Err(ApiError::validation("native_currency must be USD, EUR or GBP"));
            }
            user.native_currency = currency.to_owned();
        }
        let user = user.clone();
        Ok(Reply::ok(visible(&user, caller)))
    })
}
