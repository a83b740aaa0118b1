//! The path through which generated code reaches the runtime crate.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote_spanned;

/// The runtime crate's name in the calling crate: `cb_scopes`, or whatever
/// the caller renamed it to in its `Cargo.toml`.
///
/// Inside cb-scopes itself (its doctests and tests) the crate refers to itself
/// as `cb_scopes` through `extern crate self as cb_scopes`. When the manifest
/// cannot be read (a build outside cargo), the usual name is the best guess.
/// Look it up once per macro invocation: each lookup checks the manifests on
/// disk.
pub(crate) struct RuntimeCrate(String);

impl RuntimeCrate {
    pub(crate) fn find() -> Self {
        match crate_name("cb-scopes") {
            Ok(FoundCrate::Name(name)) => RuntimeCrate(name),
            Ok(FoundCrate::Itself) | Err(_) => RuntimeCrate("cb_scopes".to_owned()),
        }
    }

    /// `::name`, every token spanned at `span`, so that generated code points
    /// where the user wrote what it stands for.
    pub(crate) fn path(&self, span: Span) -> TokenStream {
        let name = Ident::new(&self.0, span);
        quote_spanned!(span=> ::#name)
    }
}
