// Limits need `wallet:payment-methods:limits` besides `wallet:payment-methods:read`.
use cb_client::Client;
use cb_client::models::PaymentMethodId;
use cb_scopes::scopes;

scopes! {
    pub struct Methods(wallet:payment-methods:read);
}

async fn limits(client: Client<Methods>) {
    let _ = client.payment_method_limits(&PaymentMethodId::from("pm-1")).await;
}

fn main() {}
