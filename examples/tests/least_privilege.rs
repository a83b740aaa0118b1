//! The trading example's two sets ask for nothing their functions do not
//! need: the example's annotated functions are compiled into this test, and
//! the least-privilege audit compares each set with what they require.

#[allow(dead_code, unreachable_pub)]
#[path = "../trading.rs"]
mod trading;

use cb_scopes::assert_least_privilege;

#[test]
fn the_convert_set_is_exactly_seed_000_s_trading_set() {
    // Linked, as an app's functions are.
    let _ = trading::convert_dollars::<trading::Convert>;
    assert_least_privilege!(trading::Convert, allow: {
        "offline_access" => "refresh tokens keep the app connected",
    });
    let scopes = <trading::Convert as cb_scopes::DeclaredScopes>::SCOPES.to_string();
    assert_eq!(
        scopes,
        "wallet:accounts:read,wallet:trades:read,wallet:trades:create,offline_access"
    );
}

#[test]
fn the_order_trading_set_asks_for_what_its_orders_need() {
    // `trade_orders` takes an `impl Fn`, so it cannot be named without a
    // call; its registration is linked with this module all the same.
    assert_least_privilege!(trading::OrderTrading, allow: {
        "offline_access" => "refresh tokens keep the app connected",
    });
}

#[test]
fn a_set_with_one_scope_more_fails_the_audit() {
    cb_scopes::scopes! { struct TooMuch(wallet:accounts:read, wallet:trades:create, wallet:trades:read, wallet:user:email); }
    let audit = cb_scopes::audit::<TooMuch>();
    assert!(!audit.is_least_privilege());
    assert_eq!(audit.unused().to_string(), "wallet:user:email");
}
