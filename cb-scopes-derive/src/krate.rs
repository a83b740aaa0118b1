//! The path through which generated code reaches the runtime crate.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// `::cb_scopes`, or whatever the calling crate renamed it to in its
/// `Cargo.toml`. Inside cb-scopes itself (its doctests and tests) the crate
/// refers to itself as `::cb_scopes` through `extern crate self as cb_scopes`.
///
/// When the manifest cannot be read (a build outside cargo), the usual name is
/// the best guess.
pub(crate) fn runtime_crate() -> TokenStream {
    match crate_name("cb-scopes") {
        Ok(FoundCrate::Name(name)) => {
            let name = Ident::new(&name, Span::call_site());
            quote!(::#name)
        }
        Ok(FoundCrate::Itself) | Err(_) => quote!(::cb_scopes),
    }
}
