// Calling an endpoint with a grant whose set lacks its scope.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    pub struct Reader(wallet:accounts:read, wallet:transactions:read);
}

#[requires_scope(wallet:transactions:send)]
fn send_money<S>(_grant: &Grant<S>) {}

fn main() {
    let grant = Grant::<Reader>::check(ScopeSet::all()).unwrap();
    send_money(&grant);
}
