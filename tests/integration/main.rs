//! Workspace-level integration tests, in one binary.

mod architecture;
mod authorize;
mod catalogue;
mod chaos;
mod least_privilege;
mod postgres;
mod readme;
mod redis;
mod shared_store;
mod store_contract;
mod ui;
mod workers;
