//! The fast path of `#[requires_scope]`: the attribute and the function's
//! head read from their top-level tokens only, and the function written
//! back from the tokens it came with.
//!
//! Every token a proc macro reads or writes crosses from the compiler to the
//! macro and back, and most of the attribute's cost was syn walking the
//! signature into a syntax tree and printing it again. The common case
//! (plain scopes, one evident type parameter or an explicit one, nothing to
//! report) needs none of that: the type parameters are the identifiers
//! between the generics' top-level commas, and the head can be written back
//! as it was. Anything else returns `None`, and the syn path (`parse`,
//! `validate`, `expand`) handles it, with its full diagnostics.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

use crate::scope_token::ScopeToken;

/// The attribute's arguments: the explicit parameter, if any, and the
/// scopes, each as the tokens that spell it.
pub(crate) struct Args {
    pub(crate) param: Option<proc_macro2::Ident>,
    pub(crate) scopes: Vec<ScopeToken>,
}

/// A function split at its body.
pub(crate) struct Head {
    /// Every token before the body, as written.
    pub(crate) tokens: TokenStream,
    /// The function's name.
    pub(crate) ident: proc_macro2::Ident,
    /// The generics' type parameters, in order.
    pub(crate) type_params: Vec<proc_macro2::Ident>,
    /// Whether the head has a `where` clause, and whether it is empty or
    /// ends with a comma.
    pub(crate) where_clause: Option<bool>,
    /// The body: a brace group, or the `;` of a trait method.
    pub(crate) body: TokenTree,
}

fn is_punct(token: &TokenTree, c: char) -> bool {
    matches!(token, TokenTree::Punct(punct) if punct.as_char() == c)
}

fn is_ident(token: &TokenTree, word: &str) -> bool {
    matches!(token, TokenTree::Ident(ident) if ident == word)
}

/// The arguments, if each is a plain scope: identifiers, numbers, `:` and
/// `-`, with an optional `S:` in front of the first.
pub(crate) fn args(tokens: TokenStream) -> Option<Args> {
    let mut elements: Vec<Vec<TokenTree>> = vec![Vec::new()];
    for token in tokens {
        if is_punct(&token, ',') {
            elements.push(Vec::new());
        } else {
            elements.last_mut()?.push(token);
        }
    }
    if elements.last().is_some_and(Vec::is_empty) {
        elements.pop();
    }
    let mut param = None;
    if let Some(first) = elements.first_mut()
        && let [TokenTree::Ident(ident), TokenTree::Punct(colon), next, ..] = first.as_slice()
        && colon.as_char() == ':'
        && colon.spacing() == Spacing::Alone
        && !is_punct(next, ':')
    {
        // Type parameters are capitalised, scope services are not.
        let name = ident.to_string();
        if name.trim_start_matches("r#").starts_with(|c: char| c.is_ascii_uppercase()) {
            param = Some(ident.clone());
            first.drain(..2);
        }
    }
    let mut scopes = Vec::with_capacity(elements.len());
    for element in elements {
        let mut text = String::new();
        for token in &element {
            match token {
                TokenTree::Ident(ident) => text.push_str(&ident.to_string()),
                TokenTree::Punct(punct) if matches!(punct.as_char(), ':' | '-') => {
                    text.push(punct.as_char());
                }
                TokenTree::Literal(literal) => {
                    let literal = literal.to_string();
                    if !literal.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    text.push_str(&literal);
                }
                _ => return None,
            }
        }
        // Raw identifiers and a scope written as a trait take the syn path.
        if text.is_empty() || text.contains("r#") || text.contains("::") {
            return None;
        }
        scopes.push(ScopeToken::from_parts(text, element.into_iter().collect()));
    }
    (!scopes.is_empty()).then_some(Args { param, scopes })
}

/// The function's head and body, if its shape is the usual one.
pub(crate) fn head(item: TokenStream) -> Option<Head> {
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let body = match tokens.last()? {
        TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => tokens.pop()?,
        token if is_punct(token, ';') => tokens.pop()?,
        _ => return None,
    };
    let fn_at = tokens.iter().position(|token| is_ident(token, "fn"))?;
    let Some(TokenTree::Ident(ident)) = tokens.get(fn_at + 1) else { return None };
    let ident = ident.clone();
    let mut type_params = Vec::new();
    let mut at = fn_at + 2;
    if tokens.get(at).is_some_and(|token| is_punct(token, '<')) {
        // The generics: up to the matching `>`, an arrow's `>` aside.
        let mut depth = 0usize;
        let mut expect_param = true;
        loop {
            let token = tokens.get(at)?;
            match token {
                TokenTree::Punct(punct) if punct.as_char() == '<' => {
                    depth += 1;
                    expect_param = depth == 1;
                }
                TokenTree::Punct(punct) if punct.as_char() == '>' => {
                    let arrow = at > 0
                        && matches!(&tokens[at - 1], TokenTree::Punct(minus)
                            if minus.as_char() == '-' && minus.spacing() == Spacing::Joint);
                    if !arrow {
                        depth -= 1;
                        if depth == 0 {
                            at += 1;
                            break;
                        }
                    }
                }
                TokenTree::Punct(punct) if punct.as_char() == ',' && depth == 1 => {
                    expect_param = true;
                }
                TokenTree::Punct(punct) if punct.as_char() == '\'' && depth == 1 => {
                    expect_param = false;
                }
                TokenTree::Ident(name) if expect_param && depth == 1 => {
                    if name == "const" {
                        return None;
                    }
                    type_params.push(name.clone());
                    expect_param = false;
                }
                _ if depth == 1 => expect_param = false,
                _ => {}
            }
            at += 1;
        }
    }
    // The parameters, the return type, and a `where` clause if any.
    let where_at = tokens[at..].iter().position(|token| is_ident(token, "where"));
    let where_clause = where_at.map(|offset| {
        let after = &tokens[at + offset + 1..];
        after.last().is_none_or(|last| is_punct(last, ','))
    });
    Some(Head { tokens: tokens.into_iter().collect(), ident, type_params, where_clause, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_of(text: &str) -> Head {
        head(text.parse().unwrap()).unwrap()
    }

    #[test]
    fn type_parameters_are_read_from_the_top_level_of_the_generics() {
        let names = |text: &str| {
            head_of(text).type_params.iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        assert_eq!(names("fn f<S>(g: &Grant<S>) {}"), ["S"]);
        assert_eq!(names("pub async fn f<'a, S: Clone + 'a>(g: &'a S) -> u8 { 1 }"), ["S"]);
        assert_eq!(
            names("fn f<S, F: Fn(u8) -> Vec<u8>, T = ()>(x: F) where S: Copy {}"),
            ["S", "F", "T"]
        );
        assert_eq!(names("#[inline] fn f(&self);"), Vec::<String>::new());
        assert!(head("fn f<const N: usize, S>() {}".parse().unwrap()).is_none());
        assert!(head("struct S;".parse().unwrap()).is_none());
    }

    #[test]
    fn a_where_clause_is_found_with_its_end() {
        assert_eq!(head_of("fn f<S>() {}").where_clause, None);
        assert_eq!(head_of("fn f<S>() where S: Copy {}").where_clause, Some(false));
        assert_eq!(head_of("fn f<S>() where S: Copy, {}").where_clause, Some(true));
        assert_eq!(head_of("fn f<S>() -> Vec<u8> where {}").where_clause, Some(true));
    }

    #[test]
    fn plain_scopes_take_the_fast_path_and_the_rest_do_not() {
        let parsed =
            args("S: wallet:accounts:read, wallet:payment-methods:read".parse().unwrap()).unwrap();
        assert_eq!(parsed.param.unwrap(), "S");
        let texts: Vec<&str> = parsed.scopes.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["wallet:accounts:read", "wallet:payment-methods:read"]);
        assert!(args("wallet:accounts:read,".parse().unwrap()).unwrap().param.is_none());
        let raw = args("r#S: wallet:accounts:read".parse().unwrap()).unwrap();
        assert_eq!(raw.param.unwrap().to_string(), "r#S");
        for slow in ["", "\"wallet:accounts:read\"", "S: cb_scopes::includes::X", "a;b"] {
            assert!(args(slow.parse().unwrap()).is_none(), "{slow}");
        }
    }
}
