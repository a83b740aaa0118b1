//! The `web_app` example in a real browser: headless Chromium driven over
//! WebDriver (Debian's `chromium` and `chromium-driver`). It connects,
//! approves on the sandbox's consent page and sees the balances; unticks a
//! needed scope and sees the "missing permission" page; denies; and is sent
//! an attacker's callback URL (login CSRF), which the app refuses. Then, on
//! two instances behind a round-robin proxy of the test's own, it connects,
//! sees the balances, consents to sending and pays out with its two-factor
//! code, the code landing on the other instance than the send.
//!
//! CI installs the browser and sets `CB_REQUIRE_BROWSER=1`, which makes a
//! missing browser a failure. Elsewhere, without `chromedriver`, the test
//! says that it was skipped and why.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cb_examples::web::{Deployment, start_instance};
use cb_sandbox::{Sandbox, SandboxConfig};
use fantoccini::{Client, ClientBuilder, Locator};

/// Stops chromedriver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn browser_available() -> bool {
    let found = ["chromedriver", "chromium"].iter().all(|program| {
        Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if !found {
        let required = std::env::var_os("CB_REQUIRE_BROWSER").is_some();
        assert!(
            !required,
            "CB_REQUIRE_BROWSER is set but chromium or chromedriver is not installed"
        );
        eprintln!(
            "SKIPPED: the browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        );
    }
    found
}

async fn start_browser() -> (Driver, Client) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(driver);
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,800"],
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let connected = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(capabilities.clone())
            .connect(&url)
            .await;
        if let Ok(client) = connected {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {port}");
}

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"))
}

/// From the app's home page to Coinbase's consent page.
async fn to_consent(browser: &Client, app: &str) {
    browser.goto(app).await.unwrap();
    browser.find(Locator::Id("connect")).await.unwrap().click().await.unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("approve"))
        .await
        .unwrap();
}

async fn text_of(browser: &Client, id: &str) -> String {
    let element =
        browser.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id(id)).await;
    let element = element.unwrap_or_else(|error| panic!("no #{id}: {error}"));
    element.text().await.unwrap()
}

/// The callback URL of a sign-in the attacker started with their own HTTP
/// client and approved with their own Coinbase account.
async fn attacker_callback(sandbox: &Sandbox, app: &str) -> String {
    let attacker =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = attacker.get(format!("{app}connect")).send().await.unwrap();
    let authorize = response.headers()[reqwest::header::LOCATION].to_str().unwrap().to_owned();
    let mallory = sandbox.add_user("Mallory", "mallory@attacker.example");
    sandbox.add_account(&mallory, "USD", rust_decimal::Decimal::new(100, 0));
    let callback = sandbox.consent(&authorize).unwrap().as_user(&mallory).approve().unwrap();
    callback.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_approve_untick_and_deny_in_chromium() {
    if !browser_available() {
        return;
    }
    let outcome = tokio::time::timeout(Duration::from_secs(120), async {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        sandbox.seed_demo_user();
        let app = cb_examples::web::start(&sandbox).await.unwrap();
        let (_driver, browser) = start_browser().await;

        // Connect and approve: the balances appear.
        to_consent(&browser, &app.base_url).await;
        let consent = browser.source().await.unwrap();
        assert!(consent.contains("wallet:accounts:read") && consent.contains("wallet:user:read"));
        browser.find(Locator::Id("approve")).await.unwrap().click().await.unwrap();
        let balances = text_of(&browser, "balances").await;
        assert!(
            balances.contains("1000.00 USD") && balances.contains("0.50000000 BTC"),
            "{balances}"
        );
        std::fs::write(screenshot_path("web_app_balances"), browser.screenshot().await.unwrap())
            .unwrap();

        // Untick a needed scope: the app says which one is missing.
        to_consent(&browser, &app.base_url).await;
        let checkbox = Locator::Css("input[name=scope][value='wallet:accounts:read']");
        browser.find(checkbox).await.unwrap().click().await.unwrap();
        browser.find(Locator::Id("approve")).await.unwrap().click().await.unwrap();
        let missing = text_of(&browser, "partial-grant").await;
        assert!(missing.contains("wallet:accounts:read"), "{missing}");
        std::fs::write(
            screenshot_path("web_app_missing_scope"),
            browser.screenshot().await.unwrap(),
        )
        .unwrap();
        assert_eq!(sandbox.stats().revocations, 1, "the partial grant was revoked");

        // Deny: the app says nothing is connected.
        to_consent(&browser, &app.base_url).await;
        browser.find(Locator::Id("deny")).await.unwrap().click().await.unwrap();
        assert!(text_of(&browser, "denied").await.contains("declined"));

        // Login CSRF: an attacker starts a sign-in, approves it with their
        // own Coinbase account, and sends the victim the callback URL. The
        // victim's browser did not start that sign-in, so the app refuses
        // it, whether or not the victim has a sign-in of their own going.
        let attacker_callback = attacker_callback(&sandbox, &app.base_url).await;
        let exchanges = sandbox.stats().code_grants;
        browser.goto(&attacker_callback).await.unwrap();
        let refused = text_of(&browser, "not-this-browser").await;
        assert!(refused.contains("not started in this browser"), "{refused}");
        std::fs::write(screenshot_path("web_app_login_csrf"), browser.screenshot().await.unwrap())
            .unwrap();
        to_consent(&browser, &app.base_url).await;
        browser.goto(&attacker_callback).await.unwrap();
        let refused = text_of(&browser, "not-this-browser").await;
        assert!(refused.contains("not started in this browser"), "{refused}");
        assert_eq!(sandbox.stats().code_grants, exchanges, "no code was exchanged");

        browser.close().await.unwrap();
    })
    .await;
    outcome.expect("the browser test finished within two minutes");
    eprintln!("screenshots: {}", screenshot_path("web_app_balances").display());
}

/// A load balancer of the test's own: requests go round-robin to the
/// instances, except that a callback goes to another instance than the one
/// that began the sign-in, and a payout's code to another than the one
/// that took the send, so that the test meets the hard case every time.
struct RoundRobin {
    instances: Vec<String>,
    http: reqwest::Client,
    next: Mutex<usize>,
    /// The instance that served the last `/connect..` and `POST /payouts`.
    began: Mutex<std::collections::HashMap<&'static str, usize>>,
    /// Each request: its method and path, and the instance that served it.
    served: Mutex<Vec<(String, usize)>>,
}

impl RoundRobin {
    async fn start(listener: tokio::net::TcpListener, instances: Vec<String>) -> Arc<RoundRobin> {
        let balancer = Arc::new(RoundRobin {
            instances,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            next: Mutex::new(0),
            began: Mutex::default(),
            served: Mutex::default(),
        });
        let app = axum::Router::new().fallback(forward).with_state(balancer.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        balancer
    }

    fn pick(&self, method: &str, path: &str) -> usize {
        let (begins, finishes) = match (method, path) {
            (_, p) if p.starts_with("/connect") => (Some("sign-in"), None),
            (_, "/callback") => (None, Some("sign-in")),
            ("POST", "/payouts") => (Some("payout"), None),
            ("POST", "/payouts/confirm") => (None, Some("payout")),
            _ => (None, None),
        };
        let mut next = self.next.lock().unwrap();
        let mut pick = *next % self.instances.len();
        let began = finishes.and_then(|step| self.began.lock().unwrap().get(step).copied());
        if began == Some(pick) {
            pick = (pick + 1) % self.instances.len();
        }
        *next = pick + 1;
        if let Some(step) = begins {
            self.began.lock().unwrap().insert(step, pick);
        }
        self.served.lock().unwrap().push((format!("{method} {path}"), pick));
        pick
    }

    /// The instance that served the last request `what` (`"POST /payouts"`).
    fn served(&self, what: &str) -> Option<usize> {
        let served = self.served.lock().unwrap();
        served.iter().rev().find(|(request, _)| request == what).map(|(_, instance)| *instance)
    }
}

async fn forward(
    axum::extract::State(balancer): axum::extract::State<Arc<RoundRobin>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let (parts, body) = request.into_parts();
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
    let instance = balancer.pick(parts.method.as_str(), parts.uri.path());
    let url = format!("{}{}", balancer.instances[instance].trim_end_matches('/'), path_and_query);
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut outgoing = balancer.http.request(parts.method.clone(), url).body(body);
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return axum::http::StatusCode::BAD_GATEWAY.into_response();
    };
    let mut response = axum::response::Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response.body(axum::body::Body::from(bytes)).unwrap().into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_connect_and_pay_out_with_two_factor_in_chromium() {
    if !browser_available() {
        return;
    }
    let outcome = tokio::time::timeout(Duration::from_secs(120), async {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let user = sandbox.seed_demo_user();
        let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let public_url = format!("http://{}/", front.local_addr().unwrap());
        let deployment = Deployment::new(public_url.clone());
        let a = start_instance(&sandbox, &deployment).await.unwrap();
        let b = start_instance(&sandbox, &deployment).await.unwrap();
        let balancer = RoundRobin::start(front, vec![a.base_url.clone(), b.base_url.clone()]).await;
        let (_driver, browser) = start_browser().await;

        // Connect (begun on one instance, finished on the other).
        to_consent(&browser, &public_url).await;
        browser.find(Locator::Id("approve")).await.unwrap().click().await.unwrap();
        let balances = text_of(&browser, "balances").await;
        assert!(balances.contains("1000.00 USD"), "{balances}");
        assert_ne!(balancer.served("GET /connect"), balancer.served("GET /callback"));

        // The payouts page needs more: consent to sending, then pay.
        browser.goto(&format!("{public_url}payouts")).await.unwrap();
        browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id("approve"))
            .await
            .unwrap();
        assert!(browser.source().await.unwrap().contains("wallet:transactions:send"));
        browser.find(Locator::Id("approve")).await.unwrap().click().await.unwrap();
        text_of(&browser, "balances").await;
        browser.goto(&format!("{public_url}payouts")).await.unwrap();
        browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id("to"))
            .await
            .unwrap();
        browser.find(Locator::Id("to")).await.unwrap().send_keys("ada@example.com").await.unwrap();
        browser.find(Locator::Id("amount")).await.unwrap().send_keys("12.50").await.unwrap();
        browser.find(Locator::Id("send")).await.unwrap().click().await.unwrap();
        browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id("code"))
            .await
            .unwrap();
        let code = sandbox.two_factor_code(&user).expect("a code was sent");
        browser.find(Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
        browser.find(Locator::Id("confirm")).await.unwrap().click().await.unwrap();
        let sent = text_of(&browser, "sent").await;
        assert!(sent.contains("12.50"), "{sent}");
        std::fs::write(screenshot_path("web_app_payout_sent"), browser.screenshot().await.unwrap())
            .unwrap();
        assert_ne!(balancer.served("POST /payouts"), balancer.served("POST /payouts/confirm"));
        // Paid once: 12.50 left the USD account.
        let usd = sandbox.accounts(&user).into_iter().find(|account| account.currency == "USD");
        assert_eq!(usd.unwrap().balance, rust_decimal::Decimal::new(98750, 2));

        browser.close().await.unwrap();
    })
    .await;
    outcome.expect("the browser test finished within two minutes");
}
