//! OAuth2's endpoints: authorize (with its consent page), token and
//! revoke.
//!
//! `request` checks an authorize request and carries out a decision on
//! it; `consent_page` shows and takes the decision; `authorize` and
//! `token` are the routes.

pub(crate) mod authorize;
pub(crate) mod consent_page;
pub(crate) mod request;
pub(crate) mod token;
