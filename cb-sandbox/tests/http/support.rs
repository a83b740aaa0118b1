//! A sandbox with one client and the demo user, and the requests tests make.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cb_sandbox::{Sandbox, SandboxConfig};
use reqwest::{Method, StatusCode, redirect};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use url::Url;

pub(crate) const CLIENT_ID: &str = "test-client";
pub(crate) const CLIENT_SECRET: &str = "test-secret";
pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
pub(crate) const STATE: &str = "state-0123456789";
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub(crate) struct Env {
    pub(crate) sandbox: Sandbox,
    pub(crate) http: reqwest::Client,
    pub(crate) user: cb_sandbox::UserId,
}

pub(crate) struct Tokens {
    pub(crate) access: String,
    pub(crate) refresh: Option<String>,
    pub(crate) body: Value,
}

impl Env {
    pub(crate) async fn new() -> Env {
        Env::with(SandboxConfig::default()).await
    }

    pub(crate) async fn with(config: SandboxConfig) -> Env {
        let sandbox = Sandbox::start(config).await.unwrap();
        sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
        let user = sandbox.seed_demo_user();
        let http = reqwest::Client::builder().redirect(redirect::Policy::none()).build().unwrap();
        Env { sandbox, http, user }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.base_url(), path.trim_start_matches('/'))
    }

    /// An authorize URL with PKCE S256 for `scopes` and extra parameters.
    pub(crate) fn authorize_url(&self, scopes: &str, extra: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&self.sandbox.authorize_endpoint()).unwrap();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", scopes)
            .append_pair("state", STATE)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .extend_pairs(extra);
        url.into()
    }

    /// The `code` of a redirect back to the app, after checking its state.
    pub(crate) fn code_of(redirect: &Url) -> String {
        let pairs: Vec<(String, String)> = redirect.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("state".into(), STATE.into())), "{redirect}");
        pairs.into_iter().find(|(name, _)| name == "code").expect("a code").1
    }

    pub(crate) async fn token_request(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self.http.post(self.url("/oauth2/token")).form(form).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    pub(crate) async fn exchange(&self, code: &str) -> (StatusCode, Value) {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .await
    }

    pub(crate) async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .await
    }

    /// Authorizes `scopes` as requested (plus `extra` parameters) and
    /// exchanges the code.
    pub(crate) async fn tokens_with(&self, scopes: &str, extra: &[(&str, &str)]) -> Tokens {
        let redirect =
            self.sandbox.consent(&self.authorize_url(scopes, extra)).unwrap().approve().unwrap();
        let (status, body) = self.exchange(&Env::code_of(&redirect)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Tokens::from(body)
    }

    pub(crate) async fn tokens(&self, scopes: &str) -> Tokens {
        self.tokens_with(scopes, &[]).await
    }

    /// An API call with the CB-VERSION header.
    pub(crate) async fn api(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.api_with(method, path, token, body, &[("CB-VERSION", "2024-01-01")]).await
    }

    pub(crate) async fn api_with(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let json = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
        (status, json)
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.api(Method::GET, path, token, None).await
    }

    /// The id of the demo user's account in `currency`.
    pub(crate) fn account(&self, currency: &str) -> cb_sandbox::AccountId {
        self.sandbox.accounts(&self.user).into_iter().find(|a| a.currency == currency).unwrap().id
    }
}

impl From<Value> for Tokens {
    fn from(body: Value) -> Self {
        Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().map(str::to_owned),
            body,
        }
    }
}

/// The first error id of a v2 error body.
pub(crate) fn error_id(body: &Value) -> &str {
    body["errors"][0]["id"].as_str().unwrap_or_default()
}

/// The payouts scopes with a limit of 100 USD a day.
pub(crate) const SEND_META: &[(&str, &str)] = &[
    ("meta[send_limit_amount]", "100.00"),
    ("meta[send_limit_currency]", "USD"),
    ("meta[send_limit_period]", "day"),
];
