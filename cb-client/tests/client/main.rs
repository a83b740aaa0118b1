//! `cb-client` against `cb-sandbox`, over real HTTP on loopback.

mod chaos;
mod endpoints;
mod flow;
mod fuzz;
mod hostile;
mod refresh;
mod secrets;
mod support;
mod survival;
