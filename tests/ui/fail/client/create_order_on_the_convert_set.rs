// Seed 000's trading set is the Convert flow's: placing an order needs
// `wallet:buys:create`, which it lacks.
use cb_client::models::PortfolioId;
use cb_client::{Client, NewOrder, OrderConfiguration};
use cb_scopes::scopes;
use rust_decimal::Decimal;

scopes! {
    pub struct Convert(wallet:accounts:read, wallet:trades:create, wallet:trades:read);
}

async fn buy(client: Client<Convert>, portfolio: PortfolioId) {
    let order = NewOrder::buy("BTC-USD", OrderConfiguration::MarketQuote { quote_size: Decimal::ONE_HUNDRED }, &portfolio);
    let _ = client.create_order(order).await;
}

fn main() {}
