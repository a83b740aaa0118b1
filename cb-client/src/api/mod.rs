//! The API half: `Client<S>`, its endpoints and models, and the executor
//! every endpoint goes through.
//!
//! Files here depend downwards: `models` and `bodies` on nothing of the
//! client but the error; `transport` makes one HTTP call; `executor` adds
//! the token, the replay after a refresh and the retries; `list` and
//! `two_factor` build on the executor; `client` holds a connection; the
//! `endpoints` are methods of `Client<S>`, one file per resource, and
//! `custom` lets an app declare its own the same way.

pub(crate) mod bodies;
pub(crate) mod client;
pub(crate) mod cursor_list;
pub(crate) mod custom;
mod endpoints;
pub(crate) mod executor;
pub(crate) mod list;
pub mod models;
pub(crate) mod orders;
#[cfg(feature = "rate-limit")]
pub(crate) mod rate_limit;
pub(crate) mod request;
pub(crate) mod transport;
pub(crate) mod two_factor;
