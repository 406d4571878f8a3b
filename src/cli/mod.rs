//! The command line: one subcommand per job, each in its own module.

mod backfill;
mod checkpoint;
mod context;
mod delete;
mod detect;
mod r#gen;
mod import;
mod logging;
mod rebuild;
mod redrive;
mod report;
mod serve;
mod spend;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Honest marketing attribution from the Segment data you already collect.
#[derive(Debug, Parser)]
#[command(name = "sma", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve every endpoint on localhost with the embedded store (SMA_DB).
    Serve,
    /// Import Segment archives (S3 `segment-logs/`, .gz, .jsonl, .json, `-`) into the store (SMA_DB).
    Import(import::Args),
    /// Write realistic synthetic history as a Segment S3-style archive.
    Gen(r#gen::Args),
    /// Detect the source of a visit from its page URL and referrer.
    Detect(detect::Args),
    /// Conversions and value per channel under one attribution model.
    Report(report::Args),
    /// Import ad spend per day and campaign (CSV), for ROAS and CAC in reports.
    Spend(spend::Args),
    /// Re-send identify traits and "Source Identified" events for past touches.
    Backfill(backfill::Args),
    /// Bring a store written by an earlier version up to date: session states,
    /// touches, markers and the attribution ledger, derived from its events.
    Rebuild(rebuild::Args),
    /// Erase users and everything derived from them, as a Segment `delete` does.
    Delete(delete::Args),
    /// Derive again, from the DynamoDB tables, the devices and users the stream
    /// consumers gave up on (the failure queue), once the cause is fixed.
    Redrive(redrive::Args),
}

impl Cli {
    pub fn run(self) -> ExitCode {
        // A malformed .env is reported, not silently skipped; a missing one is fine.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            eprintln!("error: cannot read .env: {e}");
            return ExitCode::FAILURE;
        }
        logging::init();
        let result = match self.command {
            Command::Serve => serve::run(),
            Command::Import(args) => import::run(args),
            Command::Gen(args) => r#gen::run(args),
            Command::Detect(args) => detect::run(args),
            Command::Report(args) => report::run(args),
            Command::Spend(args) => spend::run(args),
            Command::Backfill(args) => backfill::run(args),
            Command::Rebuild(args) => rebuild::run(args),
            Command::Delete(args) => delete::run(args),
            Command::Redrive(args) => redrive::run(args),
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    }
}
