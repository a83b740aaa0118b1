//! A sandbox, an `OAuthClient` pointed at it, and the authorize-consent-
//! callback steps a user would take.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cb_client::store::BoxFuture;
use cb_client::{
    Client, Error, MemoryStore, OAuthClient, OAuthClientBuilder, StoreError, Stored, TokenRecord,
    TokenStore,
};
use cb_sandbox::{Sandbox, SandboxConfig};
use cb_scopes::{DeclaredScopes, scopes};

pub(crate) const CLIENT_ID: &str = "client-under-test";
pub(crate) const CLIENT_SECRET: &str = "client-secret-do-not-log";
pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

scopes! {
    /// What the tests ask for.
    pub(crate) struct Reader(wallet:accounts:read, wallet:user:read);
}

pub(crate) struct Env {
    pub(crate) sandbox: Arc<Sandbox>,
    pub(crate) user: cb_sandbox::UserId,
}

impl Env {
    pub(crate) async fn new() -> Env {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
        let user = sandbox.seed_demo_user();
        Env { sandbox: Arc::new(sandbox), user }
    }

    pub(crate) fn builder(&self) -> OAuthClientBuilder {
        OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
            .sandbox(self.sandbox.base_url().as_str())
    }

    pub(crate) fn oauth(&self) -> OAuthClient {
        self.builder().build().unwrap()
    }

    /// The user's part: the authorize URL, consent (all of it, or only
    /// `grant`), and the callback, then the exchange.
    pub(crate) async fn connect<S: DeclaredScopes>(
        &self,
        oauth: &OAuthClient,
        key: &str,
        grant: Option<&[&str]>,
    ) -> Result<Client<S>, Error> {
        oauth.exchange(self.approved_code(oauth, grant), key).await
    }

    /// As [`connect`](Self::connect), by [`OAuthClient::upgrade`]: a second
    /// consent for the authorization under `key`.
    pub(crate) async fn upgrade<S: DeclaredScopes>(
        &self,
        oauth: &OAuthClient,
        key: &str,
        grant: Option<&[&str]>,
    ) -> Result<Client<S>, Error> {
        oauth.upgrade(self.approved_code(oauth, grant), key).await
    }

    /// The code of a consent to `S` (or to `grant` only).
    fn approved_code<S: DeclaredScopes>(
        &self,
        oauth: &OAuthClient,
        grant: Option<&[&str]>,
    ) -> cb_scopes::AuthorizationCode<S> {
        let (url, pending) = oauth.authorize_url::<S>().build().unwrap();
        let consent = self.sandbox.consent(url.as_str()).unwrap();
        let consent = match grant {
            Some(scopes) => consent.grant_only(scopes),
            None => consent,
        };
        let redirect = consent.approve().unwrap();
        pending.complete(redirect.as_str()).unwrap()
    }
}

/// A small deterministic random source (SplitMix64), so that a failing
/// chaos run can be replayed from its printed seed.
pub(crate) struct Dice(AtomicU64);

impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        Dice(AtomicU64::new(seed))
    }

    pub(crate) fn next(&self) -> u64 {
        let mut z = self.0.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `per_mille` / 1000.
    pub(crate) fn chance(&self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }

    /// A number in `0..bound`.
    pub(crate) fn below(&self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

/// A [`MemoryStore`] whose saves fail on demand: always while `failing`, or
/// at random with a given rate. It counts the failures it injected.
pub(crate) struct FlakyStore {
    inner: Arc<MemoryStore>,
    failing: AtomicBool,
    rate_per_mille: AtomicU64,
    dice: Dice,
    pub(crate) injected: AtomicU64,
}

impl FlakyStore {
    pub(crate) fn new(seed: u64) -> FlakyStore {
        FlakyStore {
            inner: Arc::new(MemoryStore::new()),
            failing: AtomicBool::new(false),
            rate_per_mille: AtomicU64::new(0),
            dice: Dice::new(seed),
            injected: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// The same records, as an instance sees them whose saves never fail:
    /// one on the right side of a partition.
    pub(crate) fn reachable(&self) -> Arc<dyn TokenStore> {
        self.inner.clone()
    }

    pub(crate) fn set_failure_rate(&self, per_mille: u64) {
        self.rate_per_mille.store(per_mille, Ordering::SeqCst);
    }
}

impl TokenStore for FlakyStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        self.inner.load(key)
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        let fail = self.failing.load(Ordering::SeqCst)
            || self.dice.chance(self.rate_per_mille.load(Ordering::SeqCst));
        if fail {
            self.injected.fetch_add(1, Ordering::SeqCst);
            return Box::pin(async {
                Err(StoreError::Io(std::io::Error::other("injected: the disk is full")))
            });
        }
        self.inner.save(key, record, expected_version)
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.delete(key)
    }
}

/// What a [`Proxy`] does to a successful token response's JSON.
pub(crate) type Rewrite = Arc<dyn Fn(&mut serde_json::Value) + Send + Sync>;

/// A loopback HTTP proxy in front of the sandbox. It forwards each request
/// at once (so the sandbox processes it), then holds the answer for a
/// while before passing it on, and may rewrite token responses. When the
/// sandbox drops a connection, the proxy drops its own.
pub(crate) struct Proxy {
    pub(crate) base: String,
    control: Arc<ProxyControl>,
}

struct ProxyControl {
    upstream: String,
    http: reqwest::Client,
    /// Each answer is held a random number of milliseconds in this range.
    hold_ms: Mutex<(u64, u64)>,
    dice: Dice,
    /// A rewrite of successful JSON answers on routes starting with the
    /// given path.
    rewrite: Mutex<Option<(&'static str, Rewrite)>>,
    /// An answer that replaces whatever the sandbox said, on every route.
    replacement: Mutex<Option<Answer>>,
}

/// An HTTP answer made up by a test.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Proxy {
    pub(crate) async fn start(upstream: &str, seed: u64) -> Proxy {
        let control = Arc::new(ProxyControl {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            hold_ms: Mutex::new((0, 0)),
            dice: Dice::new(seed),
            rewrite: Mutex::new(None),
            replacement: Mutex::new(None),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(forward).with_state(control.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Proxy { base, control }
    }

    /// Holds every answer a random time between `least` and `most`.
    pub(crate) fn hold(&self, least: Duration, most: Duration) {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap();
        *self.control.hold_ms.lock().unwrap() = (ms(least), ms(most).max(ms(least)));
    }

    pub(crate) fn rewrite_token_responses(&self, rewrite: Option<Rewrite>) {
        self.rewrite("/oauth2/token", rewrite);
    }

    /// Answers every request with `answer` (after the sandbox processed
    /// it), until `None`.
    pub(crate) fn replace_answers(&self, answer: Option<Answer>) {
        *self.control.replacement.lock().unwrap() = answer;
    }

    /// Rewrites successful answers on routes starting with `prefix`.
    pub(crate) fn rewrite(&self, prefix: &'static str, rewrite: Option<Rewrite>) {
        *self.control.rewrite.lock().unwrap() = rewrite.map(|rewrite| (prefix, rewrite));
    }
}

async fn forward(
    axum::extract::State(control): axum::extract::State<Arc<ProxyControl>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::body::Body;
    let (parts, body) = request.into_parts();
    let cut = || {
        let failing = futures_util::stream::once(async {
            Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other(
                "proxy: upstream dropped",
            ))
        });
        axum::response::Response::new(Body::from_stream(failing))
    };
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else { return cut() };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let mut upstream =
        control.http.request(parts.method.clone(), format!("{}{path}", control.upstream));
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(answer) = upstream.body(body).send().await else { return cut() };
    let status = answer.status();
    let content_type = answer.headers().get(axum::http::header::CONTENT_TYPE).cloned();
    let Ok(mut bytes) = answer.bytes().await.map(|b| b.to_vec()) else { return cut() };
    let rewrite = control.rewrite.lock().unwrap().clone();
    let rewrite = rewrite.filter(|(prefix, _)| path.starts_with(prefix) && status.is_success());
    if let Some((_, rewrite)) = rewrite {
        let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        rewrite(&mut json);
        bytes = serde_json::to_vec(&json).unwrap();
    }
    let replacement = control.replacement.lock().unwrap().clone();
    if let Some(answer) = replacement {
        let mut response = axum::response::Response::new(Body::from(answer.body));
        *response.status_mut() = axum::http::StatusCode::from_u16(answer.status).unwrap();
        for (name, value) in answer.headers {
            let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            response.headers_mut().append(name, value.parse().unwrap());
        }
        return response;
    }
    let (least, most) = *control.hold_ms.lock().unwrap();
    let hold = least + control.dice.below(most - least + 1);
    tokio::time::sleep(Duration::from_millis(hold)).await;
    let mut response = axum::response::Response::new(Body::from(bytes));
    *response.status_mut() = axum::http::StatusCode::from_u16(status.as_u16()).unwrap();
    if let Some(content_type) = content_type {
        response.headers_mut().insert(axum::http::header::CONTENT_TYPE, content_type);
    }
    response
}

/// A loopback server that should never be called: it counts the requests
/// that reach it, and those that carried an `Authorization` header.
pub(crate) struct Spy {
    pub(crate) base: String,
    pub(crate) requests: Arc<AtomicU64>,
    pub(crate) with_credentials: Arc<AtomicU64>,
}

impl Spy {
    pub(crate) async fn start() -> Spy {
        let requests = Arc::new(AtomicU64::new(0));
        let with_credentials = Arc::new(AtomicU64::new(0));
        let (counted, credentialed) = (requests.clone(), with_credentials.clone());
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            counted.fetch_add(1, Ordering::SeqCst);
            if request.headers().contains_key(axum::http::header::AUTHORIZATION) {
                credentialed.fetch_add(1, Ordering::SeqCst);
            }
            async { axum::Json(serde_json::json!({ "data": [] })) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Spy { base, requests, with_credentials }
    }
}
