//! The token endpoint: one form post with the client's credentials, and
//! how it failed, by whether Coinbase may have processed it.

use reqwest::{StatusCode, header};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use tracing::Instrument as _;

use crate::auth::config::Config;
use crate::auth::tokens::TokenResponse;
use crate::error::{ApiError, Error};
use crate::wire::{self, BodyError};

/// How a call to the token endpoint failed.
#[derive(Debug)]
pub(crate) enum TokenCallError {
    /// An RFC 6749 error answer, such as `invalid_grant`.
    Rejected { status: StatusCode, error: String, description: Option<String> },
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

/// Posts a form to an OAuth2 endpoint with the client's credentials.
async fn post_form(
    config: &Config,
    form: &[(&str, &str)],
) -> Result<TokenResponse, TokenCallError> {
    let max_body = config.max_response_bytes;
    let mut body: Vec<(&str, &str)> = form.to_vec();
    body.push(("client_id", &config.client_id));
    body.push(("client_secret", config.client_secret.expose_secret()));
    let response = config
        .http
        .post(config.token_endpoint.clone())
        .header(header::ACCEPT, "application/json")
        .form(&body)
        .send()
        .await
        .map_err(|error| {
            if wire::never_sent(&error) {
                TokenCallError::NotSent(error)
            } else {
                TokenCallError::Lost("no answer arrived".into(), Some(error))
            }
        })?;
    let status = response.status();
    wire::record_answer(status, None);
    let bytes = match wire::read_body(response, max_body).await {
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
            status,
            error: body.error,
            description: body.error_description,
        });
    }
    let token: TokenResponse = serde_json::from_slice(&bytes).map_err(|error| {
        TokenCallError::Unreadable(format!("not a token response: {}", wire::shape(&error)))
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

/// One call to the token endpoint with the client's credentials, in its
/// `cb.token` span.
pub(crate) async fn post_token(
    config: &Config,
    grant: &'static str,
    attempt: u32,
    form: &[(&str, &str)],
) -> Result<TokenResponse, TokenCallError> {
    post_form(config, form).instrument(token_span(grant, attempt)).await
}

/// The span of one call to the token endpoint: the grant, never its value.
fn token_span(grant: &'static str, attempt: u32) -> tracing::Span {
    tracing::info_span!(
        target: "cb_client",
        "cb.token",
        cb.route = "POST /oauth2/token",
        cb.grant = grant,
        cb.attempt = attempt,
        http.status = tracing::field::Empty,
        http.request.method = "POST",
        url.template = "/oauth2/token",
        http.response.status_code = tracing::field::Empty,
    )
}

/// A token-endpoint failure other than a refused grant, as an [`Error`].
pub(crate) fn token_error(error: TokenCallError) -> Error {
    match error {
        TokenCallError::Rejected { status, error, description } => Error::Api {
            status,
            errors: vec![ApiError::new(error, description.unwrap_or_default())],
        },
        TokenCallError::NotSent(error) => Error::Transport(error),
        TokenCallError::Lost(_, Some(error)) => Error::Transport(error),
        TokenCallError::Lost(detail, None) => Error::invalid_response(detail),
        TokenCallError::Invalid(detail) | TokenCallError::Unreadable(detail) => {
            Error::invalid_response(detail)
        }
    }
}

/// Revokes `token` (an access token; Coinbase revokes its refresh token
/// with it) at the revoke endpoint, with the client's credentials and the
/// token as bearer. Returns the status Coinbase answered; only `200` means
/// revoked.
pub(crate) async fn revoke(
    config: &Config,
    token: &SecretString,
) -> Result<reqwest::StatusCode, Error> {
    let form = [
        ("token", token.expose_secret()),
        ("client_id", config.client_id.as_str()),
        ("client_secret", config.client_secret.expose_secret()),
    ];
    let response = config
        .http
        .post(config.revoke_endpoint.clone())
        .bearer_auth(token.expose_secret())
        .form(&form)
        .send()
        .await
        .map_err(Error::Transport)?;
    Ok(response.status())
}
