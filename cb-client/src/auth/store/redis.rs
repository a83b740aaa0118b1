//! `RedisStore`: tokens in Redis, for web apps that keep their sessions
//! there and run several instances.
//!
//! Each record is a hash (`version`, `record`) under `{prefix}:{key}`.
//! Saves are compare-and-swap in a server-side script, so two instances
//! never both believe they saved. The refresh lock is a key with an expiry
//! holding a random owner token, taken, renewed and released in scripts
//! that check that token: only its owner extends or releases it, and a
//! holder that dies lets it go when it expires. A command that meets a
//! dropped connection runs once more on the new one.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use redis::{AsyncCommands as _, Script};

use crate::auth::store::contract::{BoxFuture, BoxStream, RefreshLock, Stored, TokenStore};
use crate::auth::store::error::StoreError;
use crate::auth::tokens::TokenRecord;

/// Saves `ARGV[2]` as the record if the stored version is `ARGV[1]` (empty:
/// nothing stored). Returns `{1, new version}` or `{0, found version}`.
const SAVE: &str = r"
local found = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '' then
  if found then return {0, found} end
elseif found ~= ARGV[1] then
  return {0, found or ''}
end
local version = (tonumber(found) or 0) + 1
redis.call('HSET', KEYS[1], 'version', version, 'record', ARGV[2])
return {1, tostring(version)}
";

/// Takes the lock `KEYS[1]` for the owner token `ARGV[1]` for `ARGV[2]` ms
/// unless another owner holds it; 1 when this owner holds it now. A repeat
/// by the same owner (its first answer lost with a dropped connection)
/// finds it held by itself and answers 1.
const TAKE: &str = r"
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if held then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
";

/// Extends the lock `KEYS[1]` to `ARGV[2]` ms if its owner token is
/// `ARGV[1]`; 0 when it is no longer that owner's.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Deletes the lock `KEYS[1]` if its owner token is `ARGV[1]`.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Keeps records in Redis, shared safely by any number of app instances.
///
/// ```no_run
/// # async fn demo() -> Result<(), cb_client::StoreError> {
/// use cb_client::store::RedisStore;
///
/// let store = RedisStore::builder("redis://127.0.0.1:6379/").prefix("my-app:tokens").connect().await?;
/// # let _ = store; Ok(()) }
/// ```
///
/// - **Compare-and-swap saves** run as one script on the server.
/// - **The refresh lock** expires after
///   [`lock_expiry`](RedisStoreBuilder::lock_expiry) (120 s by default,
///   above the slowest refresh the client's retries allow), so a crashed
///   holder cannot block a key for good, and its holder renews it (an
///   owner-checked extension) every third of that while it refreshes; a
///   holder that could not renew it knows, and spends no refresh token.
///   It is released only by the holder that took it. Waiting for it gives
///   up after [`lock_timeout`](RedisStoreBuilder::lock_timeout).
/// - Records are [`TokenRecord::to_json`]: protect the Redis server as you
///   would the tokens (TLS with a `rediss://` URL, `requirepass`, no
///   public network).
/// - **The server's settings.** A refreshed pair that Redis loses is an
///   authorization lost (the old refresh token is spent at Coinbase): run
///   it with append-only persistence (`appendonly yes`, and `appendfsync
///   always` to lose no acknowledged write on a crash; `everysec` can lose
///   the last second), and with a `maxmemory-policy` that never evicts the
///   records (`noeviction`, or a `volatile-*` policy: records have no
///   expiry, only locks do).
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
    lock_expiry: Duration,
    lock_timeout: Duration,
    save: Arc<Script>,
    take: Arc<Script>,
    renew: Arc<Script>,
    release: Arc<Script>,
}

/// Configures a [`RedisStore`].
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    lock_expiry: Duration,
    lock_timeout: Duration,
}

impl RedisStore {
    /// A builder for the server at `url` (`redis://host:port/db`, or
    /// `rediss://` for TLS).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            prefix: "cb_client:tokens".to_owned(),
            lock_expiry: Duration::from_secs(120),
            lock_timeout: Duration::from_secs(30),
        }
    }

    fn record_key(&self, key: &str) -> Result<String, StoreError> {
        if key.is_empty() || key.len() > 200 {
            return Err(StoreError::InvalidKey(key.chars().take(40).collect()));
        }
        Ok(format!("{}:{key}", self.prefix))
    }

    fn lock_key(&self, key: &str) -> Result<String, StoreError> {
        // `#` where records have `:`: no key's lock can be another's record.
        self.record_key(key).map(|_| format!("{}#refresh-lock:{key}", self.prefix))
    }
}

fn redis_error(error: redis::RedisError) -> StoreError {
    StoreError::Other(Box::new(error))
}

/// Runs a command, and once more if it found the connection dropped (a
/// Redis restart, a failover, a network blip): the connection manager
/// reconnects on such an error but hands the error to the command that met
/// it, which would otherwise fail a request after the server is back.
/// Every command here may be repeated: a load reads, a save is
/// compare-and-swap (a repeat of one that landed answers a conflict, which
/// the client reads back), a delete is idempotent, and the lock is taken
/// under an owner token that a repeat recognizes.
async fn reconnecting<T, F>(mut command: impl FnMut() -> F) -> Result<T, redis::RedisError>
where
    F: Future<Output = Result<T, redis::RedisError>>,
{
    match command().await {
        Err(error) if error.is_connection_dropped() || error.is_unrecoverable_error() => {
            tracing::debug!(target: "cb_client", "the Redis connection dropped; trying once more: {error}");
            command().await
        }
        outcome => outcome,
    }
}

impl RedisStoreBuilder {
    /// The prefix of every key this store writes; `cb_client:tokens` by
    /// default.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a refresh lock lives if its holder never releases it.
    pub fn lock_expiry(mut self, expiry: Duration) -> Self {
        self.lock_expiry = expiry.max(Duration::from_millis(1));
        self
    }

    /// The longest wait for another instance's refresh lock.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Connects.
    ///
    /// # Errors
    ///
    /// An invalid URL or an unreachable server.
    pub async fn connect(self) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(self.url.as_str()).map_err(redis_error)?;
        let connection = ConnectionManager::new(client).await.map_err(redis_error)?;
        Ok(RedisStore {
            connection,
            prefix: self.prefix.into(),
            lock_expiry: self.lock_expiry,
            lock_timeout: self.lock_timeout,
            save: Arc::new(Script::new(SAVE)),
            take: Arc::new(Script::new(TAKE)),
            renew: Arc::new(Script::new(RENEW)),
            release: Arc::new(Script::new(RELEASE)),
        })
    }
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("RedisStoreBuilder").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl TokenStore for RedisStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        Box::pin(async move {
            let record_key = self.record_key(key)?;
            let (version, bytes): (Option<u64>, Option<Vec<u8>>) = reconnecting(|| {
                let mut connection = self.connection.clone();
                let command =
                    redis::cmd("HMGET").arg(&record_key).arg("version").arg("record").clone();
                async move { command.query_async(&mut connection).await }
            })
            .await
            .map_err(redis_error)?;
            let corrupt = |detail: &str| StoreError::Corrupt {
                key: key.to_owned(),
                detail: detail.to_owned(),
            };
            match (version, bytes) {
                (None, None) => Ok(None),
                (Some(version), Some(bytes)) => {
                    let record = TokenRecord::from_json(&bytes).map_err(|error| {
                        StoreError::Corrupt { key: key.to_owned(), detail: error.to_string() }
                    })?;
                    Ok(Some(Stored { record, version }))
                }
                _ => Err(corrupt("the hash lacks its version or its record")),
            }
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let record_key = self.record_key(key)?;
            let expected = expected_version.map(|v| v.to_string()).unwrap_or_default();
            let json = record.to_json().map_err(|error| StoreError::Other(Box::new(error)))?;
            let (saved, version): (i64, String) = reconnecting(|| {
                let mut connection = self.connection.clone();
                let (save, record_key, expected, json) =
                    (&self.save, &record_key, &expected, &json);
                async move {
                    save.key(record_key).arg(expected).arg(json).invoke_async(&mut connection).await
                }
            })
            .await
            .map_err(redis_error)?;
            let version = (!version.is_empty())
                .then(|| version.parse::<u64>())
                .transpose()
                .map_err(|_| StoreError::Corrupt {
                    key: key.to_owned(),
                    detail: "its version is not a number".into(),
                })?;
            match (saved, version) {
                (1, Some(version)) => Ok(version),
                _ => Err(StoreError::Conflict { expected: expected_version, found: version }),
            }
        })
    }

    /// The keys under this store's prefix, by `SCAN` (so that a large
    /// keyspace is never read at once); a key may be listed twice if the
    /// keyspace is resized meanwhile, as `SCAN` allows.
    fn keys(&self) -> BoxStream<'_, Result<String, StoreError>> {
        let glob_safe: String = self
            .prefix
            .chars()
            .flat_map(|c| if "*?[]\\".contains(c) { vec!['\\', c] } else { vec![c] })
            .collect();
        let pattern = format!("{glob_safe}:*");
        let strip = format!("{}:", self.prefix);
        // (cursor, done): `SCAN` ends when it answers cursor 0.
        let pages = futures_util::stream::try_unfold((0u64, false), move |(cursor, done)| {
            let (pattern, strip) = (pattern.clone(), strip.clone());
            async move {
                if done {
                    return Ok::<_, StoreError>(None);
                }
                let (next, found): (u64, Vec<String>) = reconnecting(|| {
                    let mut connection = self.connection.clone();
                    let command = redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(500)
                        .clone();
                    async move { command.query_async(&mut connection).await }
                })
                .await
                .map_err(redis_error)?;
                let keys: Vec<Result<String, StoreError>> = found
                    .into_iter()
                    .filter_map(|name| name.strip_prefix(&strip).map(str::to_owned))
                    .map(Ok)
                    .collect();
                Ok(Some((futures_util::stream::iter(keys), (next, next == 0))))
            }
        });
        Box::pin(futures_util::TryStreamExt::try_flatten(pages))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let record_key = self.record_key(key)?;
            let _: i64 = reconnecting(|| {
                let mut connection = self.connection.clone();
                let record_key = record_key.clone();
                async move { connection.del(&record_key).await }
            })
            .await
            .map_err(redis_error)?;
            Ok(())
        })
    }

    fn lock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        Box::pin(async move {
            let lock_key = self.lock_key(key)?;
            let owner = uuid::Uuid::new_v4().simple().to_string();
            // From the first attempt on, this guard releases what the
            // attempt may have taken if the future is dropped: the owner
            // token makes that safe even when it was never taken.
            let mut guard =
                LockGuard { store: self.clone(), lock_key, owner, held: true, renewal: None };
            let deadline = Instant::now() + self.lock_timeout;
            let expiry_ms = u64::try_from(self.lock_expiry.as_millis()).unwrap_or(u64::MAX);
            loop {
                let taken: i64 = reconnecting(|| {
                    let mut connection = self.connection.clone();
                    let (take, guard) = (&self.take, &guard);
                    async move {
                        take.key(&guard.lock_key)
                            .arg(&guard.owner)
                            .arg(expiry_ms)
                            .invoke_async(&mut connection)
                            .await
                    }
                })
                .await
                .map_err(redis_error)?;
                if taken == 1 {
                    let alive = Arc::new(AtomicBool::new(true));
                    guard.renewal = Some(tokio::spawn(renew(
                        self.clone(),
                        guard.lock_key.clone(),
                        guard.owner.clone(),
                        alive.clone(),
                    )));
                    return Ok(RefreshLock::with_liveness(guard, alive));
                }
                if Instant::now() >= deadline {
                    guard.held = false;
                    return Err(StoreError::Other(
                        format!(
                            "the refresh lock of key {key:?} stayed taken for {:?}",
                            self.lock_timeout
                        )
                        .into(),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    }
}

/// Keeps a held lock alive: extends it every third of its expiry while its
/// owner holds it. When an extension finds the lock gone (it expired, or
/// another instance took it), or cannot reach the server before the lock
/// would expire, `alive` is cleared and renewal stops.
async fn renew(store: RedisStore, lock_key: String, owner: String, alive: Arc<AtomicBool>) {
    let expiry_ms = u64::try_from(store.lock_expiry.as_millis()).unwrap_or(u64::MAX);
    let every = store.lock_expiry / 3;
    let mut last_renewed = Instant::now();
    loop {
        tokio::time::sleep(every).await;
        let mut connection = store.connection.clone();
        let renewed: Result<i64, _> = store
            .renew
            .key(&lock_key)
            .arg(&owner)
            .arg(expiry_ms)
            .invoke_async(&mut connection)
            .await;
        match renewed {
            Ok(1) => last_renewed = Instant::now(),
            Ok(_) => {
                tracing::warn!(target: "cb_client", "a refresh lock was lost while held");
                alive.store(false, Ordering::SeqCst);
                return;
            }
            Err(error) if last_renewed.elapsed() + every >= store.lock_expiry => {
                tracing::warn!(target: "cb_client", "a refresh lock could not be renewed in time: {error}");
                alive.store(false, Ordering::SeqCst);
                return;
            }
            Err(_) => {}
        }
    }
}

/// A refresh lock this process may hold: renewed while held, released
/// (only if still its own) when dropped.
struct LockGuard {
    store: RedisStore,
    lock_key: String,
    owner: String,
    held: bool,
    renewal: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(renewal) = self.renewal.take() {
            renewal.abort();
        }
        if !self.held {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // Nothing can run the release: the lock expires by itself.
            return;
        };
        let (store, lock_key, owner) = (
            self.store.clone(),
            std::mem::take(&mut self.lock_key),
            std::mem::take(&mut self.owner),
        );
        runtime.spawn(async move {
            let mut connection = store.connection.clone();
            let released: Result<i64, _> =
                store.release.key(lock_key).arg(owner).invoke_async(&mut connection).await;
            if let Err(error) = released {
                tracing::warn!(target: "cb_client", "a refresh lock could not be released; it will expire: {error}");
            }
        });
    }
}
