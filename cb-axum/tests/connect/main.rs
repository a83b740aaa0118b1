//! `cb-axum` over real HTTP with the sandbox: connect, deny, a partial
//! grant, an expired sign-in, a login-CSRF callback, sign-out, and
//! incremental authorization from one set to a larger one; and, in
//! `instances`, sign-ins across instances and restarts, and planted cookies;
//! in `sessions`, the user taken from `tower-sessions`.

mod instances;
mod sessions;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use cb_axum::{Coinbase, CoinbaseConnect, CoinbaseError, Key, Rejection, SignedCookieUser};
use cb_client::OAuthClient;
use cb_client::cb_scopes::scopes;
use cb_sandbox::{Fault, Sandbox, SandboxConfig, Times};
use reqwest::{StatusCode, header};

scopes! {
    /// What the balances page needs.
    pub struct ReadOnly(wallet:accounts:read, wallet:user:read);
    /// What the payouts page needs: more.
    #[send_limit(amount = "50.00", currency = "USD", period = "day")]
    pub struct Payouts(wallet:accounts:read, wallet:user:read, wallet:transactions:send);
}

async fn balances(Coinbase(client): Coinbase<ReadOnly>) -> String {
    match client.accounts().all().await {
        Ok(accounts) => format!("{} accounts", accounts.len()),
        Err(error) => error.to_string(),
    }
}

async fn payouts(Coinbase(client): Coinbase<Payouts>) -> String {
    format!("limit {}", client.send_limit().map(|limit| limit.to_string()).unwrap_or_default())
}

/// A handler that lets the client's errors answer for themselves.
async fn payout_accounts(
    Coinbase(client): Coinbase<Payouts>,
) -> Result<String, CoinbaseError<Payouts>> {
    Ok(format!("{} accounts", client.accounts().all().await?.len()))
}

struct App {
    sandbox: Arc<Sandbox>,
    base: String,
}

impl App {
    async fn start(rejection: Option<Rejection>) -> App {
        let sandbox = Arc::new(Sandbox::start(SandboxConfig::default()).await.unwrap());
        sandbox.seed_demo_user();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let redirect = format!("{base}/callback");
        sandbox.register_client("axum-app", "axum-secret", [redirect.as_str()]);
        let oauth = OAuthClient::builder("axum-app", "axum-secret", redirect)
            .sandbox(sandbox.base_url().as_str())
            .build()
            .unwrap();
        let users = SignedCookieUser::new(Key::generate()).insecure_for_loopback();
        let mut connect = CoinbaseConnect::<ReadOnly>::new(oauth, users)
            .also::<Payouts>("/connect/payouts")
            .after_connect("/balances")
            .clock(sandbox.clock());
        if let Some(rejection) = rejection {
            connect = connect.rejection(rejection);
        }
        let app = Router::new()
            .route("/balances", get(balances))
            .route("/payouts", get(payouts))
            .route("/payouts/accounts", get(payout_accounts))
            .merge(connect.router())
            .layer(connect.layer());
        tokio::spawn(async move { axum::serve(listener, app).await });
        App { sandbox, base }
    }

    fn code_grants(&self) -> u64 {
        self.sandbox.stats().code_grants
    }
}

/// A browser: follows no redirect by itself, keeps cookies.
struct Browser {
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

/// An answer: its status, where it redirects, its body.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new() -> Browser {
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { http, cookies: HashMap::new() }
    }

    async fn send(&mut self, method: reqwest::Method, url: &str) -> Answer {
        self.send_with(method, url, &[]).await
    }

    /// A request with extra headers, as a browser adds `Origin` or
    /// `Sec-Fetch-Site`.
    async fn send_with(
        &mut self,
        method: reqwest::Method,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut request = self.http.request(method, url).header(header::COOKIE, cookie.join("; "));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let location =
            response.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned());
        Answer { status, location, body: response.text().await.unwrap() }
    }

    async fn get(&mut self, url: &str) -> Answer {
        self.send(reqwest::Method::GET, url).await
    }

    /// Starts a sign-in at `path`: the authorize URL the app redirects to.
    async fn start(&mut self, app: &App, path: &str) -> String {
        self.start_at(&app.base, path).await
    }

    /// Starts a sign-in at `path` of the app at `base`.
    async fn start_at(&mut self, base: &str, path: &str) -> String {
        let answer = self.get(&format!("{base}{path}")).await;
        assert!(answer.status.is_redirection(), "{}", answer.body);
        let location = answer.location.unwrap();
        assert!(self.cookies.contains_key("cb_connect"), "the sign-in is bound to this browser");
        location
    }

    /// Connects through `path`, approving everything.
    async fn connect(&mut self, app: &App, path: &str) -> Answer {
        let authorize = self.start(app, path).await;
        let callback = app.sandbox.consent(&authorize).unwrap().approve().unwrap();
        self.get(callback.as_str()).await
    }
}

#[tokio::test]
async fn connect_then_use_the_extractor() {
    let app = App::start(None).await;
    let mut browser = Browser::new();
    // Not connected yet: sent to connect.
    let answer = browser.get(&format!("{}/balances", app.base)).await;
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/connect"))
    );

    let answer = browser.connect(&app, "/connect").await;
    assert_eq!(answer.location.as_deref(), Some("/balances"), "{}", answer.body);
    assert!(browser.cookies.contains_key("cb_user"), "the user is known from now on");
    assert!(!browser.cookies.contains_key("cb_connect"), "the sign-in cookie is spent");
    let answer = browser.get(&format!("{}/balances", app.base)).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "2 accounts"));
}

#[tokio::test]
async fn a_denial_and_a_partial_grant_have_their_own_outcomes() {
    let app = App::start(None).await;
    let mut browser = Browser::new();
    let authorize = browser.start(&app, "/connect").await;
    let callback = app.sandbox.consent(&authorize).unwrap().deny();
    let answer = browser.get(callback.as_str()).await;
    assert!(answer.body.contains("id=\"denied\""), "{}", answer.body);

    let authorize = browser.start(&app, "/connect").await;
    let callback = app
        .sandbox
        .consent(&authorize)
        .unwrap()
        .grant_only(["wallet:user:read"])
        .approve()
        .unwrap();
    let answer = browser.get(callback.as_str()).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer.body.contains("id=\"partial-grant\"")
            && answer.body.contains("wallet:accounts:read")
    );
    assert_eq!(app.sandbox.stats().revocations, 1, "the partial grant was revoked");
    let answer = browser.get(&format!("{}/balances", app.base)).await;
    assert_eq!(answer.location.as_deref(), Some("/connect"), "nothing was kept");
}

#[tokio::test]
async fn an_expired_sign_in_exchanges_nothing() {
    let app = App::start(None).await;
    let mut browser = Browser::new();
    let authorize = browser.start(&app, "/connect").await;
    let callback = app.sandbox.consent(&authorize).unwrap().approve().unwrap();
    app.sandbox.advance(Duration::from_secs(11 * 60));
    let answer = browser.get(callback.as_str()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("id=\"expired\""), "{}", answer.body);
    assert_eq!(app.code_grants(), 0);
}

#[tokio::test]
async fn a_callback_from_another_browser_is_refused_before_any_exchange() {
    let app = App::start(None).await;
    // The attacker approves with their own account...
    let mut attacker = Browser::new();
    let authorize = attacker.start(&app, "/connect").await;
    let mallory = app.sandbox.add_user("Mallory", "mallory@attacker.example");
    let callback = app.sandbox.consent(&authorize).unwrap().as_user(&mallory).approve().unwrap();
    // ...and sends the victim the callback URL: with no sign-in of their
    // own, or in the middle of one.
    let mut victim = Browser::new();
    let answer = victim.get(callback.as_str()).await;
    assert!(answer.body.contains("id=\"not-this-browser\""), "{}", answer.body);
    victim.start(&app, "/connect").await;
    let answer = victim.get(callback.as_str()).await;
    assert!(answer.body.contains("id=\"not-this-browser\""), "{}", answer.body);
    assert_eq!(app.code_grants(), 0, "no code was exchanged");
    assert!(!victim.cookies.contains_key("cb_user"));
}

#[tokio::test]
async fn signing_out_revokes_and_forgets() {
    let app = App::start(None).await;
    let mut browser = Browser::new();
    browser.connect(&app, "/connect").await;
    let answer = browser.send(reqwest::Method::POST, &format!("{}/signout", app.base)).await;
    assert_eq!((answer.status, answer.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")));
    assert_eq!(app.sandbox.stats().revocations, 1);
    assert!(!browser.cookies.contains_key("cb_user"));
    let answer = browser.get(&format!("{}/balances", app.base)).await;
    assert_eq!(answer.location.as_deref(), Some("/connect"));
}

#[tokio::test]
async fn a_cross_site_sign_out_is_refused_and_the_user_stays_connected() {
    let app = App::start(None).await;
    let mut browser = Browser::new();
    browser.connect(&app, "/connect").await;
    let url = format!("{}/signout", app.base);
    for headers in [
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")][..],
        &[("origin", "https://evil.example")][..],
    ] {
        let answer = browser.send_with(reqwest::Method::POST, &url, headers).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(app.sandbox.stats().revocations, 0);
    assert_eq!(browser.get(&format!("{}/balances", app.base)).await.status, StatusCode::OK);
    // The app's own page may sign out.
    let host = app.base.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let origin = format!("http://{host}");
    let answer = browser.send_with(reqwest::Method::POST, &url, &[("origin", &origin)]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(app.sandbox.stats().revocations, 1);
}

#[tokio::test]
async fn a_handler_that_needs_more_sends_the_user_to_consent_again() {
    let app = App::start(None).await;
    let mut browser = Browser::new();
    browser.connect(&app, "/connect").await;
    let answer = browser.get(&format!("{}/payouts", app.base)).await;
    assert_eq!(answer.location.as_deref(), Some("/connect/payouts"));
    let authorize = browser.start(&app, "/connect/payouts").await;
    assert!(authorize.contains("meta%5Bsend_limit_amount%5D=50.00"), "{authorize}");
    let callback = app.sandbox.consent(&authorize).unwrap().approve().unwrap();
    let answer = browser.get(callback.as_str()).await;
    assert_eq!(answer.location.as_deref(), Some("/balances"), "{}", answer.body);
    let answer = browser.get(&format!("{}/payouts", app.base)).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "limit 50.00 USD per day"));
    // The record was replaced: the smaller set still works from it.
    let answer = browser.get(&format!("{}/balances", app.base)).await;
    assert_eq!(answer.body, "2 accounts");
}

#[tokio::test]
async fn a_partial_re_consent_keeps_the_earlier_grant_and_a_full_one_supersedes_it() {
    let app = App::start(None).await;
    let mut browser = Browser::new();
    browser.connect(&app, "/connect").await;
    let balances = format!("{}/balances", app.base);

    // The user is asked for more, and unticks the send scope.
    let authorize = browser.start(&app, "/connect/payouts").await;
    let callback = app
        .sandbox
        .consent(&authorize)
        .unwrap()
        .grant_only(["wallet:accounts:read", "wallet:user:read"])
        .approve()
        .unwrap();
    let answer = browser.get(callback.as_str()).await;
    assert!(answer.body.contains("id=\"partial-grant\""), "{}", answer.body);
    assert_eq!(app.sandbox.stats().revocations, 1, "the partial grant was revoked");
    // What they had still works.
    let answer = browser.get(&balances).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "2 accounts"));

    // They consent to everything: the larger grant replaces the earlier
    // one, which is revoked at Coinbase.
    browser.connect(&app, "/connect/payouts").await;
    assert_eq!(app.sandbox.stats().revocations, 2, "the superseded grant was revoked");
    let answer = browser.get(&format!("{}/payouts", app.base)).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "limit 50.00 USD per day"));
    assert_eq!(browser.get(&balances).await.body, "2 accounts");
}

#[tokio::test]
async fn the_rejection_can_be_a_401() {
    let app = App::start(Some(Rejection::Unauthorized)).await;
    let answer = Browser::new().get(&format!("{}/balances", app.base)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_client_error_answers_as_the_app_would_want() {
    let app = App::start(None).await;
    let mut browser = Browser::new();
    browser.connect(&app, "/connect/payouts").await;
    let url = format!("{}/payouts/accounts", app.base);
    assert_eq!(browser.get(&url).await.body, "2 accounts");

    // Coinbase fails: a page with a reference, no detail.
    app.sandbox.inject_fault("GET", "/v2/accounts", Fault::Status(500), Times::Always);
    let answer = browser.get(&url).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert!(
        answer.body.contains("id=\"reference\"") && !answer.body.contains("500"),
        "{}",
        answer.body
    );
    app.sandbox.clear_faults();

    // The authorization ends under the handler (the refresh's answer is
    // lost): the user is sent to the connect route of the handler's set.
    app.sandbox.advance(Duration::from_secs(3 * 3600));
    app.sandbox.inject_fault("POST", "/oauth2/token", Fault::DropAfterProcessing, Times::Next(1));
    let answer = browser.get(&url).await;
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/connect/payouts")),
        "{}",
        answer.body
    );
}
