//! The tokens of one authorization, what Coinbase granted with them, and how
//! they are read from a token response.

use std::fmt;
use std::time::{Duration, SystemTime};

use cb_scopes::{CurrencyCode, ScopeSet, SendLimit, SendLimitPeriod};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::ReauthorizationReason;

/// What a store keeps for one authorization: its tokens, their absolute
/// expiry, and what Coinbase granted.
///
/// The tokens are [`SecretString`]s: `Debug` shows a short fingerprint of
/// each, never the token, and they are wiped from memory on drop.
///
/// A custom store keeps it whole, best through [`to_json`](Self::to_json)
/// and [`from_json`](Self::from_json), and makes one for its own tests with
/// [`new`](Self::new): the fields are public to read, and new ones may be
/// added in any release.
#[derive(Clone)]
#[non_exhaustive]
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
    /// A random number drawn at each code exchange and kept by every
    /// refresh: it tells a record of a new authorization from an older
    /// record of the same key, whose version may be higher because versions
    /// start again after a delete. 0 in records written before it existed.
    pub generation: u64,
    /// Why the authorization ended, when it did: a refresh that Coinbase
    /// refused or whose answer was lost leaves this tombstone, so that every
    /// later use answers [`Error::ReauthorizationRequired`](crate::Error)
    /// with the real reason and without a doomed request.
    pub tombstone: Option<ReauthorizationReason>,
    /// Fields of the stored form that this version does not know (a newer
    /// version wrote them), kept so that a rewrite does not drop them.
    pub(crate) unknown: serde_json::Map<String, serde_json::Value>,
}

/// The longest access-token lifetime believed, whatever a token response
/// says: a larger `expires_in` is clamped to it.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

impl TokenRecord {
    /// A record of a new authorization: its tokens, when the access token
    /// expires, and what Coinbase granted, with a fresh
    /// [`generation`](Self::generation), no send limit and no tombstone.
    pub fn new(
        access_token: SecretString,
        refresh_token: Option<SecretString>,
        expires_at: SystemTime,
        granted: ScopeSet,
    ) -> Self {
        TokenRecord {
            access_token,
            refresh_token,
            expires_at,
            granted,
            send_limit: None,
            generation: TokenRecord::new_generation(),
            tombstone: None,
            unknown: serde_json::Map::new(),
        }
    }

    /// The same record with the send limit the user accepted.
    #[must_use]
    pub fn with_send_limit(mut self, send_limit: Option<SendLimit>) -> Self {
        self.send_limit = send_limit;
        self
    }

    /// Whether the access token expires within `margin` of `now`.
    pub fn expires_within(&self, margin: Duration, now: SystemTime) -> bool {
        now.checked_add(margin).is_none_or(|limit| self.expires_at <= limit)
    }

    /// A fresh generation for the record of a new authorization.
    pub(crate) fn new_generation() -> u64 {
        // Never 0, which marks records written before generations existed.
        uuid::Uuid::new_v4().as_u64_pair().0 | 1
    }

    /// This record ended for `reason`: its tokens are kept for inspection,
    /// but nothing will use them.
    pub(crate) fn ended(&self, reason: ReauthorizationReason) -> TokenRecord {
        TokenRecord { tombstone: Some(reason), ..self.clone() }
    }

    /// Whether two records hold the same tokens.
    pub(crate) fn same_tokens(&self, other: &TokenRecord) -> bool {
        self.access_token.expose_secret() == other.access_token.expose_secret()
            && self.refresh_token.as_ref().map(ExposeSecret::expose_secret)
                == other.refresh_token.as_ref().map(ExposeSecret::expose_secret)
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
            .field("generation", &self.generation)
            .field("tombstone", &self.tombstone)
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
///
/// It is forward compatible: fields it does not know are read into
/// `unknown` and written back, so that during a rolling deploy or a
/// rollback each version reads and rewrites the other's records.
#[derive(Serialize, Deserialize)]
struct SerializedRecord {
    access_token: String,
    refresh_token: Option<String>,
    expires_at_unix: u64,
    granted: ScopeSet,
    send_limit: Option<SerializedLimit>,
    #[serde(default)]
    generation: u64,
    /// A tombstone of a reason this version does not know still ends the
    /// authorization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tombstone: Option<serde_json::Value>,
    #[serde(flatten)]
    unknown: serde_json::Map<String, serde_json::Value>,
}

/// Why a record cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The bytes are not a token record. The position is given; the
    /// content never is.
    #[error("not a token record (line {line}, column {column})")]
    NotARecord {
        /// The line of the first problem.
        line: usize,
        /// Its column.
        column: usize,
    },
    /// The record's send limit is not one Coinbase accepts.
    #[error("the send limit is not valid: {0}")]
    SendLimit(String),
    /// The expiry is beyond what the system's clock can hold.
    #[error("the expiry is out of range")]
    ExpiryOutOfRange,
    /// The record could not be written as JSON.
    #[error("the record could not be written as JSON")]
    Unwritable,
}

/// Why a stored authorization ended. Only the reasons a refresh records.
#[derive(Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
enum SerializedTombstone {
    RefreshRejected { description: Option<String> },
    RefreshResponseLost,
    NoRefreshToken,
    Revoked,
}

impl SerializedTombstone {
    fn from_reason(reason: &ReauthorizationReason) -> Self {
        match reason {
            ReauthorizationReason::RefreshRejected { description } => {
                SerializedTombstone::RefreshRejected { description: description.clone() }
            }
            ReauthorizationReason::RefreshResponseLost => SerializedTombstone::RefreshResponseLost,
            ReauthorizationReason::NoRefreshToken => SerializedTombstone::NoRefreshToken,
            // Any other end means the authorization is gone.
            _ => SerializedTombstone::Revoked,
        }
    }

    fn into_reason(self) -> ReauthorizationReason {
        match self {
            SerializedTombstone::RefreshRejected { description } => {
                ReauthorizationReason::RefreshRejected { description }
            }
            SerializedTombstone::RefreshResponseLost => ReauthorizationReason::RefreshResponseLost,
            SerializedTombstone::NoRefreshToken => ReauthorizationReason::NoRefreshToken,
            SerializedTombstone::Revoked => ReauthorizationReason::Revoked,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct SerializedLimit {
    amount: Decimal,
    currency: String,
    period: String,
}

impl TokenRecord {
    /// The record as JSON, tokens in clear: for a store to keep where only
    /// the app can read it. Fields a newer version wrote, which this one
    /// read, are written back.
    ///
    /// # Errors
    ///
    /// [`RecordError::Unwritable`], which plain strings and numbers never
    /// cause.
    pub fn to_json(&self) -> Result<Vec<u8>, RecordError> {
        let tombstone = self
            .tombstone
            .as_ref()
            .map(|reason| serde_json::to_value(SerializedTombstone::from_reason(reason)))
            .transpose()
            .map_err(|_| RecordError::Unwritable)?;
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
            generation: self.generation,
            tombstone,
            unknown: self.unknown.clone(),
        };
        serde_json::to_vec(&serialized).map_err(|_| RecordError::Unwritable)
    }

    /// A record from [`to_json`](Self::to_json)'s output, this version's or
    /// another's: fields it does not know are kept for the rewrite, and a
    /// tombstone of a reason it does not know ends the authorization as
    /// revoked.
    ///
    /// # Errors
    ///
    /// What is wrong, as a [`RecordError`]; it never quotes a token.
    pub fn from_json(bytes: &[u8]) -> Result<Self, RecordError> {
        let serialized: SerializedRecord = serde_json::from_slice(bytes).map_err(|error| {
            RecordError::NotARecord { line: error.line(), column: error.column() }
        })?;
        let send_limit = serialized
            .send_limit
            .map(|limit| -> Result<SendLimit, RecordError> {
                let invalid = |e: &dyn fmt::Display| RecordError::SendLimit(e.to_string());
                let currency: CurrencyCode = limit.currency.parse().map_err(|e| invalid(&e))?;
                let period: SendLimitPeriod = limit.period.parse().map_err(|e| invalid(&e))?;
                SendLimit::new(limit.amount, currency, period).map_err(|e| invalid(&e))
            })
            .transpose()?;
        let expires_at = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(serialized.expires_at_unix))
            .ok_or(RecordError::ExpiryOutOfRange)?;
        let tombstone = serialized.tombstone.map(|value| {
            serde_json::from_value::<SerializedTombstone>(value)
                .map_or(ReauthorizationReason::Revoked, SerializedTombstone::into_reason)
        });
        Ok(TokenRecord {
            access_token: SecretString::from(serialized.access_token),
            refresh_token: serialized.refresh_token.map(SecretString::from),
            expires_at,
            granted: serialized.granted,
            send_limit,
            generation: serialized.generation,
            tombstone,
            unknown: serialized.unknown,
        })
    }
}

/// A successful token response.
///
/// By the time it is read, Coinbase has spent the code or the old refresh
/// token, so only what cannot be done without is strict: the access token.
/// `expires_in` may be an integer, a float or a numeric string, and is
/// clamped; a `scope` or `token_type` of an unexpected shape is ignored.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub(crate) token_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::seconds")]
    pub(crate) expires_in: Option<Duration>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub(crate) refresh_token: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub(crate) scope: Option<String>,
}

/// Deserializers that take what a token response plausibly holds and
/// never fail on a field the client can do without.
mod lenient {
    use std::time::Duration;

    use serde::{Deserialize as _, Deserializer};
    use serde_json::Value;

    use super::MAX_LIFETIME;

    /// A string, or `None` for anything else.
    pub(super) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(text) => Some(text),
            _ => None,
        })
    }

    /// A number of seconds given as an integer, a float or a numeric
    /// string, clamped to `0..=MAX_LIFETIME`; `None` when it is none of
    /// these.
    pub(super) fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let seconds = match Value::deserialize(d)? {
            Value::Number(number) => number.as_f64(),
            Value::String(text) => text.trim().parse::<f64>().ok(),
            _ => None,
        };
        Ok(seconds
            .filter(|s| !s.is_nan())
            .map(|seconds| Duration::from_secs_f64(seconds.clamp(0.0, MAX_LIFETIME.as_secs_f64()))))
    }
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
    /// When the access token expires, counted from `now`.
    pub(crate) fn expires_at(&self, now: SystemTime) -> SystemTime {
        let lifetime = self.expires_in.unwrap_or(DEFAULT_LIFETIME);
        // The lifetime is clamped, so this only fails for a clock near the
        // end of time: then treat the token as expiring now.
        now.checked_add(lifetime).unwrap_or(now)
    }

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
        let limit =
            SendLimit::new(Decimal::new(5000, 2), "USD".parse().unwrap(), SendLimitPeriod::Day)
                .unwrap();
        TokenRecord {
            generation: 42,
            ..TokenRecord::new(
                SecretString::from("access-secret-value"),
                Some(SecretString::from("refresh-secret-value")),
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000),
                "wallet:accounts:read,offline_access".parse().unwrap(),
            )
            .with_send_limit(Some(limit))
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
        let back = TokenRecord::from_json(&record.to_json().unwrap()).unwrap();
        assert_eq!(back.access_token.expose_secret(), "access-secret-value");
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "refresh-secret-value");
        assert_eq!(back.expires_at, record.expires_at);
        assert_eq!(back.granted, record.granted);
        assert_eq!(back.send_limit, record.send_limit);
        assert_eq!((back.generation, back.tombstone), (42, None));

        let ended = record.ended(ReauthorizationReason::RefreshResponseLost);
        let back = TokenRecord::from_json(&ended.to_json().unwrap()).unwrap();
        assert_eq!(back.tombstone, Some(ReauthorizationReason::RefreshResponseLost));
        assert_ne!(TokenRecord::new_generation(), 0);
    }

    #[test]
    fn records_of_another_version_load_and_keep_what_this_one_does_not_know() {
        let mut json: serde_json::Value =
            serde_json::from_slice(&record().to_json().unwrap()).unwrap();
        json["written_by"] = serde_json::json!({"version": "9.0", "region": "eu"});
        json["send_limit"]["window"] = serde_json::json!("rolling");
        let newer = TokenRecord::from_json(json.to_string().as_bytes()).unwrap();
        assert_eq!(newer.generation, 42);
        let rewritten: serde_json::Value =
            serde_json::from_slice(&newer.to_json().unwrap()).unwrap();
        assert_eq!(rewritten["written_by"], json["written_by"], "kept on rewrite");
        // A tombstone of a reason this version does not know still ends it.
        json["tombstone"] = serde_json::json!({"reason": "account_closed", "at": 1});
        let ended = TokenRecord::from_json(json.to_string().as_bytes()).unwrap();
        assert_eq!(ended.tombstone, Some(ReauthorizationReason::Revoked));
    }

    #[test]
    fn records_without_a_generation_still_load_and_far_expiries_are_errors() {
        let json = br#"{"access_token":"a","refresh_token":null,"expires_at_unix":1,"granted":"","send_limit":null}"#;
        let record = TokenRecord::from_json(json).unwrap();
        assert_eq!((record.generation, record.tombstone.clone()), (0, None));
        let far = br#"{"access_token":"a","refresh_token":null,"expires_at_unix":18446744073709551615,"granted":"","send_limit":null}"#;
        assert!(matches!(TokenRecord::from_json(far), Err(RecordError::ExpiryOutOfRange)));
        // A huge margin counts as expiring, rather than overflowing.
        assert!(record.expires_within(Duration::MAX, SystemTime::now()));
    }

    #[test]
    fn token_responses_are_read_leniently_once_the_token_is_spent() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let parse = |expires_in: &str| -> TokenResponse {
            let json = format!(
                r#"{{"access_token":"a","token_type":"BEARER","expires_in":{expires_in},"refresh_token":"r","scope":"wallet:user:read"}}"#
            );
            serde_json::from_str(&json).unwrap()
        };
        let lifetime = |expires_in: &str| {
            parse(expires_in).expires_at(now).duration_since(now).unwrap().as_secs()
        };
        assert_eq!(lifetime("7200"), 7200);
        assert_eq!(lifetime("7200.9"), 7200);
        assert_eq!(lifetime("\"7200\""), 7200);
        assert_eq!(lifetime("1e300"), MAX_LIFETIME.as_secs());
        assert_eq!(lifetime("18446744073709551615"), MAX_LIFETIME.as_secs());
        assert_eq!(lifetime("-5"), 0);
        assert_eq!(lifetime("\"soon\""), DEFAULT_LIFETIME.as_secs());
        assert_eq!(lifetime("null"), DEFAULT_LIFETIME.as_secs());
        let odd: TokenResponse =
            serde_json::from_str(r#"{"access_token":"a","scope":["x"],"token_type":7}"#).unwrap();
        assert_eq!((odd.scope, odd.token_type), (None, None));
    }

    #[test]
    fn a_corrupt_record_is_an_error_without_its_content() {
        let mut json = record().to_json().unwrap();
        json.truncate(json.len() - 5);
        let error = TokenRecord::from_json(&json).unwrap_err();
        assert!(matches!(error, RecordError::NotARecord { .. }), "{error}");
        assert!(!error.to_string().contains("secret-value"), "{error}");
        assert!(TokenRecord::from_json(b"{}").is_err());
        let bad_limit = br#"{"access_token":"a","refresh_token":null,"expires_at_unix":1,"granted":"","send_limit":{"amount":"5","currency":"USD","period":"fortnight"}}"#;
        assert!(matches!(TokenRecord::from_json(bad_limit), Err(RecordError::SendLimit(_))));
    }
}
