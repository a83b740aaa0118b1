//! The compile-time side of a scope set: what every set `scopes!` declares
//! implements, and the subset relation between sets.

use std::fmt::Debug;
use std::hash::Hash;

use crate::scope_set::ScopeSet;
use crate::send_limit::SendLimit;

/// Implemented only by sets that `scopes!` declares, so that
/// `DeclaredScopes` cannot be implemented by hand to claim scopes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not declared with `scopes!`",
    label = "scope sets cannot be implemented by hand",
    note = "declare the set with `cb_scopes::scopes!`, which checks its scopes and send limit"
)]
#[doc(hidden)]
pub trait Sealed {}

/// A scope set known to the compiler: implemented by every set that
/// `scopes!` declares, named or anonymous, and by nothing else.
///
/// Sets are zero-sized types; their members and send limit are constants, so
/// reading them costs nothing at run time.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scope set",
    label = "not declared with `scopes!`",
    note = "declare scope sets with `cb_scopes::scopes!`, for example \
            `scopes! {{ pub struct Reader(wallet:accounts:read); }}`"
)]
pub trait DeclaredScopes:
    Sealed + Copy + Debug + Default + Eq + Hash + Send + Sync + 'static
{
    /// The scopes of the set.
    const SCOPES: ScopeSet;

    /// The send limit declared with `#[send_limit(..)]`: present exactly when
    /// the set has `wallet:transactions:send`.
    const SEND_LIMIT: Option<SendLimit>;

    /// The set's canonical structural type, through which `SubsetOf` compares
    /// sets slot by slot.
    #[doc(hidden)]
    type Canonical: DeclaredScopes;
}

impl ScopeSet {
    /// The scopes of a set declared with `scopes!`.
    pub const fn of<S: DeclaredScopes>() -> Self {
        S::SCOPES
    }
}

/// `T: SubsetOf<S>` holds when every scope of the set `T` is in the set `S`.
///
/// It is what narrowing needs: a grant for a bigger set can stand in for a
/// grant for a smaller one. When it does not hold, the compiler names a scope
/// of `T` that `S` lacks, as Coinbase spells it.
///
/// ```
/// use cb_scopes::{DeclaredScopes, SubsetOf, scopes};
///
/// scopes! {
///     pub struct Reader(wallet:accounts:read);
///     pub struct Admin(wallet:accounts:read, wallet:accounts:update);
/// }
///
/// fn assert_subset<T: SubsetOf<S>, S: DeclaredScopes>() {}
/// assert_subset::<Reader, Admin>();
/// assert_subset::<scopes!(wallet:accounts:update), Admin>();
/// ```
///
/// It is implemented for every pair of sets it is true of, so it cannot be
/// implemented by hand.
//
// The relation is written with the smaller set as `Self` on purpose. rustc
// heads an error with the first bound's message when that bound and the one
// that failed share their `Self` type; the one that fails here is
// `S: includes::<Scope>`, so with `S` as `Self` the error would be about this
// trait, and with `T` it is "missing OAuth scope `...`".
pub trait SubsetOf<S: DeclaredScopes>: DeclaredScopes {}
