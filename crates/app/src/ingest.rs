//! Intake: a body in, its messages stored once each, the pipeline run inline.

use std::collections::BTreeSet;

use chrono::Utc;
use serde::Serialize;
use sma_spec::{BodyError, Item, Message, MessageType, ParseOptions, Rejection, parse_body};
use sma_store::{LinkOutcome, Store, StoreError};

use crate::App;

/// What happened to each message of one body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IngestSummary {
    /// Messages stored now.
    pub accepted: usize,
    /// Messages whose messageId was already stored (retried deliveries).
    pub duplicates: usize,
    /// `delete` messages: acknowledged, not stored.
    pub ignored: usize,
    pub rejected: Vec<Rejection>,
}

impl IngestSummary {
    /// True when the body held messages and every one was rejected: the sender
    /// should not retry it as it is.
    pub fn nothing_usable(&self) -> bool {
        self.accepted + self.duplicates + self.ignored == 0 && !self.rejected.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error("body holds {0} messages; the limit is {1} (MAX_BATCH_MESSAGES)")]
    TooManyMessages(usize, usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<S: Store> App<S> {
    /// Parses, validates and stores a body, then runs the pipeline for its messages.
    ///
    /// The pipeline also runs for duplicates: its steps are idempotent, and a
    /// delivery that failed half-way (stored, not yet linked) is completed by the
    /// retry.
    pub async fn ingest(
        &self,
        body: &[u8],
        implied_type: Option<MessageType>,
    ) -> Result<IngestSummary, IngestError> {
        let opts = ParseOptions {
            implied_type,
            received_at: Utc::now(),
        };
        let items = parse_body(body, opts)?;
        let limit = self.settings.max_batch_messages;
        if items.len() > limit {
            return Err(IngestError::TooManyMessages(items.len(), limit));
        }
        self.ingest_items(items).await
    }

    /// Stores already-parsed items and, in the inline shape, runs the pipeline; the
    /// summary accounts for every item. On AWS the pipeline runs from the EVENTS
    /// table's stream instead (see [`App::streamed`]).
    pub async fn ingest_items(&self, items: Vec<Item>) -> Result<IngestSummary, IngestError> {
        if !self.inline_pipeline {
            return Ok(self.store_messages(items).await?.0);
        }
        let (summary, devices) = self.store_items(items).await?;
        let new = self.refresh_touches(&devices).await?;
        if self.settings.realtime_feed && !new.is_empty() {
            self.spawn_feed(new);
        }
        Ok(summary)
    }

    /// Stores items and records their identity links, leaving touches to
    /// [`App::refresh_touches`] with the devices it answers: a bulk import
    /// refreshes each device once at the end instead of once per batch.
    pub async fn store_items(
        &self,
        items: Vec<Item>,
    ) -> Result<(IngestSummary, BTreeSet<String>), IngestError> {
        let (summary, messages) = self.store_messages(items).await?;
        self.link_identities(&messages).await?;
        let devices = messages
            .iter()
            .filter(|m| m.message_type.is_view())
            .filter_map(|m| m.anonymous_id.clone())
            .collect();
        Ok((summary, devices))
    }

    /// Stores the messages of `items`, each messageId once; answers the summary and
    /// the messages (new and duplicate: the pipeline steps are idempotent).
    async fn store_messages(
        &self,
        items: Vec<Item>,
    ) -> Result<(IngestSummary, Vec<Message>), IngestError> {
        let mut summary = IngestSummary::default();
        let mut messages = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Item::Message(m) => messages.push(m),
                Item::Ignored { .. } => summary.ignored += 1,
                Item::Rejected(r) => summary.rejected.push(r),
            }
        }
        let messages = unique_by_id(messages, &mut summary);
        let inserted = self.store.put_events(&messages).await?;
        for new in inserted {
            if new {
                summary.accepted += 1;
            } else {
                summary.duplicates += 1;
            }
        }
        Ok((summary, messages))
    }

    /// Records the identity link each message asserts (the identity-map step).
    pub async fn link_identities(&self, messages: &[Message]) -> Result<(), StoreError> {
        for message in messages {
            if let Some(link) = message.identity_link() {
                let outcome = self
                    .store
                    .link(&link, message.timestamp, &message.message_id)
                    .await?;
                if let LinkOutcome::Conflict { owner } = outcome {
                    tracing::warn!(
                        anonymous_id = %link.anonymous_id,
                        owner = %owner,
                        claimant = %link.user_id,
                        "identity conflict: device already belongs to another user"
                    );
                }
            }
        }
        Ok(())
    }
}

impl<S: Store> App<S> {
    /// Real-time mode sends in the background: the events are stored already, and a
    /// slow or failing Segment must not hold up (or fail) the intake.
    fn spawn_feed(&self, new: Vec<sma_store::TouchRecord>) {
        let app = self.clone();
        tokio::spawn(async move {
            match app.feed_new_touches(&new).await {
                Ok(report) if report.is_complete() => {
                    tracing::debug!(
                        sent = report.sent,
                        dry_run = report.dry_run,
                        "real-time feed sent"
                    );
                }
                Ok(report) => {
                    tracing::error!(failed = ?report.failed, "real-time feed: messages not delivered")
                }
                Err(e) => tracing::error!(error = %e, "real-time feed failed"),
            }
        });
    }
}

/// The same messageId twice in one body is one message: the later copy counts as a
/// duplicate, as it would in a later body.
fn unique_by_id(messages: Vec<Message>, summary: &mut IngestSummary) -> Vec<Message> {
    let mut seen = std::collections::HashSet::with_capacity(messages.len());
    messages
        .into_iter()
        .filter(|m| {
            let first = seen.insert(m.message_id.clone());
            if !first {
                summary.duplicates += 1;
            }
            first
        })
        .collect()
}
