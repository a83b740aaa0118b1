//! Addresses: `/v2/accounts/:id/addresses`.

use cb_scopes::{DeclaredScopes, Scope, requires_scope};
use reqwest::Method;
use serde_json::json;

use super::{needs, segment};
use crate::api::{Call, data};
use crate::list::List;
use crate::models::{AccountId, Address, AddressId, Transaction};
use crate::{Client, Error};

impl<S: DeclaredScopes> Client<S> {
    /// An account's receiving addresses.
    ///
    /// - **Route:** `GET /v2/accounts/:id/addresses`
    /// - **Scope:** `wallet:addresses:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:addresses:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let addresses = client.addresses(&"BTC".into()).all().await?;
    /// println!("{}", addresses.len());
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:addresses:read)]
    pub fn addresses(&self, account: &AccountId) -> List<Address> {
        List::new(
            self.api.clone(),
            Call::new(
                Method::GET,
                format!("v2/accounts/{}/addresses", segment(account.as_str())),
                needs(&[Scope::WalletAddressesRead]),
            ),
        )
    }

    /// One address of an account, by id or by the address itself.
    ///
    /// - **Route:** `GET /v2/accounts/:id/addresses/:address_id`
    /// - **Scope:** `wallet:addresses:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:addresses:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let address = client.address(&"BTC".into(), &"dd3183eb-af1d-5f5d-a90d-cbff946435ff".into()).await?;
    /// println!("{}", address.address);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:addresses:read)]
    pub async fn address(
        &self,
        account: &AccountId,
        address: &AddressId,
    ) -> Result<Address, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!(
                        "v2/accounts/{}/addresses/{}",
                        segment(account.as_str()),
                        segment(address.as_str())
                    ),
                    needs(&[Scope::WalletAddressesRead]),
                ))
                .await?,
        )
    }

    /// The transactions received at an address.
    ///
    /// - **Route:** `GET /v2/accounts/:id/addresses/:address_id/transactions`
    /// - **Scope:** `wallet:transactions:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:transactions:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let received = client.address_transactions(&"BTC".into(), &"dd3183eb-af1d-5f5d-a90d-cbff946435ff".into()).all().await?;
    /// println!("{}", received.len());
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:transactions:read)]
    pub fn address_transactions(
        &self,
        account: &AccountId,
        address: &AddressId,
    ) -> List<Transaction> {
        List::new(
            self.api.clone(),
            Call::new(
                Method::GET,
                format!(
                    "v2/accounts/{}/addresses/{}/transactions",
                    segment(account.as_str()),
                    segment(address.as_str())
                ),
                needs(&[Scope::WalletTransactionsRead]),
            ),
        )
    }

    /// Creates a receiving address for a crypto account.
    ///
    /// - **Route:** `POST /v2/accounts/:id/addresses`
    /// - **Scope:** `wallet:addresses:create`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:addresses:create); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let address = client.create_address(&"BTC".into(), Some("Invoice 42")).await?;
    /// println!("pay to {}", address.address);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:addresses:create)]
    pub async fn create_address(
        &self,
        account: &AccountId,
        name: Option<&str>,
    ) -> Result<Address, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::POST,
                        format!("v2/accounts/{}/addresses", segment(account.as_str())),
                        needs(&[Scope::WalletAddressesCreate]),
                    )
                    .body(json!({ "name": name })),
                )
                .await?,
        )
    }
}
