//! Run-time figures against the in-process sandbox on loopback: the
//! client's overhead over a bare request, refresh under load, and the
//! sandbox's own throughput. Every load is bounded in count and time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cb_client::{MemoryStore, OAuthClient, TokenStore};
use cb_sandbox::{Sandbox, SandboxConfig};
use cb_scopes::{ExposeSecret as _, scopes};

use crate::median;

scopes! {
    struct Bench(wallet:accounts:read);
}

const CLIENT_ID: &str = "bench";
const CLIENT_SECRET: &str = "bench-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

struct Setup {
    sandbox: Sandbox,
    client: cb_client::Client<Bench>,
    store: Arc<MemoryStore>,
}

async fn setup() -> Setup {
    let mut config = SandboxConfig::default();
    config.rate_limit_per_hour = u32::MAX;
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
    sandbox.seed_demo_user();
    let store = Arc::new(MemoryStore::new());
    let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
        .sandbox(sandbox.base_url().as_str())
        .shared_store(store.clone())
        .build()
        .expect("a valid configuration");
    let (url, pending) = oauth.authorize_url::<Bench>().build().expect("a URL");
    let redirect = sandbox.consent(url.as_str()).expect("consent").approve().expect("approval");
    let code = pending.complete(redirect.as_str()).expect("a code");
    let client = oauth.exchange(code, "bench-user").await.expect("an exchange");
    Setup { sandbox, client, store }
}

/// Latencies of one way of making the request.
pub(crate) struct Latencies {
    pub(crate) per_request: Vec<Duration>,
    pub(crate) elapsed: Duration,
}

impl Latencies {
    pub(crate) fn requests_per_second(&self) -> f64 {
        self.per_request.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub(crate) fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.per_request.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

/// `client.accounts()` against the same request made with bare reqwest and
/// the same headers, in alternating batches so that drift hits both.
pub(crate) async fn client_overhead(batches: usize, per_batch: usize) -> (Latencies, Latencies) {
    let Setup { sandbox, client, store } = setup().await;
    let token =
        store.load("bench-user").await.ok().flatten().expect("stored tokens").record.access_token;
    let bare = reqwest::Client::new();
    let url = format!("{}v2/accounts", sandbox.base_url());
    let mut typed = Latencies { per_request: Vec::new(), elapsed: Duration::ZERO };
    let mut raw = Latencies { per_request: Vec::new(), elapsed: Duration::ZERO };
    // Warm both paths up: connections, caches.
    for _ in 0..50 {
        client.accounts().page().await.expect("accounts");
    }
    for _ in 0..batches {
        let started = Instant::now();
        for _ in 0..per_batch {
            let one = Instant::now();
            client.accounts().page().await.expect("accounts");
            typed.per_request.push(one.elapsed());
        }
        typed.elapsed += started.elapsed();

        let started = Instant::now();
        for _ in 0..per_batch {
            let one = Instant::now();
            let response = bare
                .get(&url)
                .bearer_auth(token.expose_secret())
                .header("CB-VERSION", cb_client::CB_VERSION)
                .header("Accept", "application/json")
                .send()
                .await
                .expect("a response");
            let body = response.bytes().await.expect("a body");
            std::hint::black_box(body);
            raw.per_request.push(one.elapsed());
        }
        raw.elapsed += started.elapsed();
    }
    (typed, raw)
}

/// The median, over alternating batches, of the ratio of the median
/// request's time in each: cb-client over bare reqwest.
pub(crate) fn batch_ratio(typed: &Latencies, raw: &Latencies, per_batch: usize) -> f64 {
    let ratios: Vec<f64> = typed
        .per_request
        .chunks(per_batch)
        .zip(raw.per_request.chunks(per_batch))
        .map(|(typed, raw)| {
            median(typed.to_vec()).as_secs_f64() / median(raw.to_vec()).as_secs_f64().max(1e-9)
        })
        .collect();
    let mut sorted = ratios;
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Allocations per request on the thread that makes it, cb-client's
/// `accounts().page()` and the bare request, each `requests` times. Both
/// run on a current-thread runtime of their own, so that their connection
/// tasks are counted with them and the sandbox's work is not.
pub(crate) async fn allocations_per_request(requests: u64) -> (f64, f64) {
    let Setup { sandbox, store, .. } = setup().await;
    let base = sandbox.base_url().to_string();
    let counted = tokio::task::spawn_blocking(move || {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let (client, bare, url, token) = runtime.block_on(async {
            let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
                .sandbox(base.as_str())
                .shared_store(store.clone())
                .build()
                .expect("a valid configuration");
            let client = oauth.restore::<Bench>("bench-user").await.expect("stored tokens");
            let token = store.load("bench-user").await.ok().flatten().expect("tokens");
            let token = token.record.access_token.expose_secret().to_owned();
            (client, reqwest::Client::new(), format!("{base}v2/accounts"), token)
        });
        let bare_request = || async {
            let response = bare
                .get(&url)
                .bearer_auth(&token)
                .header("CB-VERSION", cb_client::CB_VERSION)
                .header("Accept", "application/json")
                .send()
                .await
                .expect("a response");
            std::hint::black_box(response.bytes().await.expect("a body"));
        };
        // Warm up: connections, the session's token.
        runtime.block_on(async {
            for _ in 0..20 {
                client.accounts().page().await.expect("accounts");
                bare_request().await;
            }
        });
        let typed = allocation_counter::measure(|| {
            runtime.block_on(async {
                for _ in 0..requests {
                    client.accounts().page().await.expect("accounts");
                }
            });
        });
        let raw = allocation_counter::measure(|| {
            runtime.block_on(async {
                for _ in 0..requests {
                    bare_request().await;
                }
            });
        });
        (typed.count_total, raw.count_total)
    })
    .await
    .expect("the measuring thread");
    drop(sandbox);
    let per = |count: u64| count as f64 / requests as f64;
    (per(counted.0), per(counted.1))
}

/// `tasks` concurrent calls on an expired token: the refreshes the sandbox
/// saw, and the time until every call returned.
pub(crate) async fn refresh_under_load(tasks: usize) -> (u64, Duration, usize) {
    let Setup { sandbox, client, .. } = setup().await;
    sandbox.advance(Duration::from_secs(3600));
    let started = Instant::now();
    let calls: Vec<_> = (0..tasks)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.accounts().page().await.is_ok() })
        })
        .collect();
    let mut failures = 0;
    for call in calls {
        if !call.await.unwrap_or(false) {
            failures += 1;
        }
    }
    (sandbox.stats().refreshes, started.elapsed(), failures)
}

/// Requests per second the sandbox answers on `GET /v2/accounts`, from
/// `concurrency` tasks making `total` requests in all, stopping early at
/// `limit`.
pub(crate) async fn sandbox_throughput(
    concurrency: usize,
    total: usize,
    limit: Duration,
) -> (usize, Duration) {
    let Setup { sandbox, store, .. } = setup().await;
    let token =
        store.load("bench-user").await.ok().flatten().expect("stored tokens").record.access_token;
    let token = Arc::new(token.expose_secret().to_owned());
    let url = Arc::new(format!("{}v2/accounts", sandbox.base_url()));
    let http = reqwest::Client::new();
    let deadline = Instant::now() + limit;
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            let share = total / concurrency;
            tokio::spawn(async move {
                let mut done = 0;
                while done < share && Instant::now() < deadline {
                    let response = http
                        .get(url.as_str())
                        .bearer_auth(token.as_str())
                        .header("CB-VERSION", "2024-09-01")
                        .send()
                        .await;
                    if let Ok(response) = response {
                        let _ = response.bytes().await;
                        done += 1;
                    }
                }
                done
            })
        })
        .collect();
    let mut answered = 0;
    for worker in workers {
        answered += worker.await.unwrap_or(0);
    }
    (answered, started.elapsed())
}

/// A store's side of refreshes, one after another for at most `limit` or
/// `max` round trips: take the refresh lock, load, save compare-and-swap,
/// release. Round trips per second.
pub(crate) async fn store_round_trips(
    store: Arc<dyn TokenStore>,
    limit: Duration,
    max: u64,
) -> Result<f64, cb_client::StoreError> {
    let Setup { store: memory, .. } = setup().await;
    let record = memory.load("bench-user").await?.expect("stored tokens").record;
    let key = format!("bench-{}", std::process::id());
    let existing = store.load(&key).await?.map(|stored| stored.version);
    store.save(&key, &record, existing).await?;
    let started = Instant::now();
    let mut done = 0;
    while done < max && started.elapsed() < limit {
        let lock = store.lock_refresh(&key).await?;
        let stored = store.load(&key).await?.expect("the record just saved");
        store.save(&key, &stored.record, Some(stored.version)).await?;
        drop(lock);
        done += 1;
    }
    let rate = done as f64 / started.elapsed().as_secs_f64();
    store.delete(&key).await?;
    Ok(rate)
}
