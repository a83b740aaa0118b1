//! An app with a sign-in of its own on `tower-sessions`: the user's store
//! key is read from the session with an `.await`, through `AsyncUserKey`.

use std::sync::Arc;

use axum::Router;
use axum::extract::Query;
use axum::http::request::Parts;
use axum::routing::get;
use cb_axum::{AsyncUserKey, CoinbaseConnect};
use cb_client::{MemoryStore, OAuthClient, TokenStore};
use cb_sandbox::{Sandbox, SandboxConfig};
use futures_util::future::BoxFuture;
use reqwest::StatusCode;
use tower_sessions::{MemoryStore as SessionStore, Session, SessionManagerLayer};

use crate::{Browser, ReadOnly, balances};

/// The user the app's own login put in the session.
struct SessionUser;

impl AsyncUserKey for SessionUser {
    fn user_key<'a>(&'a self, request: &'a Parts) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let session = request.extensions.get::<Session>()?;
            session.get::<String>("user_id").await.ok().flatten()
        })
    }
}

/// The app's login, reduced to its effect: `?user=` goes into the session.
async fn login(session: Session, Query(query): Query<Vec<(String, String)>>) -> StatusCode {
    let user = query.into_iter().find(|(name, _)| name == "user").map(|(_, value)| value);
    match user {
        Some(user) if session.insert("user_id", &user).await.is_ok() => StatusCode::NO_CONTENT,
        _ => StatusCode::BAD_REQUEST,
    }
}

#[tokio::test]
async fn the_store_key_comes_from_the_apps_own_session() {
    let sandbox = Arc::new(Sandbox::start(SandboxConfig::default()).await.unwrap());
    sandbox.seed_demo_user();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let redirect = format!("{base}/callback");
    sandbox.register_client("sessions-app", "sessions-secret", [redirect.as_str()]);
    let store = Arc::new(MemoryStore::new());
    let oauth = OAuthClient::builder("sessions-app", "sessions-secret", redirect)
        .sandbox(sandbox.base_url().as_str())
        .shared_store(store.clone())
        .build()
        .unwrap();
    let connect = CoinbaseConnect::<ReadOnly>::new(oauth, SessionUser).after_connect("/balances");
    let app = Router::new()
        .route("/login", get(login))
        .route("/balances", get(balances))
        .merge(connect.router())
        .layer(connect.layer())
        .layer(SessionManagerLayer::new(SessionStore::default()).with_secure(false));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut browser = Browser::new();
    // Not signed in to the app: the callback knows no user.
    let authorize = browser.start_at(&base, "/connect").await;
    let callback = sandbox.consent(&authorize).unwrap().approve().unwrap();
    let answer = browser.get(callback.as_str()).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert!(answer.body.contains("id=\"no-user\""), "{}", answer.body);
    assert!(store.load("alice").await.unwrap().is_none());

    // Signed in as alice: her authorization is stored under her id.
    assert_eq!(
        browser.get(&format!("{base}/login?user=alice")).await.status,
        StatusCode::NO_CONTENT
    );
    let authorize = browser.start_at(&base, "/connect").await;
    let callback = sandbox.consent(&authorize).unwrap().approve().unwrap();
    let answer = browser.get(callback.as_str()).await;
    assert_eq!(answer.location.as_deref(), Some("/balances"), "{}", answer.body);
    assert!(store.load("alice").await.unwrap().is_some());
    assert_eq!(browser.get(&format!("{base}/balances")).await.body, "2 accounts");
}
