// An attribute that requires nothing is a mistake.
use cb_scopes::{Grant, requires_scope};

#[requires_scope()]
fn accounts<S>(_grant: &Grant<S>) {}

fn main() {}
