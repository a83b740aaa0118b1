//! The expand phase: validated input into code.
//!
//! Generated code names everything by absolute path: `::core` for the
//! standard library and the runtime crate's hidden `__private` module for
//! ours, so that it neither depends on nor disturbs the names in scope where
//! the macro is used.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use crate::catalogue::{ANY_OF, CATALOGUE, any_of_indices, any_of_name};
use crate::krate::RuntimeCrate;
use crate::parse::{FnItem, NamedSet, RequiresScopeArgs, ScopesInput};
use crate::scope_token::{Errors, ScopeToken};
use crate::validate::{self, ValidSet};
use crate::write::{self, Plan, WhereClause};

/// `scopes!`: an anonymous set's canonical type, or named sets' items.
pub(crate) fn scopes(input: ScopesInput) -> TokenStream {
    let krate = RuntimeCrate::find().path(Span::call_site());
    let mut errors = Errors::default();
    match input {
        ScopesInput::Anonymous(list) => {
            let set = validate::anonymous_set(&list, &mut errors);
            if errors.is_empty() {
                canonical_type(&krate, &set, true)
            } else {
                // A macro in type position must expand to exactly one type, and
                // a tuple of `compile_error!`s is one.
                let errors = errors.to_compile_error();
                quote!((#errors))
            }
        }
        ScopesInput::Named(sets) => {
            let items =
                sets.iter().map(|set| named_set(&krate, set, &mut errors)).collect::<Vec<_>>();
            let errors = errors.to_compile_error();
            quote!(#(#items)* #errors)
        }
    }
}

/// `Set<Yes, No, ...>`: one slot per catalogue scope, so that the same members
/// in any order are the same type. With `warn_deprecated`, deprecated scopes
/// fill their slot through a deprecated alias of `Yes`, so the user's spelling
/// of them gets a warning.
fn canonical_type(krate: &TokenStream, set: &ValidSet<'_>, warn_deprecated: bool) -> TokenStream {
    let slots = set.slots().into_iter().enumerate().map(|(index, token)| {
        let scope = &CATALOGUE[index];
        let Some(token) = token else {
            return quote!(#krate::__private::No);
        };
        if scope.deprecated && warn_deprecated {
            let alias = format_ident!("{}", scope.rust_name(), span = token.span());
            return quote_spanned!(token.span()=> #krate::__private::deprecated::#alias);
        }
        quote!(#krate::__private::Yes)
    });
    quote!(#krate::__private::Set<#(#slots),*>)
}

fn named_set(krate: &TokenStream, set: &NamedSet, errors: &mut Errors) -> TokenStream {
    let NamedSet { attrs, vis, ident, .. } = set;
    let valid = validate::named_set(ident, &set.scopes, set.send_limit.as_ref(), errors);
    // The named set's own marker impls already warn about deprecated scopes.
    let canonical = canonical_type(krate, &valid, false);
    let bits = valid.bits();
    let send_limit = match &valid.send_limit {
        None => quote!(::core::option::Option::None),
        Some(limit) => {
            // Validation made the amount positive, so the 96-bit mantissa
            // splits into three words as `Decimal::from_parts` takes them.
            let mantissa = limit.amount.mantissa().unsigned_abs();
            let [lo, mid, hi] = [0, 32, 64].map(|shift| (mantissa >> shift) as u32);
            let scale = limit.amount.scale();
            let [c0, c1, c2] = limit.currency;
            let period = Ident::new(limit.period.variant(), Span::call_site());
            quote!(::core::option::Option::Some(#krate::__private::send_limit(
                #lo, #mid, #hi, #scale, [#c0, #c1, #c2], #krate::SendLimitPeriod::#period,
            )))
        }
    };
    // Each marker impl carries the span of the scope that asked for it, so a
    // deprecation warning lands on the user's spelling of the scope.
    let marker_impls = valid.scopes.iter().map(|(index, token)| {
        let marker = format_ident!("{}", CATALOGUE[*index].rust_name(), span = token.span());
        quote_spanned!(token.span()=> impl #krate::__private::includes::#marker for #ident {})
    });
    // The documented choices the set meets through a later alternative; the
    // first alternative's marker trait implies its choice already.
    let choice_impls = (0..ANY_OF.len()).filter_map(|choice| {
        let indices = any_of_indices(choice);
        let has = |index: &usize| valid.scopes.iter().any(|(own, _)| own == index);
        if has(&indices[0]) || !indices.iter().any(has) {
            return None;
        }
        let marker = format_ident!("{}", any_of_name(choice));
        Some(quote_spanned!(ident.span()=> impl #krate::__private::includes::any::#marker for #ident {}))
    });
    // The struct's own tokens point at the user's name for it, so that errors
    // about the set point at its declaration and not at the whole macro.
    let item = quote_spanned! {ident.span()=>
        #[derive(
            ::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug,
            ::core::default::Default, ::core::cmp::PartialEq, ::core::cmp::Eq,
            ::core::hash::Hash, ::core::cmp::PartialOrd, ::core::cmp::Ord,
        )]
        #vis struct #ident;
    };
    quote! {
        #(#attrs)*
        #item

        const _: () = {
            impl #krate::__private::Sealed for #ident {}
            impl #krate::DeclaredScopes for #ident {
                const SCOPES: #krate::ScopeSet = #krate::__private::scope_set(#bits);
                const SEND_LIMIT: ::core::option::Option<#krate::SendLimit> = #send_limit;
                #[doc(hidden)]
                type Canonical = #canonical;
            }
            #(#marker_impls)*
            #(#choice_impls)*
        };
    }
}

/// `#[requires_scope]`: the fast reader for the common case, the syn
/// reader for the rest, and the writer.
#[allow(
    clippy::useless_conversion,
    reason = "the writer's tokens are `proc_macro2`'s under `cfg(test)`, `proc_macro`'s otherwise"
)]
pub(crate) fn requires_scope_attribute(
    args: write::tokens::TokenStream,
    item: write::tokens::TokenStream,
) -> write::tokens::TokenStream {
    let (args, item) = match crate::fast_path::read(args, item) {
        Ok((plan, head, body)) => return write::requires_scope(plan, head, body),
        Err(given_back) => given_back,
    };
    match read_with_syn(args.into(), item.into()) {
        Ok(written) | Err(written) => written,
    }
}

/// The syn reader on the attribute's tokens: the function written, or,
/// when the tokens are not an attribute on a function, the item untouched
/// (so that the rest of the crate still resolves) with the error.
fn read_with_syn(
    args: TokenStream,
    item: TokenStream,
) -> Result<write::tokens::TokenStream, write::tokens::TokenStream> {
    let Ok(parsed) = FnItem::parse_head_only(item.clone()) else {
        let error = syn::Error::new(
            Span::call_site(),
            "`#[requires_scope]` applies to functions and methods",
        )
        .to_compile_error();
        return Err(write::stream(quote!(#item #error)));
    };
    match syn::parse2::<RequiresScopeArgs>(args) {
        Ok(args) => Ok(requires_scope(args, parsed)),
        Err(error) => {
            let error = error.to_compile_error();
            Err(write::stream(quote!(#item #error)))
        }
    }
}

/// `#[requires_scope]`, the syn reader: every input the fast reader
/// (`fast_path`) gives back, read with full diagnostics into the plan the
/// one writer (`write`) writes. Scopes that resolve are bound even when
/// others do not, and the function is emitted whatever the errors.
pub(crate) fn requires_scope(args: RequiresScopeArgs, item: FnItem) -> write::tokens::TokenStream {
    let mut errors = Errors::default();
    let scopes = crate::scope_token::resolve_all(&args.scopes, &mut errors);
    let choices: Vec<(usize, &Ident)> =
        args.any_of.iter().filter_map(|any_of| validate::any_of(any_of, &mut errors)).collect();
    let param = match &args.param {
        Some(param) => Some(param.clone()),
        None => {
            let mut params = item.sig.generics.type_params().map(|p| p.ident.clone());
            match (params.next(), params.next()) {
                (Some(only), None) => Some(only),
                (None, _) => {
                    errors.push(no_parameter(&item, &args, "has no type parameter"));
                    None
                }
                (Some(_), Some(_)) => {
                    errors.push(no_parameter(&item, &args, "has several type parameters"));
                    None
                }
            }
        }
    };
    let warnings = trait_bound_warnings(&scopes, param.as_ref(), &mut errors);
    let where_clause = match &item.sig.generics.where_clause {
        None => WhereClause::Missing,
        Some(own) if own.predicates.empty_or_trailing() => WhereClause::Open,
        Some(_) => WhereClause::Closed,
    };
    let plan = Plan {
        param: param.as_ref().map(write::ident),
        scopes: scopes
            .iter()
            .map(|(index, token)| {
                (*index, write::span(token.span()), write::span(token.last_span()))
            })
            .collect(),
        choices: choices.iter().map(|(choice, any)| (*choice, write::span(any.span()))).collect(),
        where_clause,
        name: write::ident(&item.sig.ident),
        warnings: (!warnings.is_empty()).then(|| write::stream(warnings)),
        errors: (!errors.is_empty()).then(|| write::stream(errors.to_compile_error())),
    };
    let FnItem { attrs, vis, defaultness, sig, body } = item;
    let head = write::stream(quote!(#(#attrs)* #vis #defaultness #sig));
    let body = write::stream(body.into()).into_iter().next();
    match body {
        Some(body) => write::requires_scope(plan, head, body),
        // A token converts into a token; were it ever not so, the head
        // alone still says what is wrong.
        None => head,
    }
}

/// Scopes written as marker traits (`S: cb_scopes::includes::X`, as rustc's
/// help suggests) are accepted, each with a warning (a deprecated item used
/// in the body, the one way a macro can warn on stable Rust), and must name
/// the set's parameter if they name one.
fn trait_bound_warnings(
    scopes: &[(usize, &ScopeToken)],
    param: Option<&Ident>,
    errors: &mut Errors,
) -> TokenStream {
    let mut warnings = TokenStream::new();
    for (index, token) in scopes {
        if crate::catalogue::position(&token.text).is_some() {
            continue;
        }
        let wire = CATALOGUE[*index].wire;
        if let (Some(named), Some(param)) = (token.text.split_once(':'), param)
            && !named.1.starts_with(':')
            && syn::ext::IdentExt::unraw(param) != named.0
        {
            errors.push(token.error(format_args!(
                "this bound names `{}`, but the scope set of this function is `{param}`: \
                 write `{wire}`",
                named.0
            )));
            continue;
        }
        let note = format!(
            "write `{wire}` in `#[requires_scope(..)]`, as Coinbase spells it, rather than its \
             marker trait"
        );
        let span = token.span();
        let name = Ident::new("scope_written_as_a_trait_bound", span);
        warnings.extend(quote_spanned! {span=>
            {
                #[deprecated(note = #note)]
                #[allow(non_camel_case_types)]
                struct #name;
                let _ = #name;
            }
        });
    }
    warnings
}

fn no_parameter(item: &FnItem, args: &RequiresScopeArgs, what: &str) -> syn::Error {
    let function = &item.sig.ident;
    let first = args.scopes.first().map_or_else(String::new, |s| s.text.clone());
    let hint = if item.sig.receiver().is_some() {
        " (for a method whose set is a parameter of the `impl` or the trait, name that parameter)"
    } else {
        ""
    };
    syn::Error::new(
        function.span(),
        format_args!(
            "`#[requires_scope]` cannot tell which type parameter of `{function}` is the scope \
             set: `{function}` {what}\nhelp: name the parameter{hint}: \
             #[requires_scope(S: {first})]"
        ),
    )
}

/// Every token, groups opened, as text: how tests compare what the two
/// readers led to, without the spacing of puncts (which only changes how
/// they print).
#[cfg(test)]
pub(crate) fn tokens(stream: TokenStream) -> Vec<String> {
    let mut texts = Vec::new();
    for token in stream {
        match token {
            proc_macro2::TokenTree::Group(group) => {
                texts.push(format!("{:?}", group.delimiter()));
                texts.extend(tokens(group.stream()));
                texts.push("end".to_owned());
            }
            proc_macro2::TokenTree::Punct(punct) => texts.push(punct.as_char().to_string()),
            other => texts.push(other.to_string()),
        }
    }
    texts
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Pieces of the macros' inputs, valid and not, that random programs
    /// are made of.
    const ATTRIBUTE_PIECES: &[&str] = &[
        "wallet:accounts:read",
        "wallet:transactions:send",
        "offline_access",
        "wallet:accounts",
        "wallet:transactions:sned",
        "S",
        "r#S",
        "T",
        "r#type",
        "S:",
        ":",
        "::",
        ",",
        "\"x\"",
        "1",
        "-",
        "'a",
        "Self",
        "wallet",
        "payment-methods",
        "read",
    ];
    const ITEM_PIECES: &[&str] = &[
        "fn f",
        "fn f<S>",
        "fn f<r#S>",
        "fn f<S, T>",
        "fn f<'a, S>",
        "fn f<const N: usize>",
        "async fn f<S>",
        "pub fn f<S: Clone>",
        "fn f(&self)",
        "fn f<S>(g: S)",
        "fn f<S>() where S: Copy",
        "fn f(x: impl Sized)",
    ];
    const SET_PIECES: &[&str] = &[
        "pub struct A",
        "struct B",
        "(",
        ")",
        "wallet:transactions:send",
        "wallet:accounts:read",
        ",",
        ";",
        "#[send_limit(amount = \"50\", currency = \"USD\", period = \"day\")]",
        "#[send_limit(amount = \"-1\", currency = \"XXX\", period = \"week\")]",
        "#[send_limit]",
        "/// docs",
        "r#struct",
        "offline_access",
    ];

    fn program(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(pieces), 0..8).prop_map(|parts| parts.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever the attribute and the item, expansion gives tokens or
        /// errors, never a panic; and the two readers agree.
        #[test]
        fn requires_scope_never_panics(
            args in program(ATTRIBUTE_PIECES),
            item in program(ITEM_PIECES),
            body in prop::sample::select(&["{}", ";", "{ 1 }"][..]),
        ) {
            let item = format!("{item} {body}");
            let (Ok(args), Ok(item)) = (args.parse::<TokenStream>(), item.parse::<TokenStream>())
            else {
                return Ok(());
            };
            // Each reader on the same tokens, as the attribute ships.
            let fast = crate::fast_path::read(args.clone(), item.clone())
                .ok()
                .map(|(plan, head, body)| write::requires_scope(plan, head, body));
            let slow = read_with_syn(args, item).ok();
            // Wherever both readers take an input, they write the same
            // tokens. (The fast reader also takes some items syn refuses,
            // such as `fn f<S> {}`: rustc reports those on the written
            // function, as it would without the attribute.)
            if let (Some(fast), Some(slow)) = (fast, slow) {
                prop_assert_eq!(tokens(fast), tokens(slow));
            }
        }

        /// On inputs the fast reader is made for, it takes them (unless
        /// the set's parameter is not evident), and the two readers write
        /// the same tokens.
        #[test]
        fn the_readers_agree_on_the_common_case(
            scopes in prop::sample::subsequence(&[
                "wallet:accounts:read",
                "wallet:user:read",
                "wallet:transactions:send",
                "offline_access",
                "wallet:payment-methods:limits",
            ][..], 1..4),
            explicit in any::<bool>(),
            head in prop::sample::select(&[
                "fn f<S>()",
                "pub async fn f<S>(g: &Grant<S>) -> u8",
                "#[inline] fn f<'a, S: Clone + 'a>(&self) -> Vec<u8>",
                "fn f<S, T>() where T: Copy",
                "fn f<S>() where S: Copy,",
                "fn f<S>() -> impl Fn(u8) -> u8 where S: Copy",
            ][..]),
            body in prop::sample::select(&["{}", ";", "{ 1 }"][..]),
        ) {
            let args = format!("{}{}", if explicit { "S: " } else { "" }, scopes.join(", "));
            let item = format!("{head} {body}");
            let (args, item): (TokenStream, TokenStream) = (args.parse().unwrap(), item.parse().unwrap());
            let fast = crate::fast_path::read(args.clone(), item.clone())
                .ok()
                .map(|(plan, head, body)| write::requires_scope(plan, head, body));
            let evident = explicit || !head.contains("S, T");
            prop_assert_eq!(fast.is_some(), evident, "#[requires_scope({})] {}", args, item);
            let slow = read_with_syn(args, item);
            prop_assert!(slow.is_ok());
            if let (Some(fast), Ok(slow)) = (fast, slow) {
                prop_assert_eq!(tokens(fast), tokens(slow));
            }
        }

        #[test]
        fn scopes_never_panics(input in program(SET_PIECES)) {
            if let Ok(input) = syn::parse_str::<ScopesInput>(&input) {
                let _ = scopes(input);
            }
        }
    }

    #[test]
    fn a_raw_type_parameter_is_bound_as_written() {
        let args: RequiresScopeArgs = syn::parse_str("wallet:accounts:read").unwrap();
        let item: FnItem = syn::parse_str("fn f<r#S>(g: &Grant<r#S>) {}").unwrap();
        let expanded = requires_scope(args, item).to_string();
        assert!(expanded.contains("r#S :"), "{expanded}");
    }
}
