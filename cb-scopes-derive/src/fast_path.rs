//! The fast reader of `#[requires_scope]`: the common case, read from the
//! function's top-level tokens.
//!
//! Almost every annotated function is the common case: plain scopes that
//! all resolve, one evident type parameter or an explicit one, nothing to
//! report. For it the attribute reads the function's top-level tokens once,
//! finds the generics' type parameters between their top-level commas and
//! how its `where` clause ends, and hands the writer (`write`) a plan, the
//! head as it came and the body unopened. Anything else gives the tokens
//! back unchanged, for the syn reader (`parse`, `validate`, then
//! `expand::requires_scope`), which reads every case and says what is
//! wrong. Both readers feed the one writer; the unit tests below hold them
//! to the same output wherever both accept an input. Like the writer, it
//! is written on `proc_macro` (on `proc_macro2` under `cfg(test)`; see
//! `write`).

use std::fmt::Write as _;

use crate::write::tokens::{Delimiter, Ident, Spacing, Span, TokenStream, TokenTree};

use crate::catalogue::{self, CATALOGUE};
use crate::write::{Plan, WhereClause};

/// The attribute's plan, the function's head and its body, when the input
/// is the common case; otherwise the attribute's and the item's tokens
/// given back as they came.
pub(crate) fn read(
    args: TokenStream,
    item: TokenStream,
) -> Result<(Plan, Vec<TokenTree>, TokenTree), (TokenStream, TokenStream)> {
    let args: Vec<TokenTree> = args.into_iter().collect();
    let mut item: Vec<TokenTree> = item.into_iter().collect();
    let Some(plan) = plan(&args, &item) else {
        return Err((args.into_iter().collect(), item.into_iter().collect()));
    };
    // The plan found the body last.
    let Some(body) = item.pop() else {
        return Err((args.into_iter().collect(), TokenStream::new()));
    };
    Ok((plan, item, body))
}

/// One scope of the attribute: its catalogue index, and the spans of its
/// first and last token, which the bound it becomes points at.
struct Scope {
    index: usize,
    first: Span,
    last: Span,
}

fn is_punct(token: &TokenTree, c: char) -> bool {
    matches!(token, TokenTree::Punct(punct) if punct.as_char() == c)
}

fn is_ident(token: &TokenTree, word: &str) -> bool {
    matches!(token, TokenTree::Ident(ident) if spelled(ident, word))
}

/// Whether `ident` is spelled `word`: `proc_macro`'s `Ident` can only be
/// compared through its text.
#[allow(clippy::cmp_owned, reason = "proc_macro's Ident has no comparison with str")]
fn spelled(ident: &Ident, word: &str) -> bool {
    ident.to_string() == word
}

fn plan(args: &[TokenTree], item: &[TokenTree]) -> Option<Plan> {
    let (explicit, scopes) = scopes(args)?;
    let (body_at, name_at) = body_and_name(item)?;
    let (type_params, rest) = type_params(item, name_at + 1, body_at)?;
    let param = match explicit {
        Some(param) => param,
        None if type_params.len() == 1 => type_params[0].clone(),
        None => return None,
    };
    let TokenTree::Ident(name) = &item[name_at] else { return None };
    Some(Plan {
        param: Some(param),
        scopes: scopes.iter().map(|scope| (scope.index, scope.first, scope.last)).collect(),
        choices: Vec::new(),
        where_clause: where_clause(&item[rest..body_at]),
        name: name.clone(),
        warnings: None,
        errors: None,
    })
}

/// The attribute's arguments, if each is a plain scope of the catalogue,
/// not deprecated and not repeated: identifiers, numbers, `:` and `-`,
/// with an optional `S:` in front of the first.
fn scopes(args: &[TokenTree]) -> Option<(Option<Ident>, Vec<Scope>)> {
    let mut explicit = None;
    let mut at = 0;
    // `S:` (one colon, a capitalised name): the set's parameter, named.
    if let [TokenTree::Ident(ident), TokenTree::Punct(colon), next, ..] = args
        && colon.as_char() == ':'
        && colon.spacing() == Spacing::Alone
        && !is_punct(next, ':')
        && ident.to_string().trim_start_matches("r#").starts_with(|c: char| c.is_ascii_uppercase())
    {
        explicit = Some(ident.clone());
        at = 2;
    }
    let mut scopes: Vec<Scope> = Vec::new();
    let mut text = String::with_capacity(48);
    while at < args.len() {
        let start = at;
        text.clear();
        while at < args.len() && !is_punct(&args[at], ',') {
            // Each token's text is written straight into the scope's (an
            // identifier's through `Display`: `proc_macro` offers no other
            // way to read it). A raw identifier or a scope written as a
            // trait (`a::B`) matches no scope of the catalogue, so it takes
            // the syn path, which warns or says what is wrong.
            match &args[at] {
                TokenTree::Ident(ident) => write!(text, "{ident}").ok()?,
                TokenTree::Punct(punct) if matches!(punct.as_char(), ':' | '-') => {
                    text.push(punct.as_char());
                }
                TokenTree::Literal(literal) => {
                    let before = text.len();
                    write!(text, "{literal}").ok()?;
                    if !text.as_bytes()[before..].iter().all(u8::is_ascii_digit) {
                        return None;
                    }
                }
                _ => return None,
            }
            at += 1;
        }
        // An empty scope takes the syn path too.
        if at == start {
            return None;
        }
        let index = catalogue::position(&text)?;
        if CATALOGUE[index].deprecated || scopes.iter().any(|seen| seen.index == index) {
            return None;
        }
        scopes.push(Scope { index, first: args[start].span(), last: args[at - 1].span() });
        at += 1; // the comma
    }
    (!scopes.is_empty()).then_some((explicit, scopes))
}

/// Where the body and the function's name are, if the item is a function.
fn body_and_name(item: &[TokenTree]) -> Option<(usize, usize)> {
    let body_at = item.len().checked_sub(1)?;
    match &item[body_at] {
        TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {}
        token if is_punct(token, ';') => {}
        _ => return None,
    }
    let fn_at = item[..body_at].iter().position(|token| is_ident(token, "fn"))?;
    matches!(item.get(fn_at + 1), Some(TokenTree::Ident(_))).then_some((body_at, fn_at + 1))
}

/// The generics' type parameters, if the generics start at `at`, and where
/// the tokens after them start: up to the matching `>`, an arrow's `>`
/// aside. Const generics take the syn path.
fn type_params(item: &[TokenTree], mut at: usize, end: usize) -> Option<(Vec<Ident>, usize)> {
    let mut params = Vec::new();
    if !item.get(at).is_some_and(|token| is_punct(token, '<')) {
        return Some((params, at));
    }
    let mut depth = 0usize;
    let mut expect_param = true;
    loop {
        if at >= end {
            return None;
        }
        match &item[at] {
            TokenTree::Punct(punct) if punct.as_char() == '<' => {
                depth += 1;
                expect_param = depth == 1;
            }
            TokenTree::Punct(punct) if punct.as_char() == '>' => {
                let arrow = matches!(&item[at - 1], TokenTree::Punct(minus)
                    if minus.as_char() == '-' && minus.spacing() == Spacing::Joint);
                if !arrow {
                    depth -= 1;
                    if depth == 0 {
                        return Some((params, at + 1));
                    }
                }
            }
            TokenTree::Punct(punct) if punct.as_char() == ',' && depth == 1 => expect_param = true,
            TokenTree::Punct(punct) if punct.as_char() == '\'' && depth == 1 => {
                expect_param = false;
            }
            TokenTree::Ident(name) if expect_param && depth == 1 => {
                if spelled(name, "const") {
                    return None;
                }
                params.push(name.clone());
                expect_param = false;
            }
            _ if depth == 1 => expect_param = false,
            _ => {}
        }
        at += 1;
    }
}

/// How the `where` clause after the parameters and return type ends, if
/// there is one.
fn where_clause(after_generics: &[TokenTree]) -> WhereClause {
    let Some(at) = after_generics.iter().position(|token| is_ident(token, "where")) else {
        return WhereClause::Missing;
    };
    match after_generics[at + 1..].last() {
        Some(last) if !is_punct(last, ',') => WhereClause::Closed,
        _ => WhereClause::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the attribute writes for the input, when this reader takes it.
    fn written(args: &str, item: &str) -> Option<TokenStream> {
        let (plan, head, body) = read(args.parse().unwrap(), item.parse().unwrap()).ok()?;
        Some(crate::write::requires_scope(plan, head, body))
    }

    fn expand(args: &str, item: &str) -> Option<String> {
        written(args, item).map(|tokens| tokens.to_string())
    }

    fn params(item: &str) -> Option<Vec<String>> {
        let tokens: Vec<TokenTree> = item.parse::<TokenStream>().unwrap().into_iter().collect();
        let (body_at, name_at) = body_and_name(&tokens)?;
        let (params, _) = type_params(&tokens, name_at + 1, body_at)?;
        Some(params.iter().map(ToString::to_string).collect())
    }

    fn where_of(item: &str) -> WhereClause {
        let tokens: Vec<TokenTree> = item.parse::<TokenStream>().unwrap().into_iter().collect();
        let (body_at, name_at) = body_and_name(&tokens).unwrap();
        let (_, rest) = type_params(&tokens, name_at + 1, body_at).unwrap();
        where_clause(&tokens[rest..body_at])
    }

    #[test]
    fn type_parameters_are_read_from_the_top_level_of_the_generics() {
        assert_eq!(params("fn f<S>(g: &Grant<S>) {}").unwrap(), ["S"]);
        assert_eq!(
            params("pub async fn f<'a, S: Clone + 'a>(g: &'a S) -> u8 { 1 }").unwrap(),
            ["S"]
        );
        assert_eq!(
            params("fn f<S, F: Fn(u8) -> Vec<u8>, T = ()>(x: F) where S: Copy {}").unwrap(),
            ["S", "F", "T"]
        );
        assert_eq!(params("#[inline] fn f(&self);").unwrap(), Vec::<String>::new());
        assert!(params("fn f<const N: usize, S>() {}").is_none());
        assert!(params("fn f<S() {}").is_none());
        assert!(params("struct S;").is_none());
    }

    #[test]
    fn a_where_clause_is_found_with_its_end() {
        assert_eq!(where_of("fn f<S>() {}"), WhereClause::Missing);
        assert_eq!(where_of("fn f<S>() where S: Copy {}"), WhereClause::Closed);
        assert_eq!(where_of("fn f<S>() where S: Copy, {}"), WhereClause::Open);
        assert_eq!(where_of("fn f<S>() -> Vec<u8> where {}"), WhereClause::Open);
    }

    #[test]
    fn the_function_is_written_back_with_the_bounds_after_its_head() {
        let plain = expand("wallet:accounts:read", "fn f<S>(g: &Grant<S>) -> u8 { 1 }").unwrap();
        let expected = "fn f < S > (g : & Grant < S >) -> u8 where S : :: cb_scopes :: includes :: WalletAccountsRead";
        assert!(plain.starts_with(expected), "{plain}");
        let two =
            expand("wallet:accounts:read, wallet:payment-methods:read", "fn f<S>() {}").unwrap();
        assert!(two.contains("WalletAccountsRead + :: cb_scopes"), "{two}");
        assert!(two.contains("includes :: WalletPaymentMethodsRead"), "{two}");
        let with_own = expand("S: wallet:user:read", "fn f<S, T>() where T: Copy {}").unwrap();
        assert!(with_own.contains("where T : Copy , S :"), "{with_own}");
        let trailing = expand("wallet:user:read", "fn f<S>() where S: Copy, {}").unwrap();
        assert!(trailing.contains("where S : Copy , S : :: cb_scopes"), "{trailing}");
        let raw = expand("wallet:accounts:read", "fn f<r#S>(g: &Grant<r#S>) {}").unwrap();
        assert!(raw.contains("where r#S :"), "{raw}");
        let method = expand("wallet:user:read", "fn f(&self) -> u8;");
        assert!(method.is_none(), "no type parameter: the syn path says so");
    }

    /// The two readers plan alike for every input both take: the writer
    /// is shared, so this holds them to the same output, token by token.
    /// (The property test in `expand` does the same on random inputs.)
    #[test]
    fn the_two_readers_agree_where_both_read() {
        for (args, item) in [
            ("wallet:accounts:read", "fn f<S>(g: &Grant<S>) -> u8 { 1 }"),
            ("wallet:accounts:read, wallet:transactions:send", "pub async fn f<S>() {}"),
            ("S: wallet:user:read", "fn f<S, T>() where T: Copy {}"),
            ("wallet:user:read", "fn f<S>() where S: Copy, {}"),
            ("wallet:user:read", "#[inline] fn f<'a, S: Clone + 'a>(&self) -> Vec<u8>;"),
            ("wallet:payment-methods:limits,", "fn f<r#S>(g: &Grant<r#S>) {}"),
        ] {
            let fast = written(args, item).unwrap();
            let slow = crate::expand::requires_scope(
                syn::parse_str(args).unwrap(),
                syn::parse_str(item).unwrap(),
            );
            assert_eq!(
                crate::expand::tokens(fast),
                crate::expand::tokens(slow),
                "#[requires_scope({args})] {item}"
            );
        }
    }

    #[test]
    fn anything_unusual_is_given_back_for_the_syn_path() {
        for (args, item) in [
            ("wallet:accounts:reed", "fn f<S>() {}"),
            ("wallet:user:read, wallet:user:read", "fn f<S>() {}"),
            ("wallet:user:read", "fn f<S, T>() {}"),
            ("wallet:transactions:send:bypass-2fa", "fn f<S>() {}"),
            ("S: cb_scopes::includes::WalletUserRead", "fn f<S>() {}"),
            ("r#wallet:user:read", "fn f<S>() {}"),
            ("wallet::user:read", "fn f<S>() {}"),
            ("\"wallet:user:read\"", "fn f<S>() {}"),
            ("wallet:user:read,,", "fn f<S>() {}"),
            ("", "fn f<S>() {}"),
            ("wallet:user:read", "struct S;"),
        ] {
            let Err((given_args, given_item)) = read(args.parse().unwrap(), item.parse().unwrap())
            else {
                panic!("the fast reader took #[requires_scope({args})] {item}");
            };
            assert_eq!(given_args.to_string(), args.parse::<TokenStream>().unwrap().to_string());
            assert_eq!(given_item.to_string(), item.parse::<TokenStream>().unwrap().to_string());
        }
    }

    #[test]
    fn an_explicit_parameter_is_read_and_scopes_are_not_taken_for_one() {
        let explicit = expand("T: wallet:user:read", "fn f<S, T>() {}").unwrap();
        assert!(explicit.contains("where T :"), "{explicit}");
        // `wallet:` is a scope's service, not a parameter.
        assert!(expand("wallet:user:read", "fn f<S>() {}").unwrap().contains("where S :"));
    }
}
