// The same check with an anonymous set.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

#[requires_scope(wallet:user:email)]
fn email<S>(_grant: &Grant<S>) {}

fn main() {
    let grant = Grant::<scopes!(wallet:user:read)>::check(ScopeSet::all()).unwrap();
    email(&grant);
}
