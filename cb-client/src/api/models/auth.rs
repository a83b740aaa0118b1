//! `GET /v2/user/auth`: what the access token may do.

use cb_scopes::{CurrencyCode, ScopeSet, SendLimit, SendLimitPeriod};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::Error;

/// The authorization behind the access token, as `GET /v2/user/auth` tells
/// it: the truth about what the user granted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthInfo {
    /// `oauth` for OAuth2 tokens.
    pub method: String,
    /// The granted scopes that this version knows.
    pub scopes: ScopeSet,
    /// Granted scopes this version does not know, kept as Coinbase spells
    /// them.
    pub unknown_scopes: Vec<String>,
    /// The send limit the user accepted, from `oauth_meta`.
    pub send_limit: Option<SendLimit>,
}

impl AuthInfo {
    pub(crate) fn from_data(data: &Value) -> Result<Self, Error> {
        let method = data.get("method").and_then(Value::as_str).unwrap_or("oauth").to_owned();
        let list = data
            .get("scopes")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::invalid_response("/v2/user/auth has no scopes list"))?;
        let mut scopes = ScopeSet::empty();
        let mut unknown_scopes = Vec::new();
        for scope in list {
            let scope =
                scope.as_str().ok_or_else(|| Error::invalid_response("a scope is not a string"))?;
            let (known, unknown) = ScopeSet::parse_lenient(scope);
            scopes = scopes.union(known);
            unknown_scopes.extend(unknown.into_iter().map(str::to_owned));
        }
        let send_limit = data.get("oauth_meta").and_then(send_limit);
        Ok(AuthInfo { method, scopes, unknown_scopes, send_limit })
    }
}

/// The send limit of `oauth_meta`, when it has a valid one.
fn send_limit(meta: &Value) -> Option<SendLimit> {
    let text = |name| meta.get(name).and_then(Value::as_str);
    let amount: Decimal = text("send_limit_amount")?.parse().ok()?;
    let currency: CurrencyCode = text("send_limit_currency")?.parse().ok()?;
    let period: SendLimitPeriod = text("send_limit_period").unwrap_or("month").parse().ok()?;
    SendLimit::new(amount, currency, period).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_ios_sdk_sample_parses() {
        let data = json!({
            "method": "oauth",
            "scopes": ["wallet:user:read", "wallet:user:email", "wallet:future:thing"],
            "oauth_meta": {"send_limit_amount": "50.00", "send_limit_currency": "USD", "send_limit_period": "day"},
        });
        let info = AuthInfo::from_data(&data).unwrap();
        assert_eq!(info.scopes.to_string(), "wallet:user:read,wallet:user:email");
        assert_eq!(info.unknown_scopes, ["wallet:future:thing"]);
        assert_eq!(info.send_limit.unwrap().to_string(), "50.00 USD per day");
        assert!(AuthInfo::from_data(&json!({"method": "oauth"})).is_err());
        let without_meta = AuthInfo::from_data(&json!({"scopes": [], "oauth_meta": {}})).unwrap();
        assert_eq!(without_meta.send_limit, None);
    }
}
