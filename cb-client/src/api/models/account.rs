//! Accounts (wallets) and their addresses.

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

fn currency_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Currency {
        Code(String),
        Object { code: String },
    }
    Ok(match Currency::deserialize(deserializer)? {
        Currency::Code(code) | Currency::Object { code } => code,
    })
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
}
