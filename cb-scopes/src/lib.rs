//! Coinbase OAuth2 scopes as a compile-time fact.
//!
//! An app that talks to Coinbase on its users' behalf asks them for a set of
//! scopes, and every endpoint it calls needs one of them. Hand-kept, the two
//! drift apart: a new call needs a scope nobody added to the authorize URL, and
//! the mistake shows up as a 403 in production. This crate makes the set a
//! type and the requirement a bound, so the drift is a compile error.
//!
//! - [`scopes!`] declares a set. A named set is a zero-sized struct and can
//!   carry the send limit that Coinbase requires with
//!   `wallet:transactions:send`; an anonymous set is written inline as a type.
//! - [`#[requires_scope]`](macro@requires_scope) on a function generic over the
//!   set adds one `where` bound per scope, from the per-scope marker traits in
//!   [`includes`]. It adds nothing else: no run-time code, no wrapper. Because
//!   bounds compose, a requirement three calls deep surfaces at the top, and
//!   `cargo check` reports a missing scope at the call that needs it.
//! - [`Grant<S>`] is the border. Users can untick scopes on the consent
//!   screen, so a typed grant exists only once what Coinbase granted was
//!   checked to cover `S`. After that the compiler checks everything.
//! - [`Scope`] and [`ScopeSet`] are the run-time side: the catalogue as an
//!   enum, and a bitset that parses what Coinbase sends back.
//! - [`AuthorizeUrl<S>`](AuthorizeUrl) writes the URL that sends a user to
//!   Coinbase from the set itself: its scopes, its send limit, a fresh
//!   `state` and a PKCE S256 challenge. The [`PendingAuthorization`] it
//!   returns checks the browser's return and yields the
//!   [`AuthorizationCode`] the token exchange needs. None of this does HTTP.
//!
//! ```
//! use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};
//!
//! scopes! {
//!     /// What the payouts service asks its users for.
//!     #[send_limit(amount = "50.00", currency = "USD", period = "day")]
//!     pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
//! }
//!
//! #[requires_scope(wallet:accounts:read)]
//! fn balances<S>(grant: &Grant<S>) { /* GET /v2/accounts */ }
//!
//! #[requires_scope(wallet:accounts:read, wallet:transactions:send)]
//! fn pay_out<S>(grant: &Grant<S>) {
//!     balances(grant); // fine: the bound on `S` includes `wallet:accounts:read`
//!     /* POST /v2/accounts/:id/transactions */
//! }
//!
//! let granted: ScopeSet = "wallet:accounts:read,wallet:transactions:send".parse()?;
//! let grant = Grant::<Payouts>::check(granted)?;
//! pay_out(&grant);
//! assert_eq!(ScopeSet::of::<Payouts>().to_string(), granted.to_string());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The catalogue is one table in `cb-scopes-derive`; the enum, the marker
//! traits and the canonical set type here are generated from it, so there is
//! no second list to keep in step.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Generated code names this crate `::cb_scopes`, including in its own tests.
#[allow(unused_extern_crates)]
extern crate self as cb_scopes;

/// The guide: the longer walk-throughs, whose examples are doctests.
#[doc = include_str!("docs/guide.md")]
pub mod guide {}

pub mod audit;
mod authorize;
mod callback;
mod declared;
mod grant;
pub mod includes;
mod pending;
mod pkce;
mod scope;
mod scope_set;
mod send_limit;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use audit::{audit, scope_map};
pub use authorize::{Account, AuthorizeUrl, AuthorizeUrlError, COINBASE_AUTHORIZE_ENDPOINT};
pub use callback::{AuthorizationCode, CallbackError};
pub use declared::{DeclaredScopes, SubsetOf};
pub use grant::{Grant, ScopesNotGranted};
pub use pending::PendingAuthorization;
pub use pkce::RandomnessUnavailable;
pub use scope::{ParseScopeError, Scope};
pub use scope_set::{Iter, ScopeSet};
pub use send_limit::{CurrencyCode, InvalidSendLimit, SendLimit, SendLimitPeriod};

/// The secret-string type of [`AuthorizationCode`]'s accessors, re-exported
/// so that callers use the same version.
pub use secrecy::{ExposeSecret, SecretString};

/// Declares scope sets the compiler can reason about.
///
/// **Named sets**, one or more per invocation, become zero-sized structs that
/// keep their doc comments, attributes and visibility. A set with
/// `wallet:transactions:send` must declare its send limit, which the authorize
/// URL sends to Coinbase:
///
/// ```
/// use cb_scopes::{DeclaredScopes, ScopeSet, scopes};
///
/// scopes! {
///     /// Pays creators.
///     #[send_limit(amount = "50.00", currency = "USD", period = "day")]
///     pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
///
///     pub struct Reader(wallet:accounts:read, wallet:transactions:read);
/// }
///
/// assert_eq!(
///     ScopeSet::of::<Payouts>().to_string(),
///     "wallet:accounts:read,wallet:transactions:send"
/// );
/// assert!(Reader::SEND_LIMIT.is_none());
/// assert_eq!(std::mem::size_of::<Payouts>(), 0);
/// ```
///
/// **Anonymous sets** are written in type position. Order does not matter:
/// the same members in any order are the same type.
///
/// ```
/// use cb_scopes::scopes;
///
/// type ReadOnly = scopes!(wallet:accounts:read, wallet:transactions:read);
/// let same: scopes!(wallet:transactions:read, wallet:accounts:read) = ReadOnly::default();
/// # let _ = same;
/// ```
///
/// An anonymous set cannot carry a send limit, so it cannot hold
/// `wallet:transactions:send`. Give it a name with `type` before using it
/// inside other types: it expands to a type with one slot per catalogue
/// scope, which clippy's `type_complexity` lint counts, and a named set also
/// reads better in error messages.
///
/// **Checked at compile time:** every scope exists (a typo gets a "did you
/// mean"), none is listed twice, `wallet:transactions:send` comes with
/// `#[send_limit]` and `#[send_limit]` only with it. The limit's `amount` is a
/// decimal greater than zero with at most two decimals, its `currency` an
/// active ISO 4217 fiat code, and its `period` one of `day`, `month` or
/// `year`. Asking for the deprecated `wallet:transactions:send:bypass-2fa`
/// warns.
///
/// Named sets derive `Clone`, `Copy`, `Debug`, `Default`, `PartialEq`, `Eq`,
/// `Hash`, `PartialOrd` and `Ord`; do not derive them again.
pub use cb_scopes_derive::scopes;

/// Requires scopes of the scope set a function is generic over.
///
/// The attribute adds one `where` bound per scope on the set's type
/// parameter, and changes nothing else: the body is untouched and nothing
/// runs. It works on free functions, `async fn`, inherent methods, and trait
/// methods and their impls.
///
/// ```
/// use cb_scopes::{Grant, requires_scope};
///
/// #[requires_scope(wallet:accounts:read)]
/// async fn accounts<S>(grant: &Grant<S>) { /* ... */ }
///
/// struct Payer;
///
/// impl Payer {
///     #[requires_scope(wallet:accounts:read, wallet:transactions:send)]
///     async fn pay<S>(&self, grant: &Grant<S>) {
///         accounts(grant).await;
///     }
/// }
///
/// trait Ledger<S> {
///     // The set is a parameter of the trait, so name it.
///     #[requires_scope(S: wallet:transactions:read)]
///     fn history(&self, grant: &Grant<S>);
/// }
/// ```
///
/// **Which parameter.** With `S: ..` first, the bounds go on `S`; write it
/// this way when the set's parameter belongs to the `impl` or the trait.
/// Otherwise the function's only generic type parameter is the set, and a
/// function with none or several is a compile error asking for the explicit
/// form.
///
/// **What the compiler checks.** Calling the function with a grant whose set
/// lacks a scope fails with ``missing OAuth scope `wallet:transactions:send` ``
/// at the call. Inside an annotated function, calling another one whose
/// scopes were not declared fails the same way, at that inner call; so a
/// requirement three calls deep surfaces at the top. A helper that is
/// generic over the set but not annotated writes the bounds by hand, from
/// [`includes`]: `where S: cb_scopes::includes::WalletAccountsRead`.
///
/// **A choice of scopes.** Some endpoints accept a token with any one of
/// several scopes: Advanced Trade's `POST /orders/close_position` takes
/// `wallet:buys:create` or `wallet:transactions:read`. Write the choice as
/// `any(..)`, alone or beside other scopes:
///
/// ```
/// use cb_scopes::{Grant, requires_scope, scopes};
///
/// #[requires_scope(any(wallet:buys:create, wallet:transactions:read))]
/// fn close_position<S>(grant: &Grant<S>) { /* ... */ }
///
/// scopes! { struct History(wallet:transactions:read); }
/// # let granted = "wallet:transactions:read".parse().unwrap();
/// # let grant = Grant::<History>::check(granted).unwrap();
/// close_position(&grant);
/// ```
///
/// A set with neither alternative fails with one message naming both:
/// ``missing OAuth scope: needs one of `wallet:buys:create`,
/// `wallet:transactions:read` ``. The choices are those Coinbase documents
/// (each has a marker trait in [`includes::any`], whose message names every
/// alternative); any other `any(..)` is a compile error listing them. In a
/// function generic over the set, requiring the first alternative (in
/// catalogue order) is enough to call a choice; requiring a later one is
/// not, so write the `any(..)` there too. The least-privilege
/// [`audit`](mod@audit) counts one alternative a set declares as used, and
/// reports a second that nothing else needs.
///
/// **rustc's advice.** For a missing scope inside an annotated function,
/// rustc suggests adding `S: cb_scopes::includes::WalletTransactionsSend` to
/// the attribute. That form is accepted, as the scope it stands for, with a
/// warning asking for the scope as Coinbase spells it
/// (`wallet:transactions:send`).
///
/// **`async fn`.** A missing scope on an awaited call is reported three
/// times (at the argument, the call and the `.await`), for free functions
/// and methods alike, each report naming the same scope: rustc checks the
/// bounds again on the future the function returns. A plain function that
/// returns a concrete type implementing `IntoFuture` is reported once,
/// which is why `cb_client`'s endpoints are written that way.
pub use cb_scopes_derive::requires_scope;

/// Fails a test when the set `S` asks for a scope that no annotated
/// function of the app needs. See [`audit`](mod@audit) for what it sees and
/// how to enable it.
///
/// ```no_run
/// use cb_scopes::{Grant, requires_scope, scopes};
///
/// scopes! {
///     #[send_limit(amount = "50.00", currency = "USD", period = "day")]
///     pub struct Payouts(wallet:transactions:send, offline_access);
/// }
///
/// #[requires_scope(wallet:transactions:send)]
/// fn pay<S>(_grant: &Grant<S>) {}
///
/// // In a `#[test]` of the app, with the `audit` feature enabled:
/// cb_scopes::assert_least_privilege!(Payouts, allow: {
///     "offline_access" => "refresh tokens keep payouts running",
/// });
/// ```
#[macro_export]
macro_rules! assert_least_privilege {
    ($set:ty $(,)?) => {
        $crate::assert_least_privilege!($set, allow: {})
    };
    ($set:ty, allow: { $($scope:literal => $reason:literal),* $(,)? } $(,)?) => {{
        let audit = $crate::audit::<$set>()$(.allow_wire($scope, $reason))*;
        if !audit.is_least_privilege() {
            ::core::panic!("{}", audit);
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    scopes! {
        #[send_limit(amount = "0.5", currency = "EUR", period = "year")]
        struct Small(wallet:transactions:send);
        struct Empty();
    }

    #[test]
    fn sets_are_zero_sized() {
        assert_eq!(size_of::<Small>(), 0);
        assert_eq!(size_of::<Empty>(), 0);
        assert_eq!(size_of::<scopes!(wallet:accounts:read, offline_access)>(), 0);
        assert_eq!(size_of::<Grant<Small>>(), size_of::<ScopeSet>());
    }

    #[test]
    fn named_and_anonymous_sets_expose_members_and_limits() {
        assert_eq!(ScopeSet::of::<Small>().to_string(), "wallet:transactions:send");
        let limit = Small::SEND_LIMIT.unwrap();
        assert_eq!(limit.to_string(), "0.5 EUR per year");
        assert_eq!(ScopeSet::of::<Empty>(), ScopeSet::empty());
        type Anonymous = scopes!(offline_access, wallet:accounts:read);
        assert_eq!(ScopeSet::of::<Anonymous>().to_string(), "wallet:accounts:read,offline_access");
        assert_eq!(Anonymous::SEND_LIMIT, None);
        assert_eq!(
            format!("{:?}", Anonymous::default()),
            "scopes!(wallet:accounts:read, offline_access)"
        );
    }

    #[test]
    fn every_scope_makes_a_one_scope_set_of_its_own_bit() {
        // The canonical set's slots and the enum's bits come from the same
        // table; check them against each other for the last and first scope.
        type First = scopes!(wallet:accounts:read);
        #[allow(deprecated)]
        type Last = scopes!(wallet:transactions:send:bypass-2fa);
        assert_eq!(ScopeSet::of::<First>(), ScopeSet::from(Scope::ALL[0]));
        assert_eq!(ScopeSet::of::<Last>(), ScopeSet::from(Scope::ALL[Scope::COUNT - 1]));
    }
}
