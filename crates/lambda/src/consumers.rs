//! The three stream steps of the AWS pipeline, as `template.yaml` wires them:
//! `identity-map` and `source-detection` on the EVENTS stream, `segment-feed`
//! (real-time mode) on the ATTRIBUTION stream.

use sma_spec::Message;
use sma_store::{LinkOutcome, StoreError, TouchRecord};

use crate::LambdaApp;
use crate::image::{Image, string};
use crate::metrics;
use crate::stream::{Consumer, Failed};

/// Only event items carry `type` (docs/deploy.md, EVENTS_TABLE); idempotency
/// markers and index items share the table and its stream.
fn is_event_item(image: &Image) -> bool {
    image.contains_key("type")
}

/// identity-map: records the anonymousId <-> userId link each event asserts
/// (identify, alias, any event carrying both ids) in USER_MAP.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityMap;

impl Consumer for IdentityMap {
    type Item = Message;

    fn name(&self) -> &'static str {
        "identity-map"
    }

    fn wants(&self, image: &Image) -> bool {
        is_event_item(image)
    }

    fn rebuild(&self, image: &Image) -> Result<Message, StoreError> {
        sma_store_dynamodb::message_from_item(image)
    }

    /// One pass for the whole batch: the links, then the ledgers of the
    /// journeys that gained or lost a device. Every step is idempotent, so a
    /// failed batch is retried whole.
    async fn apply(&self, app: &LambdaApp, messages: &[Message]) -> Result<(), Failed> {
        let processed = app
            .link_messages(messages)
            .await
            .map_err(|e| Failed::new(0, e))?;
        let conflicts = processed
            .links
            .iter()
            .filter(|(_, outcome)| matches!(outcome, LinkOutcome::Conflict { .. }))
            .count();
        metrics::emit(&[
            ("IdentityClaims", processed.links.len()),
            ("IdentityConflicts", conflicts),
            ("JourneysSettled", processed.journeys),
        ]);
        Ok(())
    }
}

/// source-detection: folds each device's new events into its session state,
/// stores the touches they start and the conversions and milestones they are,
/// and settles the ledgers of the journeys they changed.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceDetection;

impl Consumer for SourceDetection {
    type Item = Message;

    fn name(&self) -> &'static str {
        "source-detection"
    }

    fn wants(&self, image: &Image) -> bool {
        is_event_item(image)
    }

    fn rebuild(&self, image: &Image) -> Result<Message, StoreError> {
        sma_store_dynamodb::message_from_item(image)
    }

    /// One pass for the whole batch (a device's events in one fold). Every
    /// step is idempotent, so a failed batch is retried whole.
    async fn apply(&self, app: &LambdaApp, messages: &[Message]) -> Result<(), Failed> {
        let processed = app
            .derive_messages(messages)
            .await
            .map_err(|e| Failed::new(0, e))?;
        let conversions = messages
            .iter()
            .filter(|m| app.rules.is_conversion(m))
            .count();
        metrics::emit(&[
            ("TouchesCreated", processed.new_touches.len()),
            ("ConversionsCredited", conversions),
            ("JourneysSettled", processed.journeys),
        ]);
        Ok(())
    }
}

/// segment-feed in real-time mode: sends each new touch's "Source Identified"
/// track (and its user's identify) to Segment. With `REALTIME_FEED` off the
/// stream mapping is disabled; a batch that still arrives (while the setting
/// changes) is acknowledged without sending.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealtimeFeed;

impl Consumer for RealtimeFeed {
    type Item = TouchRecord;

    fn name(&self) -> &'static str {
        "segment-feed"
    }

    fn wants(&self, image: &Image) -> bool {
        string(image, "sk").is_some_and(|sk| sk.starts_with("touch#"))
    }

    fn rebuild(&self, image: &Image) -> Result<TouchRecord, StoreError> {
        sma_store_dynamodb::touch_from_item(image)
    }

    /// One send for the whole batch (Segment's batch API packs it into few
    /// requests). Segment cannot say which touch a refused message came from, so
    /// a send that is not complete fails the batch at its first touch: the retry
    /// re-sends messages with the same deterministic ids, which Segment
    /// deduplicates.
    async fn apply(&self, app: &LambdaApp, touches: &[TouchRecord]) -> Result<(), Failed> {
        if touches.is_empty() {
            return Ok(());
        }
        if !app.settings.realtime_feed {
            tracing::warn!(
                touches = touches.len(),
                "REALTIME_FEED is off: new touches not sent"
            );
            return Ok(());
        }
        let report = app
            .feed_new_touches(touches)
            .await
            .map_err(|e| Failed::new(0, e))?;
        metrics::emit(&[
            ("FeedMessagesSent", report.sent),
            ("FeedMessagesFailed", report.failed.len()),
        ]);
        if !report.is_complete() {
            let reasons: Vec<&str> = report.failed.iter().map(|f| f.reason.as_str()).collect();
            return Err(Failed::new(
                0,
                format!(
                    "{} of {} messages not delivered: {}",
                    report.failed.len(),
                    report.messages,
                    reasons.join("; ")
                ),
            ));
        }
        tracing::info!(
            sent = report.sent,
            dry_run = report.dry_run,
            "real-time feed sent"
        );
        Ok(())
    }
}
