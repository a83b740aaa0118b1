//! The building blocks of the models: ids, money, timestamps, and
//! forward-compatible string enums.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Declares an id newtype: a string Coinbase made, shown and compared as is.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as Coinbase spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Declares an enum of Coinbase's string values that keeps values this
/// version does not know in `Other`, so that a new value never breaks
/// deserialization.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A value this version does not know, as Coinbase sent it.
            Other(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize<'de>>::deserialize(deserializer)?;
                Ok($name::from(&*value))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

pub(crate) use {id_type, string_enum};

/// An amount of money: Coinbase's `{"amount": "39.59000000", "currency":
/// "BTC"}`. The amount is a decimal, never a float.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount, exactly as Coinbase sent it (Advanced Trade and the
    /// current deposit answers call it `value`).
    #[serde(alias = "value")]
    pub amount: Decimal,
    /// The currency code, such as `USD` or `BTC`.
    pub currency: String,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// A reference to another resource.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ResourceRef {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its kind, such as `account` or `payment_method`.
    #[serde(default)]
    pub resource: Option<String>,
    /// Its API path.
    #[serde(default)]
    pub resource_path: Option<String>,
}

/// RFC 3339 timestamps, optional, as Coinbase sends them.
pub(crate) mod timestamp {
    pub(crate) use time::serde::rfc3339::option;
}

#[cfg(test)]
mod tests {
    // The macro makes its items `pub`, as for the real models.
    #![allow(unreachable_pub)]

    use super::*;

    string_enum! {
        /// A test enum.
        Color { Red = "red", }
    }

    #[test]
    fn unknown_values_are_kept() {
        let known: Color = serde_json::from_str("\"red\"").unwrap();
        let other: Color = serde_json::from_str("\"ultraviolet\"").unwrap();
        assert_eq!(known, Color::Red);
        assert_eq!(other, Color::Other("ultraviolet".into()));
        assert_eq!(serde_json::to_string(&other).unwrap(), "\"ultraviolet\"");
    }

    #[test]
    fn money_is_decimal() {
        let money: Money =
            serde_json::from_str(r#"{"amount":"39.59000000","currency":"BTC"}"#).unwrap();
        assert_eq!(money.amount.to_string(), "39.59000000");
        assert!(serde_json::from_str::<Money>(r#"{"amount":"ten","currency":"BTC"}"#).is_err());
    }
}
