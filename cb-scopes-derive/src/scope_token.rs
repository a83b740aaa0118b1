//! A scope as a user writes it in a macro: `wallet:payment-methods:read`.
//!
//! Scope names are neither Rust paths nor `syn::Meta`: their segments are
//! separated by single colons, contain hyphens, and may start with a digit
//! (`bypass-2fa` lexes as the ident `bypass`, a `-` and the suffixed integer
//! literal `2fa`). So they are read token by token up to the next comma, and the
//! tokens are kept so that errors and generated bounds point at exactly what the
//! user wrote.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::Token;
use syn::parse::{Parse, ParseStream};

use crate::catalogue::{self, CATALOGUE};

/// One scope, as written.
pub(crate) struct ScopeToken {
    /// The tokens joined without whitespace: what the user meant to spell.
    pub(crate) text: String,
    /// The tokens themselves, so an error can cover the whole scope.
    tokens: TokenStream,
}

impl Parse for ScopeToken {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut text = String::new();
        let mut tokens = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            let token: TokenTree = input.parse()?;
            match &token {
                TokenTree::Ident(ident) => {
                    let ident = ident.to_string();
                    text.push_str(ident.strip_prefix("r#").unwrap_or(&ident));
                }
                TokenTree::Punct(punct) if matches!(punct.as_char(), ':' | '-') => {
                    text.push(punct.as_char());
                }
                TokenTree::Literal(literal) => {
                    let literal = literal.to_string();
                    if literal.starts_with('"') {
                        return Err(syn::Error::new(
                            token.span(),
                            format!(
                                "write the scope without quotes: {}",
                                literal.trim_matches('"')
                            ),
                        ));
                    }
                    if !literal.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(expected_scope(token.span()));
                    }
                    text.push_str(&literal);
                }
                _ => return Err(expected_scope(token.span())),
            }
            token.to_tokens(&mut tokens);
        }
        if tokens.is_empty() {
            return Err(expected_scope(input.span()));
        }
        Ok(ScopeToken { text, tokens })
    }
}

fn expected_scope(span: Span) -> syn::Error {
    syn::Error::new(span, "expected an OAuth scope, such as `wallet:accounts:read`")
}

impl ScopeToken {
    /// The span of the scope's first token, for generated code that must point
    /// at a single place in the user's source.
    pub(crate) fn span(&self) -> Span {
        self.tokens.clone().into_iter().next().map_or_else(Span::call_site, |t| t.span())
    }

    /// The span of the scope's last token.
    pub(crate) fn last_span(&self) -> Span {
        self.tokens.clone().into_iter().last().map_or_else(Span::call_site, |t| t.span())
    }

    /// An error covering the whole scope as written.
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(&self.tokens, message)
    }

    /// The catalogue index of a scope written as its marker trait, as
    /// rustc's "consider further restricting" help spells it inside the
    /// attribute: `S: cb_scopes::includes::WalletAccountsRead`. Accepted so
    /// that applying the compiler's advice compiles, with a warning that
    /// names the scope as Coinbase spells it.
    pub(crate) fn marker_synonym(&self) -> Option<usize> {
        let (path, marker) = self.text.rsplit_once("::")?;
        // An optional `S:` in front (one colon), then a path to `includes`.
        let path = match path.split_once(':') {
            Some((param, rest)) if !rest.starts_with(':') && !param.is_empty() => rest,
            _ => path,
        };
        if path.trim_start_matches(':').rsplit("::").next() != Some("includes") {
            return None;
        }
        CATALOGUE.iter().position(|scope| scope.rust_name() == marker)
    }

    /// The scope's catalogue index, or an error that says what was probably
    /// meant.
    pub(crate) fn resolve(&self) -> syn::Result<usize> {
        if let Some(index) = catalogue::position(&self.text).or_else(|| self.marker_synonym()) {
            return Ok(index);
        }
        let unknown = &self.text;
        if let Some(near) = catalogue::nearest(unknown) {
            return Err(self.error(format_args!(
                "unknown OAuth scope `{unknown}`; did you mean `{}`?",
                near.wire
            )));
        }
        if self.text.split(':').count() != 3 {
            let prefix = format!("{unknown}:");
            let family: Vec<&str> = CATALOGUE
                .iter()
                .map(|scope| scope.wire)
                .filter(|wire| wire.starts_with(&prefix))
                .collect();
            let mut message = format!(
                "unknown OAuth scope `{unknown}`: Coinbase scopes have the form \
                 `service:resource:action`, such as `wallet:accounts:read`"
            );
            if !family.is_empty() {
                message.push_str(&format!("; `{unknown}` has: {}", family.join(", ")));
            }
            return Err(self.error(message));
        }
        Err(self.error(format_args!(
            "unknown OAuth scope `{unknown}`; the catalogue lists every scope in the docs of \
             `cb_scopes::Scope`"
        )))
    }
}

/// Resolves a list of scopes, collecting every error: unknown scopes and
/// repeated ones. The scopes that did resolve are returned even when some
/// failed, so that the caller can still emit a useful item.
pub(crate) fn resolve_all<'a>(
    scopes: impl IntoIterator<Item = &'a ScopeToken>,
    errors: &mut Errors,
) -> Vec<(usize, &'a ScopeToken)> {
    let mut resolved: Vec<(usize, &ScopeToken)> = Vec::new();
    for scope in scopes {
        match scope.resolve() {
            Ok(index) if resolved.iter().any(|(seen, _)| *seen == index) => {
                errors.push(scope.error(format_args!(
                    "duplicate OAuth scope `{}`: it is already in this list",
                    CATALOGUE[index].wire
                )));
            }
            Ok(index) => resolved.push((index, scope)),
            Err(error) => errors.push(error),
        }
    }
    resolved
}

/// Errors collected across a whole macro input, so the user sees all of them
/// in one build rather than one per build.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(existing) => existing.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Takes every error of `other` too.
    pub(crate) fn extend(&mut self, other: Errors) {
        if let Some(error) = other.0 {
            self.push(error);
        }
    }

    pub(crate) fn to_compile_error(&self) -> TokenStream {
        self.0.as_ref().map(syn::Error::to_compile_error).unwrap_or_default()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_scope_written_as_its_marker_trait_resolves_to_the_scope() {
        let token = |text: &str| syn::parse_str::<super::ScopeToken>(text).unwrap();
        let read = super::catalogue::position("wallet:accounts:read").unwrap();
        for text in [
            "S: cb_scopes::includes::WalletAccountsRead",
            "::cb_scopes::includes::WalletAccountsRead",
            "includes::WalletAccountsRead",
        ] {
            assert_eq!(token(text).marker_synonym(), Some(read), "{text}");
            assert_eq!(token(text).resolve().unwrap(), read, "{text}");
        }
        assert_eq!(token("wallet:accounts:read").marker_synonym(), None);
        assert_eq!(token("S: cb_scopes::WalletAccountsRead").marker_synonym(), None);
        assert_eq!(token("S: cb_scopes::includes::WalletAccountsReed").marker_synonym(), None);
    }

    use super::*;

    fn parse(source: &str) -> syn::Result<ScopeToken> {
        syn::parse_str(source)
    }

    fn resolve(source: &str) -> Result<&'static str, String> {
        let token = parse(source).map_err(|e| e.to_string())?;
        token.resolve().map(|i| CATALOGUE[i].wire).map_err(|e| e.to_string())
    }

    #[test]
    fn every_catalogue_scope_parses_from_its_own_spelling() {
        for scope in CATALOGUE {
            assert_eq!(resolve(scope.wire), Ok(scope.wire));
        }
    }

    #[test]
    fn hyphens_digits_and_keywords_join_into_one_scope() {
        assert_eq!(
            parse("wallet:payment-methods:read").unwrap().text,
            "wallet:payment-methods:read"
        );
        assert_eq!(
            parse("wallet:transactions:send:bypass-2fa").unwrap().text,
            "wallet:transactions:send:bypass-2fa"
        );
        assert_eq!(parse("r#type:struct:fn").unwrap().text, "type:struct:fn");
    }

    #[test]
    fn typos_get_a_suggestion() {
        let error = resolve("wallet:transactions:sned").unwrap_err();
        assert!(error.contains("did you mean `wallet:transactions:send`"), "{error}");
        let error = resolve("wallet:payment-method:read").unwrap_err();
        assert!(error.contains("did you mean `wallet:payment-methods:read`"), "{error}");
    }

    #[test]
    fn a_partial_scope_gets_a_note_on_the_form() {
        let error = resolve("wallet:accounts").unwrap_err();
        assert!(error.contains("`service:resource:action`"), "{error}");
        assert!(error.contains("wallet:accounts:read, wallet:accounts:update"), "{error}");
    }

    #[test]
    fn junk_is_a_parse_error_not_a_panic() {
        assert!(parse("").is_err());
        let error = parse("\"wallet:accounts:read\"").err().unwrap();
        assert!(error.to_string().contains("without quotes"));
        assert!(parse("wallet:accounts:read()").is_err());
        assert!(parse("wallet.accounts.read").is_err());
        assert!(parse("1.5").is_err());
    }
}
