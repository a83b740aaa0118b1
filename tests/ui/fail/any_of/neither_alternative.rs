// A set with neither alternative of a choice: one error naming both.
use cb_scopes::{Grant, requires_scope, scopes};

scopes! {
    pub struct Convert(wallet:accounts:read, wallet:trades:create, wallet:trades:read);
}

#[requires_scope(any(wallet:buys:create, wallet:transactions:read))]
fn close_position<S>(grant: &Grant<S>) {
    let _ = grant;
}

fn run(grant: &Grant<Convert>) {
    close_position(grant);
}

fn anonymous(grant: &Grant<scopes!(wallet:user:read)>) {
    close_position(grant);
}

fn main() {}
