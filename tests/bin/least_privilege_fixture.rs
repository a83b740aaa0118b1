//! A small app for the least-privilege tests: a few annotated functions and
//! five sets. `exact` asks for what they need, `too-much` asks for one
//! scope more, and `allowed` asks for `offline_access` on purpose;
//! `close-one` meets a choice of scopes with one alternative and
//! `close-both` asks for both. The first argument picks the check; `map`
//! prints the app's scope map.

use cb_client::Client;
use cb_client::cb_scopes::DeclaredScopes;
use cb_scopes::{Grant, assert_least_privilege, requires_scope, scope_map, scopes};

scopes! {
    #[send_limit(amount = "100.00", currency = "USD", period = "day")]
    struct Exact(wallet:accounts:read, wallet:transactions:send, wallet:user:read);

    #[send_limit(amount = "100.00", currency = "USD", period = "day")]
    struct TooMuch(wallet:accounts:read, wallet:transactions:send, wallet:user:read, wallet:user:email);

    #[send_limit(amount = "100.00", currency = "USD", period = "day")]
    struct Allowed(wallet:accounts:read, wallet:transactions:send, wallet:user:read, offline_access);

    #[send_limit(amount = "100.00", currency = "USD", period = "day")]
    struct CloseOne(wallet:accounts:read, wallet:transactions:send, wallet:user:read, wallet:transactions:read);

    #[send_limit(amount = "100.00", currency = "USD", period = "day")]
    struct CloseBoth(
        wallet:accounts:read, wallet:transactions:send, wallet:user:read,
        wallet:buys:create, wallet:transactions:read,
    );
}

// Either scope lets Coinbase close a position.
#[requires_scope(any(wallet:buys:create, wallet:transactions:read))]
fn close<S>(_grant: &Grant<S>) {}

#[requires_scope(wallet:accounts:read)]
fn balances<S>(_grant: &Grant<S>) {}

#[requires_scope(wallet:accounts:read, wallet:transactions:send)]
fn pay<S>(grant: &Grant<S>) {
    balances(grant);
}

struct Profile;

impl Profile {
    #[requires_scope(wallet:user:read)]
    async fn name<S: DeclaredScopes>(&self, client: &Client<S>) -> Option<String> {
        client.current_user_details().await.ok()?.name
    }
}

fn main() {
    // Reference the functions so that they are linked, as an app's are.
    let _ = (balances::<Exact>, pay::<Exact>, Profile::name::<Exact>, close::<CloseOne>);
    match std::env::args().nth(1).as_deref() {
        Some("exact") => assert_least_privilege!(Exact),
        Some("too-much") => assert_least_privilege!(TooMuch),
        Some("allowed") => assert_least_privilege!(Allowed, allow: {
            "offline_access" => "refresh tokens keep the app connected",
        }),
        Some("allowed-without-reason") => assert_least_privilege!(Allowed),
        Some("close-one") => assert_least_privilege!(CloseOne),
        Some("close-both") => assert_least_privilege!(CloseBoth),
        Some("map") => print!("{}", scope_map().app_only().to_markdown()),
        _ => {
            eprintln!(
                "usage: least-privilege-fixture \
                 exact|too-much|allowed|allowed-without-reason|close-one|close-both|map"
            );
            std::process::exit(2);
        }
    }
}
