//! Black-box HTTP tests: the real app on a real database, every test body on SQLite and
//! on PostgreSQL (`both_backends!`). One test binary for all of them keeps link times
//! down; a module adds its own file here (`mod <module>;`). See docs/testing.md.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod access;
mod burgerberaad;
mod buurtbudget;
mod kern_admin;
mod kern_auth;
mod kern_input;
mod kern_platform;
mod trajecten;
