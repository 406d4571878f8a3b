//! `sma report [VIEW]`: the reports of `/api/report/*` from the store `STORE`
//! names (the embedded one, or the DynamoDB tables of a deployment), as a
//! table, CSV or the API's JSON.

mod table;

use std::io::Write;

use sma_app::{
    App, CompareView, FunnelView, PathsRequest, PathsView, Period, ReportRequest, ReportView,
    SeriesRequest, SeriesView, parse_models,
};
use sma_store::Store;

use super::context::{self, OnStore};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

/// Which report: the same names as the API's routes.
#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
enum View {
    /// Conversions and value per channel under one model (`/api/report`).
    #[default]
    Channels,
    /// Each channel under several models, with the change against last_non_direct.
    Compare,
    /// The top channel paths, and where each channel's touches fall on them.
    Paths,
    /// Journeys per first- and last-touch channel by stage, and assisted conversions.
    Funnel,
    /// Conversions and value per day, week or month and channel.
    Series,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_enum, default_value = "channels")]
    view: View,
    /// first, last, last_non_direct, linear, time_decay, position, j_shaped,
    /// inverse_j, participation, w_shaped, markov, shapley or shapley_simple.
    #[arg(long, default_value = "last_non_direct")]
    model: String,
    /// compare: the models side by side, comma-separated (default first, last,
    /// last_non_direct, linear, time_decay, position).
    #[arg(long)]
    models: Option<String>,
    /// markov only: how many of the latest channels a state remembers, 1 to 4
    /// (default 1).
    #[arg(long)]
    order: Option<String>,
    /// markov only: removal_effect (default; the removal effect on expected value) or
    /// conversion_share (each channel's share of conversions times the total value).
    #[arg(long)]
    markov_value: Option<String>,
    /// paths: false for the paths of journeys that have not converted.
    #[arg(long)]
    converted: Option<String>,
    /// paths: how many paths (default 20).
    #[arg(long)]
    limit: Option<String>,
    /// series: day (default), week or month.
    #[arg(long)]
    interval: Option<String>,
    /// Days on or after this one (YYYY-MM-DD, UTC).
    #[arg(long)]
    from: Option<String>,
    /// Days before this one.
    #[arg(long)]
    to: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// A report's question, read from the arguments before any store is opened.
enum Question {
    Channels(ReportRequest),
    Compare(Period, Vec<sma_attribution::ReportModel>),
    Paths(PathsRequest),
    Funnel(Period),
    Series(SeriesRequest),
}

impl Args {
    fn question(&self) -> Result<Question, String> {
        let (from, to) = (self.from.as_deref(), self.to.as_deref());
        Ok(match self.view {
            View::Channels => {
                Question::Channels(ReportRequest::parse(&self.model, from, to).and_then(|r| {
                    r.with_markov_options(self.order.as_deref(), self.markov_value.as_deref())
                })?)
            }
            View::Compare => Question::Compare(
                Period::parse(from, to)?,
                parse_models(self.models.as_deref())?,
            ),
            View::Paths => Question::Paths(PathsRequest::parse(
                from,
                to,
                self.converted.as_deref(),
                self.limit.as_deref(),
            )?),
            View::Funnel => Question::Funnel(Period::parse(from, to)?),
            View::Series => Question::Series(SeriesRequest::parse(
                &self.model,
                from,
                to,
                self.interval.as_deref(),
            )?),
        })
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let question = args.question().map_err(anyhow::Error::msg)?;
    let runtime = context::runtime()?;
    let report = context::on_configured_store(context::settings()?, &runtime, question)?;
    let mut out = std::io::stdout().lock();
    match (args.format, &report) {
        (Format::Json, _) => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        (Format::Csv, Report::Channels(view)) => table::channels_csv(&mut out, view)?,
        (Format::Table, Report::Channels(view)) => table::channels_text(&mut out, view)?,
        (Format::Csv, _) => table::tables(&report)
            .iter()
            .try_for_each(|t| t.csv(&mut out))?,
        (Format::Table, _) => table::tables(&report)
            .iter()
            .try_for_each(|t| t.text(&mut out))?,
    }
    Ok(())
}

/// A report as the API answers it.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Report {
    Channels(ReportView),
    Compare(CompareView),
    Paths(PathsView),
    Funnel(FunnelView),
    Series(SeriesView),
}

impl OnStore for Question {
    type Output = Report;

    fn run<S: Store>(
        self,
        runtime: &tokio::runtime::Runtime,
        app: &App<S>,
    ) -> anyhow::Result<Report> {
        runtime.block_on(async {
            anyhow::Ok(match self {
                Question::Channels(r) => Report::Channels(app.report_view(&r).await?),
                Question::Compare(p, models) => Report::Compare(app.compare(p, &models).await?),
                Question::Paths(r) => Report::Paths(app.paths(&r).await?),
                Question::Funnel(p) => Report::Funnel(app.funnel(p).await?),
                Question::Series(r) => Report::Series(app.series(&r).await?),
            })
        })
    }
}
