//! Not public API: what generated code reaches through
//! `::cb_scopes::__private`. Names here may change in any release.

use rust_decimal::Decimal;

pub use crate::includes;
use crate::scope::Scope;
use crate::scope_set::ScopeSet;
use crate::send_limit::{CurrencyCode, SendLimit, SendLimitPeriod};

pub use crate::declared::Sealed;

/// A filled slot of the canonical set type.
#[derive(Debug)]
pub enum Yes {}

/// An empty slot of the canonical set type.
#[derive(Debug)]
pub enum No {}

/// A slot's bit in the set's `ScopeSet`.
pub trait Slot: 'static {
    /// 1 for `Yes`, 0 for `No`.
    const BIT: u64;
}

impl Slot for Yes {
    const BIT: u64 = 1;
}

impl Slot for No {
    const BIT: u64 = 0;
}

/// A set from the bits `scopes!` computed.
pub const fn scope_set(bits: u64) -> ScopeSet {
    ScopeSet::from_bits(bits)
}

/// The set of scopes listed as `stringify!` writes a list of them
/// (`"wallet:accounts:read, wallet:user:read"`), for constants; a choice
/// (`any(wallet:buys:create, wallet:transactions:read)`) adds every
/// alternative. An unknown scope fails the constant's evaluation, so the
/// build.
pub const fn scope_list(list: &str) -> ScopeSet {
    let bytes = list.as_bytes();
    let mut set = ScopeSet::empty();
    let mut start = 0;
    while start < bytes.len() {
        // One scope runs to the next comma; spaces around it do not count.
        let mut end = start;
        while end < bytes.len() && bytes[end] != b',' {
            end += 1;
        }
        let (mut from, mut to) = (start, end);
        while from < to && bytes[from] == b' ' {
            from += 1;
        }
        // `any(` and `)` around a choice's alternatives, spaced or not.
        if to - from >= 4
            && bytes[from] == b'a'
            && bytes[from + 1] == b'n'
            && bytes[from + 2] == b'y'
            && bytes[from + 3] == b'('
        {
            from += 4;
        }
        while to > from && matches!(bytes[to - 1], b' ' | b')') {
            to -= 1;
        }
        while from < to && bytes[from] == b' ' {
            from += 1;
        }
        if to > from {
            let mut index = 0;
            let mut found = false;
            while index < Scope::ALL.len() {
                let wire = Scope::ALL[index].as_str().as_bytes();
                if wire.len() == to - from {
                    let mut k = 0;
                    while k < wire.len() && wire[k] == bytes[from + k] {
                        k += 1;
                    }
                    if k == wire.len() {
                        set = set.with(Scope::ALL[index]);
                        found = true;
                    }
                }
                index += 1;
            }
            assert!(found, "not a scope of the catalogue");
        }
        start = end + 1;
    }
    set
}

/// A send limit from the parts `scopes!` validated: a positive amount of at
/// most two decimals and an active ISO 4217 fiat code.
pub const fn send_limit(
    lo: u32,
    mid: u32,
    hi: u32,
    scale: u32,
    currency: [u8; 3],
    period: SendLimitPeriod,
) -> SendLimit {
    SendLimit::from_validated(
        Decimal::from_parts(lo, mid, hi, false, scale),
        CurrencyCode::from_validated(currency),
        period,
    )
}

cb_scopes_derive::__canonical_set!();

pub use crate::audit::Registration;

/// A registration, for the code `register!` generates.
pub const fn registration(
    function: &'static str,
    crate_name: &'static str,
    scopes: &'static [&'static str],
    file: &'static str,
    line: u32,
) -> Registration {
    Registration { function, crate_name, scopes, file, line }
}

#[cfg(feature = "audit")]
pub use linkme;

#[cfg(feature = "audit")]
pub use crate::audit::REGISTRY;

/// Registers an annotated function. `#[requires_scope]` puts a call in the
/// function's body: a `static` in a link section, so nothing runs when the
/// function is called. Without the `audit` feature it expands to nothing.
#[cfg(feature = "audit")]
#[macro_export]
#[doc(hidden)]
macro_rules! __cb_scopes_register {
    ($function:ident, [$($scope:literal),*]) => {
        const _: () = {
            #[$crate::__private::linkme::distributed_slice($crate::__private::REGISTRY)]
            #[linkme(crate = $crate::__private::linkme)]
            static REGISTRATION: $crate::__private::Registration = $crate::__private::registration(
                ::core::concat!(::core::module_path!(), "::", ::core::stringify!($function)),
                ::core::env!("CARGO_CRATE_NAME"),
                &[$($scope),*],
                ::core::file!(),
                ::core::line!(),
            );
        };
    };
}

/// Without the `audit` feature, registration is nothing at all.
#[cfg(not(feature = "audit"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __cb_scopes_register {
    ($($anything:tt)*) => {};
}

pub use crate::__cb_scopes_register as register;

/// Whether the URL's host is a loopback address, where plain `http` cannot
/// be read by anyone else on the network. Shared with cb-client, which
/// applies the same rule to its endpoints.
pub fn is_loopback(url: &url::Url) -> bool {
    use std::net::IpAddr;
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stringified_scope_list_is_the_set_it_names() {
        const SET: ScopeSet =
            scope_list("wallet:payment-methods:read, wallet:payment-methods:limits");
        assert_eq!(SET.to_string(), "wallet:payment-methods:read,wallet:payment-methods:limits");
        assert_eq!(scope_list(""), ScopeSet::empty());
        assert_eq!(scope_list("offline_access"), ScopeSet::empty().with(Scope::OfflineAccess));
        assert_eq!(
            scope_list("wallet:user:read, any(wallet:buys:create, wallet:transactions:read)"),
            "wallet:user:read wallet:buys:create wallet:transactions:read".parse().unwrap()
        );
    }

    #[test]
    #[should_panic(expected = "not a scope of the catalogue")]
    fn an_unknown_scope_fails() {
        let _ = scope_list("wallet:accounts:reed");
    }
}
