// The attribute applies to functions only.
use cb_scopes::requires_scope;

#[requires_scope(wallet:accounts:read)]
pub struct Accounts;

fn main() {}
