//! `ScopeSet`: a set of scopes as a run-time value.

use std::fmt;
use std::iter::FusedIterator;
use std::str::FromStr;

use crate::scope::{ParseScopeError, Scope};

/// A set of scopes: one bit per catalogue scope, `Copy`, and free to compare.
///
/// It is what Coinbase grants, what a declared set asks for, and the
/// difference between the two:
///
/// ```
/// use cb_scopes::{Scope, ScopeSet, scopes};
///
/// type Reader = scopes!(wallet:accounts:read, wallet:transactions:read);
///
/// // Coinbase separates granted scopes with commas, spaces or `+`.
/// let granted: ScopeSet = "wallet:accounts:read+wallet:user:read".parse()?;
/// let wanted = ScopeSet::of::<Reader>();
/// assert!(!granted.is_superset(wanted));
/// assert_eq!(wanted.difference(granted).to_string(), "wallet:transactions:read");
/// assert!(granted.contains(Scope::WalletUserRead));
/// # Ok::<(), cb_scopes::ParseScopeError>(())
/// ```
///
/// It displays comma-joined in catalogue order, as the authorize URL's `scope`
/// parameter wants it.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet {
    bits: u64,
}

impl ScopeSet {
    /// The bits a set may have: one per catalogue scope.
    const MASK: u64 = u64::MAX >> (u64::BITS as usize - Scope::COUNT);

    /// The empty set.
    pub const fn empty() -> Self {
        ScopeSet { bits: 0 }
    }

    /// Every scope of the catalogue, which is what Coinbase's `all` means.
    pub const fn all() -> Self {
        ScopeSet { bits: Self::MASK }
    }

    /// A set from catalogue bits; bits past the catalogue are dropped.
    pub(crate) const fn from_bits(bits: u64) -> Self {
        ScopeSet { bits: bits & Self::MASK }
    }

    const fn bit(scope: Scope) -> u64 {
        1 << scope.index()
    }

    /// Whether `scope` is in the set.
    pub const fn contains(self, scope: Scope) -> bool {
        self.bits & Self::bit(scope) != 0
    }

    /// The set with `scope` added.
    #[must_use]
    pub const fn with(self, scope: Scope) -> Self {
        ScopeSet { bits: self.bits | Self::bit(scope) }
    }

    /// The set with `scope` taken out.
    #[must_use]
    pub const fn without(self, scope: Scope) -> Self {
        ScopeSet { bits: self.bits & !Self::bit(scope) }
    }

    /// Adds `scope`; returns whether it was new.
    pub fn insert(&mut self, scope: Scope) -> bool {
        let new = !self.contains(scope);
        *self = self.with(scope);
        new
    }

    /// Removes `scope`; returns whether it was there.
    pub fn remove(&mut self, scope: Scope) -> bool {
        let present = self.contains(scope);
        *self = self.without(scope);
        present
    }

    /// Whether every scope of `other` is in this set.
    pub const fn is_superset(self, other: ScopeSet) -> bool {
        other.bits & !self.bits == 0
    }

    /// Whether every scope of this set is in `other`.
    pub const fn is_subset(self, other: ScopeSet) -> bool {
        other.is_superset(self)
    }

    /// The scopes of this set that are not in `other`: with the wanted set as
    /// `self` and the granted one as `other`, what is missing.
    #[must_use]
    pub const fn difference(self, other: ScopeSet) -> Self {
        ScopeSet { bits: self.bits & !other.bits }
    }

    /// The scopes in either set.
    #[must_use]
    pub const fn union(self, other: ScopeSet) -> Self {
        ScopeSet { bits: self.bits | other.bits }
    }

    /// The scopes in both sets.
    #[must_use]
    pub const fn intersection(self, other: ScopeSet) -> Self {
        ScopeSet { bits: self.bits & other.bits }
    }

    /// Whether the set has no scope.
    pub const fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The number of scopes in the set.
    pub const fn len(self) -> usize {
        self.bits.count_ones() as usize
    }

    /// The scopes, in catalogue order.
    pub fn iter(self) -> Iter {
        Iter { bits: self.bits }
    }

    /// Parses what Coinbase sends, skipping scopes the catalogue does not know
    /// and returning them beside the set.
    ///
    /// Use it on granted scopes, where a scope Coinbase added after this
    /// release must not fail the authorization; use [`FromStr`] where an
    /// unknown scope is a mistake.
    ///
    /// ```
    /// use cb_scopes::ScopeSet;
    ///
    /// let (set, unknown) = ScopeSet::parse_lenient("wallet:user:read, wallet:new:thing");
    /// assert_eq!(set.to_string(), "wallet:user:read");
    /// assert_eq!(unknown, ["wallet:new:thing"]);
    /// ```
    pub fn parse_lenient(text: &str) -> (ScopeSet, Vec<&str>) {
        let mut set = ScopeSet::empty();
        let mut unknown = Vec::new();
        for token in tokens(text) {
            match parse_token(token) {
                Some(scopes) => set = set.union(scopes),
                None => unknown.push(token),
            }
        }
        (set, unknown)
    }
}

/// Splits on every separator Coinbase has been seen to use: commas, spaces
/// (and other whitespace), and `+`, which is a space in a form-encoded query.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c == ',' || c == '+' || c.is_whitespace()).filter(|t| !t.is_empty())
}

fn parse_token(token: &str) -> Option<ScopeSet> {
    if token == "all" {
        return Some(ScopeSet::all());
    }
    token.parse::<Scope>().ok().map(ScopeSet::from)
}

impl FromStr for ScopeSet {
    type Err = ParseScopeError;

    /// Parses scopes separated by commas, whitespace or `+`, in any order and
    /// with repeats; `all` stands for every scope, and an empty string is the
    /// empty set. An unknown scope is an error naming it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        tokens(text).try_fold(ScopeSet::empty(), |set, token| {
            parse_token(token)
                .map(|scopes| set.union(scopes))
                .ok_or_else(|| ParseScopeError::new(token))
        })
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeSet({self})")
    }
}

/// Serializes as the comma-joined string that `Display` prints.
impl serde::Serialize for ScopeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserializes what `FromStr` parses; an unknown scope is an error.
impl<'de> serde::Deserialize<'de> for ScopeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl From<Scope> for ScopeSet {
    fn from(scope: Scope) -> Self {
        ScopeSet::empty().with(scope)
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> Self {
        let mut set = ScopeSet::empty();
        set.extend(scopes);
        set
    }
}

impl Extend<Scope> for ScopeSet {
    fn extend<I: IntoIterator<Item = Scope>>(&mut self, scopes: I) {
        for scope in scopes {
            self.insert(scope);
        }
    }
}

impl IntoIterator for ScopeSet {
    type Item = Scope;
    type IntoIter = Iter;

    fn into_iter(self) -> Iter {
        self.iter()
    }
}

/// The scopes of a [`ScopeSet`], in catalogue order.
#[derive(Clone, Debug)]
pub struct Iter {
    bits: u64,
}

impl Iterator for Iter {
    type Item = Scope;

    fn next(&mut self) -> Option<Scope> {
        if self.bits == 0 {
            return None;
        }
        let index = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Scope::ALL.get(index).copied()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.bits.count_ones() as usize;
        (len, Some(len))
    }
}

impl ExactSizeIterator for Iter {}
impl FusedIterator for Iter {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const READ: Scope = Scope::WalletAccountsRead;
    const SEND: Scope = Scope::WalletTransactionsSend;
    const EMAIL: Scope = Scope::WalletUserEmail;

    #[test]
    fn serde_uses_the_wire_string() {
        let set: ScopeSet = "wallet:user:read offline_access".parse().unwrap();
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#""wallet:user:read,offline_access""#);
        assert_eq!(serde_json::from_str::<ScopeSet>(&json).unwrap(), set);
        let error = serde_json::from_str::<ScopeSet>(r#""wallet:nope""#).unwrap_err();
        assert!(error.to_string().contains("wallet:nope"), "{error}");
    }

    #[test]
    fn parses_commas_spaces_plus_and_all() {
        let expected: ScopeSet = [READ, EMAIL].into_iter().collect();
        for text in [
            "wallet:accounts:read,wallet:user:email",
            "wallet:accounts:read wallet:user:email",
            "wallet:accounts:read+wallet:user:email",
            " wallet:user:email ,  wallet:accounts:read,,wallet:user:email\n",
        ] {
            assert_eq!(text.parse::<ScopeSet>(), Ok(expected), "{text:?}");
        }
        assert_eq!("all".parse::<ScopeSet>(), Ok(ScopeSet::all()));
        assert_eq!(ScopeSet::all().len(), Scope::COUNT);
        assert_eq!("".parse::<ScopeSet>(), Ok(ScopeSet::empty()));
        let error = "wallet:accounts:read,wallet:bogus:read".parse::<ScopeSet>().unwrap_err();
        assert_eq!(error.scope(), "wallet:bogus:read");
    }

    #[test]
    fn displays_comma_joined_in_catalogue_order() {
        let set: ScopeSet = [EMAIL, SEND, READ].into_iter().collect();
        assert_eq!(
            set.to_string(),
            "wallet:accounts:read,wallet:transactions:send,wallet:user:email"
        );
        assert_eq!(format!("{set:?}"), format!("ScopeSet({set})"));
        assert_eq!(ScopeSet::empty().to_string(), "");
    }

    #[test]
    fn set_algebra() {
        let read = ScopeSet::from(READ);
        let both = read.with(SEND);
        assert!(both.is_superset(read) && read.is_subset(both) && !read.is_superset(both));
        assert_eq!(read.difference(both), ScopeSet::empty());
        assert_eq!(both.difference(read), ScopeSet::from(SEND));
        assert_eq!(both.intersection(ScopeSet::from(SEND)), ScopeSet::from(SEND));
        assert_eq!(read.union(ScopeSet::from(SEND)), both);
        let mut set = both;
        assert!(set.remove(SEND) && !set.remove(SEND));
        assert!(set.insert(SEND) && !set.insert(SEND));
        assert_eq!(set.without(READ).without(SEND), ScopeSet::empty());
        assert_eq!(both.iter().len(), 2);
    }

    #[test]
    fn foreign_bits_are_dropped() {
        assert_eq!(ScopeSet::from_bits(u64::MAX), ScopeSet::all());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in ".{0,200}") {
            let _ = text.parse::<ScopeSet>();
            let (_, unknown) = ScopeSet::parse_lenient(&text);
            prop_assert!(unknown.iter().all(|t| !t.is_empty()));
        }

        #[test]
        fn display_parses_back(bits in any::<u64>()) {
            let set = ScopeSet::from_bits(bits);
            prop_assert_eq!(set.to_string().parse::<ScopeSet>(), Ok(set));
            prop_assert_eq!(set.iter().collect::<ScopeSet>(), set);
            prop_assert_eq!(set.iter().count(), set.len());
        }

        #[test]
        fn separators_and_order_do_not_matter(
            picks in proptest::collection::vec(0..Scope::COUNT, 0..12),
            separators in proptest::collection::vec(prop_oneof![Just(","), Just(" "), Just("+"), Just(", ")], 12),
        ) {
            let scopes: Vec<Scope> = picks.iter().map(|&i| Scope::ALL[i]).collect();
            let mut text = String::new();
            for (scope, separator) in scopes.iter().rev().zip(&separators) {
                text.push_str(scope.as_str());
                text.push_str(separator);
            }
            prop_assert_eq!(text.parse::<ScopeSet>(), Ok(scopes.into_iter().collect::<ScopeSet>()));
        }
    }
}
