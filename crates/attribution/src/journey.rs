//! A user's journey: touches, conversions and milestones, and its paths.

use serde::{Deserialize, Serialize};

use crate::attribute::lookback_window;
use crate::conversion::{Conversion, Milestones};
use crate::model::ModelConfig;
use crate::path::Path;
use crate::touch::Touch;

/// Everything the models need about one user (or one device).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    /// In time order, as [`crate::touches`] returns them.
    pub touches: Vec<Touch>,
    pub conversions: Vec<Conversion>,
    pub milestones: Milestones,
}

/// Half-open time range `[from, to)` in epoch ms; an open end is unbounded.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Period {
    pub(crate) from: Option<i64>,
    pub(crate) to: Option<i64>,
}

impl Period {
    pub(crate) fn contains(&self, at: i64) -> bool {
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at < to)
    }
}

impl Journey {
    /// The journey's paths: each conversion closes a converting path of the touches of
    /// its lookback window, and the touches after the last conversion (all of them when
    /// there is none) within the lookback before the latest of them form one
    /// non-converting path. Paths without touches are left out, as no channel can be
    /// credited for them.
    pub fn paths(&self, cfg: &ModelConfig) -> Vec<Path> {
        self.paths_in(cfg, Period::default())
    }

    /// [`Journey::paths`] limited to `period`: a converting path by its conversion's
    /// time, a non-converting one by its last touch's.
    pub(crate) fn paths_in(&self, cfg: &ModelConfig, period: Period) -> Vec<Path> {
        let channels = |range: std::ops::Range<usize>| {
            self.touches[range]
                .iter()
                .map(Touch::channel)
                .collect::<Vec<_>>()
        };
        let mut paths = Vec::new();
        let mut after_last_conversion = 0;
        for conversion in &self.conversions {
            let window = lookback_window(&self.touches, conversion.timestamp, cfg);
            after_last_conversion = after_last_conversion.max(window.end);
            if period.contains(conversion.timestamp) && !window.is_empty() {
                paths.push(Path {
                    channels: channels(window),
                    converted: true,
                    value: conversion.value_or_zero(),
                });
            }
        }
        let rest = after_last_conversion..self.touches.len();
        if let Some(last) = self.touches[rest.clone()].last()
            && period.contains(last.timestamp)
        {
            // Within the lookback before the latest touch, as a conversion's.
            let oldest = last.timestamp.saturating_sub(cfg.lookback_ms);
            let start =
                rest.start + self.touches[rest.clone()].partition_point(|t| t.timestamp < oldest);
            paths.push(Path {
                channels: channels(start..rest.end),
                converted: false,
                value: 0.0,
            });
        }
        paths
    }
}
