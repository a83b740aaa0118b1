//! The sandbox keeps its own scope list, as Coinbase does; it must agree
//! with the catalogue the client side is generated from.

#[test]
fn the_sandbox_and_the_catalogue_know_the_same_scopes_in_the_same_order() {
    let catalogue: Vec<&str> = cb_scopes::Scope::ALL.iter().map(|scope| scope.as_str()).collect();
    assert_eq!(cb_sandbox::SCOPES, catalogue.as_slice());
}
