//! Transactions: `/v2/accounts/:id/transactions`.

use cb_scopes::{DeclaredScopes, Scope, requires_scope};
use reqwest::Method;

use super::{needs, segment};
use crate::api::{Call, data};
use crate::list::List;
use crate::models::{AccountId, Transaction, TransactionId};
use crate::send::{self, RequestMoney, SendMoney, Transfer};
use crate::{Client, Error};

impl<S: DeclaredScopes> Client<S> {
    /// An account's transactions.
    ///
    /// - **Route:** `GET /v2/accounts/:id/transactions`
    /// - **Scope:** `wallet:transactions:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:transactions:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let page = client.transactions(&"BTC".into()).limit(100).order(Order::Asc).page().await?;
    /// println!("{} transactions", page.items.len());
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:transactions:read)]
    pub fn transactions(&self, account: &AccountId) -> List<Transaction> {
        List::new(
            self.api.clone(),
            Call::new(
                Method::GET,
                format!("v2/accounts/{}/transactions", segment(account.as_str())),
                needs(&[Scope::WalletTransactionsRead]),
            ),
        )
    }

    /// One transaction.
    ///
    /// - **Route:** `GET /v2/accounts/:id/transactions/:transaction_id`
    /// - **Scope:** `wallet:transactions:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:transactions:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let tx = client.transaction(&"BTC".into(), &"57ffb4ae-0c59-5430-bcd3-3f98f797a66c".into()).await?;
    /// println!("{}", tx.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:transactions:read)]
    pub async fn transaction(
        &self,
        account: &AccountId,
        id: &TransactionId,
    ) -> Result<Transaction, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!(
                        "v2/accounts/{}/transactions/{}",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletTransactionsRead]),
                ))
                .await?,
        )
    }

    /// Sends money to an email or an address. Coinbase usually asks for the user's two-factor code
    /// first: the error is then [`Error::TwoFactorRequired`], whose [`PendingSend::confirm`](crate::PendingSend::confirm)
    /// replays the identical request with the code. The send's `idem` goes with every attempt, so
    /// retries never send twice; the send limit the user accepted applies.
    ///
    /// - **Route:** `POST /v2/accounts/:id/transactions`
    /// - **Scope:** `wallet:transactions:send`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { #[send_limit(amount = "100.00", currency = "USD", period = "day")] struct App(wallet:transactions:send); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let send = SendMoney::new("creator@example.com", Decimal::new(1000, 2), "USD");
    /// let tx = match client.send_money(&"USD".into(), send).await {
    ///     Err(Error::TwoFactorRequired(pending)) => pending.confirm("1234567").await?,
    ///     other => other?,
    /// };
    /// println!("{}", tx.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:transactions:send)]
    pub async fn send_money(
        &self,
        account: &AccountId,
        send: SendMoney,
    ) -> Result<Transaction, Error> {
        let mut call = Call::new(
            Method::POST,
            format!("v2/accounts/{}/transactions", segment(account.as_str())),
            needs(&[Scope::WalletTransactionsSend]),
        )
        .body(send.body());
        // The idem makes repeating the send safe.
        call.idempotent = true;
        send::execute_send(self.api.clone(), call).await
    }

    /// Moves money between two accounts of the user.
    ///
    /// - **Route:** `POST /v2/accounts/:id/transactions`
    /// - **Scope:** `wallet:transactions:transfer`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:transactions:transfer); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let transfer = Transfer::new("2bbf394c-193b-5b2a-9155-3b4732659ede".into(), Decimal::ONE, "BTC");
    /// let tx = client.transfer_money(&"BTC".into(), transfer).await?;
    /// println!("{}", tx.id);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:transactions:transfer)]
    pub async fn transfer_money(
        &self,
        account: &AccountId,
        transfer: Transfer,
    ) -> Result<Transaction, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::POST,
                        format!("v2/accounts/{}/transactions", segment(account.as_str())),
                        needs(&[Scope::WalletTransactionsTransfer]),
                    )
                    .body(transfer.body()),
                )
                .await?,
        )
    }

    /// Requests money from someone by email.
    ///
    /// - **Route:** `POST /v2/accounts/:id/transactions`
    /// - **Scope:** `wallet:transactions:request`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:transactions:request); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let request = RequestMoney::new("friend@example.com", Decimal::new(2000, 2), "USD");
    /// let tx = client.request_money(&"USD".into(), request).await?;
    /// println!("{}", tx.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:transactions:request)]
    pub async fn request_money(
        &self,
        account: &AccountId,
        request: RequestMoney,
    ) -> Result<Transaction, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::POST,
                        format!("v2/accounts/{}/transactions", segment(account.as_str())),
                        needs(&[Scope::WalletTransactionsRequest]),
                    )
                    .body(request.body()),
                )
                .await?,
        )
    }

    /// Completes a money request.
    ///
    /// - **Route:** `POST /v2/accounts/:id/transactions/:transaction_id/complete`
    /// - **Scope:** `wallet:transactions:request`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:transactions:request); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let tx = client.complete_request(&"USD".into(), &"57ffb4ae-0c59-5430-bcd3-3f98f797a66c".into()).await?;
    /// println!("{}", tx.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:transactions:request)]
    pub async fn complete_request(
        &self,
        account: &AccountId,
        id: &TransactionId,
    ) -> Result<Transaction, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::POST,
                    format!(
                        "v2/accounts/{}/transactions/{}/complete",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletTransactionsRequest]),
                ))
                .await?,
        )
    }

    /// Reminds the payer of a money request.
    ///
    /// - **Route:** `POST /v2/accounts/:id/transactions/:transaction_id/resend`
    /// - **Scope:** `wallet:transactions:request`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:transactions:request); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// client.resend_request(&"USD".into(), &"57ffb4ae-0c59-5430-bcd3-3f98f797a66c".into()).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:transactions:request)]
    pub async fn resend_request(
        &self,
        account: &AccountId,
        id: &TransactionId,
    ) -> Result<Transaction, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::POST,
                    format!(
                        "v2/accounts/{}/transactions/{}/resend",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletTransactionsRequest]),
                ))
                .await?,
        )
    }

    /// Cancels a money request.
    ///
    /// - **Route:** `DELETE /v2/accounts/:id/transactions/:transaction_id`
    /// - **Scope:** `wallet:transactions:request`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:transactions:request); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// client.cancel_request(&"USD".into(), &"57ffb4ae-0c59-5430-bcd3-3f98f797a66c".into()).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:transactions:request)]
    pub async fn cancel_request(
        &self,
        account: &AccountId,
        id: &TransactionId,
    ) -> Result<(), Error> {
        self.api
            .execute(&Call::new(
                Method::DELETE,
                format!(
                    "v2/accounts/{}/transactions/{}",
                    segment(account.as_str()),
                    segment(id.as_str())
                ),
                needs(&[Scope::WalletTransactionsRequest]),
            ))
            .await
            .map(drop)
    }
}
