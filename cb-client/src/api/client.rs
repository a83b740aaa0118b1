//! `Client<S>`: an authorization verified to cover the set `S`.

use std::fmt;
use std::sync::Arc;

use cb_scopes::{DeclaredScopes, Grant, ScopeSet, SendLimit, SubsetOf};
use reqwest::Method;

use crate::api::executor::{Call, Connection};
use crate::api::models::auth::AuthInfo;
use crate::api::transport::read_data;
use crate::auth::config::Config;
use crate::auth::session::Session;
use crate::auth::token_endpoint;
use crate::error::{ApiError, Error};

/// A user's authorization, checked to grant every scope of `S`.
///
/// Only [`OAuthClient::exchange`](crate::OAuthClient::exchange) and
/// [`OAuthClient::restore`](crate::OAuthClient::restore) make one, and
/// both check the grant first; from then on the compiler checks that every
/// endpoint called needs only scopes of `S`: the endpoints are methods of
/// this type, annotated with the scope each needs. Clones share the tokens
/// and their refresh.
pub struct Client<S> {
    pub(crate) api: Connection,
    grant: Grant<S>,
}

impl<S: DeclaredScopes> Client<S> {
    pub(crate) fn new(config: Arc<Config>, session: Arc<Session>, grant: Grant<S>) -> Self {
        Client { api: Connection { config, session }, grant }
    }

    /// The key this authorization is stored under.
    pub fn key(&self) -> &str {
        self.api.session.key()
    }

    /// The typed grant, for the app's own functions annotated with
    /// `#[requires_scope]`.
    pub fn grant(&self) -> Grant<S> {
        self.grant
    }

    /// Everything Coinbase granted, which may be more than `S`.
    pub fn granted(&self) -> ScopeSet {
        self.grant.granted()
    }

    /// The send limit the user accepted, if the grant can send.
    pub fn send_limit(&self) -> Option<SendLimit> {
        self.api.session.record().and_then(|record| record.send_limit)
    }

    /// The same authorization, typed by a smaller set; the compiler checks
    /// that `T` is a subset of `S`.
    pub fn narrow<T: SubsetOf<S>>(&self) -> Client<T> {
        Client { api: self.api.clone(), grant: self.grant.narrow() }
    }

    /// What the token may do, by Coinbase's account.
    ///
    /// - **Route:** `GET /v2/user/auth`
    /// - **Scope:** no scope
    ///
    /// ```no_run
    /// # cb_scopes::scopes! { struct App(wallet:accounts:read); }
    /// # async fn demo(client: cb_client::Client<App>) -> Result<(), cb_client::Error> {
    /// let info = client.auth_info().await?;
    /// println!("granted {} with limit {:?}", info.scopes, info.send_limit);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    pub async fn auth_info(&self) -> Result<AuthInfo, Error> {
        let body =
            self.api.execute(&Call::new(Method::GET, "v2/user/auth", ScopeSet::empty())).await?;
        AuthInfo::from_data(&read_data::<serde_json::Value>(&body)?)
    }

    /// Revokes the authorization at Coinbase and deletes its stored tokens.
    /// Afterwards every request answers [`Error::ReauthorizationRequired`].
    ///
    /// - **Route:** `POST /oauth2/revoke`, with the client's credentials and
    ///   the bearer token
    ///
    /// # Errors
    ///
    /// Transport, API and store errors. The stored tokens are deleted only
    /// once Coinbase answered 200 (it does for every well-formed request),
    /// so that after any other answer the grant, which may still be live,
    /// can be revoked again.
    pub async fn revoke(&self) -> Result<(), Error> {
        let Connection { config, session } = &self.api;
        let inner = &**config;
        let live = match session.token(config).await {
            Ok(token) => {
                let status = token_endpoint::revoke(inner, &token).await?;
                if status != reqwest::StatusCode::OK {
                    return Err(Error::Api {
                        status,
                        errors: vec![ApiError::new(
                            "revoke_failed",
                            format!("the revoke endpoint answered {status}; the tokens are kept"),
                        )],
                    });
                }
                true
            }
            // Nothing usable to revoke: the authorization is gone already.
            Err(Error::ReauthorizationRequired { .. }) => false,
            Err(error) => return Err(error),
        };
        inner.store.delete(session.key()).await?;
        session.clear();
        if live {
            inner.ended(session.key(), &crate::ReauthorizationReason::Revoked);
        }
        tracing::info!(target: "cb_client", "revoked an authorization");
        Ok(())
    }
}

impl<S> Clone for Client<S> {
    fn clone(&self) -> Self {
        Client { api: self.api.clone(), grant: self.grant }
    }
}

impl<S> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("key", &self.api.session.key())
            .field("granted", &self.grant.granted())
            .field("tokens", &self.api.session.record())
            .finish()
    }
}
