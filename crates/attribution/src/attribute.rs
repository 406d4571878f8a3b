//! Per-conversion attribution of a user under every rule-based model.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;

use crate::conversion::{Conversion, Milestones};
use crate::credit::{credit, last_non_direct_in};
use crate::model::{Credit, Model, ModelConfig};
use crate::touch::Touch;

/// One conversion with its credits under every model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversionCredits {
    pub conversion: Conversion,
    /// Model name ([`Model::as_str`]) -> credits; empty lists when the conversion has no
    /// touches.
    pub credits: BTreeMap<&'static str, Vec<Credit>>,
}

/// The touches of a conversion at `at`: those at or before it, no older than the
/// lookback. `touches` must be in time order, as [`crate::touches`] returns them.
pub fn lookback_window(touches: &[Touch], at: i64, cfg: &ModelConfig) -> Range<usize> {
    let end = touches.partition_point(|t| t.timestamp <= at);
    let oldest = at.saturating_sub(cfg.lookback_ms);
    let start = touches[..end].partition_point(|t| t.timestamp < oldest);
    start..end
}

/// The credits of every conversion under every model, conversions in
/// `(timestamp, message_id)` order. `touches` are the user's, in time order.
pub fn attribute(
    touches: &[Touch],
    conversions: &[Conversion],
    milestones: &Milestones,
    cfg: &ModelConfig,
) -> Vec<ConversionCredits> {
    let mut ordered: Vec<&Conversion> = conversions.iter().collect();
    ordered.sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
    ordered
        .into_iter()
        .map(|conversion| {
            let window = lookback_window(touches, conversion.timestamp, cfg);
            let credits = Model::ALL
                .into_iter()
                .map(|model| {
                    let credits =
                        credit(model, touches, window.clone(), conversion, milestones, cfg);
                    (model.as_str(), credits)
                })
                .collect();
            ConversionCredits {
                conversion: conversion.clone(),
                credits,
            }
        })
        .collect()
}

/// Index of the user's first touch (touches in time order).
pub fn first_touch(touches: &[Touch]) -> Option<usize> {
    (!touches.is_empty()).then_some(0)
}

/// Index of the user's last touch (touches in time order).
pub fn last_touch(touches: &[Touch]) -> Option<usize> {
    touches.len().checked_sub(1)
}

/// Index of the user's last touch that is not Direct, or of the last touch when all are
/// Direct.
pub fn last_non_direct_touch(touches: &[Touch]) -> Option<usize> {
    last_non_direct_in(touches, 0..touches.len()).or_else(|| last_touch(touches))
}
