//! The layer every request passes through: it applies the planned faults,
//! logs one line per request, and records what tests inspect.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::faults::Fault;
use crate::state::AppState;
use crate::wire::ApiError;
use crate::world::telemetry::{RequestRecord, ScopeSlot};

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
    let v3 = path.starts_with("/api/v3/");
    if !(path.starts_with("/v2/") || v3)
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
    let error = ApiError::new(status, id, message);
    if v3 { error.into_v3_response() } else { error.into_response() }
}

/// The layer around every route.
pub(crate) async fn layer(
    State(state): State<AppState>,
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

    let fault = state.world(|world| world.faults.take(&method, &route));
    let response = match fault {
        Some(Fault::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let id = match status.as_u16() {
                429 => "rate_limit_exceeded",
                503 => "service_unavailable",
                _ => "internal_server_error",
            };
            ApiError::new(status, id, "Injected fault").into_response()
        }
        Some(Fault::RateLimited { retry_after }) => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "Injected fault: too many requests",
        )
        .with_retry_after(retry_after.as_secs())
        .into_response(),
        Some(Fault::HtmlPage(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let page = format!(
                "<!DOCTYPE html><html><head><title>{status}</title></head>\
                 <body><h1>{status}</h1><p>Please try again later.</p></body></html>"
            );
            let mut response = (status, axum::response::Html(page)).into_response();
            if status == StatusCode::TOO_MANY_REQUESTS {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(1));
            }
            response
        }
        Some(Fault::GarbledAnswer) => {
            let processed = next.run(request).await;
            (processed.status(), "{\"data\": {\"id\": garbled").into_response()
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            coinbase_shaped(&path, next.run(request).await)
        }
        Some(Fault::DropAfterProcessing) => {
            // Let the handler finish and change the world, then answer with
            // a body that fails at once: hyper closes the connection and the
            // client reads no answer.
            let processed = next.run(request).await;
            if route == "/oauth2/token" && processed.status().is_success() {
                state.world(|world| world.stats.token_answers_dropped += 1);
            }
            let failing = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("fault: connection dropped"))
            });
            Response::new(Body::from_stream(failing))
        }
        // What axum answered itself gets Coinbase's shape; an injected
        // page stays as the fault made it.
        None => coinbase_shaped(&path, next.run(request).await),
    };

    let status = response.status().as_u16();
    let required_scope = slot.get();
    state.world(|world| {
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
