//! The authorization half: the app's configuration, the token endpoint,
//! token records and their stores, the per-key session that refreshes, and
//! `OAuthClient`, which exchanges codes and restores clients.
//!
//! Files here depend downwards only: `config` and `tokens` on nothing of
//! this folder but the store's contract; `token_endpoint` on `config`;
//! `session` on those three; `oauth_client` and `builder` on everything
//! below them.

pub(crate) mod builder;
pub(crate) mod config;
pub(crate) mod oauth_client;
pub(crate) mod session;
pub mod store;
pub(crate) mod token_endpoint;
pub(crate) mod tokens;
