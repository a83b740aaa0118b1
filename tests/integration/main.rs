//! Workspace-level integration tests, in one binary.

mod ui;
