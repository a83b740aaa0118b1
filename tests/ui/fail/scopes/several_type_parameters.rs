// With several type parameters the set must be named.
use cb_scopes::{Grant, requires_scope};

#[requires_scope(wallet:accounts:read)]
fn accounts<S, W: std::io::Write>(_grant: &Grant<S>, _out: W) {}

fn main() {}
