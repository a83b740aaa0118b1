// A scope listed twice, in a named set and in an attribute.
use cb_scopes::{Grant, requires_scope, scopes};

scopes! {
    pub struct Reader(wallet:accounts:read, wallet:user:read, wallet:accounts:read);
}

#[requires_scope(wallet:user:read, wallet:user:read)]
fn profile<S>(_grant: &Grant<S>) {}

fn main() {}
