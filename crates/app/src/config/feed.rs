//! Feeding Segment: where sma sends its results and under which event names.

use super::SettingError;
use super::env::Env;

/// What sma sends back to Segment (identify and track calls) and where.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedSettings {
    /// Write key of the Segment source sma sends to; `None` is a dry run.
    pub analytics_write_key: Option<String>,
    /// Base URL of the Tracking API (`us` and `eu` already resolved).
    pub segment_endpoint: String,
    /// Whether touches, credits and traits go to Segment as they change.
    pub realtime_feed: bool,
    /// The track event sent per touch.
    pub source_identification_event: String,
    /// The track event sent per credited touch of a conversion.
    pub credit_event: String,
    /// The rule models whose top channel and credited value go into `identify`.
    pub trait_models: TraitModels,
}

impl FeedSettings {
    pub(super) fn read(env: &Env) -> Result<FeedSettings, SettingError> {
        Ok(FeedSettings {
            analytics_write_key: env.optional("ANALYTICS_WRITE_KEY"),
            segment_endpoint: env.endpoint("SEGMENT_ENDPOINT")?,
            realtime_feed: env.boolean("REALTIME_FEED", false)?,
            source_identification_event: env
                .text("ANALYTICS_SOURCE_IDENTIFICATION_EVENT", "Source Identified"),
            credit_event: env.text("ANALYTICS_CREDIT_EVENT", "Conversion Attributed"),
            trait_models: env.parsed(
                "ANALYTICS_TRAIT_MODELS",
                TraitModels::default(),
                "comma-separated rule models (first, last, linear …)",
                |_| true,
            )?,
        })
    }
}

/// Rule models named in a setting, each once, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct TraitModels(pub Vec<sma_attribution::Model>);

impl Default for TraitModels {
    fn default() -> TraitModels {
        use sma_attribution::Model;
        TraitModels(vec![
            Model::Linear,
            Model::TimeDecay,
            Model::Position,
            Model::WShaped,
        ])
    }
}

impl std::str::FromStr for TraitModels {
    type Err = String;

    fn from_str(s: &str) -> Result<TraitModels, String> {
        let mut models = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let model: sma_attribution::Model = name.parse().map_err(|e| format!("{e}"))?;
            if !models.contains(&model) {
                models.push(model);
            }
        }
        Ok(TraitModels(models))
    }
}
