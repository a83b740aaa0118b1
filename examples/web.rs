//! The `web_app` example's server: an axum app with a "Connect Coinbase"
//! button, a page of balances, and a payouts page with two-factor
//! confirmation, on `cb-axum`. The example binary and the browser test both
//! start it from here, the test as two instances behind one address.
//!
//! `cb-axum` does the parts that are easy to get wrong: the callback is
//! bound to the browser that started the sign-in (so a login-CSRF callback
//! URL is refused before any exchange), sign-ins expire, a partial grant is
//! revoked at once, and the user is known by a signed cookie whose value is
//! not the store key. What is left here is the app's own pages.
//!
//! Every instance of a [`Deployment`] shares its cookie key and its token
//! store, and keeps nothing of its own between requests: a sign-in begun on
//! one instance finishes on another, and a payout whose two-factor code
//! arrives on another instance is confirmed there (the pending send waits
//! in the browser, in an encrypted cookie; it holds no secret, and its
//! `idem` makes a repeated confirmation answer the same transaction).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Extension, Form};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Router, http::header};
use axum_extra::extract::cookie::{Cookie, PrivateCookieJar, SameSite};
use cb_axum::{Coinbase, CoinbaseConnect, Key, SignedCookieUser};
use cb_client::models::Transaction;
use cb_client::{Decimal, Error, MemoryStore, OAuthClient, SavedSend, SendMoney, TokenStore};
use cb_sandbox::Sandbox;
use cb_scopes::scopes;
use tokio::sync::oneshot;

scopes! {
    /// What the dashboard asks for: balances and the user's name.
    pub struct Dashboard(wallet:accounts:read, wallet:user:read);
    /// What the payouts page asks for besides: sending, up to 100 USD a day.
    #[send_limit(amount = "100.00", currency = "USD", period = "day")]
    pub struct Payouts(wallet:accounts:read, wallet:user:read, wallet:transactions:send);
}

const CLIENT_ID: &str = "web-app";
const CLIENT_SECRET: &str = "web-app-secret";
/// The cookie a payout waits in for its two-factor code.
const PAYOUT_COOKIE: &str = "payout";

/// What the instances behind one address share: the address users see
/// (the redirect URI is under it), the cookie key, and the token store.
#[derive(Clone)]
pub struct Deployment {
    /// The address users see, such as `https://app.example/`.
    pub public_url: String,
    /// The key that seals sign-ins and pending payouts into the browser and
    /// signs the user's cookie.
    pub cookie_key: Key,
    /// The token store.
    pub store: Arc<dyn TokenStore>,
}

impl Deployment {
    /// A deployment at `public_url` with a fresh key and an in-memory store
    /// (one process: a real one keeps both for good).
    pub fn new(public_url: impl Into<String>) -> Deployment {
        Deployment {
            public_url: public_url.into(),
            cookie_key: Key::generate(),
            store: Arc::new(MemoryStore::new()),
        }
    }
}

/// A running web app.
pub struct WebApp {
    /// Where it listens, such as `http://127.0.0.1:41234/`.
    pub base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for WebApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts the app on a free loopback port, as the only instance at that
/// address, and registers it with `sandbox`.
///
/// # Errors
///
/// When no port can be bound or the client cannot be configured.
pub async fn start(sandbox: &Sandbox) -> Result<WebApp, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let deployment = Deployment::new(format!("http://{}/", listener.local_addr()?));
    serve(sandbox, &deployment, listener).await
}

/// Starts one instance of `deployment` on a free loopback port (its
/// `base_url`); users reach it through the deployment's public address.
///
/// # Errors
///
/// When no port can be bound or the client cannot be configured.
pub async fn start_instance(
    sandbox: &Sandbox,
    deployment: &Deployment,
) -> Result<WebApp, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    serve(sandbox, deployment, listener).await
}

async fn serve(
    sandbox: &Sandbox,
    deployment: &Deployment,
    listener: tokio::net::TcpListener,
) -> Result<WebApp, Box<dyn std::error::Error>> {
    let base_url = format!("http://{}/", listener.local_addr()?);
    let redirect_uri = format!("{}callback", deployment.public_url);
    sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [&redirect_uri]);
    let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, &redirect_uri)
        .sandbox(sandbox.base_url().as_str())
        .shared_store(deployment.store.clone())
        .build()?;

    // Served over plain http on loopback here; a deployed app keeps the
    // cookies `Secure` and the key in its secret manager, the same for
    // every instance, so that any instance finishes any sign-in.
    let key = deployment.cookie_key.clone();
    let secure = !redirect_uri.starts_with("http://127.0.0.1");
    let mut users = SignedCookieUser::new(key.clone());
    if !secure {
        users = users.insecure_for_loopback();
    }
    let connect = CoinbaseConnect::<Dashboard>::new(oauth.clone(), users)
        .also::<Payouts>("/connect/payouts")
        .cookie_key(key.clone())
        .after_connect("/accounts");
    let app = Router::new()
        .route("/", get(home))
        .route("/accounts", get(accounts))
        .route("/payouts", get(payout_form).post(send_payout))
        .route("/payouts/confirm", axum::routing::post(confirm_payout))
        .merge(connect.router())
        .layer(connect.layer())
        .layer(Extension(PayoutCookie { key, secure }));

    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        // The server took its last request: let refreshes in flight (and
        // saves of refreshed pairs) finish before the process may end, so
        // that the next instance does not find a spent refresh token.
        if !oauth.shutdown(std::time::Duration::from_secs(10)).await {
            eprintln!("web app: background work was still running at shutdown");
        }
    });
    Ok(WebApp { base_url, shutdown: Some(shutdown) })
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn home() -> Html<String> {
    page(
        "Coinbase dashboard",
        "<p>See your Coinbase balances here, and send payouts.</p>\
         <p><a id=\"connect\" href=\"/connect\">Connect Coinbase</a> \
         <a id=\"payouts\" href=\"/payouts\">Payouts</a></p>",
    )
}

/// The balances: only for a user whose grant covers `Dashboard`; anyone else
/// is sent to connect first.
async fn accounts(Coinbase(client): Coinbase<Dashboard>) -> Html<String> {
    let (user, accounts) =
        match tokio::try_join!(client.current_user_details(), client.accounts().all()) {
            Ok(answers) => answers,
            Err(error) => return page("Coinbase error", &escape(&error.to_string())),
        };
    let rows: String = accounts
        .iter()
        .map(|account| {
            format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&account.name),
                escape(&account.balance.to_string())
            )
        })
        .collect();
    let name = user.name.unwrap_or_default();
    let body =
        format!("<p>Signed in as {}.</p><table id=\"balances\">{rows}</table>", escape(&name));
    page("Your balances", &body)
}

/// The pending payout, sealed into the browser between the send and its
/// two-factor code, with the deployment's key: any instance opens it.
#[derive(Clone)]
struct PayoutCookie {
    key: Key,
    secure: bool,
}

impl PayoutCookie {
    fn keep(&self, saved: &SavedSend) -> Option<axum::http::HeaderValue> {
        let value = serde_json::to_string(saved).ok()?;
        let cookie = Cookie::build((PAYOUT_COOKIE, value))
            .path("/payouts")
            .max_age(cb_client::time::Duration::minutes(10))
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure);
        let jar = PrivateCookieJar::new(self.key.clone()).add(cookie);
        (jar, ()).into_response().headers_mut().remove(header::SET_COOKIE)
    }

    fn open(&self, headers: &HeaderMap) -> Option<SavedSend> {
        let jar = PrivateCookieJar::from_headers(headers, self.key.clone());
        serde_json::from_str(jar.get(PAYOUT_COOKIE)?.value()).ok()
    }

    fn forget(&self) -> (header::HeaderName, String) {
        (header::SET_COOKIE, format!("{PAYOUT_COOKIE}=; Path=/payouts; Max-Age=0"))
    }
}

/// The payout form: only for a user whose grant covers `Payouts`; anyone
/// else is sent to consent to sending first.
async fn payout_form(Coinbase(client): Coinbase<Payouts>) -> Html<String> {
    let limit = client.send_limit().map(|limit| limit.to_string()).unwrap_or_default();
    page(
        "Send a payout",
        &format!(
            "<p>Up to {}.</p><form method=\"post\" action=\"/payouts\">\
             <p><label>To (email) <input id=\"to\" name=\"to\" type=\"email\"></label></p>\
             <p><label>Amount (USD) <input id=\"amount\" name=\"amount\"></label></p>\
             <p><button id=\"send\" type=\"submit\">Send</button></p></form>",
            escape(&limit)
        ),
    )
}

/// `POST /payouts`: sends from the user's USD account. Coinbase asks for
/// the user's two-factor code: the send waits in the browser meanwhile.
async fn send_payout(
    Coinbase(client): Coinbase<Payouts>,
    Extension(cookie): Extension<PayoutCookie>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let to = form.get("to").map(|to| to.trim()).filter(|to| to.contains('@'));
    let amount = form.get("amount").and_then(|amount| amount.trim().parse::<Decimal>().ok());
    let (Some(to), Some(amount)) = (to, amount) else {
        return page("Payout refused", "<p id=\"invalid\">An email and an amount, please.</p>")
            .into_response();
    };
    let usd = match client.accounts().all().await {
        Ok(accounts) => accounts.into_iter().find(|account| account.currency == "USD"),
        Err(error) => return failed(&error),
    };
    let Some(usd) = usd else {
        return page("Payout refused", "<p id=\"invalid\">You have no USD account.</p>")
            .into_response();
    };
    match client.send_money(&usd.id, SendMoney::new(to, amount, "USD")).await {
        Ok(transaction) => sent(&transaction, &cookie),
        Err(Error::TwoFactorRequired(pending)) => {
            match pending.saved().and_then(|saved| cookie.keep(&saved)) {
                Some(kept) => ([(header::SET_COOKIE, kept)], code_form("")).into_response(),
                None => page("Payout refused", "<p id=\"failed\">This send cannot wait.</p>")
                    .into_response(),
            }
        }
        Err(error) => failed(&error),
    }
}

/// `POST /payouts/confirm`: the user's code, on whichever instance.
async fn confirm_payout(
    Coinbase(client): Coinbase<Payouts>,
    Extension(cookie): Extension<PayoutCookie>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(saved) = cookie.open(&headers) else {
        return page("No payout", "<p id=\"no-payout\">No payout is waiting for a code.</p>")
            .into_response();
    };
    let code = form.get("code").map_or("", |code| code.trim());
    match client.confirm_send(&saved, code).await {
        Ok(transaction) => sent(&transaction, &cookie),
        Err(Error::TwoFactorRequired(_)) => {
            code_form("<p id=\"wrong-code\">That code was not accepted.</p>").into_response()
        }
        Err(error) => failed(&error),
    }
}

fn code_form(notice: &str) -> Html<String> {
    page(
        "Two-factor code",
        &format!(
            "{notice}<p>Coinbase sent you a code.</p>\
             <form method=\"post\" action=\"/payouts/confirm\">\
             <p><label>Code <input id=\"code\" name=\"code\" autocomplete=\"one-time-code\"></label></p>\
             <p><button id=\"confirm\" type=\"submit\">Confirm</button></p></form>"
        ),
    )
}

fn sent(transaction: &Transaction, cookie: &PayoutCookie) -> Response {
    let body = format!(
        "<p id=\"sent\">Sent {} ({}).</p><p><a href=\"/accounts\">Balances</a></p>",
        escape(&transaction.amount.to_string()),
        escape(&transaction.status.to_string()),
    );
    ([cookie.forget()], page("Payout sent", &body)).into_response()
}

fn failed(error: &Error) -> Response {
    page("Coinbase error", &format!("<p id=\"failed\">{}</p>", escape(&error.to_string())))
        .into_response()
}
