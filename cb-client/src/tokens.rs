//! The tokens of one authorization, what Coinbase granted with them, and how
//! they are read from a token response.

use std::fmt;
use std::time::{Duration, SystemTime};

use cb_scopes::{CurrencyCode, ScopeSet, SendLimit, SendLimitPeriod};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// What a store keeps for one authorization: its tokens, their absolute
/// expiry, and what Coinbase granted.
///
/// The tokens are [`SecretString`]s: `Debug` shows a short fingerprint of
/// each, never the token, and they are wiped from memory on drop.
#[derive(Clone)]
pub struct TokenRecord {
    /// The bearer token for API calls.
    pub access_token: SecretString,
    /// The single-use refresh token; absent without `offline_access`.
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, by Coinbase's `expires_in`.
    pub expires_at: SystemTime,
    /// The scopes Coinbase granted.
    pub granted: ScopeSet,
    /// The send limit the user accepted, when the grant can send.
    pub send_limit: Option<SendLimit>,
}

impl TokenRecord {
    /// Whether the access token expires within `margin` of `now`.
    pub fn expires_within(&self, margin: Duration, now: SystemTime) -> bool {
        self.expires_at <= now + margin
    }
}

impl fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRecord")
            .field("access_token", &fingerprint(&self.access_token))
            .field("refresh_token", &self.refresh_token.as_ref().map(fingerprint))
            .field("expires_at", &self.expires_at)
            .field("granted", &self.granted)
            .field("send_limit", &self.send_limit)
            .finish()
    }
}

/// A short, one-way fingerprint of a secret for logs and `Debug`: the first
/// 8 hex digits of its SHA-256. It tells two tokens apart and reveals
/// nothing usable.
pub fn fingerprint(secret: &SecretString) -> String {
    let digest = Sha256::digest(secret.expose_secret().as_bytes());
    let hex: String = digest.iter().take(4).map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// The stored form of a record. Stores that serialize records use it
/// through [`TokenRecord::to_json`] and [`TokenRecord::from_json`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SerializedRecord {
    access_token: String,
    refresh_token: Option<String>,
    expires_at_unix: u64,
    granted: ScopeSet,
    send_limit: Option<SerializedLimit>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SerializedLimit {
    amount: Decimal,
    currency: String,
    period: String,
}

impl TokenRecord {
    /// The record as JSON, tokens in clear: for a store to keep where only
    /// the app can read it.
    pub fn to_json(&self) -> Vec<u8> {
        let serialized = SerializedRecord {
            access_token: self.access_token.expose_secret().to_owned(),
            refresh_token: self.refresh_token.as_ref().map(|t| t.expose_secret().to_owned()),
            expires_at_unix: self
                .expires_at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
            granted: self.granted,
            send_limit: self.send_limit.map(|limit| SerializedLimit {
                amount: limit.amount(),
                currency: limit.currency().to_string(),
                period: limit.period().to_string(),
            }),
        };
        // Serializing plain strings and numbers to JSON cannot fail.
        serde_json::to_vec(&serialized).unwrap_or_default()
    }

    /// A record from [`to_json`](Self::to_json)'s output.
    ///
    /// # Errors
    ///
    /// A description of what is wrong; it never quotes a token.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let serialized: SerializedRecord = serde_json::from_slice(bytes).map_err(|error| {
            format!("not a token record (line {}, column {})", error.line(), error.column())
        })?;
        let send_limit = serialized
            .send_limit
            .map(|limit| -> Result<SendLimit, String> {
                let currency: CurrencyCode = limit.currency.parse().map_err(|e| format!("{e}"))?;
                let period: SendLimitPeriod = limit.period.parse().map_err(|e| format!("{e}"))?;
                SendLimit::new(limit.amount, currency, period).map_err(|e| format!("{e}"))
            })
            .transpose()?;
        Ok(TokenRecord {
            access_token: SecretString::from(serialized.access_token),
            refresh_token: serialized.refresh_token.map(SecretString::from),
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(serialized.expires_at_unix),
            granted: serialized.granted,
            send_limit,
        })
    }
}

/// A successful token response.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) token_type: Option<String>,
    pub(crate) expires_in: Option<u64>,
    #[serde(default)]
    pub(crate) refresh_token: Option<String>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenResponse {
    /// The scopes granted, as far as the response says: `None` when it
    /// does not. Unknown scopes, which Coinbase may add, are ignored.
    pub(crate) fn granted(&self) -> Option<ScopeSet> {
        let scope = self.scope.as_deref()?;
        let (granted, unknown) = ScopeSet::parse_lenient(scope);
        if !unknown.is_empty() {
            tracing::debug!(
                ?unknown,
                "the token response grants scopes this version does not know"
            );
        }
        Some(granted)
    }
}

/// The default lifetime when a token response has no `expires_in`: the
/// shorter of the documented ones.
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TokenRecord {
        TokenRecord {
            access_token: SecretString::from("access-secret-value"),
            refresh_token: Some(SecretString::from("refresh-secret-value")),
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000),
            granted: "wallet:accounts:read,offline_access".parse().unwrap(),
            send_limit: Some(
                SendLimit::new(Decimal::new(5000, 2), "USD".parse().unwrap(), SendLimitPeriod::Day)
                    .unwrap(),
            ),
        }
    }

    #[test]
    fn debug_shows_fingerprints_not_tokens() {
        let debug = format!("{:?}", record());
        assert!(!debug.contains("secret-value"), "{debug}");
        assert!(debug.contains("sha256:"), "{debug}");
        let other = SecretString::from("another");
        assert_ne!(fingerprint(&record().access_token), fingerprint(&other));
    }

    #[test]
    fn records_round_trip_through_json() {
        let record = record();
        let back = TokenRecord::from_json(&record.to_json()).unwrap();
        assert_eq!(back.access_token.expose_secret(), "access-secret-value");
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "refresh-secret-value");
        assert_eq!(back.expires_at, record.expires_at);
        assert_eq!(back.granted, record.granted);
        assert_eq!(back.send_limit, record.send_limit);
    }

    #[test]
    fn a_corrupt_record_is_an_error_without_its_content() {
        let mut json = record().to_json();
        json.truncate(json.len() - 5);
        let error = TokenRecord::from_json(&json).unwrap_err();
        assert!(!error.contains("secret-value"), "{error}");
        assert!(TokenRecord::from_json(b"{}").is_err());
    }
}
