//! `GET /oauth2/auth`: the checks, then the consent page, or at once the
//! redirect when the sandbox approves by itself.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::oauth::consent_page;
use crate::oauth::request::AuthorizeError;
use crate::state::AppState;
use crate::world::{AuthorizeRequest, PendingConsent, new_secret};

/// `GET /oauth2/auth`: the consent page, or with auto-approve a redirect
/// straight back.
pub(crate) async fn authorize(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    state.world(|world| {
        let request = match AuthorizeRequest::validate(world, &query) {
            Ok(request) => request,
            Err(error) => return consent_page::error(&error).into_response(),
        };
        let Some(user) = world.demo_user.clone() else {
            let error = AuthorizeError::new("The sandbox has no user to sign in");
            return consent_page::error(&error).into_response();
        };
        if world.config.auto_approve {
            let accounts = request.selectable_accounts(world, &user).into_iter().collect();
            let url = request.approve(world, &user, request.scopes.clone(), Some(accounts));
            return (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response();
        }
        let page = consent_page::render(world, &user, &request);
        let id = new_secret();
        let (created_at, seq) = (world.now(), world.seq());
        world.consents.insert(id.clone(), PendingConsent { request, created_at, seq });
        Html(page.replace(consent_page::FORM_ID, &id)).into_response()
    })
}
