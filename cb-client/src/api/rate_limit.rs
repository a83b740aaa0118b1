//! Client-side rate limiting (feature `rate-limit`): each authorization
//! stays under Coinbase's limits instead of meeting its 429s.
//!
//! Coinbase allots each authorized user 10,000 requests an hour on the v2
//! API, and 30 a second on Advanced Trade's private endpoints
//! (docs.cdp.coinbase.com, "Coinbase App Rate Limiting" and Advanced
//! Trade's rate-limit page). The limiter keeps one budget per authorization
//! (store key) for each, as a GCRA from `governor`: a call that would go
//! over waits until it fits, and its `cb.request` span records how long in
//! `cb.rate_limit_wait_ms`.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota};

/// The budgets of each authorization: requests an hour on the v2 API,
/// and a second on Advanced Trade (`/api/v3/...`).
///
/// ```
/// use cb_client::RateLimits;
///
/// // Coinbase's documented limits, less a margin for other clients of the
/// // same user.
/// let limits = RateLimits::coinbase().v2_per_hour(8_000).advanced_trade_per_second(25);
/// # let _ = limits;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    v2_per_hour: NonZeroU32,
    advanced_trade_per_second: NonZeroU32,
}

impl RateLimits {
    /// Coinbase's documented limits: 10,000 v2 requests an hour and 30
    /// Advanced Trade requests a second, per user.
    pub const fn coinbase() -> Self {
        RateLimits {
            v2_per_hour: NonZeroU32::new(10_000).unwrap(),
            advanced_trade_per_second: NonZeroU32::new(30).unwrap(),
        }
    }

    /// The v2 budget, requests an hour (at least 1).
    #[must_use]
    pub fn v2_per_hour(mut self, requests: u32) -> Self {
        self.v2_per_hour = NonZeroU32::new(requests).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// The Advanced Trade budget, requests a second (at least 1).
    #[must_use]
    pub fn advanced_trade_per_second(mut self, requests: u32) -> Self {
        self.advanced_trade_per_second = NonZeroU32::new(requests).unwrap_or(NonZeroU32::MIN);
        self
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::coinbase()
    }
}

/// The client's limiters, one budget per authorization in each.
pub(crate) struct Limiter {
    v2: DefaultKeyedRateLimiter<String>,
    advanced_trade: DefaultKeyedRateLimiter<String>,
    /// Calls since the last sweep of idle budgets.
    calls: AtomicU64,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        // The hour's budget may be spent in a burst of a tenth of it, then
        // refills steadily: a payout batch is not held to a trickle, and no
        // hour goes over.
        let burst = NonZeroU32::new(limits.v2_per_hour.get() / 10).unwrap_or(NonZeroU32::MIN);
        let v2 = Quota::per_hour(limits.v2_per_hour).allow_burst(burst);
        let advanced_trade = Quota::per_second(limits.advanced_trade_per_second);
        Limiter {
            v2: DefaultKeyedRateLimiter::keyed(v2),
            advanced_trade: DefaultKeyedRateLimiter::keyed(advanced_trade),
            calls: AtomicU64::new(0),
        }
    }

    /// Waits until the authorization under `key` may call `path`; returns
    /// how long it waited.
    pub(crate) async fn wait(&self, key: &str, path: &str) -> Duration {
        // Budgets of authorizations that went idle are forgotten now and
        // then, so that a process serving many users stays small.
        if self.calls.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.v2.retain_recent();
            self.advanced_trade.retain_recent();
        }
        let limiter = if path.starts_with("api/v3/") { &self.advanced_trade } else { &self.v2 };
        let key = key.to_owned();
        if limiter.check_key(&key).is_ok() {
            return Duration::ZERO;
        }
        let started = Instant::now();
        limiter.until_key_ready(&key).await;
        started.elapsed()
    }
}
