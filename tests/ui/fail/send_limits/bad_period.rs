// Periods are day, month or year.
use cb_scopes::scopes;

scopes! {
    #[send_limit(amount = "50.00", currency = "USD", period = "week")]
    pub struct Payouts(wallet:transactions:send);
}

fn main() {}
