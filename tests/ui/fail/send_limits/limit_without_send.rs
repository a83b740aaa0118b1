// A send limit on a set that cannot send.
use cb_scopes::scopes;

scopes! {
    #[send_limit(amount = "50.00", currency = "USD", period = "day")]
    pub struct Reader(wallet:accounts:read);
}

fn main() {}
