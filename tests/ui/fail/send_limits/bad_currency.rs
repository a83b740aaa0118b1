// Send limits are in ISO 4217 fiat currencies; a near miss gets a suggestion.
use cb_scopes::scopes;

scopes! {
    #[send_limit(amount = "50.00", currency = "USF", period = "day")]
    pub struct Typo(wallet:transactions:send);

    #[send_limit(amount = "50.00", currency = "BTC", period = "day")]
    pub struct Crypto(wallet:transactions:send);
}

fn main() {}
