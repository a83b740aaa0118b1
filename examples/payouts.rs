//! Payouts: pay several creators from the user's USD wallet, staying within
//! the daily send limit the user accepted.
//!
//! ```sh
//! cargo run --example payouts
//! ```

use cb_client::models::AccountId;
use cb_client::{Client, Error, SendMoney};
use cb_examples::Demo;
use cb_scopes::{DeclaredScopes, requires_scope, scopes};
use rust_decimal::Decimal;

scopes! {
    /// Seed 000's payouts scopes, with a limit of 100 USD a day.
    #[send_limit(amount = "100.00", currency = "USD", period = "day")]
    pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
}

/// Pays one creator, answering the two-factor challenge. Annotated like any
/// API-calling function of an app: whatever set it is called with must
/// include the send scope, and the compiler checks every caller.
#[requires_scope(wallet:transactions:send)]
async fn pay<S: DeclaredScopes>(
    demo: &Demo,
    client: &Client<S>,
    from: &AccountId,
    email: &str,
    amount: Decimal,
) -> Result<(), Error> {
    let send = SendMoney::new(email, amount, "USD").description("Monthly payout");
    let transaction = match client.send_money(from, send).await {
        Err(Error::TwoFactorRequired(pending)) => pending.confirm(&demo.two_factor_code()).await?,
        other => other?,
    };
    println!("  paid {email}: {} ({})", transaction.amount, transaction.status);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let demo = Demo::start().await?;
    let creators =
        [("ada@example.com", 4000), ("grace@example.com", 3500), ("linus@example.com", 3000)];
    for (email, _) in creators {
        demo.sandbox.add_user(email, email);
    }
    let client = demo.connect::<Payouts>("payouts-user").await?;
    let limit = client.send_limit().ok_or("the grant has no send limit")?;
    println!("send limit accepted by the user: {limit}");

    let usd = client.account("USD").await?.id;
    let mut sent_today = Decimal::ZERO;
    for (email, cents) in creators {
        let amount = Decimal::new(cents, 2);
        // Check the limit first: a payout Coinbase would refuse is one the
        // creator should hear about before, not after.
        if sent_today + amount > limit.amount() {
            println!(
                "  skipped {email}: {amount} USD would pass today's limit ({sent_today} of {} sent)",
                limit.amount()
            );
            continue;
        }
        pay(&demo, &client, &usd, email, amount).await?;
        sent_today += amount;
    }
    println!("paid {sent_today} USD today; balance now {}", client.account("USD").await?.balance);
    Ok(())
}
