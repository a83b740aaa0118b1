//! `Client<S>`: an authorization verified to cover the set `S`, and the
//! requests made with it.

use std::fmt;
use std::sync::Arc;

use cb_scopes::{DeclaredScopes, Grant, ScopeSet, SendLimit, SubsetOf};
use reqwest::Method;
use secrecy::ExposeSecret as _;
use serde_json::Value;

use crate::error::{Error, ReauthorizationReason};
use crate::http::{self, ApiAnswer, ApiOutcome};
use crate::models::AuthInfo;
use crate::oauth::OAuthClient;
use crate::session::Session;

/// A user's authorization, checked to grant every scope of `S`.
///
/// Only [`OAuthClient::exchange`] and [`OAuthClient::restore`] make one, and
/// both check the grant first; from then on the compiler checks that every
/// endpoint called needs only scopes of `S`. Clones share the tokens and
/// their refresh.
pub struct Client<S> {
    oauth: OAuthClient,
    session: Arc<Session>,
    grant: Grant<S>,
}

impl<S: DeclaredScopes> Client<S> {
    pub(crate) fn new(oauth: OAuthClient, session: Arc<Session>, grant: Grant<S>) -> Self {
        Client { oauth, session, grant }
    }

    /// The key this authorization is stored under.
    pub fn key(&self) -> &str {
        self.session.key()
    }

    /// The typed grant, for functions annotated with `#[requires_scope]`.
    pub fn grant(&self) -> Grant<S> {
        self.grant
    }

    /// Everything Coinbase granted, which may be more than `S`.
    pub fn granted(&self) -> ScopeSet {
        self.grant.granted()
    }

    /// The send limit the user accepted, if the grant can send.
    pub fn send_limit(&self) -> Option<SendLimit> {
        self.session.snapshot().and_then(|stored| stored.record.send_limit)
    }

    /// The same authorization, typed by a smaller set; the compiler checks
    /// that `T` is a subset of `S`.
    pub fn narrow<T: SubsetOf<S>>(&self) -> Client<T> {
        Client {
            oauth: self.oauth.clone(),
            session: self.session.clone(),
            grant: self.grant.narrow(),
        }
    }

    /// `GET /v2/user/auth`: what the token may do, by Coinbase's account.
    /// Needs no scope.
    ///
    /// # Errors
    ///
    /// As any request.
    pub async fn auth_info(&self) -> Result<AuthInfo, Error> {
        let answer = self.execute(Method::GET, "v2/user/auth", None, &[]).await?;
        AuthInfo::from_data(&answer.body["data"])
    }

    /// Revokes the authorization at Coinbase and deletes its stored tokens.
    /// Afterwards every request answers [`Error::ReauthorizationRequired`].
    ///
    /// # Errors
    ///
    /// Transport and store errors. When Coinbase could not be reached the
    /// tokens are kept, so that revoking can be tried again.
    pub async fn revoke(&self) -> Result<(), Error> {
        let inner = &self.oauth.inner;
        match self.session.token(&self.oauth).await {
            Ok((token, _)) => {
                let form = [
                    ("token", token.expose_secret()),
                    ("client_id", inner.client_id.as_str()),
                    ("client_secret", inner.client_secret.expose_secret()),
                ];
                let response = inner
                    .http
                    .post(inner.revoke_endpoint.clone())
                    .bearer_auth(token.expose_secret())
                    .form(&form)
                    .send()
                    .await
                    .map_err(Error::Transport)?;
                // Coinbase answers 200 whether or not it revoked anything.
                if response.status().is_server_error() {
                    return Err(Error::Api {
                        status: response.status().as_u16(),
                        errors: vec![crate::ApiError::new(
                            "internal_server_error",
                            "revoke failed",
                        )],
                    });
                }
            }
            // Nothing usable to revoke: the authorization is gone already.
            Err(Error::ReauthorizationRequired { .. }) => {}
            Err(error) => return Err(error),
        }
        inner.store.delete(self.session.key()).await?;
        self.session.clear();
        tracing::info!(target: "cb_client", "revoked an authorization");
        Ok(())
    }

    /// Makes one v2 call with a fresh token; on `401 expired_token`, refreshes
    /// once and replays it.
    pub(crate) async fn execute(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, String)],
    ) -> Result<ApiAnswer, Error> {
        let inner = &self.oauth.inner;
        let url = inner.api_base.join(path).map_err(|error| Error::Config(error.to_string()))?;
        let (token, version) = self.session.token(&self.oauth).await?;
        match http::call_api(&inner.http, method.clone(), url.clone(), &token, body, headers).await
        {
            ApiOutcome::Answer(answer) => Ok(answer),
            ApiOutcome::Failed(error) => Err(error),
            ApiOutcome::Expired => {
                let (token, _) = self.session.refresh(&self.oauth, version).await?;
                match http::call_api(&inner.http, method, url, &token, body, headers).await {
                    ApiOutcome::Answer(answer) => Ok(answer),
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

impl<S> Clone for Client<S> {
    fn clone(&self) -> Self {
        Client { oauth: self.oauth.clone(), session: self.session.clone(), grant: self.grant }
    }
}

impl<S> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("key", &self.session.key())
            .field("granted", &self.grant.granted())
            .field("tokens", &self.session.snapshot().map(|stored| stored.record))
            .finish()
    }
}
