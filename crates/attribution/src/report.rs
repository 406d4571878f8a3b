//! Per-channel reports over many journeys under any model.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sma_sources::Channel;

use crate::attribute::lookback_window;
use crate::credit::credit;
use crate::journey::{Journey, Period};
use crate::markov::markov_credit;
use crate::model::{Model, ModelConfig, UnknownModel};
use crate::path::{ChannelCredit, Path};
use crate::shapley::shapley_credit;

/// A model a report can use: a rule-based one, or a data-driven one over all paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportModel {
    Rule(Model),
    /// [`crate::markov`] removal effect.
    Markov,
    /// [`crate::shapley`] values.
    Shapley,
}

impl ReportModel {
    /// Every report model: the rule-based ones, then `markov`, `shapley`.
    pub const ALL: [ReportModel; 12] = {
        let mut all = [ReportModel::Markov; 12];
        let mut i = 0;
        while i < Model::ALL.len() {
            all[i] = ReportModel::Rule(Model::ALL[i]);
            i += 1;
        }
        all[11] = ReportModel::Shapley;
        all
    };

    /// The model's name: a [`Model`] name, `markov` or `shapley`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportModel::Rule(model) => model.as_str(),
            ReportModel::Markov => "markov",
            ReportModel::Shapley => "shapley",
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

/// Conversions and value credited to one channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChannelRow {
    pub channel: Channel,
    pub conversions: f64,
    pub value: f64,
}

/// Conversions and value credited per channel under `model`, for the conversions with a
/// timestamp in `[from, to)` (open ends unbounded), in channel order.
///
/// A rule-based model sums each conversion's credits (value credit = credit x value).
/// A data-driven model runs over the journeys' paths ([`Journey::paths`]) in the period,
/// a non-converting path counting by its last touch; every channel on those paths gets a
/// row. Conversions without touches are credited to no channel under any model.
pub fn report<'a>(
    journeys: impl IntoIterator<Item = &'a Journey>,
    model: ReportModel,
    from: Option<i64>,
    to: Option<i64>,
    cfg: &ModelConfig,
) -> Vec<ChannelRow> {
    let period = Period { from, to };
    let credits = match model {
        ReportModel::Rule(model) => rule_credits(journeys, model, period, cfg),
        ReportModel::Markov => markov_credit(&paths(journeys, period, cfg)),
        ReportModel::Shapley => shapley_credit(&paths(journeys, period, cfg)),
    };
    credits
        .into_iter()
        .map(|(channel, c)| ChannelRow {
            channel,
            conversions: c.conversions,
            value: c.value,
        })
        .collect()
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
