// In generic code the first alternative implies the choice; the second does
// not (the impls would overlap), so the function must say `any(..)` itself.
use cb_scopes::{Grant, requires_scope};

#[requires_scope(any(wallet:buys:create, wallet:transactions:read))]
fn close_position<S>(grant: &Grant<S>) {
    let _ = grant;
}

#[requires_scope(wallet:transactions:read)]
fn history<S>(grant: &Grant<S>) {
    close_position(grant);
}

fn main() {}
