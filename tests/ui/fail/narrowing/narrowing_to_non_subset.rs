// Narrowing a grant to a set with a scope it does not have.
use cb_scopes::{Grant, ScopeSet, scopes};

scopes! {
    pub struct Reader(wallet:accounts:read);
    pub struct Admin(wallet:accounts:read, wallet:accounts:update);
}

fn main() {
    let reader = Grant::<Reader>::check(ScopeSet::all()).unwrap();
    let _admin: Grant<Admin> = reader.narrow();
}
