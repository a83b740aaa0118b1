//! Pay with Coinbase: a checkout where the customer pays a merchant from
//! their Coinbase balance, then the app waits for the payment to complete.
//!
//! ```sh
//! cargo run --example pay_with_coinbase
//! ```

use std::time::Duration;

use cb_client::models::TransactionStatus;
use cb_client::{Error, SendMoney};
use cb_examples::Demo;
use cb_scopes::scopes;
use rust_decimal::Decimal;

scopes! {
    /// Seed 000's pay-with-Coinbase scopes; the limit covers one basket.
    #[send_limit(amount = "250.00", currency = "USD", period = "day")]
    pub struct Checkout(wallet:accounts:read, wallet:transactions:send, wallet:transactions:read);
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let demo = Demo::start().await?;
    let merchant = demo.sandbox.add_user("Coffee Shop", "till@coffee.example");
    let client = demo.connect::<Checkout>("customer-7").await?;

    let order = ("order 1042: 2 × espresso beans", Decimal::new(3198, 2));
    println!("checkout: {} for {} USD", order.0, order.1);
    let wallet = client.account("USD").await?;
    println!("paying from {} ({} available)", wallet.name, wallet.balance);

    let payment = SendMoney::new("till@coffee.example", order.1, "USD").description(order.0);
    let idem = payment.idem().to_owned();
    let transaction = match client.send_money(&wallet.id, payment).await {
        Err(Error::TwoFactorRequired(pending)) => {
            println!("the customer confirms with their two-factor code");
            pending.confirm(&demo.two_factor_code()).await?
        }
        other => other?,
    };
    println!("payment {} is {} (idem {idem})", transaction.id, transaction.status);

    // Sends complete asynchronously: poll until Coinbase says so.
    let mut status = transaction.status.clone();
    for _ in 0..10 {
        if status == TransactionStatus::Completed {
            break;
        }
        demo.sandbox.advance(Duration::from_secs(1));
        status = client.transaction(&wallet.id, &transaction.id).await?.status;
    }
    println!("payment is {status}");
    let received = demo
        .sandbox
        .accounts(&merchant)
        .into_iter()
        .map(|a| format!("{} {}", a.balance, a.currency));
    println!("the merchant holds {}", received.collect::<Vec<_>>().join(", "));
    if status != TransactionStatus::Completed {
        return Err("the payment did not complete".into());
    }
    Ok(())
}
