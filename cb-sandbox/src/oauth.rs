//! OAuth2: the authorize endpoint and its checks, consent, the token
//! endpoint (code exchange and single-use refresh) and revocation.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rust_decimal::Decimal;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::catalogue;
use crate::server::Shared;
use crate::world::{
    AccessToken, Authorization, CodeGrant, PendingConsent, PkceMethod, RefreshToken, SendLimit,
    World, is_fiat, new_id, new_secret,
};

/// A validated request to the authorize endpoint, waiting for consent.
#[derive(Clone, Debug)]
pub(crate) struct AuthorizeRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    redirect_url: Url,
    pub(crate) scopes: Vec<&'static str>,
    pub(crate) state: Option<String>,
    pub(crate) challenge: Option<(String, PkceMethod)>,
    pub(crate) account_all: bool,
    pub(crate) account_currencies: Option<Vec<String>>,
    pub(crate) send_limit: Option<SendLimit>,
}

/// Why the authorize endpoint refused a request: the message Coinbase's
/// consent page would show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeError {
    message: String,
}

impl AuthorizeError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        AuthorizeError { message: message.into() }
    }

    /// The message, such as `Invalid amount for meta[send_limit_amount]`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AuthorizeError {}

/// Form or query parameters, each allowed once.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(text: &str) -> Self {
        Params(url::form_urlencoded::parse(text.as_bytes()).into_owned().collect())
    }

    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The parameter's value; `Err` when it is repeated.
    pub(crate) fn one<'a>(&'a self, name: &'a str) -> Result<Option<&'a str>, String> {
        let mut values = self.all(name);
        let first = values.next();
        match values.next() {
            Some(_) => Err(format!("Duplicate parameter: {name}")),
            None => Ok(first),
        }
    }
}

impl AuthorizeRequest {
    pub(crate) fn validate(world: &World, query: &str) -> Result<Self, AuthorizeError> {
        let params = Params::parse(query);
        let one = |name| params.one(name).map_err(AuthorizeError::new);

        let client_id =
            one("client_id")?.ok_or_else(|| AuthorizeError::new("Missing client_id"))?;
        let client = world
            .clients
            .get(client_id)
            .ok_or_else(|| AuthorizeError::new("Invalid client_id: unknown client"))?;
        let redirect_uri = match one("redirect_uri")? {
            Some(uri) if client.redirect_uris.iter().any(|known| known == uri) => uri.to_owned(),
            Some(_) => return Err(AuthorizeError::new("The redirect URI included is not valid")),
            None => client
                .redirect_uris
                .first()
                .cloned()
                .ok_or_else(|| AuthorizeError::new("The client has no redirect URI"))?,
        };
        let redirect_url = Url::parse(&redirect_uri)
            .map_err(|_| AuthorizeError::new("The redirect URI included is not valid"))?;
        if one("response_type")? != Some("code") {
            return Err(AuthorizeError::new("Invalid response_type: the only option is code"));
        }

        let mut scopes = Vec::new();
        for token in catalogue::split(one("scope")?.unwrap_or("")) {
            let scope = catalogue::known(token)
                .ok_or_else(|| AuthorizeError::new(format!("Invalid scope: {token}")))?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }

        let state = one("state")?.map(str::to_owned);
        if state.as_ref().is_some_and(|state| state.chars().count() < 8) {
            return Err(AuthorizeError::new("Invalid state: it must be at least 8 characters"));
        }

        let challenge = match (one("code_challenge")?, one("code_challenge_method")?) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(AuthorizeError::new("code_challenge_method without code_challenge"));
            }
            (Some(challenge), method) => {
                let method = match method.unwrap_or("plain") {
                    "S256" => PkceMethod::S256,
                    "plain" => PkceMethod::Plain,
                    _ => return Err(AuthorizeError::new("Invalid code_challenge_method")),
                };
                let valid = (43..=128).contains(&challenge.len())
                    && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
                if !valid {
                    return Err(AuthorizeError::new("Invalid code_challenge"));
                }
                Some((challenge.to_owned(), method))
            }
        };

        let account_all = match one("account")? {
            None | Some("select") | Some("new") => false,
            Some("all") => true,
            Some(_) => return Err(AuthorizeError::new("Invalid account: use select or all")),
        };
        let account_currencies = one("account_currency")?
            .map(|codes| codes.split(',').map(|code| code.trim().to_ascii_uppercase()).collect());
        if account_all && account_currencies.is_some() {
            return Err(AuthorizeError::new(
                "account_currency can only be used with account=select",
            ));
        }

        let send_limit =
            if scopes.contains(&catalogue::SEND) { Some(send_limit(&params)?) } else { None };

        Ok(AuthorizeRequest {
            client_id: client_id.to_owned(),
            redirect_uri,
            redirect_url,
            scopes,
            state,
            challenge,
            account_all,
            account_currencies,
            send_limit,
        })
    }

    /// The accounts of `user_id` the consent page offers.
    pub(crate) fn selectable_accounts(&self, world: &World, user_id: &str) -> Vec<String> {
        world
            .accounts
            .values()
            .filter(|account| account.user_id == user_id)
            .filter(|account| {
                self.account_currencies
                    .as_ref()
                    .is_none_or(|codes| codes.contains(&account.currency))
            })
            .map(|account| account.id.clone())
            .collect()
    }

    /// Grants `scopes` (a subset of the requested ones) on `accounts` and
    /// returns the redirect carrying the code.
    pub(crate) fn approve(
        &self,
        world: &mut World,
        user_id: &str,
        scopes: Vec<&'static str>,
        accounts: Option<BTreeSet<String>>,
    ) -> Url {
        let authorization_id = new_id();
        let send_limit = self.send_limit.clone().filter(|_| scopes.contains(&catalogue::SEND));
        world.authorizations.insert(
            authorization_id.clone(),
            Authorization {
                id: authorization_id.clone(),
                client_id: self.client_id.clone(),
                user_id: user_id.to_owned(),
                scopes,
                accounts: if self.account_all { None } else { accounts },
                send_limit,
                revoked: false,
            },
        );
        let code = new_secret();
        let expires_at = world.now() + world.config.code_lifetime;
        world.codes.insert(
            code.clone(),
            CodeGrant {
                authorization_id,
                client_id: self.client_id.clone(),
                redirect_uri: self.redirect_uri.clone(),
                challenge: self.challenge.clone(),
                expires_at,
                used: false,
            },
        );
        self.redirect(&[("code", &code)])
    }

    /// The redirect of a refusal: `error=access_denied`.
    pub(crate) fn deny(&self) -> Url {
        self.redirect(&[
            ("error", "access_denied"),
            ("error_description", "The resource owner or authorization server denied the request."),
        ])
    }

    fn redirect(&self, pairs: &[(&str, &str)]) -> Url {
        let mut url = self.redirect_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query.extend_pairs(pairs);
            if let Some(state) = &self.state {
                query.append_pair("state", state);
            }
        }
        url
    }
}

fn send_limit(params: &Params) -> Result<SendLimit, AuthorizeError> {
    let one = |name| params.one(name).map_err(AuthorizeError::new);
    let amount = one("meta[send_limit_amount]")?
        .and_then(|amount| amount.parse::<Decimal>().ok())
        .filter(|amount| *amount > Decimal::ZERO)
        .ok_or_else(|| AuthorizeError::new("Invalid amount for meta[send_limit_amount]"))?;
    let currency = one("meta[send_limit_currency]")?
        .filter(|currency| is_fiat(currency))
        .ok_or_else(|| AuthorizeError::new("Invalid currency for meta[send_limit_currency]"))?;
    let period = match one("meta[send_limit_period]")? {
        Some("day") => "day",
        None | Some("month") => "month",
        Some("year") => "year",
        Some(_) => return Err(AuthorizeError::new("Invalid period for meta[send_limit_period]")),
    };
    Ok(SendLimit { amount, currency: currency.to_owned(), period })
}

/// `GET /oauth2/auth`: the consent page, or with auto-approve a redirect
/// straight back.
pub(crate) async fn authorize(State(shared): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    shared.world(|world| {
        let request = match AuthorizeRequest::validate(world, &query) {
            Ok(request) => request,
            Err(error) => return crate::consent_page::error(&error).into_response(),
        };
        let Some(user) = world.demo_user.clone() else {
            let error = AuthorizeError::new("The sandbox has no user to sign in");
            return crate::consent_page::error(&error).into_response();
        };
        if world.config.auto_approve {
            let accounts = request.selectable_accounts(world, &user).into_iter().collect();
            let url = request.approve(world, &user, request.scopes.clone(), Some(accounts));
            return (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response();
        }
        let page = crate::consent_page::render(world, &user, &request);
        let id = new_secret();
        let (created_at, seq) = (world.now(), world.seq());
        world.consents.insert(id.clone(), PendingConsent { request, created_at, seq });
        Html(page.replace(crate::consent_page::FORM_ID, &id)).into_response()
    })
}

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
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(body) = std::str::from_utf8(&body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "The body is not UTF-8");
    };
    let params = Params::parse(body);
    shared.world(|world| {
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
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(std::str::from_utf8(&body).unwrap_or(""));
    shared.world(|world| {
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
