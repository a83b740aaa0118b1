//! Where tokens live between requests and between runs: the `TokenStore`
//! trait, and the stores this crate ships.
//!
//! A refresh token works once, so a store has two duties beyond keeping
//! bytes. **Compare-and-swap:** `save` succeeds only when the stored version
//! is the one the caller read, so two writers never both believe they won.
//! **A refresh lock:** while one process refreshes an authorization, others
//! wait, then find the new tokens instead of spending the old refresh token
//! a second time.
//!
//! # A store on a database
//!
//! Keep one row per key with the record ([`TokenRecord::to_json`](crate::TokenRecord::to_json), or your
//! own columns) and a version number. `save` is an
//! `UPDATE ... SET record = $1, version = version + 1 WHERE key = $2 AND
//! version = $3` (an `INSERT` when `expected_version` is `None`), and returns
//! [`StoreError::Conflict`] when no row matched. `lock_refresh` takes a row
//! lock (`SELECT ... FOR UPDATE` in a transaction held by the returned
//! [`RefreshLock`]) or an advisory lock, so that instances serialize their
//! refreshes.
//!
//! With the `encryption` feature, [`EncryptedStore`] encrypts the tokens
//! of any store at rest, yours included.
//!
//! With the `test-util` feature, [`StoreContract`] checks a store of your
//! own against this contract in one call, as the crate's stores are.

pub(crate) mod contract;
#[cfg(feature = "test-util")]
mod contract_check;
#[cfg(feature = "test-util")]
mod contract_peer;
#[cfg(feature = "encryption")]
mod encrypted;
pub(crate) mod error;
pub(crate) mod file;
pub(crate) mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{RedisStore, RedisStoreBuilder};
pub use contract::{BoxFuture, BoxStream, RefreshLock, Stored, TokenStore};
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub use contract_check::{ContractFailures, StoreContract};
#[cfg(feature = "encryption")]
#[cfg_attr(docsrs, doc(cfg(feature = "encryption")))]
pub use encrypted::{EncryptedStore, EncryptionKeys, Reencrypted};
pub use error::StoreError;
pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::{PgStore, PgStoreBuilder};
