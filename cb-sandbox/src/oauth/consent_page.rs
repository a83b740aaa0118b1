//! The HTML consent page, for people trying the flow in a browser: one
//! checkbox per requested scope, the send limit, the wallets to choose, and
//! Approve and Deny.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::oauth::request::AuthorizeError;
use crate::state::AppState;
use crate::wire::Params;
use crate::world::{AuthorizeRequest, CONSENT_LIFETIME, PendingConsent, World};

/// Replaced by the id of the stored request once the page is rendered.
pub(crate) const FORM_ID: &str = "{{consent-id}}";

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

const STYLE: &str = "body{font-family:sans-serif;max-width:40em;margin:2em auto}\
                     label{display:block;margin:.3em 0}.limit{font-weight:bold}";

pub(crate) fn render(world: &World, user_id: &str, request: &AuthorizeRequest) -> String {
    let user = world.users.get(user_id).map_or("", |user| user.name.as_str());
    let mut page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize {client}</title>\
         <style>{STYLE}</style></head><body><h1>Authorize {client}</h1>\
         <p>Signed in to the sandbox as {user}.</p>\
         <form method=\"post\" action=\"/oauth2/consent\">\
         <input type=\"hidden\" name=\"consent\" value=\"{FORM_ID}\">\
         <fieldset><legend>Permissions</legend>",
        client = escape(&request.client_id),
        user = escape(user),
    );
    for scope in &request.scopes {
        let _ = write!(
            page,
            "<label><input type=\"checkbox\" name=\"scope\" value=\"{scope}\" checked> {scope}</label>"
        );
    }
    page.push_str("</fieldset>");
    if let Some(limit) = &request.send_limit {
        let _ = write!(
            page,
            "<p class=\"limit\" id=\"send-limit\">Send limit: {} {} per {}</p>",
            limit.amount, limit.currency, limit.period
        );
    }
    if request.account_all {
        page.push_str("<p id=\"accounts\">Access to all of your wallets.</p>");
    } else {
        page.push_str("<fieldset id=\"accounts\"><legend>Wallets</legend>");
        for id in request.selectable_accounts(world, user_id) {
            if let Some(account) = world.accounts.get(&id) {
                let _ = write!(
                    page,
                    "<label><input type=\"checkbox\" name=\"account\" value=\"{}\" checked> {} \
                     ({} {})</label>",
                    escape(&account.id),
                    escape(&account.name),
                    account.balance,
                    escape(&account.currency),
                );
            }
        }
        page.push_str("</fieldset>");
    }
    page.push_str(
        "<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>\
         </form></body></html>",
    );
    page
}

/// The page shown when the authorize request itself is wrong.
pub(crate) fn error(error: &AuthorizeError) -> (StatusCode, Html<String>) {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorization error</title>\
         <style>{STYLE}</style></head><body><h1>Authorization error</h1>\
         <p id=\"error\">{}</p></body></html>",
        escape(error.message())
    );
    (StatusCode::BAD_REQUEST, Html(page))
}

/// `POST /oauth2/consent`: the consent page's form.
pub(crate) async fn submit(State(state): State<AppState>, body: Bytes) -> Response {
    let params = Params::parse(std::str::from_utf8(&body).unwrap_or(""));
    state.world(|world| {
        let id = params.one("consent").ok().flatten().unwrap_or("");
        let now = world.now();
        let pending = world.consents.remove(id).filter(|pending| {
            pending.created_at.checked_add(CONSENT_LIFETIME).is_some_and(|end| end > now)
        });
        let Some(PendingConsent { request, .. }) = pending else {
            return error(&AuthorizeError::new("This consent form expired or was already used"))
                .into_response();
        };
        let Some(user) = world.demo_user.clone() else {
            return error(&AuthorizeError::new("The sandbox has no user")).into_response();
        };
        if params.one("decision").ok().flatten() != Some("approve") {
            return Redirect::to(request.deny().as_str()).into_response();
        }
        // Only what was requested can be granted, whatever the form says.
        let scopes: Vec<&'static str> = request
            .scopes
            .iter()
            .copied()
            .filter(|scope| params.all("scope").any(|s| s == *scope))
            .collect();
        let selectable: BTreeSet<String> =
            request.selectable_accounts(world, &user).into_iter().collect();
        let accounts = params
            .all("account")
            .filter(|id| selectable.contains(*id))
            .map(str::to_owned)
            .collect();
        let url = request.approve(world, &user, scopes, Some(accounts));
        Redirect::to(url.as_str()).into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
