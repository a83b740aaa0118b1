//! `AuthorizeUrl<S>`: Coinbase's authorize URL, built from a declared set.

use std::fmt;
use std::marker::PhantomData;

use url::Url;

use crate::pkce::{self, RandomnessUnavailable};
use crate::{DeclaredScopes, PendingAuthorization, Scope, ScopeSet};

/// Coinbase's authorize endpoint, where the user's browser is sent.
pub const COINBASE_AUTHORIZE_ENDPOINT: &str = "https://login.coinbase.com/oauth2/auth";

/// The shortest `state` Coinbase accepts.
const MIN_STATE_CHARS: usize = 8;

/// Which of the user's wallets the app may reach: Coinbase's `account`
/// parameter.
///
/// The access combines with the scopes: `All` with `wallet:buys:create` can
/// buy on every wallet, and still sell on none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Account {
    /// The user picks the wallets on the consent page; Coinbase's default.
    /// [`AuthorizeUrl::account_currency`] narrows the list they pick from.
    Select,
    /// Every wallet of the user.
    All,
}

impl Account {
    /// The wire value: `select` or `all`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Account::Select => "select",
            Account::All => "all",
        }
    }
}

/// Builds the URL that sends a user to Coinbase to authorize the scope set `S`.
///
/// Everything the set decides is taken from it: the `scope` parameter, in
/// catalogue order, and the `meta[send_limit_*]` parameters, present exactly
/// when the set has `wallet:transactions:send`. Each [`build`](Self::build)
/// adds a fresh `state` and PKCE S256 challenge, and returns the
/// [`PendingAuthorization`] to keep until the user comes back.
///
/// ```
/// use cb_scopes::{AuthorizeUrl, scopes};
///
/// scopes! {
///     #[send_limit(amount = "50.00", currency = "USD", period = "day")]
///     pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
/// }
///
/// let (url, pending) =
///     AuthorizeUrl::<Payouts>::new("my-client-id", "https://app.example/callback").build()?;
/// let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
/// assert!(query.contains(&(
///     "scope".into(),
///     "wallet:accounts:read,wallet:transactions:send,offline_access".into()
/// )));
/// assert!(query.contains(&("meta[send_limit_amount]".into(), "50.00".into())));
/// assert!(query.contains(&("state".into(), pending.state().into())));
/// # Ok::<(), cb_scopes::AuthorizeUrlError>(())
/// ```
///
/// Options are checked when the URL is built, and every problem is a typed
/// [`AuthorizeUrlError`]. One builder can serve many users: `build` takes
/// `&self`, and each call draws a new state and verifier unless
/// [`state`](Self::state) fixed one.
pub struct AuthorizeUrl<S> {
    endpoint: String,
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    account: Option<Account>,
    account_currencies: Option<Vec<String>>,
    signup_layout: bool,
    referral: Option<String>,
    refresh_token: bool,
    set: PhantomData<fn() -> S>,
}

impl<S: DeclaredScopes> AuthorizeUrl<S> {
    /// A builder for the app registered as `client_id`, to which Coinbase
    /// sends the user back at `redirect_uri`. The redirect URI must match one
    /// registered with Coinbase exactly.
    pub fn new(client_id: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        AuthorizeUrl {
            endpoint: COINBASE_AUTHORIZE_ENDPOINT.to_owned(),
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            state: None,
            account: None,
            account_currencies: None,
            signup_layout: false,
            referral: None,
            refresh_token: true,
            set: PhantomData,
        }
    }

    /// Sends the user to another authorize endpoint, such as `cb-sandbox`'s
    /// `http://127.0.0.1:PORT/oauth2/auth`, instead of
    /// [`COINBASE_AUTHORIZE_ENDPOINT`]. It must be `https`, or `http` on a
    /// loopback address.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Uses `state` instead of a random one: for example a value that already
    /// keys the app's session. It must be unguessable and at least 8
    /// characters long, as Coinbase requires.
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Which wallets the app may reach. Without it Coinbase lets the user
    /// select them.
    pub fn account(mut self, account: Account) -> Self {
        self.account = Some(account);
        self
    }

    /// Limits the wallets the user can select to these currencies, such as
    /// `["BTC", "ETH"]`. This only means something with [`Account::Select`]:
    /// it sends `account=select` when no account option was given, and
    /// building fails with [`AuthorizeUrlError::AccountCurrencyNeedsSelect`]
    /// together with [`Account::All`].
    ///
    /// Codes are upper-cased; each is 1 to 10 ASCII letters or digits.
    pub fn account_currency<I>(mut self, currencies: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let codes = currencies.into_iter().map(|code| code.as_ref().to_ascii_uppercase());
        self.account_currencies = Some(codes.collect());
        self
    }

    /// Shows logged-out users Coinbase's sign-up page instead of its log-in
    /// page (`layout=signup`).
    pub fn layout_signup(mut self) -> Self {
        self.signup_layout = true;
        self
    }

    /// The developer's referral id, which earns a bonus for users who sign up
    /// through this authorization.
    pub fn referral(mut self, referral: impl Into<String>) -> Self {
        self.referral = Some(referral.into());
        self
    }

    /// Leaves `offline_access` out of the requested scopes, which is
    /// otherwise added because Coinbase issues no refresh token without it.
    /// The authorization then ends when its access token expires. This has no
    /// effect when `S` itself declares `offline_access`.
    pub fn without_refresh_token(mut self) -> Self {
        self.refresh_token = false;
        self
    }

    /// The scopes the URL asks for: the set's, plus `offline_access` unless
    /// [`without_refresh_token`](Self::without_refresh_token) was called.
    pub fn requested_scopes(&self) -> ScopeSet {
        let declared = ScopeSet::of::<S>();
        if self.refresh_token { declared.with(Scope::OfflineAccess) } else { declared }
    }

    /// Builds the URL, and the pending authorization to keep until the
    /// browser comes back to the redirect URI.
    ///
    /// # Errors
    ///
    /// An [`AuthorizeUrlError`] naming the option that is wrong.
    pub fn build(&self) -> Result<(Url, PendingAuthorization<S>), AuthorizeUrlError> {
        let mut url = parse_endpoint(&self.endpoint)?;
        if self.client_id.trim().is_empty() {
            return Err(AuthorizeUrlError::EmptyClientId);
        }
        let redirect_uri = parse_redirect_uri(&self.redirect_uri)?;
        let state = match &self.state {
            Some(state) if state.chars().count() < MIN_STATE_CHARS => {
                return Err(AuthorizeUrlError::StateTooShort);
            }
            Some(state) => state.clone(),
            None => pkce::random_token()?,
        };
        let account = self.checked_account()?;
        let currencies = self.checked_currencies()?;
        let referral = match &self.referral {
            Some(referral) if referral.trim().is_empty() => {
                return Err(AuthorizeUrlError::EmptyReferral);
            }
            referral => referral.as_deref(),
        };
        let requested = self.requested_scopes();
        let verifier = pkce::random_token()?;

        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", redirect_uri.as_str());
            if !requested.is_empty() {
                query.append_pair("scope", &requested.to_string());
            }
            query
                .append_pair("state", &state)
                .append_pair("code_challenge", &pkce::s256_challenge(&verifier))
                .append_pair("code_challenge_method", "S256");
            if let Some(account) = account {
                query.append_pair("account", account.as_str());
            }
            if let Some(currencies) = currencies {
                query.append_pair("account_currency", &currencies.join(","));
            }
            if self.signup_layout {
                query.append_pair("layout", "signup");
            }
            if let Some(referral) = referral {
                query.append_pair("referral", referral);
            }
            // `scopes!` requires a limit exactly when the set can send.
            if let Some(limit) =
                S::SEND_LIMIT.filter(|_| requested.contains(Scope::WalletTransactionsSend))
            {
                query
                    .append_pair("meta[send_limit_amount]", &limit.amount().to_string())
                    .append_pair("meta[send_limit_currency]", limit.currency().as_str())
                    .append_pair("meta[send_limit_period]", limit.period().as_str());
            }
        }
        let pending = PendingAuthorization::new(state, verifier, redirect_uri, requested);
        Ok((url, pending))
    }

    fn checked_account(&self) -> Result<Option<Account>, AuthorizeUrlError> {
        match (self.account, &self.account_currencies) {
            (Some(Account::All), Some(_)) => Err(AuthorizeUrlError::AccountCurrencyNeedsSelect),
            (None, Some(_)) => Ok(Some(Account::Select)),
            (account, _) => Ok(account),
        }
    }

    fn checked_currencies(&self) -> Result<Option<&[String]>, AuthorizeUrlError> {
        let Some(currencies) = &self.account_currencies else { return Ok(None) };
        if currencies.is_empty() {
            return Err(AuthorizeUrlError::InvalidAccountCurrency(String::new()));
        }
        let valid = |code: &String| {
            (1..=10).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        match currencies.iter().find(|code| !valid(code)) {
            Some(bad) => Err(AuthorizeUrlError::InvalidAccountCurrency(shorten(bad))),
            None => Ok(Some(currencies)),
        }
    }
}

impl<S> Clone for AuthorizeUrl<S> {
    fn clone(&self) -> Self {
        AuthorizeUrl {
            endpoint: self.endpoint.clone(),
            client_id: self.client_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
            account: self.account,
            account_currencies: self.account_currencies.clone(),
            signup_layout: self.signup_layout,
            referral: self.referral.clone(),
            refresh_token: self.refresh_token,
            set: PhantomData,
        }
    }
}

impl<S> fmt::Debug for AuthorizeUrl<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A caller-supplied state keys a session, so it is not printed.
        f.debug_struct("AuthorizeUrl")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("state", &self.state.as_ref().map(|_| "[REDACTED]"))
            .field("account", &self.account)
            .field("account_currencies", &self.account_currencies)
            .field("signup_layout", &self.signup_layout)
            .field("referral", &self.referral)
            .field("refresh_token", &self.refresh_token)
            .finish()
    }
}

fn parse_endpoint(endpoint: &str) -> Result<Url, AuthorizeUrlError> {
    let url = Url::parse(endpoint)
        .map_err(|error| AuthorizeUrlError::InvalidEndpoint { reason: error.to_string() })?;
    let insecure_reason = match url.scheme() {
        "https" => None,
        "http" if crate::__private::is_loopback(&url) => None,
        "http" => Some("plain http is only allowed on a loopback address"),
        _ => Some("the scheme must be https"),
    };
    if let Some(reason) = insecure_reason {
        return Err(AuthorizeUrlError::InvalidEndpoint { reason: reason.to_owned() });
    }
    if url.query().is_some() || url.fragment().is_some() {
        let reason = "it must not have a query or a fragment".to_owned();
        return Err(AuthorizeUrlError::InvalidEndpoint { reason });
    }
    Ok(url)
}

fn parse_redirect_uri(redirect_uri: &str) -> Result<Url, AuthorizeUrlError> {
    let url = Url::parse(redirect_uri)
        .map_err(|error| AuthorizeUrlError::InvalidRedirectUri { reason: error.to_string() })?;
    if url.fragment().is_some() {
        // RFC 6749 section 3.1.2: a redirection endpoint has no fragment.
        let reason = "it must not have a fragment".to_owned();
        return Err(AuthorizeUrlError::InvalidRedirectUri { reason });
    }
    if url.cannot_be_a_base() {
        let reason = "it must be a hierarchical URL such as https://host/path".to_owned();
        return Err(AuthorizeUrlError::InvalidRedirectUri { reason });
    }
    Ok(url)
}

/// Caps a user-supplied value quoted in an error.
fn shorten(value: &str) -> String {
    const MAX_CHARS: usize = 32;
    if value.chars().count() <= MAX_CHARS {
        value.to_owned()
    } else {
        value.chars().take(MAX_CHARS).chain(std::iter::once('…')).collect()
    }
}

/// Why an authorize URL could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthorizeUrlError {
    /// The client id is empty.
    EmptyClientId,
    /// The redirect URI is not an absolute URL Coinbase could send a browser
    /// to.
    InvalidRedirectUri {
        /// What is wrong with it.
        reason: String,
    },
    /// The authorize endpoint is not a URL, or not a safe one.
    InvalidEndpoint {
        /// What is wrong with it.
        reason: String,
    },
    /// The state given to [`AuthorizeUrl::state`] has fewer than 8
    /// characters, which Coinbase rejects.
    StateTooShort,
    /// [`AuthorizeUrl::account_currency`] was combined with [`Account::All`];
    /// Coinbase only narrows the wallets a user selects.
    AccountCurrencyNeedsSelect,
    /// A currency given to [`AuthorizeUrl::account_currency`] is not 1 to 10
    /// ASCII letters or digits, or the list is empty (shown as `""`).
    InvalidAccountCurrency(String),
    /// The referral id is empty.
    EmptyReferral,
    /// No random state or verifier could be drawn.
    Randomness(RandomnessUnavailable),
}

impl fmt::Display for AuthorizeUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorizeUrlError::EmptyClientId => f.write_str("the client id is empty"),
            AuthorizeUrlError::InvalidRedirectUri { reason } => {
                write!(f, "the redirect URI is invalid: {reason}")
            }
            AuthorizeUrlError::InvalidEndpoint { reason } => {
                write!(f, "the authorize endpoint is invalid: {reason}")
            }
            AuthorizeUrlError::StateTooShort => write!(
                f,
                "the state must be at least {MIN_STATE_CHARS} characters long, as Coinbase requires"
            ),
            AuthorizeUrlError::AccountCurrencyNeedsSelect => f.write_str(
                "account_currency narrows the wallets a user selects, so it cannot be combined \
                 with account=all",
            ),
            AuthorizeUrlError::InvalidAccountCurrency(code) if code.is_empty() => {
                f.write_str("account_currency needs at least one currency")
            }
            AuthorizeUrlError::InvalidAccountCurrency(code) => write!(
                f,
                "invalid account currency {code:?}: expected 1 to 10 letters or digits, such as BTC"
            ),
            AuthorizeUrlError::EmptyReferral => f.write_str("the referral id is empty"),
            AuthorizeUrlError::Randomness(error) => {
                write!(f, "no state or PKCE verifier could be made: {error}")
            }
        }
    }
}

impl std::error::Error for AuthorizeUrlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthorizeUrlError::Randomness(error) => Some(error),
            _ => None,
        }
    }
}

impl From<RandomnessUnavailable> for AuthorizeUrlError {
    fn from(error: RandomnessUnavailable) -> Self {
        AuthorizeUrlError::Randomness(error)
    }
}
