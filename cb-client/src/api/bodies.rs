//! The bodies of requests that move money: sends (each with its `idem`),
//! transfers between the user's accounts, requests for money, and buys,
//! sells, deposits and withdrawals.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::api::models::account::AccountId;
use crate::api::models::payment_method::PaymentMethodId;

/// A send: to an email or a crypto address, an amount and a currency.
///
/// Its `idem` (a UUIDv4 unless given) goes with the request and with every
/// retry of it, so Coinbase makes at most one transaction of it, however
/// often the request is repeated.
///
/// ```
/// use cb_client::SendMoney;
/// use rust_decimal::Decimal;
///
/// let send = SendMoney::new("creator@example.com", Decimal::new(1000, 2), "USD")
///     .description("Payout for March");
/// assert_eq!(send.idem().len(), 36);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendMoney {
    to: String,
    amount: Decimal,
    currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    network: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    destination_tag: Option<String>,
    idem: String,
}

impl SendMoney {
    /// Sends `amount` of `currency` (the account's, or a fiat currency it is
    /// converted from) to an email or an address, with a fresh `idem`.
    pub fn new(to: impl Into<String>, amount: Decimal, currency: impl Into<String>) -> Self {
        SendMoney {
            to: to.into(),
            amount,
            currency: currency.into(),
            description: None,
            network: None,
            destination_tag: None,
            idem: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// A note for the recipient.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The network to send on, such as `ethereum`.
    pub fn network(mut self, network: impl Into<String>) -> Self {
        self.network = Some(network.into());
        self
    }

    /// The destination tag or memo some networks need.
    pub fn destination_tag(mut self, tag: impl Into<String>) -> Self {
        self.destination_tag = Some(tag.into());
        self
    }

    /// Uses this idempotency key instead of a fresh UUID: for example one
    /// stored before the first attempt, so that a retry after a crash
    /// reuses it.
    pub fn idem(&self) -> &str {
        &self.idem
    }

    /// Sets the idempotency key.
    pub fn with_idem(mut self, idem: impl Into<String>) -> Self {
        self.idem = idem.into();
        self
    }

    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "type": "send",
            "to": self.to,
            "amount": self.amount.to_string(),
            "currency": self.currency,
            "idem": self.idem,
        });
        let optional = [
            ("description", &self.description),
            ("network", &self.network),
            ("destination_tag", &self.destination_tag),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                body[name] = value.clone().into();
            }
        }
        body
    }
}

/// A send Coinbase holds for the user's two-factor code, in a form to keep
/// between requests: the account it is sent from and the send itself, its
/// `idem` included. It holds no secret (no token, no code), so an app may
/// keep it in its session store or database, and confirm it from any
/// process with [`Client::confirm_send`](crate::Client::confirm_send); the
/// `idem` makes the replay safe, and a confirm of a send that already went
/// through answers that transaction.
///
/// ```
/// # use cb_client::{SavedSend, SendMoney};
/// # use rust_decimal::Decimal;
/// let saved = SavedSend::new("USD".into(), SendMoney::new("creator@example.com", Decimal::new(1000, 2), "USD"));
/// let kept = serde_json::to_string(&saved).unwrap();
/// let back: SavedSend = serde_json::from_str(&kept).unwrap();
/// assert_eq!(back, saved);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedSend {
    account: AccountId,
    send: SendMoney,
}

impl SavedSend {
    /// The send of `send` from `account`.
    pub fn new(account: AccountId, send: SendMoney) -> Self {
        SavedSend { account, send }
    }

    /// The account it is sent from.
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// The send, its `idem` included.
    pub fn send(&self) -> &SendMoney {
        &self.send
    }

    /// The held send of a call to `path` with `body`, if it is a send.
    pub(crate) fn from_call(path: &str, body: &Value) -> Option<Self> {
        let account = path.strip_prefix("v2/accounts/")?.strip_suffix("/transactions")?;
        let account = percent_encoding::percent_decode_str(account).decode_utf8().ok()?;
        let send = serde_json::from_value(body.clone()).ok()?;
        Some(SavedSend { account: AccountId::from(account.as_ref()), send })
    }
}

/// A transfer between two accounts of the user, in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    to: AccountId,
    amount: Decimal,
    currency: String,
    description: Option<String>,
}

impl Transfer {
    /// Moves `amount` of `currency` to the user's account `to`.
    pub fn new(to: AccountId, amount: Decimal, currency: impl Into<String>) -> Self {
        Transfer { to, amount, currency: currency.into(), description: None }
    }

    /// A note.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    pub(crate) fn body(&self) -> Value {
        json!({
            "type": "transfer",
            "to": self.to,
            "amount": self.amount.to_string(),
            "currency": self.currency,
            "description": self.description,
        })
    }
}

/// A request for money from someone, by email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestMoney {
    from: String,
    amount: Decimal,
    currency: String,
    description: Option<String>,
}

impl RequestMoney {
    /// Asks the owner of `email` for `amount` of `currency`.
    pub fn new(email: impl Into<String>, amount: Decimal, currency: impl Into<String>) -> Self {
        RequestMoney { from: email.into(), amount, currency: currency.into(), description: None }
    }

    /// A note.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    pub(crate) fn body(&self) -> Value {
        json!({
            "type": "request",
            "to": self.from,
            "amount": self.amount.to_string(),
            "currency": self.currency,
            "description": self.description,
        })
    }
}

/// A buy, sell, deposit or withdrawal to place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeOrder {
    amount: Decimal,
    currency: String,
    payment_method: PaymentMethodId,
    commit: bool,
}

impl TradeOrder {
    /// `amount` of `currency`, paid by or paid to `payment_method`,
    /// committed at once.
    pub fn new(
        amount: Decimal,
        currency: impl Into<String>,
        payment_method: PaymentMethodId,
    ) -> Self {
        TradeOrder { amount, currency: currency.into(), payment_method, commit: true }
    }

    /// Places it without committing, to show the user its total first;
    /// commit it with the matching `commit_*` call.
    pub fn without_commit(mut self) -> Self {
        self.commit = false;
        self
    }

    pub(crate) fn body(&self) -> Value {
        json!({
            "amount": self.amount.to_string(),
            "currency": self.currency,
            "payment_method": self.payment_method,
            "commit": self.commit,
        })
    }
}
