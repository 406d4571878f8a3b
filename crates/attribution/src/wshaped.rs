//! W-shaped weights: first touch, the lead milestone's touch and the opportunity
//! milestone's touch 30% each, the other touches 10%.

use crate::conversion::{Milestones, latest_at_or_before};
use crate::touch::Touch;

const ANCHOR: f64 = 0.3;
const REST: f64 = 0.1;

/// Weights over `touches` (a conversion's window, in time order) for a conversion at
/// `at`, or `None` when a milestone is missing, in which case the model is U-shaped.
///
/// A milestone's anchor is the last touch at or before the latest milestone event at or
/// before the conversion; a milestone with no such touch in the window counts as
/// missing, as there is nothing to credit for it.
pub(crate) fn weights(touches: &[Touch], at: i64, milestones: &Milestones) -> Option<Vec<f64>> {
    let anchor = |times: &[i64]| {
        let milestone = latest_at_or_before(times, at)?;
        touches
            .partition_point(|t| t.timestamp <= milestone)
            .checked_sub(1)
    };
    let lead = anchor(&milestones.lead)?;
    let opportunity = anchor(&milestones.opportunity)?;
    let anchors = [0, lead, opportunity];

    let mut weights = vec![0.0; touches.len()];
    // Coinciding anchors add up.
    for a in anchors {
        weights[a] += ANCHOR;
    }
    let is_anchor = |i: usize| anchors.contains(&i);
    let others = (0..touches.len()).filter(|&i| !is_anchor(i)).count();
    if others > 0 {
        for (i, w) in weights.iter_mut().enumerate() {
            if !is_anchor(i) {
                *w = REST / others as f64;
            }
        }
    } else {
        let mut distinct = anchors.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        for &a in &distinct {
            weights[a] += REST / distinct.len() as f64;
        }
    }
    Some(weights)
}
