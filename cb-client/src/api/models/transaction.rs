//! Transactions: sends, receives, transfers, requests and the rest.

use serde::Deserialize;
use time::OffsetDateTime;

use super::common::{Money, id_type, string_enum, timestamp};

id_type! {
    /// A transaction's id.
    TransactionId
}

string_enum! {
    /// What kind of transaction.
    TransactionType {
        /// Money sent, or received from another user.
        Send = "send",
        /// Money received.
        Receive = "receive",
        /// A money request.
        Request = "request",
        /// A transfer between the user's accounts.
        Transfer = "transfer",
        /// A buy.
        Buy = "buy",
        /// A sell.
        Sell = "sell",
        /// A fiat deposit.
        FiatDeposit = "fiat_deposit",
        /// A fiat withdrawal.
        FiatWithdrawal = "fiat_withdrawal",
    }
}

string_enum! {
    /// Where a transaction stands.
    TransactionStatus {
        /// Not final yet; sends start here.
        Pending = "pending",
        /// Done.
        Completed = "completed",
        /// Failed.
        Failed = "failed",
        /// Expired.
        Expired = "expired",
        /// Canceled.
        Canceled = "canceled",
        /// Waiting for a signature.
        WaitingForSignature = "waiting_for_signature",
        /// Waiting for clearing.
        WaitingForClearing = "waiting_for_clearing",
    }
}

/// A movement of money on an account.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Transaction {
    /// Its id.
    pub id: TransactionId,
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: TransactionType,
    /// Its status.
    pub status: TransactionStatus,
    /// The amount, signed, in the account's currency.
    pub amount: Money,
    /// The amount in the user's native currency.
    #[serde(default)]
    pub native_amount: Option<Money>,
    /// The description given when it was made.
    #[serde(default)]
    pub description: Option<String>,
    /// The idempotency key it was made with.
    #[serde(default)]
    pub idem: Option<String>,
    /// The other party.
    #[serde(default)]
    pub to: Option<Party>,
    /// When it was made.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<OffsetDateTime>,
}

/// The other party of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Party {
    /// `email`, `address`, `account` or `user`.
    #[serde(default)]
    pub resource: Option<String>,
    /// The email, for an email.
    #[serde(default)]
    pub email: Option<String>,
    /// The address, for an address.
    #[serde(default)]
    pub address: Option<String>,
    /// The id, for an account or user.
    #[serde(default)]
    pub id: Option<String>,
}
