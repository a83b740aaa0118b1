//! `PgStore` against a real PostgreSQL, named by `DATABASE_URL` (CI sets it
//! to the machine's 127.0.0.1:5432, database `test`, then runs them again
//! through pgbouncer in transaction mode, with `CB_PG_DIRECT_URL` naming the
//! database behind it). Without it these tests say that they were skipped,
//! and why. Each test uses a table of its own and drops it at the end.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cb_client::store::{EncryptedStore, EncryptionKeys, PgStore};
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
    let mut record = TokenRecord::new(
        SecretString::from(access.to_owned()),
        Some(SecretString::from(refresh.to_owned())),
        SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
        "wallet:accounts:read,offline_access".parse().unwrap(),
    );
    record.generation = 1;
    record
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_three_app_processes_restoring_per_request_lose_no_authorization() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "chaos");
    let (store_url, name) = (url.clone(), table.name.clone());
    let store = crate::chaos::ChaosStore {
        direct: Arc::new(table.store().await),
        upstream: crate::chaos::socket_address(&url),
        env: Box::new(move |proxy| {
            let url = crate::chaos::at(&store_url, proxy);
            vec![("DATABASE_URL", url), ("CB_PG_TABLE", name.clone())]
        }),
    };
    let through =
        if std::env::var_os("CB_PG_DIRECT_URL").is_some() { "pgbouncer" } else { "direct" };
    crate::chaos::run(&format!("PgStore, {through}"), store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_store_keeps_the_store_contract() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "contract");
    cb_client::store::StoreContract::new()
        .check(|| table.store())
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_store_keeps_the_store_contract_between_processes() {
    let Some(url) = database_url() else { return };
    // A table both processes name alike; the kit's keys are its own, and it
    // deletes them.
    let open = || PgStore::builder(&url).table("cb_test_contract_processes").connect();
    cb_client::store::StoreContract::new()
        .across_processes("postgres::pg_store_keeps_the_store_contract_between_processes")
        .check(|| async { open().await.unwrap() })
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_store_keeps_the_store_contract_encrypted_either_way() {
    let Some(url) = database_url() else { return };
    let builtin = Table::new(&url, "contract_builtin");
    let encrypted = |table: &Table| {
        PgStore::builder(&url)
            .table(&table.name)
            .encryption(EncryptionKeys::new("k1", [3u8; 32]))
            .connect()
    };
    cb_client::store::StoreContract::new()
        .check(|| async { encrypted(&builtin).await.unwrap() })
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
    let wrapped = Table::new(&url, "contract_wrapped");
    cb_client::store::StoreContract::new()
        .check(|| async {
            EncryptedStore::new(wrapped.store().await, EncryptionKeys::new("k1", [3u8; 32]))
        })
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
}

/// The row PgStore 0.1 wrote with encryption on: a nonce and the AES-GCM
/// ciphertext of the whole record, bound to the table and key.
fn row_as_0_1_wrote_it(table: &str, key: &str, record: &TokenRecord, aes_key: [u8; 32]) -> Vec<u8> {
    use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
    let cipher = aes_gcm::Aes256Gcm::new(&aes_key.into());
    let nonce = [42u8; 12];
    let aad = format!("cb_client:v1:{table}:{key}");
    let plain = record.to_json().unwrap();
    let sealed =
        cipher.encrypt(&nonce.into(), Payload { msg: &plain, aad: aad.as_bytes() }).unwrap();
    [nonce.as_slice(), &sealed].concat()
}

#[tokio::test]
async fn rows_written_by_0_1_and_rows_from_before_encryption_are_still_read() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "legacy");
    // The table as 0.1 left it: one encrypted row, one from before
    // encryption was turned on.
    table
        .store()
        .await
        .save("plain-user", &record("plain-access", "plain-refresh"), None)
        .await
        .unwrap();
    let database = connect(&url).await;
    let legacy =
        row_as_0_1_wrote_it(&table.name, KEY, &record("old-access", "old-refresh"), [7u8; 32]);
    database
        .execute(
            &format!(
                "INSERT INTO {} (key, version, record, key_id, granted) VALUES ($1, 1, $2, 'k1', '')",
                table.name
            ),
            &[&KEY, &legacy],
        )
        .await
        .unwrap();

    let store = PgStore::builder(&url)
        .table(&table.name)
        .encryption(EncryptionKeys::new("k2", [8u8; 32]).with_previous("k1", [7u8; 32]))
        .connect()
        .await
        .unwrap();
    let old = store.load(KEY).await.unwrap().unwrap();
    assert_eq!(old.record.access_token.expose_secret(), "old-access");
    assert_eq!(old.version, 1);
    let plain = store.load("plain-user").await.unwrap().unwrap();
    assert_eq!(plain.record.access_token.expose_secret(), "plain-access");

    let report = store.reencrypt_all().await.unwrap();
    assert_eq!(report.rewritten, 2);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let rows = database
        .query(&format!("SELECT key, key_id, record FROM {} ORDER BY key", table.name), &[])
        .await
        .unwrap();
    for row in rows {
        let (key, key_id, bytes): (String, Option<String>, Vec<u8>) =
            (row.get(0), row.get(1), row.get(2));
        let text = String::from_utf8(bytes).expect("a record in the current form is JSON");
        assert_eq!(key_id.as_deref(), Some("k2"), "{key}");
        assert_eq!(text.matches("cb-enc:v1:k2:").count(), 2, "{key}: {text}");
        assert!(!text.contains("-access"), "{key}: {text}");
    }
    // Without the retired key, everything still reads.
    let retired = PgStore::builder(&url)
        .table(&table.name)
        .encryption(EncryptionKeys::new("k2", [8u8; 32]))
        .connect()
        .await
        .unwrap();
    let old = retired.load(KEY).await.unwrap().unwrap();
    assert_eq!(old.record.access_token.expose_secret(), "old-access");
    assert_eq!(old.version, 2);
    assert!(matches!(table.store().await.reencrypt_all().await, Err(StoreError::Unsupported(_))));
}

#[tokio::test]
async fn keys_are_listed_a_page_at_a_time() {
    use futures_util::TryStreamExt as _;
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "keys");
    let store = table.store().await;
    let mut expected: Vec<String> = (0..1005).map(|n| format!("user-{n:04}")).collect();
    for key in &expected {
        store.save(key, &record("a", "r"), None).await.unwrap();
    }
    let mut keys: Vec<String> = store.keys().try_collect().await.unwrap();
    keys.sort();
    expected.sort();
    assert_eq!(keys, expected);
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

    // Straight to the database: behind pgbouncer in transaction mode, this
    // client's prepared statements could meet another server connection.
    let client = connect(&url).await;
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

/// The advisory-lock key `PgStore` uses for a key's refresh lock.
fn lock_key(table: &Table, key: &str) -> String {
    format!("cb_client:{}:{key}", table.name)
}

/// The database itself, past a pooler in front of it when
/// `CB_PG_DIRECT_URL` names it: for probes of the server's own state
/// (locks, TLS), which a transaction pooler would spread over its
/// connections.
fn direct_url(url: &str) -> String {
    std::env::var("CB_PG_DIRECT_URL").unwrap_or_else(|_| url.to_owned())
}

/// A plain connection to the test database itself.
async fn connect(url: &str) -> tokio_postgres::Client {
    let url = direct_url(url);
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_keys_refreshing_at_once_on_a_pool_of_four_all_finish() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "pool");
    let store = PgStore::builder(&url)
        .table(&table.name)
        .max_connections(4)
        .pool_timeout(Duration::from_secs(20))
        .connect()
        .await
        .unwrap();
    let sandbox = Arc::new(authorized(Arc::new(store.clone())).await);
    let clock = sandbox.clone();
    let oauth = cb_client::OAuthClient::builder(
        crate::workers::CLIENT_ID,
        crate::workers::CLIENT_SECRET,
        crate::workers::REDIRECT_URI,
    )
    .sandbox(sandbox.base_url().as_str())
    .store(store)
    .clock(move || SystemTime::from(clock.now()))
    .build()
    .unwrap();
    let mut clients = Vec::new();
    for user in 0..64 {
        let (url, pending) = oauth.authorize_url::<crate::workers::Reader>().build().unwrap();
        let redirect = sandbox.consent(url.as_str()).unwrap().approve().unwrap();
        let code = pending.complete(redirect.as_str()).unwrap();
        clients.push(oauth.exchange(code, &format!("user-{user}")).await.unwrap());
    }
    sandbox.advance(Duration::from_secs(3600));
    let started = std::time::Instant::now();
    let calls: Vec<_> = clients
        .into_iter()
        .map(|client| {
            tokio::spawn(async move {
                tokio::time::timeout(Duration::from_secs(30), client.accounts().all()).await
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("no refresh waits forever").unwrap();
    }
    let stats = sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (64, 0));
    println!("64 keys refreshed on 4 + 4 connections in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_lock_wait_leaves_no_lock_held() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "abandon");
    let holder = table.store().await;
    let waiter = table.store().await;
    let held = holder.lock_refresh(KEY).await.unwrap();
    let abandoned =
        tokio::time::timeout(Duration::from_millis(300), waiter.lock_refresh(KEY)).await;
    assert!(abandoned.is_err(), "the wait was abandoned while the lock was held");
    drop(held);

    // Once the holder let go, nobody holds the lock: not the holder, and
    // not the connection whose wait was abandoned.
    let probe = connect(&url).await;
    let lock = lock_key(&table, KEY);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let held: i64 = probe
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
                 AND classid::bigint = (hashtextextended($1, 0) >> 32) & 4294967295
                 AND objid::bigint = hashtextextended($1, 0) & 4294967295",
                &[&lock],
            )
            .await
            .unwrap()
            .get(0);
        if held == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lock is still held by {held} session(s)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let free: bool = probe
        .query_one("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", &[&lock])
        .await
        .unwrap()
        .get(0);
    assert!(free, "another session can take the lock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_wait_is_bounded_by_the_lock_timeout() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "locktimeout");
    let holder = table.store().await;
    let waiter = PgStore::builder(&url)
        .table(&table.name)
        .lock_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let _held = holder.lock_refresh(KEY).await.unwrap();
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(10), waiter.lock_refresh(KEY))
        .await
        .expect("the wait is bounded by the store, not by this timeout");
    let error = outcome.unwrap_err();
    assert!(error.to_string().contains("was not granted"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The store stays usable.
    waiter.save(KEY, &record("a", "r"), None).await.unwrap();
}

#[tokio::test]
async fn an_encrypted_record_copied_into_another_row_does_not_decrypt_there() {
    let Some(url) = database_url() else { return };
    let table = Table::new(&url, "aad");
    let store = PgStore::builder(&url)
        .table(&table.name)
        .encryption(EncryptionKeys::new("k1", [5u8; 32]))
        .connect()
        .await
        .unwrap();
    store.save("alice", &record("alice-access", "alice-refresh"), None).await.unwrap();
    store.save("mallory", &record("mallory-access", "mallory-refresh"), None).await.unwrap();
    // Someone who can write the table gives Mallory's row Alice's record.
    let database = connect(&url).await;
    database
        .execute(
            &format!(
                "UPDATE {0} SET record = (SELECT record FROM {0} WHERE key = 'alice') \
                 WHERE key = 'mallory'",
                table.name
            ),
            &[],
        )
        .await
        .unwrap();
    let error = store.load("mallory").await.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    assert!(!error.to_string().contains("alice-access"), "{error}");
    let alice = store.load("alice").await.unwrap().unwrap();
    assert_eq!(alice.record.access_token.expose_secret(), "alice-access");
}

/// Turns TLS on in the test database with a certificate for 127.0.0.1 and
/// `localhost` issued by a CA made here, and turns it back when dropped.
/// It writes the certificate beside the server's data directory and points
/// `ssl_cert_file` and `ssl_key_file` at it with `ALTER SYSTEM`: this needs
/// the server on this machine and a test run as root (as CI runs).
struct ServerTls {
    url: String,
    files: Vec<std::path::PathBuf>,
    /// The CA, as PEM, for clients to trust.
    ca_pem: String,
}

impl ServerTls {
    async fn enable(url: &str) -> Result<ServerTls, String> {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        let database = connect(url).await;
        let data_dir: String = database.query_one("SHOW data_directory", &[]).await.unwrap().get(0);
        let owner = std::fs::metadata(&data_dir).map_err(|error| {
            format!("the server's data directory {data_dir} is not on this machine: {error}")
        })?;
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "cb-scopes test CA");
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let server_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server = server_params.signed_by(&server_key, &issuer).unwrap();
        let cert_path = std::path::Path::new(&data_dir).join("cb_scopes_test_server.crt");
        let key_path = std::path::Path::new(&data_dir).join("cb_scopes_test_server.key");
        for (path, contents) in
            [(&cert_path, server.pem()), (&key_path, server_key.serialize_pem())]
        {
            std::fs::write(path, contents).map_err(|error| {
                format!("cannot write {} (run as root): {error}", path.display())
            })?;
            std::os::unix::fs::chown(path, Some(owner.uid()), Some(owner.gid()))
                .map_err(|error| format!("cannot chown {}: {error}", path.display()))?;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let tls = ServerTls {
            url: url.to_owned(),
            files: vec![cert_path.clone(), key_path.clone()],
            ca_pem: ca.pem(),
        };
        // One statement at a time: ALTER SYSTEM refuses to run in the
        // implicit transaction of a multi-statement query.
        for statement in [
            format!("ALTER SYSTEM SET ssl_cert_file = '{}'", cert_path.display()),
            format!("ALTER SYSTEM SET ssl_key_file = '{}'", key_path.display()),
            "ALTER SYSTEM SET ssl = on".to_owned(),
            "SELECT pg_reload_conf()".to_owned(),
        ] {
            database
                .batch_execute(&statement)
                .await
                .map_err(|error| format!("cannot turn TLS on ({statement}): {error:?}"))?;
        }
        // The reload is asynchronous: wait until new sessions see it.
        for _ in 0..50 {
            let fresh = connect(url).await;
            let file: String = fresh.query_one("SHOW ssl_cert_file", &[]).await.unwrap().get(0);
            if file == cert_path.display().to_string() {
                return Ok(tls);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the server did not load the certificate".into())
    }
}

impl Drop for ServerTls {
    fn drop(&mut self) {
        let url = self.url.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let (client, connection) =
                    tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                for statement in [
                    "ALTER SYSTEM RESET ssl_cert_file",
                    "ALTER SYSTEM RESET ssl_key_file",
                    "ALTER SYSTEM RESET ssl",
                    "SELECT pg_reload_conf()",
                ] {
                    client.batch_execute(statement).await?;
                }
                Ok::<_, tokio_postgres::Error>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        // The server reads the files at reload only; give it a moment.
        std::thread::sleep(Duration::from_millis(300));
        for file in &self.files {
            let _ = std::fs::remove_file(file);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_connects_over_verified_tls() {
    let Some(url) = database_url() else { return };
    // TLS is the server's: test it on the server, not through a pooler.
    let url = direct_url(&url);
    let tls = match ServerTls::enable(&url).await {
        Ok(tls) => tls,
        Err(reason) => {
            assert!(
                std::env::var_os("CB_REQUIRE_PG_TLS").is_none(),
                "CB_REQUIRE_PG_TLS is set but TLS cannot be turned on: {reason}"
            );
            eprintln!("SKIPPED: {reason}");
            return;
        }
    };
    let table = Table::new(&url, "tls");
    let separator = if url.contains('?') { '&' } else { '?' };
    let tls_url =
        format!("{url}{separator}sslmode=require&application_name=cb_tls_{}", std::process::id());
    let store = PgStore::builder(&tls_url)
        .table(&table.name)
        .tls_root_certificates_pem(&tls.ca_pem)
        .connect()
        .await
        .unwrap();
    store.save(KEY, &record("tls-access", "tls-refresh"), None).await.unwrap();
    let loaded = store.load(KEY).await.unwrap().unwrap();
    assert_eq!(loaded.record.access_token.expose_secret(), "tls-access");

    // Every connection of the store is encrypted, as the server sees it.
    let probe = connect(&url).await;
    let rows = probe
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid \
             WHERE a.application_name = $1",
            &[&format!("cb_tls_{}", std::process::id())],
        )
        .await
        .unwrap();
    assert!(!rows.is_empty(), "the store's connections are listed");
    assert!(rows.iter().all(|row| row.get::<_, bool>(0)), "every connection uses TLS");

    // A certificate the client does not trust is refused: the platform's
    // roots do not include the test CA.
    let untrusted = PgStore::builder(&tls_url).table(&table.name).connect().await;
    let error = untrusted.expect_err("an untrusted certificate is refused");
    assert!(!error.to_string().is_empty());
    drop(store);
    drop(tls);
}
