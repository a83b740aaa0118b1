// A grant for a bigger set narrows to any subset, named or anonymous.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    #[send_limit(amount = "100", currency = "EUR", period = "month")]
    pub struct Payouts(wallet:accounts:read, wallet:transactions:read, wallet:transactions:send);
    pub struct Reader(wallet:accounts:read, wallet:transactions:read);
}

#[requires_scope(wallet:transactions:read)]
fn history<S>(_grant: &Grant<S>) {}

// A component that takes only a reader cannot send, whatever its caller holds.
fn reporting(grant: Grant<Reader>) {
    history(&grant);
}

fn main() {
    let payouts = Grant::<Payouts>::check(ScopeSet::all()).unwrap();
    reporting(payouts.narrow());
    let _: Grant<scopes!(wallet:accounts:read)> = payouts.narrow::<Reader>().narrow();
}
