//! The reports (`/api/report/*`, `sma report VIEW`, the dashboard), each read
//! from the ledger's per-day totals, so a report costs the same however many
//! users it covers. Here: the channel report, conversions and value per channel
//! under one model (`GET /api/report`), with what each cost ([`spend`]); the
//! other views in their modules.

use serde::Serialize;
use std::collections::BTreeMap;

use sma_attribution::{
    Bootstrap, ChannelCredit, ChannelRow, DataDrivenConfig, Estimate, MarkovOrder, MarkovValue,
    PathCount, ReportModel, estimate_coded, rows,
};
use sma_sources::Channel;
use sma_store::{CreditTotal, PathTotals, Store, StoreError};

use crate::App;

mod compare;
mod funnel;
mod paths;
mod period;
mod series;
mod spend;

pub use compare::{CompareView, ModelFigures, ModelsRow, parse_models};
pub use funnel::{AssistedRow, FunnelRow, FunnelView, StageRates};
pub use paths::{BucketRow, PathRow, PathsRequest, PathsView};
pub use period::Period;
pub use series::{Interval, SeriesPoint, SeriesRequest, SeriesView};
pub use spend::{CampaignRow, ChannelReport, Costs};

/// A report's question: which model, over which conversions.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    pub model: ReportModel,
    pub period: Period,
    /// Order of `markov` (1 unless asked).
    pub order: MarkovOrder,
    /// What `markov`'s value is.
    pub markov_value: MarkovValue,
}

impl ReportRequest {
    /// Reads a model name and optional bounds (see [`Period::parse`]). Errors
    /// name the bad part.
    pub fn parse(
        model: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<ReportRequest, String> {
        let model = model.parse::<ReportModel>().map_err(|e| e.to_string())?;
        Ok(ReportRequest::of(model, Period::parse(from, to)?))
    }

    /// `model` over `period`, with `markov`'s defaults.
    pub fn of(model: ReportModel, period: Period) -> ReportRequest {
        ReportRequest {
            model,
            period,
            order: MarkovOrder::default(),
            markov_value: MarkovValue::default(),
        }
    }

    /// Adds `markov`'s options (`order`, 1 to 4; `markov_value`, `removal_effect` or
    /// `conversion_share`); either given for another model is an error.
    pub fn with_markov_options(
        mut self,
        order: Option<&str>,
        markov_value: Option<&str>,
    ) -> Result<ReportRequest, String> {
        let markov = self.model == ReportModel::DataDriven(sma_attribution::DataDriven::Markov);
        for (name, given) in [("order", order), ("markov_value", markov_value)] {
            if given.is_some() && !markov {
                return Err(format!(
                    "`{name}` applies to the markov model only, not to {}",
                    self.model
                ));
            }
        }
        if let Some(order) = order {
            self.order = order.parse()?;
        }
        if let Some(value) = markov_value {
            self.markov_value = value.parse()?;
        }
        Ok(self)
    }
}

/// A report as the API and the CLI show it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub model: &'static str,
    /// `markov`'s order and value reading; absent for other models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markov_value: Option<&'static str>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub channels: Vec<ChannelReport>,
    pub total: Total,
    /// Rule models: each channel's campaigns, credited or paid for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaigns: Option<Vec<CampaignRow>>,
    /// The currency of `spend` and `cac` (`REPORTING_CURRENCY`).
    pub currency: String,
    /// Spend of the period stored in another currency (imported under
    /// another `REPORTING_CURRENCY`), per currency: not in any figure.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub excluded_spend: BTreeMap<String, f64>,
    /// Page views of the period that started no touch, per reason
    /// (`bot:crawler`, `referrer_spam` …).
    pub screened: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Total {
    pub conversions: f64,
    pub value: f64,
    #[serde(flatten)]
    pub costs: Costs,
}

/// Totals that deltas brought back to zero differ from it by rounding only.
pub(crate) const ZERO: f64 = 1e-9;

impl<S: Store> App<S> {
    pub async fn report(&self, request: &ReportRequest) -> Result<Vec<ChannelRow>, StoreError> {
        Ok(self.credited(request).await?.0)
    }

    /// The report's rows and, under a rule model, the credit totals they sum.
    async fn credited(
        &self,
        request: &ReportRequest,
    ) -> Result<(Vec<ChannelRow>, Option<Vec<CreditTotal>>), StoreError> {
        self.read_after_writes().await?;
        let (from, to) = request.period.days();
        let (rows, totals) = match request.model {
            ReportModel::Rule(model) => {
                let totals = self.store.credit_totals(model.as_str(), from, to).await?;
                let mut per_channel: BTreeMap<Channel, ChannelCredit> = BTreeMap::new();
                for total in &totals {
                    let sum = per_channel.entry(channel(&total.channel)?).or_default();
                    sum.conversions += total.conversions;
                    sum.value += total.value;
                }
                let rows = rows(per_channel.into_iter().map(|(channel, credit)| {
                    let interval = None;
                    (channel, Estimate { credit, interval })
                }));
                (rows, Some(totals))
            }
            ReportModel::DataDriven(model) => {
                let totals = self.store.path_totals(from, to).await?;
                let cfg = DataDrivenConfig {
                    order: request.order,
                    markov_value: request.markov_value,
                    bootstrap: Bootstrap {
                        resamples: self.settings.reports.bootstrap_resamples,
                        ..Bootstrap::default()
                    },
                };
                // Fitting the model and resampling it take CPU time in
                // proportion to the distinct paths: on a blocking thread, the
                // async workers keep answering (`/health`, intake) meanwhile.
                let rows = tokio::task::spawn_blocking(move || {
                    let (channels, paths) = paths(totals)?;
                    Ok::<_, StoreError>(rows(estimate_coded(&channels, paths, model, &cfg)))
                })
                .await
                .map_err(|e| StoreError::Backend(format!("report computation failed: {e}")))??;
                (rows, None)
            }
        };
        let rows = rows
            .into_iter()
            .filter(|r| r.conversions.abs() > ZERO || r.value.abs() > ZERO)
            .collect();
        Ok((rows, totals))
    }

    /// The report with what each channel (and, under a rule model, each
    /// campaign) cost over the period.
    pub async fn report_view(&self, request: &ReportRequest) -> Result<ReportView, StoreError> {
        let (mut credited, totals) = self.credited(request).await?;
        for row in &mut credited {
            row.conversions = shown(row.conversions);
            row.value = shown(row.value);
        }
        let (from, to) = request.period.days();
        let spend = self.spend(from, to).await?;
        let conversions = shown(credited.iter().map(|c| c.conversions).sum());
        let value = shown(credited.iter().map(|c| c.value).sum());
        let total = Total {
            conversions,
            value,
            costs: Costs::of(spend.total(), conversions, value),
        };
        let campaigns = totals.map(|t| spend.campaigns(&t)).transpose()?;
        let markov = request.model == ReportModel::DataDriven(sma_attribution::DataDriven::Markov);
        let screened = self.screened_views(from, to).await?;
        Ok(ReportView {
            model: request.model.as_str(),
            order: markov.then_some(request.order.get()),
            markov_value: markov.then_some(request.markov_value.as_str()),
            from: request.period.shown().0,
            to: request.period.shown().1,
            channels: spend.channels(credited),
            total,
            campaigns,
            currency: self.settings.reports.reporting_currency.clone(),
            excluded_spend: spend.excluded,
            screened,
        })
    }
}

/// A figure as reports show it: an empty sum of `f64` is `-0.0`, and so is a
/// credit that deltas took back exactly; both read `0`.
pub(crate) fn shown(figure: f64) -> f64 {
    figure + 0.0
}

/// The journeys counted per path, as the data-driven models take them: each
/// label mapped to its channel once, the paths left as indices into them.
fn paths(totals: PathTotals) -> Result<(Vec<Channel>, Vec<PathCount<u32>>), StoreError> {
    let channels: Vec<Channel> = totals
        .labels
        .iter()
        .map(|l| channel(l))
        .collect::<Result<_, _>>()?;
    let paths = totals
        .paths
        .into_iter()
        .map(|total| PathCount {
            conversions: total.conversions.max(0) as u64,
            non_conversions: total.non_conversions.max(0) as u64,
            value: if total.conversions > 0 {
                total.value
            } else {
                0.0
            },
            channels: total.path,
        })
        .collect();
    Ok((channels, paths))
}

pub(crate) fn channel(label: &str) -> Result<Channel, StoreError> {
    Channel::parse(label).ok_or_else(|| StoreError::Corrupt(format!("unknown channel {label:?}")))
}
