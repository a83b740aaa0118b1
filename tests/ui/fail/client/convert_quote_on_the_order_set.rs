// The order-trading set cannot quote a Convert: that needs
// `wallet:trades:create`.
use cb_client::Client;
use cb_client::models::AccountId;
use cb_scopes::scopes;
use rust_decimal::Decimal;

scopes! {
    pub struct Orders(wallet:accounts:read, wallet:buys:create, wallet:transactions:read, wallet:user:read);
}

async fn quote(client: Client<Orders>, from: AccountId, to: AccountId) {
    let _ = client.convert_quote(&from, &to, Decimal::TEN).await;
}

fn main() {}
