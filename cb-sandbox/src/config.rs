//! The sandbox's settings, including a switch for each point on which the
//! sources about Coinbase disagree.

use std::time::Duration;

/// How the sandbox behaves. Every field has the default of the current
/// Coinbase service as documented; change them before [`Sandbox::start`]
/// or later with [`Sandbox::configure`].
///
/// ```
/// use std::time::Duration;
/// use cb_sandbox::{SandboxConfig, TokenLifetime};
///
/// let config = SandboxConfig::default()
///     .access_token_lifetime(TokenLifetime::Legacy)
///     .rate_limit_per_hour(100)
///     .code_lifetime(Duration::from_secs(60));
/// assert_eq!(config.access_token_lifetime.seconds(), 7200);
/// ```
///
/// [`Sandbox::start`]: crate::Sandbox::start
/// [`Sandbox::configure`]: crate::Sandbox::configure
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// How long an access token lives: 3600 s today, 7200 s in the legacy
    /// documentation.
    pub access_token_lifetime: TokenLifetime,
    /// Which status a `two_factor_required` answer has: 402, or 400 as some
    /// sources say.
    pub two_factor_status: TwoFactorStatus,
    /// How the token response joins its `scope`.
    pub scope_separator: ScopeSeparator,
    /// API requests one user may make per hour before `429`.
    pub rate_limit_per_hour: u32,
    /// How long an authorization code can be exchanged.
    pub code_lifetime: Duration,
    /// How long a two-factor code is accepted.
    pub two_factor_lifetime: Duration,
    /// Approve every authorization as requested, redirecting straight back
    /// from the authorize endpoint, as the demo user.
    pub auto_approve: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            access_token_lifetime: TokenLifetime::Current,
            two_factor_status: TwoFactorStatus::PaymentRequired,
            scope_separator: ScopeSeparator::Comma,
            rate_limit_per_hour: 10_000,
            code_lifetime: Duration::from_secs(600),
            two_factor_lifetime: Duration::from_secs(300),
            auto_approve: false,
        }
    }
}

impl SandboxConfig {
    /// How long access tokens live.
    #[must_use]
    pub fn access_token_lifetime(mut self, lifetime: TokenLifetime) -> Self {
        self.access_token_lifetime = lifetime;
        self
    }

    /// The status of a two-factor challenge.
    #[must_use]
    pub fn two_factor_status(mut self, status: TwoFactorStatus) -> Self {
        self.two_factor_status = status;
        self
    }

    /// How the token response separates its scopes.
    #[must_use]
    pub fn scope_separator(mut self, separator: ScopeSeparator) -> Self {
        self.scope_separator = separator;
        self
    }

    /// Requests per user per hour before `429 rate_limit_exceeded`.
    #[must_use]
    pub fn rate_limit_per_hour(mut self, limit: u32) -> Self {
        self.rate_limit_per_hour = limit;
        self
    }

    /// How long an authorization code stays usable.
    #[must_use]
    pub fn code_lifetime(mut self, lifetime: Duration) -> Self {
        self.code_lifetime = lifetime;
        self
    }

    /// How long a two-factor code stays usable.
    #[must_use]
    pub fn two_factor_lifetime(mut self, lifetime: Duration) -> Self {
        self.two_factor_lifetime = lifetime;
        self
    }

    /// Whether the authorize endpoint approves at once, without the
    /// consent page.
    #[must_use]
    pub fn auto_approve(mut self, auto_approve: bool) -> Self {
        self.auto_approve = auto_approve;
        self
    }
}

/// The lifetime of access tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenLifetime {
    /// One hour, as Coinbase documents today.
    Current,
    /// Two hours, as the legacy documentation says.
    Legacy,
    /// Any other lifetime, in seconds.
    Seconds(u32),
}

impl TokenLifetime {
    /// The lifetime in seconds: the token response's `expires_in`.
    pub const fn seconds(self) -> u32 {
        match self {
            TokenLifetime::Current => 3600,
            TokenLifetime::Legacy => 7200,
            TokenLifetime::Seconds(seconds) => seconds,
        }
    }
}

/// The HTTP status of a `two_factor_required` error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoFactorStatus {
    /// `402 Payment Required`, as the v2 reference lists it.
    PaymentRequired,
    /// `400 Bad Request`, as some sources report it.
    BadRequest,
}

impl TwoFactorStatus {
    pub(crate) const fn code(self) -> u16 {
        match self {
            TwoFactorStatus::PaymentRequired => 402,
            TwoFactorStatus::BadRequest => 400,
        }
    }
}

/// How a token response's `scope` joins the granted scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeSeparator {
    /// `wallet:user:read,wallet:accounts:read`
    Comma,
    /// `wallet:user:read wallet:accounts:read`
    Space,
}

impl ScopeSeparator {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            ScopeSeparator::Comma => ",",
            ScopeSeparator::Space => " ",
        }
    }
}
