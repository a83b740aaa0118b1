// Inside an annotated function, calling an endpoint whose scope the function
// did not declare.
use cb_scopes::{Grant, requires_scope};

#[requires_scope(wallet:transactions:send)]
fn send_money<S>(_grant: &Grant<S>) {}

#[requires_scope(wallet:accounts:read)]
fn pay_everyone<S>(grant: &Grant<S>) {
    send_money(grant);
}

fn main() {}
