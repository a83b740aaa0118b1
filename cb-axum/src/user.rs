//! Who the user is: the app's answer, as a store key.

use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, Key, SameSite, SignedCookieJar};
use futures_util::future::BoxFuture;

/// Maps a request to the key its user's Coinbase authorization is stored
/// under. The app knows who its users are; this trait is how it says so.
///
/// An app with its own sign-in implements it on its session (the key is its
/// user id); when reading the session needs an `.await`, it implements
/// [`AsyncUserKey`] instead. An app without one can use [`SignedCookieUser`].
pub trait UserKey: Send + Sync + 'static {
    /// The store key of the user making this request, if they are known.
    fn user_key(&self, request: &Parts) -> Option<String>;

    /// The store key for the user completing a connection, and the
    /// headers (such as a `Set-Cookie`) that make their later requests
    /// carry it. The default keeps a known user's key and fails otherwise.
    fn assign(&self, request: &Parts) -> Option<(String, HeaderMap)> {
        UserKey::user_key(self, request).map(|key| (key, HeaderMap::new()))
    }

    /// Headers that forget the user, sent on sign-out.
    fn forget(&self, request: &Parts) -> HeaderMap {
        let _ = request;
        HeaderMap::new()
    }
}

/// [`UserKey`] for apps whose sessions are read asynchronously: from
/// `tower-sessions`, `axum-login`, or a session store behind the network.
///
/// Every [`UserKey`] is one; implement this trait instead when finding the
/// user needs an `.await`. [`CoinbaseConnect::new`](crate::CoinbaseConnect::new)
/// takes either. A session layer (such as `tower_sessions::SessionManagerLayer`)
/// put in front of the router has already placed its session in
/// `request.extensions` by the time these are called.
///
/// ```
/// use axum::http::request::Parts;
/// use cb_axum::AsyncUserKey;
/// use futures_util::future::BoxFuture;
///
/// /// The user id the app's login wrote into the session.
/// struct FromSession;
///
/// # #[derive(Clone)] struct Session; impl Session { async fn get(&self, _: &str) -> Option<String> { None } }
/// impl AsyncUserKey for FromSession {
///     fn user_key<'a>(&'a self, request: &'a Parts) -> BoxFuture<'a, Option<String>> {
///         Box::pin(async move {
///             let session = request.extensions.get::<Session>()?;
///             session.get("user_id").await
///         })
///     }
/// }
/// ```
pub trait AsyncUserKey: Send + Sync + 'static {
    /// The store key of the user making this request, if they are known.
    fn user_key<'a>(&'a self, request: &'a Parts) -> BoxFuture<'a, Option<String>>;

    /// The store key for the user completing a connection, and the headers
    /// that make their later requests carry it. The default keeps a known
    /// user's key and fails otherwise.
    fn assign<'a>(&'a self, request: &'a Parts) -> BoxFuture<'a, Option<(String, HeaderMap)>> {
        Box::pin(async move { self.user_key(request).await.map(|key| (key, HeaderMap::new())) })
    }

    /// Headers that forget the user, sent on sign-out.
    fn forget<'a>(&'a self, request: &'a Parts) -> BoxFuture<'a, HeaderMap> {
        let _ = request;
        Box::pin(async { HeaderMap::new() })
    }
}

impl<T: UserKey> AsyncUserKey for T {
    fn user_key<'a>(&'a self, request: &'a Parts) -> BoxFuture<'a, Option<String>> {
        Box::pin(std::future::ready(UserKey::user_key(self, request)))
    }

    fn assign<'a>(&'a self, request: &'a Parts) -> BoxFuture<'a, Option<(String, HeaderMap)>> {
        Box::pin(std::future::ready(UserKey::assign(self, request)))
    }

    fn forget<'a>(&'a self, request: &'a Parts) -> BoxFuture<'a, HeaderMap> {
        Box::pin(std::future::ready(UserKey::forget(self, request)))
    }
}

/// Users known by a signed cookie that holds a random id: for apps without
/// a sign-in of their own. The cookie is signed (HMAC) with the app's key,
/// so a browser cannot claim another user's id; it is `HttpOnly`,
/// `SameSite=Lax`, `Secure`, and named `__Host-cb_user`: browsers accept a
/// `__Host-` cookie only from the app's own host over https, so a sibling
/// subdomain (or a network attacker on plain http) cannot plant another
/// user's valid cookie in a victim's browser to receive their authorization.
///
/// [`insecure_for_loopback`](Self::insecure_for_loopback) gives that up for
/// development on `http://127.0.0.1`: the cookie is then a plain `cb_user`,
/// which any host sharing the cookie domain could set.
#[derive(Clone)]
pub struct SignedCookieUser {
    key: Key,
    name: &'static str,
    secure: bool,
}

impl SignedCookieUser {
    /// Signs with `key` (keep it secret and stable across restarts and
    /// instances; `Key::generate()` makes a fresh one). The cookie is
    /// `__Host-cb_user` and `Secure`.
    pub fn new(key: Key) -> Self {
        SignedCookieUser { key, name: "__Host-cb_user", secure: true }
    }

    /// Leaves out `Secure`, and with it the `__Host-` prefix (the cookie is
    /// `cb_user`): only for an app served over plain http on loopback, as
    /// in development and tests.
    #[must_use]
    pub fn insecure_for_loopback(mut self) -> Self {
        self.secure = false;
        self.name = "cb_user";
        self
    }

    fn jar(&self, request: &Parts) -> SignedCookieJar {
        SignedCookieJar::from_headers(&request.headers, self.key.clone())
    }
}

impl std::fmt::Debug for SignedCookieUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedCookieUser")
            .field("cookie", &self.name)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

/// The `Set-Cookie` headers of a jar's changes.
fn headers_of(jar: SignedCookieJar) -> HeaderMap {
    use axum::response::IntoResponse as _;
    let mut response = (jar, ()).into_response();
    std::mem::take(response.headers_mut())
}

impl UserKey for SignedCookieUser {
    fn user_key(&self, request: &Parts) -> Option<String> {
        self.jar(request).get(self.name).map(|cookie| cookie.value().to_owned())
    }

    fn assign(&self, request: &Parts) -> Option<(String, HeaderMap)> {
        if let Some(key) = UserKey::user_key(self, request) {
            return Some((key, HeaderMap::new()));
        }
        let key = format!("user-{}", uuid::Uuid::new_v4().simple());
        let cookie = Cookie::build((self.name, key.clone()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .permanent();
        Some((key, headers_of(self.jar(request).add(cookie))))
    }

    fn forget(&self, request: &Parts) -> HeaderMap {
        let cookie = Cookie::build((self.name, "")).path("/");
        headers_of(self.jar(request).remove(cookie))
    }
}
