// A choice of scopes: `any(..)` holds for a set with either alternative,
// named or anonymous, in either order, and composes with other requirements.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    pub struct Orders(wallet:buys:create);
    pub struct History(wallet:transactions:read, wallet:user:read);
    pub struct Both(wallet:buys:create, wallet:transactions:read);
}

#[requires_scope(any(wallet:buys:create, wallet:transactions:read))]
fn close_position<S>(grant: &Grant<S>) -> usize {
    grant.granted().len()
}

// The same choice written the other way round, beside a plain scope.
#[requires_scope(wallet:user:read, any(wallet:transactions:read, wallet:buys:create))]
fn close_and_report<S>(grant: &Grant<S>) -> usize {
    close_position(grant) + 1
}

// Requiring the first alternative is enough to call the choice.
#[requires_scope(wallet:buys:create)]
fn trade<S>(grant: &Grant<S>) -> usize {
    close_position(grant)
}

fn grant<S: cb_scopes::DeclaredScopes>() -> Grant<S> {
    let all: ScopeSet = "wallet:buys:create wallet:transactions:read wallet:user:read".parse().unwrap();
    Grant::<S>::check(all).unwrap()
}

fn main() {
    assert_eq!(close_position(&grant::<Orders>()), 3);
    assert_eq!(close_position(&grant::<History>()), 3);
    assert_eq!(close_position(&grant::<Both>()), 3);
    assert_eq!(close_and_report(&grant::<History>()), 4);
    assert_eq!(trade(&grant::<Orders>()), 3);
    assert_eq!(close_position(&grant::<scopes!(wallet:transactions:read)>()), 3);
    assert_eq!(close_position(&grant::<scopes!(wallet:buys:create, wallet:user:read)>()), 3);
    assert_eq!(close_position(&grant::<scopes!(wallet:transactions:read, wallet:buys:create)>()), 3);
}
