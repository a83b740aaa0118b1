//! Notifications Coinbase sent about the user.

use serde::Deserialize;
use time::OffsetDateTime;

use super::common::{id_type, timestamp};

id_type! {
    /// A notification's id.
    NotificationId
}

/// A notification Coinbase sent about the user.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Notification {
    /// Its id.
    pub id: NotificationId,
    /// Its kind, such as `wallet:buys:completed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it was made.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<OffsetDateTime>,
}
