//! The parse phase: macro input into plain syntax trees, with no judgement of
//! whether the scopes exist. Validation is the next phase's job, so that every
//! error of an input can be collected and reported together.

use proc_macro2::TokenStream;
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Signature, Token, Visibility, parenthesized};

use crate::scope_token::ScopeToken;

/// A comma-separated list of scopes; a trailing comma is allowed.
pub(crate) type ScopeList = Punctuated<ScopeToken, Token![,]>;

/// What `scopes!` was given.
pub(crate) enum ScopesInput {
    /// `scopes!(wallet:accounts:read, ...)`, in type position.
    Anonymous(ScopeList),
    /// One or more `pub struct Name(wallet:accounts:read, ...);` declarations.
    Named(Vec<NamedSet>),
}

impl Parse for ScopesInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // A named declaration starts like any struct item: with attributes, a
        // visibility or `struct`. A scope never does.
        let named = input.peek(Token![#]) || input.peek(Token![pub]) || input.peek(Token![struct]);
        if !named {
            return ScopeList::parse_terminated(input).map(ScopesInput::Anonymous);
        }
        let mut sets = Vec::new();
        while !input.is_empty() {
            sets.push(input.parse()?);
        }
        Ok(ScopesInput::Named(sets))
    }
}

/// `#[send_limit(..)] pub struct Payouts(wallet:transactions:send);`
pub(crate) struct NamedSet {
    /// Attributes other than `#[send_limit]`, passed through to the struct.
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) send_limit: Option<SendLimitAttr>,
    pub(crate) vis: Visibility,
    pub(crate) ident: Ident,
    pub(crate) scopes: ScopeList,
}

impl Parse for NamedSet {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut attrs = Vec::new();
        let mut send_limit: Option<SendLimitAttr> = None;
        for attr in input.call(Attribute::parse_outer)? {
            if !attr.path().is_ident("send_limit") {
                attrs.push(attr);
            } else if send_limit.is_some() {
                return Err(syn::Error::new_spanned(attr, "a set declares one `#[send_limit]`"));
            } else {
                send_limit = Some(SendLimitAttr::parse(&attr)?);
            }
        }
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let ident = input.parse()?;
        let content;
        parenthesized!(content in input);
        let scopes = ScopeList::parse_terminated(&content)?;
        input.parse::<Token![;]>()?;
        Ok(NamedSet { attrs, send_limit, vis, ident, scopes })
    }
}

/// `#[send_limit(amount = "50.00", currency = "USD", period = "day")]`, with
/// each value still unchecked.
pub(crate) struct SendLimitAttr {
    /// The whole attribute, for errors about it as a whole.
    pub(crate) attr: Attribute,
    pub(crate) amount: Option<LitStr>,
    pub(crate) currency: Option<LitStr>,
    pub(crate) period: Option<LitStr>,
}

impl SendLimitAttr {
    fn parse(attr: &Attribute) -> syn::Result<Self> {
        let mut limit =
            SendLimitAttr { attr: attr.clone(), amount: None, currency: None, period: None };
        attr.parse_nested_meta(|meta| {
            let slot = if meta.path.is_ident("amount") {
                &mut limit.amount
            } else if meta.path.is_ident("currency") {
                &mut limit.currency
            } else if meta.path.is_ident("period") {
                &mut limit.period
            } else {
                return Err(meta.error("expected `amount`, `currency` or `period`"));
            };
            if slot.is_some() {
                return Err(meta.error("this key is already given"));
            }
            *slot = Some(meta.value()?.parse()?);
            Ok(())
        })?;
        Ok(limit)
    }
}

/// The arguments of `#[requires_scope(..)]`: an optional `S:` naming the
/// set's type parameter, then the scopes and the choices of scopes.
pub(crate) struct RequiresScopeArgs {
    pub(crate) param: Option<Ident>,
    pub(crate) scopes: ScopeList,
    pub(crate) any_of: Vec<AnyOf>,
}

/// `any(wallet:buys:create, wallet:transactions:read)`: a requirement that
/// any one of the scopes meets.
pub(crate) struct AnyOf {
    /// The `any` keyword, where errors about the choice as a whole point.
    pub(crate) any: Ident,
    pub(crate) alternatives: ScopeList,
}

impl AnyOf {
    /// Whether the input starts with `any(`: no scope does.
    fn peek(input: ParseStream<'_>) -> bool {
        let fork = input.fork();
        fork.call(Ident::parse_any).is_ok_and(|ident| ident == "any")
            && fork.peek(syn::token::Paren)
    }
}

impl Parse for AnyOf {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let any = input.call(Ident::parse_any)?;
        let content;
        parenthesized!(content in input);
        let alternatives = ScopeList::parse_terminated(&content)?;
        Ok(AnyOf { any, alternatives })
    }
}

impl Parse for RequiresScopeArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `S: wallet:accounts:read` and `wallet:accounts:read` are the same
        // tokens up to the first colon. Type parameters are capitalised and
        // scope services are not, so the case of the first letter decides.
        // A raw identifier (`r#S`) counts by the name it spells.
        let fork = input.fork();
        let is_param = fork.parse::<Ident>().is_ok_and(|ident| {
            ident.unraw().to_string().starts_with(|c: char| c.is_ascii_uppercase())
        }) && fork.peek(Token![:])
            && !fork.peek(Token![::]);
        let param = if is_param {
            let ident = input.parse()?;
            input.parse::<Token![:]>()?;
            Some(ident)
        } else {
            None
        };
        let mut scopes = ScopeList::new();
        let mut any_of = Vec::new();
        while !input.is_empty() {
            if AnyOf::peek(input) {
                any_of.push(input.parse()?);
            } else {
                scopes.push_value(input.parse()?);
            }
            if input.is_empty() {
                break;
            }
            let comma: Token![,] = input.parse()?;
            if !scopes.empty_or_trailing() {
                scopes.push_punct(comma);
            }
        }
        if scopes.is_empty() && any_of.is_empty() {
            return Err(input.error(
                "expected one or more OAuth scopes, such as \
                 `#[requires_scope(wallet:accounts:read)]`",
            ));
        }
        Ok(RequiresScopeArgs { param, scopes, any_of })
    }
}

/// A function item, an impl method or a trait method, with its body left as
/// tokens: the attribute never looks inside it, and not parsing it keeps the
/// macro cheap.
pub(crate) struct FnItem {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) defaultness: Option<Token![default]>,
    pub(crate) sig: Signature,
    /// The body in braces, or `;` for a trait method without a default.
    pub(crate) body: proc_macro2::TokenTree,
}

impl Parse for FnItem {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let defaultness = input.parse()?;
        let sig = input.parse()?;
        let body = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("expected the end of the function"));
        }
        Ok(FnItem { attrs, vis, defaultness, sig, body })
    }
}

impl FnItem {
    /// Parses an item without looking into its body: the body (a brace
    /// group, or the `;` of a trait method) is split off the top-level
    /// tokens first and kept as it came. syn would otherwise walk every
    /// token of it, which is most of what the attribute would cost.
    pub(crate) fn parse_head_only(item: TokenStream) -> syn::Result<Self> {
        let mut tokens: Vec<proc_macro2::TokenTree> = item.into_iter().collect();
        let body = match tokens.last() {
            Some(proc_macro2::TokenTree::Group(group))
                if group.delimiter() == proc_macro2::Delimiter::Brace =>
            {
                tokens.pop()
            }
            Some(proc_macro2::TokenTree::Punct(punct)) if punct.as_char() == ';' => tokens.pop(),
            _ => None,
        };
        let head: TokenStream = tokens.into_iter().collect();
        let parse_head = |input: ParseStream<'_>| {
            let attrs = input.call(Attribute::parse_outer)?;
            let vis = input.parse()?;
            let defaultness = input.parse()?;
            let sig = input.parse()?;
            Ok((attrs, vis, defaultness, sig))
        };
        let (attrs, vis, defaultness, sig) = syn::parse::Parser::parse2(parse_head, head)?;
        let Some(body) = body else {
            return Err(syn::Error::new(
                proc_macro2::Span::call_site(),
                "expected a function body",
            ));
        };
        Ok(FnItem { attrs, vis, defaultness, sig, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_and_named_inputs_are_told_apart() {
        let input: ScopesInput = syn::parse_str("wallet:accounts:read, offline_access,").unwrap();
        assert!(matches!(input, ScopesInput::Anonymous(list) if list.len() == 2));
        let input: ScopesInput = syn::parse_str(
            "/// Docs.\n#[send_limit(amount = \"5\", currency = \"USD\", period = \"day\")]\n\
             pub struct A(wallet:transactions:send); struct B();",
        )
        .unwrap();
        let ScopesInput::Named(sets) = input else { panic!("expected named sets") };
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].attrs.len(), 1, "the doc comment is kept, the limit is taken out");
        let limit = sets[0].send_limit.as_ref().unwrap();
        assert_eq!(limit.amount.as_ref().unwrap().value(), "5");
        assert!(sets[1].scopes.is_empty());
    }

    #[test]
    fn send_limit_keys_are_checked_when_parsed() {
        let error = syn::parse_str::<ScopesInput>(
            "#[send_limit(amount = \"5\", colour = \"red\")] struct A(wallet:transactions:send);",
        )
        .err()
        .unwrap();
        assert!(error.to_string().contains("expected `amount`, `currency` or `period`"));
    }

    #[test]
    fn the_explicit_parameter_is_recognised_by_its_capital() {
        let args: RequiresScopeArgs = syn::parse_str("S: wallet:accounts:read").unwrap();
        assert_eq!(args.param.unwrap(), "S");
        let args: RequiresScopeArgs =
            syn::parse_str("wallet:accounts:read, offline_access").unwrap();
        assert!(args.param.is_none());
        assert_eq!(args.scopes.len(), 2);
        assert!(syn::parse_str::<RequiresScopeArgs>("").is_err());
        assert!(syn::parse_str::<RequiresScopeArgs>("S:").is_err());
        let args: RequiresScopeArgs = syn::parse_str("r#S: wallet:accounts:read").unwrap();
        assert_eq!(args.param.unwrap().unraw(), "S");
    }

    #[test]
    fn choices_are_read_beside_plain_scopes() {
        let args: RequiresScopeArgs = syn::parse_str(
            "S: wallet:user:read, any(wallet:buys:create, wallet:transactions:read), offline_access",
        )
        .unwrap();
        assert_eq!(args.scopes.len(), 2);
        assert_eq!(args.any_of.len(), 1);
        assert_eq!(args.any_of[0].alternatives.len(), 2);
        let args: RequiresScopeArgs =
            syn::parse_str("any(wallet:buys:create, wallet:transactions:read)").unwrap();
        assert!(args.scopes.is_empty() && args.param.is_none());
        assert!(
            syn::parse_str::<RequiresScopeArgs>("any(wallet:buys:create) wallet:user:read")
                .is_err()
        );
    }

    #[test]
    fn functions_with_and_without_bodies_parse() {
        let item: FnItem = syn::parse_str("pub async fn f<S>(x: S) -> u8 { 1 }").unwrap();
        assert_eq!(item.sig.ident, "f");
        let item: FnItem = syn::parse_str("fn g(&self);").unwrap();
        assert_eq!(item.body.to_string(), ";");
        assert!(syn::parse_str::<FnItem>("struct X;").is_err());
    }
}
