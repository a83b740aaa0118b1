//! Accounts (wallets) and their addresses.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

use super::common::{Money, id_type, string_enum, timestamp};

id_type! {
    /// An account's id. Where an endpoint takes an account, a currency code
    /// such as `BTC` names the user's account in that currency.
    AccountId
}

id_type! {
    /// An address's id.
    AddressId
}

string_enum! {
    /// What kind of account.
    AccountType {
        /// A crypto wallet.
        Wallet = "wallet",
        /// A fiat wallet.
        Fiat = "fiat",
        /// A vault.
        Vault = "vault",
    }
}

/// An account: one wallet of the user, in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Its name.
    pub name: String,
    /// Whether it is the user's primary account.
    #[serde(default)]
    pub primary: bool,
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: AccountType,
    /// Its currency's code. Coinbase sends either the code or an object
    /// describing the currency; both are read.
    #[serde(deserialize_with = "currency_code")]
    pub currency: String,
    /// The balance.
    pub balance: Money,
    /// When it was made.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<OffsetDateTime>,
}

/// The currency's code, from either shape Coinbase sends: read in one
/// pass, without buffering the value to try one shape after the other.
fn currency_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    /// The one key of a currency object that is kept.
    #[derive(Deserialize)]
    #[serde(field_identifier, rename_all = "lowercase")]
    enum Key {
        Code,
        #[serde(other)]
        Other,
    }

    struct CodeOrObject;

    impl<'de> Visitor<'de> for CodeOrObject {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a currency code, or a currency object with a `code`")
        }

        fn visit_str<E: de::Error>(self, code: &str) -> Result<String, E> {
            Ok(code.to_owned())
        }

        fn visit_string<E: de::Error>(self, code: String) -> Result<String, E> {
            Ok(code)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut object: A) -> Result<String, A::Error> {
            let mut code = None;
            while let Some(key) = object.next_key::<Key>()? {
                match key {
                    Key::Code if code.is_some() => return Err(de::Error::duplicate_field("code")),
                    Key::Code => code = Some(object.next_value::<String>()?),
                    Key::Other => {
                        object.next_value::<de::IgnoredAny>()?;
                    }
                }
            }
            code.ok_or_else(|| de::Error::missing_field("code"))
        }
    }

    deserializer.deserialize_any(CodeOrObject)
}

/// A receiving address of a crypto account.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// Its id.
    pub id: AddressId,
    /// The address itself.
    pub address: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its network, such as `bitcoin`.
    #[serde(default)]
    pub network: Option<String>,
    /// When it was made.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_currency_is_read_in_both_shapes() {
        let object = r#"{"id":"a","name":"BTC Wallet","type":"wallet","currency":{"code":"BTC","name":"Bitcoin"},
            "balance":{"amount":"0.5","currency":"BTC"},"created_at":"2024-01-01T00:00:00Z","extra":1}"#;
        let code = r#"{"id":"a","name":"BTC Wallet","type":"new_kind","currency":"BTC",
            "balance":{"amount":"0.5","currency":"BTC"}}"#;
        let object: Account = serde_json::from_str(object).unwrap();
        let code: Account = serde_json::from_str(code).unwrap();
        assert_eq!((object.currency.as_str(), code.currency.as_str()), ("BTC", "BTC"));
        assert_eq!(code.kind, AccountType::Other("new_kind".into()));
        assert_eq!(object.created_at.unwrap().year(), 2024);
    }

    #[test]
    fn a_currency_without_a_code_is_a_typed_error() {
        let account = |currency: &str| {
            serde_json::from_str::<Account>(&format!(
                r#"{{"id":"a","name":"n","type":"wallet","currency":{currency},
                    "balance":{{"amount":"1","currency":"BTC"}}}}"#
            ))
        };
        let missing = account(r#"{"name":"Bitcoin"}"#).unwrap_err().to_string();
        assert!(missing.contains("missing field `code`"), "{missing}");
        let twice = account(r#"{"code":"BTC","code":"ETH"}"#).unwrap_err().to_string();
        assert!(twice.contains("duplicate field `code`"), "{twice}");
        let number = account("7").unwrap_err().to_string();
        assert!(number.contains("a currency code, or a currency object"), "{number}");
        assert_eq!(account(r#"{"code":"ETH","exponent":8,"color":"x"}"#).unwrap().currency, "ETH");
    }
}
