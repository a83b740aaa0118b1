// Generated code uses absolute paths: local items named like the ones it uses
// change nothing.
#![allow(dead_code, non_camel_case_types)]

mod core {}
mod std {}
struct Option;
struct ScopeSet;
struct Yes;
trait DeclaredScopes {}
mod cb_scopes_private {}

::cb_scopes::scopes! {
    #[send_limit(amount = "25.50", currency = "GBP", period = "year")]
    pub(crate) struct Payouts(wallet:transactions:send);
}

#[::cb_scopes::requires_scope(wallet:transactions:send)]
fn pay<S>(_grant: &::cb_scopes::Grant<S>) {}

fn main() {
    let limit = <Payouts as ::cb_scopes::DeclaredScopes>::SEND_LIMIT.unwrap();
    ::std::assert_eq!(limit.to_string(), "25.50 GBP per year");
    let grant = ::cb_scopes::Grant::<Payouts>::check(::cb_scopes::ScopeSet::all()).unwrap();
    pay(&grant);
}
