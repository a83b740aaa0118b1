// Listing accounts needs `wallet:accounts:read`.
use cb_client::Client;
use cb_scopes::scopes;

scopes! {
    pub struct Profile(wallet:user:read, wallet:user:email);
}

async fn balances(client: Client<Profile>) {
    let _ = client.accounts().all().await;
}

fn main() {}
