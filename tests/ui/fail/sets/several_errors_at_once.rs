// Every error of an input is reported in one build.
use cb_scopes::scopes;

scopes! {
    #[send_limit(amount = "0", currency = "USF", period = "week")]
    pub struct Payouts(wallet:acounts:read, wallet:transactions:send, wallet:transactions:send);
}

fn main() {}
