// Narrowing to an anonymous set with a scope the grant's set lacks.
use cb_scopes::{Grant, ScopeSet, scopes};

scopes! {
    pub struct Reader(wallet:accounts:read, wallet:transactions:read);
}

fn main() {
    let reader = Grant::<Reader>::check(ScopeSet::all()).unwrap();
    let _buyer: Grant<scopes!(wallet:accounts:read, wallet:buys:create)> = reader.narrow();
}
