//! Accounts: `/v2/accounts`.

use serde_json::json;

use crate::api::list::List;
use crate::api::models::{Account, AccountId};
use crate::api::request::ApiRequest;

endpoints! {
    /// The accounts the user let the app reach.
    #[endpoint(GET "/v2/accounts", wallet:accounts:read)]
    #[example]
    /// for account in client.accounts().all().await? {
    ///     println!("{}: {}", account.name, account.balance);
    /// }
    pub fn accounts(&self) -> List<Account> {
        self.list(ENDPOINT.at([]))
    }

    /// One account, by id or by currency code (`BTC` names the BTC wallet).
    #[endpoint(GET "/v2/accounts/:id", wallet:accounts:read)]
    #[example]
    /// let btc = client.account("BTC").await?;
    /// println!("{}", btc.balance);
    pub fn account(&self, id_or_currency: impl AsRef<str>) -> ApiRequest<Account> {
        self.fetch(ENDPOINT.at([id_or_currency.as_ref()]))
    }

    /// Creates a crypto wallet (Coinbase has deprecated this endpoint).
    #[endpoint(POST "/v2/accounts", wallet:accounts:create)]
    #[example]
    /// let vault = client.create_account("Savings").await?;
    /// println!("{}", vault.id);
    pub fn create_account(&self, name: &str) -> ApiRequest<Account> {
        self.fetch(ENDPOINT.at([]).body(json!({ "name": name })))
    }

    /// Renames an account.
    #[endpoint(PUT "/v2/accounts/:id", wallet:accounts:update)]
    #[example]
    /// let account = client.update_account(&"BTC".into(), "Main wallet").await?;
    /// assert_eq!(account.name, "Main wallet");
    pub fn update_account(&self, account: &AccountId, name: &str) -> ApiRequest<Account> {
        self.fetch(ENDPOINT.at([account.as_str()]).body(json!({ "name": name })))
    }

    /// Makes an account the user's primary one.
    #[endpoint(POST "/v2/accounts/:id/primary", wallet:accounts:update)]
    #[example]
    /// let account = client.set_primary_account(&"BTC".into()).await?;
    /// assert!(account.primary);
    pub fn set_primary_account(&self, account: &AccountId) -> ApiRequest<Account> {
        self.fetch(ENDPOINT.at([account.as_str()]))
    }

    /// Deletes an empty account that is not the primary one.
    #[endpoint(DELETE "/v2/accounts/:id", wallet:accounts:delete)]
    #[example]
    /// client.delete_account(&"2bbf394c-193b-5b2a-9155-3b4732659ede".into()).await?;
    pub fn delete_account(&self, account: &AccountId) -> ApiRequest<()> {
        self.fetch_nothing(ENDPOINT.at([account.as_str()]))
    }
}
