// Anonymous sets: order does not matter, and they narrow like named ones.
use cb_scopes::{DeclaredScopes, Grant, ScopeSet, scopes};

type ReadOnly = scopes!(wallet:accounts:read, wallet:transactions:read);

fn same_type<T>(_: T, _: T) {}

fn main() {
    same_type(ReadOnly::default(), <scopes!(wallet:transactions:read, wallet:accounts:read)>::default());
    assert_eq!(ScopeSet::of::<ReadOnly>().to_string(), "wallet:accounts:read,wallet:transactions:read");
    assert_eq!(std::mem::size_of::<ReadOnly>(), 0);
    assert!(<scopes!()>::SCOPES.is_empty());

    let grant = Grant::<ReadOnly>::check(ScopeSet::all()).unwrap();
    let _: Grant<scopes!(wallet:accounts:read)> = grant.narrow();
    let _: Grant<ReadOnly> = grant.narrow();
    let _: Grant<scopes!()> = grant.narrow();
}
