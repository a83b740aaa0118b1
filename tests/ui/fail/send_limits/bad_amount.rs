// Amounts are decimals greater than zero with at most two decimals.
use cb_scopes::scopes;

scopes! {
    #[send_limit(amount = "0.00", currency = "USD", period = "day")]
    pub struct Zero(wallet:transactions:send);

    #[send_limit(amount = "12.345", currency = "USD", period = "day")]
    pub struct TooPrecise(wallet:transactions:send);

    #[send_limit(amount = "fifty", currency = "USD", period = "day")]
    pub struct Words(wallet:transactions:send);
}

fn main() {}
