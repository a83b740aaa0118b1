// Sending money needs `wallet:transactions:send`; a reader cannot.
use cb_client::models::AccountId;
use cb_client::{Client, SendMoney};
use cb_scopes::scopes;
use rust_decimal::Decimal;

scopes! {
    pub struct Reader(wallet:accounts:read, wallet:transactions:read);
}

async fn pay(client: Client<Reader>) {
    let send = SendMoney::new("creator@example.com", Decimal::new(1000, 2), "USD");
    let _ = client.send_money(&AccountId::from("USD"), send).await;
}

fn main() {}
