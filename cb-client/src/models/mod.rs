//! Typed models of Coinbase's v2 resources. Money is a decimal, ids are
//! newtypes, timestamps are `time::OffsetDateTime`, unknown fields are
//! ignored and enums keep values they do not know.

mod account;
mod auth;
mod common;
mod payment_method;
mod trade;
mod transaction;
mod user;

pub use account::{Account, AccountId, AccountType, Address, AddressId};
pub use auth::AuthInfo;
pub use common::{Money, ResourceRef};
pub use payment_method::{
    Limit, Notification, NotificationId, PaymentMethod, PaymentMethodId, PaymentMethodLimits,
};
pub use trade::{Buy, Deposit, Sell, Trade, TradeId, TradeStatus, Withdrawal};
pub use transaction::{Party, Transaction, TransactionId, TransactionStatus, TransactionType};
pub use user::{Country, User, UserId, UserUpdate};
