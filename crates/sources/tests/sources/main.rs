//! Source detection against peers' fixtures (Snowplow, inbound, GA4's channel
//! rules, isbot) and its own properties; each suite prints its strict score.

// Shared with the detection benchmark.
#[path = "../common/mod.rs"]
mod common;

mod added_hosts;
mod bots;
mod detect;
mod fuzz_props;
mod ga4;
mod inbound;
mod paid_clicks;
mod props;
mod snowplow;
mod source_categories;
