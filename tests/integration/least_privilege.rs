//! The least-privilege audit on a fixture app, run as a child process as an
//! app's test would run: a set with one scope too many fails naming it, an
//! exact set passes, an allowed scope passes, a choice of scopes counts one
//! alternative as used, and the scope map matches its golden file.

use std::process::{Command, Output};

fn fixture(check: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_least-privilege-fixture"))
        .arg(check)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_scope_no_function_needs_fails_the_assertion_by_name() {
    let output = fixture("too-much");
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("`TooMuch` asks for 1 scope(s) that no function of the app needs"),
        "{message}"
    );
    assert!(message.contains("  - wallet:user:email"), "{message}");
    // The library's endpoint that would use it is named.
    assert!(
        message.contains("`cb_client::api::endpoints::users::current_user_email`"),
        "{message}"
    );
    assert!(!message.contains("wallet:accounts:read"), "used scopes are not listed: {message}");
}

#[test]
fn an_exact_set_passes() {
    let output = fixture("exact");
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn the_allow_list_accepts_a_scope_on_purpose_and_only_then() {
    let allowed = fixture("allowed");
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    let without = fixture("allowed-without-reason");
    assert!(!without.status.success());
    assert!(stderr(&without).contains("  - offline_access"), "{}", stderr(&without));
}

#[test]
fn one_alternative_of_a_choice_is_used_and_a_second_is_more_than_needed() {
    let one = fixture("close-one");
    assert!(one.status.success(), "{}", stderr(&one));
    let both = fixture("close-both");
    assert!(!both.status.success());
    let message = stderr(&both);
    assert!(
        message.contains("`CloseBoth` asks for 1 scope(s) that no function of the app needs"),
        "{message}"
    );
    // The first alternative in catalogue order meets the choice; the
    // second is reported, with the library endpoints that could use it.
    assert!(message.contains("  - wallet:transactions:read"), "{message}");
    assert!(!message.contains("  - wallet:buys:create"), "{message}");
}

#[test]
fn the_scope_map_matches_its_golden_file() {
    let output = fixture("map");
    assert!(output.status.success(), "{}", stderr(&output));
    let golden = include_str!("least_privilege_map.md");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), golden);
}

#[test]
fn every_annotated_function_of_this_test_binary_is_registered_with_its_location() {
    // The client's endpoints are linked into this binary and register too.
    let registrations = cb_scopes::audit::registrations();
    let send = registrations
        .iter()
        .find(|r| r.function == "cb_client::api::endpoints::transactions::send_money")
        .expect("send_money is registered");
    assert_eq!(send.scopes, ["wallet:transactions:send"]);
    assert!(send.file.ends_with("cb-client/src/api/endpoints/transactions.rs"), "{}", send.file);
    assert!(send.is_library());
    let map = cb_scopes::scope_map();
    assert!(
        map.by_scope[&cb_scopes::Scope::WalletPaymentMethodsLimits]
            .contains(&"cb_client::api::endpoints::payment_methods::payment_method_limits")
    );
}
