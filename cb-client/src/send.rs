//! Moving money: sends (with `idem` and two-factor confirmation), transfers
//! between the user's accounts, requests, and buys, sells, deposits and
//! withdrawals.

use std::fmt;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::Error;
use crate::api::{Api, Call, data};
use crate::models::{AccountId, PaymentMethodId, Transaction};

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendMoney {
    to: String,
    amount: Decimal,
    currency: String,
    description: Option<String>,
    network: Option<String>,
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

/// A send Coinbase holds until the user confirms it with a two-factor code.
///
/// [`confirm`](Self::confirm) replays the identical request, same `idem`
/// included, with the code in `CB-2FA-TOKEN`.
pub struct PendingSend {
    inner: Box<(Api, Call)>,
}

impl PendingSend {
    pub(crate) fn new(api: Api, call: Call) -> Self {
        PendingSend { inner: Box::new((api, call)) }
    }

    /// The send's idempotency key.
    pub fn idem(&self) -> Option<&str> {
        self.inner.1.body.as_ref()?.get("idem")?.as_str()
    }

    /// Replays the send with the user's two-factor `code`.
    ///
    /// # Errors
    ///
    /// [`Error::TwoFactorRequired`] again when the code is wrong or expired
    /// (Coinbase sends a new one), and the errors of any send.
    pub async fn confirm(self, code: &str) -> Result<Transaction, Error> {
        let (api, mut call) = *self.inner;
        call.headers.retain(|(name, _)| *name != "CB-2FA-TOKEN");
        call.headers.push(("CB-2FA-TOKEN", code.trim().to_owned()));
        execute_send(api, call).await
    }
}

/// Makes a send, turning `two_factor_required` into a [`PendingSend`].
pub(crate) async fn execute_send(api: Api, call: Call) -> Result<Transaction, Error> {
    match api.execute(&call).await {
        Ok(body) => data(body),
        Err(error) if error.api_error_id() == Some("two_factor_required") => {
            Err(Error::TwoFactorRequired(PendingSend::new(api, call)))
        }
        Err(error) => Err(error),
    }
}

impl fmt::Debug for PendingSend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSend")
            .field("path", &self.inner.1.path)
            .field("idem", &self.idem())
            .finish()
    }
}
