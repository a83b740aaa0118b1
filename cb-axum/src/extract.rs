//! `Coinbase<S>`: the extractor whose type says which scopes a handler
//! needs.

use std::any::TypeId;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse as _, Response};
use cb_client::cb_scopes::DeclaredScopes;
use cb_client::{Client, Error, StoreError};

use crate::connect::{CoinbaseState, RejectionReason, reject};

/// The current user's Coinbase authorization, checked to grant every scope
/// of `S`: restored from the store under the user's key, without a network
/// call.
///
/// Because `S` is a type, calling an endpoint outside `S` in the handler
/// does not compile, as everywhere else with `cb-scopes`. A request without
/// an authorization that covers `S` is answered as
/// [`CoinbaseConnect::rejection`](crate::CoinbaseConnect::rejection) says: by
/// default, a redirect to the connect route of `S`.
///
/// ```no_run
/// use cb_axum::Coinbase;
/// use cb_client::cb_scopes::scopes;
///
/// scopes! { pub struct ReadOnly(wallet:accounts:read); }
///
/// async fn balances(Coinbase(client): Coinbase<ReadOnly>) -> String {
///     match client.accounts().all().await {
///         Ok(accounts) => format!("{} accounts", accounts.len()),
///         Err(error) => error.to_string(),
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Coinbase<S>(pub Client<S>);

impl<S, St> FromRequestParts<St> for Coinbase<S>
where
    S: DeclaredScopes + 'static,
    St: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        let Some(CoinbaseState(shared)) = parts.extensions.get::<CoinbaseState>().cloned() else {
            tracing::error!(target: "cb_axum", "Coinbase<S> needs CoinbaseConnect::layer() on the router");
            return Err((StatusCode::INTERNAL_SERVER_ERROR, "CoinbaseConnect::layer() is missing")
                .into_response());
        };
        let Some(key) = shared.users.user_key(parts).await else {
            return Err(reject(&shared, TypeId::of::<S>(), RejectionReason::NotConnected));
        };
        match shared.oauth.restore::<S>(&key).await {
            Ok(client) => Ok(Coinbase(client)),
            Err(Error::ReauthorizationRequired { .. }) => {
                Err(reject(&shared, TypeId::of::<S>(), RejectionReason::NotConnected))
            }
            // A record no version can read holds nothing usable: the user
            // connects again, and the new exchange replaces it.
            Err(Error::Store(StoreError::Corrupt { detail, .. })) => {
                tracing::warn!(target: "cb_axum", "the stored authorization is corrupt, sending the user to connect again: {detail}");
                Err(reject(&shared, TypeId::of::<S>(), RejectionReason::NotConnected))
            }
            Err(Error::ScopesNotGranted(not_granted)) => {
                let connect_path = shared.connect_path_of(TypeId::of::<S>());
                let missing = not_granted.missing();
                Err(reject(
                    &shared,
                    TypeId::of::<S>(),
                    RejectionReason::MoreScopesNeeded { missing, connect_path },
                ))
            }
            Err(error) => {
                tracing::error!(target: "cb_axum", "restoring an authorization failed: {error}");
                Err((StatusCode::SERVICE_UNAVAILABLE, "the token store failed").into_response())
            }
        }
    }
}
