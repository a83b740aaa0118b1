// A choice Coinbase documents for no endpoint, a choice of one, and an
// unknown alternative are errors, all reported at once.
use cb_scopes::{Grant, requires_scope};

#[requires_scope(any(wallet:accounts:read, wallet:user:read))]
fn accounts_or_user<S>(grant: &Grant<S>) {
    let _ = grant;
}

#[requires_scope(any(wallet:accounts:read))]
fn only_one<S>(grant: &Grant<S>) {
    let _ = grant;
}

#[requires_scope(any(wallet:buys:create, wallet:transactions:reed))]
fn typo<S>(grant: &Grant<S>) {
    let _ = grant;
}

fn main() {}
