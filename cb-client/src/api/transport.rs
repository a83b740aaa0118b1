//! One call to the v2 API: the bearer token, `CB-VERSION`, a JSON body,
//! and the answer sorted into what the executor acts on.

use std::time::SystemTime;

use reqwest::{Method, StatusCode, header};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;
use url::Url;

use crate::error::{ApiError, Error, ReauthorizationReason};
use crate::wire::{self, BodyError};

/// The API version every request pins with `CB-VERSION`: a fixed date, so
/// that Coinbase's changes never reach an app unannounced.
pub const CB_VERSION: &str = "2024-09-01";

/// A v2 API answer that is not an error.
#[derive(Debug)]
pub(crate) struct ApiAnswer {
    pub(crate) body: Value,
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
    token: &SecretString,
    body: Option<&Value>,
    headers: &[(&str, String)],
    max_body: usize,
) -> ApiOutcome {
    let mut request = http
        .request(method, url)
        .bearer_auth(token.expose_secret())
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
    let body: Value = if bytes.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(body) => body,
            Err(error) => {
                return ApiOutcome::Failed(Error::invalid_response(format!(
                    "a {status} answer that is not JSON: {}",
                    wire::shape(&error)
                )));
            }
        }
    };
    if status.is_success() {
        log_warnings(&body);
        return ApiOutcome::Answer(ApiAnswer { body });
    }
    let errors = errors_of(&body, status);
    let first = errors.first().map(|error| error.id.as_str()).unwrap_or_default();
    match (status, first) {
        (StatusCode::UNAUTHORIZED, "expired_token") => ApiOutcome::Expired,
        (StatusCode::UNAUTHORIZED, "revoked_token" | "invalid_token") => {
            ApiOutcome::Failed(Error::reauthorize(ReauthorizationReason::Revoked))
        }
        (StatusCode::TOO_MANY_REQUESTS, _) => {
            ApiOutcome::Failed(Error::RateLimited { retry_after })
        }
        _ => ApiOutcome::Failed(Error::Api { status: status.as_u16(), errors }),
    }
}

/// The span of one attempt of an API call: which call, which scope, which
/// attempt; [`wire::record_answer`] adds how Coinbase answered.
pub(crate) fn request_span(
    route: &dyn std::fmt::Display,
    scope: &dyn std::fmt::Display,
    attempt: u32,
) -> tracing::Span {
    tracing::info_span!(
        target: "cb_client",
        "cb.request",
        cb.route = %route,
        cb.scope = %scope,
        cb.attempt = attempt,
        http.status = tracing::field::Empty,
        cb.retry_after = tracing::field::Empty,
    )
}

/// The `errors` of an error body, or one made from the status.
fn errors_of(body: &Value, status: StatusCode) -> Vec<ApiError> {
    body.get("errors")
        .cloned()
        .and_then(|errors| serde_json::from_value::<Vec<ApiError>>(errors).ok())
        .filter(|errors| !errors.is_empty())
        .unwrap_or_else(|| {
            let reason =
                status.canonical_reason().unwrap_or("error").to_ascii_lowercase().replace(' ', "_");
            vec![ApiError::new(reason, format!("HTTP {status}"))]
        })
}

/// Coinbase's `warnings` go to tracing.
fn log_warnings(body: &Value) {
    let Some(warnings) = body.get("warnings").and_then(Value::as_array) else { return };
    for warning in warnings {
        let id = warning.get("id").and_then(Value::as_str).unwrap_or("warning");
        let message = warning.get("message").and_then(Value::as_str).unwrap_or_default();
        tracing::warn!(target: "cb_client", id, "Coinbase warned: {message}");
    }
}
