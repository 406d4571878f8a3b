//! `sma`: the local shape of sma (one server on an embedded store) and its CLI.

mod cli;

use clap::Parser;

/// Intake and import allocate on one thread and free on another (a batch's
/// messages are built by the reader and dropped after the SQLite writer stored
/// them). Under glibc's allocator malloc and free took about a seventh of an
/// import's CPU; with mimalloc an import runs about 15% faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::Cli::parse().run()
}
