// An axum handler whose extractor's set lacks the scope of what it calls.
use cb_axum::Coinbase;
use cb_client::SendMoney;
use cb_client::models::AccountId;
use cb_scopes::scopes;

scopes! {
    pub struct ReadOnly(wallet:accounts:read);
}

async fn pay(Coinbase(client): Coinbase<ReadOnly>) -> String {
    let send = SendMoney::new("friend@example.com", Default::default(), "USD");
    client.send_money(&AccountId::from("USD"), send).await.map(|_| String::new()).unwrap_or_default()
}

fn main() {
    let _ = axum::routing::get(pay);
}
