// Free functions: one scope, several scopes, and annotated calls composing.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    /// Reads balances and history.
    pub struct Reader(wallet:accounts:read, wallet:transactions:read);
}

#[requires_scope(wallet:accounts:read)]
fn accounts<S>(grant: &Grant<S>) -> ScopeSet {
    grant.granted()
}

#[requires_scope(wallet:accounts:read, wallet:transactions:read)]
fn statement<S>(grant: &Grant<S>) -> usize {
    accounts(grant).len()
}

// A helper that is not annotated writes the bound by hand.
fn history<S>(grant: &Grant<S>) -> usize
where
    S: cb_scopes::includes::WalletTransactionsRead,
{
    grant.granted().len()
}

fn main() {
    let granted: ScopeSet = "wallet:accounts:read,wallet:transactions:read".parse().unwrap();
    let grant = Grant::<Reader>::check(granted).unwrap();
    assert_eq!(statement(&grant), 2);
    assert_eq!(history(&grant), 2);
}
