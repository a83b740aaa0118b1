//! The store conformance kit (feature `test-util`): the contract of
//! [`TokenStore`] as checks a custom store's own tests run in one call.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt as _;
use secrecy::ExposeSecret as _;

use crate::auth::store::contract::{Stored, TokenStore};
use crate::auth::store::contract_peer::{PEER_VARIABLE, Peer, record, serve};
use crate::auth::store::error::StoreError;
use crate::error::ReauthorizationReason;

/// The contract every [`TokenStore`] keeps, checked against a store of
/// yours: compare-and-swap saves (also between instances, and under
/// sixteen concurrent writers), records that round-trip every field,
/// deletes, the key listing when the store has one, and the refresh lock:
/// it excludes another instance, and a wait for it that the caller gave up
/// leaves nothing held.
///
/// `open` makes an instance of the store; instances it makes must share
/// their records, as the processes of an app do (two clients of one
/// database), unless the store is [`single_instance`](Self::single_instance).
///
/// ```no_run
/// # async fn demo() {
/// use cb_client::store::{FileStore, StoreContract};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().to_owned();
/// StoreContract::new()
///     .check(|| { let path = path.clone(); async move { FileStore::new(path).unwrap() } })
///     .await
///     .unwrap();
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct StoreContract {
    shared: bool,
    run: String,
    /// The test that runs the checks between processes, by its full name.
    across_processes: Option<String>,
    dead_holder_release: Duration,
}

/// The checks a store failed, each with what went wrong.
#[derive(Debug)]
pub struct ContractFailures(pub Vec<(&'static str, String)>);

impl fmt::Display for ContractFailures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} store contract check(s) failed:", self.0.len())?;
        for (check, failure) in &self.0 {
            writeln!(f, "- {check}: {failure}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContractFailures {}

impl Default for StoreContract {
    fn default() -> Self {
        StoreContract::new()
    }
}

impl StoreContract {
    /// The whole contract, for a store whose instances share their records.
    pub fn new() -> Self {
        let run = uuid::Uuid::new_v4().simple().to_string();
        StoreContract {
            shared: true,
            run: format!("contract-{}", &run[..12]),
            across_processes: None,
            dead_holder_release: Duration::from_secs(30),
        }
    }

    /// Also checks the contract between two processes, as an app's
    /// instances are: records and conflicts are shared, the refresh lock
    /// excludes the other process, and a process killed while it holds
    /// the lock does not keep it.
    ///
    /// The kit runs `test` (the full name of the test that calls `check`,
    /// as `cargo test -- --list` shows it) again in a child process of the
    /// test binary, where the same `check` call serves its own instance
    /// instead of checking. So `open` must reach the same records in both
    /// processes: from configuration or the environment (a database URL,
    /// a fixed directory such as `env!("CARGO_TARGET_TMPDIR")`), not from
    /// something random drawn in the test. One such `check` per test; in
    /// the second process it returns `Ok(())` once the first is done.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// use cb_client::store::{FileStore, StoreContract};
    ///
    /// // In tests/store.rs:
    /// // #[tokio::test]
    /// // async fn my_store_keeps_the_contract() {
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/store-contract");
    /// StoreContract::new()
    ///     .across_processes("my_store_keeps_the_contract")
    ///     .check(|| async move { FileStore::new(dir).unwrap() })
    ///     .await
    ///     .unwrap_or_else(|failures| panic!("{failures}"));
    /// # }
    /// ```
    #[must_use]
    pub fn across_processes(mut self, test: impl Into<String>) -> Self {
        self.across_processes = Some(test.into());
        self
    }

    /// How soon the refresh lock of a killed process must be free again;
    /// 30 s unless set. A store whose locks expire (as `RedisStore`'s do)
    /// needs at least their expiry.
    #[must_use]
    pub fn dead_holder_release(mut self, within: Duration) -> Self {
        self.dead_holder_release = within;
        self
    }

    /// For a store no other instance shares (such as `MemoryStore`): the
    /// checks between instances are left out.
    #[must_use]
    pub fn single_instance(mut self) -> Self {
        self.shared = false;
        self
    }

    /// Runs every check on instances made by `open`, under keys of this
    /// run's own (deleted at the end).
    ///
    /// # Errors
    ///
    /// The checks that failed, each with what went wrong.
    pub async fn check<S, F, Fut>(&self, open: F) -> Result<(), ContractFailures>
    where
        S: TokenStore,
        F: Fn() -> Fut,
        Fut: Future<Output = S>,
    {
        if let Ok(test) = std::env::var(PEER_VARIABLE) {
            // This process is the peer of another's checks: it serves the
            // one `check` that runs across processes, and checks nothing.
            if self.across_processes.as_deref() == Some(test.as_str()) {
                serve(&open().await).await;
            }
            return Ok(());
        }
        let a = open().await;
        let b = if self.shared { Some(open().await) } else { None };
        let mut failures = Vec::new();
        let mut keys = Vec::new();
        macro_rules! run {
            ($name:literal, $check:expr) => {
                if let Err(failure) = $check.await {
                    failures.push(($name, failure));
                }
            };
        }
        let key = |name: &str| format!("{}-{name}", self.run);
        for name in ["cas", "fields", "delete", "concurrent", "shared", "lock", "abandoned"] {
            keys.push(key(name));
        }
        run!("compare-and-swap saves", cas(&a, &key("cas")));
        run!("every field round-trips", fields(&a, &key("fields")));
        run!("delete", delete(&a, &key("delete")));
        run!("sixteen concurrent writers, one winner", concurrent(&a, &key("concurrent")));
        run!("keys lists what is stored", listing(&a, &keys[..2]));
        if let Some(b) = &b {
            run!("instances share records and conflicts", shared(&a, b, &key("shared")));
            run!("the refresh lock excludes another instance", lock(&a, b, &key("lock")));
            run!("an abandoned lock wait holds nothing", abandoned(&a, b, &key("abandoned")));
        }
        if let Some(test) = &self.across_processes {
            for name in ["processes", "process-lock", "killed"] {
                keys.push(key(name));
            }
            match Peer::start(test).await {
                Err(failure) => failures.push(("a second process serves the store", failure)),
                Ok(mut peer) => {
                    run!(
                        "processes share records and conflicts",
                        processes(&a, &mut peer, &key("processes"))
                    );
                    run!(
                        "the refresh lock excludes another process",
                        process_lock(&a, &mut peer, &key("process-lock"))
                    );
                    run!(
                        "a process killed holding the refresh lock releases it",
                        killed(&a, peer, &key("killed"), self.dead_holder_release)
                    );
                }
            }
        }
        for key in &keys {
            let _ = a.delete(key).await;
        }
        if failures.is_empty() { Ok(()) } else { Err(ContractFailures(failures)) }
    }
}

fn access(stored: &Stored) -> &str {
    stored.record.access_token.expose_secret()
}

async fn cas(store: &impl TokenStore, key: &str) -> Result<(), String> {
    if store.load(key).await.map_err(|e| e.to_string())?.is_some() {
        return Err("a fresh key loads a record".into());
    }
    let v1 = store.save(key, &record("a1", 1), None).await.map_err(|e| format!("insert: {e}"))?;
    if !matches!(store.save(key, &record("x", 1), None).await, Err(StoreError::Conflict { .. })) {
        return Err("a second insert was not a conflict".into());
    }
    let v2 =
        store.save(key, &record("a2", 1), Some(v1)).await.map_err(|e| format!("update: {e}"))?;
    if v2 <= v1 {
        return Err(format!("the version went from {v1} to {v2}"));
    }
    if !matches!(store.save(key, &record("x", 1), Some(v1)).await, Err(StoreError::Conflict { .. }))
    {
        return Err("a save at a stale version was not a conflict".into());
    }
    let stored = store.load(key).await.map_err(|e| e.to_string())?.ok_or("the record is gone")?;
    if access(&stored) != "a2" || stored.version != v2 {
        return Err(format!("loaded {} at {}, not a2 at {v2}", access(&stored), stored.version));
    }
    Ok(())
}

async fn fields(store: &impl TokenStore, key: &str) -> Result<(), String> {
    let mut written = record("f1", 77);
    written.tombstone = Some(ReauthorizationReason::RefreshResponseLost);
    written.send_limit = "USD".parse().ok().and_then(|usd| {
        let amount = rust_decimal::Decimal::new(10_000, 2);
        cb_scopes::SendLimit::new(amount, usd, cb_scopes::SendLimitPeriod::Day).ok()
    });
    store.save(key, &written, None).await.map_err(|e| e.to_string())?;
    let read =
        store.load(key).await.map_err(|e| e.to_string())?.ok_or("the record is gone")?.record;
    let same = read.same_tokens(&written)
        && read.expires_at == written.expires_at
        && read.granted == written.granted
        && read.generation == written.generation
        && read.tombstone == written.tombstone
        && read.send_limit == written.send_limit;
    if same { Ok(()) } else { Err(format!("wrote {written:?}, read {read:?}")) }
}

async fn delete(store: &impl TokenStore, key: &str) -> Result<(), String> {
    store.save(key, &record("d1", 1), None).await.map_err(|e| e.to_string())?;
    store.delete(key).await.map_err(|e| e.to_string())?;
    if store.load(key).await.map_err(|e| e.to_string())?.is_some() {
        return Err("a deleted record still loads".into());
    }
    store.delete(key).await.map_err(|e| format!("deleting nothing: {e}"))?;
    store
        .save(key, &record("d2", 2), None)
        .await
        .map_err(|e| format!("insert after delete: {e}"))?;
    Ok(())
}

async fn concurrent(store: &impl TokenStore, key: &str) -> Result<(), String> {
    let v1 = store.save(key, &record("c0", 1), None).await.map_err(|e| e.to_string())?;
    let writers = (0..16).map(|n| async move {
        let mine = record(&format!("c{}", n + 1), 1);
        store.save(key, &mine, Some(v1)).await
    });
    let outcomes = futures_util::future::join_all(writers).await;
    let won = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    let lost = outcomes.iter().filter(|o| matches!(o, Err(StoreError::Conflict { .. }))).count();
    if (won, lost) == (1, 15) { Ok(()) } else { Err(format!("{won} saves won, {lost} conflicted")) }
}

async fn listing(store: &impl TokenStore, stored: &[String]) -> Result<(), String> {
    let mut listed = Vec::new();
    let mut keys = store.keys();
    while let Some(key) = keys.next().await {
        match key {
            Ok(key) => listed.push(key),
            // A store that cannot list says so: nothing to check.
            Err(StoreError::Unsupported(_)) if listed.is_empty() => return Ok(()),
            Err(error) => return Err(error.to_string()),
        }
    }
    match stored.iter().find(|key| !listed.contains(key)) {
        None => Ok(()),
        Some(missing) => Err(format!("{missing} is stored but not listed")),
    }
}

async fn shared(a: &impl TokenStore, b: &impl TokenStore, key: &str) -> Result<(), String> {
    let v1 = a.save(key, &record("s1", 1), None).await.map_err(|e| e.to_string())?;
    let seen =
        b.load(key).await.map_err(|e| e.to_string())?.ok_or("the other instance sees nothing")?;
    if access(&seen) != "s1" {
        return Err("the other instance sees another record".into());
    }
    b.save(key, &record("s2", 1), Some(v1)).await.map_err(|e| e.to_string())?;
    if !matches!(a.save(key, &record("x", 1), Some(v1)).await, Err(StoreError::Conflict { .. })) {
        return Err("a save over the other instance's was not a conflict".into());
    }
    Ok(())
}

async fn lock(a: &impl TokenStore, b: &impl TokenStore, key: &str) -> Result<(), String> {
    let held = a.lock_refresh(key).await.map_err(|e| e.to_string())?;
    if tokio::time::timeout(Duration::from_millis(300), b.lock_refresh(key)).await.is_ok() {
        return Err("the other instance took the lock while it was held".into());
    }
    drop(held);
    match tokio::time::timeout(Duration::from_secs(10), b.lock_refresh(key)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("after release: {error}")),
        Err(_) => Err("the lock was not released".into()),
    }
}

async fn processes(a: &impl TokenStore, peer: &mut Peer, key: &str) -> Result<(), String> {
    let v1 = a.save(key, &record("p1", 1), None).await.map_err(|e| e.to_string())?;
    let seen = peer.ask(&format!("load {key}")).await?;
    if seen != format!("loaded p1 {v1}") {
        return Err(format!("the other process loads {seen:?}, not p1 at version {v1}"));
    }
    let saved = peer.ask(&format!("save {key} {v1} p2")).await?;
    if !saved.starts_with("saved ") {
        return Err(format!("the other process's save at version {v1}: {saved}"));
    }
    if !matches!(a.save(key, &record("x", 1), Some(v1)).await, Err(StoreError::Conflict { .. })) {
        return Err("a save over the other process's was not a conflict".into());
    }
    let stored = a.load(key).await.map_err(|e| e.to_string())?.ok_or("the record is gone")?;
    if access(&stored) != "p2" {
        return Err(format!("loaded {} after the other process saved p2", access(&stored)));
    }
    let stale = peer.ask(&format!("save {key} {v1} x")).await?;
    if stale != "conflict" {
        return Err(format!("the other process's stale save was {stale:?}, not a conflict"));
    }
    Ok(())
}

async fn process_lock(a: &impl TokenStore, peer: &mut Peer, key: &str) -> Result<(), String> {
    peer.ask(&format!("lock {key}")).await?;
    let taken = tokio::time::timeout(Duration::from_millis(300), a.lock_refresh(key)).await;
    // Released whatever happened, so that the checks after this one find
    // the other process free.
    peer.ask(&format!("unlock {key}")).await?;
    if taken.is_ok() {
        return Err("this process took the lock while the other held it".into());
    }
    match tokio::time::timeout(Duration::from_secs(10), a.lock_refresh(key)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("after the other process released it: {error}")),
        Err(_) => Err("the other process's release did not free the lock".into()),
    }
}

async fn killed(
    a: &impl TokenStore,
    mut peer: Peer,
    key: &str,
    within: Duration,
) -> Result<(), String> {
    peer.ask(&format!("lock {key}")).await?;
    peer.kill().await?;
    match tokio::time::timeout(within, a.lock_refresh(key)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("after the holder was killed: {error}")),
        Err(_) => Err(format!("the lock of a killed process was still held after {within:?}")),
    }
}

async fn abandoned(a: &impl TokenStore, b: &impl TokenStore, key: &str) -> Result<(), String> {
    let held = a.lock_refresh(key).await.map_err(|e| e.to_string())?;
    // A wait whose caller goes away (a timeout, a closed request).
    let _ = tokio::time::timeout(Duration::from_millis(200), b.lock_refresh(key)).await;
    drop(held);
    // Give a store that releases in the background a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
    match tokio::time::timeout(Duration::from_secs(10), a.lock_refresh(key)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("the abandoned wait left the lock held".into()),
    }
}
