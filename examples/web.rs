//! The `web_app` example's server: an axum app with a "Connect Coinbase"
//! button, the OAuth2 callback, and a page of balances. The example binary
//! and the browser test both start it from here.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use cb_client::{Client, Error, OAuthClient};
use cb_sandbox::Sandbox;
use cb_scopes::{CallbackError, PendingAuthorization, scopes};
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

struct AppState {
    oauth: OAuthClient,
    /// Authorizations the user was sent to approve, by their `state`.
    pending: Mutex<HashMap<String, PendingAuthorization<Dashboard>>>,
    /// Connected users, by session cookie.
    sessions: Mutex<HashMap<String, Client<Dashboard>>>,
}

type Shared = Arc<AppState>;

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
    let state = Arc::new(AppState { oauth, pending: Mutex::default(), sessions: Mutex::default() });
    let app = Router::new()
        .route("/", get(home))
        .route("/connect", get(connect))
        .route("/callback", get(callback))
        .route("/accounts", get(accounts))
        .with_state(state);
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
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

async fn connect(State(app): State<Shared>) -> Response {
    match app.oauth.authorize_url::<Dashboard>().build() {
        Ok((url, pending)) => {
            let mut waiting = app.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            waiting.insert(pending.state().to_owned(), pending);
            Redirect::to(url.as_str()).into_response()
        }
        Err(error) => {
            (StatusCode::INTERNAL_SERVER_ERROR, page("Error", &escape(&error.to_string())))
                .into_response()
        }
    }
}

async fn callback(State(app): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let state = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let pending =
        app.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&state);
    let Some(pending) = pending else {
        let body = "<p id=\"unknown\">This sign-in link expired or was already used.</p><p><a href=\"/\">Start again</a></p>";
        return (StatusCode::BAD_REQUEST, page("Sign-in expired", body)).into_response();
    };
    let code = match pending.complete_query(&query) {
        Ok(code) => code,
        Err(CallbackError::AccessDenied { .. }) => {
            let body = "<p id=\"denied\">You declined to connect Coinbase, so there is nothing to show.</p>\
                        <p><a href=\"/connect\">Connect Coinbase</a></p>";
            return page("Not connected", body).into_response();
        }
        Err(error) => {
            return (StatusCode::BAD_REQUEST, page("Sign-in failed", &escape(&error.to_string())))
                .into_response();
        }
    };
    let session = uuid::Uuid::new_v4().to_string();
    match app.oauth.exchange(code, &session).await {
        Ok(client) => {
            app.sessions
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(session.clone(), client);
            let cookie = format!("session={session}; HttpOnly; SameSite=Lax; Path=/");
            ([(header::SET_COOKIE, cookie)], Redirect::to("/accounts")).into_response()
        }
        Err(Error::ScopesNotGranted { missing, .. }) => {
            // Nothing can be done with a partial grant: revoke it, and ask again.
            let _ = app.oauth.revoke(&session).await;
            let body = format!(
                "<p id=\"missing-scope\">Coinbase did not grant <code>{}</code>, which this app needs \
                 to show your balances.</p><p><a href=\"/connect\">Connect again</a> and leave it ticked.</p>",
                escape(&missing.to_string())
            );
            (StatusCode::FORBIDDEN, page("Missing permission", &body)).into_response()
        }
        Err(error) => {
            (StatusCode::BAD_GATEWAY, page("Coinbase error", &escape(&error.to_string())))
                .into_response()
        }
    }
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|cookie| cookie.trim().strip_prefix("session=")).map(str::to_owned)
}

async fn accounts(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let client = session_of(&headers).and_then(|session| {
        app.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&session).cloned()
    });
    let Some(client) = client else {
        return Redirect::to("/").into_response();
    };
    let (user, accounts) =
        match tokio::try_join!(client.current_user_details(), client.accounts().all()) {
            Ok(answers) => answers,
            Err(error) => {
                return (
                    StatusCode::BAD_GATEWAY,
                    page("Coinbase error", &escape(&error.to_string())),
                )
                    .into_response();
            }
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
    page("Your balances", &body).into_response()
}
