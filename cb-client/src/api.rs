//! The executor every endpoint goes through: a fresh token, one replay after
//! `401 expired_token`, bounded retries where they are safe, and errors
//! that say what the endpoint needed.

use std::sync::Arc;

use cb_scopes::ScopeSet;
use reqwest::Method;
use serde_json::Value;

use crate::error::{Error, ReauthorizationReason};
use crate::http::{self, ApiOutcome};
use crate::oauth::OAuthClient;
use crate::session::Session;

/// One authorization's connection to the API, without its type: what
/// `Client<S>`, lists and pending sends share.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) oauth: OAuthClient,
    pub(crate) session: Arc<Session>,
}

/// One request to the v2 API.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    /// Relative to the API base (`v2/accounts`), or absolute from its root
    /// (`/v2/accounts?starting_after=..`, as `next_uri` is).
    pub(crate) path: String,
    pub(crate) body: Option<Value>,
    pub(crate) headers: Vec<(&'static str, String)>,
    /// The scopes the endpoint needs, named when Coinbase refuses one.
    pub(crate) needed: ScopeSet,
    /// Whether repeating the request cannot do a thing twice: true for
    /// reads and for sends carrying an `idem`.
    pub(crate) idempotent: bool,
}

impl Call {
    pub(crate) fn new(method: Method, path: impl Into<String>, needed: ScopeSet) -> Self {
        let idempotent = method == Method::GET;
        Call { method, path: path.into(), body: None, headers: Vec::new(), needed, idempotent }
    }

    pub(crate) fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

impl Api {
    /// Makes the call, retrying within the client's retry policy: a `429`
    /// always (it was not processed), waiting as `Retry-After` says;
    /// server errors and transport failures only when the call is
    /// idempotent.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Value, Error> {
        let policy = self.oauth.inner.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.once(call).await;
            let wait = match &result {
                Err(Error::RateLimited { retry_after }) => {
                    let wait = retry_after.unwrap_or_else(|| policy.delay(attempt));
                    // Waiting longer than the policy allows is the caller's call.
                    (wait <= policy.max_delay).then_some(wait)
                }
                Err(Error::Api { status, .. }) if *status >= 500 && call.idempotent => {
                    Some(policy.delay(attempt))
                }
                Err(Error::Transport(_)) if call.idempotent => Some(policy.delay(attempt)),
                _ => None,
            };
            match wait {
                Some(wait) if attempt < policy.attempts => {
                    tracing::debug!(target: "cb_client", attempt, path = %call.path, "retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                }
                _ => return result.map_err(|error| name_refused_scope(error, call.needed)),
            }
        }
    }

    /// One attempt: a fresh token, and one replay after `expired_token`.
    async fn once(&self, call: &Call) -> Result<Value, Error> {
        let inner = &self.oauth.inner;
        let url =
            inner.api_base.join(&call.path).map_err(|error| Error::Config(error.to_string()))?;
        let (token, version) = self.session.token(&self.oauth).await?;
        let send = |token| {
            http::call_api(
                &inner.http,
                call.method.clone(),
                url.clone(),
                token,
                call.body.as_ref(),
                &call.headers,
            )
        };
        match send(&token).await {
            ApiOutcome::Answer(answer) => Ok(answer.body),
            ApiOutcome::Failed(error) => Err(error),
            ApiOutcome::Expired => {
                let (token, _) = self.session.refresh(&self.oauth, version).await?;
                match send(&token).await {
                    ApiOutcome::Answer(answer) => Ok(answer.body),
                    ApiOutcome::Failed(error) => Err(error),
                    ApiOutcome::Expired => {
                        Err(Error::reauthorize(ReauthorizationReason::RefreshRejected {
                            description: Some(
                                "a freshly refreshed token was refused as expired".into(),
                            ),
                        }))
                    }
                }
            }
        }
    }
}

/// A `403 invalid_scope` becomes [`Error::ScopeRefused`], naming what the
/// endpoint needed: the grant changed after it was checked.
fn name_refused_scope(error: Error, needed: ScopeSet) -> Error {
    match error {
        Error::Api { status: 403, errors } if errors.iter().any(|e| e.id == "invalid_scope") => {
            Error::ScopeRefused { needed, errors }
        }
        other => other,
    }
}

/// The `data` of an answer, typed.
pub(crate) fn data<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, Error> {
    let data = match body {
        Value::Object(mut object) => object.remove("data").unwrap_or(Value::Null),
        _ => Value::Null,
    };
    serde_json::from_value(data).map_err(|error| {
        Error::invalid_response(format!(
            "the data is not a {}: {error}",
            std::any::type_name::<T>().rsplit("::").next().unwrap_or("resource")
        ))
    })
}
