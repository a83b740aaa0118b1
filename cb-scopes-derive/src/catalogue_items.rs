//! Generators for the runtime crate's catalogue items. cb-scopes invokes these
//! once each, so that its `Scope` enum, its per-scope marker traits and its
//! canonical set type are all generated from the one catalogue table.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use syn::{Ident, ItemEnum};

use crate::catalogue::{ANY_OF, CAPACITY, CATALOGUE, ScopeDef, any_of_indices, any_of_name};

fn rust_name(scope: &ScopeDef) -> Ident {
    format_ident!("{}", scope.rust_name())
}

/// What the compiler says when code asks for a deprecated scope.
fn deprecation_note(scope: &ScopeDef) -> String {
    let restricted =
        if scope.restricted { "is granted only to apps Coinbase has reviewed, and " } else { "" };
    format!("`{}` {restricted}is being deprecated", scope.wire)
}

fn catalogue_too_large() -> Option<TokenStream> {
    (CATALOGUE.len() > CAPACITY).then(|| {
        let message = format!("the catalogue holds more than {CAPACITY} scopes; widen ScopeSet");
        quote!(::core::compile_error!(#message);)
    })
}

/// Fills `enum Scope {}` with one variant per scope, its discriminant the
/// scope's catalogue index, and gives it `const ENTRIES`, the catalogue as
/// values of the entry type named in the attribute.
pub(crate) fn scope_enum(entry: &Ident, mut item: ItemEnum) -> TokenStream {
    if !item.variants.is_empty() {
        return syn::Error::new_spanned(&item.variants, "the variants are generated")
            .to_compile_error();
    }
    let variants = CATALOGUE.iter().enumerate().map(|(index, scope)| {
        let name = rust_name(scope);
        let wire = scope.wire;
        let mut doc = format!("`{wire}`: {}.", scope.description);
        if scope.restricted {
            doc.push_str(" Restricted: Coinbase grants it only to apps it has reviewed.");
        }
        if scope.deprecated {
            doc.push_str(" Deprecated: new apps should not ask for it.");
        }
        let index = Literal::usize_unsuffixed(index);
        quote!(#[doc = #doc] #[strum(serialize = #wire)] #name = #index)
    });
    item.variants = syn::parse_quote!(#(#variants),*);
    let ident = &item.ident;
    let count = CATALOGUE.len();
    let entries = CATALOGUE.iter().map(|scope| {
        let ScopeDef { wire, description, restricted, deprecated } = scope;
        quote!(#entry::new(#wire, #description, #restricted, #deprecated))
    });
    let too_large = catalogue_too_large();
    quote! {
        #item
        impl #ident {
            /// The catalogue in catalogue order: a scope's entry is at its
            /// discriminant.
            const ENTRIES: [#entry; #count] = [#(#entries),*];
        }
        #too_large
    }
}

/// One marker trait per scope, implemented by the sets that include it. Its
/// diagnostic is what a user sees when a call needs a scope their set lacks.
pub(crate) fn scope_traits() -> TokenStream {
    let traits = CATALOGUE.iter().map(|scope| {
        let name = rust_name(scope);
        let wire = scope.wire;
        let doc = format!(
            "Implemented by every scope set that includes `{wire}`: {}.\n\n\
             Write `S: {name}` on a generic function to require it by hand; \
             `#[requires_scope({wire})]` writes this bound for you.",
            scope.description
        );
        let message = format!("missing OAuth scope `{wire}`");
        let label = format!("this needs `{wire}`");
        let note = format!(
            "add `{wire}` to the set's `scopes!` declaration, or, inside a function generic over \
             the set, to its `#[requires_scope(..)]`"
        );
        let deprecated = scope.deprecated.then(|| {
            let note = deprecation_note(scope);
            quote!(#[deprecated(note = #note)])
        });
        quote! {
            #[doc = #doc]
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            #deprecated
            pub trait #name: crate::DeclaredScopes {}
        }
    });
    let choices = (0..ANY_OF.len()).map(|choice| {
        let name = format_ident!("{}", any_of_name(choice));
        let indices = any_of_indices(choice);
        let wires: Vec<String> =
            indices.iter().map(|&i| format!("`{}`", CATALOGUE[i].wire)).collect();
        let wires = wires.join(", ");
        let doc = format!(
            "Implemented by every scope set that includes one of {wires}.\n\n\
             `#[requires_scope(any(..))]` with these scopes writes this bound. A function \
             generic over the set that requires only the first alternative, `{}`, may call \
             one that requires this choice.",
            CATALOGUE[indices[0]].wire
        );
        let message = format!("missing OAuth scope: needs one of {wires}");
        let label = format!("this needs one of {wires}");
        let note = format!(
            "add one of {wires} to the set's `scopes!` declaration, or, inside a function \
             generic over the set, `any(..)` of them to its `#[requires_scope(..)]`"
        );
        let first = rust_name(&CATALOGUE[indices[0]]);
        quote! {
            #[doc = #doc]
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            pub trait #name: crate::DeclaredScopes {}
            // The first alternative implies the choice in generic code too;
            // the others are implemented set by set, each where every
            // earlier alternative is missing, so that no two impls overlap.
            #[diagnostic::do_not_recommend]
            #[allow(deprecated)]
            impl<S: ?Sized + crate::includes::#first> #name for S {}
        }
    });
    quote! {
        #(#traits)*

        /// Marker traits of the requirements Coinbase documents as a choice:
        /// an endpoint that accepts any one of several scopes.
        /// `#[requires_scope(any(wallet:buys:create, wallet:transactions:read))]`
        /// writes `S: any::WalletBuysCreateOrWalletTransactionsRead`.
        pub mod any {
            #(#choices)*
        }
    }
}

/// The canonical set type `Set<T0, .., Tn>`, its impls, and the slot-by-slot
/// machinery behind `SubsetOf`.
pub(crate) fn canonical_set() -> TokenStream {
    let params: Vec<Ident> = (0..CATALOGUE.len()).map(|i| format_ident!("T{i}")).collect();
    let set = quote!(Set<#(#params),*>);
    let shifts = (0..CATALOGUE.len()).map(Literal::usize_unsuffixed);

    let marker_impls = CATALOGUE.iter().enumerate().map(|(index, scope)| {
        let name = rust_name(scope);
        let others = params.iter().enumerate().filter(|(i, _)| *i != index).map(|(_, p)| p);
        let slots = params
            .iter()
            .enumerate()
            .map(|(i, p)| if i == index { quote!(Yes) } else { quote!(#p) });
        // Not offered as a candidate in errors: "it is implemented for
        // `Set<T0, .., Yes, ..>`" only distracts from the missing scope.
        quote! {
            #[diagnostic::do_not_recommend]
            #[allow(deprecated)]
            impl<#(#others: Slot),*> crate::includes::#name for Set<#(#slots),*> {}
        }
    });

    // A choice's later alternatives, on the canonical set: alternative `k`
    // where every earlier one is `No` (the first is the blanket impl).
    let choice_impls = (0..ANY_OF.len()).flat_map(|choice| {
        let name = format_ident!("{}", any_of_name(choice));
        let indices = any_of_indices(choice);
        let params = &params;
        (1..indices.len()).map(move |k| {
            let fixed = &indices[..=k];
            let free =
                params.iter().enumerate().filter(|(i, _)| !fixed.contains(i)).map(|(_, p)| p);
            let slots =
                params.iter().enumerate().map(|(i, p)| match fixed.iter().position(|f| *f == i) {
                    Some(at) if at == k => quote!(Yes),
                    Some(_) => quote!(No),
                    None => quote!(#p),
                });
            quote! {
                #[diagnostic::do_not_recommend]
                impl<#(#free: Slot),*> crate::includes::any::#name for Set<#(#slots),*> {}
            }
        })
    });

    // `Slot: <Scope>CoveredBy<S>` is dispatched on the slot, not on `S`, so
    // the compiler reads the slots from the target set before choosing impls,
    // and a failure leads it to the one marker trait `S` lacks.
    let covered_by: Vec<Ident> =
        CATALOGUE.iter().map(|scope| format_ident!("{}CoveredBy", scope.rust_name())).collect();
    let covered_by_impls = CATALOGUE.iter().zip(&covered_by).map(|(scope, covered_by)| {
        let name = rust_name(scope);
        quote! {
            #[doc(hidden)]
            pub trait #covered_by<S: ?Sized> {}
            impl<S: ?Sized> #covered_by<S> for No {}
            #[allow(deprecated)]
            impl<S: ?Sized + crate::includes::#name> #covered_by<S> for Yes {}
        }
    });

    let deprecated_aliases = CATALOGUE.iter().filter(|scope| scope.deprecated).map(|scope| {
        let name = rust_name(scope);
        let note = deprecation_note(scope);
        quote!(#[deprecated(note = #note)] pub type #name = super::Yes;)
    });

    quote! {
        /// The canonical type of a scope set: one slot per catalogue scope,
        /// each `Yes` or `No`. `scopes!(a, b)` and `scopes!(b, a)` expand to
        /// the same `Set`, which is zero-sized.
        pub struct Set<#(#params),*>(::core::marker::PhantomData<fn() -> (#(#params,)*)>);

        impl<#(#params),*> ::core::clone::Clone for #set {
            fn clone(&self) -> Self { *self }
        }
        impl<#(#params),*> ::core::marker::Copy for #set {}
        impl<#(#params),*> ::core::default::Default for #set {
            fn default() -> Self { Set(::core::marker::PhantomData) }
        }
        impl<#(#params),*> ::core::cmp::PartialEq for #set {
            fn eq(&self, _: &Self) -> bool { true }
        }
        impl<#(#params),*> ::core::cmp::Eq for #set {}
        impl<#(#params),*> ::core::hash::Hash for #set {
            fn hash<H: ::core::hash::Hasher>(&self, _: &mut H) {}
        }
        impl<#(#params: Slot),*> ::core::fmt::Debug for #set {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let scopes = <Self as crate::DeclaredScopes>::SCOPES;
                write!(f, "scopes!({})", scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
            }
        }
        impl<#(#params: Slot),*> Sealed for #set {}
        impl<#(#params: Slot),*> crate::DeclaredScopes for #set {
            const SCOPES: crate::ScopeSet = scope_set(0 #(| (#params::BIT << #shifts))*);
            const SEND_LIMIT: ::core::option::Option<crate::SendLimit> = ::core::option::Option::None;
            type Canonical = Self;
        }
        #(#marker_impls)*
        #(#choice_impls)*

        #(#covered_by_impls)*

        /// `Set<..>: CoveredBy<S>` holds when `S` includes the scope of every
        /// `Yes` slot.
        #[doc(hidden)]
        pub trait CoveredBy<S: ?Sized> {}

        impl<S: ?Sized, #(#params),*> CoveredBy<S> for #set
        where
            #(#params: #covered_by<S>,)*
        {}

        impl<T, S> crate::SubsetOf<S> for T
        where
            T: crate::DeclaredScopes,
            S: crate::DeclaredScopes,
            T::Canonical: CoveredBy<S>,
        {}

        /// Deprecated spellings of `Yes`, used by `scopes!` in the slots of
        /// deprecated scopes so that asking for them warns.
        pub mod deprecated {
            #(#deprecated_aliases)*
        }
    }
}
