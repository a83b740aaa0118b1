//! Payment methods: `/v2/payment-methods`.

use crate::api::list::List;
use crate::api::models::{PaymentMethod, PaymentMethodId, PaymentMethodLimits};
use crate::api::request::ApiRequest;
use crate::api::transport::read_data;
use crate::error::Error;

endpoints! {
    /// The user's payment methods.
    #[endpoint(GET "/v2/payment-methods", wallet:payment-methods:read)]
    #[example]
    /// for method in client.payment_methods().all().await? {
    ///     println!("{} ({})", method.name, method.kind);
    /// }
    pub fn payment_methods(&self) -> List<PaymentMethod> {
        self.list(ENDPOINT.at([]))
    }

    /// One payment method.
    #[endpoint(GET "/v2/payment-methods/:id", wallet:payment-methods:read)]
    #[example]
    /// let method = client.payment_method(&"83562370-3e5c-51db-87da-752af5ab9559".into()).await?;
    /// println!("{}", method.name);
    pub fn payment_method(&self, id: &PaymentMethodId) -> ApiRequest<PaymentMethod> {
        self.fetch(ENDPOINT.at([id.as_str()]))
    }

    /// A payment method's buy, sell and deposit limits. Coinbase shows them only with
    /// `wallet:payment-methods:limits` besides `wallet:payment-methods:read`.
    #[endpoint(GET "/v2/payment-methods/:id", wallet:payment-methods:read, wallet:payment-methods:limits)]
    #[example]
    /// let limits = client.payment_method_limits(&"83562370-3e5c-51db-87da-752af5ab9559".into()).await?;
    /// println!("{:?}", limits.buy.first().map(|limit| &limit.remaining));
    pub fn payment_method_limits(&self, id: &PaymentMethodId) -> ApiRequest<PaymentMethodLimits> {
        self.fetch_as(ENDPOINT.at([id.as_str()]), |body| {
            let method: PaymentMethod = read_data(body)?;
            method.limits.ok_or_else(|| Error::invalid_response("the payment method has no limits"))
        })
    }

    /// Removes a payment method.
    #[endpoint(DELETE "/v2/payment-methods/:id", wallet:payment-methods:delete)]
    #[example]
    /// client.delete_payment_method(&"83562370-3e5c-51db-87da-752af5ab9559".into()).await?;
    pub fn delete_payment_method(&self, id: &PaymentMethodId) -> ApiRequest<()> {
        self.fetch_nothing(ENDPOINT.at([id.as_str()]))
    }
}
