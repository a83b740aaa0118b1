//! Workspace-level integration tests, in one binary.

mod authorize;
mod ui;
