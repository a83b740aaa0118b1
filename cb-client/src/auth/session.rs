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

use std::sync::{Arc, RwLock};
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};

use crate::auth::config::Config;
use crate::auth::store::Stored;
use crate::auth::store::error::StoreError;
use crate::auth::token_endpoint::{self, TokenCallError, token_error};
use crate::auth::tokens::{self, TokenRecord, fingerprint};
use crate::error::{Error, ReauthorizationReason};

pub(crate) struct Session {
    key: String,
    state: RwLock<State>,
    /// Held by whoever refreshes or saves: a refresh task owns its guard.
    flight: Arc<tokio::sync::Mutex<()>>,
    /// Whether a background task is saving a dirty record.
    saving: std::sync::atomic::AtomicBool,
}

/// What this process knows of the authorization.
#[derive(Clone)]
pub(crate) enum State {
    /// Nothing: revoked here, or deleted from the store.
    Gone,
    /// Tokens to use. `dirty` means the store holds an older record of the
    /// same generation (at `stored.version`) whose refresh token is spent:
    /// this record must be saved before it is used.
    Live { stored: Stored, dirty: bool },
    /// The authorization ended, for this reason.
    Ended(ReauthorizationReason),
}

impl State {
    /// The state a loaded record stands for.
    fn of(stored: Stored) -> State {
        match &stored.record.tombstone {
            Some(reason) => State::Ended(reason.clone()),
            None => State::Live { stored, dirty: false },
        }
    }
}

/// How many times a refreshed pair's save is tried before the pair is kept
/// as dirty.
const SAVE_ATTEMPTS: u32 = 3;

impl Session {
    pub(crate) fn new(key: &str) -> Self {
        Session {
            key: key.to_owned(),
            state: RwLock::new(State::Gone),
            flight: Arc::new(tokio::sync::Mutex::new(())),
            saving: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut state)
    }

    /// Reads the state without excluding other readers: every request
    /// reads it, and only a refresh or a save changes it.
    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        let state = self.state.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&state)
    }

    fn state(&self) -> State {
        self.with(|state| state.clone())
    }

    /// The record in use, if the authorization is live.
    pub(crate) fn record(&self) -> Option<TokenRecord> {
        self.read(|state| match state {
            State::Live { stored, .. } => Some(stored.record.clone()),
            _ => None,
        })
    }

    /// Sets the record just saved by an exchange.
    pub(crate) fn replace(&self, stored: Stored) {
        self.with(|state| *state = State::Live { stored, dirty: false });
    }

    /// Adopts a record loaded from the store, unless this process knows a
    /// newer one of the same authorization. Returns whether it was adopted.
    pub(crate) fn adopt(&self, loaded: Stored) -> bool {
        self.with(|state| {
            let newer = match state {
                State::Live { stored, dirty } => {
                    stored.record.generation != loaded.record.generation
                        || (!*dirty && stored.version < loaded.version)
                }
                State::Gone => true,
                // An ended authorization of the same generation stays ended.
                State::Ended(_) => loaded.record.tombstone.is_none(),
            };
            if newer {
                *state = State::of(loaded);
            }
            newer
        })
    }

    /// Reads the store again and adopts a newer record there; returns the
    /// access token to use, if the authorization is live.
    pub(crate) async fn reload(&self, config: &Arc<Config>) -> Result<Option<SecretString>, Error> {
        match config.store.load(&self.key).await? {
            Some(loaded) => {
                self.adopt(loaded);
            }
            None => self.clear(),
        }
        Ok(match self.state() {
            State::Live { stored, dirty: false } => Some(stored.record.access_token),
            _ => None,
        })
    }

    pub(crate) fn clear(&self) {
        self.with(|state| *state = State::Gone);
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
            State::Live { stored, dirty: false }
                if !stored.record.expires_within(config.refresh_margin, now) =>
            {
                Some(Ok(stored.record.access_token.clone()))
            }
            State::Live { .. } => None,
        });
        match ready {
            Some(result) => result,
            None => self.refresh(config, None).await,
        }
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
            Err(_) => Err(Error::Store(StoreError::Other(
                "the refresh was stopped by the runtime shutting down".into(),
            ))),
        }
    }

    fn is_dirty(&self) -> bool {
        self.read(|state| matches!(state, State::Live { dirty: true, .. }))
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
            State::Live { stored, dirty } => {
                let record = stored.record;
                let fresh = !record.expires_within(inner.refresh_margin, inner.clock.now());
                let refused = refused.is_some_and(|refused| {
                    refused.expose_secret() == record.access_token.expose_secret()
                });
                Ok((fresh && !dirty && !refused).then_some(record.access_token))
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
        let State::Live { stored: base, .. } = self.state() else {
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
        let token = match exchange_refresh_token(config, &refresh_token).await {
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
        self.with(|state| {
            *state = State::Live {
                stored: Stored { record: record.clone(), version: base.version },
                dirty: true,
            }
        });
        let access = record.access_token.clone();
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
        self.adopt(loaded);
        Some(access)
    }

    /// Brings this process's state and the store's record together, under
    /// the refresh lock: adopts what another process saved, or a newer
    /// authorization, and saves a dirty record over the spent one.
    async fn reconcile(&self, config: &Arc<Config>, loaded: Option<Stored>) -> Result<(), Error> {
        let Some(loaded) = loaded else {
            // Deleted elsewhere: revoked, whatever this process remembers.
            self.clear();
            return Err(Error::reauthorize(ReauthorizationReason::Revoked));
        };
        match self.state() {
            State::Live { stored, dirty: true }
                if stored.record.generation == loaded.record.generation =>
            {
                if stored.record.same_tokens(&loaded.record) {
                    // An earlier save of this record did land.
                    self.with(|state| *state = State::Live { stored: loaded, dirty: false });
                    return Ok(());
                }
                // The store holds the spent pair (or a tombstone written by
                // a process that tried it): this record is newer than both.
                self.with(|state| {
                    *state = State::Live {
                        stored: Stored { record: stored.record, version: loaded.version },
                        dirty: true,
                    }
                });
                self.save_dirty(config).await
            }
            _ => {
                self.adopt(loaded);
                Ok(())
            }
        }
    }

    /// Saves the dirty record, with a few quick retries; it stays dirty
    /// (and in use by no one) if the store keeps failing.
    async fn save_dirty(&self, config: &Arc<Config>) -> Result<(), Error> {
        let store = config.store.as_ref();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let State::Live { stored, dirty: true } = self.state() else { return Ok(()) };
            let error = match store.save(&self.key, &stored.record, Some(stored.version)).await {
                Ok(version) => {
                    self.with(|state| {
                        *state = State::Live {
                            stored: Stored { record: stored.record, version },
                            dirty: false,
                        }
                    });
                    return Ok(());
                }
                Err(StoreError::Conflict { .. }) => {
                    // Someone wrote in between, or a cancelled save landed:
                    // look again at what is stored.
                    match store.load(&self.key).await {
                        Ok(Some(loaded))
                            if loaded.record.generation == stored.record.generation =>
                        {
                            let clean = stored.record.same_tokens(&loaded.record);
                            self.with(|state| {
                                *state = State::Live {
                                    stored: Stored {
                                        record: stored.record.clone(),
                                        version: loaded.version,
                                    },
                                    dirty: !clean,
                                }
                            });
                            if clean {
                                return Ok(());
                            }
                            StoreError::Conflict {
                                expected: Some(stored.version),
                                found: Some(loaded.version),
                            }
                        }
                        Ok(Some(loaded)) => {
                            // A new authorization replaced this one.
                            self.adopt(loaded);
                            return Ok(());
                        }
                        Ok(None) => {
                            self.clear();
                            return Err(Error::reauthorize(ReauthorizationReason::Revoked));
                        }
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
        self.with(|state| *state = State::Ended(reason.clone()));
        Error::reauthorize(reason)
    }
}

/// Posts the refresh token, retrying what can be retried. A retry of a
/// request whose answer was lost may find the token spent; that is
/// reported as such, never retried in a loop.
async fn exchange_refresh_token(
    config: &Arc<Config>,
    refresh_token: &SecretString,
) -> Result<tokens::TokenResponse, Error> {
    let inner = config;
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose_secret())];
    let mut maybe_processed = false;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = token_endpoint::post_token(inner, "refresh_token", attempt, &form).await;
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
