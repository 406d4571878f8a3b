//! Per-channel reports over many journeys under any model.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sma_sources::Channel;

use crate::attribute::lookback_window;
use crate::credit::credit;
use crate::data_driven::{DataDriven, DataDrivenConfig, Estimate, ShareInterval, estimate};
use crate::journey::{Journey, Period};
use crate::model::{Model, ModelConfig, UnknownModel};
use crate::path::{ChannelCredit, Path};

/// A model a report can use: a rule-based one, or a data-driven one over all paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportModel {
    Rule(Model),
    DataDriven(DataDriven),
}

impl ReportModel {
    /// Every report model: the rule-based ones, then the data-driven ones.
    pub const ALL: [ReportModel; Model::ALL.len() + DataDriven::ALL.len()] = {
        let mut all =
            [ReportModel::DataDriven(DataDriven::Markov); Model::ALL.len() + DataDriven::ALL.len()];
        let mut i = 0;
        while i < Model::ALL.len() {
            all[i] = ReportModel::Rule(Model::ALL[i]);
            i += 1;
        }
        let mut j = 0;
        while j < DataDriven::ALL.len() {
            all[i + j] = ReportModel::DataDriven(DataDriven::ALL[j]);
            j += 1;
        }
        all
    };

    /// The model's name: a [`Model`] or a [`DataDriven`] name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportModel::Rule(model) => model.as_str(),
            ReportModel::DataDriven(model) => model.as_str(),
        }
    }
}

impl fmt::Display for ReportModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportModel {
    type Err = UnknownModel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportModel::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownModel::new(s, ReportModel::ALL.map(ReportModel::as_str)))
    }
}

impl From<Model> for ReportModel {
    fn from(model: Model) -> Self {
        ReportModel::Rule(model)
    }
}

impl From<DataDriven> for ReportModel {
    fn from(model: DataDriven) -> Self {
        ReportModel::DataDriven(model)
    }
}

/// Conversions and value credited to one channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChannelRow {
    pub channel: Channel,
    pub conversions: f64,
    pub value: f64,
    /// The channel's conversions over all channels' (0 when none).
    pub share: f64,
    /// 95% bootstrap interval of `share`: data-driven models only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<ShareInterval>,
    /// The interval is wider than [`crate::LOW_DATA_WIDTH`]: data-driven models only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_data: Option<bool>,
}

/// One row per channel, in channel order, shares of the rows' total conversions.
pub fn rows(estimates: impl IntoIterator<Item = (Channel, Estimate)>) -> Vec<ChannelRow> {
    let mut rows: Vec<ChannelRow> = estimates
        .into_iter()
        .map(|(channel, e)| ChannelRow {
            channel,
            conversions: e.credit.conversions,
            value: e.credit.value,
            share: 0.0,
            interval: e.interval,
            low_data: e.interval.map(|i| i.low_data()),
        })
        .collect();
    let total: f64 = rows.iter().map(|r| r.conversions).sum();
    if total > 0.0 {
        for row in &mut rows {
            row.share = row.conversions / total;
        }
    }
    rows
}

/// Conversions and value credited per channel under `model`, for the conversions with a
/// timestamp in `[from, to)` (open ends unbounded), in channel order.
///
/// A rule-based model sums each conversion's credits (value credit = credit x value).
/// A data-driven model runs over the journeys' paths ([`Journey::paths`]) in the period,
/// a non-converting path counting by its last touch; every channel on those paths gets a
/// row, with an interval. Conversions without touches are credited to no channel under
/// any model.
pub fn report<'a>(
    journeys: impl IntoIterator<Item = &'a Journey>,
    model: ReportModel,
    from: Option<i64>,
    to: Option<i64>,
    cfg: &ModelConfig,
    data_driven: &DataDrivenConfig,
) -> Vec<ChannelRow> {
    let period = Period { from, to };
    match model {
        ReportModel::Rule(model) => rows(
            rule_credits(journeys, model, period, cfg)
                .into_iter()
                .map(|(channel, credit)| {
                    (
                        channel,
                        Estimate {
                            credit,
                            interval: None,
                        },
                    )
                }),
        ),
        ReportModel::DataDriven(model) => {
            rows(estimate(&paths(journeys, period, cfg), model, data_driven))
        }
    }
}

fn paths<'a>(
    journeys: impl IntoIterator<Item = &'a Journey>,
    period: Period,
    cfg: &ModelConfig,
) -> Vec<Path> {
    journeys
        .into_iter()
        .flat_map(|j| j.paths_in(cfg, period))
        .collect()
}

fn rule_credits<'a>(
    journeys: impl IntoIterator<Item = &'a Journey>,
    model: Model,
    period: Period,
    cfg: &ModelConfig,
) -> BTreeMap<Channel, ChannelCredit> {
    let mut totals: BTreeMap<Channel, ChannelCredit> = BTreeMap::new();
    for journey in journeys {
        for conversion in &journey.conversions {
            if !period.contains(conversion.timestamp) {
                continue;
            }
            let window = lookback_window(&journey.touches, conversion.timestamp, cfg);
            let credits = credit(
                model,
                &journey.touches,
                window,
                conversion,
                &journey.milestones,
                cfg,
            );
            for c in credits {
                let total = totals
                    .entry(journey.touches[c.touch].channel())
                    .or_default();
                total.conversions += c.credit;
                total.value += c.credit * conversion.value_or_zero();
            }
        }
    }
    totals
}
