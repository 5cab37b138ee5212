//! `meedoen sortition`: owned by the sortition engine work (issue 4). Placeholder until it lands.

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum SortitionCommand {
    /// Select a panel.
    Select,
}

pub fn run(_cmd: SortitionCommand) -> ExitCode {
    eprintln!("meedoen sortition: nog niet beschikbaar");
    ExitCode::FAILURE
}
