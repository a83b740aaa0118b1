//! `PgStore`: tokens in PostgreSQL, for apps that run several instances.
//!
//! One row per authorization key holds the record, a version, the granted
//! scopes and timestamps. Saves are compare-and-swap on the version. While an
//! instance refreshes an authorization it holds a PostgreSQL advisory lock on
//! its key, on a connection of its own: other instances wait, then find the
//! new tokens. If the instance dies mid-refresh, its connection closes and
//! PostgreSQL releases the lock.
//!
//! It works the same behind a transaction pooler (pgbouncer in
//! `pool_mode=transaction`, as Supabase, Neon, Heroku and RDS Proxy offer
//! PostgreSQL), which hands each transaction whatever server connection is
//! free: so nothing may outlive a statement or a transaction. Statements go
//! in one round trip each, typed and unnamed (no prepared statement a later
//! request could miss); no startup option is sent (poolers refuse them);
//! and the refresh lock is transaction-scoped (`pg_advisory_xact_lock` in an
//! open transaction, whose `lock_timeout` is `SET LOCAL`), which the pooler
//! keeps on one server connection until the lock's holder commits.
//!
//! Locks come from a pool of their own. A refresh holds a lock connection
//! while it loads and saves on a data connection; with one pool for both, as
//! many refreshing keys as connections would each hold one and wait forever
//! for a second. Every wait is bounded: for a pooled connection, and (by
//! PostgreSQL's `lock_timeout`) for the lock itself. A lock wait that is
//! abandoned (its future dropped) closes its connection rather than
//! returning it to the pool, because the server may still grant the lock
//! to that connection after nobody is waiting for it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aes_gcm::Nonce;
use aes_gcm::aead::{Aead as _, Payload};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;
use tokio_postgres::types::Type;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::auth::store::contract::{BoxFuture, BoxStream, RefreshLock, Stored, TokenStore};
use crate::auth::store::encrypted::{EncryptedStore, EncryptionKeys, Reencrypted};
use crate::auth::store::error::StoreError;
use crate::auth::tokens::TokenRecord;

/// The default table.
const DEFAULT_TABLE: &str = "cb_client_tokens";

/// Keeps records in a PostgreSQL table, shared safely by any number of app
/// instances.
///
/// ```no_run
/// # async fn demo() -> Result<(), cb_client::StoreError> {
/// use cb_client::store::{EncryptionKeys, PgStore};
///
/// let keys = EncryptionKeys::new("2026-11", [7u8; 32]); // from your secret manager
/// let store = PgStore::builder("postgres://app@db/app").encryption(keys).connect().await?;
/// # let _ = store; Ok(()) }
/// ```
///
/// - **Schema:** the table (`cb_client_tokens` unless set) is created at
///   connect time under an advisory lock, so instances that start together
///   all succeed.
/// - **Refresh across instances:** `lock_refresh` holds an advisory lock on
///   the key, on a connection from a separate pool of
///   [`lock_connections`](PgStoreBuilder::lock_connections) (4 by default),
///   so that any number of keys refreshing at once cannot exhaust the
///   connections their loads and saves need; `save` only succeeds on the
///   version that was read. Waiting for a connection is bounded by
///   [`pool_timeout`](PgStoreBuilder::pool_timeout) and waiting for a lock
///   by [`lock_timeout`](PgStoreBuilder::lock_timeout) (30 s each), after
///   which the call fails with a [`StoreError`] and nothing is lost: no
///   refresh was attempted.
/// - **Encryption at rest** (optional, with
///   [`encryption`](PgStoreBuilder::encryption)): the store is an
///   [`EncryptedStore`] around its table, with the same keys, rotation and
///   [`reencrypt_all`](Self::reencrypt_all), and the key id of each row also
///   in its `key_id` column. It still reads rows that earlier versions
///   wrote: unencrypted ones (from before encryption was turned on), and
///   those whose whole record 0.1 encrypted; each is rewritten in the
///   current form on its next save.
#[derive(Clone)]
pub struct PgStore {
    rows: Rows,
    /// The rows behind an `EncryptedStore`, when the store encrypts.
    sealed: Option<Arc<EncryptedStore<Rows>>>,
}

/// The table itself: what a `PgStore` is without encryption, and what its
/// `EncryptedStore` wraps with it.
#[derive(Clone)]
struct Rows {
    pool: Pool,
    locks: Pool,
    table: Arc<str>,
    /// The keys of the `EncryptedStore` around these rows, if any: to fill
    /// in the `key_id` column, and to read rows that 0.1 encrypted whole.
    keys: Option<Arc<EncryptionKeys>>,
    /// How long a refresh lock is waited for: `SET LOCAL lock_timeout` of
    /// the lock's transaction.
    lock_timeout: Duration,
}

/// Configures a [`PgStore`].
pub struct PgStoreBuilder {
    database_url: String,
    tls_roots: Option<Vec<u8>>,
    table: String,
    max_connections: usize,
    lock_connections: usize,
    pool_timeout: Duration,
    lock_timeout: Duration,
    keys: Option<EncryptionKeys>,
}

/// How long a refresh lock is waited for unless the builder says.
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

fn database(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Other(Box::new(error))
}

impl PgStore {
    /// A builder for the database at `database_url`
    /// (`postgres://user:password@host:port/database`).
    pub fn builder(database_url: impl Into<String>) -> PgStoreBuilder {
        PgStoreBuilder {
            database_url: database_url.into(),
            tls_roots: None,
            table: DEFAULT_TABLE.to_owned(),
            max_connections: 16,
            lock_connections: 4,
            pool_timeout: Duration::from_secs(30),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            keys: None,
        }
    }

    /// Connects with the defaults and applies the migration.
    ///
    /// # Errors
    ///
    /// When the URL is invalid or the database cannot be reached.
    pub async fn connect(database_url: &str) -> Result<Self, StoreError> {
        PgStore::builder(database_url).connect().await
    }

    /// Uses the caller's pool for records and refresh locks alike, and
    /// applies the migration.
    ///
    /// A refresh holds one connection for its lock and needs another to
    /// load and save: give the pool more connections than keys that may
    /// refresh at once, and a wait timeout, or use
    /// [`from_pools`](Self::from_pools).
    ///
    /// # Errors
    ///
    /// When the migration fails.
    pub async fn from_pool(pool: Pool) -> Result<Self, StoreError> {
        PgStore::from_pools(pool.clone(), pool).await
    }

    /// Uses the caller's pools: `pool` for records, `locks` for refresh
    /// locks; and applies the migration.
    ///
    /// # Errors
    ///
    /// When the migration fails.
    pub async fn from_pools(pool: Pool, locks: Pool) -> Result<Self, StoreError> {
        let rows = Rows {
            pool,
            locks,
            table: DEFAULT_TABLE.into(),
            keys: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        };
        PgStore::over(rows).await
    }

    /// The store on `rows`, encrypted with their keys if they have any,
    /// after the migration.
    async fn over(rows: Rows) -> Result<Self, StoreError> {
        rows.migrate().await?;
        let sealed = rows.keys.clone().map(|keys| {
            // Rows from before encryption was turned on stay readable, as
            // they were in 0.1.
            Arc::new(EncryptedStore::with_shared_keys(rows.clone(), keys).accepting_plaintext())
        });
        Ok(PgStore { rows, sealed })
    }

    /// Rewrites every row under the current encryption key, as
    /// [`EncryptedStore::reencrypt_all`] does: after a rotation, or to
    /// encrypt the rows written before encryption was turned on.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unsupported`] when the store has no encryption keys,
    /// or the table cannot be listed.
    pub async fn reencrypt_all(&self) -> Result<Reencrypted, StoreError> {
        match &self.sealed {
            Some(sealed) => sealed.reencrypt_all().await,
            None => Err(StoreError::Unsupported("re-encryption without encryption keys")),
        }
    }

    /// The store that does the work: the table, or the encryption around it.
    fn store(&self) -> &dyn TokenStore {
        match &self.sealed {
            Some(sealed) => &**sealed,
            None => &self.rows,
        }
    }
}

impl Rows {
    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(database)
    }

    /// Creates the table if it is missing. Instances that start together
    /// serialize on a transaction-level advisory lock.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(database)?;
        transaction
            .batch_execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('cb_client:migration', 0))",
            )
            .await
            .map_err(database)?;
        let table = &self.table;
        transaction
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {table} (
                    key TEXT PRIMARY KEY,
                    version BIGINT NOT NULL,
                    record BYTEA NOT NULL,
                    key_id TEXT,
                    granted TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )"
            ))
            .await
            .map_err(database)?;
        transaction.commit().await.map_err(database)
    }

    /// What 0.1's whole-record ciphertexts are bound to: this table and
    /// this key.
    fn legacy_associated_data(&self, key: &str) -> Vec<u8> {
        format!("cb_client:v1:{}:{key}", self.table).into_bytes()
    }

    /// The stored bytes and key id of a record, whose tokens the
    /// `EncryptedStore` around these rows has sealed when they have keys.
    fn seal(&self, record: &TokenRecord) -> Result<(Vec<u8>, Option<String>), StoreError> {
        let bytes = record.to_json().map_err(|error| StoreError::Other(Box::new(error)))?;
        Ok((bytes, self.keys.as_ref().map(|keys| keys.current_id().to_owned())))
    }

    fn open(
        &self,
        key: &str,
        bytes: &[u8],
        key_id: Option<&str>,
    ) -> Result<TokenRecord, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt { key: key.to_owned(), detail };
        let keys = match (key_id, &self.keys) {
            (None, _) => {
                return TokenRecord::from_json(bytes).map_err(|error| corrupt(error.to_string()));
            }
            (Some(id), None) => {
                return Err(corrupt(format!(
                    "it is encrypted with key {id:?} and no keys are configured"
                )));
            }
            (Some(_), Some(keys)) => keys,
        };
        // A record whose tokens are sealed is JSON; 0.1 wrote a nonce and
        // the ciphertext of the whole record, which almost never starts
        // like JSON and never reads as a record.
        if bytes.first() == Some(&b'{')
            && let Ok(record) = TokenRecord::from_json(bytes)
        {
            return Ok(record);
        }
        let record = self.open_legacy(key, bytes, key_id.unwrap_or_default(), keys)?;
        // The `EncryptedStore` around these rows opens what it sealed.
        keys.seal_record(key, &record)
    }

    /// A row 0.1 encrypted whole, with the key recorded as `key_id`.
    fn open_legacy(
        &self,
        key: &str,
        bytes: &[u8],
        key_id: &str,
        keys: &EncryptionKeys,
    ) -> Result<TokenRecord, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt { key: key.to_owned(), detail };
        let cipher = keys.for_id(key_id).ok_or_else(|| {
            corrupt(format!("it is encrypted with key {key_id:?}, which is not configured"))
        })?;
        let (nonce, sealed) =
            bytes.split_at_checked(12).ok_or_else(|| corrupt("it is too short".into()))?;
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| corrupt("bad nonce".into()))?;
        let nonce = Nonce::from(nonce);
        let aad = self.legacy_associated_data(key);
        let plain = cipher
            .decrypt(&nonce, Payload { msg: sealed, aad: &aad })
            // Rows written before ciphertexts were bound to their key.
            .or_else(|_| cipher.decrypt(&nonce, sealed))
            .map_err(|_| {
                corrupt(format!(
                    "it does not decrypt with key {key_id:?} for this key and table: a wrong \
                     key, altered bytes, or another row's record"
                ))
            })?;
        TokenRecord::from_json(&plain).map_err(|error| corrupt(error.to_string()))
    }
}

impl PgStoreBuilder {
    /// The table to use, instead of `cb_client_tokens`: 1 to 63 lowercase
    /// letters, digits and `_`, not starting with a digit.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// The most connections the pool for records opens; 16 by default.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The most connections held for refresh locks, which is the most
    /// keys this instance refreshes at once; 4 by default. They come on
    /// top of [`max_connections`](Self::max_connections).
    pub fn lock_connections(mut self, max: usize) -> Self {
        self.lock_connections = max.max(1);
        self
    }

    /// The longest wait for a pooled connection (or for a new one to
    /// connect); 30 s by default.
    pub fn pool_timeout(mut self, timeout: Duration) -> Self {
        self.pool_timeout = timeout;
        self
    }

    /// The longest wait for another instance's refresh lock, as
    /// PostgreSQL's `lock_timeout` set for the lock's transaction; 30 s by
    /// default. A refresh takes well under a second, so a longer wait means
    /// a stuck holder.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Trusts only these certificate authorities (PEM, one or more
    /// certificates) for the server's TLS certificate, instead of the
    /// platform's: for a database whose certificate a private CA issued,
    /// such as a cloud provider's bundle. Applies with `sslmode=require`.
    pub fn tls_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.tls_roots = Some(pem.as_ref().to_vec());
        self
    }

    /// Encrypts records at rest.
    pub fn encryption(mut self, keys: EncryptionKeys) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Connects and applies the migration.
    ///
    /// **TLS** follows the URL's `sslmode`: with `sslmode=require` (or
    /// libpq's `verify-ca` and `verify-full`, which mean the same here) every
    /// connection is TLS through rustls, and the server's certificate is
    /// verified, chain and host name, against the platform's roots or those
    /// given to [`tls_root_certificates_pem`](Self::tls_root_certificates_pem).
    /// Otherwise (`disable`, `prefer` or no `sslmode`) connections are plain:
    /// an unverified "TLS if offered" would only resist passive listeners,
    /// and this store carries tokens.
    ///
    /// # Errors
    ///
    /// An invalid URL, table name or root certificate, an unreachable
    /// database, or a server certificate that does not verify.
    pub async fn connect(self) -> Result<PgStore, StoreError> {
        let valid_table = (1..=63).contains(&self.table.len())
            && self
                .table
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !self.table.as_bytes()[0].is_ascii_digit();
        if !valid_table {
            return Err(StoreError::Other(format!("invalid table name {:?}", self.table).into()));
        }
        let (mut config, tls) = connection_config(&self.database_url, self.tls_roots.as_deref())?;
        if tls.is_none() {
            config.ssl_mode(SslMode::Disable);
        }
        let lock_config = config.clone();
        let pool = |config: tokio_postgres::Config, size: usize| {
            let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
            let manager = match &tls {
                Some(tls) => Manager::from_config(config, tls.clone(), recycling),
                None => Manager::from_config(config, NoTls, recycling),
            };
            Pool::builder(manager)
                .max_size(size)
                .runtime(Runtime::Tokio1)
                .wait_timeout(Some(self.pool_timeout))
                .create_timeout(Some(self.pool_timeout))
                .build()
                .map_err(|error| StoreError::Other(error.to_string().into()))
        };
        let rows = Rows {
            pool: pool(config, self.max_connections)?,
            locks: pool(lock_config, self.lock_connections)?,
            table: self.table.into(),
            keys: self.keys.map(Arc::new),
            lock_timeout: self.lock_timeout,
        };
        PgStore::over(rows).await
    }
}

/// The connection settings of `url`, and the TLS connector when its
/// `sslmode` asks for TLS.
fn connection_config(
    url: &str,
    roots_pem: Option<&[u8]>,
) -> Result<(tokio_postgres::Config, Option<MakeRustlsConnect>), StoreError> {
    // libpq's verifying modes are what `require` does here.
    let url = url
        .replace("sslmode=verify-full", "sslmode=require")
        .replace("sslmode=verify-ca", "sslmode=require");
    let config: tokio_postgres::Config = url.parse().map_err(database)?;
    if config.get_ssl_mode() != SslMode::Require {
        return Ok((config, None));
    }
    let tls_error = |detail: String| StoreError::Other(format!("TLS: {detail}").into());
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| tls_error(error.to_string()))?;
    let client_config = match roots_pem {
        Some(pem) => {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject as _;
            let mut roots = rustls::RootCertStore::empty();
            for certificate in CertificateDer::pem_slice_iter(pem) {
                let certificate = certificate
                    .map_err(|error| tls_error(format!("the root certificates: {error}")))?;
                roots
                    .add(certificate)
                    .map_err(|error| tls_error(format!("a root certificate: {error}")))?;
            }
            if roots.is_empty() {
                return Err(tls_error("no certificate in the root certificates' PEM".into()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => {
            let verifier = rustls_platform_verifier::Verifier::new(provider)
                .map_err(|error| tls_error(format!("the platform's verifier: {error}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth()
        }
    };
    Ok((config, Some(MakeRustlsConnect::new(client_config))))
}

impl fmt::Debug for PgStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("PgStoreBuilder").field("table", &self.table).finish_non_exhaustive()
    }
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("table", &self.rows.table)
            .field("encryption", &self.rows.keys)
            .finish()
    }
}

impl TokenStore for PgStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        self.store().load(key)
    }

    fn keys(&self) -> BoxStream<'_, Result<String, StoreError>> {
        self.store().keys()
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        self.store().save(key, record, expected_version)
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.store().delete(key)
    }

    fn lock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        self.store().lock_refresh(key)
    }
}

impl TokenStore for Rows {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let query =
                format!("SELECT version, record, key_id FROM {} WHERE key = $1", self.table);
            let found = client.query_typed_opt(&query, &[(&key, Type::TEXT)]).await;
            let Some(row) = found.map_err(database)? else {
                return Ok(None);
            };
            let version: i64 = row.get(0);
            let bytes: Vec<u8> = row.get(1);
            let key_id: Option<String> = row.get(2);
            let record = self.open(key, &bytes, key_id.as_deref())?;
            Ok(Some(Stored { record, version: u64::try_from(version).unwrap_or(0) }))
        })
    }

    /// The keys of the table, a thousand at a time in key order (so that a
    /// large table is never read at once).
    fn keys(&self) -> BoxStream<'_, Result<String, StoreError>> {
        let pages =
            futures_util::stream::try_unfold(Some(String::new()), move |after| async move {
                let Some(after) = after else { return Ok::<_, StoreError>(None) };
                let client = self.client().await?;
                let query = format!(
                    "SELECT key FROM {} WHERE key > $1 ORDER BY key LIMIT 1000",
                    self.table
                );
                let rows =
                    client.query_typed(&query, &[(&after, Type::TEXT)]).await.map_err(database)?;
                let keys: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
                let next = (keys.len() == 1000).then(|| keys[999].clone());
                let page = futures_util::stream::iter(keys.into_iter().map(Ok::<_, StoreError>));
                Ok(Some((page, next)))
            });
        Box::pin(futures_util::TryStreamExt::try_flatten(pages))
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let (bytes, key_id) = self.seal(record)?;
            let granted = record.granted.to_string();
            let client = self.client().await?;
            let table = &self.table;
            let saved = match expected_version {
                None => {
                    let insert = format!(
                        "INSERT INTO {table} (key, version, record, key_id, granted) VALUES ($1, 1, $2, $3, $4)
                         ON CONFLICT (key) DO NOTHING"
                    );
                    let params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 4] = [
                        (&key, Type::TEXT),
                        (&bytes, Type::BYTEA),
                        (&key_id, Type::TEXT),
                        (&granted, Type::TEXT),
                    ];
                    client.execute_typed(&insert, &params).await.map_err(database)?
                }
                Some(expected) => {
                    let expected = i64::try_from(expected).unwrap_or(i64::MAX);
                    let update = format!(
                        "UPDATE {table} SET version = version + 1, record = $3, key_id = $4, granted = $5,
                         updated_at = now() WHERE key = $1 AND version = $2"
                    );
                    let params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 5] = [
                        (&key, Type::TEXT),
                        (&expected, Type::INT8),
                        (&bytes, Type::BYTEA),
                        (&key_id, Type::TEXT),
                        (&granted, Type::TEXT),
                    ];
                    client.execute_typed(&update, &params).await.map_err(database)?
                }
            };
            if saved == 1 {
                return Ok(expected_version.map_or(1, |version| version + 1));
            }
            let query = format!("SELECT version FROM {table} WHERE key = $1");
            let found =
                client.query_typed_opt(&query, &[(&key, Type::TEXT)]).await.map_err(database)?;
            let found = found.map(|row| u64::try_from(row.get::<_, i64>(0)).unwrap_or(0));
            Err(StoreError::Conflict { expected: expected_version, found })
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let delete = format!("DELETE FROM {} WHERE key = $1", self.table);
            client.execute_typed(&delete, &[(&key, Type::TEXT)]).await.map_err(database)?;
            Ok(())
        })
    }

    fn lock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        Box::pin(async move {
            let client = self.locks.get().await.map_err(database)?;
            let lock_key = format!("cb_client:{}:{key}", self.table);
            let timeout_ms = self.lock_timeout.as_millis().clamp(1, i32::MAX as u128);
            // Until the lock is granted and owned by a guard, dropping this
            // future closes the connection (see `Unfinished`), and a lock
            // that was not granted leaves an aborted transaction, so the
            // connection is closed then too.
            let mut waiting = Unfinished(None);
            let connection = waiting.0.insert(client);
            let begun = connection
                .batch_execute(&format!("BEGIN; SET LOCAL lock_timeout = {timeout_ms}"))
                .await;
            let locked = match begun {
                Ok(()) => connection
                    .execute_typed(
                        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                        &[(&lock_key, Type::TEXT)],
                    )
                    .await
                    .map(drop),
                Err(error) => Err(error),
            };
            match locked {
                Ok(()) => Ok(RefreshLock::new(AdvisoryLock { client: waiting.0.take() })),
                Err(error) => Err(StoreError::Other(
                    format!("the refresh lock of key {key:?} was not granted: {error}").into(),
                )),
            }
        })
    }
}

/// A lock connection whose lock request has not completed. If it is
/// dropped like that (the caller gave up waiting), the server may still
/// grant the lock to this connection later, with nobody to release it: so
/// it is closed, never returned to the pool. Closing ends the session, and
/// PostgreSQL releases whatever it was granted.
struct Unfinished(Option<Object>);

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            drop(Object::take(client));
        }
    }
}

/// A transaction-scoped advisory lock: an open transaction on a pooled
/// connection. Dropping it commits in the background, which releases the
/// lock; if that fails the connection is closed instead of going back to
/// the pool, which ends the transaction and releases the lock too.
struct AdvisoryLock {
    client: Option<Object>,
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // Nothing can run the commit: close the connection, which
            // releases the lock.
            drop(Object::take(client));
            return;
        };
        runtime.spawn(async move {
            if client.batch_execute("COMMIT").await.is_err() {
                drop(Object::take(client));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_decides_tls() {
        let plain = |url: &str| connection_config(url, None).unwrap().1.is_none();
        assert!(plain("postgres://app@db/app"));
        assert!(plain("postgres://app@db/app?sslmode=disable"));
        assert!(plain("postgres://app@db/app?sslmode=prefer"));
        assert!(!plain("postgres://app@db/app?sslmode=require"));
        assert!(!plain("postgres://app@db/app?sslmode=verify-full"));
        assert!(!plain("postgres://app@db/app?sslmode=verify-ca"));
        assert!(connection_config("postgres://app@db/app?sslmode=sometimes", None).is_err());
        let error =
            connection_config("postgres://db/app?sslmode=require", Some(b"not pem")).err().unwrap();
        assert!(error.to_string().contains("no certificate"), "{error}");
    }
}
