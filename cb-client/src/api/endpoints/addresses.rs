//! Addresses: `/v2/accounts/:id/addresses`.

use serde_json::json;

use crate::api::list::List;
use crate::api::models::{AccountId, Address, AddressId, Transaction};
use crate::api::request::ApiRequest;

endpoints! {
    /// An account's receiving addresses.
    #[endpoint(GET "/v2/accounts/:id/addresses", wallet:addresses:read)]
    #[example]
    /// let addresses = client.addresses(&"BTC".into()).all().await?;
    /// println!("{}", addresses.len());
    pub fn addresses(&self, account: &AccountId) -> List<Address> {
        self.list(ENDPOINT.at([account.as_str()]))
    }

    /// One address of an account, by id or by the address itself.
    #[endpoint(GET "/v2/accounts/:id/addresses/:address_id", wallet:addresses:read)]
    #[example]
    /// let address = client.address(&"BTC".into(), &"dd3183eb-af1d-5f5d-a90d-cbff946435ff".into()).await?;
    /// println!("{}", address.address);
    pub fn address(&self, account: &AccountId, address: &AddressId) -> ApiRequest<Address> {
        self.fetch(ENDPOINT.at([account.as_str(), address.as_str()]))
    }

    /// The transactions received at an address.
    #[endpoint(GET "/v2/accounts/:id/addresses/:address_id/transactions", wallet:transactions:read)]
    #[example]
    /// let received = client.address_transactions(&"BTC".into(), &"dd3183eb-af1d-5f5d-a90d-cbff946435ff".into()).all().await?;
    /// println!("{}", received.len());
    pub fn address_transactions(&self, account: &AccountId, address: &AddressId) -> List<Transaction> {
        self.list(ENDPOINT.at([account.as_str(), address.as_str()]))
    }

    /// Creates a receiving address for a crypto account.
    #[endpoint(POST "/v2/accounts/:id/addresses", wallet:addresses:create)]
    #[example]
    /// let address = client.create_address(&"BTC".into(), Some("Invoice 42")).await?;
    /// println!("pay to {}", address.address);
    pub fn create_address(&self, account: &AccountId, name: Option<&str>) -> ApiRequest<Address> {
        self.fetch(ENDPOINT.at([account.as_str()]).body(json!({ "name": name })))
    }
}
