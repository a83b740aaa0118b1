//! Runnable examples; see the `[[example]]` entries of this package's
//! manifest. Run one from the workspace root with
//! `cargo run --example quickstart`.
