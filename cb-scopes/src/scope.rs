//! `Scope`: one Coinbase OAuth2 scope, as a value.

use std::fmt;
use std::str::FromStr;

/// A Coinbase OAuth2 scope, such as `wallet:accounts:read`.
///
/// The variants are generated from the catalogue, in catalogue order, and each
/// documents what the scope grants. `Display`, `FromStr` and `AsRef<str>` use
/// the exact wire string:
///
/// ```
/// use cb_scopes::Scope;
///
/// let scope: Scope = "wallet:payment-methods:read".parse()?;
/// assert_eq!(scope, Scope::WalletPaymentMethodsRead);
/// assert_eq!(scope.to_string(), "wallet:payment-methods:read");
/// assert_eq!(scope.description(), "List user's payment methods (e.g. bank accounts)");
/// assert!(Scope::ALL.iter().any(|s| s.as_str() == "offline_access"));
/// # Ok::<(), cb_scopes::ParseScopeError>(())
/// ```
///
/// It is `#[non_exhaustive]`: Coinbase adds scopes, and so will the catalogue.
#[cb_scopes_derive::__scope_enum(Entry)]
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::Display,
    strum::AsRefStr,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::EnumCount,
    strum::VariantArray,
)]
#[non_exhaustive]
pub enum Scope {}

/// What the catalogue says of one scope.
struct Entry {
    wire: &'static str,
    description: &'static str,
    restricted: bool,
    deprecated: bool,
}

impl Entry {
    const fn new(
        wire: &'static str,
        description: &'static str,
        restricted: bool,
        deprecated: bool,
    ) -> Self {
        Entry { wire, description, restricted, deprecated }
    }
}

impl Scope {
    /// Every scope, in catalogue order.
    pub const ALL: &'static [Scope] = <Scope as strum::VariantArray>::VARIANTS;

    /// The number of scopes in the catalogue.
    pub const COUNT: usize = <Scope as strum::EnumCount>::COUNT;

    const fn entry(self) -> &'static Entry {
        &Self::ENTRIES[self as usize]
    }

    /// The exact string Coinbase uses on the wire, such as
    /// `wallet:accounts:read`.
    pub const fn as_str(self) -> &'static str {
        self.entry().wire
    }

    /// What the scope lets an app do, as Coinbase's permissions page says.
    pub const fn description(self) -> &'static str {
        self.entry().description
    }

    /// Whether Coinbase grants the scope only to apps it has reviewed.
    pub const fn is_restricted(self) -> bool {
        self.entry().restricted
    }

    /// Whether the scope is on its way out, so new apps should not ask for it.
    pub const fn is_deprecated(self) -> bool {
        self.entry().deprecated
    }

    /// The scope's position in the catalogue, which is its bit in a
    /// [`ScopeSet`](crate::ScopeSet).
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl FromStr for Scope {
    type Err = ParseScopeError;

    /// Parses the exact wire string; case and whitespace matter, as they do
    /// to Coinbase.
    fn from_str(wire: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .iter()
            .copied()
            .find(|scope| scope.as_str() == wire)
            .ok_or_else(|| ParseScopeError::new(wire))
    }
}

/// A string that is not a scope of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseScopeError {
    scope: String,
}

impl ParseScopeError {
    /// Input longer than this is cut in the error, which may end up in logs.
    const SHOWN: usize = 64;

    pub(crate) fn new(scope: &str) -> Self {
        let end = scope.char_indices().nth(Self::SHOWN).map_or(scope.len(), |(i, _)| i);
        ParseScopeError { scope: scope[..end].to_owned() }
    }

    /// The unknown scope as given (its first 64 characters).
    pub fn scope(&self) -> &str {
        &self.scope
    }
}

impl fmt::Display for ParseScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown OAuth scope `{}`", self.scope.escape_debug())
    }
}

impl std::error::Error for ParseScopeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_displays_and_parses_back() {
        assert_eq!(Scope::ALL.len(), Scope::COUNT);
        for (index, scope) in Scope::ALL.iter().copied().enumerate() {
            assert_eq!(scope.index(), index, "variants are in catalogue order");
            let wire = scope.to_string();
            assert_eq!(wire, scope.as_str());
            assert_eq!(scope.as_ref(), wire);
            assert_eq!(<&'static str>::from(scope), wire);
            assert_eq!(wire.parse::<Scope>(), Ok(scope));
            assert!(!scope.description().is_empty());
        }
    }

    #[test]
    fn the_catalogue_has_the_seed_scopes_and_the_extras() {
        assert_eq!(Scope::COUNT, 29);
        assert_eq!(Scope::ALL[0], Scope::WalletAccountsRead);
        for wire in ["wallet:withdrawals:create", "wallet:trades:read", "wallet:trades:create"] {
            assert!(wire.parse::<Scope>().is_ok(), "{wire}");
        }
        let bypass: Scope = "wallet:transactions:send:bypass-2fa".parse().unwrap();
        assert!(bypass.is_restricted() && bypass.is_deprecated());
        assert!(!Scope::WalletTransactionsSend.is_restricted());
        assert!(!Scope::OfflineAccess.is_deprecated());
    }

    #[test]
    fn unknown_scopes_are_errors_that_do_not_echo_unbounded_input() {
        let error = "wallet:accounts:READ".parse::<Scope>().unwrap_err();
        assert_eq!(error.to_string(), "unknown OAuth scope `wallet:accounts:READ`");
        assert!(" wallet:accounts:read".parse::<Scope>().is_err());
        let long = "é".repeat(1000);
        let error = long.parse::<Scope>().unwrap_err();
        assert_eq!(error.scope().chars().count(), 64);
    }
}
