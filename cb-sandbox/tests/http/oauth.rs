//! The authorize endpoint's checks, code exchange, single-use refresh,
//! revocation, and the legacy paths.

use std::time::Duration;

use cb_sandbox::{SandboxConfig, ScopeSeparator, TokenLifetime};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use crate::support::*;

async fn authorize_page(env: &Env, url: &str) -> (StatusCode, String) {
    let response = env.http.get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_authorize_endpoint_checks_every_parameter() {
    let env = Env::new().await;
    let good = env.authorize_url("wallet:accounts:read", &[]);
    let replace = |name: &str, value: &str| {
        let mut url = Url::parse(&good).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .into_owned()
            .map(|(k, v)| if k == name { (k, value.to_owned()) } else { (k, v) })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.to_string()
    };
    let cases = [
        (replace("client_id", "nobody"), "Invalid client_id"),
        (replace("redirect_uri", "http://127.0.0.1:9/other"), "redirect URI included is not valid"),
        (replace("response_type", "token"), "Invalid response_type"),
        (replace("scope", "wallet:accounts:read,wallet:nope"), "Invalid scope: wallet:nope"),
        (replace("state", "short"), "at least 8 characters"),
        (replace("code_challenge_method", "S512"), "Invalid code_challenge_method"),
        (replace("code_challenge", "tooshort"), "Invalid code_challenge"),
        (format!("{good}&account=everything"), "Invalid account"),
        (format!("{good}&account=all&account_currency=BTC"), "only be used with account=select"),
        (format!("{good}&state=again12345"), "Duplicate parameter: state"),
    ];
    for (url, message) in cases {
        let (status, page) = authorize_page(&env, &url).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}");
        assert!(page.contains(message), "{message}: {page}");
    }
    let (status, page) = authorize_page(&env, &good).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"scope\" value=\"wallet:accounts:read\""), "{page}");
}

#[tokio::test]
async fn send_needs_valid_limit_meta_with_the_consent_pages_messages() {
    let env = Env::new().await;
    let send = "wallet:accounts:read,wallet:transactions:send";
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[], "Invalid amount for meta[send_limit_amount]"),
        (
            &[("meta[send_limit_amount]", "0"), ("meta[send_limit_currency]", "USD")],
            "Invalid amount",
        ),
        (
            &[("meta[send_limit_amount]", "ten"), ("meta[send_limit_currency]", "USD")],
            "Invalid amount",
        ),
        (&[("meta[send_limit_amount]", "10")], "Invalid currency for meta[send_limit_currency]"),
        (
            &[
                ("meta[send_limit_amount]", "10"),
                ("meta[send_limit_currency]", "USD"),
                ("meta[send_limit_period]", "week"),
            ],
            "Invalid period for meta[send_limit_period]",
        ),
    ];
    for (meta, message) in cases {
        let (status, page) = authorize_page(&env, &env.authorize_url(send, meta)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains(message), "{message}: {page}");
        let error = env.sandbox.consent(&env.authorize_url(send, meta)).unwrap_err();
        assert!(error.message().starts_with(message), "{error}");
    }
    let (status, page) = authorize_page(&env, &env.authorize_url(send, SEND_META)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Send limit: 100.00 USD per day"), "{page}");
}

#[tokio::test]
async fn auto_approve_redirects_straight_back_with_a_code() {
    let env = Env::with({
        let mut config = SandboxConfig::default();
        config.auto_approve = true;
        config
    })
    .await;
    let response = env.http.get(env.authorize_url("wallet:user:read", &[])).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT_URI));
    let (status, body) = env.exchange(&Env::code_of(&location)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_code_exchange_answers_as_coinbase_does() {
    let env = Env::new().await;
    let tokens = env.tokens("wallet:accounts:read,offline_access").await;
    assert_eq!(tokens.body["token_type"], "bearer");
    assert_eq!(tokens.body["expires_in"], 3600);
    assert_eq!(tokens.body["scope"], "wallet:accounts:read,offline_access");
    assert!(tokens.body["created_at"].as_i64().unwrap() > 1_600_000_000);
    assert!(tokens.refresh.is_some());
    assert_eq!(env.sandbox.stats().code_grants, 1);

    // No offline_access, no refresh token.
    let tokens = env.tokens("wallet:accounts:read").await;
    assert_eq!(tokens.refresh, None);
}

#[tokio::test]
async fn the_disputed_details_have_switches() {
    let mut config = SandboxConfig::default();
    config.access_token_lifetime = TokenLifetime::Legacy;
    config.scope_separator = ScopeSeparator::Space;
    let env = Env::with(config).await;
    let tokens = env.tokens("wallet:accounts:read,wallet:user:read").await;
    assert_eq!(tokens.body["expires_in"], 7200);
    assert_eq!(tokens.body["scope"], "wallet:accounts:read wallet:user:read");
}

#[tokio::test]
async fn a_code_is_single_use_and_bound_to_client_redirect_verifier_and_time() {
    let env = Env::new().await;
    env.sandbox.register_client("other", "other-secret", [REDIRECT_URI]);
    let code = || {
        let url = env.authorize_url("wallet:accounts:read", &[]);
        Env::code_of(&env.sandbox.consent(&url).unwrap().approve().unwrap())
    };
    let invalid_grant = |(status, body): (StatusCode, Value)| {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_grant", "{body}");
    };

    let first = code();
    assert_eq!(env.exchange(&first).await.0, StatusCode::OK);
    invalid_grant(env.exchange(&first).await);

    let base = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("client_id", CLIENT_ID.to_owned()),
            ("client_secret", CLIENT_SECRET.to_owned()),
            ("redirect_uri", REDIRECT_URI.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
        ]
    };
    let with = |code: &str, name: &str, value: &str| {
        base(code)
            .into_iter()
            .map(|(k, v)| (k, if k == name { value.to_owned() } else { v }))
            .collect::<Vec<_>>()
    };
    let shared = &env;
    let post = |form: Vec<(&'static str, String)>| async move {
        let response =
            shared.http.post(shared.url("/oauth2/token")).form(&form).send().await.unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    invalid_grant(post(with(&code(), "redirect_uri", "http://127.0.0.1:9/other")).await);
    invalid_grant(post(with(&code(), "code_verifier", &"x".repeat(43))).await);
    let other_client = with(&code(), "client_id", "other")
        .into_iter()
        .map(|(k, v)| (k, if k == "client_secret" { "other-secret".to_owned() } else { v }))
        .collect();
    invalid_grant(post(other_client).await);

    let late = code();
    env.sandbox.advance(Duration::from_secs(601));
    invalid_grant(env.exchange(&late).await);

    let (status, body) = post(with(&code(), "client_secret", "wrong")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, body) = post(with(&code(), "grant_type", "password")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
}

#[tokio::test]
async fn http_basic_client_authentication_works_too() {
    let env = Env::new().await;
    let url = env.authorize_url("wallet:accounts:read", &[]);
    let code = Env::code_of(&env.sandbox.consent(&url).unwrap().approve().unwrap());
    let response = env
        .http
        .post(env.url("/oauth2/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_token_works_once_and_each_refresh_returns_a_new_pair() {
    let env = Env::new().await;
    let first = env.tokens("wallet:accounts:read,offline_access").await;
    let old_refresh = first.refresh.unwrap();
    assert_eq!(env.sandbox.refresh_token_spent(&old_refresh), Some(false));

    let (status, body) = env.refresh(&old_refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = Tokens::from(body);
    assert_ne!(second.access, first.access);
    let new_refresh = second.refresh.unwrap();
    assert_ne!(new_refresh, old_refresh);
    assert_eq!(env.sandbox.refresh_token_spent(&old_refresh), Some(true));

    let (status, body) = env.refresh(&old_refresh).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert_eq!(env.refresh(&new_refresh).await.0, StatusCode::OK);
    let stats = env.sandbox.stats();
    assert_eq!((stats.refreshes, stats.invalid_grants), (2, 1));
}

#[tokio::test]
async fn revoke_needs_the_bearer_and_the_client_always_answers_200_and_revokes() {
    let env = Env::new().await;
    let tokens = env.tokens("wallet:accounts:read,offline_access").await;
    let revoke = |form: Vec<(&'static str, String)>, bearer: bool| {
        let mut request = env.http.post(env.url("/oauth2/revoke")).form(&form);
        if bearer {
            request = request.bearer_auth(&tokens.access);
        }
        async move { request.send().await.unwrap().status() }
    };
    let token = ("token", tokens.access.clone());
    let id = ("client_id", CLIENT_ID.to_owned());
    let secret = ("client_secret", CLIENT_SECRET.to_owned());

    // Without the client credentials, or without the bearer, nothing happens.
    assert_eq!(revoke(vec![token.clone()], true).await, StatusCode::OK);
    assert_eq!(
        revoke(vec![token.clone(), id.clone(), secret.clone()], false).await,
        StatusCode::OK
    );
    assert_eq!(env.get("/v2/accounts", &tokens.access).await.0, StatusCode::OK);

    assert_eq!(revoke(vec![token, id, secret], true).await, StatusCode::OK);
    let (status, body) = env.get("/v2/accounts", &tokens.access).await;
    assert_eq!((status, error_id(&body)), (StatusCode::UNAUTHORIZED, "revoked_token"));
    let (_, body) = env.refresh(tokens.refresh.as_ref().unwrap()).await;
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(env.sandbox.stats().revocations, 1);
}

#[tokio::test]
async fn the_legacy_paths_work() {
    let mut config = SandboxConfig::default();
    config.auto_approve = true;
    let env = Env::with(config).await;
    let url = env
        .authorize_url("wallet:accounts:read,offline_access", &[])
        .replace("/oauth2/auth", "/oauth/authorize");
    let response = env.http.get(url).send().await.unwrap();
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &Env::code_of(&location)),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    let response = env.http.post(env.url("/oauth/token")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens = Tokens::from(response.json::<Value>().await.unwrap());
    let form = [
        ("token", tokens.access.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let response = env
        .http
        .post(env.url("/oauth/revoke"))
        .bearer_auth(&tokens.access)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(error_id(&env.get("/v2/user", &tokens.access).await.1), "revoked_token");
}

#[tokio::test]
async fn a_denial_redirects_with_access_denied_and_the_state() {
    let env = Env::new().await;
    let redirect = env.sandbox.consent(&env.authorize_url("wallet:user:read", &[])).unwrap().deny();
    let pairs: Vec<(String, String)> = redirect.query_pairs().into_owned().collect();
    assert!(pairs.contains(&("error".into(), "access_denied".into())));
    assert!(pairs.contains(&("state".into(), STATE.into())));
    assert!(!pairs.iter().any(|(name, _)| name == "code"));
}

#[tokio::test]
async fn http_basic_credentials_are_form_urlencoded_as_rfc_6749_says() {
    let env = Env::new().await;
    let secret = "s+e/c=r:t %ret";
    env.sandbox.register_client("odd-client", secret, [REDIRECT_URI]);
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let attempt = |id: String, secret: String| {
        env.http
            .post(env.url("/oauth2/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "not-a-token")])
            .send()
    };
    // The client authenticates, so the answer is about the grant.
    for (id, secret) in
        [(encode("odd-client"), encode(secret)), ("odd-client".to_owned(), secret.to_owned())]
    {
        let response = attempt(id, secret).await.unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!((status, error_id_of(&body)), (StatusCode::BAD_REQUEST, "invalid_grant"));
    }
    let response = attempt("odd-client".into(), encode("wrong+secret")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

fn error_id_of(body: &serde_json::Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}
