//! The `web_app` example's server: an axum app with a "Connect Coinbase"
//! button, the OAuth2 callback, and a page of balances. The example binary
//! and the browser test both start it from here.
//!
//! What a real app must copy from it:
//! - **The callback is bound to the browser that started it.** `/connect`
//!   keeps the pending authorization under a random id that only that
//!   browser holds, in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` when
//!   served over https). A callback without that cookie is refused before
//!   any exchange: otherwise an attacker could approve with their own
//!   Coinbase account and send a victim the callback URL, signing the
//!   victim in to the attacker's account (login CSRF).
//! - **Pending sign-ins expire** (ten minutes) and both maps are bounded, so
//!   a flood of `GET /connect` cannot grow memory.
//! - **The session cookie is not the store key.** The cookie is a random
//!   session id; the store key is the app's own user id, so the cookie's
//!   value never reaches logs or store errors.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// How long a sign-in may take, from `/connect` to the callback.
const SIGN_IN_LIFETIME: Duration = Duration::from_secs(600);
/// How long a session lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// The most sign-ins in progress, and sessions, kept at once; the oldest go.
const MAX_PENDING: usize = 1_000;
const MAX_SESSIONS: usize = 10_000;

struct AppState {
    oauth: OAuthClient,
    /// Whether cookies get `Secure` (the app is served over https).
    secure: bool,
    /// Sign-ins in progress, by the random id in the browser's `sign_in`
    /// cookie.
    pending: Mutex<HashMap<String, PendingAuthorization<Dashboard>>>,
    /// Connected users, by the random id in the browser's `session` cookie.
    sessions: Mutex<HashMap<String, Session>>,
}

struct Session {
    client: Client<Dashboard>,
    started: Instant,
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
    let state = Arc::new(AppState {
        oauth,
        secure: base_url.starts_with("https:"),
        pending: Mutex::default(),
        sessions: Mutex::default(),
    });
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

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Secure` over https.
fn cookie(app: &AppState, name: &str, value: &str, path: &str, max_age: Duration) -> String {
    let secure = if app.secure { "; Secure" } else { "" };
    format!(
        "{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        max_age.as_secs()
    )
}

fn cookie_of(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(
        |cookies| {
            cookies.split(';').find_map(|cookie| {
                let (key, value) = cookie.trim().split_once('=')?;
                (key == name).then(|| value.to_owned())
            })
        },
    )
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn connect(State(app): State<Shared>) -> Response {
    match app.oauth.authorize_url::<Dashboard>().build() {
        Ok((url, pending)) => {
            let sign_in = uuid::Uuid::new_v4().simple().to_string();
            {
                let mut waiting = lock(&app.pending);
                waiting.retain(|_, pending| !pending.is_older_than(SIGN_IN_LIFETIME));
                if waiting.len() >= MAX_PENDING {
                    let oldest = waiting
                        .iter()
                        .min_by_key(|(_, pending)| pending.created_at())
                        .map(|(id, _)| id.clone());
                    oldest.map(|id| waiting.remove(&id));
                }
                waiting.insert(sign_in.clone(), pending);
            }
            let cookie = cookie(&app, "sign_in", &sign_in, "/callback", SIGN_IN_LIFETIME);
            ([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response()
        }
        Err(error) => {
            (StatusCode::INTERNAL_SERVER_ERROR, page("Error", &escape(&error.to_string())))
                .into_response()
        }
    }
}

async fn callback(
    State(app): State<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    // Only the browser that started this sign-in holds its id.
    let pending = cookie_of(&headers, "sign_in").and_then(|id| lock(&app.pending).remove(&id));
    let forget_sign_in = cookie(&app, "sign_in", "", "/callback", Duration::ZERO);
    let pending = pending.filter(|pending| !pending.is_older_than(SIGN_IN_LIFETIME));
    let Some(pending) = pending else {
        let body = "<p id=\"foreign\">This sign-in was not started in this browser, or it \
                    expired. Nothing was connected.</p><p><a href=\"/\">Start again</a></p>";
        return (
            StatusCode::BAD_REQUEST,
            [(header::SET_COOKIE, forget_sign_in)],
            page("Sign-in refused", body),
        )
            .into_response();
    };
    let code = match pending.complete_query(&query) {
        Ok(code) => code,
        Err(CallbackError::AccessDenied { .. }) => {
            let body = "<p id=\"denied\">You declined to connect Coinbase, so there is nothing to show.</p>\
                        <p><a href=\"/connect\">Connect Coinbase</a></p>";
            return ([(header::SET_COOKIE, forget_sign_in)], page("Not connected", body))
                .into_response();
        }
        Err(error) => {
            // Another sign-in's callback (its state is not this browser's).
            let body = format!(
                "<p id=\"foreign\">This sign-in does not belong to this browser: {}. Nothing \
                 was connected.</p><p><a href=\"/\">Start again</a></p>",
                escape(&error.to_string())
            );
            return (
                StatusCode::BAD_REQUEST,
                [(header::SET_COOKIE, forget_sign_in)],
                page("Sign-in refused", &body),
            )
                .into_response();
        }
    };
    // The app's own id for this user; a real app uses its user table's.
    let user_key = format!("user-{}", uuid::Uuid::new_v4().simple());
    match app.oauth.exchange(code, &user_key).await {
        Ok(client) => {
            let session = uuid::Uuid::new_v4().simple().to_string();
            {
                let mut sessions = lock(&app.sessions);
                sessions.retain(|_, session| session.started.elapsed() < SESSION_LIFETIME);
                if sessions.len() >= MAX_SESSIONS {
                    let oldest = sessions
                        .iter()
                        .min_by_key(|(_, session)| session.started)
                        .map(|(id, _)| id.clone());
                    oldest.map(|id| sessions.remove(&id));
                }
                sessions.insert(session.clone(), Session { client, started: Instant::now() });
            }
            let session = cookie(&app, "session", &session, "/", SESSION_LIFETIME);
            let mut response = Redirect::to("/accounts").into_response();
            for value in [session, forget_sign_in] {
                if let Ok(value) = value.parse() {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            response
        }
        Err(Error::ScopesNotGranted { missing, .. }) => {
            // Nothing can be done with a partial grant: revoke it, and ask again.
            let _ = app.oauth.revoke(&user_key).await;
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

async fn accounts(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let client = cookie_of(&headers, "session").and_then(|id| {
        let sessions = lock(&app.sessions);
        let session = sessions.get(&id)?;
        (session.started.elapsed() < SESSION_LIFETIME).then(|| session.client.clone())
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
