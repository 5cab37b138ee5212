//! The one `meedoen` binary: the web platform and the command-line entries of the
//! algorithmic cores.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

#[derive(Parser)]
#[command(name = "meedoen", version, about = "Meedoen: participatieplatform voor gemeenten")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Participatory budgeting: read, check, tally and verify pabulib files.
    #[command(subcommand)]
    Pb(cli::pb::PbCommand),
    /// Citizens' assembly selection (sortition).
    #[command(subcommand)]
    Sortition(cli::sortition::SortitionCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Pb(cmd) => cli::pb::run(cmd),
        Command::Sortition(cmd) => cli::sortition::run(cmd),
    }
}
