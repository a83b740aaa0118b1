// Trait methods and their impls, with the set as the trait's parameter so the
// trait stays dyn-compatible; an impl may require less than its trait.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    pub struct Bookkeeper(wallet:transactions:read, wallet:deposits:read);
}

pub trait Ledger<S> {
    #[requires_scope(S: wallet:transactions:read, wallet:deposits:read)]
    fn history(&self, grant: &Grant<S>) -> usize;

    #[requires_scope(S: wallet:deposits:read)]
    fn deposits(&self, grant: &Grant<S>) -> usize {
        grant.granted().len()
    }
}

pub struct Books;

impl<S> Ledger<S> for Books {
    #[requires_scope(S: wallet:transactions:read)]
    fn history(&self, grant: &Grant<S>) -> usize {
        grant.granted().len()
    }
}

fn main() {
    let granted: ScopeSet = "wallet:transactions:read,wallet:deposits:read".parse().unwrap();
    let grant = Grant::<Bookkeeper>::check(granted).unwrap();
    let ledger: &dyn Ledger<Bookkeeper> = &Books;
    assert_eq!(ledger.history(&grant), 2);
    assert_eq!(ledger.deposits(&grant), 2);
}
