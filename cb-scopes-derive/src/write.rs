//! The one writer of `#[requires_scope]`: what either reader found, as code.
//!
//! The attribute has two readers and this one writer, as
//! tracing-attributes has (`gen_function`). The fast reader (`fast_path`)
//! reads the common case from the top-level tokens alone; the syn reader
//! (`parse`, `validate`, then `expand::requires_scope`) reads everything
//! else and collects its errors. Both hand this module a [`Plan`] and the
//! function's tokens, so that what the attribute writes (the bounds, the
//! registration for the audit, the warnings) is written in one place.
//!
//! The writer and the fast reader work on the compiler's own `proc_macro`
//! API, not on `proc_macro2`: cargo builds proc macros without
//! optimizations in the dev profile, and every token that goes through
//! `proc_macro2`'s wrappers pays for them unoptimized, while `proc_macro`
//! ships optimized with the compiler (`BENCHMARKS.md` has the figures: the
//! same writer on `proc_macro2` made `cargo check` of the N = 2000 crate
//! about 10 % slower). `proc_macro` cannot run outside a macro, so under
//! `cfg(test)` this same code compiles against `proc_macro2`, whose API
//! mirrors it ([`tokens`]); the syn reader, on `proc_macro2` always,
//! hands its plan over through [`span`], [`stream`] and [`ident`].

#[cfg(not(test))]
pub(crate) use proc_macro as tokens;
#[cfg(test)]
pub(crate) use proc_macro2 as tokens;

use tokens::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

use crate::catalogue::{self, ANY_OF, CATALOGUE};
use crate::krate::RuntimeCrate;

/// A span of the syn reader's, as the writer's.
#[cfg(not(test))]
pub(crate) fn span(span: proc_macro2::Span) -> Span {
    span.unwrap()
}

/// A span of the syn reader's, as the writer's.
#[cfg(test)]
pub(crate) fn span(span: proc_macro2::Span) -> Span {
    span
}

/// Tokens of the syn reader's, as the writer's.
#[allow(
    clippy::useless_conversion,
    reason = "the writer's tokens are `proc_macro2`'s under `cfg(test)`, `proc_macro`'s otherwise"
)]
pub(crate) fn stream(tokens: proc_macro2::TokenStream) -> TokenStream {
    tokens.into()
}

/// An identifier of the syn reader's, raw or not, as the writer's.
pub(crate) fn ident(ident: &proc_macro2::Ident) -> Ident {
    match stream(quote::quote!(#ident)).into_iter().next() {
        Some(TokenTree::Ident(converted)) => converted,
        // An identifier quotes as itself; this keeps its text regardless.
        _ => Ident::new(&ident.to_string(), span(ident.span())),
    }
}

/// What a reader found: everything the writer needs, and nothing it must
/// look up again.
pub(crate) struct Plan {
    /// The set's type parameter, as the user wrote it; `None` when the
    /// reader could not tell it (its error says why), and then no bound is
    /// written.
    pub(crate) param: Option<Ident>,
    /// The scopes, in the order written: each one's catalogue index, and
    /// the spans of its first and last token.
    pub(crate) scopes: Vec<(usize, Span, Span)>,
    /// The choices (`any(..)`), in the order written: each one's index in
    /// `ANY_OF`, and the span of its `any`.
    pub(crate) choices: Vec<(usize, Span)>,
    /// How the function's own `where` clause ends.
    pub(crate) where_clause: WhereClause,
    /// The function's name, which its registration names it by.
    pub(crate) name: Ident,
    /// Statements spliced into the body before it (deprecation warnings),
    /// if any. (`None` rather than an empty stream: on `proc_macro` even
    /// an empty stream is a call into the compiler, and the fast reader
    /// has none for every function.)
    pub(crate) warnings: Option<TokenStream>,
    /// The reader's errors, if any, written after the function, which is
    /// still emitted so that the rest of the crate resolves.
    pub(crate) errors: Option<TokenStream>,
}

/// How the function's own `where` clause ends, which decides what goes
/// before the bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WhereClause {
    /// It has none: the bounds need a `where`.
    Missing,
    /// It is empty or ends with a comma: the bounds follow as they are.
    Open,
    /// It ends with a predicate: the bounds need a comma first.
    Closed,
}

/// The function written back: `head` (everything before the body) as it
/// came, the bounds, `body` (the braces, or the `;` of a trait method)
/// with its registration, and the errors.
pub(crate) fn requires_scope(
    plan: Plan,
    head: impl IntoIterator<Item = TokenTree>,
    body: TokenTree,
) -> TokenStream {
    let runtime = RuntimeCrate::find();
    let mut tokens: Vec<TokenTree> = Vec::with_capacity(4 + plan.scopes.len() * 14);
    tokens.extend(head);
    if let Some(param) = &plan.param
        && !(plan.scopes.is_empty() && plan.choices.is_empty())
    {
        match plan.where_clause {
            WhereClause::Missing => {
                tokens.push(TokenTree::Ident(Ident::new("where", Span::call_site())));
            }
            WhereClause::Open => {}
            WhereClause::Closed => tokens.push(punct(',', Spacing::Alone, Span::call_site())),
        }
        bounds(&runtime, param, &plan, &mut tokens);
    }
    tokens.push(with_registration(&runtime, &plan, body));
    let mut written: TokenStream = tokens.into_iter().collect();
    if let Some(errors) = plan.errors {
        written.extend(errors);
    }
    written
}

/// One predicate on `param`, a bound per choice and then per scope: `S:
/// ::cb_scopes::includes::Marker + ..` (`includes::any::Marker` for a
/// choice). Every token of a bound is spanned at what the user wrote (the
/// marker at the scope's last token), so that rustc's "required by this
/// bound" points at the scope as written. One predicate rather than one
/// per bound: rustc's work grows with the predicates, and at N = 2000 the
/// same bounds as three predicates per function cost 2% more instructions
/// in `cargo check` than as one (`BENCHMARKS.md`).
fn bounds(runtime: &RuntimeCrate, param: &Ident, plan: &Plan, tokens: &mut Vec<TokenTree>) {
    let choices = plan.choices.iter().map(|(choice, any)| (*any, *any, None, *choice));
    let scopes = plan.scopes.iter().map(|(index, first, last)| (*first, *last, Some(*index), 0));
    for (position, (first, last, scope, choice)) in choices.chain(scopes).enumerate() {
        let span = Span::mixed_site().located_at(first);
        if position == 0 {
            let mut param = param.clone();
            param.set_span(span);
            tokens.push(TokenTree::Ident(param));
            tokens.push(punct(':', Spacing::Alone, span));
        } else {
            tokens.push(punct('+', Spacing::Alone, span));
        }
        runtime_path(runtime, tokens, span);
        path_separator(tokens, span);
        tokens.push(TokenTree::Ident(Ident::new("includes", span)));
        path_separator(tokens, span);
        let marker_span = Span::mixed_site().located_at(last);
        let marker = match scope {
            Some(index) => Ident::new(catalogue::rust_name_of(index), marker_span),
            None => {
                tokens.push(TokenTree::Ident(Ident::new("any", span)));
                path_separator(tokens, span);
                Ident::new(&catalogue::any_of_name(choice), marker_span)
            }
        };
        tokens.push(TokenTree::Ident(marker));
    }
}

/// The body with the function's registration for the least-privilege audit
/// as its first statement, a `static` in a link section, so that calling
/// the function runs nothing new, then the warnings. The registration is
/// spliced in only with the `audit` feature (which cb-scopes' own `audit`
/// feature turns on); without it, and without warnings, the body goes
/// through untouched. A trait method without a body registers through its
/// implementations.
fn with_registration(runtime: &RuntimeCrate, plan: &Plan, body: TokenTree) -> TokenTree {
    let audit = cfg!(feature = "audit");
    if !audit && plan.warnings.is_none() {
        return body;
    }
    let TokenTree::Group(block) = &body else { return body };
    if block.delimiter() != Delimiter::Brace {
        return body;
    }
    let mut stream = TokenStream::new();
    if audit {
        stream.extend(registration(runtime, plan));
    }
    if let Some(warnings) = &plan.warnings {
        stream.extend(warnings.clone());
    }
    stream.extend(block.stream());
    let mut registered = Group::new(Delimiter::Brace, stream);
    registered.set_span(block.span());
    TokenTree::Group(registered)
}

/// `::cb_scopes::__private::register!(name, ["wallet:..", "a|b", ..]);`,
/// spanned at the function's name. The macro names the function by its
/// module path and crate itself, so that each function costs the fewest
/// tokens it can; a choice registers as its alternatives joined by `|`,
/// which the audit reads back.
fn registration(runtime: &RuntimeCrate, plan: &Plan) -> Vec<TokenTree> {
    let span = plan.name.span();
    let scopes = plan.scopes.iter().map(|(index, ..)| CATALOGUE[*index].wire.to_owned());
    let choices = plan.choices.iter().map(|(choice, _)| ANY_OF[*choice].join("|"));
    let mut wires = Vec::with_capacity((plan.scopes.len() + plan.choices.len()) * 2);
    for wire in scopes.chain(choices) {
        if !wires.is_empty() {
            wires.push(punct(',', Spacing::Alone, span));
        }
        let mut wire = Literal::string(&wire);
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
        TokenTree::Ident(plan.name.clone()),
        punct(',', Spacing::Alone, span),
        group(Delimiter::Bracket, wires),
    ];
    registration.push(group(Delimiter::Parenthesis, arguments));
    registration.push(punct(';', Spacing::Alone, span));
    registration
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(scopes: &[&str], choices: &[usize], where_clause: WhereClause) -> Plan {
        let site = Span::call_site();
        Plan {
            param: Some(Ident::new("S", site)),
            scopes: scopes
                .iter()
                .map(|wire| (catalogue::position(wire).unwrap(), site, site))
                .collect(),
            choices: choices.iter().map(|choice| (*choice, site)).collect(),
            where_clause,
            name: Ident::new("f", site),
            warnings: None,
            errors: None,
        }
    }

    fn write(plan: Plan, item: &str) -> String {
        let mut tokens: Vec<TokenTree> = item.parse::<TokenStream>().unwrap().into_iter().collect();
        let body = tokens.pop().unwrap();
        requires_scope(plan, tokens, body).to_string()
    }

    #[test]
    fn the_bounds_follow_the_head_as_its_where_clause_ends() {
        let missing =
            write(plan(&["wallet:accounts:read"], &[], WhereClause::Missing), "fn f<S>() {}");
        assert!(
            missing.starts_with(
                "fn f < S > () where S : :: cb_scopes :: includes :: WalletAccountsRead"
            ),
            "{missing}"
        );
        let closed = write(
            plan(&["wallet:user:read"], &[], WhereClause::Closed),
            "fn f<S>() where S: Copy {}",
        );
        assert!(closed.contains("where S : Copy , S : :: cb_scopes"), "{closed}");
        let open = write(
            plan(&["wallet:user:read"], &[], WhereClause::Open),
            "fn f<S>() where S: Copy, {}",
        );
        assert!(open.contains("where S : Copy , S : :: cb_scopes"), "{open}");
        assert!(!open.contains(", ,"), "{open}");
    }

    #[test]
    fn choices_come_before_scopes_in_one_predicate() {
        let written = write(
            plan(&["wallet:user:read", "wallet:accounts:read"], &[0], WhereClause::Missing),
            "fn f<S>() {}",
        );
        let any = written.find("includes :: any ::").unwrap();
        let user = written.find("WalletUserRead").unwrap();
        let accounts = written.find("WalletAccountsRead").unwrap();
        assert!(any < user && user < accounts, "{written}");
        assert_eq!(written.matches(" S : ").count(), 1, "{written}");
        assert_eq!(written.matches(" + :: cb_scopes").count(), 2, "{written}");
    }

    #[test]
    fn without_a_parameter_nothing_is_bound_and_the_errors_follow_the_item() {
        let mut plan = plan(&["wallet:user:read"], &[], WhereClause::Missing);
        plan.param = None;
        plan.errors = Some("compile_error ! (\"no parameter\") ;".parse().unwrap());
        let written = write(plan, "fn f() {}");
        assert!(!written.contains("where"), "{written}");
        assert!(written.ends_with("compile_error ! (\"no parameter\") ;"), "{written}");
    }

    #[test]
    fn a_body_without_braces_is_kept() {
        let mut plan = plan(&["wallet:user:read"], &[], WhereClause::Missing);
        plan.warnings = Some("{ let _ = 1 ; }".parse().unwrap());
        let written = write(plan, "fn f<S>(&self);");
        assert!(written.ends_with("WalletUserRead ;"), "{written}");
    }

    #[test]
    fn warnings_go_first_in_the_body() {
        let mut plan = plan(&["wallet:user:read"], &[], WhereClause::Missing);
        plan.warnings = Some("{ let _ = 1 ; }".parse().unwrap());
        let written = write(plan, "fn f<S>() { 2 }");
        assert!(written.ends_with("{ let _ = 1 ; } 2 }"), "{written}");
    }

    #[test]
    #[cfg(feature = "audit")]
    fn the_registration_is_the_body_s_first_statement() {
        let written =
            write(plan(&["wallet:user:read"], &[0], WhereClause::Missing), "fn f<S>() { 1 }");
        let choice = ANY_OF[0].join("|");
        assert!(
            written.contains(&format!(
                "{{ :: cb_scopes :: __private :: register ! (f , [\"wallet:user:read\" , \"{choice}\"]) ; 1 }}"
            )),
            "{written}"
        );
    }
}
