//! `meedoen pb`: owned by the pb engine work (issue 3). Placeholder until it lands.

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum PbCommand {
    /// Validate a pabulib file and print a summary.
    Check { file: std::path::PathBuf },
}

pub fn run(_cmd: PbCommand) -> ExitCode {
    eprintln!("meedoen pb: nog niet beschikbaar");
    ExitCode::FAILURE
}
