//! Milestone-anchored weights: the first touch and the touch of each
//! milestone (lead, opportunity, and for the full-path model the won deal)
//! share most of the credit, the other touches the rest. W-shaped gives the
//! three anchors 30% each and 10% to the others; full path, as HubSpot and
//! Marketo Measure define it, 22.5% to each of four anchors and 10% to the
//! others.

use crate::conversion::{Milestones, latest_at_or_before};
use crate::touch::Touch;

/// The W-shaped weights over `touches` (a conversion's window, in time order)
/// for a conversion at `at`, or `None` when the lead or the opportunity is
/// missing (the model is then U-shaped).
pub(crate) fn w_shaped(touches: &[Touch], at: i64, milestones: &Milestones) -> Option<Vec<f64>> {
    let lists = [&milestones.lead[..], &milestones.opportunity[..]];
    anchored(touches, at, &lists, 0.3, 0.1)
}

/// The full-path weights, or `None` when the won milestone is missing (the
/// model is then W-shaped, and U-shaped when the lead or the opportunity is
/// missing too).
pub(crate) fn full_path(touches: &[Touch], at: i64, milestones: &Milestones) -> Option<Vec<f64>> {
    let lists = [
        &milestones.lead[..],
        &milestones.opportunity[..],
        &milestones.won[..],
    ];
    anchored(touches, at, &lists, 0.225, 0.1)
}

/// Weights with `anchor` for the first touch and for each milestone's anchor
/// and `rest` shared by the other touches.
///
/// A milestone's anchor is the last touch at or before the latest milestone
/// event at or before the conversion; a milestone with no such touch in the
/// window counts as missing, as there is nothing to credit for it. Anchors
/// that coincide add up; when every touch is an anchor, `rest` is shared by
/// the distinct anchors.
fn anchored(
    touches: &[Touch],
    at: i64,
    milestones: &[&[i64]],
    anchor: f64,
    rest: f64,
) -> Option<Vec<f64>> {
    let anchor_of = |times: &[i64]| {
        let milestone = latest_at_or_before(times, at)?;
        touches
            .partition_point(|t| t.timestamp <= milestone)
            .checked_sub(1)
    };
    let mut anchors = vec![0];
    for times in milestones {
        anchors.push(anchor_of(times)?);
    }

    let mut weights = vec![0.0; touches.len()];
    for &a in &anchors {
        weights[a] += anchor;
    }
    let is_anchor = |i: usize| anchors.contains(&i);
    let others = (0..touches.len()).filter(|&i| !is_anchor(i)).count();
    if others > 0 {
        for (i, w) in weights.iter_mut().enumerate() {
            if !is_anchor(i) {
                *w = rest / others as f64;
            }
        }
    } else {
        let mut distinct = anchors.clone();
        distinct.sort_unstable();
        distinct.dedup();
        for &a in &distinct {
            weights[a] += rest / distinct.len() as f64;
        }
    }
    Some(weights)
}
