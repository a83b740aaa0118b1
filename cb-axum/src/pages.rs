//! The default pages of the outcomes of a connection that did not succeed.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse as _, Response};

use crate::outcome::ConnectOutcome;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A plain page for each outcome; each has an element whose id names the
/// outcome (`denied`, `partial-grant`, `not-this-browser`, `expired`,
/// `failed`), for apps and tests to find.
pub(crate) fn outcome(outcome: &ConnectOutcome) -> Response {
    let (title, id, text) = match outcome {
        ConnectOutcome::Denied => (
            "Not connected",
            "denied",
            "You declined to connect Coinbase, so nothing was connected.".to_owned(),
        ),
        ConnectOutcome::PartialGrant { missing } => (
            "Missing permission",
            "partial-grant",
            format!(
                "Coinbase did not grant {}, which this app needs. Nothing was kept: connect again \
                 and leave it ticked.",
                escape(&missing.to_string())
            ),
        ),
        ConnectOutcome::NotThisBrowser => (
            "Sign-in refused",
            "not-this-browser",
            "This sign-in was not started in this browser. Nothing was connected.".to_owned(),
        ),
        ConnectOutcome::Expired => (
            "Sign-in expired",
            "expired",
            "This sign-in took too long. Nothing was connected; please start again.".to_owned(),
        ),
        ConnectOutcome::Failed(error) => (
            "Coinbase error",
            "failed",
            format!("Connecting Coinbase failed: {}", escape(&error.to_string())),
        ),
    };
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p id=\"{id}\">{text}</p><p><a href=\"/\">Back</a></p></body></html>"
    );
    (status_of(outcome), Html(page)).into_response()
}

/// The status a default page answers with.
fn status_of(outcome: &ConnectOutcome) -> StatusCode {
    match outcome {
        ConnectOutcome::Denied => StatusCode::OK,
        ConnectOutcome::PartialGrant { .. } => StatusCode::FORBIDDEN,
        ConnectOutcome::NotThisBrowser | ConnectOutcome::Expired => StatusCode::BAD_REQUEST,
        ConnectOutcome::Failed(_) => StatusCode::BAD_GATEWAY,
    }
}
