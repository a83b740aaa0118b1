//! The installed-app flow (RFC 8252) for command-line and desktop apps: a
//! one-shot redirect listener on the loopback interface.
//!
//! The listener binds `127.0.0.1` (never a public interface), answers only
//! the one callback whose `state` is the pending authorization's, refuses
//! every other request (another path, another state, another method)
//! without giving up, and stops after a bound, whatever happens.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use cb_scopes::{AuthorizationCode, CallbackError, DeclaredScopes, PendingAuthorization};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use subtle::ConstantTimeEq as _;
use tokio::sync::mpsc;
use url::Url;

/// How the installed-app flow failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoopbackError {
    /// The redirect URI given to [`LoopbackRedirect::bind_to`] is not
    /// `http` on a loopback address with an explicit port.
    #[error("the redirect URI must be http://127.0.0.1:PORT/... (or localhost, [::1]): {0}")]
    NotLoopback(String),
    /// The port could not be bound, or a connection failed.
    #[error("the loopback listener failed: {0}")]
    Io(#[from] std::io::Error),
    /// No callback came within the bound.
    #[error("no callback came within {0:?}")]
    TimedOut(Duration),
    /// The callback came, but did not carry a code: the user declined, or
    /// Coinbase answered an error.
    #[error("the callback carried no code: {0}")]
    Callback(#[source] CallbackError),
}

/// A loopback redirect listener for one sign-in of a command-line or desktop
/// app, in place of a web server.
///
/// ```no_run
/// # cb_scopes::scopes! { struct Reader(wallet:accounts:read); }
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use cb_client::{LoopbackRedirect, OAuthClient};
///
/// // The port and path of the redirect URI registered with Coinbase.
/// let listener = LoopbackRedirect::bind_to("http://127.0.0.1:8765/callback").await?;
/// let oauth = OAuthClient::builder("client-id", "client-secret", listener.redirect_uri()).build()?;
/// let (url, pending) = oauth.authorize_url::<Reader>().build()?;
/// if !LoopbackRedirect::open_browser(&url) {
///     println!("Open this URL in a browser:\n{url}");
/// }
/// let code = listener.wait(pending, Duration::from_secs(300)).await?;
/// let client = oauth.exchange(code, "me").await?;
/// # let _ = client; Ok(()) }
/// ```
pub struct LoopbackRedirect {
    listener: tokio::net::TcpListener,
    redirect_uri: Url,
}

impl LoopbackRedirect {
    /// Listens on `127.0.0.1` at a port the system picks, with the redirect
    /// URI `http://127.0.0.1:PORT/callback`: for an authorization server
    /// that accepts any port on a loopback redirect URI (RFC 8252, 7.3),
    /// such as the sandbox. For Coinbase, whose redirect URIs are matched
    /// as registered, use [`bind_to`](Self::bind_to) with the registered one.
    ///
    /// # Errors
    ///
    /// [`LoopbackError::Io`] when no port can be bound.
    pub async fn bind() -> Result<Self, LoopbackError> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let redirect_uri = Url::parse(&format!("http://127.0.0.1:{port}/callback"))
            .map_err(|error| LoopbackError::NotLoopback(error.to_string()))?;
        Ok(LoopbackRedirect { listener, redirect_uri })
    }

    /// Listens at the port of `redirect_uri`, which must be plain `http` on
    /// `127.0.0.1`, `localhost` or `[::1]` with an explicit port; the
    /// callback is its path.
    ///
    /// # Errors
    ///
    /// [`LoopbackError::NotLoopback`] for any other URI,
    /// [`LoopbackError::Io`] when the port is taken.
    pub async fn bind_to(redirect_uri: &str) -> Result<Self, LoopbackError> {
        let not_loopback = || LoopbackError::NotLoopback(redirect_uri.to_owned());
        let parsed = Url::parse(redirect_uri).map_err(|_| not_loopback())?;
        let host_is_loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        let port = parsed.port().filter(|port| *port != 0);
        let (true, true, Some(port)) = (parsed.scheme() == "http", host_is_loopback, port) else {
            return Err(not_loopback());
        };
        let ip = match parsed.host() {
            Some(url::Host::Ipv6(ip)) => std::net::IpAddr::V6(ip),
            _ => std::net::IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, port)).await?;
        Ok(LoopbackRedirect { listener, redirect_uri: parsed })
    }

    /// The redirect URI to configure the client with.
    pub fn redirect_uri(&self) -> &str {
        self.redirect_uri.as_str()
    }

    /// Opens `url` in the user's default browser; `false` when there is
    /// none to open (then print the URL for the user to open).
    pub fn open_browser(url: &Url) -> bool {
        webbrowser::open(url.as_str()).is_ok()
    }

    /// Waits, for at most `timeout`, for the browser to come back with the
    /// callback of `pending`, and returns its code. Requests to another
    /// path, with another method, or with another `state` are answered
    /// `404`, `405` or `400` and do not end the wait; the callback is
    /// answered with a page telling the user to go back to the app.
    ///
    /// # Errors
    ///
    /// [`LoopbackError::TimedOut`], and [`LoopbackError::Callback`] when
    /// the user declined or Coinbase answered an error.
    pub async fn wait<S: DeclaredScopes>(
        self,
        pending: PendingAuthorization<S>,
        timeout: Duration,
    ) -> Result<AuthorizationCode<S>, LoopbackError> {
        let path = self.redirect_uri.path().to_owned();
        let state = pending.state().to_owned();
        // The one callback's query, sent by the connection that got it.
        let (callbacks, mut received) = mpsc::channel::<String>(1);
        let serving = async {
            loop {
                let stream = match self.listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(error) => break LoopbackError::Io(error),
                };
                let (path, state, callbacks) = (path.clone(), state.clone(), callbacks.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                        let answer = answer(&request, &path, &state, &callbacks);
                        async move { Ok::<_, std::convert::Infallible>(answer) }
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .keep_alive(false)
                        .serve_connection(TokioIo::new(stream), service);
                    // A slow or broken client only loses its own connection.
                    let _ = tokio::time::timeout(Duration::from_secs(10), connection).await;
                });
            }
        };
        let query = tokio::time::timeout(timeout, async {
            tokio::select! {
                query = received.recv() => Ok(query.unwrap_or_default()),
                failed = serving => Err::<String, LoopbackError>(failed),
            }
        })
        .await
        .map_err(|_| LoopbackError::TimedOut(timeout))??;
        pending.complete_query(&query).map_err(LoopbackError::Callback)
    }
}

impl fmt::Debug for LoopbackRedirect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopbackRedirect")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish()
    }
}

/// The answer to one request to the listener; the callback's query goes to
/// `callbacks` when it carries the pending `state`.
fn answer(
    request: &Request<Incoming>,
    path: &str,
    state: &str,
    callbacks: &mpsc::Sender<String>,
) -> Response<Full<Bytes>> {
    let page = |status: StatusCode, text: &'static str| {
        let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
        *response.status_mut() = status;
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    };
    if request.uri().path() != path {
        return page(StatusCode::NOT_FOUND, "Not found.\n");
    }
    if request.method() != Method::GET {
        return page(StatusCode::METHOD_NOT_ALLOWED, "Not allowed.\n");
    }
    let query = request.uri().query().unwrap_or("");
    let states: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .collect();
    let ours = matches!(states.as_slice(), [given] if bool::from(given.as_bytes().ct_eq(state.as_bytes())));
    if !ours {
        return page(StatusCode::BAD_REQUEST, "This is not the sign-in this app started.\n");
    }
    match callbacks.try_send(query.to_owned()) {
        Ok(()) => page(StatusCode::OK, "Done: you can close this tab and go back to the app.\n"),
        Err(_) => page(StatusCode::CONFLICT, "This sign-in was already completed.\n"),
    }
}
