//! The send limit an app asks users for along with `wallet:transactions:send`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// How much an app may send for a user per period, as shown on Coinbase's
/// consent page and sent in the authorize URL's `meta[send_limit_*]`.
///
/// Declared on a named set with `#[send_limit(..)]` and read back without
/// allocating through [`DeclaredScopes::SEND_LIMIT`](crate::DeclaredScopes::SEND_LIMIT):
///
/// ```
/// use cb_scopes::{DeclaredScopes, SendLimitPeriod, scopes};
///
/// scopes! {
///     #[send_limit(amount = "50.00", currency = "USD", period = "day")]
///     pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
/// }
///
/// let limit = Payouts::SEND_LIMIT.unwrap();
/// assert_eq!(limit.amount().to_string(), "50.00");
/// assert_eq!(limit.currency().as_str(), "USD");
/// assert_eq!(limit.period(), SendLimitPeriod::Day);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SendLimit {
    amount: Decimal,
    currency: CurrencyCode,
    period: SendLimitPeriod,
}

impl SendLimit {
    /// A send limit from values read at run time, for example from Coinbase's
    /// `oauth_meta`. The amount must be greater than zero; its currency is a
    /// three-letter code.
    pub fn new(
        amount: Decimal,
        currency: CurrencyCode,
        period: SendLimitPeriod,
    ) -> Result<Self, InvalidSendLimit> {
        if amount <= Decimal::ZERO {
            return Err(InvalidSendLimit("the amount must be greater than zero"));
        }
        Ok(SendLimit { amount, currency, period })
    }

    /// Used by `scopes!`, which validated the parts at compile time.
    pub(crate) const fn from_validated(
        amount: Decimal,
        currency: CurrencyCode,
        period: SendLimitPeriod,
    ) -> Self {
        SendLimit { amount, currency, period }
    }

    /// The amount, with the decimals it was declared with (`"50.00"` stays
    /// `50.00`).
    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    /// The fiat currency of the amount.
    pub const fn currency(&self) -> CurrencyCode {
        self.currency
    }

    /// How often the limit resets.
    pub const fn period(&self) -> SendLimitPeriod {
        self.period
    }
}

impl fmt::Display for SendLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} per {}", self.amount, self.currency, self.period)
    }
}

/// A send limit that Coinbase would refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidSendLimit(&'static str);

impl fmt::Display for InvalidSendLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid send limit: {}", self.0)
    }
}

impl std::error::Error for InvalidSendLimit {}

/// A three-letter currency code, such as `USD`, stored inline.
///
/// `scopes!` accepts only active ISO 4217 fiat codes; at run time any three
/// uppercase ASCII letters parse, since this is what Coinbase sends back.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    pub(crate) const fn from_validated(code: [u8; 3]) -> Self {
        CurrencyCode(code)
    }

    /// The code, such as `"USD"`.
    pub fn as_str(&self) -> &str {
        // Every constructor checks for ASCII letters, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for CurrencyCode {
    type Err = InvalidSendLimit;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        match code.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => {
                Ok(CurrencyCode([a, b, c]))
            }
            _ => Err(InvalidSendLimit("a currency is three uppercase letters, such as USD")),
        }
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

/// How often a send limit resets: Coinbase's `meta[send_limit_period]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendLimitPeriod {
    /// `day`
    Day,
    /// `month`, Coinbase's default.
    Month,
    /// `year`
    Year,
}

impl SendLimitPeriod {
    /// The wire string: `day`, `month` or `year`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SendLimitPeriod::Day => "day",
            SendLimitPeriod::Month => "month",
            SendLimitPeriod::Year => "year",
        }
    }
}

impl fmt::Display for SendLimitPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SendLimitPeriod {
    type Err = InvalidSendLimit;

    fn from_str(period: &str) -> Result<Self, Self::Err> {
        match period {
            "day" => Ok(SendLimitPeriod::Day),
            "month" => Ok(SendLimitPeriod::Month),
            "year" => Ok(SendLimitPeriod::Year),
            _ => Err(InvalidSendLimit("a period is day, month or year")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_limits_are_checked() {
        let usd: CurrencyCode = "USD".parse().unwrap();
        let limit = SendLimit::new(Decimal::new(5000, 2), usd, SendLimitPeriod::Day).unwrap();
        assert_eq!(limit.to_string(), "50.00 USD per day");
        assert!(SendLimit::new(Decimal::ZERO, usd, SendLimitPeriod::Day).is_err());
        assert!(SendLimit::new(Decimal::new(-1, 0), usd, SendLimitPeriod::Day).is_err());
    }

    #[test]
    fn currency_codes_and_periods_parse_strictly() {
        assert_eq!("EUR".parse::<CurrencyCode>().unwrap().as_str(), "EUR");
        for bad in ["usd", "US", "USDT", "", "U$D", "ÉUR"] {
            assert!(bad.parse::<CurrencyCode>().is_err(), "{bad:?}");
        }
        for period in [SendLimitPeriod::Day, SendLimitPeriod::Month, SendLimitPeriod::Year] {
            assert_eq!(period.as_str().parse::<SendLimitPeriod>(), Ok(period));
        }
        assert!("week".parse::<SendLimitPeriod>().is_err());
    }
}
