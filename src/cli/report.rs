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
    /// inverse_j, participation, w_shaped, markov, shapley or shapley_simple.
    #[arg(long, default_value = "last_non_direct")]
    model: String,
    /// markov only: how many of the latest channels a state remembers, 1 to 4
    /// (default 1).
    #[arg(long)]
    order: Option<String>,
    /// markov only: removal_effect (default; the removal effect on expected value) or
    /// conversion_share (each channel's share of conversions times the total value).
    #[arg(long)]
    markov_value: Option<String>,
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
        .and_then(|r| r.with_markov_options(args.order.as_deref(), args.markov_value.as_deref()))
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

/// Data-driven rows carry a 95% interval of their share and a `low_data` flag;
/// rule-based rows leave those columns empty.
fn csv(out: &mut impl Write, report: &ReportView) -> std::io::Result<()> {
    writeln!(
        out,
        "channel,conversions,value,share,share_low,share_high,low_data"
    )?;
    for row in &report.channels {
        let (low, high) = row.interval.map_or((String::new(), String::new()), |i| {
            (i.low.to_string(), i.high.to_string())
        });
        let low_data = row.low_data.map_or(String::new(), |l| l.to_string());
        writeln!(
            out,
            "{},{},{},{},{low},{high},{low_data}",
            row.channel, row.conversions, row.value, row.share
        )?;
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
    let model = match (report.order, report.markov_value) {
        (Some(order), Some(value)) => format!("{} (order {order}, value {value})", report.model),
        _ => report.model.to_owned(),
    };
    writeln!(out, "model {model}, {period}")?;
    writeln!(
        out,
        "{:<26} {:>12} {:>14} {:>7} {:>15}",
        "channel", "conversions", "value", "share", "95% interval"
    )?;
    for row in &report.channels {
        let interval = row.interval.map_or(String::new(), |i| {
            format!("{:.1}-{:.1}%", 100.0 * i.low, 100.0 * i.high)
        });
        let flag = if row.low_data == Some(true) {
            " low data"
        } else {
            ""
        };
        writeln!(
            out,
            "{:<26} {:>12.2} {:>14.2} {:>6.1}% {:>15}{flag}",
            row.channel.as_str(),
            row.conversions,
            row.value,
            100.0 * row.share,
            interval
        )?;
    }
    writeln!(
        out,
        "{:<26} {:>12.2} {:>14.2}",
        "total", report.total.conversions, report.total.value
    )
}
