// A call in the middle of a method chain: the missing scope is reported once.
use cb_client::Client;
use cb_scopes::scopes;

scopes! {
    pub struct Profile(wallet:user:read);
}

async fn email_length(client: &Client<Profile>) -> usize {
    client.narrow::<Profile>().current_user_email().await.map(|email| email.len()).unwrap_or_default()
}

fn main() {}
