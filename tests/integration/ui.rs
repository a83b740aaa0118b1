//! The compile-time checks, as users meet them: programs that must compile and
//! run (`ui/pass`), and programs that must fail with the committed messages
//! (`ui/fail/<category>/*.stderr`), grouped by what they check: `scopes`
//! (missing scopes and the attribute's own mistakes), `sets` (declaring
//! sets), `send_limits`, `client` (the library's endpoints and extractors)
//! and `narrowing`. Regenerate the messages with `TRYBUILD=overwrite`, then
//! read every changed line.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*/*.rs");
}
