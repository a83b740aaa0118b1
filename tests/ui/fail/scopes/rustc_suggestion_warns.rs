// rustc's help inside an annotated function suggests writing the missing
// scope as its marker trait in the attribute. Applying it compiles, with a
// warning (denied here) that names the scope as Coinbase spells it; a bound
// on another parameter than the set's is an error.
#![deny(deprecated)]
use cb_scopes::{Grant, requires_scope};

#[requires_scope(wallet:transactions:send)]
fn send_money<S>(_grant: &Grant<S>) {}

#[requires_scope(wallet:accounts:read, S: cb_scopes::includes::WalletTransactionsSend)]
fn pay_everyone<S>(grant: &Grant<S>) {
    send_money(grant);
}

#[requires_scope(S: wallet:accounts:read, T: cb_scopes::includes::WalletTransactionsSend)]
fn pay_with<S, T>(grant: &Grant<S>, _other: T) {
    send_money(grant);
}

fn main() {}
