//! The two kinds of HTTP exchange with Coinbase: form posts to the OAuth2
//! endpoints, and JSON calls to the v2 API. Both classify failures by
//! whether the request could have had an effect, which decides whether a
//! retry is safe.

use std::time::Duration;

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

/// Posts a form to an OAuth2 endpoint with the client's credentials.
pub(crate) async fn post_token(
    http: &reqwest::Client,
    endpoint: &Url,
    client_id: &str,
    client_secret: &SecretString,
    form: &[(&str, &str)],
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
    let bytes = response
        .bytes()
        .await
        .map_err(|error| TokenCallError::Lost("the answer was cut off".into(), Some(error)))?;
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
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(error) => return ApiOutcome::Failed(Error::Transport(error)),
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
