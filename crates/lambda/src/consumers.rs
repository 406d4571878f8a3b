//! The three stream steps of the AWS pipeline, as `template.yaml` wires them:
//! `identity-map` and `source-detection` on the EVENTS stream, `segment-feed`
//! (real-time mode) on the ATTRIBUTION stream.

use std::collections::BTreeSet;

use sma_spec::Message;
use sma_store::{StoreError, TouchRecord};

use crate::LambdaApp;
use crate::image::{Image, string};
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

    async fn apply(&self, app: &LambdaApp, messages: &[Message]) -> Result<(), Failed> {
        for (at, message) in messages.iter().enumerate() {
            app.link_identities(std::slice::from_ref(message))
                .await
                .map_err(|e| Failed::new(at, e))?;
        }
        Ok(())
    }
}

/// source-detection: re-derives the touches of every device with a new page or
/// screen view, from its whole history, into ATTRIBUTION.
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

    /// One refresh per device, however many of its views the batch holds (a
    /// refresh reads the device's whole history, which already has them all).
    /// Devices go in the order of their first view, so when one fails, every
    /// record before that view belongs to a device already refreshed.
    async fn apply(&self, app: &LambdaApp, messages: &[Message]) -> Result<(), Failed> {
        let mut done = BTreeSet::new();
        for (at, message) in messages.iter().enumerate() {
            let Some(device) = message.anonymous_id.as_ref() else {
                continue;
            };
            if !message.message_type.is_view() || done.contains(device) {
                continue;
            }
            let one = BTreeSet::from([device.clone()]);
            let new = app
                .refresh_touches(&one)
                .await
                .map_err(|e| Failed::new(at, e))?;
            tracing::debug!(device = %device, new_touches = new.len(), "touches refreshed");
            done.extend(one);
        }
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
