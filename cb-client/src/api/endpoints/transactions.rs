//! Transactions: `/v2/accounts/:id/transactions`.

use crate::api::bodies::{RequestMoney, SavedSend, SendMoney, Transfer};
use crate::api::list::List;
use crate::api::models::{AccountId, Transaction, TransactionId};
use crate::api::request::ApiRequest;

endpoints! {
    /// An account's transactions.
    #[endpoint(GET "/v2/accounts/:id/transactions", wallet:transactions:read)]
    #[example]
    /// let page = client.transactions(&"BTC".into()).limit(100).order(Order::Asc).page().await?;
    /// println!("{} transactions", page.items.len());
    pub fn transactions(&self, account: &AccountId) -> List<Transaction> {
        self.list(ENDPOINT.at([account.as_str()]))
    }

    /// One transaction.
    #[endpoint(GET "/v2/accounts/:id/transactions/:transaction_id", wallet:transactions:read)]
    #[example]
    /// let tx = client.transaction(&"BTC".into(), &"57ffb4ae-0c59-5430-bcd3-3f98f797a66c".into()).await?;
    /// println!("{}", tx.status);
    pub fn transaction(&self, account: &AccountId, id: &TransactionId) -> ApiRequest<Transaction> {
        self.fetch(ENDPOINT.at([account.as_str(), id.as_str()]))
    }

    /// Sends money to an email or an address. Coinbase usually asks for the user's two-factor code
    /// first: the error is then [`Error::TwoFactorRequired`](crate::Error::TwoFactorRequired), whose [`PendingSend::confirm`](crate::PendingSend::confirm)
    /// replays the identical request with the code. The send's `idem` goes with every attempt, so
    /// retries never send twice; the send limit the user accepted applies.
    #[endpoint(POST "/v2/accounts/:id/transactions", wallet:transactions:send)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let send = SendMoney::new("creator@example.com", Decimal::new(1000, 2), "USD");
    /// let tx = match client.send_money(&"USD".into(), send).await {
    ///     Err(Error::TwoFactorRequired(pending)) => pending.confirm("1234567").await?,
    ///     other => other?,
    /// };
    /// println!("{}", tx.status);
    pub fn send_money(&self, account: &AccountId, send: SendMoney) -> ApiRequest<Transaction> {
        self.send(ENDPOINT.at([account.as_str()]).body(send.body()))
    }

    /// Confirms a send Coinbase held for the user's two-factor code, kept with
    /// [`PendingSend::saved`](crate::PendingSend::saved) from an earlier request, in this
    /// process or another. The same `idem` goes again, so a send confirmed twice (or already
    /// through) answers its transaction once; a wrong code is
    /// [`Error::TwoFactorRequired`](crate::Error::TwoFactorRequired) again.
    #[endpoint(POST "/v2/accounts/:id/transactions", wallet:transactions:send)]
    #[example]
    /// # let kept = String::new();
    /// let saved: SavedSend = serde_json::from_str(&kept).unwrap();
    /// let tx = client.confirm_send(&saved, "1234567").await?;
    /// println!("{}", tx.status);
    pub fn confirm_send(&self, saved: &SavedSend, code: &str) -> ApiRequest<Transaction> {
        let mut call = ENDPOINT.at([saved.account().as_str()]).body(saved.send().body());
        call.headers.push(("CB-2FA-TOKEN", code.trim().to_owned()));
        self.send(call)
    }

    /// Moves money between two accounts of the user.
    #[endpoint(POST "/v2/accounts/:id/transactions", wallet:transactions:transfer)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let transfer = Transfer::new("2bbf394c-193b-5b2a-9155-3b4732659ede".into(), Decimal::ONE, "BTC");
    /// let tx = client.transfer_money(&"BTC".into(), transfer).await?;
    /// println!("{}", tx.id);
    pub fn transfer_money(&self, account: &AccountId, transfer: Transfer) -> ApiRequest<Transaction> {
        self.fetch(ENDPOINT.at([account.as_str()]).body(transfer.body()))
    }

    /// Requests money from someone by email.
    #[endpoint(POST "/v2/accounts/:id/transactions", wallet:transactions:request)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let request = RequestMoney::new("friend@example.com", Decimal::new(2000, 2), "USD");
    /// let tx = client.request_money(&"USD".into(), request).await?;
    /// println!("{}", tx.status);
    pub fn request_money(&self, account: &AccountId, request: RequestMoney) -> ApiRequest<Transaction> {
        self.fetch(ENDPOINT.at([account.as_str()]).body(request.body()))
    }

    /// Completes a money request.
    #[endpoint(POST "/v2/accounts/:id/transactions/:transaction_id/complete", wallet:transactions:request)]
    #[example]
    /// let tx = client.complete_request(&"USD".into(), &"57ffb4ae-0c59-5430-bcd3-3f98f797a66c".into()).await?;
    /// println!("{}", tx.status);
    pub fn complete_request(&self, account: &AccountId, id: &TransactionId) -> ApiRequest<Transaction> {
        self.fetch(ENDPOINT.at([account.as_str(), id.as_str()]))
    }

    /// Reminds the payer of a money request.
    #[endpoint(POST "/v2/accounts/:id/transactions/:transaction_id/resend", wallet:transactions:request)]
    #[example]
    /// client.resend_request(&"USD".into(), &"57ffb4ae-0c59-5430-bcd3-3f98f797a66c".into()).await?;
    pub fn resend_request(&self, account: &AccountId, id: &TransactionId) -> ApiRequest<Transaction> {
        self.fetch(ENDPOINT.at([account.as_str(), id.as_str()]))
    }

    /// Cancels a money request.
    #[endpoint(DELETE "/v2/accounts/:id/transactions/:transaction_id", wallet:transactions:request)]
    #[example]
    /// client.cancel_request(&"USD".into(), &"57ffb4ae-0c59-5430-bcd3-3f98f797a66c".into()).await?;
    pub fn cancel_request(&self, account: &AccountId, id: &TransactionId) -> ApiRequest<()> {
        self.fetch_nothing(ENDPOINT.at([account.as_str(), id.as_str()]))
    }
}
