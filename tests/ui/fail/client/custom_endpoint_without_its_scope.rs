// An app's own endpoint carries its scope like the crate's: a set without
// `wallet:payment-methods:read` cannot call it.
use cb_client::Client;
use cb_scopes::scopes;

#[derive(serde::Deserialize)]
pub struct PaymentMethods {
    pub payment_methods: Vec<serde_json::Value>,
}

cb_client::endpoint! {
    /// Advanced Trade's payment methods of the user.
    #[endpoint(GET "/api/v3/brokerage/payment_methods", wallet:payment-methods:read)]
    pub fn payment_methods() -> PaymentMethods;
}

scopes! {
    pub struct Reader(wallet:accounts:read);
}

async fn funding(client: Client<Reader>) {
    let _ = payment_methods(&client).await;
}

fn main() {}
