//! Not public API: what generated code reaches through
//! `::cb_scopes::__private`. Names here may change in any release.

use rust_decimal::Decimal;

pub use crate::includes;
use crate::{CurrencyCode, ScopeSet, SendLimit, SendLimitPeriod};

/// Implemented only by sets that `scopes!` declares, so that
/// `DeclaredScopes` cannot be implemented by hand to claim scopes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not declared with `scopes!`",
    label = "scope sets cannot be implemented by hand",
    note = "declare the set with `cb_scopes::scopes!`, which checks its scopes and send limit"
)]
pub trait Sealed {}

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
