//! `RedisStore` against a real Redis, named by `REDIS_URL` (CI starts one at
//! 127.0.0.1:6379 and sets it). Without it these tests say that they were
//! skipped, and why. Each test uses a key prefix of its own and deletes its
//! keys at the end.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cb_client::store::RedisStore;
use cb_client::{StoreError, TokenRecord, TokenStore};
use cb_scopes::{ExposeSecret as _, SecretString};

use crate::workers::{KEY, Worker, authorized, expire_and_call};

/// The server, or `None` after saying why the test is skipped.
fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL").ok();
    if url.is_none() {
        eprintln!("SKIPPED: REDIS_URL is not set; these tests need Redis (CI sets it)");
    }
    url
}

/// A fresh key prefix, and a guard that deletes its keys.
struct Prefix {
    name: String,
    url: String,
}

impl Prefix {
    fn new(url: &str, test: &str) -> Prefix {
        let nanos =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().subsec_nanos();
        Prefix {
            name: format!("cb_test:{test}:{}:{nanos}", std::process::id()),
            url: url.to_owned(),
        }
    }

    async fn store(&self, lock_expiry: Duration) -> RedisStore {
        RedisStore::builder(&self.url)
            .prefix(&self.name)
            .lock_expiry(lock_expiry)
            .connect()
            .await
            .unwrap()
    }

    fn worker_env(&self, lock_expiry: Duration) -> Vec<(&'static str, String)> {
        vec![
            ("CB_REDIS_URL", self.url.clone()),
            ("CB_REDIS_PREFIX", self.name.clone()),
            ("CB_REDIS_LOCK_MS", lock_expiry.as_millis().to_string()),
        ]
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        let (url, pattern) = (self.url.clone(), format!("{}*", self.name));
        let _ = std::thread::spawn(move || -> redis::RedisResult<()> {
            let client = redis::Client::open(url)?;
            let mut connection = client.get_connection()?;
            let keys: Vec<String> = redis::cmd("KEYS").arg(&pattern).query(&mut connection)?;
            if !keys.is_empty() {
                redis::cmd("DEL").arg(keys).query::<i64>(&mut connection)?;
            }
            Ok(())
        })
        .join();
    }
}

fn record(access: &str) -> TokenRecord {
    let mut record = TokenRecord::new(
        SecretString::from(access.to_owned()),
        Some(SecretString::from(format!("{access}-refresh"))),
        SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
        "wallet:accounts:read,offline_access".parse().unwrap(),
    );
    record.generation = 9;
    record
}

#[tokio::test]
async fn saves_are_compare_and_swap_and_records_round_trip() {
    let Some(url) = redis_url() else { return };
    let prefix = Prefix::new(&url, "cas");
    let store = prefix.store(Duration::from_secs(30)).await;
    assert!(store.load(KEY).await.unwrap().is_none());
    assert_eq!(store.save(KEY, &record("a"), None).await.unwrap(), 1);
    assert!(matches!(
        store.save(KEY, &record("b"), None).await,
        Err(StoreError::Conflict { expected: None, found: Some(1) })
    ));
    assert_eq!(store.save(KEY, &record("b"), Some(1)).await.unwrap(), 2);
    assert!(matches!(
        store.save(KEY, &record("c"), Some(1)).await,
        Err(StoreError::Conflict { expected: Some(1), found: Some(2) })
    ));
    let loaded = store.load(KEY).await.unwrap().unwrap();
    assert_eq!((loaded.version, loaded.record.access_token.expose_secret()), (2, "b"));
    assert_eq!(loaded.record.generation, 9);
    store.delete(KEY).await.unwrap();
    store.delete(KEY).await.unwrap();
    assert!(store.load(KEY).await.unwrap().is_none());
    assert!(matches!(store.save("", &record("x"), None).await, Err(StoreError::InvalidKey(_))));
}

#[tokio::test]
async fn the_refresh_lock_is_released_only_by_its_owner_and_expires() {
    let Some(url) = redis_url() else { return };
    let prefix = Prefix::new(&url, "lock");
    let impatient = RedisStore::builder(&url)
        .prefix(&prefix.name)
        .lock_timeout(Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    // A holder that dies: its runtime (and with it the lock's renewal) ends
    // and nothing releases the lock.
    let (dead_url, dead_prefix) = (url.clone(), prefix.name.clone());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let store = RedisStore::builder(&dead_url)
                .prefix(&dead_prefix)
                .lock_expiry(Duration::from_millis(800))
                .connect()
                .await
                .unwrap();
            std::mem::forget(store.lock_refresh(KEY).await.unwrap());
        });
    })
    .join()
    .unwrap();
    let error = impatient.lock_refresh(KEY).await.unwrap_err();
    assert!(error.to_string().contains("stayed taken"), "{error}");
    // The lock expires by itself.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let second = impatient.lock_refresh(KEY).await.unwrap();
    drop(second);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Released by its owner: free again at once.
    let third = impatient.lock_refresh(KEY).await.unwrap();
    drop(third);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_with_50_tasks_share_a_store_through_20_expiries() {
    let Some(url) = redis_url() else { return };
    let prefix = Prefix::new(&url, "load");
    let lock = Duration::from_secs(30);
    let sandbox = authorized(Arc::new(prefix.store(lock).await)).await;
    let env = prefix.worker_env(lock);
    let mut workers: Vec<Worker> = (0..2).map(|_| Worker::start(&sandbox, &env, 50)).collect();
    expire_and_call(&sandbox, &mut workers, 20);
    let stats = sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (20, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_keeps_the_store_contract() {
    let Some(url) = redis_url() else { return };
    let prefix = Prefix::new(&url, "contract");
    cb_client::store::StoreContract::new()
        .check(|| prefix.store(Duration::from_secs(30)))
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_keeps_the_store_contract_between_processes() {
    let Some(url) = redis_url() else { return };
    // A prefix both processes name alike (the kit's keys are its own, and
    // it deletes them); locks that expire soon after a holder dies.
    let open = || {
        RedisStore::builder(&url)
            .prefix("cb_test:contract-processes")
            .lock_expiry(Duration::from_secs(2))
            .connect()
    };
    cb_client::store::StoreContract::new()
        .across_processes("redis::redis_store_keeps_the_store_contract_between_processes")
        .dead_holder_release(Duration::from_secs(10))
        .check(|| async { open().await.unwrap() })
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
}

#[tokio::test]
async fn keys_are_listed_by_scan_and_locks_are_not_keys() {
    use futures_util::TryStreamExt as _;
    let Some(url) = redis_url() else { return };
    let prefix = Prefix::new(&url, "keys");
    let store = prefix.store(Duration::from_secs(30)).await;
    let mut expected: Vec<String> = (0..600).map(|n| format!("user-{n:03}")).collect();
    for key in &expected {
        store.save(key, &record("a"), None).await.unwrap();
    }
    let _lock = store.lock_refresh("user-000").await.unwrap();
    let mut keys: Vec<String> = store.keys().try_collect().await.unwrap();
    keys.sort();
    keys.dedup();
    expected.sort();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn the_first_command_after_the_connection_dropped_succeeds() {
    let Some(url) = redis_url() else { return };
    let prefix = Prefix::new(&url, "reconnect");
    let outage = crate::chaos::OutageProxy::start(crate::chaos::socket_address(&url)).await;
    let store = RedisStore::builder(crate::chaos::at(&url, outage.address))
        .prefix(&prefix.name)
        .connect()
        .await
        .unwrap();
    let version = store.save(KEY, &record("a1"), None).await.unwrap();
    for round in 0..3 {
        // A blip: every connection cut, the server back at once.
        outage.set_down(true);
        outage.set_down(false);
        let loaded = store.load(KEY).await.unwrap_or_else(|error| panic!("round {round}: {error}"));
        assert_eq!(loaded.map(|stored| stored.version), Some(version));
    }
    outage.set_down(true);
    outage.set_down(false);
    let lock = store.lock_refresh(KEY).await.expect("the lock after a blip");
    drop(lock);
    outage.set_down(true);
    outage.set_down(false);
    store.save(KEY, &record("a2"), Some(version)).await.expect("a save after a blip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_three_app_processes_restoring_per_request_lose_no_authorization() {
    let Some(url) = redis_url() else { return };
    let prefix = Prefix::new(&url, "chaos");
    // A short lock, renewed while held, so that the process killed
    // mid-refresh holds the others up for seconds only.
    let lock_expiry = Duration::from_secs(3);
    let (store_url, name) = (url.clone(), prefix.name.clone());
    let store = crate::chaos::ChaosStore {
        direct: Arc::new(prefix.store(lock_expiry).await),
        upstream: crate::chaos::socket_address(&url),
        env: Box::new(move |proxy| {
            vec![
                ("CB_REDIS_URL", crate::chaos::at(&store_url, proxy)),
                ("CB_REDIS_PREFIX", name.clone()),
                ("CB_REDIS_LOCK_MS", lock_expiry.as_millis().to_string()),
            ]
        }),
    };
    crate::chaos::run("RedisStore", store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_while_holding_the_refresh_lock_lets_it_expire() {
    let Some(url) = redis_url() else { return };
    let prefix = Prefix::new(&url, "crash");
    let lock = Duration::from_secs(2);
    let sandbox = authorized(Arc::new(prefix.store(lock).await)).await;
    let env = prefix.worker_env(lock);
    let mut holder = Worker::start(&sandbox, &env, 1);
    let mut other = Worker::start(&sandbox, &env, 10);
    holder.send("hold-lock");
    assert_eq!(holder.read(), "holding");
    holder.kill();

    sandbox.advance(Duration::from_secs(3600));
    other.send("round");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sandbox.stats().refreshes, 0, "no refresh while the dead holder's lock lives");
    let answer = tokio::task::block_in_place(|| other.read());
    assert_eq!(answer, "ok");
    let stats = sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_slower_than_the_lock_expiry_keeps_its_lock_and_the_other_instance_adopts() {
    let Some(url) = redis_url() else { return };
    let prefix = Prefix::new(&url, "renew");
    // A one-second lock, and a token endpoint that answers in 2.5 s.
    let store: Arc<dyn TokenStore> = Arc::new(prefix.store(Duration::from_secs(1)).await);
    let sandbox = Arc::new(authorized(store.clone()).await);
    let instance = |store: Arc<dyn TokenStore>| {
        let clock = sandbox.clone();
        cb_client::OAuthClient::builder(
            crate::workers::CLIENT_ID,
            crate::workers::CLIENT_SECRET,
            crate::workers::REDIRECT_URI,
        )
        .sandbox(sandbox.base_url().as_str())
        .shared_store(store)
        .clock(move || SystemTime::from(clock.now()))
        .build()
        .unwrap()
    };
    let (a, b) = (instance(store.clone()), instance(store.clone()));
    let client_a = a.restore::<crate::workers::Reader>(KEY).await.unwrap();
    let client_b = b.restore::<crate::workers::Reader>(KEY).await.unwrap();
    sandbox.advance(Duration::from_secs(3 * 3600));
    sandbox.inject_fault(
        "POST",
        "/oauth2/token",
        cb_sandbox::Fault::Delay(Duration::from_millis(2500)),
        cb_sandbox::Times::Next(1),
    );
    let first = tokio::spawn(async move { client_a.accounts().all().await.map(|a| a.len()) });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = tokio::spawn(async move { client_b.accounts().all().await.map(|a| a.len()) });
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    let stats = sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (1, 0), "{first:?} {second:?}");
    assert_eq!(first.unwrap(), 2);
    assert_eq!(second.unwrap(), 2, "the other instance adopted the new tokens");
}
