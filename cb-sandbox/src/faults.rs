//! Fault injection per route, and the layer every request passes through:
//! it applies faults, logs one line per request, and records what tests
//! inspect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::server::Shared;
use crate::world::RequestRecord;

/// Something that goes wrong on purpose, on one route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Waits this long before handling the request.
    Delay(Duration),
    /// Answers with this status (500 or 503, say) without handling the
    /// request.
    Status(u16),
    /// Handles the request, so that its effects happen, then drops the
    /// connection instead of answering. The hard case for single-use refresh
    /// tokens and for sends.
    DropAfterProcessing,
    /// Answers `429 rate_limit_exceeded` with this `Retry-After` (whole
    /// seconds), without handling the request.
    RateLimited {
        /// The wait the answer asks for.
        retry_after: Duration,
    },
}

/// How many requests a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Times {
    /// The next `n` matching requests.
    Next(u32),
    /// Every matching request, until cleared.
    Always,
}

#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    faults: HashMap<(String, String), (Fault, Times)>,
}

impl FaultPlan {
    pub(crate) fn insert(&mut self, method: &str, route: &str, fault: Fault, times: Times) {
        self.faults.insert((method.to_ascii_uppercase(), route.to_owned()), (fault, times));
    }

    pub(crate) fn clear(&mut self) {
        self.faults.clear();
    }

    /// The fault for this request, counting it down.
    fn take(&mut self, method: &str, route: &str) -> Option<Fault> {
        let key = (method.to_owned(), route.to_owned());
        let (fault, times) = self.faults.get_mut(&key)?;
        let fault = *fault;
        match times {
            Times::Always => {}
            Times::Next(1) => {
                self.faults.remove(&key);
            }
            Times::Next(0) => {
                self.faults.remove(&key);
                return None;
            }
            Times::Next(n) => *n -= 1,
        }
        Some(fault)
    }
}

/// The scope the handler needed, written by the API's authentication step
/// and read back here for the request record.
#[derive(Clone, Default)]
pub(crate) struct ScopeSlot(pub(crate) Arc<Mutex<Option<&'static str>>>);

impl ScopeSlot {
    pub(crate) fn set(&self, scope: &'static str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(scope);
        }
    }

    fn get(&self) -> Option<&'static str> {
        self.0.lock().ok().and_then(|slot| *slot)
    }
}

/// How many request records the sandbox keeps.
const MAX_RECORDS: usize = 10_000;

/// An API error that axum answered itself (a path that does not decode, a
/// method the route lacks, a body too large) gets Coinbase's error shape,
/// as every other API answer has.
fn coinbase_shaped(path: &str, response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !path.starts_with("/v2/")
        || is_json
        || !(status.is_client_error() || status.is_server_error())
    {
        return response;
    }
    let (id, message) = match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => ("not_found", "Not found"),
        StatusCode::PAYLOAD_TOO_LARGE => ("invalid_request", "The body is too large"),
        _ if status.is_server_error() => ("internal_server_error", "Internal server error"),
        _ => ("invalid_request", "The request is not valid"),
    };
    crate::api::ApiError::new(status, id, message).into_response()
}

/// The layer around every route.
pub(crate) async fn layer(
    State(shared): State<Shared>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    // The path only: a query may carry codes or tokens.
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| path.clone(), |matched| matched.as_str().to_owned());
    let slot = ScopeSlot::default();
    request.extensions_mut().insert(slot.clone());

    let fault = shared.world(|world| world.faults.take(&method, &route));
    let response = match fault {
        Some(Fault::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let id = match status.as_u16() {
                429 => "rate_limit_exceeded",
                503 => "service_unavailable",
                _ => "internal_server_error",
            };
            crate::api::ApiError::new(status, id, "Injected fault").into_response()
        }
        Some(Fault::RateLimited { retry_after }) => crate::api::ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "Injected fault: too many requests",
        )
        .with_retry_after(retry_after.as_secs())
        .into_response(),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Some(Fault::DropAfterProcessing) => {
            // Let the handler finish and change the world, then answer with
            // a body that fails at once: hyper closes the connection and the
            // client reads no answer.
            let _processed = next.run(request).await;
            let failing = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("fault: connection dropped"))
            });
            Response::new(Body::from_stream(failing))
        }
        None => next.run(request).await,
    };
    let response = coinbase_shaped(&path, response);

    let status = response.status().as_u16();
    let required_scope = slot.get();
    shared.world(|world| {
        // A long load test must not grow the record without bound: keep the
        // most recent requests.
        if world.requests.len() >= MAX_RECORDS {
            world.requests.drain(..MAX_RECORDS / 2);
        }
        world.requests.push(RequestRecord {
            method: method.clone(),
            route,
            required_scope,
            status,
        });
        world.tick();
    });
    let dropped = if matches!(fault, Some(Fault::DropAfterProcessing)) { " (dropped)" } else { "" };
    tracing::info!(
        target: "cb_sandbox",
        "{method} {path} {status}{dropped} {}ms",
        started.elapsed().as_millis()
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_count_down_and_end() {
        let mut plan = FaultPlan::default();
        plan.insert("post", "/oauth2/token", Fault::Status(503), Times::Next(2));
        assert_eq!(plan.take("GET", "/oauth2/token"), None);
        assert_eq!(plan.take("POST", "/oauth2/token"), Some(Fault::Status(503)));
        assert_eq!(plan.take("POST", "/oauth2/token"), Some(Fault::Status(503)));
        assert_eq!(plan.take("POST", "/oauth2/token"), None);
        plan.insert("GET", "/v2/user", Fault::DropAfterProcessing, Times::Always);
        for _ in 0..3 {
            assert_eq!(plan.take("GET", "/v2/user"), Some(Fault::DropAfterProcessing));
        }
        plan.clear();
        assert_eq!(plan.take("GET", "/v2/user"), None);
    }
}
