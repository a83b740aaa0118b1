// A requirement three calls deep surfaces at the top-level call.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    pub struct Reader(wallet:accounts:read);
}

#[requires_scope(wallet:withdrawals:create)]
fn withdraw<S>(_grant: &Grant<S>) {}

#[requires_scope(wallet:withdrawals:create)]
fn settle<S>(grant: &Grant<S>) {
    withdraw(grant);
}

#[requires_scope(wallet:accounts:read, wallet:withdrawals:create)]
fn close_month<S>(grant: &Grant<S>) {
    settle(grant);
}

fn main() {
    let grant = Grant::<Reader>::check(ScopeSet::all()).unwrap();
    close_month(&grant);
}
