//! Meedoen: the participation platform for Dutch municipalities.
//!
//! The web app is organised by feature module (`modules::*`, the modules of DESIGN.md),
//! each owning its routes, views, domain logic, queries and tests. Cross-cutting pieces:
//! `db` (the storage seam for SQLite and PostgreSQL), `web` (HTTP plumbing, access rights,
//! forms, i18n, layout), `jobs` (the background job runner kept in the database).

pub mod config;
pub mod db;
pub mod jobs;
pub mod modules;
pub mod pdf;
pub mod web;
