//! Two OS processes share one `FileStore` directory and one authorization,
//! each with 50 concurrent tasks, through 20 forced expiries: every expiry
//! costs exactly one refresh, and no refresh token is spent twice.

use std::sync::Arc;

use cb_client::FileStore;

use crate::workers::{Worker, authorized, expire_and_call};

const ROUNDS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sharing_a_file_store_refresh_once_per_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = authorized(Arc::new(FileStore::new(dir.path()).unwrap())).await;
    let store = [("CB_STORE_DIR", dir.path().display().to_string())];
    let mut workers = [Worker::start(&sandbox, &store, 50), Worker::start(&sandbox, &store, 50)];
    expire_and_call(&sandbox, &mut workers, ROUNDS);
    let stats = sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (ROUNDS as u64, 0));
}
