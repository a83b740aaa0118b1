//! How a connection attempt ended.

use cb_client::Error;
use cb_client::cb_scopes::ScopeSet;

/// How a connection attempt ended, for the app to render (see
/// [`CoinbaseConnect::outcome_page`]). A successful one redirects to the
/// page set with [`CoinbaseConnect::after_connect`] instead.
///
/// [`CoinbaseConnect::outcome_page`]: crate::CoinbaseConnect::outcome_page
/// [`CoinbaseConnect::after_connect`]: crate::CoinbaseConnect::after_connect
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectOutcome {
    /// The user declined on Coinbase's consent page.
    Denied,
    /// The user unticked scopes the set needs. The partial grant was
    /// revoked at once.
    PartialGrant {
        /// What is missing, as Coinbase spells it.
        missing: ScopeSet,
    },
    /// The callback came to a browser that did not start this sign-in (a
    /// login-CSRF attempt, or cookies blocked), or its state did not match.
    /// Nothing was exchanged.
    NotThisBrowser,
    /// The sign-in took longer than its lifetime. Nothing was exchanged.
    Expired,
    /// The app's [`AsyncUserKey`](crate::AsyncUserKey) knows no user for the
    /// callback (the app's own sign-in ended meanwhile, say). Nothing was
    /// exchanged.
    NoUser,
    /// Coinbase or the store failed.
    Failed(Error),
}
