//! The runtime half of cb-scopes: from an authorization code to a typed
//! client that stays usable for months.
//!
//! `cb-scopes` makes an app's scope set a type and each endpoint's scope a
//! bound. This crate is where that type meets Coinbase:
//!
//! - **The border.** [`OAuthClient::exchange`] turns the code the callback
//!   brought into a [`Client<S>`], but only once the token response's
//!   `scope` and `GET /v2/user/auth` show that Coinbase granted every scope
//!   of `S`; users can untick scopes on the consent page, and then the answer
//!   is [`Error::ScopesNotGranted`], naming them. [`OAuthClient::restore`]
//!   makes the same check against the stored grant, without a network call.
//! - **Single-use refresh tokens.** Each refresh returns a new pair and
//!   spends the old refresh token, so a lost or doubled refresh locks the
//!   user out. Refreshes are single-flight per authorization in a process,
//!   serialized across processes by the store's refresh lock, and the new
//!   pair is saved (compare-and-swap) before anyone uses it. A refresh whose
//!   answer was lost is reported as such, never retried in a loop.
//! - **Typed endpoints.** Every v2 endpoint is a method of [`Client<S>`],
//!   annotated with the same `#[requires_scope]` apps write, so calling one
//!   whose scope `S` lacks does not compile. Models use decimals for money;
//!   lists page or stream ([`List`]); sends carry an `idem` on every retry
//!   and turn a two-factor challenge into [`PendingSend::confirm`]. Retries
//!   are bounded and only where repeating cannot do a thing twice.
//! - **Storage** is a [`TokenStore`]: [`MemoryStore`]; [`FileStore`] with
//!   atomic, private, locked files; `PgStore` (feature `postgres`) and
//!   `RedisStore` (feature `redis`) for many instances. Saves are
//!   compare-and-swap, and the shared stores serialize refreshes across
//!   processes; the trait's docs say how to write another.
//!   `store::EncryptedStore` (feature `encryption`) encrypts the tokens of
//!   any of them at rest.
//! - **Secrets** (the client secret, tokens, the PKCE verifier) are
//!   [`SecretString`](secrecy::SecretString)s: redacted in `Debug`, wiped on
//!   drop, and logged only as a [`fingerprint`].
//!
//! ```no_run
//! use cb_client::{FileStore, OAuthClient};
//! use cb_scopes::scopes;
//!
//! scopes! {
//!     #[send_limit(amount = "50.00", currency = "USD", period = "day")]
//!     pub struct Payouts(wallet:accounts:read, wallet:transactions:send);
//! }
//!
//! # async fn demo(redirect_url: &str, pending: cb_scopes::PendingAuthorization<Payouts>) -> Result<(), Box<dyn std::error::Error>> {
//! let oauth = OAuthClient::builder("client-id", "client-secret", "https://app.example/callback")
//!     .store(FileStore::new("tokens")?)
//!     .build()?;
//! // 1. Send the user to Coinbase.
//! let (url, pending) = oauth.authorize_url::<Payouts>().build()?;
//! // 2. The browser comes back to the redirect URI.
//! let code = pending.complete(redirect_url)?;
//! let client = oauth.exchange(code, "user-42").await?;
//! println!("granted: {}", client.granted());
//! // 3. Any time later, in any process sharing the store.
//! let client = oauth.restore::<Payouts>("user-42").await?;
//! client.revoke().await?;
//! # let _ = url; Ok(()) }
//! ```

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The guide: the longer walk-throughs, whose examples are doctests.
#[doc = include_str!("docs/guide.md")]
pub mod guide {}

mod api;
mod auth;
mod error;
#[cfg(feature = "installed")]
mod installed;
mod wire;

/// What [`endpoint!`] expands to; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::api::custom::{CustomEndpoint, route_params};
    pub use reqwest::Method;
    pub use serde_json;
}

pub use api::bodies::{RequestMoney, SavedSend, SendMoney, TradeOrder, Transfer};
pub use api::client::Client;
pub use api::cursor_list::{CursorList, CursorListPage};
pub use api::list::{List, Order, Page};
pub use api::models;
pub use api::models::AuthInfo;
pub use api::models::order_configuration::{OrderConfiguration, Side, StopDirection};
pub use api::orders::{ClosePosition, NewOrder};
#[cfg(feature = "rate-limit")]
#[cfg_attr(docsrs, doc(cfg(feature = "rate-limit")))]
pub use api::rate_limit::RateLimits;
pub use api::request::ApiRequest;
pub use api::transport::CB_VERSION;
pub use auth::builder::OAuthClientBuilder;
pub use auth::config::{
    AuthorizationEnded, COINBASE_API_BASE, COINBASE_LOGIN_BASE, Clock, RetryPolicy,
};
pub use auth::oauth_client::OAuthClient;
pub use auth::store;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use auth::store::PgStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use auth::store::RedisStore;
pub use auth::store::{FileStore, MemoryStore, RefreshLock, StoreError, Stored, TokenStore};
pub use auth::tokens::{RecordError, TokenRecord, fingerprint};
pub use error::{
    ApiError, ConfigError, Error, OrderRefusal, OrderRefusalReason, PendingSend,
    ReauthorizationReason,
};
#[cfg(feature = "installed")]
#[cfg_attr(docsrs, doc(cfg(feature = "installed")))]
pub use installed::{LoopbackError, LoopbackRedirect};

/// `cb-scopes`, re-exported so that an app can depend on this crate alone.
pub use cb_scopes;
/// The `reqwest` this crate is built on, for
/// [`OAuthClientBuilder::http_client`] and [`Error::Transport`]'s source: use
/// it rather than a direct dependency, so that versions cannot drift apart.
pub use reqwest;
/// The decimal type of every amount (`SendMoney::new` takes one), so that
/// an app need not depend on `rust_decimal` itself.
pub use rust_decimal::{self, Decimal};
/// The time types of the models' timestamps.
pub use time::{self, OffsetDateTime};
/// The `url` this crate's URLs come from.
pub use url;
