//! The client's configuration: Coinbase's hosts, the clock, the retry
//! policy, and `Config`, which the builder fills once.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use secrecy::SecretString;
use url::Url;

use crate::auth::store::TokenStore;
use crate::error::ReauthorizationReason;

/// Coinbase's login host: authorize, token and revoke endpoints.
pub const COINBASE_LOGIN_BASE: &str = "https://login.coinbase.com/";
/// Coinbase's API host.
pub const COINBASE_API_BASE: &str = "https://api.coinbase.com/";

/// The time as the client sees it, for token expiry. Tests can substitute
/// their own; any `Fn() -> SystemTime` is a clock.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F: Fn() -> SystemTime + Send + Sync + 'static> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

/// The app's registration and the client's settings: what every part of
/// the client reads and nothing changes after [`build`]. The builder makes
/// it; the sessions, the executor and `OAuthClient` share it.
///
/// [`build`]: crate::OAuthClientBuilder::build
pub(crate) struct Config {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) redirect_uri: Url,
    pub(crate) authorize_endpoint: Url,
    pub(crate) token_endpoint: Url,
    pub(crate) revoke_endpoint: Url,
    pub(crate) api_base: Url,
    pub(crate) http: reqwest::Client,
    pub(crate) store: Arc<dyn TokenStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) refresh_margin: Duration,
    pub(crate) retry: RetryPolicy,
    /// The largest answer body read, in bytes.
    pub(crate) max_response_bytes: usize,
    /// The work that belongs to the client rather than to a caller:
    /// refreshes, and saves of refreshed pairs that are not saved yet.
    /// [`OAuthClient::shutdown`](crate::OAuthClient::shutdown) waits for it.
    pub(crate) background: tokio_util::task::TaskTracker,
    /// Told when an authorization ends.
    pub(crate) on_ended: Option<EndListener>,
    /// Keeps each authorization under its request budgets.
    #[cfg(feature = "rate-limit")]
    pub(crate) limiter: Option<Arc<crate::api::rate_limit::Limiter>>,
}

impl Config {
    /// Tells the app, if it asked, that the authorization under `key` ended.
    pub(crate) fn ended(&self, key: &str, reason: &ReauthorizationReason) {
        if let Some(listener) = &self.on_ended {
            listener(&AuthorizationEnded { key: key.to_owned(), reason: reason.clone() });
        }
    }
}

/// What the app registered to hear of ended authorizations.
pub(crate) type EndListener = Arc<dyn Fn(&AuthorizationEnded) + Send + Sync>;

/// An authorization that ended, as
/// [`on_authorization_ended`](crate::OAuthClientBuilder::on_authorization_ended)
/// reports it: whose, and why (revoked, a refresh refused, an answer lost).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationEnded {
    /// The key it was stored under.
    pub key: String,
    /// Why it ended.
    pub reason: ReauthorizationReason,
}

/// How often and how patiently failed requests are retried.
///
/// Waits grow exponentially from [`base_delay`](Self::base_delay), capped
/// at [`max_delay`](Self::max_delay), with *full jitter*: each wait is drawn
/// at random between zero and that bound, so that a thousand clients that
/// failed together do not retry together. A `Retry-After` from Coinbase is
/// honoured as given.
///
/// ```
/// use std::time::Duration;
/// use cb_client::RetryPolicy;
///
/// let patient = RetryPolicy::default().attempts(5).max_delay(Duration::from_secs(30));
/// assert_eq!(patient.attempts, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 3 by default.
    pub attempts: u32,
    /// The bound of the wait before the first retry; it doubles for each
    /// next one. 200 ms by default.
    pub base_delay: Duration,
    /// The longest wait between attempts, including a `Retry-After`; 10 s
    /// by default.
    pub max_delay: Duration,
    /// Whether waits are drawn at random below their bound (full jitter);
    /// on by default. Off, every wait is its bound.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    #[must_use]
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The bound of the first retry's wait.
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest wait between attempts.
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Turns jitter on or off.
    #[must_use]
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The bound of the wait before retry number `retry` (1 for the first).
    fn bound(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait before retry number `retry`: a random share of its bound.
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let bound = self.bound(retry);
        if !self.jitter || bound.is_zero() {
            return bound;
        }
        // A uniform draw in [0, 1) from 53 random bits of a v4 UUID: the
        // low bits of its second half (its variant bits are the top two).
        let bits = uuid::Uuid::new_v4().as_u64_pair().1 & ((1 << 53) - 1);
        let share = bits as f64 / (1u64 << 53) as f64;
        bound.mul_f64(share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let retry = RetryPolicy::default()
            .attempts(5)
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(300))
            .jitter(false);
        let delays: Vec<u128> = (1..=4).map(|n| retry.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 300, 300]);
    }

    #[test]
    fn jitter_spreads_waits_below_their_bound() {
        let retry = RetryPolicy::default().base_delay(Duration::from_millis(100));
        let waits: Vec<Duration> = (0..1000).map(|_| retry.delay(2)).collect();
        assert!(waits.iter().all(|wait| *wait < Duration::from_millis(200)));
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 900, "waits are spread, not in lockstep");
        let mean = waits.iter().sum::<Duration>() / 1000;
        assert!(
            (Duration::from_millis(80)..Duration::from_millis(120)).contains(&mean),
            "uniform below the bound: mean {mean:?}"
        );
    }
}
