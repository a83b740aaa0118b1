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
use axum::http::StatusCode;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SameSite};
use cb_client::cb_scopes::{CallbackError, DeclaredScopes, PendingAuthorization, ScopeSet};
use cb_client::{Error, OAuthClient};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::outcome::ConnectOutcome;
use crate::pages;
use crate::user::AsyncUserKey;

/// The cookie that holds a sign-in in progress, sealed, in the browser that
/// started it; with the `__Host-` prefix whenever cookies are `Secure`.
const SIGN_IN_COOKIE: &str = "cb_connect";
const SIGN_IN_COOKIE_HOST: &str = "__Host-cb_connect";

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

/// Finishes a sign-in of one set: from the sealed pending authorization,
/// the callback's query, the client and the store key. `Ok` when the user
/// is connected.
type Completer = fn(
    serde_json::Value,
    String,
    OAuthClient,
    String,
) -> BoxFuture<'static, Result<(), ConnectOutcome>>;

/// A sign-in in progress, as its cookie holds it (encrypted and
/// authenticated with the app's cookie key): the connect route it began at
/// (which names its set), when it began by the app's clock, and the pending
/// authorization (state, PKCE verifier, redirect URI, scopes).
#[derive(Serialize, Deserialize)]
struct SealedSignIn {
    route: String,
    started_unix: u64,
    pending: serde_json::Value,
}

pub(crate) struct Shared {
    pub(crate) oauth: OAuthClient,
    pub(crate) users: Box<dyn AsyncUserKey>,
    callback_path: String,
    signout_path: String,
    after_connect: String,
    after_signout: String,
    pending_lifetime: Duration,
    clock: Arc<dyn Fn() -> SystemTime + Send + Sync>,
    secure_cookies: bool,
    /// Seals sign-ins in progress into their cookie.
    cookie_key: Key,
    /// The connect route of each set, by the set's type.
    connect_paths: Mutex<HashMap<TypeId, String>>,
    /// How to finish a sign-in begun at each connect route.
    completers: Mutex<HashMap<String, Completer>>,
    pub(crate) rejection: Rejection,
    outcome_page: Arc<dyn Fn(&ConnectOutcome) -> Response + Send + Sync>,
}

impl Shared {
    pub(crate) fn connect_path_of(&self, set: TypeId) -> Option<String> {
        lock(&self.connect_paths).get(&set).cloned()
    }

    /// The sign-in cookie's name: `__Host-` prefixed when cookies are
    /// `Secure`, so that no other host (a sibling subdomain) can set it.
    fn sign_in_cookie(&self) -> &'static str {
        if self.secure_cookies { SIGN_IN_COOKIE_HOST } else { SIGN_IN_COOKIE }
    }

    /// The `Set-Cookie` that seals `sign_in` into this browser.
    fn seal(&self, sign_in: &SealedSignIn) -> Option<HeaderValue> {
        let value = serde_json::to_string(sign_in).ok()?;
        let cookie = Cookie::build((self.sign_in_cookie(), value))
            .path(self.sign_in_cookie_path())
            .max_age(self.pending_lifetime.try_into().ok()?)
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure_cookies);
        let jar = PrivateCookieJar::new(self.cookie_key.clone()).add(cookie);
        let mut response = (jar, ()).into_response();
        response.headers_mut().remove(header::SET_COOKIE)
    }

    /// The sign-in this browser's cookie seals, if it holds one that this
    /// app's key opens.
    fn unseal(&self, headers: &HeaderMap) -> Option<SealedSignIn> {
        let jar = PrivateCookieJar::from_headers(headers, self.cookie_key.clone());
        let cookie = jar.get(self.sign_in_cookie())?;
        serde_json::from_str(cookie.value()).ok()
    }

    /// The `Set-Cookie` that removes the sign-in cookie.
    fn forget_sign_in(&self) -> HeaderValue {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let cookie = format!(
            "{}=; Path={}; Max-Age=0; HttpOnly; SameSite=Lax{secure}",
            self.sign_in_cookie(),
            self.sign_in_cookie_path(),
        );
        // Only ASCII goes in: a constant name, a path checked at construction.
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// A `__Host-` cookie must have the path `/`; otherwise the cookie is
    /// sent to the callback only.
    fn sign_in_cookie_path(&self) -> String {
        if self.secure_cookies { "/".to_owned() } else { self.callback_path.clone() }
    }

    fn now_unix(&self) -> u64 {
        (self.clock)().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| since.as_secs())
    }

    fn expired(&self, started_unix: u64) -> bool {
        self.now_unix().saturating_sub(started_unix) > self.pending_lifetime.as_secs()
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
/// - **`GET /connect`** seals the sign-in (state, PKCE verifier, set,
///   start time) into an encrypted `HttpOnly`, `SameSite=Lax` cookie with
///   the [`cookie_key`](Self::cookie_key): `__Host-cb_connect`, `Secure`,
///   unless the redirect URI is plain http on loopback (then `cb_connect`,
///   which other hosts of the cookie domain could set). It then redirects
///   to Coinbase's consent page, send-limit meta included.
/// - **The callback** (the path of the OAuth client's redirect URI) finishes
///   only the sign-in of that same cookie, within its lifetime: a callback
///   URL sent to another browser exchanges nothing. The code is exchanged
///   with [`OAuthClient::upgrade`]: a partial grant is revoked at once and
///   keeps nothing, and a user connected for a smaller set keeps that
///   authorization until the larger grant is verified, which then
///   supersedes it (and revokes it at Coinbase). The user's store key comes
///   from the [`UserKey`](crate::UserKey) or [`AsyncUserKey`].
/// - **`POST /signout`** revokes at Coinbase, deletes the record and
///   forgets the user.
pub struct CoinbaseConnect<S> {
    pub(crate) shared: Arc<Shared>,
    /// Each connect route: its path, and how to build it for its set.
    routes: Vec<(String, ConnectRoute)>,
    set: PhantomData<fn() -> S>,
}

/// Builds the connect route of one set at a path.
type ConnectRoute = fn(&str, Arc<Shared>) -> Router;

/// The connect route of the set `T` at `path`.
fn connect_route<T: DeclaredScopes + 'static>(path: &str, shared: Arc<Shared>) -> Router {
    let route = path.to_owned();
    Router::new().route(path, get(move || connect::<T>(shared.clone(), route.clone())))
}

impl<S: DeclaredScopes + 'static> CoinbaseConnect<S> {
    /// Connects users through `oauth`, knowing them by `users`, with the
    /// connect route at `/connect` and the callback at the path of the
    /// client's redirect URI.
    pub fn new(oauth: OAuthClient, users: impl AsyncUserKey) -> Self {
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
            cookie_key: Key::generate(),
            connect_paths: Mutex::default(),
            completers: Mutex::default(),
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
        lock(&self.shared.completers).insert(path.to_owned(), complete::<T>);
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

    /// The key that seals sign-ins in progress into the browser (encrypted
    /// and authenticated, AES-256-GCM): give every instance of the app the
    /// same key, kept secret and stable across restarts, and any instance
    /// finishes a sign-in that another began. A fresh random key by default,
    /// which suits one process: a restart then ends the sign-ins in
    /// progress. It may be the key of [`SignedCookieUser`](crate::SignedCookieUser).
    #[must_use]
    pub fn cookie_key(self, key: Key) -> Self {
        self.configure(|shared| shared.cookie_key = key)
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
    /// ten minutes by default, at most a day.
    #[must_use]
    pub fn pending_lifetime(self, lifetime: Duration) -> Self {
        let lifetime = lifetime.min(Duration::from_secs(24 * 3600));
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

/// `GET /connect` for the set `T`, at `route`: seals the sign-in into the
/// browser and sends it to Coinbase. Nothing is kept server-side, so no
/// number of sign-ins started by anyone can push another browser's out.
async fn connect<T: DeclaredScopes + 'static>(shared: Arc<Shared>, route: String) -> Response {
    let (url, pending) = match shared.oauth.authorize_url::<T>().build() {
        Ok(built) => built,
        Err(error) => {
            return (shared.outcome_page)(&ConnectOutcome::Failed(error.into()));
        }
    };
    let sealed = serde_json::to_value(&pending).ok().and_then(|pending| {
        shared.seal(&SealedSignIn { route, started_unix: shared.now_unix(), pending })
    });
    let Some(cookie) = sealed else {
        // A sign-in is a few strings and its lifetime at most a day: sealing
        // it does not fail, but if it ever did the user could only retry.
        tracing::error!(target: "cb_axum", "the sign-in could not be sealed into its cookie");
        return (StatusCode::INTERNAL_SERVER_ERROR, "the sign-in could not be started")
            .into_response();
    };
    ([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response()
}

/// Finishes a sign-in for the set `T`: the callback's code, checked against
/// the sealed pending authorization, exchanged under `key`.
fn complete<T: DeclaredScopes + 'static>(
    pending: serde_json::Value,
    query: String,
    oauth: OAuthClient,
    key: String,
) -> BoxFuture<'static, Result<(), ConnectOutcome>> {
    Box::pin(async move {
        let pending: PendingAuthorization<T> =
            serde_json::from_value(pending).map_err(|_| ConnectOutcome::NotThisBrowser)?;
        let code = match pending.complete_query(&query) {
            Ok(code) => code,
            Err(CallbackError::AccessDenied { .. }) => return Err(ConnectOutcome::Denied),
            Err(_) => return Err(ConnectOutcome::NotThisBrowser),
        };
        // An upgrade: the user's earlier authorization (for a smaller set)
        // stays until this grant is verified to cover `T`; a partial grant
        // is revoked at Coinbase and keeps nothing, and a full one
        // supersedes (and revokes) the earlier.
        match oauth.upgrade(code, &key).await {
            Ok(_) => Ok(()),
            Err(Error::ScopesNotGranted(not_granted)) => {
                Err(ConnectOutcome::PartialGrant { missing: not_granted.missing() })
            }
            Err(error) => Err(ConnectOutcome::Failed(error)),
        }
    })
}

/// The callback: finishes the sign-in this browser started, if any.
async fn callback(shared: Arc<Shared>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let query = parts.uri.query().map(str::to_owned);
    let forget = shared.forget_sign_in();
    let sign_in = shared.unseal(&parts.headers);
    let completer =
        sign_in.as_ref().and_then(|sign_in| lock(&shared.completers).get(&sign_in.route).copied());
    let outcome = match (sign_in, completer) {
        (None, _) | (_, None) => ConnectOutcome::NotThisBrowser,
        (Some(sign_in), _) if shared.expired(sign_in.started_unix) => ConnectOutcome::Expired,
        (Some(sign_in), Some(complete)) => match shared.users.assign(&parts).await {
            None => ConnectOutcome::NoUser,
            Some((key, headers)) => {
                let query = query.unwrap_or_default();
                match complete(sign_in.pending, query, shared.oauth.clone(), key).await {
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
    if let Some(key) = shared.users.user_key(&parts).await {
        match shared.oauth.revoke(&key).await {
            Ok(()) | Err(Error::ReauthorizationRequired { .. }) => {}
            Err(error) => {
                return (shared.outcome_page)(&ConnectOutcome::Failed(error));
            }
        }
    }
    let mut response = Redirect::to(&shared.after_signout).into_response();
    response.headers_mut().extend(shared.users.forget(&parts).await);
    response
}

/// The app's answer to a request without a usable authorization for the
/// set `set`: by default a redirect to that set's connect route.
pub(crate) fn reject(shared: &Shared, set: TypeId, reason: RejectionReason) -> Response {
    let reason = match reason {
        RejectionReason::MoreScopesNeeded { missing, connect_path: None } => {
            RejectionReason::MoreScopesNeeded { missing, connect_path: shared.connect_path_of(set) }
        }
        reason => reason,
    };
    match &shared.rejection {
        Rejection::Redirect => match shared.connect_path_of(set) {
            Some(path) => Redirect::to(&path).into_response(),
            // No connect route serves this set: nothing to send the user to.
            None => StatusCode::UNAUTHORIZED.into_response(),
        },
        Rejection::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
        Rejection::Custom(respond) => respond(reason),
    }
}
