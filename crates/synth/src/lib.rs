//! sma's synthetic test data, from one seeded generator ([`rng`]): whole
//! Segment histories as a real site's visitors make them ([`archive`], what
//! `sma gen` writes), and journeys and paths for the attribution crate's
//! benchmarks, tests and comparisons with other tools ([`journeys`]).
//! Attribution itself never uses it.

pub mod archive;
pub mod journeys;
pub mod rng;

pub use journeys::*;
pub use rng::Rng;
