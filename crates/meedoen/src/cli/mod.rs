//! Command-line entries. Each subcommand family lives in its own file.

pub mod pb;
pub mod serve;
pub mod sortition;
