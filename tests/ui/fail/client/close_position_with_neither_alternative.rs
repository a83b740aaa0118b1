// Closing a position takes `wallet:buys:create` or `wallet:transactions:read`;
// a set with neither fails once, naming both.
use cb_client::{Client, ClosePosition};
use cb_scopes::scopes;

scopes! {
    pub struct Convert(wallet:accounts:read, wallet:trades:create, wallet:trades:read);
}

async fn close(client: Client<Convert>) {
    let _ = client.close_position(ClosePosition::new("BTC-USD")).await;
}

fn main() {}
