//! `CoinbaseLayer`: puts the connect state in every request, for the
//! extractor, and turns a handler's [`CoinbaseError`] that needs the user
//! at Coinbase again into the app's rejection (a redirect to the right
//! connect route, by default).

use std::any::TypeId;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use futures_util::future::BoxFuture;
use tower_layer::Layer;
use tower_service::Service;

use crate::connect::{CoinbaseConnect, CoinbaseState, RejectionReason, Shared, reject};

impl<S> CoinbaseConnect<S> {
    /// The layer that lets every handler of the app extract
    /// [`Coinbase<S>`](crate::Coinbase), and that turns a handler's
    /// [`CoinbaseError`](crate::CoinbaseError) into the app's rejection:
    /// apply it to the whole router.
    pub fn layer(&self) -> CoinbaseLayer {
        CoinbaseLayer(self.shared.clone())
    }
}

/// What [`CoinbaseConnect::layer`] returns: apply it to the whole router.
#[derive(Clone)]
pub struct CoinbaseLayer(pub(crate) Arc<Shared>);

impl<Inner> Layer<Inner> for CoinbaseLayer {
    type Service = CoinbaseService<Inner>;

    fn layer(&self, inner: Inner) -> Self::Service {
        CoinbaseService { inner, shared: self.0.clone() }
    }
}

impl std::fmt::Debug for CoinbaseLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoinbaseLayer").finish_non_exhaustive()
    }
}

/// The service [`CoinbaseLayer`] wraps around the app's.
#[derive(Clone)]
pub struct CoinbaseService<Inner> {
    inner: Inner,
    shared: Arc<Shared>,
}

impl<Inner> std::fmt::Debug for CoinbaseService<Inner> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoinbaseService").finish_non_exhaustive()
    }
}

/// Left in a response by [`CoinbaseError`](crate::CoinbaseError) when the
/// user must go to Coinbase again: for the set `set`, for `reason`.
#[derive(Clone)]
pub(crate) struct Reconnect {
    pub(crate) set: TypeId,
    pub(crate) reason: RejectionReason,
}

impl<Inner> Service<Request> for CoinbaseService<Inner>
where
    Inner: Service<Request, Response = Response> + Send + 'static,
    Inner::Future: Send + 'static,
{
    type Response = Response;
    type Error = Inner::Error;
    type Future = BoxFuture<'static, Result<Response, Inner::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        request.extensions_mut().insert(CoinbaseState(self.shared.clone()));
        let answered = self.inner.call(request);
        let shared = self.shared.clone();
        Box::pin(async move {
            let mut response = answered.await?;
            Ok(match response.extensions_mut().remove::<Reconnect>() {
                Some(Reconnect { set, reason }) => reject(&shared, set, reason),
                None => response,
            })
        })
    }
}
