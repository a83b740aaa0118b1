//! Marker traits, one per scope: `S: includes::WalletTransactionsSend` holds
//! when the scope set `S` includes `wallet:transactions:send`.
//!
//! `#[requires_scope]` writes these bounds for you. Write them by hand on a
//! helper that is generic over the set but not annotated:
//!
//! ```
//! use cb_scopes::{Grant, includes};
//!
//! fn list_accounts<S>(grant: &Grant<S>)
//! where
//!     S: includes::WalletAccountsRead,
//! {
//!     // ...
//! #   let _ = grant;
//! }
//! ```
//!
//! They are implemented by the sets `scopes!` declares, and by nothing else.
//! When a call needs a scope that a set lacks, the compiler's error names the
//! scope as Coinbase spells it: ``missing OAuth scope `wallet:transactions:send` ``.

cb_scopes_derive::__scope_traits!();
