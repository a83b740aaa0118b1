//! Users.

use serde::Deserialize;
use time::OffsetDateTime;

use super::common::{id_type, timestamp};

id_type! {
    /// A user's id.
    UserId
}

/// A Coinbase user. The public fields are always there; the others only
/// with the scopes that reveal them (`wallet:user:read`, and
/// `wallet:user:email` for the email).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// Their name.
    #[serde(default)]
    pub name: Option<String>,
    /// Their username.
    #[serde(default)]
    pub username: Option<String>,
    /// Their avatar.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// Their time zone (`wallet:user:read`).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Their native currency (`wallet:user:read`).
    #[serde(default)]
    pub native_currency: Option<String>,
    /// Their country (`wallet:user:read`).
    #[serde(default)]
    pub country: Option<Country>,
    /// When they joined (`wallet:user:read`).
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<OffsetDateTime>,
    /// Whether sending is disabled for them (with `wallet:transactions:send`).
    #[serde(default)]
    pub sends_disabled: Option<bool>,
    /// Their email address (`wallet:user:email`).
    #[serde(default)]
    pub email: Option<String>,
}

/// A country.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Country {
    /// The ISO code.
    pub code: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

/// Changes to the current user for `update_user`; unset fields stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct UserUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A new native currency, such as `EUR`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_currency: Option<String>,
}

impl UserUpdate {
    /// No changes yet.
    pub fn new() -> Self {
        UserUpdate::default()
    }

    /// Changes the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Changes the time zone.
    pub fn time_zone(mut self, zone: impl Into<String>) -> Self {
        self.time_zone = Some(zone.into());
        self
    }

    /// Changes the native currency.
    pub fn native_currency(mut self, currency: impl Into<String>) -> Self {
        self.native_currency = Some(currency.into());
        self
    }
}
