//! `cb-client` against `cb-sandbox`, over real HTTP on loopback.

mod capture;
mod chaos;
mod custom;
mod endpoints;
mod flow;
mod fuzz;
mod hostile;
#[cfg(feature = "installed")]
mod installed;
mod listing;
mod observe;
mod refresh;
mod secrets;
mod support;
mod survival;
mod trading;
