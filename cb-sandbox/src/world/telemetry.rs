//! What tests read about the sandbox: the requests it answered, and its
//! accounts and ledger as snapshots.

use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;

use crate::world::ids::{AccountId, TransactionId};
use crate::world::ledger::{TransactionKind, TransactionStatus};

/// An account and its balance, as [`Sandbox::accounts`](crate::Sandbox::accounts)
/// reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountSnapshot {
    /// The account id.
    pub id: AccountId,
    /// Its name.
    pub name: String,
    /// Its currency code.
    pub currency: String,
    /// Its balance.
    pub balance: Decimal,
}

/// One transaction of [`Sandbox::ledger`](crate::Sandbox::ledger).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LedgerEntry {
    /// The transaction id.
    pub id: TransactionId,
    /// The account it belongs to.
    pub account_id: AccountId,
    /// What it is.
    pub kind: TransactionKind,
    /// Where it stands.
    pub status: TransactionStatus,
    /// Signed, in the account's currency. A money request shows the
    /// requested amount, and moves the balance only once completed.
    pub amount: Decimal,
    /// The account's currency.
    pub currency: String,
    /// The client's idempotency key, for sends.
    pub idem: Option<String>,
    /// The other party: an email, an address or an account id.
    pub counterparty: Option<String>,
}

/// Counters for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Authorization codes exchanged for tokens.
    pub code_grants: u64,
    /// Refresh tokens exchanged successfully.
    pub refreshes: u64,
    /// Token requests refused with `invalid_grant`.
    pub invalid_grants: u64,
    /// Revocations.
    pub revocations: u64,
    /// Two-factor challenges issued.
    pub two_factor_challenges: u64,
    /// Token requests granted (a code or a refresh token spent) whose answer
    /// a [`Fault::DropAfterProcessing`](crate::Fault::DropAfterProcessing)
    /// dropped: tokens that Coinbase issued and no client can have read.
    pub token_answers_dropped: u64,
}

/// One request the sandbox answered: what tests read through
/// [`Sandbox::requests`](crate::Sandbox::requests).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The HTTP method.
    pub method: String,
    /// The route pattern, such as `/v2/accounts/{id}`.
    pub route: String,
    /// The scope the endpoint needed, if it needs one.
    pub required_scope: Option<&'static str>,
    /// The status of the answer.
    pub status: u16,
}

/// The scope the handler needed, written by the API's authentication step
/// and read back here for the request record.
#[derive(Clone, Default)]
pub(crate) struct ScopeSlot(pub(crate) Arc<Mutex<Option<&'static str>>>);

impl ScopeSlot {
    pub(crate) fn set(&self, scope: &'static str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(scope);
        }
    }

    pub(crate) fn get(&self) -> Option<&'static str> {
        self.0.lock().ok().and_then(|slot| *slot)
    }
}
