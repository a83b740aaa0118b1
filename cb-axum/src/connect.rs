//! `CoinbaseConnect`: the connect, callback and sign-out routes, and the
//! state the extractor reads.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cb_client::cb_scopes::{CallbackError, DeclaredScopes, ScopeSet};
use cb_client::{Error, OAuthClient};
use futures_util::future::BoxFuture;

use crate::outcome::ConnectOutcome;
use crate::pages;
use crate::user::UserKey;

/// The cookie that binds a sign-in in progress to the browser that started
/// it.
const SIGN_IN_COOKIE: &str = "cb_connect";
/// The most sign-ins in progress kept at once; the oldest go first.
const MAX_PENDING: usize = 10_000;

/// What the extractor does when a request has no usable authorization.
#[derive(Clone)]
#[non_exhaustive]
pub enum Rejection {
    /// Redirect to the connect route of the set the handler needs (the
    /// default).
    Redirect,
    /// Answer `401 Unauthorized`.
    Unauthorized,
    /// Answer with the app's own response.
    Custom(Arc<dyn Fn(RejectionReason) -> Response + Send + Sync>),
}

/// Why the extractor refused a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectionReason {
    /// The user never connected, signed out, or their authorization ended.
    NotConnected,
    /// The user's grant does not cover the handler's set: they must consent
    /// to more (at `connect_path`, when a connect route serves that set).
    MoreScopesNeeded {
        /// The scopes missing from the grant.
        missing: ScopeSet,
        /// Where the user can consent to them.
        connect_path: Option<String>,
    },
}

/// Finishes a sign-in from the callback's query, under a store key: `Ok`
/// when the user is connected.
type Completion = Box<
    dyn FnOnce(String, OAuthClient, String) -> BoxFuture<'static, Result<(), ConnectOutcome>>
        + Send,
>;

/// A sign-in in progress: when it began, and how to finish it for its set.
struct Pending {
    created_at: SystemTime,
    complete: Completion,
}

pub(crate) struct Shared {
    pub(crate) oauth: OAuthClient,
    pub(crate) users: Box<dyn UserKey>,
    callback_path: String,
    signout_path: String,
    after_connect: String,
    after_signout: String,
    pending_lifetime: Duration,
    clock: Arc<dyn Fn() -> SystemTime + Send + Sync>,
    secure_cookies: bool,
    pending: Mutex<HashMap<String, Pending>>,
    /// The connect route of each set, by the set's type.
    connect_paths: Mutex<HashMap<TypeId, String>>,
    pub(crate) rejection: Rejection,
    outcome_page: Arc<dyn Fn(&ConnectOutcome) -> Response + Send + Sync>,
}

impl Shared {
    pub(crate) fn connect_path_of(&self, set: TypeId) -> Option<String> {
        lock(&self.connect_paths).get(&set).cloned()
    }

    fn cookie(&self, value: &str, max_age: Duration) -> HeaderValue {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let cookie = format!(
            "{SIGN_IN_COOKIE}={value}; Path={}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            self.callback_path,
            max_age.as_secs()
        );
        // Only ASCII goes in: a hex id, a path checked at construction.
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    fn expired(&self, created_at: SystemTime) -> bool {
        (self.clock)().duration_since(created_at).is_ok_and(|age| age > self.pending_lifetime)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// "Connect Coinbase" for an axum app: the routes that send the user to
/// Coinbase and take them back, for the scope set `S` (and more sets added
/// with [`also`](Self::also)), and the layer that lets handlers extract a
/// [`Coinbase<S>`](crate::Coinbase).
///
/// - **`GET /connect`** keeps the sign-in server-side under a random id that
///   only this browser holds, in an `HttpOnly`, `SameSite=Lax` cookie
///   (`Secure` unless the redirect URI is plain http on loopback), and
///   redirects to Coinbase's consent page, send-limit meta included.
/// - **The callback** (the path of the OAuth client's redirect URI) finishes
///   only the sign-in of that same cookie, within its lifetime: a callback
///   URL sent to another browser exchanges nothing. A partial grant is
///   revoked at once. The user's store key comes from the [`UserKey`].
/// - **`POST /signout`** revokes at Coinbase, deletes the record and
///   forgets the user.
pub struct CoinbaseConnect<S> {
    shared: Arc<Shared>,
    /// Each connect route: its path, and how to build it for its set.
    routes: Vec<(String, ConnectRoute)>,
    set: PhantomData<fn() -> S>,
}

/// Builds the connect route of one set at a path.
type ConnectRoute = fn(&str, Arc<Shared>) -> Router;

/// The connect route of the set `T` at `path`.
fn connect_route<T: DeclaredScopes + 'static>(path: &str, shared: Arc<Shared>) -> Router {
    Router::new().route(path, get(move || connect::<T>(shared.clone())))
}

impl<S: DeclaredScopes + 'static> CoinbaseConnect<S> {
    /// Connects users through `oauth`, knowing them by `users`, with the
    /// connect route at `/connect` and the callback at the path of the
    /// client's redirect URI.
    pub fn new(oauth: OAuthClient, users: impl UserKey) -> Self {
        // The client's redirect URI, as an authorize URL carries it.
        let redirect =
            oauth.authorize_url::<S>().build().map(|(_, pending)| pending.redirect_uri().clone());
        let (callback_path, secure_cookies) = match redirect {
            Ok(uri) => {
                let loopback_http = uri.scheme() == "http"
                    && matches!(uri.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
                (uri.path().to_owned(), !loopback_http)
            }
            Err(_) => ("/callback".to_owned(), true),
        };
        let shared = Arc::new(Shared {
            oauth,
            users: Box::new(users),
            callback_path,
            signout_path: "/signout".to_owned(),
            after_connect: "/".to_owned(),
            after_signout: "/".to_owned(),
            pending_lifetime: Duration::from_secs(600),
            clock: Arc::new(SystemTime::now),
            secure_cookies,
            pending: Mutex::default(),
            connect_paths: Mutex::default(),
            rejection: Rejection::Redirect,
            outcome_page: Arc::new(pages::outcome),
        });
        CoinbaseConnect { shared, routes: Vec::new(), set: PhantomData }.also::<S>("/connect")
    }
}

impl<S> CoinbaseConnect<S> {
    fn configure(mut self, change: impl FnOnce(&mut Shared)) -> Self {
        // Routes and layers get their own handle only when built, so the
        // builder holds the only one until then.
        match Arc::get_mut(&mut self.shared) {
            Some(shared) => change(shared),
            None => tracing::warn!(
                target: "cb_axum",
                "CoinbaseConnect was configured after its router or layer was built; ignored"
            ),
        }
        self
    }

    /// Adds a connect route at `path` for the set `T`: for handlers that
    /// need more than `S`. A user whose grant does not cover `T` is sent
    /// there; on their return the stored authorization is replaced.
    #[must_use]
    pub fn also<T: DeclaredScopes + 'static>(mut self, path: &str) -> Self {
        lock(&self.shared.connect_paths).insert(TypeId::of::<T>(), path.to_owned());
        self.routes.retain(|(existing, _)| existing != path);
        self.routes.push((path.to_owned(), connect_route::<T>));
        self
    }

    /// Moves the connect route of `S` from `/connect` to `path`.
    #[must_use]
    pub fn connect_path(mut self, path: &str) -> Self
    where
        S: DeclaredScopes + 'static,
    {
        if let Some(old) = self.shared.connect_path_of(TypeId::of::<S>()) {
            self.routes.retain(|(existing, _)| *existing != old);
        }
        self.also::<S>(path)
    }

    /// Where a connected user goes next; `/` by default.
    #[must_use]
    pub fn after_connect(self, path: &str) -> Self {
        let path = path.to_owned();
        self.configure(|shared| shared.after_connect = path)
    }

    /// The sign-out route (`POST`), `/signout` by default, and where the
    /// user goes after it, `/` by default.
    #[must_use]
    pub fn signout(self, path: &str, then: &str) -> Self {
        let (path, then) = (path.to_owned(), then.to_owned());
        self.configure(|shared| {
            shared.signout_path = path;
            shared.after_signout = then;
        })
    }

    /// How long a sign-in may take from the connect route to the callback;
    /// ten minutes by default.
    #[must_use]
    pub fn pending_lifetime(self, lifetime: Duration) -> Self {
        self.configure(|shared| shared.pending_lifetime = lifetime)
    }

    /// The clock sign-ins expire by; the system clock by default. A test
    /// passes the sandbox's (`sandbox.clock()`).
    #[must_use]
    pub fn clock(self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.configure(|shared| shared.clock = Arc::new(clock))
    }

    /// What the extractor answers a request without a usable authorization.
    #[must_use]
    pub fn rejection(self, rejection: Rejection) -> Self {
        self.configure(|shared| shared.rejection = rejection)
    }

    /// Renders the outcomes of connections that did not succeed, instead of
    /// the default pages.
    #[must_use]
    pub fn outcome_page(
        self,
        page: impl Fn(&ConnectOutcome) -> Response + Send + Sync + 'static,
    ) -> Self {
        self.configure(|shared| shared.outcome_page = Arc::new(page))
    }

    /// The connect routes, the callback and the sign-out route, to merge into
    /// the app's router.
    pub fn router(&self) -> Router {
        let callback = {
            let shared = self.shared.clone();
            move |request: Request| callback(shared.clone(), request)
        };
        let signout = {
            let shared = self.shared.clone();
            move |request: Request| signout(shared.clone(), request)
        };
        self.routes.iter().fold(
            Router::new()
                .route(&self.shared.callback_path, get(callback))
                .route(&self.shared.signout_path, post(signout)),
            |router, (path, route)| router.merge(route(path, self.shared.clone())),
        )
    }

    /// The layer that lets every handler of the app extract
    /// [`Coinbase<S>`](crate::Coinbase): apply it to the whole router.
    pub fn layer(&self) -> axum::Extension<CoinbaseState> {
        axum::Extension(CoinbaseState(self.shared.clone()))
    }
}

impl<S> fmt::Debug for CoinbaseConnect<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let paths: Vec<&str> = self.routes.iter().map(|(path, _)| path.as_str()).collect();
        f.debug_struct("CoinbaseConnect")
            .field("connect", &paths)
            .field("callback", &self.shared.callback_path)
            .finish_non_exhaustive()
    }
}

/// What [`CoinbaseConnect::layer`] puts in every request for the extractor.
#[derive(Clone)]
pub struct CoinbaseState(pub(crate) Arc<Shared>);

impl fmt::Debug for CoinbaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoinbaseState").finish_non_exhaustive()
    }
}

/// `GET /connect` for the set `T`.
async fn connect<T: DeclaredScopes + 'static>(shared: Arc<Shared>) -> Response {
    let (url, pending) = match shared.oauth.authorize_url::<T>().build() {
        Ok(built) => built,
        Err(error) => {
            return (shared.outcome_page)(&ConnectOutcome::Failed(Error::Config(
                error.to_string(),
            )));
        }
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let complete: Completion = Box::new(move |query, oauth, key| {
        Box::pin(async move {
            let code = match pending.complete_query(&query) {
                Ok(code) => code,
                Err(CallbackError::AccessDenied { .. }) => return Err(ConnectOutcome::Denied),
                Err(_) => return Err(ConnectOutcome::NotThisBrowser),
            };
            match oauth.exchange(code, &key).await {
                Ok(_) => Ok(()),
                Err(Error::ScopesNotGranted { missing, .. }) => {
                    // Nothing can be done with a partial grant.
                    if let Err(error) = oauth.revoke(&key).await {
                        tracing::warn!(target: "cb_axum", "a partial grant could not be revoked: {error}");
                    }
                    Err(ConnectOutcome::PartialGrant { missing })
                }
                Err(error) => Err(ConnectOutcome::Failed(error)),
            }
        })
    });
    {
        let mut waiting = lock(&shared.pending);
        waiting.retain(|_, pending| !shared.expired(pending.created_at));
        if waiting.len() >= MAX_PENDING {
            let oldest = waiting
                .iter()
                .min_by_key(|(_, pending)| pending.created_at)
                .map(|(id, _)| id.clone());
            oldest.map(|id| waiting.remove(&id));
        }
        waiting.insert(id.clone(), Pending { created_at: (shared.clock)(), complete });
    }
    let cookie = shared.cookie(&id, shared.pending_lifetime);
    ([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response()
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(
        |cookies| {
            cookies.split(';').find_map(|cookie| {
                let (key, value) = cookie.trim().split_once('=')?;
                (key == name).then(|| value.to_owned())
            })
        },
    )
}

/// The callback: finishes the sign-in this browser started, if any.
async fn callback(shared: Arc<Shared>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let query = parts.uri.query().map(str::to_owned);
    let forget = shared.cookie("", Duration::ZERO);
    let pending = cookie_value(&parts.headers, SIGN_IN_COOKIE)
        .and_then(|id| lock(&shared.pending).remove(&id));
    let outcome = match pending {
        None => ConnectOutcome::NotThisBrowser,
        Some(pending) if shared.expired(pending.created_at) => ConnectOutcome::Expired,
        Some(pending) => match shared.users.assign(&parts) {
            None => ConnectOutcome::Failed(Error::Config(
                "the app's UserKey knows no user for this request".into(),
            )),
            Some((key, headers)) => {
                match (pending.complete)(query.unwrap_or_default(), shared.oauth.clone(), key).await
                {
                    Ok(()) => {
                        let mut response = Redirect::to(&shared.after_connect).into_response();
                        response.headers_mut().extend(headers);
                        response.headers_mut().append(header::SET_COOKIE, forget);
                        return response;
                    }
                    Err(outcome) => outcome,
                }
            }
        },
    };
    let mut response = (shared.outcome_page)(&outcome);
    response.headers_mut().append(header::SET_COOKIE, forget);
    response
}

/// Whether a request comes from another site: by the browser's
/// `Sec-Fetch-Site`, or else by an `Origin` that is not the request's own
/// host. A request with neither (not from a browser, or an old one) is
/// not refused.
fn is_cross_site(headers: &axum::http::HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => {
            origin.split_once("://").map(|(_, authority)| authority) != Some(host)
        }
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// `POST /signout`: revokes at Coinbase, deletes the record, forgets the
/// user; a cross-site request (another site's form posting here) is
/// refused.
async fn signout(shared: Arc<Shared>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if is_cross_site(&parts.headers) {
        tracing::warn!(target: "cb_axum", "refused a cross-site sign-out");
        return (axum::http::StatusCode::FORBIDDEN, "cross-site sign-out refused").into_response();
    }
    if let Some(key) = shared.users.user_key(&parts) {
        match shared.oauth.revoke(&key).await {
            Ok(()) | Err(Error::ReauthorizationRequired { .. }) => {}
            Err(error) => {
                return (shared.outcome_page)(&ConnectOutcome::Failed(error));
            }
        }
    }
    let mut response = Redirect::to(&shared.after_signout).into_response();
    response.headers_mut().extend(shared.users.forget(&parts));
    response
}
