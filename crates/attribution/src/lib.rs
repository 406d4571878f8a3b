//! Touches, conversions and attribution models. Pure, no I/O.
//!
//! - [`touches`] cuts a user's page views into touches (DESIGN "Touches"): per device,
//!   in time order, with a session timeout; merged over devices.
//! - [`attribute`] gives every conversion its credits under every rule-based [`Model`]
//!   (first, last, last non-direct, linear, time decay, U, J, inverse J,
//!   participation, W), over the touches of its lookback window.
//! - [`markov`] and [`shapley`] are the data-driven models over all [`Path`]s,
//!   converting and not: the Markov removal effect solved exactly on the absorbing
//!   chain, and Shapley values of the path-coverage game in closed form.
//! - [`report`] sums either kind per channel over many [`Journey`]s.
//!
//! Timestamps are epoch milliseconds throughout.

mod attribute;
mod conversion;
mod credit;
mod journey;
mod markov;
mod model;
mod path;
mod report;
mod session;
mod shapley;
mod solve;
pub mod synth;
mod touch;
mod wshaped;

pub use attribute::{
    ConversionCredits, attribute, first_touch, last_non_direct_touch, last_touch, lookback_window,
};
pub use conversion::{Conversion, Milestones};
pub use credit::credit;
pub use journey::Journey;
pub use markov::{markov, markov_credit};
pub use model::{Credit, Model, ModelConfig, UnknownModel};
pub use path::{ChannelCredit, Path};
pub use report::{ChannelRow, ReportModel, report};
pub use session::{Activity, SessionState, affected, fold_all, in_key_order};
pub use shapley::{shapley, shapley_credit};
pub use touch::{PageView, Touch, TouchRules, touches};
