// Without a type parameter there is no set to put the bound on.
use cb_scopes::requires_scope;

#[requires_scope(wallet:accounts:read)]
fn accounts() {}

fn main() {}
