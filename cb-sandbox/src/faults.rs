//! Faults tests plan per route: what goes wrong, and how often. The
//! middleware applies them.

use std::collections::HashMap;
use std::time::Duration;

/// Something that goes wrong on purpose, on one route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Waits this long before handling the request.
    Delay(Duration),
    /// Answers with this status (500 or 503, say) without handling the
    /// request.
    Status(u16),
    /// Handles the request, so that its effects happen, then drops the
    /// connection instead of answering. The hard case for single-use refresh
    /// tokens and for sends.
    DropAfterProcessing,
    /// Answers `429 rate_limit_exceeded` with this `Retry-After` (whole
    /// seconds), without handling the request.
    RateLimited {
        /// The wait the answer asks for.
        retry_after: Duration,
    },
    /// Answers with this status and an HTML page, without handling the
    /// request, as Coinbase's edge answers a rate limit (with a
    /// `Retry-After` of one second on a 429) or a gateway failure.
    HtmlPage(u16),
    /// Handles the request, so that its effects happen, then answers its
    /// status with a body that is not JSON: a success whose answer cannot
    /// be read.
    GarbledAnswer,
}

/// How many requests a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Times {
    /// The next `n` matching requests.
    Next(u32),
    /// Every matching request, until cleared.
    Always,
}

#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    faults: HashMap<(String, String), (Fault, Times)>,
}

impl FaultPlan {
    pub(crate) fn insert(&mut self, method: &str, route: &str, fault: Fault, times: Times) {
        self.faults.insert((method.to_ascii_uppercase(), route.to_owned()), (fault, times));
    }

    pub(crate) fn clear(&mut self) {
        self.faults.clear();
    }

    /// The fault for this request, counting it down.
    pub(crate) fn take(&mut self, method: &str, route: &str) -> Option<Fault> {
        let key = (method.to_owned(), route.to_owned());
        let (fault, times) = self.faults.get_mut(&key)?;
        let fault = *fault;
        match times {
            Times::Always => {}
            Times::Next(1) => {
                self.faults.remove(&key);
            }
            Times::Next(0) => {
                self.faults.remove(&key);
                return None;
            }
            Times::Next(n) => *n -= 1,
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_count_down_and_end() {
        let mut plan = FaultPlan::default();
        plan.insert("post", "/oauth2/token", Fault::Status(503), Times::Next(2));
        assert_eq!(plan.take("GET", "/oauth2/token"), None);
        assert_eq!(plan.take("POST", "/oauth2/token"), Some(Fault::Status(503)));
        assert_eq!(plan.take("POST", "/oauth2/token"), Some(Fault::Status(503)));
        assert_eq!(plan.take("POST", "/oauth2/token"), None);
        plan.insert("GET", "/v2/user", Fault::DropAfterProcessing, Times::Always);
        for _ in 0..3 {
            assert_eq!(plan.take("GET", "/v2/user"), Some(Fault::DropAfterProcessing));
        }
        plan.clear();
        assert_eq!(plan.take("GET", "/v2/user"), None);
    }
}
