//! One authorization's tokens in this process, and the refresh that keeps
//! them alive.
//!
//! A refresh token works once, so refreshing is the one place where a fault
//! loses a user's authorization. These rules make it safe:
//! 1. **Single flight:** in a process, one refresh per authorization at a
//!    time; tasks that waited find the result and do not refresh again.
//! 2. **Owned by the session, not by a caller:** the refresh, the save and
//!    the hand-over run in a task of their own that holds the flight. A
//!    caller that is dropped (a timeout, a closed browser) stops waiting,
//!    never the refresh, so a pair Coinbase issued is always saved.
//! 3. **Across processes:** the refresh holds the store's refresh lock and
//!    reloads the record first, adopting tokens another process saved, or
//!    the record of a newer authorization (another generation).
//! 4. **Saved before used:** the new pair is saved (compare-and-swap) before
//!    any caller sees it. If the save fails the pair stays here as the
//!    authoritative, *dirty* record: no caller uses it until a later save
//!    succeeds, and no refresh ever posts the spent token from the store.
//!    The client, not the request, owns a dirty record: a background task
//!    keeps saving it with backoff (and keeps the session alive, so that a
//!    `restore` in a later request finds it rather than the store's spent
//!    pair), and `OAuthClient::shutdown` waits for it.
//! 5. **Ends are recorded:** a refresh that Coinbase refused, or whose
//!    answer was lost, leaves a tombstone in the store, so every later use
//!    fails at once with the real reason.
//!
//! The state is a small machine: [`State`] says what this process knows,
//! [`Event`] every way that knowledge changes, and [`next`], a pure
//! function, the one place where it does; [`Session::apply`] is its only
//! caller. The token endpoint sits behind a seam ([`RefreshEndpoint`]),
//! so that the unit tests at the bottom of this file hold each rule above
//! without a server.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};

use crate::auth::config::Config;
use crate::auth::store::BoxFuture;
use crate::auth::store::Stored;
use crate::auth::store::error::StoreError;
use crate::auth::token_endpoint::{self, TokenCallError, token_error};
use crate::auth::tokens::{self, TokenRecord, fingerprint};
use crate::error::{Error, ReauthorizationReason};

/// Where a refresh posts its refresh token: a seam, so that the rules
/// above can be tested without a server. A session without one posts to
/// Coinbase's token endpoint.
pub(crate) trait RefreshEndpoint: Send + Sync + 'static {
    /// One `refresh_token` grant, attempt number `attempt`.
    fn post_refresh<'a>(
        &'a self,
        refresh_token: &'a SecretString,
        attempt: u32,
    ) -> BoxFuture<'a, Result<tokens::TokenResponse, TokenCallError>>;
}

pub(crate) struct Session {
    key: String,
    /// The token endpoint, when it is not Coinbase's (in unit tests).
    endpoint: Option<Arc<dyn RefreshEndpoint>>,
    state: RwLock<State>,
    /// Held by whoever refreshes or saves: a refresh task owns its guard.
    flight: Arc<tokio::sync::Mutex<()>>,
    /// Whether a background task is saving a dirty record.
    saving: std::sync::atomic::AtomicBool,
    /// The access token last handed out, with its `Authorization` header
    /// made once: every request of the token's lifetime shares them.
    bearer: RwLock<Option<Bearer>>,
}

/// An access token ready to send: the token, and its `Authorization`
/// header (marked sensitive, so that no log shows it). Cloning shares it.
#[derive(Clone)]
pub(crate) struct Bearer(Arc<(SecretString, reqwest::header::HeaderValue)>);

impl Bearer {
    /// `token` with its header.
    ///
    /// # Errors
    ///
    /// When the token holds what no header can (Coinbase's never do).
    pub(crate) fn new(token: SecretString) -> Result<Bearer, Error> {
        let header = format!("Bearer {}", token.expose_secret());
        let mut header = reqwest::header::HeaderValue::try_from(header)
            .map_err(|_| Error::invalid_response("the access token cannot be sent in a header"))?;
        header.set_sensitive(true);
        Ok(Bearer(Arc::new((token, header))))
    }

    /// The token.
    pub(crate) fn token(&self) -> &SecretString {
        &self.0.0
    }

    /// `Bearer <token>`, for the `Authorization` header.
    pub(crate) fn header(&self) -> &reqwest::header::HeaderValue {
        &self.0.1
    }
}

/// What this process knows of the authorization.
#[derive(Clone)]
pub(crate) enum State {
    /// Nothing: revoked here, or deleted from the store.
    Gone,
    /// Tokens to use, as the store holds them at `stored.version`.
    Live(Stored),
    /// A refreshed pair that the store does not hold yet: it holds an older
    /// record of the same authorization (at version `over`: the spent pair,
    /// or a tombstone written by a process that tried it). This record is
    /// newer than anything stored and is saved before anyone uses it.
    Dirty { record: TokenRecord, over: u64 },
    /// The authorization ended, for this reason.
    Ended(ReauthorizationReason),
}

/// Every way what this process knows of the authorization changes.
pub(crate) enum Event {
    /// An exchange saved a new authorization.
    Exchanged(Stored),
    /// The store was read: its record, or nothing.
    Loaded(Option<Stored>),
    /// Coinbase issued a new pair for the live record.
    Refreshed(TokenRecord),
    /// The dirty record's save landed, at this version.
    Saved(u64),
    /// The authorization ended, and why.
    Ended(ReauthorizationReason),
    /// It was revoked here.
    Cleared,
}

/// The state after `event`: the whole of the rules by which this process
/// adopts, keeps or drops what it knows.
fn next(state: &State, event: Event) -> State {
    match (state, event) {
        (_, Event::Exchanged(stored)) => State::Live(stored),
        (_, Event::Cleared | Event::Loaded(None)) => State::Gone,
        (_, Event::Ended(reason)) => State::Ended(reason),
        (State::Live(base), Event::Refreshed(record)) => {
            State::Dirty { record, over: base.version }
        }
        (State::Dirty { record, .. }, Event::Saved(version)) => {
            State::Live(Stored { record: record.clone(), version })
        }
        // A refresh or a save that no longer applies changes nothing.
        (state, Event::Refreshed(_) | Event::Saved(_)) => state.clone(),
        (state, Event::Loaded(Some(loaded))) => match state {
            State::Gone => live_or_ended(loaded),
            // An ended authorization stays ended, unless the store holds a
            // live one (a new exchange, or a dirty pair another process
            // saved over the tombstone).
            State::Ended(_) if loaded.record.tombstone.is_none() => State::Live(loaded),
            State::Ended(_) => state.clone(),
            State::Live(stored)
                if stored.record.generation != loaded.record.generation
                    || stored.version < loaded.version =>
            {
                live_or_ended(loaded)
            }
            State::Live(_) => state.clone(),
            State::Dirty { record, .. } if record.generation != loaded.record.generation => {
                // A new authorization replaced this one.
                live_or_ended(loaded)
            }
            // An earlier save of this record did land.
            State::Dirty { record, .. } if record.same_tokens(&loaded.record) => {
                State::Live(loaded)
            }
            // The store holds the spent pair or a tombstone: this record
            // is newer than both, and is saved over what is there now.
            State::Dirty { record, .. } => {
                State::Dirty { record: record.clone(), over: loaded.version }
            }
        },
    }
}

/// The state a loaded record stands for.
fn live_or_ended(stored: Stored) -> State {
    match &stored.record.tombstone {
        Some(reason) => State::Ended(reason.clone()),
        None => State::Live(stored),
    }
}

/// How many times a refreshed pair's save is tried before the pair is kept
/// as dirty.
const SAVE_ATTEMPTS: u32 = 3;

impl Session {
    pub(crate) fn new(key: &str) -> Self {
        Session {
            key: key.to_owned(),
            endpoint: None,
            state: RwLock::new(State::Gone),
            flight: Arc::new(tokio::sync::Mutex::new(())),
            saving: std::sync::atomic::AtomicBool::new(false),
            bearer: RwLock::new(None),
        }
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The one way the state changes: by an event, through [`next`].
    /// Returns the new state.
    fn apply(&self, event: Event) -> State {
        let mut state = self.state.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *state = next(&state, event);
        state.clone()
    }

    /// Reads the state without excluding other readers: every request
    /// reads it, and only a refresh or a save changes it.
    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        let state = self.state.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&state)
    }

    fn state(&self) -> State {
        self.read(State::clone)
    }

    /// The record in use, if the authorization is live.
    pub(crate) fn record(&self) -> Option<TokenRecord> {
        self.read(|state| match state {
            State::Live(Stored { record, .. }) | State::Dirty { record, .. } => {
                Some(record.clone())
            }
            State::Gone | State::Ended(_) => None,
        })
    }

    /// Sets the record just saved by an exchange.
    pub(crate) fn replace(&self, stored: Stored) {
        self.apply(Event::Exchanged(stored));
    }

    /// Adopts what the store holds (a record, or nothing), unless this
    /// process knows a newer record of the same authorization; returns what
    /// it knows now.
    pub(crate) fn adopt(&self, loaded: Option<Stored>) -> State {
        self.apply(Event::Loaded(loaded))
    }

    /// Reads the store again and adopts a newer record there; returns the
    /// access token to use, if the authorization is live.
    pub(crate) async fn reload(&self, config: &Arc<Config>) -> Result<Option<SecretString>, Error> {
        let loaded = config.store.load(&self.key).await?;
        Ok(match self.apply(Event::Loaded(loaded)) {
            State::Live(stored) => Some(stored.record.access_token),
            _ => None,
        })
    }

    pub(crate) fn clear(&self) {
        self.apply(Event::Cleared);
    }

    /// An access token that is not about to expire, refreshing (or saving a
    /// dirty record) first if needed.
    pub(crate) async fn token(
        self: &Arc<Self>,
        config: &Arc<Config>,
    ) -> Result<SecretString, Error> {
        // The path of nearly every request: a read, and one clone of the
        // access token.
        let now = config.clock.now();
        let ready = self.read(|state| match state {
            State::Gone => Some(Err(Error::reauthorize(ReauthorizationReason::Revoked))),
            State::Ended(reason) => Some(Err(Error::reauthorize(reason.clone()))),
            State::Live(stored) if !stored.record.expires_within(config.refresh_margin, now) => {
                Some(Ok(stored.record.access_token.clone()))
            }
            State::Live(_) | State::Dirty { .. } => None,
        });
        match ready {
            Some(result) => result,
            None => self.refresh(config, None).await,
        }
    }

    /// [`token`](Self::token), ready to send: the path of nearly every
    /// request, which then neither copies the token nor formats its header.
    pub(crate) async fn bearer(self: &Arc<Self>, config: &Arc<Config>) -> Result<Bearer, Error> {
        let now = config.clock.now();
        let cached = self.read(|state| match state {
            State::Live(stored) if !stored.record.expires_within(config.refresh_margin, now) => {
                let cache = self.bearer.read().unwrap_or_else(|poisoned| poisoned.into_inner());
                cache
                    .as_ref()
                    .filter(|bearer| {
                        bearer.token().expose_secret() == stored.record.access_token.expose_secret()
                    })
                    .cloned()
            }
            _ => None,
        });
        if let Some(bearer) = cached {
            return Ok(bearer);
        }
        let bearer = Bearer::new(self.token(config).await?)?;
        *self.bearer.write().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some(bearer.clone());
        Ok(bearer)
    }

    /// Replaces the tokens unless someone (this process or another) already
    /// did: a usable token is one that is saved, is not about to expire, and
    /// is not `refused` (a token Coinbase answered `expired_token` to).
    pub(crate) async fn refresh(
        self: &Arc<Self>,
        config: &Arc<Config>,
        refused: Option<&SecretString>,
    ) -> Result<SecretString, Error> {
        // Waiting for the flight can be cancelled freely: nothing has begun.
        let flight = self.flight.clone().lock_owned().await;
        if let Some(token) = self.usable(config, refused)? {
            return Ok(token);
        }
        let session = Arc::clone(self);
        let config = config.clone();
        let refused = refused.cloned();
        // From here on the work belongs to the session: a dropped caller
        // leaves it running, holding the flight, until its result is saved.
        let task = config.background.clone().spawn(async move {
            let result = {
                let _flight = flight;
                session.refresh_owned(&config, refused.as_ref()).await
            };
            if session.is_dirty() {
                Session::keep_saving(session, config);
            }
            result
        });
        match task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(Error::RuntimeGone("refresh")),
        }
    }

    fn is_dirty(&self) -> bool {
        self.read(|state| matches!(state, State::Dirty { .. }))
    }

    /// Saves the dirty record in the background until a save lands (or,
    /// after about ten minutes of failures, gives up, leaving it dirty for
    /// the next refresh to save): the pair lives on after the request that
    /// refreshed it ends. One such task per session at a time.
    fn keep_saving(session: Arc<Session>, config: Arc<Config>) {
        use std::sync::atomic::Ordering;
        if session.saving.swap(true, Ordering::SeqCst) {
            return;
        }
        let background = config.background.clone();
        background.spawn(async move {
            let mut delay = Duration::from_millis(250);
            for _ in 0..24 {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
                let _flight = session.flight.lock().await;
                if !session.is_dirty() || session.save_dirty(&config).await.is_ok() {
                    break;
                }
            }
            session.saving.store(false, Ordering::SeqCst);
            if session.is_dirty() {
                tracing::error!(target: "cb_client", "a refreshed pair could not be saved; the next refresh tries again");
            }
        });
    }

    /// The token to use without refreshing, if there is one; an error when
    /// the authorization is gone.
    fn usable(
        &self,
        config: &Arc<Config>,
        refused: Option<&SecretString>,
    ) -> Result<Option<SecretString>, Error> {
        let inner = config;
        match self.state() {
            State::Gone => Err(Error::reauthorize(ReauthorizationReason::Revoked)),
            State::Ended(reason) => Err(Error::reauthorize(reason)),
            State::Dirty { .. } => Ok(None),
            State::Live(Stored { record, .. }) => {
                let fresh = !record.expires_within(inner.refresh_margin, inner.clock.now());
                let refused = refused.is_some_and(|refused| {
                    refused.expose_secret() == record.access_token.expose_secret()
                });
                Ok((fresh && !refused).then_some(record.access_token))
            }
        }
    }

    /// The refresh itself, run by the task that holds the flight.
    async fn refresh_owned(
        &self,
        config: &Arc<Config>,
        refused: Option<&SecretString>,
    ) -> Result<SecretString, Error> {
        let store = config.store.as_ref();
        let lock = store.lock_refresh(&self.key).await?;
        let loaded = store.load(&self.key).await?;
        self.reconcile(config, loaded).await?;
        if let Some(token) = self.usable(config, refused)? {
            return Ok(token);
        }
        // `usable` answered: the authorization is live, and due a refresh.
        let State::Live(base) = self.state() else {
            return Err(Error::reauthorize(ReauthorizationReason::Revoked));
        };
        let Some(refresh_token) = base.record.refresh_token.clone() else {
            if !base.record.expires_within(Duration::ZERO, config.clock.now()) {
                return Ok(base.record.access_token);
            }
            return Err(Error::reauthorize(ReauthorizationReason::NoRefreshToken));
        };

        // A lock that expires may have been lost (its renewal failed): then
        // another instance may be spending this very token, so this one is
        // not sent.
        if !lock.is_held() {
            return Err(Error::Store(StoreError::Other(
                "the refresh lock was lost before the refresh; nothing was sent".into(),
            )));
        }
        tracing::debug!(target: "cb_client", refresh = %fingerprint(&refresh_token), "refreshing");
        let token =
            match exchange_refresh_token(config, self.endpoint.as_deref(), &refresh_token).await {
                Ok(token) => token,
                Err(Error::ReauthorizationRequired { reason }) => {
                    // Another instance may have spent the token and saved the
                    // new pair (its lock outlived ours, say): then the
                    // authorization lives on, and this instance adopts it.
                    if let Some(token) = self.adopt_if_moved_on(config, &base).await {
                        return Ok(token);
                    }
                    return Err(self.end(config, &base, reason).await);
                }
                Err(error) => return Err(error),
            };
        // The send limit, the generation and what another version wrote
        // carry over to the new pair.
        let record = TokenRecord {
            access_token: SecretString::from(token.access_token.clone()),
            refresh_token: token.refresh_token.clone().map(SecretString::from),
            expires_at: token.expires_at(config.clock.now()),
            granted: token.granted().unwrap_or(base.record.granted),
            tombstone: None,
            ..base.record.clone()
        };
        // The new pair is authoritative from now on, saved or not.
        let access = record.access_token.clone();
        self.apply(Event::Refreshed(record));
        self.save_dirty(config).await?;
        tracing::info!(target: "cb_client", access = %fingerprint(&access), "refreshed and saved new tokens");
        Ok(access)
    }

    /// The access token of a newer pair of this authorization that another
    /// instance saved since `base`, adopted; `None` when the store still
    /// holds `base` (or anything else).
    async fn adopt_if_moved_on(&self, config: &Arc<Config>, base: &Stored) -> Option<SecretString> {
        let loaded = config.store.load(&self.key).await.ok()??;
        let moved_on = loaded.version != base.version
            && loaded.record.generation == base.record.generation
            && loaded.record.tombstone.is_none()
            && !loaded.record.same_tokens(&base.record);
        if !moved_on {
            return None;
        }
        tracing::info!(target: "cb_client", "another instance refreshed first; adopting its tokens");
        let access = loaded.record.access_token.clone();
        self.adopt(Some(loaded));
        Some(access)
    }

    /// Brings this process's state and the store's record together, under
    /// the refresh lock: adopts what another process saved, or a newer
    /// authorization, and saves a dirty record over the spent one.
    async fn reconcile(&self, config: &Arc<Config>, loaded: Option<Stored>) -> Result<(), Error> {
        match self.apply(Event::Loaded(loaded)) {
            // Deleted elsewhere: revoked, whatever this process remembers.
            State::Gone => Err(Error::reauthorize(ReauthorizationReason::Revoked)),
            State::Dirty { .. } => self.save_dirty(config).await,
            State::Live(_) | State::Ended(_) => Ok(()),
        }
    }

    /// Saves the dirty record, with a few quick retries; it stays dirty
    /// (and in use by no one) if the store keeps failing.
    async fn save_dirty(&self, config: &Arc<Config>) -> Result<(), Error> {
        let store = config.store.as_ref();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let State::Dirty { record, over } = self.state() else { return Ok(()) };
            let error = match store.save(&self.key, &record, Some(over)).await {
                Ok(version) => {
                    self.apply(Event::Saved(version));
                    return Ok(());
                }
                Err(StoreError::Conflict { .. }) => {
                    // Someone wrote in between, or a cancelled save landed:
                    // look again at what is stored.
                    match store.load(&self.key).await {
                        Ok(loaded) => match self.apply(Event::Loaded(loaded)) {
                            State::Dirty { over: found, .. } => {
                                StoreError::Conflict { expected: Some(over), found: Some(found) }
                            }
                            State::Gone => {
                                return Err(Error::reauthorize(ReauthorizationReason::Revoked));
                            }
                            // Saved after all, or replaced by a new
                            // authorization.
                            State::Live(_) | State::Ended(_) => return Ok(()),
                        },
                        Err(error) => error,
                    }
                }
                Err(error) => error,
            };
            if attempt >= SAVE_ATTEMPTS {
                tracing::error!(
                    target: "cb_client",
                    "refreshed tokens could not be saved; they are kept here and saved before use: {error}"
                );
                return Err(Error::Store(error));
            }
            tokio::time::sleep(config.retry.delay(attempt)).await;
        }
    }

    /// Records that the authorization ended, in the store and here, and
    /// returns the error every caller gets.
    async fn end(
        &self,
        config: &Arc<Config>,
        base: &Stored,
        reason: ReauthorizationReason,
    ) -> Error {
        let tombstone = base.record.ended(reason.clone());
        if let Err(error) = config.store.save(&self.key, &tombstone, Some(base.version)).await {
            // The store will hold the spent token; the next refresh is
            // refused the same way and tries again to record it.
            tracing::warn!(target: "cb_client", "the end of an authorization could not be recorded: {error}");
        }
        self.apply(Event::Ended(reason.clone()));
        config.ended(&self.key, &reason);
        Error::reauthorize(reason)
    }
}

/// Posts the refresh token, retrying what can be retried. A retry of a
/// request whose answer was lost may find the token spent; that is
/// reported as such, never retried in a loop.
async fn exchange_refresh_token(
    config: &Arc<Config>,
    endpoint: Option<&dyn RefreshEndpoint>,
    refresh_token: &SecretString,
) -> Result<tokens::TokenResponse, Error> {
    let inner = config;
    let mut maybe_processed = false;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = match endpoint {
            Some(endpoint) => endpoint.post_refresh(refresh_token, attempt).await,
            None => {
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token.expose_secret()),
                ];
                token_endpoint::post_token(inner, "refresh_token", attempt, &form).await
            }
        };
        let retryable = match outcome {
            Ok(token) => return Ok(token),
            Err(TokenCallError::Rejected { error, description, .. })
                if error == "invalid_grant" =>
            {
                let reason = if maybe_processed {
                    ReauthorizationReason::RefreshResponseLost
                } else {
                    ReauthorizationReason::RefreshRejected { description }
                };
                return Err(Error::reauthorize(reason));
            }
            Err(TokenCallError::Unreadable(detail)) => {
                // Processed, so the old token is spent; the new pair is
                // unreadable, which is as good as lost.
                tracing::error!(target: "cb_client", "a refresh answer could not be read: {detail}");
                return Err(Error::reauthorize(ReauthorizationReason::RefreshResponseLost));
            }
            Err(error @ TokenCallError::NotSent(_)) => error,
            Err(error @ TokenCallError::Lost(..)) => {
                maybe_processed = true;
                error
            }
            Err(error) => return Err(token_error(error)),
        };
        if attempt >= inner.retry.attempts {
            return Err(token_error(retryable));
        }
        tracing::warn!(target: "cb_client", attempt, "refresh failed ({retryable:?}); retrying");
        tokio::time::sleep(inner.retry.delay(attempt)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::SystemTime;

    use cb_scopes::ScopeSet;

    use super::*;
    use crate::auth::oauth_client::OAuthClient;
    use crate::auth::store::memory::MemoryStore;
    use crate::auth::store::{BoxFuture, RefreshLock, TokenStore};
    use crate::auth::tokens::TokenResponse;
    use crate::{RetryPolicy, StoreError};

    const KEY: &str = "user-1";

    /// A token endpoint that answers from a script (a fresh pair when the
    /// script is empty), records the refresh tokens posted to it, and can
    /// hold its answers until released.
    #[derive(Default)]
    struct ScriptedEndpoint {
        script: Mutex<VecDeque<Result<(), TokenCallError>>>,
        posted: Mutex<Vec<String>>,
        gate: Option<tokio::sync::Semaphore>,
    }

    impl ScriptedEndpoint {
        fn gated() -> Self {
            ScriptedEndpoint { gate: Some(tokio::sync::Semaphore::new(0)), ..Self::default() }
        }

        fn then(self, answer: Result<(), TokenCallError>) -> Self {
            self.script.lock().unwrap().push_back(answer);
            self
        }

        fn posted(&self) -> Vec<String> {
            self.posted.lock().unwrap().clone()
        }
    }

    impl RefreshEndpoint for ScriptedEndpoint {
        fn post_refresh<'a>(
            &'a self,
            refresh_token: &'a SecretString,
            _attempt: u32,
        ) -> BoxFuture<'a, Result<TokenResponse, TokenCallError>> {
            Box::pin(async move {
                let n = {
                    let mut posted = self.posted.lock().unwrap();
                    posted.push(refresh_token.expose_secret().to_owned());
                    posted.len()
                };
                if let Some(gate) = &self.gate {
                    gate.acquire().await.unwrap().forget();
                }
                self.script.lock().unwrap().pop_front().unwrap_or(Ok(()))?;
                Ok(TokenResponse {
                    access_token: format!("access-{n}"),
                    token_type: Some("bearer".into()),
                    expires_in: Some(Duration::from_secs(7200)),
                    refresh_token: Some(format!("refresh-{n}")),
                    scope: None,
                })
            })
        }
    }

    /// A memory store whose saves fail while `failing` is set.
    #[derive(Default)]
    struct FlakyStore {
        inner: MemoryStore,
        failing: AtomicBool,
    }

    impl TokenStore for FlakyStore {
        fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
            self.inner.load(key)
        }

        fn save<'a>(
            &'a self,
            key: &'a str,
            record: &'a TokenRecord,
            expected: Option<u64>,
        ) -> BoxFuture<'a, Result<u64, StoreError>> {
            if self.failing.load(Ordering::SeqCst) {
                return Box::pin(async { Err(StoreError::Other("the store is away".into())) });
            }
            self.inner.save(key, record, expected)
        }

        fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
            self.inner.delete(key)
        }

        fn lock_refresh<'a>(
            &'a self,
            key: &'a str,
        ) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
            self.inner.lock_refresh(key)
        }
    }

    /// A configuration with `store`.
    fn config(store: &Arc<FlakyStore>) -> Arc<Config> {
        let oauth = OAuthClient::builder("id", "secret", "http://127.0.0.1:9/callback")
            .shared_store(store.clone())
            .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)).jitter(false))
            .build()
            .unwrap();
        oauth.config.clone()
    }

    /// A session that posts to `endpoint`.
    fn session_on(endpoint: &Arc<ScriptedEndpoint>) -> Session {
        Session { endpoint: Some(endpoint.clone()), ..Session::new(KEY) }
    }

    fn record(access: &str, refresh: &str, generation: u64, expired: bool) -> TokenRecord {
        let expires_at = if expired {
            SystemTime::now() - Duration::from_secs(60)
        } else {
            SystemTime::now() + Duration::from_secs(3600)
        };
        let mut record = TokenRecord::new(
            SecretString::from(access.to_owned()),
            Some(SecretString::from(refresh.to_owned())),
            expires_at,
            ScopeSet::empty(),
        );
        record.generation = generation;
        record
    }

    /// A session that knows the expired pair `access-0`/`refresh-0`, as the
    /// store holds it.
    async fn expired_session(endpoint: &Arc<ScriptedEndpoint>, store: &FlakyStore) -> Arc<Session> {
        let record = record("access-0", "refresh-0", 1, true);
        let version = store.save(KEY, &record, None).await.unwrap();
        let session = Arc::new(session_on(endpoint));
        session.adopt(Some(Stored { record, version }));
        session
    }

    async fn stored_access(store: &FlakyStore) -> String {
        let stored = store.load(KEY).await.unwrap().expect("a record");
        stored.record.access_token.expose_secret().to_owned()
    }

    // Rule 1: single flight.
    #[tokio::test]
    async fn many_callers_share_one_refresh() {
        let (endpoint, store) = (Arc::new(ScriptedEndpoint::default()), Arc::default());
        let config = config(&store);
        let session = expired_session(&endpoint, &store).await;
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let (session, config) = (session.clone(), config.clone());
                tokio::spawn(async move { session.token(&config).await })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap().unwrap().expose_secret(), "access-1");
        }
        assert_eq!(endpoint.posted(), ["refresh-0"]);
    }

    // Rule 2: owned by the session, not by a caller.
    #[tokio::test]
    async fn a_dropped_caller_does_not_stop_the_refresh() {
        let (endpoint, store) = (Arc::new(ScriptedEndpoint::gated()), Arc::default());
        let config = config(&store);
        let session = expired_session(&endpoint, &store).await;
        let caller = tokio::spawn({
            let (session, config) = (session.clone(), config.clone());
            async move { session.token(&config).await }
        });
        while endpoint.posted().is_empty() {
            tokio::task::yield_now().await;
        }
        // The token request is on its way; the caller goes away.
        caller.abort();
        assert!(caller.await.unwrap_err().is_cancelled());
        endpoint.gate.as_ref().unwrap().add_permits(1);
        config.background.close();
        config.background.wait().await;
        assert_eq!(stored_access(&store).await, "access-1");
        assert_eq!(session.token(&config).await.unwrap().expose_secret(), "access-1");
        assert_eq!(endpoint.posted(), ["refresh-0"]);
    }

    // The path of every request: one bearer per token, shared.
    #[tokio::test]
    async fn a_tokens_requests_share_one_bearer_and_a_new_token_gets_its_own() {
        let (endpoint, store) = (Arc::new(ScriptedEndpoint::default()), Arc::default());
        let config = config(&store);
        let session = expired_session(&endpoint, &store).await;
        let first = session.bearer(&config).await.unwrap();
        let again = session.bearer(&config).await.unwrap();
        assert!(Arc::ptr_eq(&first.0, &again.0), "the header is made once per token");
        assert_eq!(first.token().expose_secret(), "access-1");
        assert_eq!(first.header().to_str().unwrap(), "Bearer access-1");
        assert!(first.header().is_sensitive());
        // Another process saves a newer authorization; this one adopts it.
        let version = store.load(KEY).await.unwrap().unwrap().version;
        store
            .save(KEY, &record("access-new", "refresh-new", 2, false), Some(version))
            .await
            .unwrap();
        session.adopt(store.load(KEY).await.unwrap());
        let newer = session.bearer(&config).await.unwrap();
        assert_eq!(newer.token().expose_secret(), "access-new");
        assert_eq!(newer.header().to_str().unwrap(), "Bearer access-new");
        assert_eq!(endpoint.posted(), ["refresh-0"]);
    }

    // Rule 3: across processes, a pair another process saved is adopted.
    #[tokio::test]
    async fn a_pair_another_process_saved_is_adopted_without_a_refresh() {
        let (endpoint, store) = (Arc::new(ScriptedEndpoint::default()), Arc::default());
        let config = config(&store);
        let here = expired_session(&endpoint, &store).await;
        let there = Arc::new(session_on(&endpoint));
        there.adopt(store.load(KEY).await.unwrap());
        assert_eq!(there.token(&config).await.unwrap().expose_secret(), "access-1");
        // This process still knows the spent pair; it refreshes, finds the
        // other's pair under the lock, and posts nothing.
        assert_eq!(here.token(&config).await.unwrap().expose_secret(), "access-1");
        assert_eq!(endpoint.posted(), ["refresh-0"]);
    }

    // Rule 3: a newer authorization (another generation) is adopted.
    #[tokio::test]
    async fn a_newer_authorization_in_the_store_is_adopted() {
        let (endpoint, store) = (Arc::new(ScriptedEndpoint::default()), Arc::default());
        let config = config(&store);
        let session = expired_session(&endpoint, &store).await;
        let version = store.load(KEY).await.unwrap().unwrap().version;
        store
            .save(KEY, &record("access-new", "refresh-new", 2, false), Some(version))
            .await
            .unwrap();
        assert_eq!(session.token(&config).await.unwrap().expose_secret(), "access-new");
        assert!(endpoint.posted().is_empty());
    }

    // Rule 4: saved before used; a dirty pair is used by no one and never
    // lets the spent token be posted again.
    #[tokio::test]
    async fn a_pair_whose_save_failed_is_saved_before_anyone_uses_it() {
        let (endpoint, store) =
            (Arc::new(ScriptedEndpoint::default()), Arc::<FlakyStore>::default());
        let config = config(&store);
        let session = expired_session(&endpoint, &store).await;
        store.failing.store(true, Ordering::SeqCst);
        for _ in 0..2 {
            assert!(matches!(session.token(&config).await, Err(Error::Store(_))));
            assert!(session.is_dirty());
        }
        assert_eq!(stored_access(&store).await, "access-0");
        store.failing.store(false, Ordering::SeqCst);
        assert_eq!(session.token(&config).await.unwrap().expose_secret(), "access-1");
        assert_eq!(stored_access(&store).await, "access-1");
        assert_eq!(endpoint.posted(), ["refresh-0"], "the spent token was posted once");
    }

    // Rule 4: the client, not the request, owns a dirty pair.
    #[tokio::test]
    async fn a_dirty_pair_is_saved_in_the_background_once_the_store_is_back() {
        let (endpoint, store) =
            (Arc::new(ScriptedEndpoint::default()), Arc::<FlakyStore>::default());
        let config = config(&store);
        let session = expired_session(&endpoint, &store).await;
        store.failing.store(true, Ordering::SeqCst);
        assert!(session.token(&config).await.is_err());
        // The request ends; only the client's background task holds it.
        drop(session);
        store.failing.store(false, Ordering::SeqCst);
        tokio::time::timeout(Duration::from_secs(10), async {
            while stored_access(&store).await != "access-1" {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the background save landed");
    }

    // Rule 5: a refused refresh leaves a tombstone.
    #[tokio::test]
    async fn a_refused_refresh_is_recorded_in_the_store() {
        let refused = TokenCallError::Rejected {
            status: reqwest::StatusCode::BAD_REQUEST,
            error: "invalid_grant".into(),
            description: Some("revoked".into()),
        };
        let endpoint = Arc::new(ScriptedEndpoint::default().then(Err(refused)));
        let store = Arc::default();
        let config = config(&store);
        let session = expired_session(&endpoint, &store).await;
        let expected =
            ReauthorizationReason::RefreshRejected { description: Some("revoked".into()) };
        let error = session.token(&config).await.unwrap_err();
        assert!(matches!(&error, Error::ReauthorizationRequired { reason } if *reason == expected));
        let stored = store.load(KEY).await.unwrap().unwrap();
        assert_eq!(stored.record.tombstone, Some(expected.clone()));
        // Every later use fails at once, without a request.
        let other = Arc::new(Session::new(KEY));
        assert!(matches!(other.adopt(Some(stored)), State::Ended(reason) if reason == expected));
        assert!(session.token(&config).await.is_err());
        assert_eq!(endpoint.posted(), ["refresh-0"]);
    }

    // Rule 5: a lost answer whose retry is refused is recorded as lost.
    #[tokio::test]
    async fn a_lost_answer_then_a_refusal_is_recorded_as_lost() {
        let refused = TokenCallError::Rejected {
            status: reqwest::StatusCode::BAD_REQUEST,
            error: "invalid_grant".into(),
            description: None,
        };
        let endpoint = Arc::new(
            ScriptedEndpoint::default()
                .then(Err(TokenCallError::Lost("no answer arrived".into(), None)))
                .then(Err(refused)),
        );
        let store = Arc::default();
        let config = config(&store);
        let session = expired_session(&endpoint, &store).await;
        let error = session.token(&config).await.unwrap_err();
        let lost = ReauthorizationReason::RefreshResponseLost;
        assert!(matches!(&error, Error::ReauthorizationRequired { reason } if *reason == lost));
        let stored = store.load(KEY).await.unwrap().unwrap();
        assert_eq!(stored.record.tombstone, Some(lost));
        assert_eq!(endpoint.posted(), ["refresh-0", "refresh-0"]);
    }

    fn stored(access: &str, generation: u64, version: u64) -> Stored {
        Stored { record: record(access, &format!("{access}-refresh"), generation, false), version }
    }

    fn access_of(state: &State) -> Option<(&str, Option<u64>, bool)> {
        match state {
            State::Live(stored) => {
                Some((stored.record.access_token.expose_secret(), Some(stored.version), false))
            }
            State::Dirty { record, over } => {
                Some((record.access_token.expose_secret(), Some(*over), true))
            }
            State::Gone | State::Ended(_) => None,
        }
    }

    #[test]
    fn a_refresh_makes_the_live_record_dirty_and_its_save_makes_it_live() {
        let live = State::Live(stored("a0", 1, 4));
        let dirty = next(&live, Event::Refreshed(stored("a1", 1, 0).record));
        assert_eq!(access_of(&dirty), Some(("a1", Some(4), true)));
        let saved = next(&dirty, Event::Saved(5));
        assert_eq!(access_of(&saved), Some(("a1", Some(5), false)));
        // A save or a refresh that no longer applies changes nothing.
        assert_eq!(access_of(&next(&saved, Event::Saved(9))), Some(("a1", Some(5), false)));
        assert!(matches!(
            next(&State::Gone, Event::Refreshed(stored("a2", 1, 0).record)),
            State::Gone
        ));
    }

    #[test]
    fn a_dirty_record_outranks_the_spent_pair_and_a_tombstone() {
        let dirty = State::Dirty { record: stored("a1", 1, 0).record, over: 4 };
        // The spent pair, still stored (or stored again).
        let state = next(&dirty, Event::Loaded(Some(stored("a0", 1, 4))));
        assert_eq!(access_of(&state), Some(("a1", Some(4), true)));
        // A tombstone another process wrote after trying the spent pair.
        let mut tombstone = stored("a0", 1, 5);
        tombstone.record.tombstone =
            Some(ReauthorizationReason::RefreshRejected { description: None });
        let state = next(&dirty, Event::Loaded(Some(tombstone)));
        assert_eq!(access_of(&state), Some(("a1", Some(5), true)), "saved over the tombstone");
        // Its own save, found landed.
        let state = next(&dirty, Event::Loaded(Some(Stored { version: 5, ..stored("a1", 1, 0) })));
        assert_eq!(access_of(&state), Some(("a1", Some(5), false)));
        // A new authorization replaces it.
        let state = next(&dirty, Event::Loaded(Some(stored("b0", 2, 6))));
        assert_eq!(access_of(&state), Some(("b0", Some(6), false)));
        // A deletion is a revocation.
        assert!(matches!(next(&dirty, Event::Loaded(None)), State::Gone));
    }

    #[test]
    fn a_live_record_gives_way_only_to_a_newer_version_or_authorization() {
        let live = State::Live(stored("a1", 1, 5));
        for older in [stored("a0", 1, 4), stored("a1", 1, 5)] {
            assert_eq!(
                access_of(&next(&live, Event::Loaded(Some(older)))),
                Some(("a1", Some(5), false))
            );
        }
        let newer = next(&live, Event::Loaded(Some(stored("a2", 1, 6))));
        assert_eq!(access_of(&newer), Some(("a2", Some(6), false)));
        let other = next(&live, Event::Loaded(Some(stored("b0", 2, 1))));
        assert_eq!(access_of(&other), Some(("b0", Some(1), false)));
        let mut ended = stored("a1", 1, 6);
        ended.record.tombstone = Some(ReauthorizationReason::RefreshResponseLost);
        assert!(matches!(
            next(&live, Event::Loaded(Some(ended))),
            State::Ended(ReauthorizationReason::RefreshResponseLost)
        ));
    }

    #[test]
    fn an_ended_authorization_comes_back_only_for_a_live_record() {
        let ended = State::Ended(ReauthorizationReason::RefreshResponseLost);
        let mut tombstone = stored("a0", 1, 4);
        tombstone.record.tombstone = Some(ReauthorizationReason::Revoked);
        assert!(matches!(
            next(&ended, Event::Loaded(Some(tombstone))),
            State::Ended(ReauthorizationReason::RefreshResponseLost)
        ));
        let back = next(&ended, Event::Loaded(Some(stored("a1", 1, 5))));
        assert_eq!(access_of(&back), Some(("a1", Some(5), false)));
        let exchanged = next(&ended, Event::Exchanged(stored("b0", 2, 1)));
        assert_eq!(access_of(&exchanged), Some(("b0", Some(1), false)));
        assert!(matches!(next(&exchanged, Event::Cleared), State::Gone));
    }
}
