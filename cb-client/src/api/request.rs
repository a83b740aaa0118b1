//! `ApiRequest<T>`: one endpoint's call, made when it is awaited.
//!
//! Endpoints are plain methods that return this concrete type rather than
//! `async fn`s. The reason is the compiler error, the library's best moment:
//! an `async fn`'s future is an opaque type that carries the method's
//! `where` bounds, so rustc reports a missing scope at the method, at the
//! call and again at the `.await`. A plain method's bound is checked once,
//! at the method, and the request it returns does not mention the set at
//! all. The future is boxed when the request is awaited: one allocation
//! against the dozens a request already makes.

use std::fmt;
use std::future::IntoFuture;

use futures_util::future::BoxFuture;

use crate::api::executor::{Call, Connection};
use crate::api::two_factor;
use crate::error::Error;

/// One call to an endpoint, made when it is awaited.
///
/// Every single-answer endpoint of [`Client`](crate::Client) returns one;
/// `.await` it as if the method were `async`:
///
/// ```no_run
/// # cb_scopes::scopes! { struct App(wallet:accounts:read); }
/// # async fn demo(client: cb_client::Client<App>) -> Result<(), cb_client::Error> {
/// let btc = client.account("BTC").await?;
/// # Ok(()) }
/// ```
///
/// It is `Send` and `'static` (it owns what it needs), so it can also be
/// spawned or joined: `tokio::spawn(client.account("BTC").into_future())`.
/// Some endpoints add builder methods for their optional parameters.
#[must_use = "a request does nothing until it is awaited"]
pub struct ApiRequest<T> {
    api: Connection,
    call: Call,
    /// How the answer's body becomes `T`.
    read: fn(&[u8]) -> Result<T, Error>,
    /// Whether Coinbase may hold the call for a two-factor code (a send).
    two_factor: bool,
    /// Why the call must not be sent, found before it was (an app
    /// endpoint's body that cannot be JSON): awaiting it answers this.
    refused: Option<Box<Error>>,
}

impl<T> ApiRequest<T> {
    /// A call whose answer `read` turns into `T`.
    pub(crate) fn new(api: Connection, call: Call, read: fn(&[u8]) -> Result<T, Error>) -> Self {
        ApiRequest { api, call, read, two_factor: false, refused: None }
    }

    /// A call that fails with `error` when awaited, sending nothing.
    pub(crate) fn refused(
        api: Connection,
        call: Call,
        read: fn(&[u8]) -> Result<T, Error>,
        error: Error,
    ) -> Self {
        ApiRequest { api, call, read, two_factor: false, refused: Some(Box::new(error)) }
    }

    /// A send: it carries its `idem`, so it may be retried, and Coinbase may
    /// hold it for the user's two-factor code.
    pub(crate) fn send(
        api: Connection,
        mut call: Call,
        read: fn(&[u8]) -> Result<T, Error>,
    ) -> Self {
        call.idempotent = true;
        ApiRequest { api, call, read, two_factor: true, refused: None }
    }

    /// Adds a query parameter (for the endpoints' builder methods).
    pub(crate) fn query(mut self, name: &str, value: &str) -> Self {
        self.call = self.call.query(name, value);
        self
    }
}

impl<T: Send + 'static> IntoFuture for ApiRequest<T> {
    type Output = Result<T, Error>;
    type IntoFuture = BoxFuture<'static, Result<T, Error>>;

    fn into_future(self) -> Self::IntoFuture {
        let ApiRequest { api, call, read, two_factor, refused } = self;
        Box::pin(async move {
            if let Some(error) = refused {
                return Err(*error);
            }
            if !two_factor {
                return read(&api.execute(&call).await?);
            }
            let idem = two_factor::idem_of(&call);
            let body = two_factor::execute_held(api, call).await?;
            two_factor::sent(read(&body), idem)
        })
    }
}

impl<T> fmt::Debug for ApiRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.call.method)
            .field("path", &self.call.path)
            .finish_non_exhaustive()
    }
}
