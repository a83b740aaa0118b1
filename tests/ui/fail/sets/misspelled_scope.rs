// A transposed pair of letters gets a suggestion. The function is still
// emitted, so its callers report nothing more.
use cb_scopes::{Grant, ScopeSet, requires_scope};

#[requires_scope(wallet:transactions:sned)]
fn send_money<S>(_grant: &Grant<S>) {}

fn main() {
    let grant = Grant::<cb_scopes::scopes!(wallet:accounts:read)>::check(ScopeSet::all()).unwrap();
    send_money(&grant);
}
