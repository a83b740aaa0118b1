//! The executor every endpoint goes through: a fresh token, one replay after
//! `401 expired_token`, bounded retries where they are safe, and errors
//! that say what the endpoint needed.

use std::sync::Arc;

use cb_scopes::ScopeSet;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret as _;
use serde_json::Value;
use tracing::Instrument as _;
use url::Url;

use crate::api::transport::{self, ApiOutcome};
use crate::auth::config::Config;
use crate::auth::session::{Bearer, Session};
use crate::error::{Error, ReauthorizationReason};

/// One authorization's connection to the API, without its type: what
/// `Client<S>`, lists and pending sends share.
#[derive(Clone)]
pub(crate) struct Connection {
    pub(crate) config: Arc<Config>,
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
    /// The endpoint's route template (`/v2/accounts/:id/transactions`), for
    /// spans: ids in a span's route would make one metrics series per
    /// account.
    pub(crate) template: Option<&'static str>,
}

/// A call's route for its span, written only if a subscriber records it:
/// the method and the endpoint's route template, or, for a call that has
/// none, the path without its query, which may hold cursors.
struct RouteOf<'a>(&'a Call);

impl std::fmt::Display for RouteOf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.method, TemplateOf(self.0))
    }
}

/// A call's route template (OpenTelemetry's `url.template`).
struct TemplateOf<'a>(&'a Call);

impl std::fmt::Display for TemplateOf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.template {
            Some(template) => f.write_str(template),
            None => {
                let path =
                    self.0.path.split('?').next().unwrap_or_default().trim_start_matches('/');
                write!(f, "/{path}")
            }
        }
    }
}

impl Call {
    pub(crate) fn new(method: Method, path: impl Into<String>, needed: ScopeSet) -> Self {
        let idempotent = method == Method::GET;
        Call {
            method,
            path: path.into(),
            body: None,
            headers: Vec::new(),
            needed,
            idempotent,
            template: None,
        }
    }

    pub(crate) fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Adds a query parameter, encoded as a form value.
    pub(crate) fn query(mut self, name: &str, value: &str) -> Self {
        let start = match self.path.find('?') {
            Some(at) => at + 1,
            None => {
                self.path.push('?');
                self.path.len()
            }
        };
        url::form_urlencoded::Serializer::for_suffix(&mut self.path, start)
            .append_pair(name, value);
        self
    }
}

impl Connection {
    /// Makes the call, retrying within the client's retry policy: a `429`
    /// always (it was not processed), waiting as `Retry-After` says;
    /// server errors and transport failures only when the call is
    /// idempotent.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Vec<u8>, Error> {
        let policy = self.config.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // One span per attempt, for the app's tracing subscriber: which
            // call, which scope, which attempt, and how Coinbase answered.
            let span = transport::request_span(
                &RouteOf(call),
                &TemplateOf(call),
                call.method.as_str(),
                &call.needed,
                attempt,
            );
            #[cfg(feature = "rate-limit")]
            if let Some(limiter) = &self.config.limiter {
                let waited =
                    limiter.wait(self.session.key(), &call.path).instrument(span.clone()).await;
                if !waited.is_zero() {
                    span.record("cb.rate_limit_wait_ms", waited.as_millis() as u64);
                }
            }
            let result = self.once(call).instrument(span).await;
            let wait = match &result {
                Err(Error::RateLimited { retry_after }) => {
                    let wait = retry_after.unwrap_or_else(|| policy.delay(attempt));
                    // Waiting longer than the policy allows is the caller's call.
                    (wait <= policy.max_delay).then_some(wait)
                }
                Err(Error::Api { status, .. }) if status.is_server_error() && call.idempotent => {
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
                _ => return result.map_err(|error| self.classify(error, call.needed)),
            }
        }
    }

    /// One attempt: a fresh token, and one replay after `expired_token`,
    /// or after `revoked_token` when the store holds a newer authorization.
    async fn once(&self, call: &Call) -> Result<Vec<u8>, Error> {
        let config = &self.config;
        let url = || {
            resolve(&config.api_base, &call.path).map_err(|unsafe_path| match unsafe_path {
                UnsafePath::Segment(id) => Error::InvalidId { id },
                UnsafePath::OffBase => Error::invalid_response(format!(
                    "a URL that leaves the API base: {}",
                    call.path.split('?').next().unwrap_or_default()
                )),
            })
        };
        let first_url = url()?;
        let bearer = self.session.bearer(config).await?;
        let send = |url, bearer| {
            transport::call_api(
                &config.http,
                call.method.clone(),
                url,
                bearer,
                call.body.as_ref(),
                &call.headers,
                config.max_response_bytes,
            )
        };
        let token = bearer.token();
        let replacement = match send(first_url, &bearer).await {
            ApiOutcome::Answer(answer) => return Ok(answer.body),
            ApiOutcome::Expired => self.session.refresh(config, Some(token)).await?,
            ApiOutcome::Failed(Error::ReauthorizationRequired {
                reason: ReauthorizationReason::Revoked,
            }) => {
                // Another instance may have authorized this key again.
                match self.session.reload(config).await? {
                    Some(newer) if newer.expose_secret() != token.expose_secret() => newer,
                    _ => return Err(Error::reauthorize(ReauthorizationReason::Revoked)),
                }
            }
            ApiOutcome::Failed(error) => return Err(error),
        };
        // Resolved again rather than kept from the first attempt: most
        // calls are answered the first time, and a kept `Url` would be an
        // allocation per call.
        match send(url()?, &Bearer::new(replacement)?).await {
            ApiOutcome::Answer(answer) => Ok(answer.body),
            ApiOutcome::Failed(error) => Err(error),
            ApiOutcome::Expired => {
                Err(Error::reauthorize(ReauthorizationReason::RefreshRejected {
                    description: Some("a freshly refreshed token was refused as expired".into()),
                }))
            }
        }
    }

    /// Coinbase's refusals that have a kind of their own: a `403
    /// invalid_scope` names what the endpoint needed (the grant changed
    /// after it was checked), and a send over the authorization's limit
    /// says which limit.
    fn classify(&self, error: Error, needed: ScopeSet) -> Error {
        match error {
            // v2 says `invalid_scope`; Advanced Trade, `PERMISSION_DENIED`.
            Error::Api { status: StatusCode::FORBIDDEN, errors }
                if errors
                    .iter()
                    .any(|e| e.id == "invalid_scope" || e.id == "PERMISSION_DENIED") =>
            {
                Error::ScopeRefused { needed, errors }
            }
            Error::Api {
                status:
                    StatusCode::BAD_REQUEST
                    | StatusCode::PAYMENT_REQUIRED
                    | StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            } if errors.iter().any(|e| e.id == SEND_LIMIT_EXCEEDED) => {
                let limit = self.session.record().and_then(|record| record.send_limit);
                Error::SendLimitExceeded { limit, errors }
            }
            other => other,
        }
    }
}

/// Why a path may not be requested with the user's token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum UnsafePath {
    /// A segment that is empty, `.` or `..` (in any encoding): an id that
    /// would change the route.
    Segment(String),
    /// The URL would leave the API base's origin or climb out of its path.
    OffBase,
}

/// The URL of `path` under the API `base`: a relative path (an endpoint's)
/// or an absolute one (a `next_uri`). Only a URL on the base's origin and
/// under its path, with no dot or empty segment, is ever requested with the
/// user's token.
pub(crate) fn resolve(base: &Url, path: &str) -> Result<Url, UnsafePath> {
    let route = path.split(['?', '#']).next().unwrap_or_default();
    // Scheme-relative, backslashed or absolute: `url` would read a host
    // from it, so only the origin check below can tell.
    let absolute = route.starts_with("//") || route.contains(['\\', ':']);
    if !absolute {
        let relative = route.strip_prefix('/').unwrap_or(route);
        for segment in relative.split('/') {
            // `url` treats `%2e` as a dot too.
            let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
            if segment.is_empty() || decoded == "." || decoded == ".." {
                return Err(UnsafePath::Segment(decoded.into_owned()));
            }
        }
    }
    let url = base.join(path).map_err(|_| UnsafePath::OffBase)?;
    // The origin, compared part by part: `Url::origin` would copy the host
    // twice per request. The base is http or https (the builder checks).
    let inside = url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
        && url.path().starts_with(base.path())
        && url.username().is_empty()
        && url.password().is_none();
    if inside { Ok(url) } else { Err(UnsafePath::OffBase) }
}

/// The error id of a send over the authorization's send limit. Coinbase's
/// public reference names no id for it; this is the one `cb-sandbox`
/// answers, and a send is classified by it, never by message text.
pub(crate) const SEND_LIMIT_EXCEEDED: &str = "send_limit_exceeded";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_urls_under_the_api_base_are_resolved() {
        let base = Url::parse("http://127.0.0.1:8787/api/").unwrap();
        let ok = |path: &str| resolve(&base, path).unwrap().to_string();
        assert_eq!(ok("v2/accounts"), "http://127.0.0.1:8787/api/v2/accounts");
        assert_eq!(
            ok("/api/v2/accounts?starting_after=a"),
            "http://127.0.0.1:8787/api/v2/accounts?starting_after=a"
        );
        assert_eq!(ok("http://127.0.0.1:8787/api/v2/x"), "http://127.0.0.1:8787/api/v2/x");
        assert_eq!(ok("v2/accounts/..%2Fuser"), "http://127.0.0.1:8787/api/v2/accounts/..%2Fuser");
        for off in [
            "http://other.example/api/v2/accounts",
            "//other.example/api/v2/accounts",
            "https://127.0.0.1:8787/api/v2/accounts",
            "http://127.0.0.1:9999/api/v2/accounts",
            "/v2/accounts",
            "/\\other.example/api/v2",
            "http://user@127.0.0.1:8787/api/v2",
        ] {
            assert_eq!(resolve(&base, off), Err(UnsafePath::OffBase), "{off}");
        }
        for (path, id) in [
            ("v2/accounts/..", ".."),
            ("v2/accounts/.", "."),
            ("v2/accounts/%2e%2E", ".."),
            ("v2/accounts/%2E", "."),
            ("v2/accounts//transactions", ""),
            ("v2/accounts/", ""),
        ] {
            assert_eq!(resolve(&base, path), Err(UnsafePath::Segment(id.to_owned())), "{path}");
        }
    }
}
