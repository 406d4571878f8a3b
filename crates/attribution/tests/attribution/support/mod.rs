//! What the data-driven model tests share.

use proptest::prelude::*;
use sma_attribution::Path;

/// Up to `most` random paths over `channels` channels, each of fewer than
/// `longest` touches, converting or not (a value only when converting).
pub fn paths_strategy(
    channels: u8,
    longest: usize,
    most: usize,
) -> impl Strategy<Value = Vec<Path<u8>>> {
    prop::collection::vec(
        (
            prop::collection::vec(0..channels, 1..longest),
            any::<bool>(),
            0.0..100.0f64,
        )
            .prop_map(|(channels, converted, value)| Path {
                channels,
                converted,
                value: if converted { value } else { 0.0 },
            }),
        1..most,
    )
}
