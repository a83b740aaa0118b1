//! The `web_app` example's server: an axum app with a "Connect Coinbase"
//! button and a page of balances, on `cb-axum`. The example binary and the
//! browser test both start it from here.
//!
//! `cb-axum` does the parts that are easy to get wrong: the callback is
//! bound to the browser that started the sign-in (so a login-CSRF callback
//! URL is refused before any exchange), sign-ins expire, a partial grant is
//! revoked at once, and the user is known by a signed cookie whose value is
//! not the store key. What is left here is the app's own pages.

use std::net::SocketAddr;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use cb_axum::{Coinbase, CoinbaseConnect, Key, SignedCookieUser};
use cb_client::OAuthClient;
use cb_sandbox::Sandbox;
use cb_scopes::scopes;
use tokio::sync::oneshot;

scopes! {
    /// What the dashboard asks for: balances and the user's name.
    pub struct Dashboard(wallet:accounts:read, wallet:user:read);
}

const CLIENT_ID: &str = "web-app";
const CLIENT_SECRET: &str = "web-app-secret";

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

/// Starts the app on a free loopback port and registers it with `sandbox`.
///
/// # Errors
///
/// When no port can be bound or the client cannot be configured.
pub async fn start(sandbox: &Sandbox) -> Result<WebApp, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let base_url = format!("http://{}/", listener.local_addr()?);
    let redirect_uri = format!("{base_url}callback");
    sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [&redirect_uri]);
    let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, redirect_uri)
        .sandbox(sandbox.base_url().as_str())
        .build()?;

    // Served over plain http on loopback here; a deployed app keeps the
    // cookies `Secure` and the key in its secret manager, the same for
    // every instance, so that any instance finishes any sign-in.
    let key = Key::generate();
    let users = SignedCookieUser::new(key.clone()).insecure_for_loopback();
    let connect = CoinbaseConnect::<Dashboard>::new(oauth.clone(), users)
        .cookie_key(key)
        .after_connect("/accounts");
    let app = Router::new()
        .route("/", get(home))
        .route("/accounts", get(accounts))
        .merge(connect.router())
        .layer(connect.layer());

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
        "<p>See your Coinbase balances here.</p>\
         <p><a id=\"connect\" href=\"/connect\">Connect Coinbase</a></p>",
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
