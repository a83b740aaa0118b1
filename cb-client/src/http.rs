//! The two kinds of HTTP exchange with Coinbase: form posts to the OAuth2
//! endpoints, and JSON calls to the v2 API. Both classify failures by
//! whether the request could have had an effect, which decides whether a
//! retry is safe.

use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode, header};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::error::{ApiError, Error};
use crate::tokens::TokenResponse;

/// The API version every request pins with `CB-VERSION`: a fixed date, so
/// that Coinbase's changes never reach an app unannounced.
pub const CB_VERSION: &str = "2024-09-01";

/// How a call to the token endpoint failed.
#[derive(Debug)]
pub(crate) enum TokenCallError {
    /// An RFC 6749 error answer, such as `invalid_grant`.
    Rejected { status: u16, error: String, description: Option<String> },
    /// The request never reached Coinbase: retrying is safe.
    NotSent(reqwest::Error),
    /// The request may have reached Coinbase and been processed, but no
    /// answer arrived (a timeout, a dropped connection), or the answer was a
    /// server error.
    Lost(String, Option<reqwest::Error>),
    /// A non-success answer that is not an OAuth2 error: nothing says
    /// whether it was processed.
    Invalid(String),
    /// A success answer that cannot be used: Coinbase processed the request
    /// (and spent what it consumed), but the tokens cannot be read.
    Unreadable(String),
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Whether a transport error proves the request never left: only a failed
/// connection or a request that could not be built does. Anything later
/// (a connection closed before the answer, a timeout) may have been
/// processed.
fn never_sent(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_builder()
}

/// The default cap on an answer's body: far above any Coinbase answer (a
/// page of 100 transactions is tens of kilobytes), far below what would
/// hurt the app.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 << 20;

/// Why an answer's body could not be read.
enum BodyError {
    TooLarge(usize),
    Transport(reqwest::Error),
}

/// Reads an answer's body, refusing one larger than `max` bytes before
/// reading it whole.
async fn read_body(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|length| length > max as u64) {
        return Err(BodyError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Posts a form to an OAuth2 endpoint with the client's credentials.
pub(crate) async fn post_token(
    http: &reqwest::Client,
    endpoint: &Url,
    client_id: &str,
    client_secret: &SecretString,
    form: &[(&str, &str)],
    max_body: usize,
) -> Result<TokenResponse, TokenCallError> {
    let mut body: Vec<(&str, &str)> = form.to_vec();
    body.push(("client_id", client_id));
    body.push(("client_secret", client_secret.expose_secret()));
    let response = http
        .post(endpoint.clone())
        .header(header::ACCEPT, "application/json")
        .form(&body)
        .send()
        .await
        .map_err(|error| {
            if never_sent(&error) {
                TokenCallError::NotSent(error)
            } else {
                TokenCallError::Lost("no answer arrived".into(), Some(error))
            }
        })?;
    let status = response.status();
    record_answer(status, None);
    let bytes = match read_body(response, max_body).await {
        Ok(bytes) => bytes,
        Err(BodyError::Transport(error)) => {
            return Err(TokenCallError::Lost("the answer was cut off".into(), Some(error)));
        }
        Err(BodyError::TooLarge(max)) if status.is_success() => {
            return Err(TokenCallError::Unreadable(format!("the answer exceeds {max} bytes")));
        }
        Err(BodyError::TooLarge(max)) => {
            return Err(TokenCallError::Invalid(format!("a {status} answer over {max} bytes")));
        }
    };
    if status.is_server_error() {
        return Err(TokenCallError::Lost(format!("Coinbase answered {status}"), None));
    }
    if !status.is_success() {
        let body: OAuthErrorBody = serde_json::from_slice(&bytes).map_err(|_| {
            TokenCallError::Invalid(format!("a {status} answer without an OAuth2 error body"))
        })?;
        return Err(TokenCallError::Rejected {
            status: status.as_u16(),
            error: body.error,
            description: body.error_description,
        });
    }
    let token: TokenResponse = serde_json::from_slice(&bytes).map_err(|error| {
        TokenCallError::Unreadable(format!("not a token response: {}", shape(&error)))
    })?;
    if token.access_token.is_empty() {
        return Err(TokenCallError::Unreadable("the access token is empty".into()));
    }
    if let Some(kind) =
        token.token_type.as_deref().filter(|kind| !kind.eq_ignore_ascii_case("bearer"))
    {
        // The request was processed: refusing the tokens now would lose them.
        tracing::warn!(target: "cb_client", token_type = kind, "an unexpected token type; using it as a bearer token");
    }
    Ok(token)
}

/// A serde error's category and position, without the input it quotes.
fn shape(error: &serde_json::Error) -> String {
    format!("{:?} error at line {} column {}", error.classify(), error.line(), error.column())
}

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
        .and_then(|value| retry_after(value, SystemTime::now()));
    record_answer(status, retry_after);
    let bytes = match read_body(response, max_body).await {
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
                    shape(&error)
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
            ApiOutcome::Failed(Error::reauthorize(crate::error::ReauthorizationReason::Revoked))
        }
        (StatusCode::TOO_MANY_REQUESTS, _) => {
            ApiOutcome::Failed(Error::RateLimited { retry_after })
        }
        _ => ApiOutcome::Failed(Error::Api { status: status.as_u16(), errors }),
    }
}

/// The span of one attempt of an API call: which call, which scope, which
/// attempt; [`record_answer`] adds how Coinbase answered.
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

/// The span of one call to the token endpoint: the grant, never its value.
pub(crate) fn token_span(grant: &'static str, attempt: u32) -> tracing::Span {
    tracing::info_span!(
        target: "cb_client",
        "cb.token",
        cb.route = "POST /oauth2/token",
        cb.grant = grant,
        cb.attempt = attempt,
        http.status = tracing::field::Empty,
    )
}

/// Records an answer's status (and wait) on the current span, which is the
/// call's `cb.request` or `cb.token` span.
fn record_answer(status: StatusCode, retry_after: Option<Duration>) {
    let span = tracing::Span::current();
    span.record("http.status", status.as_u16());
    if let Some(wait) = retry_after {
        span.record("cb.retry_after", wait.as_secs());
    }
}

/// A `Retry-After` value as a wait from `now`: either form of RFC 9110,
/// delay seconds or an HTTP date (a date in the past is no wait).
fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        // 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT.
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }
}
