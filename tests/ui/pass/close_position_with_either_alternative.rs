// Closing a position compiles with either scope Coinbase accepts for it.
use cb_client::{Client, ClosePosition};
use cb_scopes::scopes;

scopes! {
    pub struct Orders(wallet:buys:create);
    pub struct History(wallet:transactions:read);
}

async fn close_with_orders(client: Client<Orders>) {
    let _ = client.close_position(ClosePosition::new("BTC-USD")).await;
}

async fn close_with_history(client: Client<History>) {
    let _ = client.close_position(ClosePosition::new("BTC-USD").size(rust_decimal::Decimal::ONE)).await;
}

fn main() {
    let _ = (close_with_orders, close_with_history);
}
