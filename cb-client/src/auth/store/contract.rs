//! What a store promises: `TokenStore`, with compare-and-swap saves and a
//! refresh lock, and the types its methods take and give.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::auth::store::error::StoreError;
use crate::auth::tokens::TokenRecord;

/// A boxed future, as the methods of [`TokenStore`] return, so that stores
/// can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The boxed stream [`TokenStore::keys`] returns.
pub type BoxStream<'a, T> = Pin<Box<dyn futures_util::Stream<Item = T> + Send + 'a>>;

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

    /// The key of every stored record, tombstones included, in no set
    /// order: for an app that looks over its authorizations (to re-encrypt
    /// them, or to tell users whose connection ended). The default, for a
    /// store that cannot list, yields one [`StoreError::Unsupported`].
    fn keys(&self) -> BoxStream<'_, Result<String, StoreError>> {
        Box::pin(futures_util::stream::once(async {
            Err(StoreError::Unsupported("listing its keys"))
        }))
    }

    /// Holds off other processes' refreshes of `key` until the returned lock
    /// is dropped. The default does nothing, which is right for a store no
    /// other process shares.
    fn lock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        let _ = key;
        Box::pin(async { Ok(RefreshLock::none()) })
    }
}

/// A shared store is a store: one `Arc` may be handed to several clients,
/// or wrapped (by [`EncryptedStore`](crate::store::EncryptedStore), say)
/// while the app keeps a handle on it.
impl<T: TokenStore + ?Sized> TokenStore for Arc<T> {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        (**self).load(key)
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        (**self).save(key, record, expected_version)
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        (**self).delete(key)
    }

    fn keys(&self) -> BoxStream<'_, Result<String, StoreError>> {
        (**self).keys()
    }

    fn lock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        (**self).lock_refresh(key)
    }
}

/// A held refresh lock, released when dropped.
pub struct RefreshLock {
    _guard: Option<Box<dyn Send + Sync>>,
    /// Whether the lock is still this process's, for a lock that can be
    /// lost while held (one that expires); `None` for one that cannot.
    held: Option<Arc<AtomicBool>>,
}

impl RefreshLock {
    /// A lock that holds nothing.
    pub fn none() -> Self {
        RefreshLock { _guard: None, held: None }
    }

    /// A lock released when `guard` is dropped, held as long as it exists.
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        RefreshLock { _guard: Some(Box::new(guard)), held: None }
    }

    /// A lock released when `guard` is dropped, which may be lost before
    /// (an expiring lock whose renewal failed): the store clears `held`
    /// then, and the client checks it before it spends a refresh token.
    pub fn with_liveness(guard: impl Send + Sync + 'static, held: Arc<AtomicBool>) -> Self {
        RefreshLock { _guard: Some(Box::new(guard)), held: Some(held) }
    }

    /// Whether the lock is still held: always, unless the store said it
    /// was lost.
    pub fn is_held(&self) -> bool {
        self.held.as_ref().is_none_or(|held| held.load(Ordering::SeqCst))
    }
}

impl std::fmt::Debug for RefreshLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshLock")
            .field("held", &(self._guard.is_some() && self.is_held()))
            .finish()
    }
}
