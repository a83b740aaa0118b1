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
//! Keep one row per key with the record ([`TokenRecord::to_json`], or your
//! own columns) and a version number. `save` is an
//! `UPDATE ... SET record = $1, version = version + 1 WHERE key = $2 AND
//! version = $3` (an `INSERT` when `expected_version` is `None`), and returns
//! [`StoreError::Conflict`] when no row matched. `lock_refresh` takes a row
//! lock (`SELECT ... FOR UPDATE` in a transaction held by the returned
//! [`RefreshLock`]) or an advisory lock, so that instances serialize their
//! refreshes.

mod file;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;
use std::pin::Pin;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{RedisStore, RedisStoreBuilder};
pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::{EncryptionKeys, PgStore, PgStoreBuilder};

use crate::TokenRecord;

/// A boxed future, as the methods of [`TokenStore`] return, so that stores
/// can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A record as loaded, with the version a compare-and-swap save expects.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The tokens and grant.
    pub record: TokenRecord,
    /// Increases with every save.
    pub version: u64,
}

/// Storage for the tokens of many authorizations, each under the caller's
/// key (its user id, say).
///
/// Implementations return boxed futures so that the trait stays
/// dyn-compatible; write `Box::pin(async move { .. })`.
pub trait TokenStore: Send + Sync + 'static {
    /// The record under `key`, if any.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>>;

    /// Saves `record` under `key` if the stored version is
    /// `expected_version` (`None`: nothing is stored), and returns the new
    /// version.
    ///
    /// # Errors
    ///
    /// [`StoreError::Conflict`] when another writer saved in between.
    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>>;

    /// Removes the record under `key`; removing nothing is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Holds off other processes' refreshes of `key` until the returned lock
    /// is dropped. The default does nothing, which is right for a store no
    /// other process shares.
    fn lock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        let _ = key;
        Box::pin(async { Ok(RefreshLock::none()) })
    }
}

/// A held refresh lock, released when dropped.
pub struct RefreshLock {
    _guard: Option<Box<dyn Send + Sync>>,
}

impl RefreshLock {
    /// A lock that holds nothing.
    pub fn none() -> Self {
        RefreshLock { _guard: None }
    }

    /// A lock released when `guard` is dropped.
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        RefreshLock { _guard: Some(Box::new(guard)) }
    }
}

impl std::fmt::Debug for RefreshLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshLock").field("held", &self._guard.is_some()).finish()
    }
}

/// Why a store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A compare-and-swap save found another version than expected.
    #[error("another writer saved first (expected version {expected:?}, found {found:?})")]
    Conflict {
        /// The version the caller expected.
        expected: Option<u64>,
        /// The version stored.
        found: Option<u64>,
    },
    /// A stored record could not be read.
    #[error("the record for key {key:?} is corrupt: {detail}")]
    Corrupt {
        /// The key.
        key: String,
        /// What is wrong; never the record's content.
        detail: String,
    },
    /// The key cannot name a record in this store.
    #[error("invalid key {0:?}: it must be 1 to 200 bytes")]
    InvalidKey(String),
    /// The file system failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Another failure of a custom store.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}
