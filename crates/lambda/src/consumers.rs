//! The three stream steps of the AWS pipeline, as `template.yaml` wires them:
//! `identity-map` and `touches` on the EVENTS stream, `segment-feed`
//! (real-time mode) on the ATTRIBUTION and USER_MAP streams.

use std::collections::BTreeSet;

use sma_app::CreditChange;
use sma_spec::Message;
use sma_store::{LinkOutcome, StoreError, TouchRecord};

use crate::LambdaApp;
use crate::image::string;
use crate::metrics;
use crate::stream::{Change, ChangeKind, Consumer, Failed};

/// An inserted event item: only event items carry `type` (docs/deploy.md,
/// EVENTS_TABLE); idempotency markers and index items share the table and its
/// stream.
fn inserted_event(change: &Change) -> bool {
    change
        .inserted()
        .is_some_and(|image| image.contains_key("type"))
}

/// identity-map: records the anonymousId <-> userId link each event asserts
/// (identify, alias, any event carrying both ids) and the account membership
/// each group call asserts, in USER_MAP.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityMap;

impl Consumer for IdentityMap {
    type Item = Message;

    fn name(&self) -> &'static str {
        "identity-map"
    }

    fn wants(&self, change: &Change) -> bool {
        inserted_event(change)
    }

    fn rebuild(&self, change: &Change) -> Result<Message, StoreError> {
        sma_store_dynamodb::message_from_item(&change.new)
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

/// touches: folds each device's new events into its session state,
/// stores the touches they start and the conversions and milestones they are,
/// and settles the ledgers of the journeys they changed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Touches;

impl Consumer for Touches {
    type Item = Message;

    fn name(&self) -> &'static str {
        "touches"
    }

    fn wants(&self, change: &Change) -> bool {
        inserted_event(change)
    }

    fn rebuild(&self, change: &Change) -> Result<Message, StoreError> {
        sma_store_dynamodb::message_from_item(&change.new)
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

/// What segment-feed's real-time mode is told of.
#[derive(Debug, Clone)]
pub enum FeedChange {
    /// A touch was stored (an ATTRIBUTION `touch#` INSERT).
    Touch(TouchRecord),
    /// A conversion was credited anew (an ATTRIBUTION `conv#` INSERT or
    /// MODIFY, with the credits it replaces in its old image).
    Credits(Box<CreditChange>),
    /// A user gained or lost a device (a USER_MAP device-of-user INSERT or
    /// REMOVE): its identify traits changed.
    Devices(String),
}

/// segment-feed in real-time mode: sends each new touch's "Source Identified"
/// track, each conversion's corrections and credit events when it is credited
/// anew, and the identify of every user they concern or whose devices
/// changed. The link reaches Segment from the USER_MAP stream whatever order
/// identity-map and touches ran in: the identify is built from the
/// tables when it is sent, and a later touch or credit change sends it again.
/// With `REALTIME_FEED` off the stream mappings are disabled; a batch that
/// still arrives (while the setting changes) is acknowledged without sending.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealtimeFeed;

impl RealtimeFeed {
    fn touch(change: &Change) -> bool {
        change
            .inserted()
            .and_then(|image| string(image, "sk"))
            .is_some_and(|sk| sk.starts_with("touch#"))
    }

    fn credits(change: &Change) -> bool {
        matches!(change.kind, ChangeKind::Insert | ChangeKind::Modify)
            && string(&change.keys, "pk").is_some_and(|pk| pk.starts_with("conv#"))
    }

    fn devices(change: &Change) -> Option<String> {
        if !matches!(change.kind, ChangeKind::Insert | ChangeKind::Remove) {
            return None;
        }
        sma_store_dynamodb::device_of_user_from_keys(&change.keys).map(|(user, _)| user)
    }
}

impl Consumer for RealtimeFeed {
    type Item = FeedChange;

    fn name(&self) -> &'static str {
        "segment-feed"
    }

    fn wants(&self, change: &Change) -> bool {
        Self::touch(change) || Self::credits(change) || Self::devices(change).is_some()
    }

    fn rebuild(&self, change: &Change) -> Result<FeedChange, StoreError> {
        if Self::touch(change) {
            return sma_store_dynamodb::touch_from_item(&change.new).map(FeedChange::Touch);
        }
        if let Some(user) = Self::devices(change) {
            return Ok(FeedChange::Devices(user));
        }
        let ledger = |image| {
            sma_store_dynamodb::conversion_ledger_from_item(image)?
                .ok_or_else(|| StoreError::Corrupt("not a conversion's credits".into()))
        };
        let old = match change.kind {
            ChangeKind::Modify if change.old.is_empty() => {
                return Err(StoreError::Corrupt(
                    "a conversion's credits replaced, without the old ones: the ATTRIBUTION \
                     stream must keep NEW_AND_OLD_IMAGES"
                        .into(),
                ));
            }
            ChangeKind::Modify => Some(ledger(&change.old)?),
            _ => None,
        };
        Ok(FeedChange::Credits(Box::new(CreditChange {
            old,
            new: ledger(&change.new)?,
        })))
    }

    /// One send for the whole batch (Segment's batch API packs it into few
    /// requests). Segment cannot say which record a refused message came
    /// from, so a send that is not complete fails the batch at its first
    /// record: the retry re-sends messages with the same deterministic ids,
    /// which Segment deduplicates.
    async fn apply(&self, app: &LambdaApp, changes: &[FeedChange]) -> Result<(), Failed> {
        if changes.is_empty() {
            return Ok(());
        }
        if !app.settings.feed.realtime_feed {
            tracing::warn!(
                changes = changes.len(),
                "REALTIME_FEED is off: changes not sent"
            );
            return Ok(());
        }
        let (mut touches, mut credits, mut users) = (Vec::new(), Vec::new(), BTreeSet::new());
        for change in changes {
            match change {
                FeedChange::Touch(touch) => touches.push(touch.clone()),
                FeedChange::Credits(change) => credits.push(change.as_ref().clone()),
                FeedChange::Devices(user) => {
                    users.insert(user.clone());
                }
            }
        }
        let report = app
            .feed_changes(&touches, &users, &credits)
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
