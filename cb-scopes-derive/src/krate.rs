//! The path through which generated code reaches the runtime crate.

use std::ffi::OsString;
use std::sync::Mutex;

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote_spanned;

/// How the calling crate reaches the runtime crate: `cb_scopes`, or whatever
/// the caller renamed it to in its `Cargo.toml`; or, for an app that depends
/// on `cb-client` alone, through `cb_client`'s re-export.
///
/// Inside cb-scopes itself (its doctests and tests) the crate refers to itself
/// as `cb_scopes` through `extern crate self as cb_scopes`. When the manifest
/// cannot be read (a build outside cargo), the usual name is the best guess.
#[derive(Clone)]
pub(crate) enum RuntimeCrate {
    /// `::name`
    Direct(String),
    /// `::client::cb_scopes`
    ThroughClient(String),
}

/// The answer for the crate being compiled, by its manifest directory: the
/// macros run once per annotated function, and reading the manifests each
/// time would cost more than the rest of the expansion. A long-lived
/// process (rust-analyzer's proc-macro server) sees other crates under
/// other keys.
static FOUND: Mutex<Option<(Option<OsString>, RuntimeCrate)>> = Mutex::new(None);

impl RuntimeCrate {
    /// How the crate being compiled reaches the runtime crate, looked up
    /// once per compilation.
    pub(crate) fn find() -> Self {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR");
        let mut found = FOUND.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((dir, krate)) = &*found
            && *dir == manifest_dir
        {
            return krate.clone();
        }
        let krate = Self::look_up();
        *found = Some((manifest_dir, krate.clone()));
        krate
    }

    fn look_up() -> Self {
        match crate_name("cb-scopes") {
            Ok(FoundCrate::Name(name)) => RuntimeCrate::Direct(name),
            Ok(FoundCrate::Itself) => RuntimeCrate::Direct("cb_scopes".to_owned()),
            Err(_) => match crate_name("cb-client") {
                Ok(FoundCrate::Name(client)) => RuntimeCrate::ThroughClient(client),
                Ok(FoundCrate::Itself) => RuntimeCrate::ThroughClient("cb_client".to_owned()),
                Err(_) => RuntimeCrate::Direct("cb_scopes".to_owned()),
            },
        }
    }

    /// The path, every token spanned at `span`, so that generated code points
    /// where the user wrote what it stands for.
    pub(crate) fn path(&self, span: Span) -> TokenStream {
        match self {
            RuntimeCrate::Direct(name) => {
                let name = Ident::new(name, span);
                quote_spanned!(span=> ::#name)
            }
            RuntimeCrate::ThroughClient(client) => {
                let client = Ident::new(client, span);
                quote_spanned!(span=> ::#client::cb_scopes)
            }
        }
    }
}
