//! Procedural macros of [cb-scopes](https://docs.rs/cb-scopes): `scopes!` and
//! `#[requires_scope]`.
//!
//! Use them through `cb_scopes`, which re-exports them and documents them with
//! examples. This crate is split by phase, as a compiler is: `parse` reads the
//! input into syntax trees without judging it, `validate` checks scopes and
//! send limits against the catalogue and collects every error, and `expand`
//! writes the code. `#[requires_scope]` has two readers and one writer
//! (`write`): a fast reader (`fast_path`) for the common case, and the
//! phases for the rest. The scope
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
mod write;

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
    // The writer is on `proc_macro`, except in unit tests (see `write`).
    #[cfg(not(test))]
    return expand::requires_scope_attribute(args, item);
    #[cfg(test)]
    expand::requires_scope_attribute(args.into(), item.into()).into()
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
