//! Workspace-level tests of cb-scopes. The tests are in `integration/`, one
//! binary; the trybuild cases they compile are in `ui/pass` and `ui/fail`.
