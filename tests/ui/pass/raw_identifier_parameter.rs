// A type parameter written as a raw identifier is bound like any other.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    pub struct Reader(wallet:accounts:read);
}

#[requires_scope(wallet:accounts:read)]
fn balances<r#S>(_grant: &Grant<r#S>) -> u32 {
    1
}

#[requires_scope(r#S: wallet:accounts:read)]
fn explicit<r#S, T>(_grant: &Grant<r#S>, _other: T) -> u32 {
    2
}

fn main() {
    let grant = Grant::<Reader>::check(ScopeSet::all()).unwrap();
    assert_eq!(balances(&grant) + explicit(&grant, ()), 3);
}
