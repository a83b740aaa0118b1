//! One call to the v2 API: the bearer token, `CB-VERSION`, a JSON body,
//! and the answer sorted into what the executor acts on.

use std::time::SystemTime;

use reqwest::{Method, StatusCode, header};
use serde_json::Value;
use url::Url;

use crate::auth::session::Bearer;
use crate::error::{ApiError, Error, ReauthorizationReason};
use crate::wire::{self, BodyError};

/// The API version every request pins with `CB-VERSION`: a fixed date, so
/// that Coinbase's changes never reach an app unannounced.
pub const CB_VERSION: &str = "2024-09-01";

/// A v2 API answer that is not an error: its body as read, parsed once,
/// straight into the type the endpoint returns ([`read_data`]).
#[derive(Debug)]
pub(crate) struct ApiAnswer {
    pub(crate) body: Vec<u8>,
}

/// What one v2 call produced.
#[derive(Debug)]
pub(crate) enum ApiOutcome {
    Answer(ApiAnswer),
    /// 401 with `expired_token`: refresh and replay.
    Expired,
    Failed(Error),
}

/// Makes one v2 call.
pub(crate) async fn call_api(
    http: &reqwest::Client,
    method: Method,
    url: Url,
    bearer: &Bearer,
    body: Option<&Value>,
    headers: &[(&str, String)],
    max_body: usize,
) -> ApiOutcome {
    let mut request = http
        .request(method, url)
        .header(header::AUTHORIZATION, bearer.header().clone())
        .header("CB-VERSION", CB_VERSION)
        .header(header::ACCEPT, "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => return ApiOutcome::Failed(Error::Transport(error)),
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| wire::retry_after(value, SystemTime::now()));
    wire::record_answer(status, retry_after);
    let bytes = match wire::read_body(response, max_body).await {
        Ok(bytes) => bytes,
        Err(BodyError::Transport(error)) => return ApiOutcome::Failed(Error::Transport(error)),
        Err(BodyError::TooLarge(max)) => {
            return ApiOutcome::Failed(Error::invalid_response(format!(
                "a {status} answer over {max} bytes"
            )));
        }
    };
    if status.is_success() {
        return ApiOutcome::Answer(ApiAnswer { body: bytes });
    }
    let errors = read_errors(&bytes, status);
    let first = errors.first().map(|error| error.id.as_str()).unwrap_or_default();
    match (status, first) {
        // Advanced Trade says only UNAUTHENTICATED: refresh once and replay,
        // which a revoked authorization fails at the token endpoint.
        (StatusCode::UNAUTHORIZED, "expired_token" | "UNAUTHENTICATED") => ApiOutcome::Expired,
        (StatusCode::UNAUTHORIZED, "revoked_token" | "invalid_token") => {
            ApiOutcome::Failed(Error::reauthorize(ReauthorizationReason::Revoked))
        }
        (StatusCode::TOO_MANY_REQUESTS, _) => {
            ApiOutcome::Failed(Error::RateLimited { retry_after })
        }
        _ => ApiOutcome::Failed(Error::Api { status, errors }),
    }
}

/// The span of one attempt of an API call: which call, which scope, which
/// attempt; [`wire::record_answer`] adds how Coinbase answered.
pub(crate) fn request_span(
    route: &dyn std::fmt::Display,
    template: &dyn std::fmt::Display,
    method: &str,
    scope: &dyn std::fmt::Display,
    attempt: u32,
) -> tracing::Span {
    // The crate's own fields, and OpenTelemetry's HTTP client names beside
    // them (`http.request.method`, `url.template`,
    // `http.response.status_code`, `http.request.resend_count`).
    tracing::info_span!(
        target: "cb_client",
        "cb.request",
        cb.route = %route,
        cb.scope = %scope,
        cb.attempt = attempt,
        http.status = tracing::field::Empty,
        cb.retry_after = tracing::field::Empty,
        cb.rate_limit_wait_ms = tracing::field::Empty,
        http.request.method = method,
        url.template = %template,
        http.response.status_code = tracing::field::Empty,
        http.request.resend_count = attempt.saturating_sub(1),
    )
}

/// An error answer's body, when it has one of Coinbase's shapes: v2's
/// `errors`, or Advanced Trade's `error` code with its `message`.
#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ApiError>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_details: Option<String>,
}

impl ErrorBody {
    fn into_errors(self) -> Vec<ApiError> {
        match self.error {
            Some(code) if self.errors.is_empty() && !code.is_empty() => {
                let message = self.message.or(self.error_details).unwrap_or_default();
                vec![ApiError::new(code, message)]
            }
            _ => self.errors,
        }
    }
}

/// The `errors` of an error answer, read as directly as a success: in one
/// of Coinbase's shapes, or, for anything else (an empty body, JSON of
/// another shape, the HTML page Coinbase's edge answers a rate limit or a
/// gateway failure with), one made from the status. The status decides
/// what the error is; only a success's body must be Coinbase's JSON.
fn read_errors(body: &[u8], status: StatusCode) -> Vec<ApiError> {
    let errors = serde_json::from_slice::<ErrorBody>(body).map(ErrorBody::into_errors);
    match errors {
        Ok(errors) if !errors.is_empty() => errors,
        _ => {
            let reason =
                status.canonical_reason().unwrap_or("error").to_ascii_lowercase().replace(' ', "_");
            vec![ApiError::new(reason, format!("HTTP {status}"))]
        }
    }
}

/// One of Coinbase's `warnings`.
#[derive(serde::Deserialize)]
struct Warning<'a> {
    #[serde(borrow, default)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<std::borrow::Cow<'a, str>>,
}

/// A success answer's envelope: the `data`, typed, and the `warnings`,
/// which go to tracing. `pagination` is read by lists.
#[derive(serde::Deserialize)]
pub(crate) struct Envelope<'a, T> {
    pub(crate) data: T,
    #[serde(borrow, default)]
    warnings: Vec<Warning<'a>>,
    #[serde(default)]
    pub(crate) pagination: Option<Pagination>,
}

/// A list answer's cursors.
#[derive(serde::Deserialize)]
pub(crate) struct Pagination {
    #[serde(default)]
    pub(crate) next_uri: Option<String>,
    #[serde(default)]
    pub(crate) previous_uri: Option<String>,
}

/// The envelope of a success answer, parsed once into `T`; its warnings are
/// logged. An empty body reads as `null` data.
pub(crate) fn read_envelope<'a, T: serde::Deserialize<'a>>(
    body: &'a [u8],
) -> Result<Envelope<'a, T>, Error> {
    let body: &[u8] = if body.is_empty() { br#"{"data":null}"# } else { body };
    let envelope: Envelope<'a, T> = serde_json::from_slice(body).map_err(|error| {
        Error::invalid_response(format!(
            "the data is not a {}: {}",
            std::any::type_name::<T>().rsplit("::").next().unwrap_or("resource"),
            wire::shape(&error)
        ))
    })?;
    for warning in &envelope.warnings {
        let id = warning.id.as_deref().unwrap_or("warning");
        let message = warning.message.as_deref().unwrap_or_default();
        tracing::warn!(target: "cb_client", id, "Coinbase warned: {message}");
    }
    Ok(envelope)
}

/// A success answer that has no envelope (Advanced Trade's), typed whole.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|error| {
        Error::invalid_response(format!(
            "the answer is not a {}: {}",
            std::any::type_name::<T>().rsplit("::").next().unwrap_or("resource"),
            wire::shape(&error)
        ))
    })
}

/// The `data` of a success answer, typed.
pub(crate) fn read_data<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    read_envelope::<T>(body).map(|envelope| envelope.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_are_read_in_coinbase_s_shape_or_from_their_status() {
        let ids = |body: &str, status: u16| {
            let status = StatusCode::from_u16(status).unwrap();
            read_errors(body.as_bytes(), status)
                .into_iter()
                .map(|error| error.id)
                .collect::<Vec<_>>()
        };
        let coinbase = r#"{"errors":[{"id":"invalid_scope","message":"m"},{"id":"other"}]}"#;
        assert_eq!(ids(coinbase, 403), ["invalid_scope", "other"]);
        assert_eq!(ids("", 503), ["service_unavailable"]);
        assert_eq!(ids(r#"{"errors":[]}"#, 500), ["internal_server_error"]);
        // JSON of another shape: the status speaks.
        assert_eq!(ids(r#"{"errors":"down","x":[1]}"#, 502), ["bad_gateway"]);
        assert_eq!(ids(r#"["a"]"#, 400), ["bad_request"]);
        let v3 = r#"{"error":"PERMISSION_DENIED","error_details":"d","message":"Missing required scopes"}"#;
        assert_eq!(ids(v3, 403), ["PERMISSION_DENIED"]);
        // An HTML page from Coinbase's edge: the status speaks, and the
        // page is not quoted.
        let html = read_errors(b"<html>busy</html>", StatusCode::BAD_GATEWAY);
        assert_eq!(html[0].id, "bad_gateway");
        assert!(!html[0].message.contains("busy"));
        assert_eq!(ids("<html>slow down</html>", 429), ["too_many_requests"]);
    }
}
