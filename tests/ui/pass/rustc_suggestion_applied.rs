// Applying rustc's "consider further restricting" help inside an annotated
// function compiles: the marker trait stands for its scope.
#![allow(deprecated)]
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    #[send_limit(amount = "50.00", currency = "USD", period = "day")]
    pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
}

#[requires_scope(wallet:transactions:send)]
fn send_money<S>(_grant: &Grant<S>) -> u32 {
    1
}

#[requires_scope(wallet:accounts:read, S: cb_scopes::includes::WalletTransactionsSend)]
fn pay_everyone<S>(grant: &Grant<S>) -> u32 {
    send_money(grant)
}

fn main() {
    let grant = Grant::<Payouts>::check(ScopeSet::all()).unwrap();
    assert_eq!(pay_everyone(&grant), 1);
}
