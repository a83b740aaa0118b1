//! `OAuthClientBuilder`: the one place a configuration is checked.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cb_scopes::__private::is_loopback;
use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use crate::auth::config::{
    AuthorizationEnded, COINBASE_API_BASE, COINBASE_LOGIN_BASE, Clock, Config, EndListener,
    RetryPolicy,
};
use crate::auth::oauth_client::OAuthClient;
use crate::auth::store::TokenStore;
use crate::auth::store::memory::MemoryStore;
use crate::error::ConfigError;
use crate::wire;

impl OAuthClient {
    /// A builder for the app registered as `client_id`, with Coinbase's
    /// hosts, a [`MemoryStore`], and 10 s connect and 30 s request
    /// timeouts.
    pub fn builder(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> OAuthClientBuilder {
        OAuthClientBuilder {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            redirect_uri: redirect_uri.into(),
            login_base: COINBASE_LOGIN_BASE.to_owned(),
            api_base: COINBASE_API_BASE.to_owned(),
            store: None,
            clock: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            refresh_margin: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            max_response_bytes: wire::DEFAULT_MAX_RESPONSE_BYTES,
            http: None,
            on_ended: None,
            #[cfg(feature = "rate-limit")]
            rate_limits: None,
        }
    }

    /// A builder from the process's environment, as twelve-factor apps are
    /// configured: `COINBASE_CLIENT_ID`, `COINBASE_CLIENT_SECRET` and
    /// `COINBASE_REDIRECT_URI`, and optionally `COINBASE_LOGIN_BASE` and
    /// `COINBASE_API_BASE` (another host, such as a `cb-sandbox`). Further
    /// settings go on the builder.
    ///
    /// ```no_run
    /// let oauth = cb_client::OAuthClient::from_env()?.build()?;
    /// # Ok::<(), cb_client::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::MissingVariable`] naming the first required variable
    /// that is unset or empty; the secret's value is never shown.
    pub fn from_env() -> Result<OAuthClientBuilder, ConfigError> {
        OAuthClient::from_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the variables read by `var`.
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<OAuthClientBuilder, ConfigError> {
        let required = |name: &'static str| {
            var(name)
                .filter(|value| !value.trim().is_empty())
                .ok_or(ConfigError::MissingVariable(name))
        };
        let mut builder = OAuthClient::builder(
            required("COINBASE_CLIENT_ID")?,
            required("COINBASE_CLIENT_SECRET")?,
            required("COINBASE_REDIRECT_URI")?,
        );
        if let Some(base) = var("COINBASE_LOGIN_BASE").filter(|value| !value.is_empty()) {
            builder = builder.login_base(base);
        }
        if let Some(base) = var("COINBASE_API_BASE").filter(|value| !value.is_empty()) {
            builder = builder.api_base(base);
        }
        Ok(builder)
    }
}

/// Configures an [`OAuthClient`].
pub struct OAuthClientBuilder {
    client_id: String,
    client_secret: SecretString,
    redirect_uri: String,
    login_base: String,
    api_base: String,
    store: Option<Arc<dyn TokenStore>>,
    clock: Option<Arc<dyn Clock>>,
    connect_timeout: Duration,
    request_timeout: Duration,
    refresh_margin: Duration,
    retry: RetryPolicy,
    max_response_bytes: usize,
    http: Option<reqwest::Client>,
    on_ended: Option<EndListener>,
    #[cfg(feature = "rate-limit")]
    rate_limits: Option<crate::RateLimits>,
}

impl OAuthClientBuilder {
    /// The host of the authorize, token and revoke endpoints
    /// (`{base}oauth2/auth`, ...), instead of [`COINBASE_LOGIN_BASE`].
    pub fn login_base(mut self, base: impl Into<String>) -> Self {
        self.login_base = base.into();
        self
    }

    /// The host of the v2 API, instead of [`COINBASE_API_BASE`].
    pub fn api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = base.into();
        self
    }

    /// Uses one base for both, as `cb-sandbox` serves both.
    pub fn sandbox(self, base: impl Into<String>) -> Self {
        let base = base.into();
        self.login_base(base.clone()).api_base(base)
    }

    /// Where tokens are kept; a [`MemoryStore`] by default.
    pub fn store(mut self, store: impl TokenStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// A store already shared elsewhere.
    pub fn shared_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock token expiry is judged by; the system clock by default.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Sends every request through `http`, the app's own client, with its
    /// connection pool, proxy, root certificates and timeouts; then
    /// [`timeouts`](Self::timeouts) does not apply.
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: the
    /// client never needs a redirect, and one must not carry a token
    /// elsewhere (reqwest drops the `Authorization` header on a redirect to
    /// another host, but not to another path of the same one). The bases
    /// are checked as always: `https`, or `http` on loopback.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), cb_client::Error> {
    /// use cb_client::reqwest;
    ///
    /// let http = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .pool_max_idle_per_host(32)
    ///     .build()
    ///     .expect("a client");
    /// let oauth = cb_client::OAuthClient::builder("id", "secret", "https://app.example/cb")
    ///     .http_client(http)
    ///     .build()?;
    /// # let _ = oauth; Ok(()) }
    /// ```
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The connect and whole-request timeouts.
    pub fn timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.connect_timeout = connect;
        self.request_timeout = request;
        self
    }

    /// Calls `listener` whenever this client finds an authorization ended:
    /// revoked (by [`OAuthClient::revoke`] or `Client::revoke`), or a
    /// refresh that Coinbase refused or whose answer was lost. The app can
    /// then ask the user to connect again (an email, a banner). It runs on
    /// the task that found the end, so keep it short (send to a channel).
    /// Several instances may each report the same end once.
    pub fn on_authorization_ended(
        mut self,
        listener: impl Fn(&AuthorizationEnded) + Send + Sync + 'static,
    ) -> Self {
        self.on_ended = Some(Arc::new(listener));
        self
    }

    /// Keeps each authorization under `limits` (feature `rate-limit`): a
    /// call that would go over waits until it fits, and its span says how
    /// long (`cb.rate_limit_wait_ms`). Off by default: the client then only
    /// honours Coinbase's 429s.
    #[cfg(feature = "rate-limit")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rate-limit")))]
    pub fn rate_limits(mut self, limits: crate::RateLimits) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// How long before its expiry an access token is refreshed; 60 s by
    /// default.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// How failed requests are retried.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The largest answer body the client reads, in bytes; 4 MiB by
    /// default. A larger answer is an [`Error::InvalidResponse`](crate::Error::InvalidResponse), read no
    /// further than the cap.
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for an empty client id or secret, a redirect URI
    /// or base that is not a URL, or a base that is plain `http` off
    /// loopback. It converts into [`Error`](crate::Error), so `?` works in
    /// a function that returns either.
    pub fn build(self) -> Result<OAuthClient, ConfigError> {
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::EmptyClientId);
        }
        if self.client_secret.expose_secret().is_empty() {
            return Err(ConfigError::EmptyClientSecret);
        }
        let redirect_uri = Url::parse(&self.redirect_uri)
            .map_err(|source| ConfigError::InvalidUrl { what: "redirect URI", source })?;
        let login = secure_base("login base", &self.login_base)?;
        let api_base = secure_base("API base", &self.api_base)?;
        let endpoint = |path: &str| {
            login
                .join(path)
                .map_err(|source| ConfigError::InvalidUrl { what: "login base", source })
        };
        let loopback_only = is_loopback(&login) && is_loopback(&api_base);
        if !loopback_only && !cfg!(any(feature = "rustls", feature = "native-tls")) {
            return Err(ConfigError::NoTls);
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .timeout(self.request_timeout)
                // Tokens never follow a redirect to another host.
                .redirect(reqwest::redirect::Policy::none())
                .https_only(!loopback_only)
                .user_agent(concat!("cb-client/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(ConfigError::HttpClient)?,
        };
        Ok(OAuthClient::new(Config {
            authorize_endpoint: endpoint("oauth2/auth")?,
            token_endpoint: endpoint("oauth2/token")?,
            revoke_endpoint: endpoint("oauth2/revoke")?,
            api_base,
            client_id: self.client_id,
            client_secret: self.client_secret,
            redirect_uri,
            http,
            store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
            refresh_margin: self.refresh_margin,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
            background: tokio_util::task::TaskTracker::new(),
            on_ended: self.on_ended,
            #[cfg(feature = "rate-limit")]
            limiter: self
                .rate_limits
                .map(|limits| Arc::new(crate::api::rate_limit::Limiter::new(limits))),
        }))
    }
}

impl fmt::Debug for OAuthClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClientBuilder")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// A base URL that is `https`, or `http` on loopback, ending in `/`.
fn secure_base(what: &'static str, base: &str) -> Result<Url, ConfigError> {
    let mut url = Url::parse(base).map_err(|source| ConfigError::InvalidUrl { what, source })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        _ => {
            return Err(ConfigError::InsecureUrl { what, url: base.to_owned() });
        }
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_names_the_app_and_a_missing_variable_is_named() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs.iter().find(|(key, _)| *key == name).map(|(_, v)| (*v).to_owned())
            }
        };
        let complete = vars(&[
            ("COINBASE_CLIENT_ID", "id"),
            ("COINBASE_CLIENT_SECRET", "the-secret-value"),
            ("COINBASE_REDIRECT_URI", "https://app.example/callback"),
            ("COINBASE_API_BASE", "http://127.0.0.1:9/"),
        ]);
        let oauth = OAuthClient::from_vars(complete).unwrap().build().unwrap();
        let debug = format!("{oauth:?}");
        assert!(
            debug.contains("http://127.0.0.1:9/") && !debug.contains("the-secret-value"),
            "{debug}"
        );
        let missing = vars(&[("COINBASE_CLIENT_ID", "id"), ("COINBASE_CLIENT_SECRET", " ")]);
        let error = OAuthClient::from_vars(missing).err().unwrap();
        assert!(matches!(error, ConfigError::MissingVariable("COINBASE_CLIENT_SECRET")));
        assert_eq!(error.to_string(), "COINBASE_CLIENT_SECRET is not set");
    }

    #[test]
    fn bases_must_be_https_off_loopback() {
        assert!(secure_base("b", "https://api.coinbase.com").is_ok());
        assert_eq!(
            secure_base("b", "http://127.0.0.1:8787").unwrap().as_str(),
            "http://127.0.0.1:8787/"
        );
        assert!(secure_base("b", "http://localhost/x").is_ok());
        assert!(secure_base("b", "http://api.example").is_err());
        assert!(secure_base("b", "ftp://127.0.0.1").is_err());
        assert!(secure_base("b", "not a url").is_err());
    }

    #[test]
    fn the_builder_refuses_bad_configuration_and_debug_hides_the_secret() {
        let built =
            OAuthClient::builder("id", "the-secret", "https://app.example/cb").build().unwrap();
        assert!(!format!("{built:?}").contains("the-secret"));
        assert_eq!(built.config.token_endpoint.as_str(), "https://login.coinbase.com/oauth2/token");
        let refused =
            |id, secret, redirect| OAuthClient::builder(id, secret, redirect).build().err();
        assert!(matches!(refused("", "s", "https://a.example/"), Some(ConfigError::EmptyClientId)));
        assert!(matches!(
            refused("i", "", "https://a.example/"),
            Some(ConfigError::EmptyClientSecret)
        ));
        assert!(matches!(
            refused("i", "s", "nope"),
            Some(ConfigError::InvalidUrl { what: "redirect URI", .. })
        ));
        let insecure = OAuthClient::builder("i", "s", "https://a.example/")
            .api_base("http://api.example/")
            .build()
            .err();
        assert!(matches!(insecure, Some(ConfigError::InsecureUrl { what: "API base", .. })));
        // `?` carries it into `cb_client::Error`.
        let into: crate::Error = ConfigError::EmptyClientId.into();
        assert!(matches!(into, crate::Error::Config(ConfigError::EmptyClientId)));
    }
}
