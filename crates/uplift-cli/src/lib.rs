//! The command line of Uplift, and its only composition root: it reads settings, opens the
//! chosen database, builds the [`uplift_app::App`] and hands it to a command.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod startup;

pub use cli::Cli;

/// Parses the command line, runs the command, and turns an error into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    startup::init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
