//! The v2 API: authentication, the scope each endpoint needs, the rate
//! limit, Coinbase's response envelope, pagination, and the resources.

pub(crate) mod accounts;
pub(crate) mod payment_methods;
pub(crate) mod trades;
pub(crate) mod transactions;
pub(crate) mod users;
pub(crate) mod v3;

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;
use crate::wire::{ApiError, ApiResult, Item, Params, paginate};
use crate::world::World;
use crate::world::auth::Authorization;
use crate::world::ledger::Account;
use crate::world::telemetry::ScopeSlot;

/// The caller of an API endpoint, before authentication.
pub(crate) struct Api {
    state: AppState,
    headers: HeaderMap,
    slot: ScopeSlot,
    path: String,
    pub(crate) query: Params,
}

impl FromRequestParts<AppState> for Api {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let RawQuery(query) = RawQuery::from_request_parts(parts, state).await?;
        Ok(Api {
            state: state.clone(),
            headers: parts.headers.clone(),
            slot: parts.extensions.get::<ScopeSlot>().cloned().unwrap_or_default(),
            path: parts.uri.path().to_owned(),
            query: Params::parse(query.as_deref().unwrap_or("")),
        })
    }
}

/// An authenticated caller: the authorization its token belongs to.
pub(crate) struct Caller {
    pub(crate) authorization: Authorization,
}

impl Caller {
    pub(crate) fn user_id(&self) -> &str {
        &self.authorization.user_id
    }
}

impl Api {
    /// Authenticates the bearer token, counts the request against the
    /// user's rate limit, checks `scope`, then runs `handle` with the world
    /// locked.
    pub(crate) fn call(
        &self,
        scope: Option<&'static str>,
        handle: impl FnOnce(&mut World, &Caller) -> ApiResult,
    ) -> Response {
        if let Some(scope) = scope {
            self.slot.set(scope);
        }
        self.call_with_any(scope.as_slice(), handle)
    }

    /// As [`call`](Self::call), for a route that each of `scopes` opens
    /// (which one depends on the body): a caller with none of them is
    /// refused before the body is looked at.
    pub(crate) fn call_with_any(
        &self,
        scopes: &[&'static str],
        handle: impl FnOnce(&mut World, &Caller) -> ApiResult,
    ) -> Response {
        let result = self.state.world(|world| {
            let caller = self.authenticate(world)?;
            rate_limit(world, caller.user_id())?;
            let permitted = scopes.is_empty()
                || scopes.iter().any(|scope| caller.authorization.has_scope(scope));
            if !permitted {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "invalid_scope",
                    format!("Invalid scope: this request needs {}", scopes.join(" or ")),
                ));
            }
            world.settle();
            handle(world, &caller)
        });
        match result {
            Ok(mut reply) => {
                if !self.headers.contains_key("cb-version") {
                    reply.warnings.push(json!({
                        "id": "missing_version",
                        "message": "Please supply API version (YYYY-MM-DD) as CB-VERSION header",
                        "url": "https://developers.coinbase.com/api#versioning",
                    }));
                }
                reply.into_response()
            }
            Err(error) => error.into_response(),
        }
    }

    /// An Advanced Trade call: as [`call`](Self::call), for a route that
    /// any of `scopes` opens (recorded joined by `|`, as the audit spells a
    /// choice), answered in v3's shapes: the handler's JSON as it is, and
    /// errors as `{"error", "error_details", "message"}`.
    pub(crate) fn call_v3(
        &self,
        recorded: &'static str,
        handle: impl FnOnce(&mut World, &Caller) -> Result<serde_json::Value, ApiError>,
    ) -> Response {
        self.slot.set(recorded);
        let result = self.state.world(|world| {
            let caller = self.authenticate(world)?;
            rate_limit(world, caller.user_id())?;
            if !recorded.split('|').any(|scope| caller.authorization.has_scope(scope)) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "PERMISSION_DENIED",
                    format!(
                        "Missing required scopes: this request needs {}",
                        recorded.replace('|', " or ")
                    ),
                ));
            }
            world.settle();
            world.settle_market();
            handle(world, &caller)
        });
        match result {
            Ok(body) => axum::Json(body).into_response(),
            Err(error) => error.into_v3_response(),
        }
    }

    fn authenticate(&self, world: &World) -> Result<Caller, ApiError> {
        let unauthorized = |id, message: &str| ApiError::new(StatusCode::UNAUTHORIZED, id, message);
        let token = self
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| unauthorized("authentication_error", "Missing bearer token"))?;
        let access = world
            .access_tokens
            .get(token)
            .ok_or_else(|| unauthorized("invalid_token", "The access token is invalid"))?;
        let authorization = world
            .authorizations
            .get(&access.authorization_id)
            .ok_or_else(|| unauthorized("invalid_token", "The access token is invalid"))?;
        if authorization.revoked {
            return Err(unauthorized("revoked_token", "The access token was revoked"));
        }
        if access.expires_at <= world.now() {
            return Err(unauthorized("expired_token", "The access token expired"));
        }
        Ok(Caller { authorization: authorization.clone() })
    }

    /// The request's path, which pagination URIs repeat.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

fn rate_limit(world: &mut World, user_id: &str) -> Result<(), ApiError> {
    let now = world.now();
    let limit = world.config.rate_limit_per_hour;
    let window = world.rate_windows.entry(user_id.to_owned()).or_insert((now, 0));
    if now - window.0 >= time::Duration::HOUR {
        *window = (now, 0);
    }
    window.1 = window.1.saturating_add(1);
    if window.1 > limit {
        let retry_after = (window.0 + time::Duration::HOUR - now).whole_seconds().max(1) as u64;
        let error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "Too many requests",
        );
        return Err(error.with_retry_after(retry_after));
    }
    Ok(())
}

impl Api {
    /// A page of `items`, as the request's query asks.
    pub(crate) fn paginate(
        &self,
        items: Vec<Item>,
    ) -> Result<(Vec<serde_json::Value>, serde_json::Value), ApiError> {
        paginate(&self.query, &self.path, items)
    }
}

/// The account `id` names, which may be a currency code such as `BTC`, if
/// the caller may reach it.
pub(crate) fn find<'w>(
    world: &'w World,
    caller: &Caller,
    id: &str,
) -> Result<&'w Account, ApiError> {
    let authorization = &caller.authorization;
    world
        .accounts
        .get(id)
        .filter(|account| authorization.can_access(account))
        .or_else(|| {
            world.accounts.values().find(|account| {
                account.currency.eq_ignore_ascii_case(id) && authorization.can_access(account)
            })
        })
        .ok_or_else(|| ApiError::not_found("Account"))
}
