//! `sma detect`: the source of one visit, or of a stream of visits (JSON lines).

use std::io::{BufRead, BufWriter, Write};

use anyhow::Context;
use serde::Deserialize;
use sma_app::Rules;
use sma_sources::{Campaign, Visit};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Page URL of the visit.
    #[arg(long, required_unless_present = "jsonl", conflicts_with = "jsonl")]
    url: Option<String>,
    /// HTTP referrer of the visit.
    #[arg(long, conflicts_with = "jsonl")]
    referrer: Option<String>,
    /// Read `{"url": ..., "referrer": ...}` lines on stdin; write one Source per line,
    /// in order (a line that is not such an object gets `{"error": ...}`).
    #[arg(long)]
    jsonl: bool,
}

#[derive(Deserialize)]
struct Line {
    url: Option<String>,
    referrer: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = super::context::settings()?;
    let config = Rules::new(&settings.rules).detection;
    if !args.jsonl {
        let source = sma_sources::detect(args.url.as_deref(), args.referrer.as_deref(), &config);
        println!("{}", serde_json::to_string_pretty(&source)?);
        return Ok(());
    }
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (number, line) in stdin.lines().enumerate() {
        let line = line.context("cannot read stdin")?;
        let answer = match serde_json::from_str::<Line>(&line) {
            Ok(visit) => {
                let visit = Visit {
                    url: visit.url.as_deref(),
                    referrer: visit.referrer.as_deref(),
                    campaign: Campaign::default(),
                };
                serde_json::to_string(&sma_sources::detect_visit(&visit, &config))?
            }
            Err(e) => serde_json::json!({"error": format!("line {}: {e}", number + 1)}).to_string(),
        };
        writeln!(out, "{answer}")?;
    }
    out.flush()?;
    Ok(())
}
