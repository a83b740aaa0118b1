//! Typed models of Coinbase's v2 resources.

mod auth;

pub use auth::AuthInfo;
