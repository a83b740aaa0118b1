//! The default pages of the outcomes of a connection that did not succeed.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse as _, Response};

use crate::outcome::ConnectOutcome;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A plain page for each outcome; each has an element whose id names the
/// outcome (`denied`, `partial-grant`, `not-this-browser`, `expired`,
/// `no-user`, `failed`), for apps and tests to find.
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
        ConnectOutcome::NoUser => (
            "Not signed in",
            "no-user",
            "Please sign in to this app, then connect Coinbase again. Nothing was connected."
                .to_owned(),
        ),
        ConnectOutcome::Failed(error) => {
            // The detail (a store's or PostgreSQL's message, a user's key)
            // goes to the log under a reference the page shows; the browser
            // gets neither.
            let reference = uuid::Uuid::new_v4().simple().to_string();
            let reference = &reference[..12];
            tracing::error!(target: "cb_axum", reference, "connecting Coinbase failed: {error}");
            (
                "Coinbase error",
                "failed",
                format!(
                    "Connecting Coinbase failed. Please try again later (reference \
                     <code id=\"reference\">{reference}</code>)."
                ),
            )
        }
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
        ConnectOutcome::NoUser => StatusCode::UNAUTHORIZED,
        ConnectOutcome::Failed(_) => StatusCode::BAD_GATEWAY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failure_page_shows_a_reference_and_no_detail() {
        let error = cb_client::Error::Store(cb_client::StoreError::Other(
            "the store of user-42 at 10.0.0.7 refused".into(),
        ));
        let response = outcome(&ConnectOutcome::Failed(error));
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let page = String::from_utf8(body.to_vec()).unwrap();
        assert!(page.contains("id=\"reference\""), "{page}");
        for detail in ["user-42", "10.0.0.7", "store"] {
            assert!(!page.contains(detail), "{detail} reached the page: {page}");
        }
    }
}
