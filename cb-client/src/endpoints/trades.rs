//! Buys, sells, deposits and withdrawals.

use cb_scopes::{DeclaredScopes, Scope, requires_scope};
use reqwest::Method;

use super::{needs, segment};
use crate::api::{Call, data};
use crate::list::List;
use crate::models::{AccountId, Buy, Deposit, Sell, TradeId, Withdrawal};
use crate::send::TradeOrder;
use crate::{Client, Error};

impl<S: DeclaredScopes> Client<S> {
    /// An account's buys.
    ///
    /// - **Route:** `GET /v2/accounts/:id/buys`
    /// - **Scope:** `wallet:buys:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:buys:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let buys = client.buys(&"BTC".into()).all().await?;
    /// println!("{}", buys.len());
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:buys:read)]
    pub fn buys(&self, account: &AccountId) -> List<Buy> {
        List::new(
            self.api.clone(),
            Call::new(
                Method::GET,
                format!("v2/accounts/{}/buys", segment(account.as_str())),
                needs(&[Scope::WalletBuysRead]),
            ),
        )
    }

    /// One buy.
    ///
    /// - **Route:** `GET /v2/accounts/:id/buys/:buy_id`
    /// - **Scope:** `wallet:buys:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:buys:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let buy = client.buy(&"BTC".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", buy.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:buys:read)]
    pub async fn buy(&self, account: &AccountId, id: &TradeId) -> Result<Buy, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!(
                        "v2/accounts/{}/buys/{}",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletBuysRead]),
                ))
                .await?,
        )
    }

    /// Buys crypto into the account, paid by a payment method. Committed at once unless the order
    /// says [`TradeOrder::without_commit`].
    ///
    /// - **Route:** `POST /v2/accounts/:id/buys`
    /// - **Scope:** `wallet:buys:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:buys:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let order = TradeOrder::new(Decimal::new(10, 0), "USD", "83562370-3e5c-51db-87da-752af5ab9559".into());
    /// let placed = client.place_buy(&"BTC".into(), order).await?;
    /// println!("{}", placed.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:buys:create)]
    pub async fn place_buy(&self, account: &AccountId, order: TradeOrder) -> Result<Buy, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::POST,
                        format!("v2/accounts/{}/buys", segment(account.as_str())),
                        needs(&[Scope::WalletBuysCreate]),
                    )
                    .body(order.body()),
                )
                .await?,
        )
    }

    /// Commits a buy placed without committing.
    ///
    /// - **Route:** `POST /v2/accounts/:id/buys/:buy_id/commit`
    /// - **Scope:** `wallet:buys:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:buys:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let done = client.commit_buy(&"BTC".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", done.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:buys:create)]
    pub async fn commit_buy(&self, account: &AccountId, id: &TradeId) -> Result<Buy, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::POST,
                    format!(
                        "v2/accounts/{}/buys/{}/commit",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletBuysCreate]),
                ))
                .await?,
        )
    }

    /// An account's sells.
    ///
    /// - **Route:** `GET /v2/accounts/:id/sells`
    /// - **Scope:** `wallet:sells:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:sells:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let sells = client.sells(&"BTC".into()).all().await?;
    /// println!("{}", sells.len());
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:sells:read)]
    pub fn sells(&self, account: &AccountId) -> List<Sell> {
        List::new(
            self.api.clone(),
            Call::new(
                Method::GET,
                format!("v2/accounts/{}/sells", segment(account.as_str())),
                needs(&[Scope::WalletSellsRead]),
            ),
        )
    }

    /// One sell.
    ///
    /// - **Route:** `GET /v2/accounts/:id/sells/:sell_id`
    /// - **Scope:** `wallet:sells:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:sells:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let sell = client.sell(&"BTC".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", sell.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:sells:read)]
    pub async fn sell(&self, account: &AccountId, id: &TradeId) -> Result<Sell, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!(
                        "v2/accounts/{}/sells/{}",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletSellsRead]),
                ))
                .await?,
        )
    }

    /// Sells crypto from the account, paid to a payment method. Committed at once unless the order
    /// says [`TradeOrder::without_commit`].
    ///
    /// - **Route:** `POST /v2/accounts/:id/sells`
    /// - **Scope:** `wallet:sells:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:sells:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let order = TradeOrder::new(Decimal::new(10, 0), "USD", "83562370-3e5c-51db-87da-752af5ab9559".into());
    /// let placed = client.place_sell(&"BTC".into(), order).await?;
    /// println!("{}", placed.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:sells:create)]
    pub async fn place_sell(&self, account: &AccountId, order: TradeOrder) -> Result<Sell, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::POST,
                        format!("v2/accounts/{}/sells", segment(account.as_str())),
                        needs(&[Scope::WalletSellsCreate]),
                    )
                    .body(order.body()),
                )
                .await?,
        )
    }

    /// Commits a sell placed without committing.
    ///
    /// - **Route:** `POST /v2/accounts/:id/sells/:sell_id/commit`
    /// - **Scope:** `wallet:sells:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:sells:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let done = client.commit_sell(&"BTC".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", done.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:sells:create)]
    pub async fn commit_sell(&self, account: &AccountId, id: &TradeId) -> Result<Sell, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::POST,
                    format!(
                        "v2/accounts/{}/sells/{}/commit",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletSellsCreate]),
                ))
                .await?,
        )
    }

    /// An account's deposits.
    ///
    /// - **Route:** `GET /v2/accounts/:id/deposits`
    /// - **Scope:** `wallet:deposits:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:deposits:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let deposits = client.deposits(&"USD".into()).all().await?;
    /// println!("{}", deposits.len());
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:deposits:read)]
    pub fn deposits(&self, account: &AccountId) -> List<Deposit> {
        List::new(
            self.api.clone(),
            Call::new(
                Method::GET,
                format!("v2/accounts/{}/deposits", segment(account.as_str())),
                needs(&[Scope::WalletDepositsRead]),
            ),
        )
    }

    /// One deposit.
    ///
    /// - **Route:** `GET /v2/accounts/:id/deposits/:deposit_id`
    /// - **Scope:** `wallet:deposits:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:deposits:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let deposit = client.deposit(&"USD".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", deposit.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:deposits:read)]
    pub async fn deposit(&self, account: &AccountId, id: &TradeId) -> Result<Deposit, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!(
                        "v2/accounts/{}/deposits/{}",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletDepositsRead]),
                ))
                .await?,
        )
    }

    /// Deposits fiat from a bank into a fiat account. Committed at once unless the order says
    /// [`TradeOrder::without_commit`].
    ///
    /// - **Route:** `POST /v2/accounts/:id/deposits`
    /// - **Scope:** `wallet:deposits:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:deposits:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let order = TradeOrder::new(Decimal::new(10, 0), "USD", "83562370-3e5c-51db-87da-752af5ab9559".into());
    /// let placed = client.deposit_funds(&"USD".into(), order).await?;
    /// println!("{}", placed.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:deposits:create)]
    pub async fn deposit_funds(
        &self,
        account: &AccountId,
        order: TradeOrder,
    ) -> Result<Deposit, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::POST,
                        format!("v2/accounts/{}/deposits", segment(account.as_str())),
                        needs(&[Scope::WalletDepositsCreate]),
                    )
                    .body(order.body()),
                )
                .await?,
        )
    }

    /// Commits a deposit placed without committing.
    ///
    /// - **Route:** `POST /v2/accounts/:id/deposits/:deposit_id/commit`
    /// - **Scope:** `wallet:deposits:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:deposits:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let done = client.commit_deposit(&"USD".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", done.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:deposits:create)]
    pub async fn commit_deposit(
        &self,
        account: &AccountId,
        id: &TradeId,
    ) -> Result<Deposit, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::POST,
                    format!(
                        "v2/accounts/{}/deposits/{}/commit",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletDepositsCreate]),
                ))
                .await?,
        )
    }

    /// An account's withdrawals.
    ///
    /// - **Route:** `GET /v2/accounts/:id/withdrawals`
    /// - **Scope:** `wallet:withdrawals:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:withdrawals:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let withdrawals = client.withdrawals(&"USD".into()).all().await?;
    /// println!("{}", withdrawals.len());
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:withdrawals:read)]
    pub fn withdrawals(&self, account: &AccountId) -> List<Withdrawal> {
        List::new(
            self.api.clone(),
            Call::new(
                Method::GET,
                format!("v2/accounts/{}/withdrawals", segment(account.as_str())),
                needs(&[Scope::WalletWithdrawalsRead]),
            ),
        )
    }

    /// One withdrawal.
    ///
    /// - **Route:** `GET /v2/accounts/:id/withdrawals/:withdrawal_id`
    /// - **Scope:** `wallet:withdrawals:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:withdrawals:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let withdrawal = client.withdrawal(&"USD".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", withdrawal.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:withdrawals:read)]
    pub async fn withdrawal(&self, account: &AccountId, id: &TradeId) -> Result<Withdrawal, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!(
                        "v2/accounts/{}/withdrawals/{}",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletWithdrawalsRead]),
                ))
                .await?,
        )
    }

    /// Withdraws fiat from a fiat account to a bank. Committed at once unless the order says
    /// [`TradeOrder::without_commit`].
    ///
    /// - **Route:** `POST /v2/accounts/:id/withdrawals`
    /// - **Scope:** `wallet:withdrawals:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:withdrawals:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let order = TradeOrder::new(Decimal::new(10, 0), "USD", "83562370-3e5c-51db-87da-752af5ab9559".into());
    /// let placed = client.withdraw_funds(&"USD".into(), order).await?;
    /// println!("{}", placed.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:withdrawals:create)]
    pub async fn withdraw_funds(
        &self,
        account: &AccountId,
        order: TradeOrder,
    ) -> Result<Withdrawal, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::POST,
                        format!("v2/accounts/{}/withdrawals", segment(account.as_str())),
                        needs(&[Scope::WalletWithdrawalsCreate]),
                    )
                    .body(order.body()),
                )
                .await?,
        )
    }

    /// Commits a withdrawal placed without committing.
    ///
    /// - **Route:** `POST /v2/accounts/:id/withdrawals/:withdrawal_id/commit`
    /// - **Scope:** `wallet:withdrawals:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:withdrawals:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let done = client.commit_withdrawal(&"USD".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", done.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:withdrawals:create)]
    pub async fn commit_withdrawal(
        &self,
        account: &AccountId,
        id: &TradeId,
    ) -> Result<Withdrawal, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::POST,
                    format!(
                        "v2/accounts/{}/withdrawals/{}/commit",
                        segment(account.as_str()),
                        segment(id.as_str())
                    ),
                    needs(&[Scope::WalletWithdrawalsCreate]),
                ))
                .await?,
        )
    }
}
