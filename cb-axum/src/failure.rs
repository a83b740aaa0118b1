//! `CoinbaseError`: a handler's `cb_client::Error` as a response an app can
//! send as it is.

use std::any::TypeId;
use std::marker::PhantomData;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use cb_client::{Error, ReauthorizationReason};

use crate::connect::RejectionReason;
use crate::layer::Reconnect;

/// A `cb_client::Error` from a handler that needs the set `S`, as a
/// response: return `Result<_, CoinbaseError<S>>` and use `?` on the
/// client's calls.
///
/// - The authorization ended ([`Error::ReauthorizationRequired`]), or the
///   grant no longer covers `S` ([`Error::ScopesNotGranted`],
///   [`Error::ScopeRefused`]): the user is sent to connect again, the way
///   the extractor does it (the connect route of `S`, or the app's
///   [`Rejection`](crate::Rejection)), when
///   [`CoinbaseConnect::layer`](crate::CoinbaseConnect::layer) is on the
///   router; `401` without it.
/// - Coinbase throttled the user: `429`, with its `Retry-After`.
/// - Anything else: a short page with a reference id, `502` for Coinbase's
///   failures and `503` for the store's, the detail in the log (`tracing`)
///   under that id. No token, key or store message reaches the browser.
///
/// ```no_run
/// use axum::response::Html;
/// use cb_axum::{Coinbase, CoinbaseError};
/// use cb_client::cb_scopes::scopes;
///
/// scopes! { pub struct Balances(wallet:accounts:read); }
///
/// async fn balances(
///     Coinbase(client): Coinbase<Balances>,
/// ) -> Result<Html<String>, CoinbaseError<Balances>> {
///     let accounts = client.accounts().all().await?;
///     Ok(Html(format!("{} accounts", accounts.len())))
/// }
/// ```
pub struct CoinbaseError<S> {
    error: Error,
    set: PhantomData<fn() -> S>,
}

impl<S> CoinbaseError<S> {
    /// The client's error.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The client's error, taken back.
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl<S> From<Error> for CoinbaseError<S> {
    fn from(error: Error) -> Self {
        CoinbaseError { error, set: PhantomData }
    }
}

impl<S> std::fmt::Debug for CoinbaseError<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CoinbaseError").field(&self.error).finish()
    }
}

impl<S> std::fmt::Display for CoinbaseError<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl<S> std::error::Error for CoinbaseError<S> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<S: 'static> IntoResponse for CoinbaseError<S> {
    fn into_response(self) -> Response {
        let reconnect = |reason| {
            let mut response = StatusCode::UNAUTHORIZED.into_response();
            response.extensions_mut().insert(Reconnect { set: TypeId::of::<S>(), reason });
            response
        };
        match self.error {
            Error::ReauthorizationRequired { reason } => {
                if reason != ReauthorizationReason::NotStored {
                    tracing::info!(target: "cb_axum", "the authorization ended ({reason}); sending the user to connect again");
                }
                reconnect(RejectionReason::NotConnected)
            }
            Error::ScopesNotGranted(not_granted) => reconnect(RejectionReason::MoreScopesNeeded {
                missing: not_granted.missing(),
                connect_path: None,
            }),
            Error::ScopeRefused { needed, .. } => {
                reconnect(RejectionReason::MoreScopesNeeded { missing: needed, connect_path: None })
            }
            Error::RateLimited { retry_after } => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Coinbase asks to slow down; try again shortly",
                )
                    .into_response();
                if let Some(wait) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
                }
                response
            }
            error => {
                let status = match error {
                    Error::Store(_) | Error::TokensNotSaved { .. } => {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                    _ => StatusCode::BAD_GATEWAY,
                };
                let reference = uuid::Uuid::new_v4().simple().to_string();
                let reference = &reference[..12];
                tracing::error!(target: "cb_axum", reference, "a Coinbase call failed: {error}");
                let page = format!(
                    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Coinbase error</title>\
                     </head><body><h1>Coinbase error</h1><p id=\"failed\">The request to Coinbase \
                     failed. Please try again later (reference <code id=\"reference\">{reference}</code>).\
                     </p></body></html>"
                );
                (status, Html(page)).into_response()
            }
        }
    }
}
