//! The store conformance kit (`StoreContract`, feature `test-util`) run on
//! the crate's own stores: the file and memory stores here (also inside an
//! `EncryptedStore`), `PgStore` and `RedisStore` in their modules; and a
//! broken store, which it must catch.

use std::sync::Arc;

use cb_client::RefreshLock;
use cb_client::store::{BoxFuture, StoreContract};
use cb_client::{FileStore, MemoryStore, StoreError, Stored, TokenRecord, TokenStore};

#[tokio::test]
async fn the_memory_and_file_stores_keep_the_contract() {
    StoreContract::new().single_instance().check(|| async { MemoryStore::new() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    StoreContract::new()
        .check(|| {
            let path = path.clone();
            async move { FileStore::new(path).unwrap() }
        })
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
}

#[tokio::test]
async fn an_encrypted_store_keeps_the_contract_of_the_store_inside() {
    use cb_client::store::{EncryptedStore, EncryptionKeys};
    let keys = || EncryptionKeys::new("k1", [1u8; 32]);
    StoreContract::new()
        .single_instance()
        .check(|| async { EncryptedStore::new(MemoryStore::new(), keys()) })
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    StoreContract::new()
        .check(|| {
            let path = path.clone();
            async move { EncryptedStore::new(FileStore::new(path).unwrap(), keys()) }
        })
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_store_keeps_the_contract_between_processes() {
    // A directory both processes name alike; the kit's keys are its own.
    let dir = concat!(env!("CARGO_TARGET_TMPDIR"), "/store-contract-file");
    StoreContract::new()
        .across_processes("store_contract::the_file_store_keeps_the_contract_between_processes")
        .check(|| async { FileStore::new(dir).unwrap() })
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
}

/// A file store whose refresh lock lives in the process's memory: it
/// excludes other instances of this process, and no other process.
struct ProcessLocalLock(FileStore);

fn process_locks() -> &'static tokio::sync::Mutex<()> {
    static LOCK: std::sync::OnceLock<Arc<tokio::sync::Mutex<()>>> = std::sync::OnceLock::new();
    LOCK.get_or_init(Default::default)
}

impl TokenStore for ProcessLocalLock {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        self.0.load(key)
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        self.0.save(key, record, expected)
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0.delete(key)
    }

    fn lock_refresh<'a>(&'a self, _key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        Box::pin(async { Ok(RefreshLock::new(process_locks().lock().await)) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_only_this_process_sees_fails_between_processes() {
    let dir = concat!(env!("CARGO_TARGET_TMPDIR"), "/store-contract-process-local");
    let failures = StoreContract::new()
        .across_processes("store_contract::a_lock_only_this_process_sees_fails_between_processes")
        .check(|| async { ProcessLocalLock(FileStore::new(dir).unwrap()) })
        .await
        .expect_err("a lock in one process's memory does not exclude another");
    let text = failures.to_string();
    // Between instances of one process it holds; between processes not.
    assert!(!text.contains("excludes another instance"), "{text}");
    assert!(text.contains("the refresh lock excludes another process"), "{text}");
    assert!(!text.contains("share records"), "{text}");
}

/// A store that forgets compare-and-swap: every save wins.
struct LastWriterWins(Arc<MemoryStore>);

impl TokenStore for LastWriterWins {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        self.0.load(key)
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        _expected: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let current = self.0.load(key).await?.map(|stored| stored.version);
            self.0.save(key, record, current).await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0.delete(key)
    }
}

#[tokio::test]
async fn a_store_without_compare_and_swap_fails_the_contract() {
    let shared = Arc::new(MemoryStore::new());
    let failures = StoreContract::new()
        .check(|| {
            let shared = shared.clone();
            async move { LastWriterWins(shared) }
        })
        .await
        .expect_err("last-writer-wins is not compare-and-swap");
    let text = failures.to_string();
    assert!(text.contains("compare-and-swap saves"), "{text}");
    assert!(text.contains("one winner"), "{text}");
    // It has no refresh lock either.
    assert!(text.contains("excludes another instance"), "{text}");
}
