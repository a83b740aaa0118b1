// `wallet:transactions:send` needs a send limit.
use cb_scopes::scopes;

scopes! {
    /// Pays creators.
    pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
}

fn main() {}
