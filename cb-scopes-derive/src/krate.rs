//! The path through which generated code reaches the runtime crate.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote_spanned;

/// `::cb_scopes`, or whatever the calling crate renamed it to in its
/// `Cargo.toml`. Inside cb-scopes itself (its doctests and tests) the crate
/// refers to itself as `::cb_scopes` through `extern crate self as cb_scopes`.
///
/// Every token gets `span`, so that generated code points where the user
/// wrote what it stands for. When the manifest cannot be read (a build outside cargo), the usual name is
/// the best guess.
pub(crate) fn runtime_crate(span: Span) -> TokenStream {
    match crate_name("cb-scopes") {
        Ok(FoundCrate::Name(name)) => {
            let name = Ident::new(&name, span);
            quote_spanned!(span=> ::#name)
        }
        Ok(FoundCrate::Itself) | Err(_) => quote_spanned!(span=> ::cb_scopes),
    }
}
