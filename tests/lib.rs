//! Workspace-level tests of cb-scopes. The tests are in `integration/`, one
//! binary; the trybuild cases they compile are in `ui/pass` and `ui/fail/<category>`.

/// The README's examples, compiled and run as doctests of this crate, whose
/// dev-dependencies include every crate the README shows.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
