//! `sma spend import FILE.csv`: ad spend into the configured store (the
//! embedded one, or the DynamoDB tables of a deployment), as `POST
//! /api/spend` takes it, for ROAS and CAC in reports.

use std::path::PathBuf;

use anyhow::{Context, bail};
use sma_app::{App, SpendInput, SpendSummary};
use sma_store::Store;

use super::context;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Import spend rows from CSV with a header line: date, channel, source,
    /// medium, campaign, cost, currency and an optional rate (reporting
    /// currency per unit of the row's). A row already stored under the same
    /// date, channel, source, medium and campaign is replaced.
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The CSV file (`-` for stdin).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Print the summary as JSON, as `POST /api/spend` answers.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Command::Import(args) = args.command;
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read stdin")?
    } else {
        std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let runtime = context::runtime()?;
    let summary = context::on_configured_store(context::settings()?, &runtime, Import(&text))
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", render(&args.file.display().to_string(), &summary));
    }
    if summary.rejected > 0 {
        bail!(
            "{} of {} rows rejected; fix them and import the file again (stored rows are replaced, not added)",
            summary.rejected,
            summary.rejected + summary.stored
        );
    }
    Ok(())
}

struct Import<'a>(&'a str);

impl context::OnStore for Import<'_> {
    type Output = SpendSummary;

    fn run<S: Store>(
        self,
        runtime: &tokio::runtime::Runtime,
        app: &App<S>,
    ) -> anyhow::Result<SpendSummary> {
        Ok(runtime.block_on(app.import_spend(SpendInput::Csv(self.0)))?)
    }
}

fn render(file: &str, s: &SpendSummary) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "{file}: {} rows stored ({} new, {} replacing a stored row), {} rejected; costs in {}\n",
        s.stored,
        s.stored - s.replaced,
        s.replaced,
        s.rejected,
        s.currency
    );
    for r in &s.rejections {
        let _ = writeln!(out, "  rejected {}", r.error);
    }
    out
}
