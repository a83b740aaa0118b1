//! Accounts: `/v2/accounts`.

use cb_scopes::{DeclaredScopes, Scope, requires_scope};
use reqwest::Method;
use serde_json::json;

use super::{needs, segment};
use crate::api::{Call, data};
use crate::list::List;
use crate::models::{Account, AccountId};
use crate::{Client, Error};

impl<S: DeclaredScopes> Client<S> {
    /// The accounts the user let the app reach.
    ///
    /// - **Route:** `GET /v2/accounts`
    /// - **Scope:** `wallet:accounts:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:accounts:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// for account in client.accounts().all().await? {
    ///     println!("{}: {}", account.name, account.balance);
    /// }
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:accounts:read)]
    pub fn accounts(&self) -> List<Account> {
        List::new(
            self.api.clone(),
            Call::new(Method::GET, "v2/accounts".to_owned(), needs(&[Scope::WalletAccountsRead])),
        )
    }

    /// One account, by id or by currency code (`BTC` names the BTC wallet).
    ///
    /// - **Route:** `GET /v2/accounts/:id`
    /// - **Scope:** `wallet:accounts:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:accounts:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let btc = client.account("BTC").await?;
    /// println!("{}", btc.balance);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:accounts:read)]
    pub async fn account(&self, id_or_currency: impl AsRef<str>) -> Result<Account, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!("v2/accounts/{}", segment(id_or_currency.as_ref())),
                    needs(&[Scope::WalletAccountsRead]),
                ))
                .await?,
        )
    }

    /// Creates a crypto wallet (Coinbase has deprecated this endpoint).
    ///
    /// - **Route:** `POST /v2/accounts`
    /// - **Scope:** `wallet:accounts:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:accounts:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let vault = client.create_account("Savings").await?;
    /// println!("{}", vault.id);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:accounts:create)]
    pub async fn create_account(&self, name: &str) -> Result<Account, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::POST,
                        "v2/accounts".to_owned(),
                        needs(&[Scope::WalletAccountsCreate]),
                    )
                    .body(json!({ "name": name })),
                )
                .await?,
        )
    }

    /// Renames an account.
    ///
    /// - **Route:** `PUT /v2/accounts/:id`
    /// - **Scope:** `wallet:accounts:update`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:accounts:update); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let account = client.update_account(&"BTC".into(), "Main wallet").await?;
    /// assert_eq!(account.name, "Main wallet");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:accounts:update)]
    pub async fn update_account(&self, account: &AccountId, name: &str) -> Result<Account, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::PUT,
                        format!("v2/accounts/{}", segment(account.as_str())),
                        needs(&[Scope::WalletAccountsUpdate]),
                    )
                    .body(json!({ "name": name })),
                )
                .await?,
        )
    }

    /// Makes an account the user's primary one.
    ///
    /// - **Route:** `POST /v2/accounts/:id/primary`
    /// - **Scope:** `wallet:accounts:update`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:accounts:update); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let account = client.set_primary_account(&"BTC".into()).await?;
    /// assert!(account.primary);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:accounts:update)]
    pub async fn set_primary_account(&self, account: &AccountId) -> Result<Account, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::POST,
                    format!("v2/accounts/{}/primary", segment(account.as_str())),
                    needs(&[Scope::WalletAccountsUpdate]),
                ))
                .await?,
        )
    }

    /// Deletes an empty account that is not the primary one.
    ///
    /// - **Route:** `DELETE /v2/accounts/:id`
    /// - **Scope:** `wallet:accounts:delete`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:accounts:delete); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// client.delete_account(&"2bbf394c-193b-5b2a-9155-3b4732659ede".into()).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:accounts:delete)]
    pub async fn delete_account(&self, account: &AccountId) -> Result<(), Error> {
        self.api
            .execute(&Call::new(
                Method::DELETE,
                format!("v2/accounts/{}", segment(account.as_str())),
                needs(&[Scope::WalletAccountsDelete]),
            ))
            .await
            .map(drop)
    }
}
