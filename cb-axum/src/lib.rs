//! "Connect Coinbase" for axum apps, with the scope set checked at compile
//! time in every handler.
//!
//! Connecting a Coinbase account from a web app has a few parts that are
//! easy to get wrong by hand, and this crate does them once:
//!
//! - **The callback belongs to one browser.** The sign-in in progress
//!   (its `state`, PKCE verifier and set) is sealed into the browser that
//!   started it: an encrypted, authenticated, short-lived `HttpOnly`,
//!   `SameSite=Lax` cookie, `__Host-` prefixed when cookies are `Secure`.
//!   The callback finishes only that browser's sign-in, within its lifetime.
//!   A callback URL an attacker approved with their own account and sent to
//!   a victim exchanges nothing (login CSRF), and no cookie planted from a
//!   sibling subdomain counts.
//! - **Any instance finishes any sign-in.** Nothing is kept server-side:
//!   instances that share the cookie key
//!   ([`cookie_key`](CoinbaseConnect::cookie_key)) and the token store
//!   complete each other's sign-ins, a restart loses none, and no amount of
//!   traffic on the connect route pushes another browser's sign-in out.
//! - **A partial grant is revoked at once**, and the app gets a typed
//!   [`ConnectOutcome`] to render (or the default page). **Consenting to
//!   more never loses what the user has**: a connected user's authorization
//!   stays until the larger grant is verified, and is then revoked at
//!   Coinbase.
//! - **Who the user is** is the app's to say, through [`UserKey`] (or
//!   [`AsyncUserKey`], for sessions read with an `.await`, such as
//!   `tower-sessions`); apps without a sign-in use [`SignedCookieUser`], a
//!   signed cookie.
//! - **Handlers say what they need in their type**: [`Coinbase<S>`] restores
//!   the user's authorization checked to cover `S`, so a handler that calls
//!   an endpoint outside `S` does not compile. A user whose grant is too
//!   small is sent to consent again for the larger set, and a handler that
//!   returns [`CoinbaseError<S>`] sends the user there too when a call finds
//!   the authorization ended.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use cb_axum::{Coinbase, CoinbaseConnect, SignedCookieUser};
//! use cb_client::{OAuthClient, cb_scopes::scopes};
//!
//! scopes! { pub struct Balances(wallet:accounts:read); }
//!
//! async fn balances(Coinbase(client): Coinbase<Balances>) -> String {
//!     client.accounts().all().await.map_or_else(|e| e.to_string(), |a| format!("{} accounts", a.len()))
//! }
//!
//! # async fn run(oauth: OAuthClient, key: axum_extra::extract::cookie::Key) {
//! let connect = CoinbaseConnect::<Balances>::new(oauth, SignedCookieUser::new(key));
//! let app = Router::new()
//!     .route("/balances", get(balances))
//!     .merge(connect.router())
//!     .layer(connect.layer());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```

#![deny(missing_docs)]

/// The guide: the longer walk-throughs, whose examples are doctests.
#[doc = include_str!("docs/guide.md")]
pub mod guide {}

mod connect;
mod extract;
mod failure;
mod layer;
mod outcome;
mod pages;
mod user;

pub use connect::{CoinbaseConnect, CoinbaseState, Rejection, RejectionReason};
pub use extract::Coinbase;
pub use failure::CoinbaseError;
pub use layer::{CoinbaseLayer, CoinbaseService};
pub use outcome::ConnectOutcome;
pub use user::{AsyncUserKey, SignedCookieUser, UserKey};

/// The signing key of [`SignedCookieUser`], from `axum-extra`.
pub use axum_extra::extract::cookie::Key;
