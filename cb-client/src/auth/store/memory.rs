//! `MemoryStore`: tokens in the process's memory.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::auth::store::contract::{BoxFuture, BoxStream, Stored, TokenStore};
use crate::auth::store::error::StoreError;
use crate::auth::tokens::TokenRecord;

/// Keeps records in memory: for tests, and for apps that ask users to
/// authorize again after every restart. Nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: Mutex<HashMap<String, Stored>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Stored>) -> T) -> T {
        // A poisoned map still holds whole records: each change is one insert
        // or remove.
        let mut records = self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut records)
    }
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        let stored = self.with(|records| records.get(key).cloned());
        Box::pin(async move { Ok(stored) })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        let result = self.with(|records| {
            let found = records.get(key).map(|stored| stored.version);
            if found != expected_version {
                return Err(StoreError::Conflict { expected: expected_version, found });
            }
            let version = found.map_or(1, |version| version + 1);
            records.insert(key.to_owned(), Stored { record: record.clone(), version });
            Ok(version)
        });
        Box::pin(async move { result })
    }

    fn keys(&self) -> BoxStream<'_, Result<String, StoreError>> {
        let keys: Vec<String> = self.with(|records| records.keys().cloned().collect());
        Box::pin(futures_util::stream::iter(keys.into_iter().map(Ok)))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.with(|records| records.remove(key));
        Box::pin(async { Ok(()) })
    }
}
