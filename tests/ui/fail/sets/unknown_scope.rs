// A well-formed scope that does not exist, and one written as a string. The
// sets are still declared, so their uses report nothing more.
use cb_scopes::{DeclaredScopes, scopes};

scopes! {
    pub struct Staking(wallet:staking:create);
}

scopes! {
    pub struct Quoted("wallet:accounts:read");
}

fn main() {
    let _ = Staking::SCOPES;
}
