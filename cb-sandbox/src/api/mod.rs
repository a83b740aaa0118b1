//! The v2 API: authentication, the scope each endpoint needs, the rate
//! limit, Coinbase's response envelope, pagination, and the resources.

pub(crate) mod accounts;
pub(crate) mod payment_methods;
pub(crate) mod trades;
pub(crate) mod transactions;
pub(crate) mod users;

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::faults::ScopeSlot;
use crate::oauth::Params;
use crate::server::Shared;
use crate::world::{Authorization, World, is_fiat};

/// A v2 error: `{"errors":[{"id","message"}]}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    id: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, id: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, id, message: message.into(), retry_after: None }
    }

    /// This error, with a `Retry-After` header of `seconds`.
    pub(crate) fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub(crate) fn not_found(what: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "validation_error", message)
    }

    pub(crate) fn out_of_range() -> Self {
        ApiError::validation("The amount is out of range for the balances it would change")
    }

    pub(crate) fn param_required(name: &str) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "param_required", format!("{name} is required"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "errors": [{ "id": self.id, "message": self.message }] });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A v2 success: `{"data", "pagination"?, "warnings"?}`.
pub(crate) struct Reply {
    status: StatusCode,
    data: Value,
    pagination: Option<Value>,
    warnings: Vec<Value>,
}

impl Reply {
    pub(crate) fn ok(data: Value) -> Self {
        Reply { status: StatusCode::OK, data, pagination: None, warnings: Vec::new() }
    }

    pub(crate) fn created(data: Value) -> Self {
        Reply { status: StatusCode::CREATED, ..Reply::ok(data) }
    }

    pub(crate) fn page((data, pagination): (Vec<Value>, Value)) -> Self {
        Reply { pagination: Some(pagination), ..Reply::ok(Value::Array(data)) }
    }

    pub(crate) fn no_content() -> Self {
        Reply { status: StatusCode::NO_CONTENT, ..Reply::ok(Value::Null) }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        if self.status == StatusCode::NO_CONTENT {
            return self.status.into_response();
        }
        let mut body = json!({ "data": self.data });
        if let Some(pagination) = self.pagination {
            body["pagination"] = pagination;
        }
        if !self.warnings.is_empty() {
            body["warnings"] = Value::Array(self.warnings);
        }
        (self.status, axum::Json(body)).into_response()
    }
}

pub(crate) type ApiResult = Result<Reply, ApiError>;

/// The caller of an API endpoint, before authentication.
pub(crate) struct Api {
    shared: Shared,
    headers: HeaderMap,
    slot: ScopeSlot,
    path: String,
    pub(crate) query: Params,
}

impl FromRequestParts<Shared> for Api {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Shared,
    ) -> Result<Self, Self::Rejection> {
        let RawQuery(query) = RawQuery::from_request_parts(parts, shared).await?;
        Ok(Api {
            shared: shared.clone(),
            headers: parts.headers.clone(),
            slot: parts.extensions.get::<ScopeSlot>().cloned().unwrap_or_default(),
            path: parts.uri.path().to_owned(),
            query: Params::parse(query.as_deref().unwrap_or("")),
        })
    }
}

/// An authenticated caller: the authorization its token belongs to.
pub(crate) struct Session {
    pub(crate) authorization: Authorization,
}

impl Session {
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
        handle: impl FnOnce(&mut World, &Session) -> ApiResult,
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
        handle: impl FnOnce(&mut World, &Session) -> ApiResult,
    ) -> Response {
        let result = self.shared.world(|world| {
            let session = self.authenticate(world)?;
            rate_limit(world, session.user_id())?;
            let permitted = scopes.is_empty()
                || scopes.iter().any(|scope| session.authorization.has_scope(scope));
            if !permitted {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "invalid_scope",
                    format!("Invalid scope: this request needs {}", scopes.join(" or ")),
                ));
            }
            transactions::settle(world);
            handle(world, &session)
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

    fn authenticate(&self, world: &World) -> Result<Session, ApiError> {
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
        Ok(Session { authorization: authorization.clone() })
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
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "Too many requests",
        );
        error.retry_after = Some(retry_after);
        return Err(error);
    }
    Ok(())
}

/// Any route the sandbox does not serve.
pub(crate) async fn not_found() -> Response {
    ApiError::not_found("Route").into_response()
}

/// Coinbase's money object; amounts are decimal strings, 8 decimals for
/// crypto and 2 for fiat.
pub(crate) fn money(amount: Decimal, currency: &str) -> Value {
    let mut shown = amount;
    let scale = if is_fiat(currency) { 2 } else { 8 };
    if shown.scale() < scale {
        shown.rescale(scale);
    }
    json!({ "amount": shown.to_string(), "currency": currency })
}

pub(crate) fn timestamp(at: OffsetDateTime) -> Value {
    at.format(&Rfc3339).map_or(Value::Null, Value::String)
}

/// A decimal amount from a request body: a string, never a float.
pub(crate) fn amount_param(body: &Value, name: &str) -> Result<Decimal, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Err(ApiError::param_required(name)),
        Some(Value::String(text)) => text
            .parse::<Decimal>()
            .ok()
            .filter(|amount| *amount > Decimal::ZERO)
            .ok_or_else(|| ApiError::validation(format!("{name} must be a positive decimal"))),
        Some(_) => Err(ApiError::validation(format!("{name} must be a decimal string"))),
    }
}

pub(crate) fn string_param<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str).filter(|value| !value.is_empty())
}

/// Parses a JSON request body; an empty body is an empty object.
pub(crate) fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The body must be a JSON object",
        )),
    }
}

/// One item of a paginated list: its order, its id and its JSON.
pub(crate) struct Item {
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) json: Value,
}

/// Cuts a page out of `items` as Coinbase does: `limit` (25 by default, at
/// most 100), `order` (`desc` by default), and the `starting_after` and
/// `ending_before` cursors, which are item ids.
pub(crate) fn paginate(api: &Api, mut items: Vec<Item>) -> Result<(Vec<Value>, Value), ApiError> {
    let param = |name| api.query.one(name).map_err(ApiError::validation);
    let limit = match param("limit")? {
        None => 25,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=100).contains(limit))
            .ok_or_else(|| ApiError::validation("limit must be between 1 and 100"))?,
    };
    let order = match param("order")? {
        None | Some("desc") => "desc",
        Some("asc") => "asc",
        Some(_) => return Err(ApiError::validation("order must be asc or desc")),
    };
    let starting_after = param("starting_after")?;
    let ending_before = param("ending_before")?;

    items.sort_by_key(|item| item.seq);
    if order == "desc" {
        items.reverse();
    }
    let position = |cursor: &str| {
        items
            .iter()
            .position(|item| item.id == cursor)
            .ok_or_else(|| ApiError::validation(format!("Unknown cursor {cursor}")))
    };
    let (start, end) = match (starting_after, ending_before) {
        (Some(after), _) => {
            let start = position(after)? + 1;
            (start, (start + limit).min(items.len()))
        }
        (None, Some(before)) => {
            let end = position(before)?;
            (end.saturating_sub(limit), end)
        }
        (None, None) => (0, limit.min(items.len())),
    };
    let uri = |cursor: &str, id: &str| {
        Value::String(format!("{}?limit={limit}&order={order}&{cursor}={id}", api.path()))
    };
    let next_uri = if end < items.len() && end > start {
        uri("starting_after", &items[end - 1].id)
    } else {
        Value::Null
    };
    let previous_uri = if start > 0 && start < items.len() {
        uri("ending_before", &items[start].id)
    } else {
        Value::Null
    };
    let pagination = json!({
        "ending_before": ending_before,
        "starting_after": starting_after,
        "limit": limit,
        "order": order,
        "previous_uri": previous_uri,
        "next_uri": next_uri,
    });
    let page = items.drain(start..end).map(|item| item.json).collect();
    Ok((page, pagination))
}

impl From<crate::world::OutOfRange> for ApiError {
    fn from(_: crate::world::OutOfRange) -> Self {
        ApiError::out_of_range()
    }
}
