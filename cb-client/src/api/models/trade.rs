//! Buys, sells, deposits and withdrawals: one shape.

use serde::Deserialize;
use time::OffsetDateTime;

use super::common::{Money, ResourceRef, id_type, string_enum, timestamp};

id_type! {
    /// The id of a buy, sell, deposit or withdrawal.
    TradeId
}

string_enum! {
    /// Where a buy, sell, deposit or withdrawal stands.
    TradeStatus {
        /// Placed without committing; commit it to move money.
        Created = "created",
        /// Committed and done.
        Completed = "completed",
        /// Canceled.
        Canceled = "canceled",
    }
}

/// A buy, sell, deposit or withdrawal.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Trade {
    /// Its id.
    pub id: TradeId,
    /// Its status.
    pub status: TradeStatus,
    /// Whether it was committed.
    #[serde(default)]
    pub committed: bool,
    /// The amount, in the account's currency.
    pub amount: Money,
    /// What it costs or pays, fees included.
    #[serde(default)]
    pub total: Option<Money>,
    /// The total before fees.
    #[serde(default)]
    pub subtotal: Option<Money>,
    /// The fee.
    #[serde(default)]
    pub fee: Option<Money>,
    /// The payment method used.
    #[serde(default)]
    pub payment_method: Option<ResourceRef>,
    /// The transaction it made on the account, once committed.
    #[serde(default)]
    pub transaction: Option<ResourceRef>,
    /// When it was made.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<OffsetDateTime>,
}

/// A buy.
pub type Buy = Trade;
/// A sell.
pub type Sell = Trade;
/// A fiat deposit.
pub type Deposit = Trade;
/// A fiat withdrawal.
pub type Withdrawal = Trade;
