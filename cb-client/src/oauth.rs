//! `OAuthClient`: the app's registration with Coinbase, its endpoints, its
//! HTTP client and token store; and the ways to a `Client<S>`: exchange,
//! restore. Also revocation by key.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use cb_scopes::__private::is_loopback;
use cb_scopes::{AuthorizationCode, AuthorizeUrl, DeclaredScopes, Grant, ScopeSet};
use reqwest::Method;
use secrecy::{ExposeSecret as _, SecretString};
use tracing::Instrument as _;
use url::Url;

use crate::error::{Error, ReauthorizationReason};
use crate::http::{self, ApiOutcome, TokenCallError};
use crate::models::AuthInfo;
use crate::session::Session;
use crate::store::{MemoryStore, TokenStore};
use crate::tokens::TokenRecord;
use crate::{Client, fingerprint};

/// Coinbase's login host: authorize, token and revoke endpoints.
pub const COINBASE_LOGIN_BASE: &str = "https://login.coinbase.com/";
/// Coinbase's API host.
pub const COINBASE_API_BASE: &str = "https://api.coinbase.com/";

/// The time as the client sees it, for token expiry. Tests can substitute
/// their own; any `Fn() -> SystemTime` is a clock.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F: Fn() -> SystemTime + Send + Sync + 'static> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

/// An app registered with Coinbase, ready to turn authorization codes into
/// clients and to restore them from its token store.
///
/// It is cheap to clone and meant to be shared: every client it makes for
/// the same key shares one refresh, whichever task asks.
///
/// ```no_run
/// # cb_scopes::scopes! { #[send_limit(amount = "50", currency = "USD", period = "day")]
/// #   pub struct Payouts(wallet:accounts:read, wallet:transactions:send); }
/// # async fn demo(code: cb_scopes::AuthorizationCode<Payouts>) -> Result<(), cb_client::Error> {
/// use cb_client::{FileStore, OAuthClient};
///
/// let oauth = OAuthClient::builder("client-id", "client-secret", "https://app.example/callback")
///     .store(FileStore::new("/var/lib/app/tokens")?)
///     .build()?;
/// let client = oauth.exchange(code, "user-42").await?;     // after the callback
/// let again = oauth.restore::<Payouts>("user-42").await?;  // later, from the store
/// # let _ = (client, again); Ok(()) }
/// ```
#[derive(Clone)]
pub struct OAuthClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) redirect_uri: Url,
    pub(crate) authorize_endpoint: Url,
    pub(crate) token_endpoint: Url,
    pub(crate) revoke_endpoint: Url,
    pub(crate) api_base: Url,
    pub(crate) http: reqwest::Client,
    pub(crate) store: Arc<dyn TokenStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) refresh_margin: Duration,
    pub(crate) retry: RetryPolicy,
    /// The largest answer body read, in bytes.
    pub(crate) max_response_bytes: usize,
    sessions: Mutex<HashMap<String, Weak<Session>>>,
}

impl Inner {
    /// One call to the token endpoint with this client's credentials, in
    /// its `cb.token` span.
    pub(crate) async fn post_token(
        &self,
        grant: &'static str,
        attempt: u32,
        form: &[(&str, &str)],
    ) -> Result<crate::tokens::TokenResponse, TokenCallError> {
        http::post_token(
            &self.http,
            &self.token_endpoint,
            &self.client_id,
            &self.client_secret,
            form,
            self.max_response_bytes,
        )
        .instrument(http::token_span(grant, attempt))
        .await
    }
}

/// How often and how patiently failed requests are retried.
///
/// Waits grow exponentially from [`base_delay`](Self::base_delay), capped
/// at [`max_delay`](Self::max_delay), with *full jitter*: each wait is drawn
/// at random between zero and that bound, so that a thousand clients that
/// failed together do not retry together. A `Retry-After` from Coinbase is
/// honoured as given.
///
/// ```
/// use std::time::Duration;
/// use cb_client::RetryPolicy;
///
/// let patient = RetryPolicy::default().attempts(5).max_delay(Duration::from_secs(30));
/// assert_eq!(patient.attempts, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 3 by default.
    pub attempts: u32,
    /// The bound of the wait before the first retry; it doubles for each
    /// next one. 200 ms by default.
    pub base_delay: Duration,
    /// The longest wait between attempts, including a `Retry-After`; 10 s
    /// by default.
    pub max_delay: Duration,
    /// Whether waits are drawn at random below their bound (full jitter);
    /// on by default. Off, every wait is its bound.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    #[must_use]
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The bound of the first retry's wait.
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest wait between attempts.
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Turns jitter on or off.
    #[must_use]
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The bound of the wait before retry number `retry` (1 for the first).
    fn bound(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait before retry number `retry`: a random share of its bound.
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let bound = self.bound(retry);
        if !self.jitter || bound.is_zero() {
            return bound;
        }
        // A uniform draw in [0, 1) from 53 random bits of a v4 UUID: the
        // low bits of its second half (its variant bits are the top two).
        let bits = uuid::Uuid::new_v4().as_u64_pair().1 & ((1 << 53) - 1);
        let share = bits as f64 / (1u64 << 53) as f64;
        bound.mul_f64(share)
    }
}

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
            max_response_bytes: http::DEFAULT_MAX_RESPONSE_BYTES,
            http: None,
        }
    }

    /// The authorize URL builder for the set `S`, already holding this app's
    /// client id, redirect URI and authorize endpoint.
    pub fn authorize_url<S: DeclaredScopes>(&self) -> AuthorizeUrl<S> {
        AuthorizeUrl::new(&self.inner.client_id, self.inner.redirect_uri.as_str())
            .endpoint(self.inner.authorize_endpoint.as_str())
    }

    /// Exchanges an authorization code for tokens, checks what Coinbase
    /// granted, saves the tokens under `key` (the app's name for this
    /// authorization, such as its user id), and returns the client.
    ///
    /// The grant is read from the token response's `scope` and checked
    /// against `GET /v2/user/auth`; where the two differ, only what both
    /// grant counts.
    ///
    /// # Errors
    ///
    /// - [`Error::ScopesNotGranted`] when the user unticked a scope of `S`.
    ///   The tokens are saved all the same, so that the app can revoke them
    ///   ([`OAuthClient::revoke`]) before asking the user to authorize again.
    /// - [`Error::ReauthorizationRequired`] when Coinbase refuses the code.
    /// - Transport, API and store errors.
    pub async fn exchange<S: DeclaredScopes>(
        &self,
        code: AuthorizationCode<S>,
        key: &str,
    ) -> Result<Client<S>, Error> {
        let inner = &self.inner;
        if code.redirect_uri() != &inner.redirect_uri {
            return Err(Error::Config(format!(
                "the code was requested for redirect URI {} but this client is configured with {}",
                code.redirect_uri(),
                inner.redirect_uri
            )));
        }
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.code().expose_secret()),
            ("redirect_uri", code.redirect_uri().as_str()),
            ("code_verifier", code.code_verifier().expose_secret()),
        ];
        let mut attempt = 0;
        let token = loop {
            attempt += 1;
            match inner.post_token("authorization_code", attempt, &form).await {
                Ok(token) => break token,
                // A code is single use: retry only what never reached Coinbase.
                Err(TokenCallError::NotSent(_)) if attempt < inner.retry.attempts => {
                    tokio::time::sleep(inner.retry.delay(attempt)).await;
                }
                Err(TokenCallError::Rejected { error, description, .. })
                    if error == "invalid_grant" =>
                {
                    return Err(Error::reauthorize(ReauthorizationReason::CodeRejected {
                        description,
                    }));
                }
                Err(error) => return Err(token_error(error)),
            }
        };
        let now = inner.clock.now();
        let access_token = SecretString::from(token.access_token.clone());
        let mut record = TokenRecord {
            access_token,
            refresh_token: token.refresh_token.clone().map(SecretString::from),
            expires_at: token.expires_at(now),
            granted: token.granted().unwrap_or_else(ScopeSet::empty),
            send_limit: None,
            generation: TokenRecord::new_generation(),
            tombstone: None,
        };
        // The code is spent: from here on the tokens must end up saved,
        // whatever else fails, so that the app can use or revoke them.
        let info = match self.auth_info_with(&record.access_token).await {
            Ok(info) => info,
            Err(error) => {
                save_replacing(inner.store.as_ref(), key, &record).await?;
                tracing::warn!(target: "cb_client", "saved the tokens of an unverified grant: {error}");
                return Err(Error::GrantNotVerified { source: Box::new(error) });
            }
        };
        record.granted = match token.granted() {
            Some(from_token) if from_token != info.scopes => {
                tracing::warn!(
                    target: "cb_client",
                    token_response = %from_token,
                    user_auth = %info.scopes,
                    "the token response and /v2/user/auth disagree on the grant; using what both grant"
                );
                from_token.intersection(info.scopes)
            }
            _ => info.scopes,
        };
        record.send_limit = info.send_limit;
        let granted = record.granted;
        let version = save_replacing(inner.store.as_ref(), key, &record).await?;
        tracing::info!(
            target: "cb_client",
            access = %fingerprint(&record.access_token),
            granted = %granted,
            "exchanged an authorization code"
        );
        let session = self.session(key);
        session.replace(crate::store::Stored { record, version });
        let grant = Grant::<S>::check(granted).map_err(|error| Error::ScopesNotGranted {
            missing: error.missing(),
            granted: error.granted(),
        })?;
        Ok(Client::new(self.clone(), session, grant))
    }

    /// The client for the authorization stored under `key`, checked to cover
    /// `S` without a network call.
    ///
    /// # Errors
    ///
    /// [`Error::ReauthorizationRequired`] when nothing is stored or the
    /// stored authorization ended (a refresh was refused or its answer
    /// lost: the reason says which), [`Error::ScopesNotGranted`] when the
    /// stored grant is too small, and store errors.
    pub async fn restore<S: DeclaredScopes>(&self, key: &str) -> Result<Client<S>, Error> {
        let stored = self
            .inner
            .store
            .load(key)
            .await?
            .ok_or_else(|| Error::reauthorize(ReauthorizationReason::NotStored))?;
        if let Some(reason) = &stored.record.tombstone {
            return Err(Error::reauthorize(reason.clone()));
        }
        let granted = stored.record.granted;
        let grant = Grant::<S>::check(granted).map_err(|error| Error::ScopesNotGranted {
            missing: error.missing(),
            granted: error.granted(),
        })?;
        let session = self.session(key);
        session.adopt(stored);
        Ok(Client::new(self.clone(), session, grant))
    }

    /// Revokes the authorization stored under `key` and deletes it, whatever
    /// its grant: the way out of [`Error::ScopesNotGranted`].
    ///
    /// # Errors
    ///
    /// Transport, API and store errors; the record is kept unless Coinbase
    /// answered 200, so that revoking can be tried again. A record that
    /// ended already (its refresh was refused or lost) holds nothing
    /// usable and is deleted without a request.
    pub async fn revoke(&self, key: &str) -> Result<(), Error> {
        match self.restore::<AnyGrant>(key).await {
            Ok(client) => client.revoke().await,
            Err(Error::ReauthorizationRequired { reason })
                if reason != ReauthorizationReason::NotStored =>
            {
                self.inner.store.delete(key).await?;
                self.session(key).clear();
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// The grant stored under `key`, without a network call.
    ///
    /// # Errors
    ///
    /// As [`restore`](Self::restore), less the grant check.
    pub async fn stored_grant(&self, key: &str) -> Result<ScopeSet, Error> {
        let stored = self.inner.store.load(key).await?;
        stored
            .map(|stored| stored.record.granted)
            .ok_or_else(|| Error::reauthorize(ReauthorizationReason::NotStored))
    }

    /// One session per key in this process, shared by all its clients.
    pub(crate) fn session(&self, key: &str) -> Arc<Session> {
        let mut sessions =
            self.inner.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(session) = sessions.get(key).and_then(Weak::upgrade) {
            return session;
        }
        sessions.retain(|_, session| session.strong_count() > 0);
        let session = Arc::new(Session::new(key));
        sessions.insert(key.to_owned(), Arc::downgrade(&session));
        session
    }

    /// `GET /v2/user/auth` with a given token, for the exchange: a read,
    /// so transport failures, server errors and 429s are retried within
    /// the retry policy.
    async fn auth_info_with(&self, token: &SecretString) -> Result<AuthInfo, Error> {
        let inner = &self.inner;
        let url = inner.api_base.join("v2/user/auth").map_err(|e| Error::Config(e.to_string()))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let span = http::request_span(&"GET /v2/user/auth", &"", attempt);
            let error = match http::call_api(
                &inner.http,
                Method::GET,
                url.clone(),
                token,
                None,
                &[],
                inner.max_response_bytes,
            )
            .instrument(span)
            .await
            {
                ApiOutcome::Answer(answer) => return AuthInfo::from_data(&answer.body["data"]),
                ApiOutcome::Expired => {
                    return Err(Error::invalid_response(
                        "a fresh access token was refused as expired",
                    ));
                }
                ApiOutcome::Failed(error) => error,
            };
            let retryable = match &error {
                Error::Transport(_) | Error::RateLimited { retry_after: None } => true,
                Error::Api { status, .. } => *status >= 500,
                _ => false,
            };
            if !retryable || attempt >= inner.retry.attempts {
                return Err(error);
            }
            tokio::time::sleep(inner.retry.delay(attempt)).await;
        }
    }
}

/// Saves `record` under `key` over whatever is there. The tokens were just
/// issued and exist nowhere else, so a concurrent writer (another exchange
/// for the same key) is outwaited, a few times, rather than losing them.
async fn save_replacing(
    store: &dyn TokenStore,
    key: &str,
    record: &TokenRecord,
) -> Result<u64, Error> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let existing = store.load(key).await?.map(|stored| stored.version);
        match store.save(key, record, existing).await {
            Ok(version) => return Ok(version),
            Err(crate::StoreError::Conflict { .. }) if attempts < 5 => continue,
            Err(error) => return Err(error.into()),
        }
    }
}

/// The empty set: every stored grant covers it.
type AnyGrant = cb_scopes::scopes!();

/// A token-endpoint failure other than a refused grant, as an [`Error`].
pub(crate) fn token_error(error: TokenCallError) -> Error {
    match error {
        TokenCallError::Rejected { status, error, description } => Error::Api {
            status,
            errors: vec![crate::ApiError::new(error, description.unwrap_or_default())],
        },
        TokenCallError::NotSent(error) => Error::Transport(error),
        TokenCallError::Lost(_, Some(error)) => Error::Transport(error),
        TokenCallError::Lost(detail, None) => Error::invalid_response(detail),
        TokenCallError::Invalid(detail) | TokenCallError::Unreadable(detail) => {
            Error::invalid_response(detail)
        }
    }
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("OAuthClient")
            .field("client_id", &inner.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("redirect_uri", &inner.redirect_uri.as_str())
            .field("token_endpoint", &inner.token_endpoint.as_str())
            .field("api_base", &inner.api_base.as_str())
            .finish_non_exhaustive()
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
    /// default. A larger answer is an [`Error::InvalidResponse`], read no
    /// further than the cap.
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an empty client id or secret, a redirect URI or
    /// base that is not a URL, or a base that is plain `http` off loopback.
    pub fn build(self) -> Result<OAuthClient, Error> {
        if self.client_id.trim().is_empty() {
            return Err(Error::Config("the client id is empty".into()));
        }
        if self.client_secret.expose_secret().is_empty() {
            return Err(Error::Config("the client secret is empty".into()));
        }
        let redirect_uri = Url::parse(&self.redirect_uri)
            .map_err(|error| Error::Config(format!("the redirect URI is not a URL: {error}")))?;
        let login = secure_base("login base", &self.login_base)?;
        let api_base = secure_base("API base", &self.api_base)?;
        let endpoint =
            |path: &str| login.join(path).map_err(|error| Error::Config(error.to_string()));
        let loopback_only = is_loopback(&login) && is_loopback(&api_base);
        if !loopback_only && !cfg!(any(feature = "rustls", feature = "native-tls")) {
            return Err(Error::Config(
                "cb-client was built without TLS: enable its `rustls` or `native-tls` feature"
                    .into(),
            ));
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
                .map_err(|error| {
                    Error::Config(format!("the HTTP client could not be built: {error}"))
                })?,
        };
        Ok(OAuthClient {
            inner: Arc::new(Inner {
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
                sessions: Mutex::new(HashMap::new()),
            }),
        })
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
fn secure_base(what: &str, base: &str) -> Result<Url, Error> {
    let mut url = Url::parse(base)
        .map_err(|error| Error::Config(format!("the {what} is not a URL: {error}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        _ => {
            return Err(Error::Config(format!(
                "the {what} must be https (http only on loopback): {base}"
            )));
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
        assert_eq!(built.inner.token_endpoint.as_str(), "https://login.coinbase.com/oauth2/token");
        for (id, secret, redirect) in
            [("", "s", "https://a.example/"), ("i", "", "https://a.example/"), ("i", "s", "nope")]
        {
            assert!(matches!(
                OAuthClient::builder(id, secret, redirect).build(),
                Err(Error::Config(_))
            ));
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let retry = RetryPolicy::default()
            .attempts(5)
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(300))
            .jitter(false);
        let delays: Vec<u128> = (1..=4).map(|n| retry.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 300, 300]);
    }

    #[test]
    fn jitter_spreads_waits_below_their_bound() {
        let retry = RetryPolicy::default().base_delay(Duration::from_millis(100));
        let waits: Vec<Duration> = (0..1000).map(|_| retry.delay(2)).collect();
        assert!(waits.iter().all(|wait| *wait < Duration::from_millis(200)));
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 900, "waits are spread, not in lockstep");
        let mean = waits.iter().sum::<Duration>() / 1000;
        assert!(
            (Duration::from_millis(80)..Duration::from_millis(120)).contains(&mean),
            "uniform below the bound: mean {mean:?}"
        );
    }
}
