//! `sma report`: conversions and value per channel under one model, from the
//! store `STORE` names (the embedded one, or the DynamoDB tables of a deployment).

use std::io::Write;

use sma_app::{App, ReportRequest, ReportView};
use sma_store::Store;

use super::context::{self, OnStore};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// first, last, last_non_direct, linear, time_decay, position, j_shaped,
    /// inverse_j, participation, w_shaped, markov or shapley.
    #[arg(long, default_value = "last_non_direct")]
    model: String,
    /// Conversions on or after this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    from: Option<String>,
    /// Conversions before this day.
    #[arg(long)]
    to: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let request = ReportRequest::parse(&args.model, args.from.as_deref(), args.to.as_deref())
        .map_err(anyhow::Error::msg)?;
    let runtime = context::runtime()?;
    let report = context::on_configured_store(context::settings()?, &runtime, Report(request))?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        Format::Csv => csv(&mut out, &report)?,
        Format::Table => table(&mut out, &report)?,
    }
    Ok(())
}

struct Report(ReportRequest);

impl OnStore for Report {
    type Output = ReportView;

    fn run<S: Store>(
        self,
        runtime: &tokio::runtime::Runtime,
        app: &App<S>,
    ) -> anyhow::Result<ReportView> {
        Ok(runtime.block_on(app.report_view(&self.0))?)
    }
}

fn csv(out: &mut impl Write, report: &ReportView) -> std::io::Result<()> {
    writeln!(out, "channel,conversions,value")?;
    for row in &report.channels {
        writeln!(out, "{},{},{}", row.channel, row.conversions, row.value)?;
    }
    Ok(())
}

fn table(out: &mut impl Write, report: &ReportView) -> std::io::Result<()> {
    let period = match (&report.from, &report.to) {
        (None, None) => "all time".to_owned(),
        (from, to) => format!(
            "{} .. {}",
            from.as_deref().unwrap_or("start"),
            to.as_deref().unwrap_or("now")
        ),
    };
    writeln!(out, "model {}, {period}", report.model)?;
    writeln!(
        out,
        "{:<26} {:>12} {:>14} {:>7}",
        "channel", "conversions", "value", "share"
    )?;
    let total = report.total.conversions;
    for row in &report.channels {
        let share = if total > 0.0 {
            100.0 * row.conversions / total
        } else {
            0.0
        };
        writeln!(
            out,
            "{:<26} {:>12.2} {:>14.2} {:>6.1}%",
            row.channel.as_str(),
            row.conversions,
            row.value,
            share
        )?;
    }
    writeln!(
        out,
        "{:<26} {:>12.2} {:>14.2}",
        "total", total, report.total.value
    )
}
