//! The compile-time side of a scope set: what every set `scopes!` declares
//! implements, and the subset relation between sets.

use std::fmt::Debug;
use std::hash::Hash;

use crate::{ScopeSet, SendLimit};

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
    crate::__private::Sealed + Copy + Debug + Default + Eq + Hash + Send + Sync + 'static
{
    /// The scopes of the set.
    const SCOPES: ScopeSet;

    /// The send limit declared with `#[send_limit(..)]`: present exactly when
    /// the set has `wallet:transactions:send`.
    const SEND_LIMIT: Option<SendLimit>;

    /// The set's canonical structural type, through which `Covers` compares
    /// sets slot by slot.
    #[doc(hidden)]
    type Canonical: DeclaredScopes;
}

/// `S: Covers<T>` holds when the set `S` includes every scope of the set `T`.
///
/// It is what narrowing needs: a grant for a bigger set can stand in for a
/// grant for a smaller one. When it does not hold, the compiler names a
/// scope that `S` lacks.
///
/// ```
/// use cb_scopes::{Covers, DeclaredScopes, scopes};
///
/// scopes! {
///     pub struct Reader(wallet:accounts:read);
///     pub struct Admin(wallet:accounts:read, wallet:accounts:update);
/// }
///
/// fn assert_covers<S: Covers<T>, T: DeclaredScopes>() {}
/// assert_covers::<Admin, Reader>();
/// assert_covers::<Admin, scopes!(wallet:accounts:update)>();
/// ```
///
/// It is implemented for every pair of sets it is true of, so it cannot be
/// implemented by hand.
// rustc heads the error with this message and names the missing scope just
// below it, as the marker trait `includes::<Scope>` that `Self` lacks.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not include every scope of `{T}`",
    label = "narrowing needs every scope of `{T}`",
    note = "a grant converts only to a set with the same scopes or fewer; the scope it lacks \
            is the `includes` trait named above"
)]
pub trait Covers<T: DeclaredScopes> {}
