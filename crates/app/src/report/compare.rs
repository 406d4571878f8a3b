//! `GET /api/report/compare` and `sma report compare`: each channel's
//! conversions and value under several models side by side, and each model's
//! change against `last_non_direct`, as GA4's model comparison shows them.

use std::collections::BTreeMap;

use serde::Serialize;
use sma_attribution::{Model, ReportModel};
use sma_sources::Channel;
use sma_store::{Store, StoreError};

use super::{Period, ReportRequest, shown};
use crate::App;

/// What every model's change is measured against.
const BASELINE: ReportModel = ReportModel::Rule(Model::LastNonDirect);

/// The models compared when none are named.
pub const DEFAULT_MODELS: &str = "first,last,last_non_direct,linear,time_decay,position";

#[derive(Debug, Clone, Serialize)]
pub struct CompareView {
    pub from: Option<String>,
    pub to: Option<String>,
    pub baseline: &'static str,
    pub models: Vec<&'static str>,
    pub channels: Vec<ModelsRow>,
}

/// One channel under each model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelsRow {
    pub channel: Channel,
    pub models: BTreeMap<&'static str, ModelFigures>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ModelFigures {
    pub conversions: f64,
    pub value: f64,
    /// Percent change of conversions against the baseline model; `None` when
    /// the baseline credits the channel nothing.
    pub change: Option<f64>,
}

/// Reads a comma-separated list of model names (each once, at least one).
pub fn parse_models(list: Option<&str>) -> Result<Vec<ReportModel>, String> {
    let mut models: Vec<ReportModel> = Vec::new();
    for name in list.unwrap_or(DEFAULT_MODELS).split(',').map(str::trim) {
        let model = name.parse::<ReportModel>().map_err(|e| e.to_string())?;
        if !models.contains(&model) {
            models.push(model);
        }
    }
    Ok(models)
}

impl<S: Store> App<S> {
    pub async fn compare(
        &self,
        period: Period,
        models: &[ReportModel],
    ) -> Result<CompareView, StoreError> {
        let mut figures: BTreeMap<Channel, BTreeMap<&'static str, ModelFigures>> = BTreeMap::new();
        let mut baseline: BTreeMap<Channel, f64> = BTreeMap::new();
        let extra = (!models.contains(&BASELINE)).then_some(BASELINE);
        for model in models.iter().copied().chain(extra) {
            let asked = models.contains(&model);
            for row in self.report(&ReportRequest::of(model, period)).await? {
                if model == BASELINE {
                    baseline.insert(row.channel, row.conversions);
                }
                // A channel only the baseline credits shows at 0 (-100%).
                let entry = figures.entry(row.channel).or_default();
                if asked {
                    entry.insert(
                        model.as_str(),
                        ModelFigures {
                            conversions: shown(row.conversions),
                            value: shown(row.value),
                            change: None,
                        },
                    );
                }
            }
        }
        let channels = figures
            .into_iter()
            .map(|(channel, mut by_model)| {
                let base = baseline.get(&channel).copied().unwrap_or(0.0);
                for model in models {
                    let f = by_model.entry(model.as_str()).or_default();
                    f.change = change(f.conversions, base);
                }
                ModelsRow {
                    channel,
                    models: by_model,
                }
            })
            .collect();
        let (from, to) = period.shown();
        Ok(CompareView {
            from,
            to,
            baseline: BASELINE.as_str(),
            models: models.iter().map(|m| m.as_str()).collect(),
            channels,
        })
    }
}

/// Percent change from `base` to `figure`, rounded to a hundredth of a point.
fn change(figure: f64, base: f64) -> Option<f64> {
    (base.abs() > 1e-9).then(|| shown(((figure - base) / base * 10_000.0).round() / 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_model_once_and_rejects_unknown_ones() {
        let models = parse_models(Some("linear, first,linear")).unwrap();
        assert_eq!(
            models.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            ["linear", "first"]
        );
        assert_eq!(parse_models(None).unwrap().len(), 6);
        assert!(
            parse_models(Some("linear,nope"))
                .unwrap_err()
                .contains("nope")
        );
    }

    #[test]
    fn change_is_against_the_baseline_and_absent_without_one() {
        assert_eq!(change(1.5, 1.0), Some(50.0));
        assert_eq!(change(0.0, 2.0), Some(-100.0));
        assert_eq!(change(1.0, 3.0), Some(-66.67));
        assert_eq!(change(1.0, 0.0), None);
    }
}
