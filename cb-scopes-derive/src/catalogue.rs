//! The scope catalogue: every Coinbase OAuth2 scope this project knows, in one
//! table.
//!
//! Everything else is generated from this table. The runtime crate's `Scope`
//! enum, its per-scope marker traits and its canonical set type come from the
//! hidden `#[__scope_enum]` attribute and `__scope_traits!` macro, which read
//! it; the macros validate scope names
//! against it and suggest corrections from it. Its order is the catalogue
//! order: the order in which sets display and the bit each scope occupies.

/// One scope of the catalogue.
pub(crate) struct ScopeDef {
    /// The exact string Coinbase uses on the wire.
    pub(crate) wire: &'static str,
    /// What the scope lets an app do, as Coinbase's permissions page puts it.
    pub(crate) description: &'static str,
    /// Granted only to apps that Coinbase has reviewed.
    pub(crate) restricted: bool,
    /// On its way out: new apps should not ask for it.
    pub(crate) deprecated: bool,
}

const fn scope(wire: &'static str, description: &'static str) -> ScopeDef {
    ScopeDef { wire, description, restricted: false, deprecated: false }
}

/// The catalogue, in catalogue order. The first 25 entries are the scopes of
/// Coinbase's permissions page, in its order; then the trading scopes, the
/// refresh-token scope and the restricted 2FA bypass.
pub(crate) const CATALOGUE: &[ScopeDef] = &[
    scope("wallet:accounts:read", "List user's accounts and their balances"),
    scope("wallet:accounts:update", "Update account (e.g. change name)"),
    scope("wallet:accounts:create", "Create a new account (e.g. BTC wallet)"),
    scope("wallet:accounts:delete", "Delete existing account"),
    scope("wallet:addresses:read", "List account's bitcoin or ethereum addresses"),
    scope("wallet:addresses:create", "Create new bitcoin or ethereum addresses for wallets"),
    scope("wallet:buys:read", "List account's buys"),
    scope("wallet:buys:create", "Buy bitcoin or ethereum"),
    scope("wallet:deposits:read", "List account's deposits"),
    scope("wallet:deposits:create", "Create a new deposit"),
    scope("wallet:notifications:read", "List user's notifications"),
    scope("wallet:payment-methods:read", "List user's payment methods (e.g. bank accounts)"),
    scope("wallet:payment-methods:delete", "Remove existing payment methods"),
    scope(
        "wallet:payment-methods:limits",
        "Get detailed limits for payment methods (useful for performing buys and sells); \
         used together with wallet:payment-methods:read",
    ),
    scope("wallet:sells:read", "List account's sells"),
    scope("wallet:sells:create", "Sell bitcoin or ethereum"),
    scope("wallet:transactions:read", "List account's transactions"),
    scope("wallet:transactions:send", "Send bitcoin or ethereum"),
    scope("wallet:transactions:request", "Request bitcoin or ethereum from a Coinbase user"),
    scope(
        "wallet:transactions:transfer",
        "Transfer funds between user's two bitcoin or ethereum accounts",
    ),
    scope(
        "wallet:user:read",
        "List detailed user information (public information is available without this permission)",
    ),
    scope("wallet:user:update", "Update current user"),
    scope("wallet:user:email", "Read current user's email address"),
    scope("wallet:withdrawals:read", "List account's withdrawals"),
    scope("wallet:withdrawals:create", "Create a new withdrawal"),
    scope("wallet:trades:read", "List the user's trades"),
    scope("wallet:trades:create", "Place trades for the user"),
    scope(
        "offline_access",
        "Receive a refresh token, so that access outlives the short-lived access token",
    ),
    ScopeDef {
        wire: "wallet:transactions:send:bypass-2fa",
        description: "Send without a two-factor challenge; granted only to apps Coinbase has \
                      reviewed, and being deprecated",
        restricted: true,
        deprecated: true,
    },
];

/// The requirements Coinbase documents as a choice: an endpoint that accepts
/// a token with any one of these scopes. Each is in catalogue order, and
/// each gets a marker trait of its own in `cb_scopes::includes::any`, whose
/// diagnostic names every alternative as Coinbase spells it; that is why the
/// choices are listed here rather than made up at each use. Advanced
/// Trade's scope table: `POST /orders/close_position` takes
/// `wallet:buys:create` or `wallet:transactions:read`.
pub(crate) const ANY_OF: &[&[&str]] = &[&["wallet:buys:create", "wallet:transactions:read"]];

/// The Rust name of the marker trait of the choice `ANY_OF[choice]`:
/// `WalletBuysCreateOrWalletTransactionsRead`.
pub(crate) fn any_of_name(choice: usize) -> String {
    let names: Vec<String> = ANY_OF[choice]
        .iter()
        .map(|wire| CATALOGUE[position(wire).expect("a catalogue scope")].rust_name())
        .collect();
    names.join("Or")
}

/// The catalogue indices of the choice `ANY_OF[choice]`, in catalogue order.
pub(crate) fn any_of_indices(choice: usize) -> Vec<usize> {
    ANY_OF[choice].iter().filter_map(|wire| position(wire)).collect()
}

/// The documented choice whose alternatives are exactly `indices`, in any
/// order.
pub(crate) fn any_of_position(indices: &[usize]) -> Option<usize> {
    let mut wanted = indices.to_vec();
    wanted.sort_unstable();
    (0..ANY_OF.len()).find(|&choice| any_of_indices(choice) == wanted)
}

/// The largest catalogue the runtime bitset can hold.
pub(crate) const CAPACITY: usize = 64;

impl ScopeDef {
    /// The Rust name of the scope's enum variant and marker trait:
    /// `wallet:payment-methods:read` becomes `WalletPaymentMethodsRead`.
    pub(crate) fn rust_name(&self) -> String {
        let mut name = String::with_capacity(self.wire.len());
        for word in self.wire.split([':', '-', '_']) {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                name.extend(first.to_uppercase());
                name.push_str(chars.as_str());
            }
        }
        name
    }
}

/// The Rust name of the scope at `index`, made once per compilation: the
/// fast path of `#[requires_scope]` writes one per bound.
pub(crate) fn rust_name_of(index: usize) -> &'static str {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    &NAMES.get_or_init(|| CATALOGUE.iter().map(ScopeDef::rust_name).collect())[index]
}

/// The catalogue index of the scope spelled `wire`, if there is one.
pub(crate) fn position(wire: &str) -> Option<usize> {
    CATALOGUE.iter().position(|scope| scope.wire == wire)
}

/// The scope the user most likely meant by an unknown `wire`, if one is close.
///
/// Distance is Damerau-Levenshtein, so a swapped pair of letters (`sned`) and a
/// missing letter (`payment-method`) both count as one edit; anything further
/// than a few edits away is more likely a different idea than a typo.
pub(crate) fn nearest(wire: &str) -> Option<&'static ScopeDef> {
    let allowed = (wire.len() / 8).clamp(1, 3);
    CATALOGUE
        .iter()
        .map(|scope| (strsim::damerau_levenshtein(wire, scope.wire), scope))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, scope)| scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_are_unique_and_well_formed() {
        assert!(CATALOGUE.len() <= CAPACITY);
        for (i, scope) in CATALOGUE.iter().enumerate() {
            assert_eq!(position(scope.wire), Some(i), "{} is listed twice", scope.wire);
            let segments = scope.wire.split(':').count();
            assert!(
                scope.wire == "offline_access" || (3..=4).contains(&segments),
                "{} does not have the service:resource:action form",
                scope.wire
            );
            assert!(!scope.description.is_empty());
        }
    }

    #[test]
    fn rust_names_are_unique_camel_case() {
        let names: Vec<String> = CATALOGUE.iter().map(ScopeDef::rust_name).collect();
        assert_eq!(names[0], "WalletAccountsRead");
        assert!(names.contains(&"WalletPaymentMethodsLimits".to_owned()));
        assert!(names.contains(&"WalletTransactionsSendBypass2fa".to_owned()));
        assert!(names.contains(&"OfflineAccess".to_owned()));
        for (i, name) in names.iter().enumerate() {
            assert!(!names[..i].contains(name), "{name} is generated twice");
        }
    }

    #[test]
    fn the_seed_catalogue_and_the_extras_are_present() {
        assert_eq!(CATALOGUE.len(), 29);
        for wire in ["wallet:trades:read", "wallet:trades:create", "offline_access"] {
            assert!(position(wire).is_some(), "{wire} is missing");
        }
        let bypass = &CATALOGUE[position("wallet:transactions:send:bypass-2fa").unwrap()];
        assert!(bypass.restricted && bypass.deprecated);
    }

    #[test]
    fn documented_choices_are_catalogue_scopes_in_catalogue_order() {
        for (choice, alternatives) in ANY_OF.iter().enumerate() {
            let indices = any_of_indices(choice);
            assert_eq!(
                indices.len(),
                alternatives.len(),
                "{alternatives:?} names an unknown scope"
            );
            assert!(indices.len() >= 2, "{alternatives:?} is no choice");
            assert!(indices.windows(2).all(|pair| pair[0] < pair[1]), "{alternatives:?}");
            let reversed: Vec<usize> = indices.iter().rev().copied().collect();
            assert_eq!(any_of_position(&reversed), Some(choice));
        }
        assert_eq!(any_of_name(0), "WalletBuysCreateOrWalletTransactionsRead");
        assert_eq!(any_of_position(&[0, 1]), None);
    }

    #[test]
    fn nearest_suggests_typos_but_not_other_ideas() {
        let wire = |s: &str| nearest(s).map(|d| d.wire);
        assert_eq!(wire("wallet:transactions:sned"), Some("wallet:transactions:send"));
        assert_eq!(wire("wallet:payment-method:read"), Some("wallet:payment-methods:read"));
        assert_eq!(wire("wallet::accounts::read"), Some("wallet:accounts:read"));
        assert_eq!(wire("wallet:accounts"), None);
        assert_eq!(wire("something:else:entirely"), None);
    }
}
