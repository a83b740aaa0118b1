//! `OAuthClient`: the app's registration with Coinbase, its endpoints, its
//! HTTP client and token store; and the ways to a `Client<S>`: exchange,
//! restore. Also revocation by key.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};

use cb_scopes::{AuthorizationCode, AuthorizeUrl, DeclaredScopes, Grant, ScopeSet};
use reqwest::Method;
use secrecy::{ExposeSecret as _, SecretString};
use tracing::Instrument as _;

use crate::api::client::Client;
use crate::api::models::auth::AuthInfo;
use crate::api::transport::{self, ApiOutcome};
use crate::auth::config::Config;
use crate::auth::session::{Bearer, Session, State};
use crate::auth::store::error::StoreError;
use crate::auth::store::{Stored, TokenStore};
use crate::auth::token_endpoint::{self, TokenCallError};
use crate::auth::tokens::{TokenRecord, fingerprint};
use crate::error::{ConfigError, Error, ReauthorizationReason};

/// An app registered with Coinbase, ready to turn authorization codes into
/// clients and to restore them from its token store.
///
/// It is cheap to clone and meant to be shared: every client it makes for
/// the same key shares one refresh, whichever task asks.
///
/// ```no_run
/// # cb_scopes::scopes! { #[send_limit(amount = "50", currency = "USD", period = "day")]
/// #   pub struct Payouts(wallet:accounts:read, wallet:transactions:send); }
/// # async fn demo(code: cb_scopes::AuthorizationCode<Payouts>) -> Result<(), cb_client::Error> {
/// use cb_client::{FileStore, OAuthClient};
///
/// let oauth = OAuthClient::builder("client-id", "client-secret", "https://app.example/callback")
///     .store(FileStore::new("/var/lib/app/tokens")?)
///     .build()?;
/// let client = oauth.exchange(code, "user-42").await?;     // after the callback
/// let again = oauth.restore::<Payouts>("user-42").await?;  // later, from the store
/// # let _ = (client, again); Ok(()) }
/// ```
#[derive(Clone)]
pub struct OAuthClient {
    pub(crate) config: Arc<Config>,
    /// One session per key in this process, shared by all its clients.
    sessions: Arc<Mutex<HashMap<String, Weak<Session>>>>,
}

impl OAuthClient {
    pub(crate) fn new(config: Config) -> Self {
        OAuthClient { config: Arc::new(config), sessions: Arc::default() }
    }

    /// The authorize URL builder for the set `S`, already holding this app's
    /// client id, redirect URI and authorize endpoint.
    pub fn authorize_url<S: DeclaredScopes>(&self) -> AuthorizeUrl<S> {
        AuthorizeUrl::new(&self.config.client_id, self.config.redirect_uri.as_str())
            .endpoint(self.config.authorize_endpoint.as_str())
    }

    /// Exchanges an authorization code for tokens, checks what Coinbase
    /// granted, saves the tokens under `key` (the app's name for this
    /// authorization, such as its user id), and returns the client.
    ///
    /// The grant is read from the token response's `scope` and checked
    /// against `GET /v2/user/auth`; where the two differ, only what both
    /// grant counts.
    ///
    /// # Errors
    ///
    /// - [`Error::ScopesNotGranted`] when the user unticked a scope of `S`.
    ///   The tokens are saved all the same, so that the app can revoke them
    ///   ([`OAuthClient::revoke`]) before asking the user to authorize again.
    /// - [`Error::ReauthorizationRequired`] when Coinbase refuses the code.
    /// - Transport, API and store errors.
    pub async fn exchange<S: DeclaredScopes>(
        &self,
        code: AuthorizationCode<S>,
        key: &str,
    ) -> Result<Client<S>, Error> {
        self.check_redirect_uri(&code)?;
        let (granted, session) = self.exchange_in_background(code, key, None).await?;
        let grant = Grant::<S>::check(granted)?;
        Ok(Client::new(self.config.clone(), session, grant))
    }

    /// Exchanges the code of a second consent, for a larger set than the
    /// one already stored under `key` (incremental authorization), without
    /// ever losing the authorization the user has.
    ///
    /// The new tokens replace the stored ones only once their grant is
    /// verified to cover `S`. Then the superseded grant is revoked at
    /// Coinbase (best effort: a failure is logged, and the new
    /// authorization stands). A grant that does not cover `S`, or that
    /// cannot be verified, is revoked at Coinbase at once and the stored
    /// authorization stays as it was, working. With nothing stored under
    /// `key` it is [`exchange`](Self::exchange), except that a partial
    /// grant is revoked rather than saved.
    ///
    /// # Errors
    ///
    /// [`Error::ScopesNotGranted`] and [`Error::GrantNotVerified`] (the new
    /// tokens revoked, the earlier authorization kept), and as
    /// [`exchange`](Self::exchange).
    pub async fn upgrade<S: DeclaredScopes>(
        &self,
        code: AuthorizationCode<S>,
        key: &str,
    ) -> Result<Client<S>, Error> {
        self.check_redirect_uri(&code)?;
        let (granted, session) = self.exchange_in_background(code, key, Some(S::SCOPES)).await?;
        let grant = Grant::<S>::check(granted)?;
        Ok(Client::new(self.config.clone(), session, grant))
    }

    fn check_redirect_uri<S>(&self, code: &AuthorizationCode<S>) -> Result<(), Error> {
        let config = &*self.config;
        if code.redirect_uri() != &config.redirect_uri {
            return Err(Error::Config(ConfigError::RedirectUriMismatch {
                requested: code.redirect_uri().to_string(),
                configured: config.redirect_uri.to_string(),
            }));
        }
        Ok(())
    }

    /// Runs the exchange in a task of the client: a caller dropped while
    /// the token request is on its way (a browser that went away) stops
    /// waiting, never the exchange, whose tokens are saved under `key` for
    /// `restore` to find. With `replace_only_covering`, the tokens replace
    /// what is stored only if their grant covers that set.
    async fn exchange_in_background<S>(
        &self,
        code: AuthorizationCode<S>,
        key: &str,
        replace_only_covering: Option<ScopeSet>,
    ) -> Result<(ScopeSet, Arc<Session>), Error> {
        let this = self.clone();
        let key_owned = key.to_owned();
        let secrets =
            (code.code().clone(), code.code_verifier().clone(), code.redirect_uri().to_string());
        let task = self.config.background.spawn(async move {
            let (code, verifier, redirect_uri) = secrets;
            this.exchange_owned(&code, &verifier, &redirect_uri, &key_owned, replace_only_covering)
                .await
        });
        match task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(Error::RuntimeGone("exchange")),
        }
    }

    /// The exchange itself, run by a task of the client: the token request,
    /// the grant check and the save. Returns the verified grant and the
    /// session that holds the tokens.
    async fn exchange_owned(
        &self,
        code: &SecretString,
        verifier: &SecretString,
        redirect_uri: &str,
        key: &str,
        replace_only_covering: Option<ScopeSet>,
    ) -> Result<(ScopeSet, Arc<Session>), Error> {
        let config = &*self.config;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.expose_secret()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.expose_secret()),
        ];
        let mut attempt = 0;
        let token = loop {
            attempt += 1;
            match token_endpoint::post_token(config, "authorization_code", attempt, &form).await {
                Ok(token) => break token,
                // A code is single use: retry only what never reached Coinbase.
                Err(TokenCallError::NotSent(_)) if attempt < config.retry.attempts => {
                    tokio::time::sleep(config.retry.delay(attempt)).await;
                }
                Err(TokenCallError::Rejected { error, description, .. })
                    if error == "invalid_grant" =>
                {
                    return Err(Error::reauthorize(ReauthorizationReason::CodeRejected {
                        description,
                    }));
                }
                Err(error) => return Err(token_endpoint::token_error(error)),
            }
        };
        let now = config.clock.now();
        let access_token = SecretString::from(token.access_token.clone());
        let mut record = TokenRecord::new(
            access_token,
            token.refresh_token.clone().map(SecretString::from),
            token.expires_at(now),
            token.granted().unwrap_or_else(ScopeSet::empty),
        );
        // The code is spent: from here on the tokens must end up saved,
        // whatever else fails, so that the app can use or revoke them.
        let info = match self.auth_info_with(&record.access_token).await {
            Ok(info) => info,
            Err(error) if replace_only_covering.is_some() => {
                // The user's earlier authorization stays; these tokens go.
                let revoked = self.revoke_token(&record.access_token).await;
                tracing::warn!(target: "cb_client", revoked, "an upgrade's grant could not be verified; its tokens were revoked: {error}");
                return Err(Error::GrantNotVerified { source: Box::new(error) });
            }
            Err(error) => {
                self.save_or_revoke(key, &record).await?;
                tracing::warn!(target: "cb_client", "saved the tokens of an unverified grant: {error}");
                return Err(Error::GrantNotVerified { source: Box::new(error) });
            }
        };
        record.granted = match token.granted() {
            Some(from_token) if from_token != info.scopes => {
                tracing::warn!(
                    target: "cb_client",
                    token_response = %from_token,
                    user_auth = %info.scopes,
                    "the token response and /v2/user/auth disagree on the grant; using what both grant"
                );
                from_token.intersection(info.scopes)
            }
            _ => info.scopes,
        };
        record.send_limit = info.send_limit;
        let granted = record.granted;
        if let Some(required) = replace_only_covering
            && let Some(not_granted) = cb_scopes::ScopesNotGranted::between(required, granted)
        {
            let revoked = self.revoke_token(&record.access_token).await;
            tracing::info!(target: "cb_client", revoked, missing = %not_granted.missing(), "a partial upgrade was revoked; the earlier authorization stays");
            return Err(not_granted.into());
        }
        let superseded = match replace_only_covering {
            Some(_) => self.config.store.load(key).await.ok().flatten(),
            None => None,
        };
        let version = self.save_or_revoke(key, &record).await?;
        if let Some(superseded) = superseded
            .filter(|old| old.record.tombstone.is_none() && !old.record.same_tokens(&record))
        {
            // The new grant covers everything the old one did and more: the
            // old one would only linger at Coinbase.
            let revoked = self.revoke_token(&superseded.record.access_token).await;
            tracing::info!(target: "cb_client", revoked, "revoked the grant an upgrade superseded");
        }
        tracing::info!(
            target: "cb_client",
            access = %fingerprint(&record.access_token),
            granted = %granted,
            "exchanged an authorization code"
        );
        let session = self.session(key);
        session.replace(Stored { record, version });
        Ok((granted, session))
    }

    /// Saves the tokens of a fresh exchange under `key`, replacing what is
    /// there. Tokens that can never be saved would be a live grant nobody
    /// can use or revoke later: they are revoked at Coinbase, and the error
    /// says so.
    async fn save_or_revoke(&self, key: &str, record: &TokenRecord) -> Result<u64, Error> {
        let config = &*self.config;
        let mut attempt = 0;
        let error = loop {
            attempt += 1;
            match save_replacing(config.store.as_ref(), key, record).await {
                Ok(version) => return Ok(version),
                Err(error) if attempt < config.retry.attempts => {
                    tracing::warn!(target: "cb_client", attempt, "saving an exchange's tokens failed: {error}");
                    tokio::time::sleep(config.retry.delay(attempt)).await;
                }
                Err(error) => break error,
            }
        };
        let revoked = self.revoke_token(&record.access_token).await;
        tracing::error!(target: "cb_client", revoked, "an exchange's tokens could not be saved: {error}");
        Err(Error::TokensNotSaved { revoked, source: Box::new(error) })
    }

    /// Revokes one grant at Coinbase by its access token; whether Coinbase
    /// answered 200.
    async fn revoke_token(&self, access_token: &SecretString) -> bool {
        token_endpoint::revoke(&self.config, access_token)
            .await
            .is_ok_and(|status| status == reqwest::StatusCode::OK)
    }

    /// The client for the authorization stored under `key`, checked to cover
    /// `S` without a network call.
    ///
    /// # Errors
    ///
    /// [`Error::ReauthorizationRequired`] when nothing is stored or the
    /// stored authorization ended (a refresh was refused or its answer
    /// lost: the reason says which), [`Error::ScopesNotGranted`] when the
    /// stored grant is too small, and store errors.
    pub async fn restore<S: DeclaredScopes>(&self, key: &str) -> Result<Client<S>, Error> {
        let loaded = self.config.store.load(key).await?;
        // A pair this process refreshed but could not save yet is newer
        // than what the store holds (the spent pair, or a tombstone another
        // instance wrote after trying it): the session prefers it.
        let session = self.session(key);
        let granted = match session.adopt(loaded) {
            State::Live(stored) => stored.record.granted,
            State::Dirty { record, .. } => record.granted,
            State::Ended(reason) => return Err(Error::reauthorize(reason)),
            State::Gone => return Err(Error::reauthorize(ReauthorizationReason::NotStored)),
        };
        let grant = Grant::<S>::check(granted)?;
        Ok(Client::new(self.config.clone(), session, grant))
    }

    /// Revokes the authorization stored under `key` and deletes it, whatever
    /// its grant: the way out of [`Error::ScopesNotGranted`].
    ///
    /// # Errors
    ///
    /// Transport, API and store errors; the record is kept unless Coinbase
    /// answered 200, so that revoking can be tried again. A record that
    /// ended already (its refresh was refused or lost), or that is corrupt
    /// (no token can be read from it), holds nothing usable and is deleted
    /// without a request.
    pub async fn revoke(&self, key: &str) -> Result<(), Error> {
        match self.restore::<AnyGrant>(key).await {
            Ok(client) => client.revoke().await,
            Err(Error::Store(StoreError::Corrupt { detail, .. })) => {
                tracing::warn!(target: "cb_client", "deleting a corrupt record: {detail}");
                self.config.store.delete(key).await?;
                self.session(key).clear();
                Ok(())
            }
            Err(Error::ReauthorizationRequired { reason })
                if reason != ReauthorizationReason::NotStored =>
            {
                self.config.store.delete(key).await?;
                self.session(key).clear();
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Waits, for at most `deadline`, for the client's background work:
    /// refreshes in flight and saves of refreshed pairs that the store has
    /// not taken yet. Call it when the process is about to end (a rolling
    /// deploy's `SIGTERM`, axum's graceful shutdown), after the server
    /// stopped taking requests: a refresh that Coinbase answered but that
    /// was not saved would otherwise be lost with the process, and the next
    /// instance would post the spent token.
    ///
    /// Returns whether everything finished in time. Work started after the
    /// call is still done, and waited for if it starts before the wait
    /// ends.
    pub async fn shutdown(&self, deadline: std::time::Duration) -> bool {
        let background = &self.config.background;
        background.close();
        let drained = tokio::time::timeout(deadline, background.wait()).await.is_ok();
        // Later clones of this client may start work again.
        background.reopen();
        if !drained {
            tracing::warn!(target: "cb_client", "shutdown: background work still running after {deadline:?}");
        }
        drained
    }

    /// The grant stored under `key`, without a network call.
    ///
    /// # Errors
    ///
    /// As [`restore`](Self::restore), less the grant check.
    pub async fn stored_grant(&self, key: &str) -> Result<ScopeSet, Error> {
        let stored = self.config.store.load(key).await?;
        stored
            .map(|stored| stored.record.granted)
            .ok_or_else(|| Error::reauthorize(ReauthorizationReason::NotStored))
    }

    /// One session per key in this process, shared by all its clients.
    pub(crate) fn session(&self, key: &str) -> Arc<Session> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(session) = sessions.get(key).and_then(Weak::upgrade) {
            return session;
        }
        sessions.retain(|_, session| session.strong_count() > 0);
        let session = Arc::new(Session::new(key));
        sessions.insert(key.to_owned(), Arc::downgrade(&session));
        session
    }

    /// `GET /v2/user/auth` with a given token, for the exchange: a read,
    /// so transport failures, server errors and 429s are retried within
    /// the retry policy.
    async fn auth_info_with(&self, token: &SecretString) -> Result<AuthInfo, Error> {
        let config = &*self.config;
        let url = config
            .api_base
            .join("v2/user/auth")
            .map_err(|source| ConfigError::InvalidUrl { what: "API base", source })?;
        let bearer = Bearer::new(token.clone())?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let span = transport::request_span(
                &"GET /v2/user/auth",
                &"/v2/user/auth",
                "GET",
                &"",
                attempt,
            );
            let error = match transport::call_api(
                &config.http,
                Method::GET,
                url.clone(),
                &bearer,
                None,
                &[],
                config.max_response_bytes,
            )
            .instrument(span)
            .await
            {
                ApiOutcome::Answer(answer) => {
                    return AuthInfo::from_data(&transport::read_data(&answer.body)?);
                }
                ApiOutcome::Expired => {
                    return Err(Error::invalid_response(
                        "a fresh access token was refused as expired",
                    ));
                }
                ApiOutcome::Failed(error) => error,
            };
            let retryable = match &error {
                Error::Transport(_) | Error::RateLimited { retry_after: None } => true,
                Error::Api { status, .. } => status.is_server_error(),
                _ => false,
            };
            if !retryable || attempt >= config.retry.attempts {
                return Err(error);
            }
            tokio::time::sleep(config.retry.delay(attempt)).await;
        }
    }
}

/// Saves `record` under `key` over whatever is there. The tokens were just
/// issued and exist nowhere else, so a concurrent writer (another exchange
/// for the same key) is outwaited, a few times, rather than losing them.
async fn save_replacing(
    store: &dyn TokenStore,
    key: &str,
    record: &TokenRecord,
) -> Result<u64, Error> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let existing = match store.load(key).await {
            Ok(stored) => stored.map(|stored| stored.version),
            // A record no version can read holds no usable tokens, and would
            // otherwise wedge its key: the fresh tokens replace it.
            Err(StoreError::Corrupt { detail, .. }) if attempts < 5 => {
                tracing::warn!(target: "cb_client", "replacing a corrupt record: {detail}");
                store.delete(key).await?;
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        match store.save(key, record, existing).await {
            Ok(version) => return Ok(version),
            Err(StoreError::Conflict { .. }) if attempts < 5 => continue,
            Err(error) => return Err(error.into()),
        }
    }
}

/// The empty set: every stored grant covers it.
type AnyGrant = cb_scopes::scopes!();

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &*self.config;
        f.debug_struct("OAuthClient")
            .field("client_id", &config.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("redirect_uri", &config.redirect_uri.as_str())
            .field("token_endpoint", &config.token_endpoint.as_str())
            .field("api_base", &config.api_base.as_str())
            .finish_non_exhaustive()
    }
}
