//! `PgStore` against a real PostgreSQL, named by `DATABASE_URL` (CI sets it
//! to the machine's 127.0.0.1:5432, database `test`). Without it these tests
//! say that they were skipped, and why. Each test uses a table of its own
//! and drops it at the end.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cb_client::store::{EncryptionKeys, PgStore};
use cb_client::{StoreError, TokenRecord, TokenStore};
use cb_scopes::{ExposeSecret as _, SecretString};

use crate::workers::{KEY, Worker, authorized, expire_and_call};

/// The database, or `None` after saying why the test is skipped.
fn database_url() -> Option<String> {
    let url = std::env::var("DATABASE_URL").ok();
    if url.is_none() {
        eprintln!("SKIPPED: DATABASE_URL is not set; these tests need PostgreSQL (CI sets it)");
    }
    url
}

/// A fresh table name, and a guard that drops the table.
struct Table {
    name: String,
    url: String,
}

impl Table {
    fn new(url: &str, test: &str) -> Table {
        let nanos =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().subsec_nanos();
        Table {
            name: format!("cb_test_{test}_{}_{nanos}", std::process::id()),
            url: url.to_owned(),
        }
    }

    fn store_env(&self) -> Vec<(&'static str, String)> {
        vec![("DATABASE_URL", self.url.clone()), ("CB_PG_TABLE", self.name.clone())]
    }

    async fn store(&self) -> PgStore {
        PgStore::builder(&self.url).table(&self.name).connect().await.unwrap()
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // A thread of its own: the test's runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let (client, connection) =
                    tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                client.batch_execute(&format!("DROP TABLE IF EXISTS {name}")).await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
    }
}

fn record(access: &str, refresh: &str) -> TokenRecord {
    TokenRecord {
        access_token: SecretString::from(access.to_owned()),
        refresh_token: Some(SecretString::from(refresh.to_owned())),
        expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
        granted: "wallet:accounts:read,offline_access".parse().unwrap(),
        send_limit: None,
        generation: 1,
        tombstone: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_with_100_tasks_share_a_store_through_20_expiries() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "load");
    let sandbox = authorized(Arc::new(table.store().await)).await;
    let env = table.store_env();
    let mut workers: Vec<Worker> = (0..4).map(|_| Worker::start(&sandbox, &env, 100)).collect();
    expire_and_call(&sandbox, &mut workers, 20);
    let stats = sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (20, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_while_holding_the_refresh_lock_releases_it() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "crash");
    let sandbox = authorized(Arc::new(table.store().await)).await;
    let env = table.store_env();
    let mut holder = Worker::start(&sandbox, &env, 1);
    let mut other = Worker::start(&sandbox, &env, 10);
    holder.send("hold-lock");
    assert_eq!(holder.read(), "holding");

    // While the lock is held, the other process waits for it.
    sandbox.advance(Duration::from_secs(3600));
    other.send("round");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sandbox.stats().refreshes, 0, "no refresh while another process holds the lock");

    holder.kill();
    let answer = tokio::task::block_in_place(|| other.read());
    assert_eq!(answer, "ok");
    let stats = sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (1, 0));
}

#[tokio::test]
async fn records_are_encrypted_at_rest_and_a_wrong_key_is_a_clear_error() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "crypto");
    let key = [7u8; 32];
    let store = PgStore::builder(&url)
        .table(&table.name)
        .encryption(EncryptionKeys::new("k1", key))
        .connect()
        .await
        .unwrap();
    store.save(KEY, &record("access-token-plain", "refresh-token-plain"), None).await.unwrap();

    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one(&format!("SELECT record, key_id FROM {} WHERE key = $1", table.name), &[&KEY])
        .await
        .unwrap();
    let bytes: Vec<u8> = row.get(0);
    let key_id: Option<String> = row.get(1);
    assert_eq!(key_id.as_deref(), Some("k1"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("access-token-plain") && !text.contains("refresh-token-plain"));

    let loaded = store.load(KEY).await.unwrap().unwrap();
    assert_eq!(loaded.record.access_token.expose_secret(), "access-token-plain");

    let wrong = PgStore::builder(&url)
        .table(&table.name)
        .encryption(EncryptionKeys::new("k1", [8u8; 32]))
        .connect()
        .await
        .unwrap();
    let error = wrong.load(KEY).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Corrupt { detail, .. } if detail.contains("does not decrypt with key \"k1\"")),
        "{error}"
    );
    let none = PgStore::builder(&url).table(&table.name).connect().await.unwrap();
    assert!(none.load(KEY).await.unwrap_err().to_string().contains("no keys are configured"));

    // Rotation: a new current key, the old one still readable.
    let rotated = PgStore::builder(&url)
        .table(&table.name)
        .encryption(EncryptionKeys::new("k2", [9u8; 32]).with_previous("k1", key))
        .connect()
        .await
        .unwrap();
    let stored = rotated.load(KEY).await.unwrap().unwrap();
    rotated.save(KEY, &stored.record, Some(stored.version)).await.unwrap();
    let row = client
        .query_one(&format!("SELECT key_id FROM {} WHERE key = $1", table.name), &[&KEY])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("k2"));
    assert!(store.load(KEY).await.is_err(), "the old key alone cannot read the new row");
}

#[tokio::test]
async fn saves_are_compare_and_swap() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "cas");
    let store = table.store().await;
    assert_eq!(store.save(KEY, &record("a", "r"), None).await.unwrap(), 1);
    assert!(matches!(
        store.save(KEY, &record("b", "r"), None).await,
        Err(StoreError::Conflict { found: Some(1), .. })
    ));
    assert_eq!(store.save(KEY, &record("b", "r"), Some(1)).await.unwrap(), 2);
    assert!(matches!(
        store.save(KEY, &record("c", "r"), Some(1)).await,
        Err(StoreError::Conflict { found: Some(2), .. })
    ));
    store.delete(KEY).await.unwrap();
    assert!(store.load(KEY).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_at_once_both_migrate_cleanly() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "migrate");
    let start = || PgStore::builder(&url).table(&table.name).max_connections(2).connect();
    let (first, second, third) = tokio::join!(start(), start(), start());
    let (first, second, _third) = (first.unwrap(), second.unwrap(), third.unwrap());
    first.save(KEY, &record("a", "r"), None).await.unwrap();
    assert_eq!(second.load(KEY).await.unwrap().unwrap().version, 1);
}
