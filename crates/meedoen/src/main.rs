//! The one `meedoen` binary: the web platform and the command-line entries of the
//! algorithmic cores.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

#[derive(Parser)]
#[command(
    name = "meedoen",
    version,
    about = "Meedoen: participatieplatform voor gemeenten"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web platform.
    Serve(cli::serve::ServeArgs),
    /// Apply database migrations and stop.
    Migrate(cli::serve::DbArgs),
    /// Manage accounts from the shell.
    #[command(subcommand)]
    Admin(cli::serve::AdminCommand),
    /// Fill a database with city-scale data for the load benchmark.
    BenchSeed(cli::serve::BenchSeedArgs),
    /// Fill a database for the buurtbudget voting benchmark (scripts/bench/vote.sh).
    BbBenchSeed(meedoen::modules::buurtbudget::bench::SeedArgs),
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
        Command::Serve(args) => cli::serve::serve(args),
        Command::Migrate(db) => cli::serve::migrate(db),
        Command::Admin(cmd) => cli::serve::admin(cmd),
        Command::BenchSeed(args) => cli::serve::bench_seed(args),
        Command::BbBenchSeed(args) => meedoen::modules::buurtbudget::bench::run_seed(args),
        Command::Pb(cmd) => cli::pb::run(cmd),
        Command::Sortition(cmd) => cli::sortition::run(cmd),
    }
}
