//! The token endpoint (code exchange and single-use refresh) and
//! revocation.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::catalogue;
use crate::state::AppState;
use crate::wire::Params;
use crate::world::{AccessToken, PkceMethod, RefreshToken, World, new_secret};

/// An RFC 6749 error answer.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({ "error": error, "error_description": description })))
        .into_response()
}

/// The client a token or revoke request authenticates as, as candidate
/// `(id, secret)` pairs: from the form, or from HTTP Basic.
///
/// RFC 6749 section 2.3.1 has Basic credentials form-urlencoded before
/// base64 (as the `oauth2` crate does), so `+`, `/`, `=` and `:` in a secret
/// arrive escaped. Clients that skip that step are common too, so the raw
/// reading is tried as well.
fn client_credentials(headers: &HeaderMap, params: &Params) -> Vec<(String, String)> {
    let id = params.one("client_id").ok().flatten();
    let secret = params.one("client_secret").ok().flatten();
    if let (Some(id), Some(secret)) = (id, secret) {
        return vec![(id.to_owned(), secret.to_owned())];
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|basic| STANDARD.decode(basic.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let Some((id, secret)) = basic.as_deref().and_then(|basic| basic.split_once(':')) else {
        return Vec::new();
    };
    let form_decoded = |part: &str| -> String {
        url::form_urlencoded::parse(format!("v={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    vec![(form_decoded(id), form_decoded(secret)), (id.to_owned(), secret.to_owned())]
}

fn authenticate_client(world: &World, headers: &HeaderMap, params: &Params) -> Option<String> {
    client_credentials(headers, params).into_iter().find_map(|(id, secret)| {
        let client = world.clients.get(&id)?;
        (client.secret == secret).then_some(id)
    })
}

/// `POST /oauth2/token`.
pub(crate) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(body) = std::str::from_utf8(&body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "The body is not UTF-8");
    };
    let params = Params::parse(body);
    state.world(|world| {
        let outcome = token_grant(world, &headers, &params);
        if let Err((_, "invalid_grant", _)) = &outcome {
            world.stats.invalid_grants += 1;
        }
        match outcome {
            Ok(response) => response,
            Err((status, error, description)) => oauth_error(status, error, description),
        }
    })
}

type TokenError = (StatusCode, &'static str, &'static str);

fn token_grant(
    world: &mut World,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Response, TokenError> {
    let bad_request = |description| (StatusCode::BAD_REQUEST, "invalid_request", description);
    let invalid_grant = |description| (StatusCode::BAD_REQUEST, "invalid_grant", description);
    for name in ["grant_type", "code", "refresh_token", "redirect_uri", "code_verifier"] {
        params.one(name).map_err(|_| bad_request("A parameter is repeated"))?;
    }
    let grant_type =
        params.one("grant_type").ok().flatten().ok_or(bad_request("Missing grant_type"))?;
    let client_id = authenticate_client(world, headers, params).ok_or((
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Client authentication failed",
    ))?;
    let value = |name| params.one(name).ok().flatten();

    let authorization_id = match grant_type {
        "authorization_code" => {
            let code = value("code").ok_or(bad_request("Missing code"))?;
            let redirect_uri = value("redirect_uri").ok_or(bad_request("Missing redirect_uri"))?;
            let now = world.now();
            let grant =
                world.codes.get_mut(code).ok_or(invalid_grant("Unknown authorization code"))?;
            if grant.used {
                // RFC 6749 section 4.1.2: a code used twice revokes what it
                // granted.
                let authorization_id = grant.authorization_id.clone();
                if let Some(authorization) = world.authorizations.get_mut(&authorization_id) {
                    authorization.revoked = true;
                }
                return Err(invalid_grant("The authorization code was already used"));
            }
            if grant.client_id != client_id {
                return Err(invalid_grant("The authorization code belongs to another client"));
            }
            if grant.expires_at <= now {
                return Err(invalid_grant("The authorization code has expired"));
            }
            if grant.redirect_uri != redirect_uri {
                return Err(invalid_grant("The redirect URI does not match the authorization"));
            }
            if let Some((challenge, method)) = &grant.challenge {
                let verifier =
                    value("code_verifier").ok_or(invalid_grant("Missing code_verifier"))?;
                let computed = match method {
                    PkceMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
                    PkceMethod::Plain => verifier.to_owned(),
                };
                if &computed != challenge {
                    return Err(invalid_grant("The code verifier does not match the challenge"));
                }
            }
            grant.used = true;
            world.stats.code_grants += 1;
            grant.authorization_id.clone()
        }
        "refresh_token" => {
            let token = value("refresh_token").ok_or(bad_request("Missing refresh_token"))?;
            let now = world.now();
            let refresh = world
                .refresh_tokens
                .get_mut(token)
                .ok_or(invalid_grant("Unknown refresh token"))?;
            if refresh.spent {
                return Err(invalid_grant("The refresh token was already used"));
            }
            let authorization = world
                .authorizations
                .get(&refresh.authorization_id)
                .filter(|authorization| !authorization.revoked)
                .ok_or(invalid_grant("The authorization was revoked"))?;
            if authorization.client_id != client_id {
                return Err(invalid_grant("The refresh token belongs to another client"));
            }
            refresh.spent = true;
            refresh.spent_at = Some(now);
            world.stats.refreshes += 1;
            authorization.id.clone()
        }
        _ => {
            return Err((
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant_type",
            ));
        }
    };
    Ok(issue_tokens(world, &authorization_id))
}

fn issue_tokens(world: &mut World, authorization_id: &str) -> Response {
    let now = world.now();
    let lifetime = world.config.access_token_lifetime.seconds();
    let access = new_secret();
    world.access_tokens.insert(
        access.clone(),
        AccessToken {
            authorization_id: authorization_id.to_owned(),
            expires_at: now + time::Duration::seconds(i64::from(lifetime)),
        },
    );
    let scopes =
        world.authorizations.get(authorization_id).map(|a| a.scopes.clone()).unwrap_or_default();
    let mut body = json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": lifetime,
        "scope": scopes.join(world.config.scope_separator.as_str()),
        "created_at": now.unix_timestamp(),
    });
    if scopes.contains(&catalogue::OFFLINE_ACCESS) {
        let refresh = new_secret();
        world.refresh_tokens.insert(
            refresh.clone(),
            RefreshToken {
                authorization_id: authorization_id.to_owned(),
                spent: false,
                spent_at: None,
            },
        );
        body["refresh_token"] = refresh.into();
    }
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

/// `POST /oauth2/revoke`: always 200; revokes when the client and the bearer
/// token check out.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(std::str::from_utf8(&body).unwrap_or(""));
    state.world(|world| {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::to_owned)
            .or_else(|| params.one("access_token").ok().flatten().map(str::to_owned));
        let token = params.one("token").ok().flatten();
        let client = authenticate_client(world, &headers, &params);
        if let (Some(client), Some(bearer), Some(token)) = (client, bearer, token) {
            let authorization_id = world
                .access_tokens
                .get(&bearer)
                .zip(world.access_tokens.get(token))
                .filter(|(by, of)| by.authorization_id == of.authorization_id)
                .map(|(by, _)| by.authorization_id.clone());
            let authorization = authorization_id.and_then(|id| world.authorizations.get_mut(&id));
            if let Some(authorization) = authorization.filter(|a| a.client_id == client) {
                authorization.revoked = true;
                world.stats.revocations += 1;
            }
        }
        axum::Json(json!({})).into_response()
    })
}
