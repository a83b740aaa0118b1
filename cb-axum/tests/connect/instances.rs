//! Sign-ins as production runs them: several instances behind a load
//! balancer (no sticky sessions), restarts between connect and callback,
//! anonymous traffic on the connect route, and cookies planted from a
//! sibling subdomain.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use cb_axum::{CoinbaseConnect, Key, SignedCookieUser};
use cb_client::{MemoryStore, OAuthClient, TokenStore};
use cb_sandbox::{Sandbox, SandboxConfig};
use futures_util::StreamExt as _;
use reqwest::StatusCode;
use rust_decimal::Decimal;

use crate::{Browser, ReadOnly, balances};

/// The app's public redirect URI: https, so cookies are `Secure` and
/// `__Host-` prefixed, as in production. The test's browser sends the
/// callback to whichever instance it picks.
const REDIRECT: &str = "https://app.example/callback";

/// Instances of one app: one sandbox, one token store, one cookie key.
struct Cluster {
    sandbox: Arc<Sandbox>,
    store: Arc<dyn TokenStore>,
    key: Key,
}

/// One running instance: its base URL, and its server task.
struct Instance {
    base: String,
    server: tokio::task::JoinHandle<()>,
}

impl Cluster {
    async fn new() -> Cluster {
        let sandbox = Arc::new(Sandbox::start(SandboxConfig::default()).await.unwrap());
        sandbox.seed_demo_user();
        sandbox.register_client("axum-app", "axum-secret", [REDIRECT]);
        Cluster { sandbox, store: Arc::new(MemoryStore::new()), key: Key::generate() }
    }

    /// An instance with the cluster's store and `key` as its cookie key.
    async fn instance_with(&self, key: &Key) -> Instance {
        let oauth = OAuthClient::builder("axum-app", "axum-secret", REDIRECT)
            .sandbox(self.sandbox.base_url().as_str())
            .shared_store(self.store.clone())
            .build()
            .unwrap();
        let connect = CoinbaseConnect::<ReadOnly>::new(oauth, SignedCookieUser::new(key.clone()))
            .cookie_key(key.clone())
            .after_connect("/balances")
            .clock(self.sandbox.clock());
        let app = Router::new()
            .route("/balances", get(balances))
            .merge(connect.router())
            .layer(connect.layer());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Instance { base, server }
    }

    async fn instance(&self) -> Instance {
        self.instance_with(&self.key).await
    }

    /// The callback URL Coinbase sent the browser to, as the load balancer
    /// hands it to `instance`.
    fn callback_on(instance: &Instance, callback: &url::Url) -> String {
        format!("{}{}?{}", instance.base, callback.path(), callback.query().unwrap_or_default())
    }
}

impl Browser {
    /// Starts a sign-in on `instance`: the authorize URL it redirects to.
    async fn start_on(&mut self, instance: &Instance) -> String {
        let answer = self.get(&format!("{}/connect", instance.base)).await;
        assert!(answer.status.is_redirection(), "{}", answer.body);
        assert!(self.cookies.contains_key("__Host-cb_connect"), "{:?}", self.cookies.keys());
        answer.location.unwrap()
    }
}

#[tokio::test]
async fn a_sign_in_started_on_one_instance_finishes_on_another() {
    let cluster = Cluster::new().await;
    let (a, b) = (cluster.instance().await, cluster.instance().await);
    let mut browser = Browser::new();
    let authorize = browser.start_on(&a).await;
    let callback = cluster.sandbox.consent(&authorize).unwrap().approve().unwrap();
    let answer = browser.get(&Cluster::callback_on(&b, &callback)).await;
    assert_eq!(answer.location.as_deref(), Some("/balances"), "{}", answer.body);
    assert!(browser.cookies.contains_key("__Host-cb_user"));
    for instance in [&a, &b] {
        let answer = browser.get(&format!("{}/balances", instance.base)).await;
        assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "2 accounts"));
    }
}

#[tokio::test]
async fn a_restart_between_connect_and_callback_loses_nothing() {
    let cluster = Cluster::new().await;
    let before = cluster.instance().await;
    let mut browser = Browser::new();
    let authorize = browser.start_on(&before).await;
    let callback = cluster.sandbox.consent(&authorize).unwrap().approve().unwrap();
    // The deploy replaces the instance while the user is at Coinbase.
    before.server.abort();
    let after = cluster.instance().await;
    let answer = browser.get(&Cluster::callback_on(&after, &callback)).await;
    assert_eq!(answer.location.as_deref(), Some("/balances"), "{}", answer.body);
    let answer = browser.get(&format!("{}/balances", after.base)).await;
    assert_eq!(answer.body, "2 accounts");

    // An instance with another cookie key cannot open the sign-in: the key
    // is what instances must share.
    let authorize = browser.start_on(&after).await;
    let callback = cluster.sandbox.consent(&authorize).unwrap().approve().unwrap();
    let stranger = cluster.instance_with(&Key::generate()).await;
    let answer = browser.get(&Cluster::callback_on(&stranger, &callback)).await;
    assert!(answer.body.contains("id=\"not-this-browser\""), "{}", answer.body);
    assert_eq!(cluster.sandbox.stats().code_grants, 1);
}

#[tokio::test]
async fn twelve_thousand_anonymous_connects_do_not_push_a_users_sign_in_out() {
    let cluster = Cluster::new().await;
    let instance = cluster.instance().await;
    let mut user = Browser::new();
    let authorize = user.start_on(&instance).await;

    let url = format!("{}/connect", instance.base);
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let started = std::time::Instant::now();
    let redirected = futures_util::stream::iter(0..12_000)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                http.get(url).send().await.is_ok_and(|answer| answer.status().is_redirection())
            }
        })
        .buffer_unordered(32)
        .filter(|redirected| std::future::ready(*redirected))
        .count()
        .await;
    println!("12000 anonymous GET /connect in {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(redirected, 12_000);

    let callback = cluster.sandbox.consent(&authorize).unwrap().approve().unwrap();
    let answer = user.get(&Cluster::callback_on(&instance, &callback)).await;
    assert_eq!(answer.location.as_deref(), Some("/balances"), "{}", answer.body);
}

#[tokio::test]
async fn cookies_planted_from_a_sibling_subdomain_are_ignored() {
    let cluster = Cluster::new().await;
    let instance = cluster.instance().await;
    let mallory = cluster.sandbox.add_user("Mallory", "mallory@attacker.example");
    cluster.sandbox.add_account(&mallory, "USD", Decimal::new(100, 0));

    // The attacker connects their own Coinbase and holds a valid identity.
    let mut attacker = Browser::new();
    let authorize = attacker.start_on(&instance).await;
    let callback =
        cluster.sandbox.consent(&authorize).unwrap().as_user(&mallory).approve().unwrap();
    attacker.get(&Cluster::callback_on(&instance, &callback)).await;
    let identity = attacker.cookies["__Host-cb_user"].clone();
    assert_eq!(attacker.get(&format!("{}/balances", instance.base)).await.body, "1 accounts");

    // Then starts a sign-in of their own, approves it, and plants both its
    // cookie and their identity in the victim's browser from a sibling
    // subdomain. A browser takes no `__Host-` cookie from another host, so
    // the planted ones carry the names without the prefix.
    let authorize = attacker.start_on(&instance).await;
    let sign_in = attacker.cookies["__Host-cb_connect"].clone();
    let attackers_callback =
        cluster.sandbox.consent(&authorize).unwrap().as_user(&mallory).approve().unwrap();
    let mut victim = Browser::new();
    victim.cookies.insert("cb_user".into(), identity.clone());
    victim.cookies.insert("cb_connect".into(), sign_in);

    // The attacker's callback URL, opened by the victim, exchanges nothing.
    let answer = victim.get(&Cluster::callback_on(&instance, &attackers_callback)).await;
    assert!(answer.body.contains("id=\"not-this-browser\""), "{}", answer.body);
    assert_eq!(cluster.sandbox.stats().code_grants, 1);

    // The victim connects their own Coinbase: it lands under a key of
    // their own, not under the attacker's.
    let authorize = victim.start_on(&instance).await;
    let callback = cluster.sandbox.consent(&authorize).unwrap().approve().unwrap();
    let answer = victim.get(&Cluster::callback_on(&instance, &callback)).await;
    assert_eq!(answer.location.as_deref(), Some("/balances"), "{}", answer.body);
    assert_ne!(victim.cookies.get("__Host-cb_user"), Some(&identity));
    assert_eq!(victim.get(&format!("{}/balances", instance.base)).await.body, "2 accounts");
    assert_eq!(
        attacker.get(&format!("{}/balances", instance.base)).await.body,
        "1 accounts",
        "the attacker's identity still holds only the attacker's authorization"
    );
}
