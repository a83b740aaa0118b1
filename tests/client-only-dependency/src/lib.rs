//! A crate that depends on `cb-client` alone and still declares sets and
//! annotates functions: the macros reach `cb-scopes` through `cb_client`.

use cb_client::cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    /// Pays creators.
    #[send_limit(amount = "50.00", currency = "USD", period = "day")]
    pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
}

/// Needs `wallet:accounts:read`.
#[requires_scope(wallet:accounts:read)]
pub fn balances<S>(grant: &Grant<S>) -> ScopeSet {
    grant.granted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macros_expand_through_the_client() {
        let granted: ScopeSet = "wallet:accounts:read,wallet:transactions:send".parse().unwrap();
        let grant = Grant::<Payouts>::check(granted).unwrap();
        assert_eq!(balances(&grant), granted);
        let error = Grant::<Payouts>::check("wallet:accounts:read".parse().unwrap()).unwrap_err();
        assert_eq!(error.missing().to_string(), "wallet:transactions:send");
    }
}
