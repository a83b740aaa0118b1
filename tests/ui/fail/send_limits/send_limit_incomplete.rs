// Every part of a send limit is given, and nothing else.
use cb_scopes::scopes;

scopes! {
    #[send_limit(amount = "50.00", currency = "USD")]
    pub struct NoPeriod(wallet:transactions:send);

    #[send_limit(amount = "50.00", currency = "USD", period = "day", fee = "1")]
    pub struct ExtraKey(wallet:transactions:send);
}

fn main() {}
