//! Trading: buy and sell crypto from the user's wallets.
//!
//! Seed 000 lists `wallet:trades:read` and `wallet:trades:create` for
//! trading, which Coinbase's Advanced Trade API (`/api/v3/brokerage`) uses.
//! The v2 API this workspace covers trades through buys and sells, which
//! need `wallet:buys:*` and `wallet:sells:*`; the set below asks for both,
//! and the compiler checks every call against it.
//!
//! ```sh
//! cargo run --example trading
//! ```

use cb_client::TradeOrder;
use cb_examples::Demo;
use cb_scopes::scopes;
use rust_decimal::Decimal;

scopes! {
    /// The trading scopes of seed 000, plus those the v2 buys and sells need.
    pub struct Trading(
        wallet:accounts:read, wallet:trades:read, wallet:trades:create,
        wallet:buys:read, wallet:buys:create, wallet:sells:create, wallet:payment-methods:read
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let demo = Demo::start().await?;
    let client = demo.connect::<Trading>("trader-1").await?;

    let methods = client.payment_methods().all().await?;
    let wallet =
        methods.iter().find(|m| m.kind == "fiat_account").ok_or("no USD wallet to pay with")?;
    let btc = client.account("BTC").await?;
    println!("before: {}", btc.balance);

    // Quote first: place without committing, show the total, then commit.
    let quote = client
        .place_buy(
            &btc.id,
            TradeOrder::new(Decimal::new(120, 0), "USD", wallet.id.clone()).without_commit(),
        )
        .await?;
    let total = quote.total.as_ref().map_or_else(|| "?".to_owned(), ToString::to_string);
    println!("quote: {} for {total}", quote.amount);
    let bought = client.commit_buy(&btc.id, &quote.id).await?;
    println!("bought {} ({})", bought.amount, bought.status);

    let sold = client
        .place_sell(&btc.id, TradeOrder::new(Decimal::new(1, 3), "BTC", wallet.id.clone()))
        .await?;
    println!(
        "sold {} for {}",
        sold.amount,
        sold.total.map_or_else(|| "?".to_owned(), |t| t.to_string())
    );
    println!("after: {}", client.account("BTC").await?.balance);
    println!("buys so far: {}", client.buys(&btc.id).all().await?.len());
    Ok(())
}
