//! `Grant<S>`: proof, checked once at run time, that Coinbase granted a set.

use std::fmt;
use std::marker::PhantomData;

use crate::{DeclaredScopes, ScopeSet, SubsetOf};

/// The scopes Coinbase granted, checked to include every scope of the set `S`.
///
/// This is where the run-time fact meets the compile-time one. A user can
/// untick scopes on Coinbase's consent screen, so a set declared in code is a
/// wish until the grant is checked; from a `Grant<S>` on, the compiler checks
/// every call against `S`. A client typed by its set holds one.
///
/// ```
/// use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};
///
/// scopes! {
///     pub struct Reader(wallet:accounts:read, wallet:transactions:read);
/// }
///
/// #[requires_scope(wallet:accounts:read)]
/// fn list_accounts<S>(grant: &Grant<S>) -> usize {
///     grant.granted().len()
/// }
///
/// let granted: ScopeSet = "wallet:accounts:read,wallet:transactions:read".parse()?;
/// let grant = Grant::<Reader>::check(granted)?;
/// assert_eq!(list_accounts(&grant), 2);
///
/// let too_small: ScopeSet = "wallet:accounts:read".parse()?;
/// let error = Grant::<Reader>::check(too_small).unwrap_err();
/// assert_eq!(error.missing().to_string(), "wallet:transactions:read");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Grant<S> {
    granted: ScopeSet,
    set: PhantomData<fn() -> S>,
}

impl<S: DeclaredScopes> Grant<S> {
    /// Checks that `granted` includes every scope of `S`.
    ///
    /// # Errors
    ///
    /// [`ScopesNotGranted`] when a scope of `S` is missing.
    pub fn check(granted: ScopeSet) -> Result<Self, ScopesNotGranted> {
        let missing = S::SCOPES.difference(granted);
        if missing.is_empty() {
            Ok(Grant { granted, set: PhantomData })
        } else {
            Err(ScopesNotGranted { missing, granted })
        }
    }

    /// The same grant, typed by a smaller set. The compiler checks that `T`
    /// is a subset of `S`, and names a missing scope when it is not.
    pub fn narrow<T: SubsetOf<S>>(self) -> Grant<T> {
        Grant { granted: self.granted, set: PhantomData }
    }
}

impl<S> Grant<S> {
    /// Everything Coinbase granted, which may be more than `S`.
    pub const fn granted(&self) -> ScopeSet {
        self.granted
    }
}

impl<S> Clone for Grant<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Grant<S> {}

impl<S> PartialEq for Grant<S> {
    fn eq(&self, other: &Self) -> bool {
        self.granted == other.granted
    }
}

impl<S> Eq for Grant<S> {}

impl<S> fmt::Debug for Grant<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant").field("granted", &self.granted).finish()
    }
}

/// Coinbase granted less than the set needs, usually because the user
/// unticked scopes on the consent screen.
///
/// The way out is to revoke the authorization and send the user through the
/// authorize URL again, saying why the missing scopes are needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopesNotGranted {
    missing: ScopeSet,
    granted: ScopeSet,
}

impl ScopesNotGranted {
    /// What is missing when `required` must be granted and `granted` was:
    /// `None` when `granted` covers `required`. For a requirement known
    /// only at run time; a declared set checks with [`Grant::check`].
    ///
    /// ```
    /// use cb_scopes::{ScopeSet, ScopesNotGranted};
    ///
    /// let required: ScopeSet = "wallet:accounts:read,wallet:user:read".parse()?;
    /// let granted: ScopeSet = "wallet:accounts:read".parse()?;
    /// let error = ScopesNotGranted::between(required, granted).unwrap();
    /// assert_eq!(error.missing().to_string(), "wallet:user:read");
    /// assert!(ScopesNotGranted::between(granted, required).is_none());
    /// # Ok::<(), cb_scopes::ParseScopeError>(())
    /// ```
    pub fn between(required: ScopeSet, granted: ScopeSet) -> Option<Self> {
        let missing = required.difference(granted);
        (!missing.is_empty()).then_some(ScopesNotGranted { missing, granted })
    }

    /// The scopes the set needs and Coinbase did not grant.
    pub const fn missing(&self) -> ScopeSet {
        self.missing
    }

    /// What Coinbase did grant.
    pub const fn granted(&self) -> ScopeSet {
        self.granted
    }
}

impl fmt::Display for ScopesNotGranted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Coinbase did not grant every scope the app needs: missing {} (granted: {}); \
             revoke the authorization and ask the user to authorize again",
            self.missing,
            if self.granted.is_empty() { "none".to_owned() } else { self.granted.to_string() },
        )
    }
}

impl std::error::Error for ScopesNotGranted {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes;

    scopes! {
        struct Reader(wallet:accounts:read);
        struct Writer(wallet:accounts:read, wallet:accounts:update);
    }

    #[test]
    fn a_grant_exists_only_when_the_set_is_covered() {
        let granted: ScopeSet = "wallet:accounts:read wallet:user:read".parse().unwrap();
        let grant = Grant::<Reader>::check(granted).unwrap();
        assert_eq!(grant.granted(), granted);
        let error = Grant::<Writer>::check(granted).unwrap_err();
        assert_eq!(error.missing().to_string(), "wallet:accounts:update");
        assert_eq!(error.granted(), granted);
        assert_eq!(
            error.to_string(),
            "Coinbase did not grant every scope the app needs: missing wallet:accounts:update \
             (granted: wallet:accounts:read,wallet:user:read); revoke the authorization and ask \
             the user to authorize again"
        );
    }

    #[test]
    fn narrowing_keeps_what_was_granted() {
        let granted: ScopeSet = "all".parse().unwrap();
        let writer = Grant::<Writer>::check(granted).unwrap();
        let reader: Grant<Reader> = writer.narrow();
        assert_eq!(reader.granted(), granted);
        type Updater = scopes!(wallet:accounts:update);
        let anonymous: Grant<Updater> = writer.narrow();
        assert_eq!(anonymous.granted(), granted);
    }
}
