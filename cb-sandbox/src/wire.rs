//! Coinbase's wire formats, shared by every handler: form and query
//! parameters, the v2 envelope of answers and errors, money and
//! timestamps, request bodies, and cursor pagination.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::world::ledger::{OutOfRange, is_fiat};

/// Form or query parameters, each allowed once.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(text: &str) -> Self {
        Params(url::form_urlencoded::parse(text.as_bytes()).into_owned().collect())
    }

    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The parameter's value; `Err` when it is repeated.
    pub(crate) fn one<'a>(&'a self, name: &'a str) -> Result<Option<&'a str>, String> {
        let mut values = self.all(name);
        let first = values.next();
        match values.next() {
            Some(_) => Err(format!("Duplicate parameter: {name}")),
            None => Ok(first),
        }
    }
}

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

impl ApiError {
    /// This error in Advanced Trade's shape: `{"error", "error_details",
    /// "message"}`, its code from the status unless the id is one already.
    pub(crate) fn into_v3_response(self) -> Response {
        let code = if self.id.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            self.id
        } else {
            match self.status.as_u16() {
                401 => "UNAUTHENTICATED",
                403 => "PERMISSION_DENIED",
                404 => "NOT_FOUND",
                429 => "RESOURCE_EXHAUSTED",
                500..=599 => "INTERNAL",
                _ => "INVALID_ARGUMENT",
            }
        };
        let body = json!({ "error": code, "error_details": self.message, "message": self.message });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
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
    pub(crate) warnings: Vec<Value>,
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
pub(crate) fn paginate(
    query: &Params,
    path: &str,
    mut items: Vec<Item>,
) -> Result<(Vec<Value>, Value), ApiError> {
    let param = |name| query.one(name).map_err(ApiError::validation);
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
        Value::String(format!("{}?limit={limit}&order={order}&{cursor}={id}", path))
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

impl From<OutOfRange> for ApiError {
    fn from(_: OutOfRange) -> Self {
        ApiError::out_of_range()
    }
}
