//! `sma`: the local shape of sma (one server on an embedded store) and its CLI.

mod alloc;
mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::Cli::parse().run()
}
