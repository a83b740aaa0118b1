//! A local stand-in for Coinbase's OAuth2 service and v2 API.
//!
//! Coinbase has no sandbox for OAuth2 apps, and creating an OAuth client
//! needs partner approval, so an app's tests, demos and development need a
//! faithful emulator. This crate is that emulator: a real HTTP server on
//! loopback, built on axum, that behaves as Coinbase's OAuth2 and v2 API
//! documentation describes: single-use codes and
//! refresh tokens, PKCE, scopes checked per endpoint, send limits, two-factor
//! challenges, `idem` deduplication, pagination and a rate limit.
//!
//! It speaks HTTP only and links none of the client-side crates, so it can
//! stand for the real service honestly; its scope list is its own
//! ([`SCOPES`]), checked against the client's by a workspace test.
//!
//! - **In-process**, for tests: [`Sandbox::start`] binds `127.0.0.1:0` and
//!   returns a handle with the base URL. The handle registers clients, seeds
//!   users and money, gives consent programmatically ([`Sandbox::consent`]),
//!   moves a controllable clock ([`Sandbox::advance`]), injects faults
//!   ([`Sandbox::inject_fault`]) and exposes counters and the ledger.
//! - **As a program**, while developing: `cargo run -p cb-sandbox -- --help`.
//!   The browser sees an HTML consent page; `--auto-approve` skips it.
//!
//! Where sources disagree (token lifetime, the status of
//! `two_factor_required`, the separator in a token response's `scope`),
//! [`SandboxConfig`] has a switch.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use cb_sandbox::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! sandbox.register_client("client-id", "client-secret", ["http://127.0.0.1:3000/callback"]);
//! let user = sandbox.seed_demo_user();
//! println!("authorize at {}", sandbox.authorize_endpoint());
//! # let _ = user;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

/// The guide: the longer walk-throughs, whose examples are doctests.
#[doc = include_str!("docs/guide.md")]
pub mod guide {}

mod api;
mod catalogue;
mod config;
mod faults;
mod middleware;
mod oauth;
mod router;
mod state;
mod wire;
mod world;

use std::net::SocketAddr;
use std::time::Duration;

use rust_decimal::Decimal;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use url::Url;

pub use catalogue::SCOPES;
pub use config::{SandboxConfig, ScopeSeparator, TokenLifetime, TwoFactorStatus};
pub use faults::{Fault, Times};
pub use oauth::request::AuthorizeError;
pub use world::ids::{AccountId, TransactionId, UserId};
pub use world::ledger::{TransactionKind, TransactionStatus};
pub use world::telemetry::{AccountSnapshot, LedgerEntry, RequestRecord, Stats};

use state::AppState;
use world::World;

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    state: AppState,
    base_url: Url,
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a sandbox on `127.0.0.1` and a free port, on the current tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// When the port cannot be bound.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        Sandbox::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts a sandbox on `address`.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub async fn start_on(address: SocketAddr, config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let base_url = Url::parse(&format!("http://{address}/"))
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
        let state = AppState::new(World::new(config));
        let app = router::router(state.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(target: "cb_sandbox", "the sandbox server failed: {error}");
            }
        });
        Ok(Sandbox { state, base_url, address, shutdown: Some(shutdown), server: Some(server) })
    }

    /// Where the sandbox listens, such as `http://127.0.0.1:41234/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The socket address the sandbox listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The authorize endpoint, `{base}/oauth2/auth`.
    pub fn authorize_endpoint(&self) -> String {
        format!("{}oauth2/auth", self.base_url)
    }

    /// The token endpoint, `{base}/oauth2/token`.
    pub fn token_endpoint(&self) -> String {
        format!("{}oauth2/token", self.base_url)
    }

    /// Changes the configuration of the running sandbox.
    pub fn configure(&self, change: impl FnOnce(&mut SandboxConfig)) {
        self.state.world(|world| change(&mut world.config));
    }

    /// Registers an OAuth client, replacing one with the same id. Redirect
    /// URIs are matched exactly, as Coinbase does; those that do not parse as
    /// URLs are ignored.
    pub fn register_client<I>(&self, id: &str, secret: &str, redirect_uris: I)
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let redirect_uris = redirect_uris.into_iter().map(|uri| uri.as_ref().to_owned()).collect();
        self.state.world(|world| world.register_client(id, secret, redirect_uris));
    }

    /// Adds a user with a sandbox bank account, and returns their id.
    pub fn add_user(&self, name: &str, email: &str) -> UserId {
        UserId::from(self.state.world(|world| world.add_user(name, email)))
    }

    /// Gives `user` an account in `currency` holding `balance` (money from
    /// outside the sandbox), and returns its id. The user's first account is
    /// their primary one.
    pub fn add_account(&self, user: &str, currency: &str, balance: Decimal) -> AccountId {
        AccountId::from(self.state.world(|world| world.add_funded_account(user, currency, balance)))
    }

    /// Adds the demo user (a BTC wallet with 0.5 BTC, primary, and a USD
    /// wallet with 1,000.00 USD), makes them the user who signs in to the
    /// consent page, and returns their id.
    pub fn seed_demo_user(&self) -> UserId {
        let user = self.add_user("Satoshi Demo", "demo@sandbox.example");
        self.add_account(&user, "BTC", Decimal::new(5, 1));
        self.add_account(&user, "USD", Decimal::new(100_000, 2));
        self.set_signed_in_user(&user);
        user
    }

    /// Makes `user` the one signed in to the consent page.
    pub fn set_signed_in_user(&self, user: &str) {
        self.state.world(|world| world.demo_user = Some(user.to_owned()));
    }

    /// Reads an authorize URL as the authorize endpoint would, and returns
    /// the consent to give or refuse.
    ///
    /// # Errors
    ///
    /// The consent page's error, such as `Invalid amount for
    /// meta[send_limit_amount]`.
    pub fn consent(&self, authorize_url: &str) -> Result<Consent<'_>, AuthorizeError> {
        let query = Url::parse(authorize_url)
            .map_err(|_| AuthorizeError::new("The authorize URL is not a URL"))?
            .query()
            .unwrap_or("")
            .to_owned();
        let request = self.state.world(|world| world::AuthorizeRequest::validate(world, &query))?;
        Ok(Consent { sandbox: self, request, user: None, scopes: None, accounts: None })
    }

    /// The sandbox's current time.
    pub fn now(&self) -> OffsetDateTime {
        self.state.world(|world| world.now())
    }

    /// Moves the sandbox's clock forward: tokens and codes expire, send-limit
    /// periods and rate-limit windows roll over, without sleeping.
    pub fn advance(&self, by: Duration) {
        self.state.world(|world| world.clock_offset += by);
    }

    /// The last two-factor code sent to `user`, as their phone would show it.
    pub fn two_factor_code(&self, user: &str) -> Option<String> {
        self.state.world(|world| world.last_two_factor_code.get(user).cloned())
    }

    /// Makes requests to `route` (a pattern such as `/oauth2/token` or
    /// `/v2/accounts/{account}/transactions`) with `method` fail as `fault`
    /// says, `times` times.
    pub fn inject_fault(&self, method: &str, route: &str, fault: Fault, times: Times) {
        self.state.world(|world| world.faults.insert(method, route, fault, times));
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.state.world(|world| world.faults.clear());
    }

    /// The counters: code grants, refreshes, `invalid_grant` answers and more.
    pub fn stats(&self) -> Stats {
        self.state.world(|world| world.stats)
    }

    /// The requests answered so far (the most recent 5,000 to 10,000 in a
    /// long run), with the scope each needed.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.world(|world| world.requests.clone())
    }

    /// Whether a refresh token was already exchanged; `None` when the sandbox
    /// never issued it.
    pub fn refresh_token_spent(&self, token: &str) -> Option<bool> {
        self.state.world(|world| world.refresh_tokens.get(token).map(|refresh| refresh.spent))
    }

    /// The accounts of `user`, with their balances.
    pub fn accounts(&self, user: &str) -> Vec<AccountSnapshot> {
        self.state.world(|world| world.account_snapshots(user))
    }

    /// The transactions of one account, in the order they were made; of
    /// one kind only when `kind` is given.
    pub fn ledger_of(&self, account: &str, kind: Option<TransactionKind>) -> Vec<LedgerEntry> {
        let mine = |entry: &LedgerEntry| {
            entry.account_id == account && kind.is_none_or(|kind| entry.kind == kind)
        };
        self.ledger().into_iter().filter(mine).collect()
    }

    /// Gives `account` `n` completed transactions at once, without any
    /// consent or two-factor round: each a `receive` of the smallest unit
    /// of its currency (0.01 for fiat, 0.00000001 for crypto) from outside
    /// the sandbox, so that money still adds up. For tests of pagination
    /// and listing. Returns their ids, oldest first; none for an unknown
    /// account.
    pub fn seed_transactions(&self, account: &str, n: usize) -> Vec<TransactionId> {
        let ids = self.state.world(|world| world.seed_transactions(account, n));
        ids.into_iter().map(TransactionId::from).collect()
    }

    /// Moves an Advanced Trade product's price (`BTC-USD`, `ETH-USD`,
    /// `LTC-USD`, `USDC-USD`, `ETH-BTC`; they start at the fixed v2
    /// prices), and lets the market react: stop orders the price reached
    /// trigger, and resting limit orders it crossed fill. Returns whether
    /// the product exists.
    pub fn set_price(&self, product: &str, price: Decimal) -> bool {
        self.state.world(|world| world.set_price(product, price))
    }

    /// A clock that reads the sandbox's time, for the client:
    /// `OAuthClient::builder(..).clock(sandbox.clock())` makes tokens expire
    /// for the client when [`advance`](Self::advance) moves the sandbox on.
    pub fn clock(&self) -> impl Fn() -> std::time::SystemTime + Send + Sync + 'static {
        let state = self.state.clone();
        move || std::time::SystemTime::from(state.world(|world| world.now()))
    }

    /// Every transaction, in the order they were made.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.state.world(|world| world.ledger_entries())
    }

    /// Per currency, the money that left the sandbox (to banks, external
    /// addresses and the market), less what came in. Together with the
    /// balances it sums to zero: nothing is created or lost.
    pub fn outside_balances(&self) -> Vec<(String, Decimal)> {
        self.state.world(|world| world.outside.iter().map(|(c, a)| (c.clone(), *a)).collect())
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("base_url", &self.base_url.as_str()).finish_non_exhaustive()
    }
}

/// A consent to give or refuse, as the user on the consent page would.
#[derive(Debug)]
pub struct Consent<'a> {
    sandbox: &'a Sandbox,
    request: world::AuthorizeRequest,
    user: Option<String>,
    scopes: Option<Vec<String>>,
    accounts: Option<Vec<String>>,
}

impl Consent<'_> {
    /// Consents as `user` instead of the signed-in user.
    pub fn as_user(mut self, user: &str) -> Self {
        self.user = Some(user.to_owned());
        self
    }

    /// Grants only these of the requested scopes, as a user who unticks the
    /// others.
    pub fn grant_only<I>(mut self, scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.scopes = Some(scopes.into_iter().map(|scope| scope.as_ref().to_owned()).collect());
        self
    }

    /// Selects these accounts (with `account=select`) instead of every
    /// account the page offers.
    pub fn accounts<I>(mut self, accounts: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.accounts = Some(accounts.into_iter().map(|id| id.as_ref().to_owned()).collect());
        self
    }

    /// Approves, and returns the redirect with the code and state.
    ///
    /// # Errors
    ///
    /// When a scope to grant was not requested, an account is not offered, or
    /// there is no user to consent as.
    pub fn approve(self) -> Result<Url, AuthorizeError> {
        let Consent { sandbox, request, user, scopes, accounts } = self;
        sandbox.state.world(|world| request.approve_as(world, user, scopes, accounts))
    }

    /// Denies, and returns the redirect with `error=access_denied`.
    pub fn deny(self) -> Url {
        self.request.deny()
    }
}
