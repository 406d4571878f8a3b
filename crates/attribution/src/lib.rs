//! Touches, conversions and attribution models. Pure, no I/O.
//!
//! - [`touches`] cuts a user's page views into touches (DESIGN "Touches"): per device,
//!   in time order, with a session timeout; merged over devices.
//! - [`attribute`] gives every conversion its credits under every rule-based [`Model`]
//!   (first, last, last non-direct, linear, time decay, U, J, inverse J,
//!   participation, W), over the touches of its lookback window.
//! - [`markov`], [`shapley`] and [`shapley_simple`] are the data-driven models over
//!   all [`Path`]s, converting and not: the Markov removal effect of order 1 to 4 on
//!   the absorbing chain, Shapley values on conversion probabilities, and the
//!   equal split over a converting path's channels. [`estimate`] adds a bootstrap
//!   interval to each channel's share.
//! - [`report`] sums either kind per channel over many [`Journey`]s.
//!
//! Timestamps are epoch milliseconds throughout.

mod anchored;
mod attribute;
mod bootstrap;
mod chain;
mod conversion;
mod credit;
mod data_driven;
mod hash;
mod journey;
mod markov;
mod model;
mod normal;
mod path;
mod report;
mod rng;
mod session;
mod shapley;
mod shapley_simple;
mod solve;
mod tally;
mod touch;

pub use attribute::{
    ConversionCredits, attribute, first_touch, last_non_direct_touch, last_touch, lookback_window,
};
pub use bootstrap::Bootstrap;
pub use conversion::{Conversion, Milestones};
pub use credit::credit;
pub use data_driven::{
    DataDriven, DataDrivenConfig, Estimate, LOW_DATA_WIDTH, ShareInterval, estimate, estimate_all,
    estimate_coded,
};
pub use journey::Journey;
pub use markov::{MarkovOrder, MarkovValue, markov, markov_credit};
pub use model::{Credit, Model, ModelConfig, UnknownModel};
pub use path::{ChannelCredit, Journeys, Path, PathCount};
pub use report::{ChannelRow, ReportModel, report, rows};
pub use rng::Rng;
pub use session::{Activity, SessionState, affected, fold_all, in_key_order};
pub use shapley::{MAX_EXACT, shapley, shapley_credit};
pub use shapley_simple::{shapley_simple, shapley_simple_credit};
pub use touch::{PageView, Touch, TouchRules, touches};
