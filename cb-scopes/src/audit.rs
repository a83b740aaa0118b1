//! Least privilege: the scopes a set declares that no annotated function in
//! the binary needs, and the map of which function needs what.
//!
//! The compiler catches a set that is too small. A set that is too big
//! compiles, yet shows users a scarier consent page and puts more at risk if
//! a token leaks. With the `audit` feature, every `#[requires_scope]`
//! function registers itself in a link-time registry (a `static` in a link
//! section: nothing runs when the function is called). A test then compares
//! the set with what the registered functions need:
//!
//! ```toml
//! [dev-dependencies]
//! cb-scopes = { version = "0.1", features = ["audit"] }
//! ```
//!
//! ```no_run
//! # cb_scopes::scopes! {
//! #     #[send_limit(amount = "50.00", currency = "USD", period = "day")]
//! #     pub struct Payouts(wallet:transactions:send, offline_access);
//! # }
//! #[test]
//! fn the_app_asks_for_nothing_it_does_not_use() {
//!     cb_scopes::assert_least_privilege!(Payouts, allow: {
//!         "offline_access" => "refresh tokens keep payouts running unattended",
//!     });
//! }
//! ```
//!
//! **What it sees.** Only functions linked into the binary that runs the
//! check, and only annotated ones. Put the test in the app's own crate (a
//! unit test, or an integration test that calls into the app) so that the
//! app's functions are linked, and annotate every function that calls the
//! API: a call on a concrete `Client<Payouts>` in an unannotated function is
//! invisible. Functions of the libraries (`cb_client`'s endpoints) register
//! too, but do not count as use: they are listed as the functions that
//! would use an unused scope.
//!
//! Because dev-dependency features are not enabled for normal builds, the
//! registry does not exist in the app's release binary.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use crate::{DeclaredScopes, Scope, ScopeSet};

/// One function annotated with `#[requires_scope]`.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Registration {
    /// Its path: module path and name (a method's path names its module,
    /// not its type).
    pub function: &'static str,
    /// The crate it is in, as `CARGO_CRATE_NAME` spells it.
    pub crate_name: &'static str,
    /// The scopes it requires, as Coinbase spells them; a choice
    /// (`any(a, b)`) is its alternatives joined by `|`: `"a|b"`.
    pub scopes: &'static [&'static str],
    /// The file it is defined in.
    pub file: &'static str,
    /// The line of its name.
    pub line: u32,
}

impl Registration {
    /// The scopes it requires, as a set; choices are not in it (see
    /// [`choices`](Self::choices)).
    pub fn scope_set(&self) -> ScopeSet {
        self.scopes.iter().filter_map(|wire| wire.parse::<Scope>().ok()).collect()
    }

    /// Each choice it requires (`any(a, b)`), as the set of its
    /// alternatives: one of them is enough.
    pub fn choices(&self) -> impl Iterator<Item = ScopeSet> + '_ {
        self.scopes.iter().filter(|wire| wire.contains('|')).map(|wire| {
            wire.split('|').filter_map(|alternative| alternative.parse::<Scope>().ok()).collect()
        })
    }

    /// Every scope it can use: its own and every alternative of its
    /// choices.
    pub fn usable(&self) -> ScopeSet {
        self.choices().fold(self.scope_set(), ScopeSet::union)
    }

    /// Whether it belongs to this project's libraries rather than the app.
    pub fn is_library(&self) -> bool {
        LIBRARY_CRATES.contains(&self.crate_name)
    }
}

/// The crates whose functions do not count as the app's use of a scope.
const LIBRARY_CRATES: &[&str] = &["cb_client", "cb_scopes"];

/// Every function annotated with `#[requires_scope]` in the binary, where
/// the `register!` calls the attribute generates put them.
#[cfg(feature = "audit")]
#[linkme::distributed_slice]
#[doc(hidden)]
pub static REGISTRY: [Registration];

/// Every registered function in the binary, sorted and without duplicates.
/// Empty without the `audit` feature.
pub fn registrations() -> Vec<&'static Registration> {
    #[cfg(feature = "audit")]
    let all: &'static [Registration] = &REGISTRY;
    #[cfg(not(feature = "audit"))]
    let all: &'static [Registration] = &[];
    let unique: BTreeSet<&'static Registration> = all.iter().collect();
    unique.into_iter().collect()
}

/// The scopes of `S` that no function of the app needs.
///
/// # Examples
///
/// ```
/// use cb_scopes::{Scope, scopes};
///
/// scopes! { struct Profile(wallet:user:read, offline_access); }
///
/// let audit = cb_scopes::audit::<Profile>().allow(Scope::OfflineAccess, "refresh tokens");
/// // Without the `audit` feature nothing is registered, and the audit says so.
/// # #[cfg(not(feature = "audit"))]
/// assert!(audit.to_string().contains("no function is registered"));
/// ```
pub fn audit<S: DeclaredScopes>() -> Audit {
    let registry = registrations();
    let app = || registry.iter().filter(|r| !r.is_library());
    let mut used: ScopeSet = app().map(|r| r.scope_set()).fold(ScopeSet::empty(), ScopeSet::union);
    // A choice is met by a scope the app needs anyway, or else by the first
    // alternative the set declares: that one counts as used, and a second
    // alternative that nothing else needs is more than the app needs.
    for choice in app().flat_map(|r| r.choices()) {
        if choice.intersection(used).is_empty()
            && let Some(first) = choice.intersection(S::SCOPES).iter().next()
        {
            used.insert(first);
        }
    }
    Audit {
        declared: S::SCOPES,
        used,
        allowed: Vec::new(),
        registry,
        set: std::any::type_name::<S>(),
    }
}

/// What [`audit`] found.
#[derive(Debug)]
pub struct Audit {
    declared: ScopeSet,
    used: ScopeSet,
    allowed: Vec<(Scope, &'static str)>,
    registry: Vec<&'static Registration>,
    set: &'static str,
}

impl Audit {
    /// Accepts `scope` although no function needs it, for `reason` (such as
    /// `offline_access`, which no endpoint needs but refresh tokens do).
    pub fn allow(mut self, scope: Scope, reason: &'static str) -> Self {
        self.allowed.push((scope, reason));
        self
    }

    /// [`allow`](Self::allow) by the scope's wire name.
    ///
    /// # Panics
    ///
    /// When `scope` is not a scope of the catalogue: an allow-list with a
    /// typo would hide nothing and say nothing.
    pub fn allow_wire(self, scope: &str, reason: &'static str) -> Self {
        match scope.parse::<Scope>() {
            Ok(scope) => self.allow(scope, reason),
            Err(error) => panic!("the least-privilege allow-list names an unknown scope: {error}"),
        }
    }

    /// The declared scopes that no function of the app needs and that are
    /// not allowed.
    pub fn unused(&self) -> ScopeSet {
        let allowed: ScopeSet = self.allowed.iter().map(|(scope, _)| *scope).collect();
        self.declared.difference(self.used).difference(allowed)
    }

    /// Whether the set asks for nothing more than the app needs.
    pub fn is_least_privilege(&self) -> bool {
        !self.registry.is_empty() && self.unused().is_empty()
    }
}

impl fmt::Display for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = self.set.rsplit("::").next().unwrap_or(self.set);
        if self.registry.is_empty() {
            return write!(
                f,
                "no function is registered, so `{set}` cannot be audited: enable the `audit` \
                 feature of cb-scopes (as a dev-dependency) and make sure the app's annotated \
                 functions are linked into this test"
            );
        }
        let unused = self.unused();
        if unused.is_empty() {
            return write!(f, "`{set}` asks for no scope that the app's functions do not need");
        }
        writeln!(
            f,
            "`{set}` asks for {} scope(s) that no function of the app needs:",
            unused.len()
        )?;
        for scope in unused {
            write!(f, "  - {scope}")?;
            let elsewhere: Vec<String> = self
                .registry
                .iter()
                .filter(|r| r.is_library() && r.usable().contains(scope))
                .map(|r| format!("`{}`", r.function))
                .collect();
            if elsewhere.is_empty() {
                writeln!(f)?;
            } else {
                writeln!(
                    f,
                    " (needed by {}, which the app does not reach through an annotated function)",
                    elsewhere.join(", ")
                )?;
            }
        }
        write!(
            f,
            "remove them from `{set}`, or allow each with a reason: \
             assert_least_privilege!({set}, allow: {{ \"scope\" => \"why\" }})"
        )
    }
}

/// Which function needs which scope, and the reverse.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeMap {
    /// Each function's scopes, by function path (for a choice, every
    /// alternative).
    pub by_function: BTreeMap<&'static str, ScopeSet>,
    /// Each scope's functions, in catalogue order.
    pub by_scope: BTreeMap<Scope, Vec<&'static str>>,
}

/// The map of every registered function.
pub fn scope_map() -> ScopeMap {
    let mut map = ScopeMap::default();
    for registration in registrations() {
        let scopes = registration.usable();
        let entry = map.by_function.entry(registration.function).or_default();
        *entry = entry.union(scopes);
        for scope in scopes {
            let functions = map.by_scope.entry(scope).or_default();
            if !functions.contains(&registration.function) {
                functions.push(registration.function);
            }
        }
    }
    for functions in map.by_scope.values_mut() {
        functions.sort_unstable();
    }
    map
}

impl ScopeMap {
    /// Keeps only the functions of the app, leaving out the libraries'.
    pub fn app_only(self) -> ScopeMap {
        let is_app = |function: &&str| {
            !LIBRARY_CRATES.iter().any(|krate| function.starts_with(&format!("{krate}::")))
        };
        let by_function =
            self.by_function.into_iter().filter(|(function, _)| is_app(function)).collect();
        let by_scope = self
            .by_scope
            .into_iter()
            .map(|(scope, functions)| {
                (scope, functions.into_iter().filter(is_app).collect::<Vec<_>>())
            })
            .filter(|(_, functions)| !functions.is_empty())
            .collect();
        ScopeMap { by_function, by_scope }
    }

    /// The map as two Markdown tables, for a pull request or a docs page.
    pub fn to_markdown(&self) -> String {
        let mut markdown = String::from("| function | scopes |\n|---|---|\n");
        for (function, scopes) in &self.by_function {
            let scopes: Vec<String> = scopes.iter().map(|scope| format!("`{scope}`")).collect();
            let _ = writeln!(markdown, "| `{function}` | {} |", scopes.join(", "));
        }
        markdown.push_str("\n| scope | functions |\n|---|---|\n");
        for (scope, functions) in &self.by_scope {
            let functions: Vec<String> =
                functions.iter().map(|function| format!("`{function}`")).collect();
            let _ = writeln!(markdown, "| `{scope}` | {} |", functions.join(", "));
        }
        markdown
    }
}
