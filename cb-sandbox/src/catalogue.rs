//! The scopes the sandbox knows, as plain data.
//!
//! The sandbox stands for Coinbase, which keeps its own list; it therefore
//! does not link the client-side crates. A workspace test checks that this
//! list and `cb_scopes::Scope::ALL` agree.

/// Every scope the sandbox grants, in Coinbase's order.
pub const SCOPES: &[&str] = &[
    "wallet:accounts:read",
    "wallet:accounts:update",
    "wallet:accounts:create",
    "wallet:accounts:delete",
    "wallet:addresses:read",
    "wallet:addresses:create",
    "wallet:buys:read",
    "wallet:buys:create",
    "wallet:deposits:read",
    "wallet:deposits:create",
    "wallet:notifications:read",
    "wallet:payment-methods:read",
    "wallet:payment-methods:delete",
    "wallet:payment-methods:limits",
    "wallet:sells:read",
    "wallet:sells:create",
    "wallet:transactions:read",
    "wallet:transactions:send",
    "wallet:transactions:request",
    "wallet:transactions:transfer",
    "wallet:user:read",
    "wallet:user:update",
    "wallet:user:email",
    "wallet:withdrawals:read",
    "wallet:withdrawals:create",
    "wallet:trades:read",
    "wallet:trades:create",
    "offline_access",
    "wallet:transactions:send:bypass-2fa",
];

/// The scope that lets an app send money.
pub(crate) const SEND: &str = "wallet:transactions:send";
/// The scope without which no refresh token is issued.
pub(crate) const OFFLINE_ACCESS: &str = "offline_access";
/// The restricted scope that skips the two-factor challenge on sends.
pub(crate) const BYPASS_2FA: &str = "wallet:transactions:send:bypass-2fa";

/// The catalogue's own spelling of `scope`, when it is one.
pub(crate) fn known(scope: &str) -> Option<&'static str> {
    SCOPES.iter().copied().find(|known| *known == scope)
}

/// Splits a `scope` parameter: Coinbase documents commas, its examples use
/// `+` (a space once decoded).
pub(crate) fn split(scopes: &str) -> impl Iterator<Item = &str> {
    scopes.split([',', ' ', '+']).filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_split_on_every_separator() {
        let tokens: Vec<_> = split("a,b c+d,,").collect();
        assert_eq!(tokens, ["a", "b", "c", "d"]);
        assert_eq!(known("offline_access"), Some(OFFLINE_ACCESS));
        assert_eq!(known("wallet:nope"), None);
    }
}
