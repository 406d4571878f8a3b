//! The Segment client against a local server that records requests: the wire
//! format, ids, limits, retries and the send budget.

mod common;

mod budget;
mod ids;
mod limits;
mod retries;
mod wire;
