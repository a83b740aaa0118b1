//! A crate that depends on cb-scopes under another name, `oauth_scopes`. If
//! the macros' generated code named `::cb_scopes`, this crate would not
//! compile, since no crate of that name is in scope here.

use oauth_scopes::{Grant, requires_scope, scopes};

scopes! {
    /// A set declared through the renamed crate.
    #[send_limit(amount = "10.00", currency = "CHF", period = "month")]
    pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
}

/// An annotated function, checked through the renamed crate's traits.
#[requires_scope(wallet:transactions:send)]
pub fn send<S>(grant: &Grant<S>) -> usize {
    grant.granted().len()
}

/// An anonymous set, expanded to the renamed crate's canonical type.
pub type Reader = scopes!(wallet:accounts:read);

#[cfg(test)]
mod tests {
    use super::*;
    use oauth_scopes::{DeclaredScopes, ScopeSet};

    #[test]
    fn macros_expand_through_the_renamed_crate() {
        let grant = Grant::<Payouts>::check(ScopeSet::of::<Payouts>()).unwrap();
        assert_eq!(send(&grant), 2);
        assert_eq!(Payouts::SEND_LIMIT.unwrap().to_string(), "10.00 CHF per month");
        let reader: Grant<Reader> = grant.narrow();
        assert_eq!(ScopeSet::of::<Reader>().to_string(), "wallet:accounts:read");
        assert_eq!(reader.granted(), grant.granted());
    }
}
