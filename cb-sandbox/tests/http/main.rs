//! The sandbox's rules, each checked with real HTTP requests against a
//! running sandbox on loopback.

mod advanced_trade;
mod api;
mod consent;
mod faults;
mod fuzz;
mod money;
mod oauth;
mod program;
mod soak;
mod support;
