//! Payment methods and their limits.

use serde::Deserialize;

use super::common::{Money, ResourceRef, id_type};

id_type! {
    /// A payment method's id.
    PaymentMethodId
}

/// A bank account, card or fiat wallet that pays for buys and receives
/// sells.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PaymentMethod {
    /// Its id.
    pub id: PaymentMethodId,
    /// Its kind, such as `ach_bank_account` or `fiat_account`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its currency.
    pub currency: String,
    /// Whether it can buy.
    #[serde(default)]
    pub allow_buy: bool,
    /// Whether it can receive sells.
    #[serde(default)]
    pub allow_sell: bool,
    /// The fiat wallet behind a `fiat_account`.
    #[serde(default)]
    pub fiat_account: Option<ResourceRef>,
    /// Its limits; only with `wallet:payment-methods:limits`.
    #[serde(default)]
    pub limits: Option<PaymentMethodLimits>,
}

/// How much a payment method may move.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PaymentMethodLimits {
    /// Buy limits.
    #[serde(default)]
    pub buy: Vec<Limit>,
    /// Sell limits.
    #[serde(default)]
    pub sell: Vec<Limit>,
    /// Deposit limits.
    #[serde(default)]
    pub deposit: Vec<Limit>,
}

/// One limit over a period.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Limit {
    /// The period, in days.
    pub period_in_days: u32,
    /// The limit.
    pub total: Money,
    /// What is left of it.
    pub remaining: Money,
}
