//! One authorization's tokens in this process, and the refresh that keeps
//! them alive.
//!
//! A refresh token works once, so refreshing is the one place where a race
//! loses a user's authorization. Three rules make it safe:
//! 1. **Single flight:** in a process, one refresh per authorization at a
//!    time; tasks that waited find the result and do not refresh again.
//! 2. **Across processes:** the refresh holds the store's refresh lock and
//!    reloads the record first, adopting tokens another process saved.
//! 3. **Saved before used:** the new pair is saved (compare-and-swap) before
//!    any caller sees it.

use std::sync::Mutex;

use secrecy::SecretString;

use crate::error::{Error, ReauthorizationReason};
use crate::fingerprint;
use crate::http::{self, TokenCallError};
use crate::oauth::{OAuthClient, token_error};
use crate::store::Stored;
use crate::tokens::{self, TokenRecord};

pub(crate) struct Session {
    key: String,
    /// The latest record this process knows; `None` once revoked here.
    current: Mutex<Option<Stored>>,
    flight: tokio::sync::Mutex<()>,
}

/// An access token and the version of the record it came from.
pub(crate) type Token = (SecretString, u64);

impl Session {
    pub(crate) fn new(key: &str) -> Self {
        Session {
            key: key.to_owned(),
            current: Mutex::new(None),
            flight: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    fn with<T>(&self, f: impl FnOnce(&mut Option<Stored>) -> T) -> T {
        let mut current = self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut current)
    }

    pub(crate) fn snapshot(&self) -> Option<Stored> {
        self.with(|current| current.clone())
    }

    pub(crate) fn replace(&self, stored: Stored) {
        self.with(|current| *current = Some(stored));
    }

    pub(crate) fn replace_if_newer(&self, stored: Stored) {
        self.with(|current| {
            if current.as_ref().is_none_or(|known| known.version < stored.version) {
                *current = Some(stored);
            }
        });
    }

    pub(crate) fn clear(&self) {
        self.with(|current| *current = None);
    }

    /// An access token that is not about to expire, refreshing if needed.
    pub(crate) async fn token(&self, oauth: &OAuthClient) -> Result<Token, Error> {
        let current =
            self.snapshot().ok_or_else(|| Error::reauthorize(ReauthorizationReason::Revoked))?;
        let inner = &oauth.inner;
        if current.record.expires_within(inner.refresh_margin, inner.clock.now()) {
            return self.refresh(oauth, current.version).await;
        }
        Ok((current.record.access_token.clone(), current.version))
    }

    /// Replaces the tokens of version `seen` with new ones, unless someone
    /// (this process or another) already did.
    pub(crate) async fn refresh(&self, oauth: &OAuthClient, seen: u64) -> Result<Token, Error> {
        let inner = &oauth.inner;
        let usable = |stored: &Stored| {
            stored.version != seen
                && !stored.record.expires_within(inner.refresh_margin, inner.clock.now())
        };
        let _flight = self.flight.lock().await;
        let current =
            self.snapshot().ok_or_else(|| Error::reauthorize(ReauthorizationReason::Revoked))?;
        if usable(&current) {
            return Ok((current.record.access_token, current.version));
        }

        let _lock = inner.store.lock_refresh(&self.key).await?;
        let stored = inner
            .store
            .load(&self.key)
            .await?
            .ok_or_else(|| Error::reauthorize(ReauthorizationReason::Revoked))?;
        if usable(&stored) || stored.version < seen {
            // Another process refreshed, or this process knows newer tokens
            // than the store (a save failed): use what is newest.
            let newest = if stored.version < seen { current } else { stored };
            self.replace(newest.clone());
            return Ok((newest.record.access_token, newest.version));
        }
        let Some(refresh_token) = stored.record.refresh_token.clone() else {
            if !stored.record.expires_within(std::time::Duration::ZERO, inner.clock.now()) {
                return Ok((stored.record.access_token, stored.version));
            }
            return Err(Error::reauthorize(ReauthorizationReason::NoRefreshToken));
        };

        tracing::debug!(target: "cb_client", refresh = %fingerprint(&refresh_token), "refreshing");
        let token = self.exchange_refresh_token(oauth, &refresh_token).await?;
        let record = TokenRecord {
            access_token: SecretString::from(token.access_token.clone()),
            refresh_token: token.refresh_token.clone().map(SecretString::from),
            expires_at: inner.clock.now()
                + token.expires_in.map_or(tokens::DEFAULT_LIFETIME, std::time::Duration::from_secs),
            granted: token.granted().unwrap_or(stored.record.granted),
            send_limit: stored.record.send_limit,
        };
        match inner.store.save(&self.key, &record, Some(stored.version)).await {
            Ok(version) => {
                tracing::info!(
                    target: "cb_client",
                    access = %fingerprint(&record.access_token),
                    version,
                    "refreshed and saved new tokens"
                );
                let access = record.access_token.clone();
                self.replace(Stored { record, version });
                Ok((access, version))
            }
            Err(error) => {
                // The old refresh token is spent: keep the new pair in memory
                // so this process can go on, and say the store failed.
                tracing::error!(target: "cb_client", "refreshed tokens could not be saved: {error}");
                self.replace(Stored { record, version: stored.version });
                Err(Error::Store(error))
            }
        }
    }

    /// Posts the refresh token, retrying what can be retried. A retry of a
    /// request whose answer was lost may find the token spent; that is
    /// reported as such, never retried in a loop.
    async fn exchange_refresh_token(
        &self,
        oauth: &OAuthClient,
        refresh_token: &SecretString,
    ) -> Result<tokens::TokenResponse, Error> {
        use secrecy::ExposeSecret as _;
        let inner = &oauth.inner;
        let form =
            [("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose_secret())];
        let mut maybe_processed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = http::post_token(
                &inner.http,
                &inner.token_endpoint,
                &inner.client_id,
                &inner.client_secret,
                &form,
            )
            .await;
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
}
