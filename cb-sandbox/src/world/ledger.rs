//! Users and their money: prices, accounts, addresses, transactions,
//! trades, payment methods and notifications.

use rust_decimal::Decimal;
use time::OffsetDateTime;

/// Prices in US dollars, fixed so that conversions are reproducible.
const USD_PRICES: &[(&str, Decimal)] = &[
    ("USD", Decimal::from_parts(1, 0, 0, false, 0)),
    ("EUR", Decimal::from_parts(108, 0, 0, false, 2)),
    ("GBP", Decimal::from_parts(127, 0, 0, false, 2)),
    ("BTC", Decimal::from_parts(60_000, 0, 0, false, 0)),
    ("ETH", Decimal::from_parts(3_000, 0, 0, false, 0)),
    ("LTC", Decimal::from_parts(80, 0, 0, false, 0)),
    ("USDC", Decimal::from_parts(1, 0, 0, false, 0)),
];

/// Fiat currencies: they live in fiat wallets and in send limits.
pub(crate) fn is_fiat(currency: &str) -> bool {
    matches!(currency, "USD" | "EUR" | "GBP")
}

pub(crate) fn usd_price(currency: &str) -> Option<Decimal> {
    USD_PRICES.iter().find(|(code, _)| *code == currency).map(|(_, price)| *price)
}

/// Converts between currencies at the fixed prices, rounded to 8 decimals.
pub(crate) fn convert(amount: Decimal, from: &str, to: &str) -> Option<Decimal> {
    if from == to {
        return Some(amount);
    }
    let value = amount.checked_mul(usd_price(from)?)?.checked_div(usd_price(to)?)?;
    Some(value.round_dp(8).normalize())
}

/// A movement of money that would take a balance or an outside total out
/// of `Decimal`'s range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OutOfRange;

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) time_zone: String,
    pub(crate) native_currency: String,
    pub(crate) country: String,
    pub(crate) created_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) name: String,
    pub(crate) currency: String,
    pub(crate) balance: Decimal,
    pub(crate) primary: bool,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) seq: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Address {
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) address: String,
    pub(crate) name: Option<String>,
    pub(crate) network: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) seq: u64,
}

/// What a transaction is, as Coinbase's `type` spells it (`send`,
/// `fiat_deposit`, ...): how [`Sandbox::ledger`](crate::Sandbox::ledger)
/// reports it. It compares with its spelling (`kind == "send"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, strum::IntoStaticStr)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionKind {
    /// Money sent to an email, an address or an account.
    Send,
    /// Money received.
    Receive,
    /// A transfer between the user's own accounts.
    Transfer,
    /// A money request.
    Request,
    /// A v2 buy.
    Buy,
    /// A v2 sell.
    Sell,
    /// Money in from a payment method.
    FiatDeposit,
    /// Money out to a payment method.
    FiatWithdrawal,
    /// A fill of an Advanced Trade order.
    AdvancedTradeFill,
    /// A Convert trade.
    Trade,
}

/// Where a transaction stands (`pending`, `completed`, `canceled`). It
/// compares with its spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, strum::IntoStaticStr)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionStatus {
    /// Not settled yet.
    Pending,
    /// Settled.
    Completed,
    /// Canceled, and never settled.
    Canceled,
}

/// `as_str`, `Display` and comparisons with the spelling, for the ledger's
/// enums.
macro_rules! spelled_enum {
    ($name:ident) => {
        impl $name {
            /// How Coinbase spells it.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

spelled_enum!(TransactionKind);
spelled_enum!(TransactionStatus);

/// Where a trade stands: placed without a commit, or done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "snake_case")]
pub(crate) enum TradeStatus {
    Created,
    Completed,
}

/// A movement of money on one account; its `amount` is signed and in the
/// account's currency, so an account's balance is the sum of its live
/// transactions.
#[derive(Clone, Debug)]
pub(crate) struct Transaction {
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) kind: TransactionKind,
    pub(crate) status: TransactionStatus,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) description: Option<String>,
    /// The other party: an email, an address or an account id.
    pub(crate) counterparty: Option<String>,
    pub(crate) idem: Option<String>,
    pub(crate) network: Option<String>,
    pub(crate) authorization_id: Option<String>,
    /// For sends: the amount counted against the send limit, in the limit's
    /// currency.
    pub(crate) limit_amount: Option<Decimal>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) seq: u64,
}

/// A buy, sell, deposit or withdrawal.
#[derive(Clone, Debug)]
pub(crate) struct Trade {
    pub(crate) id: String,
    pub(crate) kind: TradeKind,
    pub(crate) account_id: String,
    pub(crate) payment_method_id: String,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    /// What the other side of the trade pays or receives, in its currency.
    pub(crate) total: Decimal,
    pub(crate) total_currency: String,
    pub(crate) status: TradeStatus,
    pub(crate) transaction_id: Option<String>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) seq: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TradeKind {
    Buy,
    Sell,
    Deposit,
    Withdrawal,
}

impl TradeKind {
    pub(crate) const fn resource(self) -> &'static str {
        match self {
            TradeKind::Buy => "buy",
            TradeKind::Sell => "sell",
            TradeKind::Deposit => "deposit",
            TradeKind::Withdrawal => "withdrawal",
        }
    }

    pub(crate) const fn collection(self) -> &'static str {
        match self {
            TradeKind::Buy => "buys",
            TradeKind::Sell => "sells",
            TradeKind::Deposit => "deposits",
            TradeKind::Withdrawal => "withdrawals",
        }
    }

    /// The kind of the transaction a committed trade leaves on its account.
    pub(crate) const fn transaction_kind(self) -> TransactionKind {
        match self {
            TradeKind::Buy => TransactionKind::Buy,
            TradeKind::Sell => TransactionKind::Sell,
            TradeKind::Deposit => TransactionKind::FiatDeposit,
            TradeKind::Withdrawal => TransactionKind::FiatWithdrawal,
        }
    }
}

/// What pays for buys and receives sells, as Coinbase's `type` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "snake_case")]
pub(crate) enum PaymentMethodKind {
    FiatAccount,
    AchBankAccount,
}

#[derive(Clone, Debug)]
pub(crate) struct PaymentMethod {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) name: String,
    pub(crate) kind: PaymentMethodKind,
    pub(crate) currency: String,
    /// The wallet behind a `fiat_account`; money to a bank leaves the sandbox.
    pub(crate) account_id: Option<String>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) seq: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Notification {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) kind: &'static str,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) seq: u64,
}

/// What [`World::post`] records.
pub(crate) struct NewTransaction {
    pub(crate) account_id: String,
    pub(crate) kind: TransactionKind,
    pub(crate) status: TransactionStatus,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) description: Option<String>,
    pub(crate) counterparty: Option<String>,
    pub(crate) idem: Option<String>,
    pub(crate) network: Option<String>,
    pub(crate) authorization_id: Option<String>,
    pub(crate) limit_amount: Option<Decimal>,
}

impl NewTransaction {
    pub(crate) fn new(
        account_id: &str,
        kind: TransactionKind,
        status: TransactionStatus,
        amount: Decimal,
        currency: &str,
    ) -> Self {
        NewTransaction {
            account_id: account_id.to_owned(),
            kind,
            status,
            amount,
            currency: currency.to_owned(),
            description: None,
            counterparty: None,
            idem: None,
            network: None,
            authorization_id: None,
            limit_amount: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_are_spelled_as_coinbase_spells_them() {
        let json = |value: serde_json::Value| value.as_str().unwrap_or_default().to_owned();
        assert_eq!(json(serde_json::json!(TransactionKind::FiatDeposit)), "fiat_deposit");
        assert_eq!(json(serde_json::json!(TransactionStatus::Canceled)), "canceled");
        assert_eq!(json(serde_json::json!(TradeStatus::Created)), "created");
        assert_eq!(json(serde_json::json!(PaymentMethodKind::AchBankAccount)), "ach_bank_account");
        assert_eq!(<&str>::from(TransactionKind::Send), "send");
        let period: crate::world::auth::LimitPeriod = "year".parse().unwrap();
        assert_eq!(period.to_string(), "year");
        assert!("Year".parse::<crate::world::auth::LimitPeriod>().is_err());
    }

    #[test]
    fn conversions_use_the_fixed_prices() {
        let one = Decimal::ONE;
        assert_eq!(convert(one, "BTC", "USD").unwrap().to_string(), "60000");
        assert_eq!(convert(Decimal::new(3000, 0), "USD", "ETH").unwrap().to_string(), "1");
        assert_eq!(convert(one, "USD", "USD"), Some(one));
        assert_eq!(convert(one, "XYZ", "USD"), None);
    }
}
