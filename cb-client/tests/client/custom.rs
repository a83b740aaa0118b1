//! Endpoints the crate does not cover, declared by the app with
//! `cb_client::endpoint!`, over real HTTP against the sandbox: answers read
//! in both shapes, ids kept to one path segment, retries, typed errors.

use cb_client::Error;
use cb_sandbox::{Fault, Times};
use cb_scopes::scopes;
use serde::Deserialize;

use crate::support::*;

/// Advanced Trade's answer listing payment methods.
#[derive(Debug, Deserialize)]
struct PaymentMethods {
    payment_methods: Vec<PaymentMethod>,
}

/// Advanced Trade's answer with one.
#[derive(Debug, Deserialize)]
struct OnePaymentMethod {
    payment_method: PaymentMethod,
}

#[derive(Debug, Deserialize)]
struct PaymentMethod {
    id: String,
    name: String,
    currency: String,
    allow_buy: bool,
}

/// A v2 resource, read from its `data`.
#[derive(Debug, Deserialize)]
struct V2PaymentMethod {
    id: String,
    name: String,
}

cb_client::endpoint! {
    /// Advanced Trade's payment methods of the user.
    #[endpoint(GET "/api/v3/brokerage/payment_methods", wallet:payment-methods:read)]
    fn payment_methods() -> PaymentMethods;
}

cb_client::endpoint! {
    /// One of them.
    #[endpoint(GET "/api/v3/brokerage/payment_methods/:payment_method_id", wallet:payment-methods:read)]
    fn payment_method(id: &str) -> OnePaymentMethod;
}

cb_client::endpoint! {
    /// The v2 list, declared by hand: pages and `data` envelopes.
    #[endpoint(GET "/v2/payment-methods", wallet:payment-methods:read)]
    fn v2_payment_methods() -> List<V2PaymentMethod>;
}

cb_client::endpoint! {
    /// A request with a body.
    #[endpoint(POST "/v2/accounts", wallet:accounts:create)]
    fn create_wallet(; body: serde_json::Value) -> serde_json::Value;
}

cb_client::endpoint! {
    /// The same, with a body that cannot be JSON (its map keys are not strings).
    #[endpoint(POST "/v2/accounts", wallet:accounts:create)]
    fn create_wallet_from_pairs(; body: std::collections::HashMap<(u8, u8), u8>) -> serde_json::Value;
}

scopes! {
    struct Funding(wallet:payment-methods:read, wallet:accounts:create);
}

#[tokio::test]
async fn an_apps_own_endpoints_go_through_the_clients_machinery() {
    let env = Env::new().await;
    let client = env.connect::<Funding>(&env.oauth(), "user-1", None).await.unwrap();

    let methods = payment_methods(&client).await.unwrap().payment_methods;
    assert!(!methods.is_empty(), "the demo user has payment methods");
    let first = &methods[0];
    assert!(!first.name.is_empty() && !first.currency.is_empty() && first.allow_buy);
    let one = payment_method(&client, &first.id).await.unwrap().payment_method;
    assert_eq!(one.id, first.id);

    // The v2 list: the same items, through pages and envelopes.
    let v2 = v2_payment_methods(&client).limit(1).all().await.unwrap();
    assert_eq!(v2.len(), methods.len());
    assert!(v2.iter().any(|method| method.id == first.id && method.name == first.name));

    // A body.
    let created = create_wallet(&client, serde_json::json!({ "name": "Savings" })).await.unwrap();
    assert_eq!(created["name"], "Savings", "{created}");
    let posts = |env: &Env| {
        env.sandbox
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.route == "/v2/accounts")
            .count()
    };
    let sent = posts(&env);
    assert!(sent > 0, "the created wallet was recorded");
    let unjson = create_wallet_from_pairs(&client, [((1, 2), 3)].into_iter().collect()).await;
    assert!(matches!(&unjson, Err(Error::InvalidBody(_))), "{unjson:?}");
    assert_eq!(posts(&env), sent, "nothing was sent");

    // Typed errors, and an id that cannot leave its path segment.
    let missing = payment_method(&client, "no-such-method").await;
    assert!(
        matches!(
            missing,
            Err(Error::Api { status: cb_client::reqwest::StatusCode::NOT_FOUND, .. })
        ),
        "{missing:?}"
    );
    let escaping = payment_method(&client, "../../../v2/user").await;
    assert!(
        matches!(
            escaping,
            Err(Error::Api { status: cb_client::reqwest::StatusCode::NOT_FOUND, .. })
        ),
        "{escaping:?}"
    );

    // A read is retried like the crate's own.
    env.sandbox.inject_fault(
        "GET",
        "/api/v3/brokerage/payment_methods",
        Fault::Status(503),
        Times::Next(1),
    );
    assert_eq!(payment_methods(&client).await.unwrap().payment_methods.len(), methods.len());
}
