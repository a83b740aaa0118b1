//! Procedural macros of [cb-scopes](https://docs.rs/cb-scopes): `scopes!` and
//! `#[requires_scope]`.
//!
//! Use them through `cb_scopes`, which re-exports them and documents them with
//! examples. This crate is split by phase, as a compiler is: `parse` reads the
//! input into syntax trees without judging it, `validate` checks scopes and
//! send limits against the catalogue and collects every error, and `expand`
//! writes the code. `#[requires_scope]` takes a fast path (`fast_path`) for
//! the common case and goes through the phases only for the rest. The scope
//! catalogue itself lives in `catalogue`; the runtime crate's own catalogue
//! items (the `Scope` enum, the marker traits and the canonical set) come
//! from `catalogue_items`.

#![deny(missing_docs)]

mod catalogue;
mod catalogue_items;
mod expand;
mod fast_path;
mod krate;
mod parse;
mod scope_token;
mod validate;

use proc_macro::TokenStream;
use syn::parse_macro_input;

/// Declares scope sets. See `cb_scopes::scopes!` for the documentation.
#[proc_macro]
pub fn scopes(input: TokenStream) -> TokenStream {
    expand::scopes(parse_macro_input!(input as parse::ScopesInput)).into()
}

/// Requires scopes of a function's scope set. See `cb_scopes::requires_scope`
/// for the documentation.
#[proc_macro_attribute]
pub fn requires_scope(args: TokenStream, item: TokenStream) -> TokenStream {
    // Unit tests run the fast path on `proc_macro2` (see `fast_path`).
    #[cfg(not(test))]
    let (args, item) = match fast_path::requires_scope(args, item) {
        Ok(expanded) => return expanded,
        Err(given_back) => given_back,
    };
    let item_tokens = proc_macro2::TokenStream::from(item);
    let args = proc_macro2::TokenStream::from(args);
    let item = match parse::FnItem::parse_head_only(item_tokens.clone()) {
        Ok(item) => item,
        Err(_) => {
            // Emit the item untouched so that the rest of the crate still
            // resolves, with one error saying what the attribute applies to.
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[requires_scope]` applies to functions and methods",
            )
            .to_compile_error();
            return quote::quote!(#item_tokens #error).into();
        }
    };
    match syn::parse2::<parse::RequiresScopeArgs>(args) {
        Ok(args) => expand::requires_scope(args, item).into(),
        Err(error) => {
            let error = error.to_compile_error();
            quote::quote!(#item_tokens #error).into()
        }
    }
}

#[doc(hidden)]
#[proc_macro_attribute]
pub fn __scope_enum(args: TokenStream, item: TokenStream) -> TokenStream {
    let entry = parse_macro_input!(args as syn::Ident);
    catalogue_items::scope_enum(&entry, parse_macro_input!(item as syn::ItemEnum)).into()
}

#[doc(hidden)]
#[proc_macro]
pub fn __scope_traits(_: TokenStream) -> TokenStream {
    catalogue_items::scope_traits().into()
}

#[doc(hidden)]
#[proc_macro]
pub fn __canonical_set(_: TokenStream) -> TokenStream {
    catalogue_items::canonical_set().into()
}
