//! Trading, in the two ways Coinbase documents for OAuth apps.
//!
//! 1. **Convert**, with exactly seed 000's trading set
//!    (`wallet:accounts:read`, `wallet:trades:create`, `wallet:trades:read`)
//!    plus `offline_access`: see the balances, quote a conversion, commit
//!    it, read the trade back.
//! 2. **Orders** on Advanced Trade, with the order-trading set
//!    (`wallet:accounts:read`, `wallet:buys:create`,
//!    `wallet:transactions:read`, `wallet:user:read`): preview and place a
//!    market buy, place a limit sell, watch it fill when the price crosses
//!    it, list the fills.
//!
//! Each endpoint needs the scope Coinbase's per-endpoint table gives it
//! (`docs/advanced-trade.md`), and the compiler checks every call below
//! against its set; `examples/tests/least_privilege.rs` checks that each set
//! asks for nothing more.
//!
//! ```sh
//! cargo run --example trading
//! ```

use cb_client::models::{AccountId, ConvertTrade, OrderStatus};
use cb_client::{Client, NewOrder, OrderConfiguration};
use cb_examples::Demo;
use cb_scopes::{requires_scope, scopes};
use rust_decimal::Decimal;

scopes! {
    /// Seed 000's trading set, and a refresh token: the Convert flow.
    pub struct Convert(wallet:accounts:read, wallet:trades:create, wallet:trades:read, offline_access);

    /// Order trading on Advanced Trade.
    pub struct OrderTrading(
        wallet:accounts:read, wallet:buys:create, wallet:transactions:read, wallet:user:read,
        offline_access
    );
}

/// Converts `amount` dollars to USDC: the balances, a quote, its commit,
/// and the trade read back.
#[requires_scope(wallet:accounts:read, wallet:trades:create, wallet:trades:read)]
pub async fn convert_dollars<S>(
    client: &Client<S>,
    amount: Decimal,
) -> Result<ConvertTrade, Box<dyn std::error::Error>> {
    let accounts = client.brokerage_accounts().all().await?;
    let account = |currency: &str| -> Result<AccountId, Box<dyn std::error::Error>> {
        let found = accounts.iter().find(|a| a.currency == currency);
        Ok(found.map(|a| a.uuid.clone()).ok_or(format!("no {currency} account"))?)
    };
    let (dollars, usdc) = (account("USD")?, account("USDC")?);
    for account in &accounts {
        println!("balance: {}", account.available_balance);
    }
    let quote = client.convert_quote(&dollars, &usdc, amount).await?;
    println!("convert quote: {} for {}", quote.amount, quote.total);
    let committed = client.commit_convert(&quote).await?;
    println!("convert committed: {}", committed.status);
    let trade = client.convert_trade(&committed.id, &dollars, &usdc).await?;
    println!("convert trade read back: {} ({})", trade.id, trade.status);
    Ok(trade)
}

/// Buys 100 dollars of BTC at the market, then offers 0.01 BTC at
/// `ask_above` over the price; `move_price` stands for the market moving
/// (the sandbox's price).
#[requires_scope(S: wallet:accounts:read, wallet:buys:create, wallet:transactions:read, wallet:user:read)]
pub async fn trade_orders<S>(
    client: &Client<S>,
    ask_above: Decimal,
    move_price: impl Fn(Decimal),
) -> Result<usize, Box<dyn std::error::Error>> {
    let portfolio = client.trading_portfolio().await?;
    let btc = client.product(&"BTC-USD".into()).await?;
    println!("BTC-USD at {}", btc.price);

    let buy = NewOrder::buy(
        "BTC-USD",
        OrderConfiguration::MarketQuote { quote_size: Decimal::ONE_HUNDRED },
        &portfolio.uuid,
    );
    let preview = client.preview_order(&buy).await?;
    println!("preview: {} with {} in fees", preview.order_total, preview.commission_total);
    let placed = client.create_order(buy).await?;
    let bought = client.order(&placed.order_id).await?;
    println!("market buy {}: {} BTC", bought.status, bought.filled_size);

    let limit_price = btc.price + ask_above;
    let sell = NewOrder::sell(
        "BTC-USD",
        OrderConfiguration::LimitGtc {
            base_size: Decimal::new(1, 2),
            limit_price,
            post_only: true,
        },
        &portfolio.uuid,
    );
    let resting = client.create_order(sell).await?;
    println!("limit sell at {limit_price}: {}", client.order(&resting.order_id).await?.status);
    move_price(limit_price + Decimal::ONE_HUNDRED);
    let sold = client.order(&resting.order_id).await?;
    println!("limit sell {} at {:?}", sold.status, sold.average_filled_price);
    if sold.status != OrderStatus::Filled {
        return Err("the limit sell did not fill".into());
    }
    let fills = client.fills().all().await?;
    for fill in &fills {
        println!("fill: {:?} {} at {} (fee {})", fill.side, fill.size, fill.price, fill.commission);
    }
    Ok(fills.len())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let demo = Demo::start().await?;
    demo.sandbox.add_account(&demo.user, "USDC", Decimal::ZERO);

    println!("== Convert, with seed 000's trading set");
    let converter = demo.connect::<Convert>("converter-1").await?;
    convert_dollars(&converter, Decimal::new(2500, 2)).await?;

    println!("== Orders, with the order-trading set");
    let trader = demo.connect::<OrderTrading>("trader-1").await?;
    let fills = trade_orders(&trader, Decimal::new(500, 0), |price| {
        demo.sandbox.set_price("BTC-USD", price);
    })
    .await?;
    println!("{fills} fills; done");
    Ok(())
}
