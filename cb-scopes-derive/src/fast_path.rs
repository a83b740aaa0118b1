//! The fast path of `#[requires_scope]`, written against the compiler's own
//! `proc_macro` API.
//!
//! Almost every annotated function is the common case: plain scopes that
//! all resolve, one evident type parameter or an explicit one, nothing to
//! report. For it the attribute reads the function's top-level tokens once,
//! finds the generics' type parameters between their top-level commas,
//! writes the bounds, and hands the function back as it came with the
//! bounds after its head; the body is never opened. Anything else returns
//! the tokens unchanged, and the syn path (`parse`, `validate`, `expand`)
//! handles it with its full diagnostics.
//!
//! Why `proc_macro` and not `proc_macro2`: cargo builds proc macros without
//! optimizations in the dev profile, and every token that went through
//! `proc_macro2` and `quote` paid for their unoptimized wrappers, while
//! `proc_macro` ships optimized with the compiler. Tests cannot call
//! `proc_macro` outside a macro, so under `cfg(test)` the same code runs on
//! `proc_macro2`, whose API mirrors it.

#[cfg(not(test))]
use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
#[cfg(test)]
use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

use crate::catalogue::{self, CATALOGUE};
use crate::krate::RuntimeCrate;

/// The attribute on the fast path: the function with its bounds, or, when
/// the input needs the syn path, the attribute's and the item's tokens
/// given back as they came.
pub(crate) fn requires_scope(
    args: TokenStream,
    item: TokenStream,
) -> Result<TokenStream, (TokenStream, TokenStream)> {
    let args: Vec<TokenTree> = args.into_iter().collect();
    let item: Vec<TokenTree> = item.into_iter().collect();
    match plan(&args, &item) {
        Some(plan) => Ok(write(plan, item)),
        None => Err((args.into_iter().collect(), item.into_iter().collect())),
    }
}

/// What the expansion needs to know, read from the input without changing
/// it.
struct Plan {
    /// The set's type parameter, as the user wrote it.
    param: Ident,
    /// The scopes, in the order written.
    scopes: Vec<Scope>,
    /// Where the function's name is.
    name_at: usize,
    /// Whether the head has a `where` clause, and whether it is empty or
    /// ends with a comma.
    where_clause: Option<bool>,
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
    let where_clause = where_clause(&item[rest..body_at]);
    Some(Plan { param, scopes, name_at, where_clause })
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
    let mut text = String::new();
    while at < args.len() {
        let start = at;
        text.clear();
        while at < args.len() && !is_punct(&args[at], ',') {
            match &args[at] {
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
            at += 1;
        }
        // An empty scope, a raw identifier or a scope written as a trait
        // takes the syn path, which says what is wrong or warns.
        if at == start || text.contains("r#") || text.contains("::") {
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

/// Whether the parameters and return type are followed by a `where`
/// clause, and if so whether it is empty or ends with a comma.
fn where_clause(after_generics: &[TokenTree]) -> Option<bool> {
    let at = after_generics.iter().position(|token| is_ident(token, "where"))?;
    Some(after_generics[at + 1..].last().is_none_or(|last| is_punct(last, ',')))
}

fn punct(c: char, spacing: Spacing, span: Span) -> TokenTree {
    let mut punct = Punct::new(c, spacing);
    punct.set_span(span);
    TokenTree::Punct(punct)
}

/// `a::b` separators: `::`, spanned.
fn path_separator(tokens: &mut Vec<TokenTree>, span: Span) {
    tokens.push(punct(':', Spacing::Joint, span));
    tokens.push(punct(':', Spacing::Alone, span));
}

/// The runtime crate's path (`::cb_scopes`, or through cb-client), spanned.
fn runtime_path(runtime: &RuntimeCrate, tokens: &mut Vec<TokenTree>, span: Span) {
    path_separator(tokens, span);
    match runtime {
        RuntimeCrate::Direct(name) => tokens.push(TokenTree::Ident(Ident::new(name, span))),
        RuntimeCrate::ThroughClient(client) => {
            tokens.push(TokenTree::Ident(Ident::new(client, span)));
            path_separator(tokens, span);
            tokens.push(TokenTree::Ident(Ident::new("cb_scopes", span)));
        }
    }
}

/// The function written back: its head as it came, the bounds (one
/// predicate per scope, `S: ::cb_scopes::includes::Marker`), and its body.
fn write(plan: Plan, mut item: Vec<TokenTree>) -> TokenStream {
    let runtime = RuntimeCrate::find();
    // The plan found the body last and the name before it.
    let Some(body) = item.pop() else { return TokenStream::new() };
    let mut tokens = item;
    tokens.reserve(2 + plan.scopes.len() * 14);
    match plan.where_clause {
        None => tokens.push(TokenTree::Ident(Ident::new("where", Span::call_site()))),
        Some(true) => {}
        Some(false) => tokens.push(punct(',', Spacing::Alone, Span::call_site())),
    }
    for (position, scope) in plan.scopes.iter().enumerate() {
        if position > 0 {
            tokens.push(punct(',', Spacing::Alone, Span::call_site()));
        }
        // The predicate runs from the parameter to the marker, both at the
        // user's scope, so that rustc's "required by this bound" points at
        // the scope as written.
        let span = Span::mixed_site().located_at(scope.first);
        let mut param = plan.param.clone();
        param.set_span(span);
        tokens.push(TokenTree::Ident(param));
        tokens.push(punct(':', Spacing::Alone, span));
        runtime_path(&runtime, &mut tokens, span);
        path_separator(&mut tokens, span);
        tokens.push(TokenTree::Ident(Ident::new("includes", span)));
        path_separator(&mut tokens, span);
        let marker = catalogue::rust_name_of(scope.index);
        let marker_span = Span::mixed_site().located_at(scope.last);
        tokens.push(TokenTree::Ident(Ident::new(marker, marker_span)));
    }
    let body = match &tokens[plan.name_at] {
        TokenTree::Ident(name) => with_registration(&runtime, name, &plan.scopes, body),
        _ => body,
    };
    tokens.push(body);
    tokens.into_iter().collect()
}

/// The body with the function's registration for the least-privilege audit
/// as its first statement: a `static` in a link section, so calling the
/// function runs nothing new. It is spliced in only with the `audit`
/// feature (which cb-scopes' own `audit` feature turns on); without it the
/// body goes through untouched. A trait method without a body registers
/// through its implementations.
fn with_registration(
    runtime: &RuntimeCrate,
    name: &Ident,
    scopes: &[Scope],
    body: TokenTree,
) -> TokenTree {
    let TokenTree::Group(block) = &body else { return body };
    if !cfg!(feature = "audit") || block.delimiter() != Delimiter::Brace {
        return body;
    }
    // `::cb_scopes::__private::register!(name, ["wallet:..", ..]);`, which
    // names the function by its module path and crate itself, so that each
    // function costs the fewest tokens it can.
    let span = name.span();
    let mut wires = Vec::with_capacity(scopes.len() * 2);
    for scope in scopes {
        if !wires.is_empty() {
            wires.push(punct(',', Spacing::Alone, span));
        }
        let mut wire = Literal::string(CATALOGUE[scope.index].wire);
        wire.set_span(span);
        wires.push(TokenTree::Literal(wire));
    }
    let group = |delimiter, tokens: Vec<TokenTree>| {
        let mut group = Group::new(delimiter, tokens.into_iter().collect());
        group.set_span(span);
        TokenTree::Group(group)
    };
    let mut registration = Vec::with_capacity(16);
    runtime_path(runtime, &mut registration, span);
    path_separator(&mut registration, span);
    registration.push(TokenTree::Ident(Ident::new("__private", span)));
    path_separator(&mut registration, span);
    registration.push(TokenTree::Ident(Ident::new("register", span)));
    registration.push(punct('!', Spacing::Alone, span));
    let arguments = vec![
        TokenTree::Ident(name.clone()),
        punct(',', Spacing::Alone, span),
        group(Delimiter::Bracket, wires),
    ];
    registration.push(group(Delimiter::Parenthesis, arguments));
    registration.push(punct(';', Spacing::Alone, span));
    let mut stream: TokenStream = registration.into_iter().collect();
    stream.extend(block.stream());
    let mut registered = Group::new(Delimiter::Brace, stream);
    registered.set_span(block.span());
    TokenTree::Group(registered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(args: &str, item: &str) -> Option<String> {
        requires_scope(args.parse().unwrap(), item.parse().unwrap())
            .ok()
            .map(|tokens| tokens.to_string())
    }

    fn params(item: &str) -> Option<Vec<String>> {
        let tokens: Vec<TokenTree> = item.parse::<TokenStream>().unwrap().into_iter().collect();
        let (body_at, name_at) = body_and_name(&tokens)?;
        let (params, _) = type_params(&tokens, name_at + 1, body_at)?;
        Some(params.iter().map(ToString::to_string).collect())
    }

    fn where_of(item: &str) -> Option<bool> {
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
        assert_eq!(where_of("fn f<S>() {}"), None);
        assert_eq!(where_of("fn f<S>() where S: Copy {}"), Some(false));
        assert_eq!(where_of("fn f<S>() where S: Copy, {}"), Some(true));
        assert_eq!(where_of("fn f<S>() -> Vec<u8> where {}"), Some(true));
    }

    #[test]
    fn the_function_is_written_back_with_the_bounds_after_its_head() {
        let plain = expand("wallet:accounts:read", "fn f<S>(g: &Grant<S>) -> u8 { 1 }").unwrap();
        let expected = "fn f < S > (g : & Grant < S >) -> u8 where S : :: cb_scopes :: includes :: WalletAccountsRead";
        assert!(plain.starts_with(expected), "{plain}");
        let two =
            expand("wallet:accounts:read, wallet:payment-methods:read", "fn f<S>() {}").unwrap();
        assert!(two.contains("WalletAccountsRead , S : :: cb_scopes"), "{two}");
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

    /// The fast path and the syn path write the same bounds and the same
    /// registration by separate code (the one on `proc_macro`, the other on
    /// `proc_macro2`): for every input both take, they must agree.
    #[test]
    fn the_fast_path_writes_what_the_syn_path_writes() {
        for (args, item) in [
            ("wallet:accounts:read", "fn f<S>(g: &Grant<S>) -> u8 { 1 }"),
            ("wallet:accounts:read, wallet:transactions:send", "pub async fn f<S>() {}"),
            ("S: wallet:user:read", "fn f<S, T>() where T: Copy {}"),
            ("wallet:user:read", "fn f<S>() where S: Copy, {}"),
            ("wallet:user:read", "#[inline] fn f<'a, S: Clone + 'a>(&self) -> Vec<u8>;"),
            ("wallet:payment-methods:limits,", "fn f<r#S>(g: &Grant<r#S>) {}"),
        ] {
            let fast = requires_scope(args.parse().unwrap(), item.parse().unwrap()).unwrap();
            let slow = crate::expand::requires_scope(
                syn::parse_str(args).unwrap(),
                syn::parse_str(item).unwrap(),
            );
            // Token by token: the fast path keeps the spacing of the
            // puncts it was given, which only changes how they print.
            assert_eq!(tokens(fast), tokens(slow), "#[requires_scope({args})] {item}");
        }
    }

    /// Every token, groups opened, as text.
    fn tokens(stream: TokenStream) -> Vec<String> {
        let mut texts = Vec::new();
        for token in stream {
            match token {
                TokenTree::Group(group) => {
                    texts.push(format!("{:?}", group.delimiter()));
                    texts.extend(tokens(group.stream()));
                    texts.push("end".to_owned());
                }
                TokenTree::Punct(punct) => texts.push(punct.as_char().to_string()),
                other => texts.push(other.to_string()),
            }
        }
        texts
    }

    #[test]
    fn anything_unusual_is_given_back_for_the_syn_path() {
        for (args, item) in [
            ("wallet:accounts:reed", "fn f<S>() {}"),
            ("wallet:user:read, wallet:user:read", "fn f<S>() {}"),
            ("wallet:user:read", "fn f<S, T>() {}"),
            ("wallet:transactions:send:bypass-2fa", "fn f<S>() {}"),
            ("S: cb_scopes::includes::WalletUserRead", "fn f<S>() {}"),
            ("\"wallet:user:read\"", "fn f<S>() {}"),
            ("wallet:user:read,,", "fn f<S>() {}"),
            ("", "fn f<S>() {}"),
            ("wallet:user:read", "struct S;"),
        ] {
            let (given_args, given_item) =
                requires_scope(args.parse().unwrap(), item.parse().unwrap()).unwrap_err();
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

    #[test]
    #[cfg(feature = "audit")]
    fn the_registration_is_the_body_s_first_statement() {
        let expanded = expand("wallet:user:read", "fn f<S>() { 1 }").unwrap();
        assert!(
            expanded.contains(
                "{ :: cb_scopes :: __private :: register ! (f , [\"wallet:user:read\"]) ; 1 }"
            ),
            "{expanded}"
        );
    }
}
