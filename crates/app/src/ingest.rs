//! Intake: a body in, its messages stored once each, the pipeline run inline
//! (in the store's transaction; under `sma serve` after the body is answered).

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use serde::Serialize;
use sma_spec::{
    BodyError, IdentityLink, Item, Message, MessageType, ParseOptions, Rejection, parse_body,
};
use sma_store::{Applying, Claim, Intake, LinkOutcome, Store, StoreError};

use crate::App;

/// What happened to each message of one body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IngestSummary {
    /// Messages taken in now (stored, or in the intake log to be stored).
    pub accepted: usize,
    /// Messages whose messageId was taken in before (retried deliveries).
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
            return self.store_messages(items).await;
        }
        let (mut summary, messages) = split(items);
        let claims = claims_of(&messages);
        let devices = viewed_devices(&messages).into_iter().collect();
        let done = self
            .store
            .intake(
                Intake {
                    messages,
                    claims: claims.clone(),
                    devices,
                },
                self.derive_touches(),
            )
            .await?;
        count_inserted(&done.inserted, &mut summary);
        self.spawn_after_applying(claims, done.applied);
        Ok(summary)
    }

    /// The AWS shape's intake: the events only.
    async fn store_messages(&self, items: Vec<Item>) -> Result<IngestSummary, IngestError> {
        let (mut summary, messages) = split(items);
        count_inserted(&self.store.put_events(&messages).await?, &mut summary);
        Ok(summary)
    }

    /// Stores the messages of `items`, each messageId once, and records their
    /// identity links: the write half of intake, without touches. A bulk import
    /// uses what it answers to derive touches without reading events back.
    pub async fn store_linked(&self, items: Vec<Item>) -> Result<Stored, IngestError> {
        let (mut summary, messages) = split(items);
        let inserted = self.store.put_events(&messages).await?;
        count_inserted(&inserted, &mut summary);
        self.link_identities(&messages).await?;
        Ok(Stored {
            summary,
            messages,
            inserted,
        })
    }

    /// Records the identity link each message asserts (the identity-map step),
    /// all of them in one store call.
    pub async fn link_identities(&self, messages: &[Message]) -> Result<(), StoreError> {
        let claims = claims_of(messages);
        let outcomes = self.store.link_all(&claims).await?;
        warn_of_conflicts(&claims, &outcomes);
        Ok(())
    }
}

/// What [`App::store_linked`] stored.
#[derive(Debug, Default)]
pub struct Stored {
    pub summary: IngestSummary,
    /// The messages, each messageId once (new and duplicate alike).
    pub messages: Vec<Message>,
    /// Per message: whether it was stored now (false: already stored).
    pub inserted: Vec<bool>,
}

impl<S: Store> App<S> {
    /// What follows an intake's claims and touches, in the background: the
    /// answer does not wait for it (the store may apply after answering), and a
    /// slow or failing Segment must not hold up (or fail) the intake.
    fn spawn_after_applying(&self, claims: Vec<Claim>, applying: Applying) {
        let app = self.clone();
        tokio::spawn(async move {
            let applied = match applying.await {
                Ok(applied) => applied,
                Err(e) => return tracing::error!(error = %e, "intake not applied"),
            };
            warn_of_conflicts(&claims, &applied.links);
            if !app.settings.realtime_feed || applied.new_touches.is_empty() {
                return;
            }
            match app.feed_new_touches(&applied.new_touches).await {
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

/// The identity claims messages assert, each link once, with its earliest
/// evidence (what the store keeps of a link claimed again): an identified
/// visitor's every event claims the same link, and a body or an import batch
/// holds many of them.
fn claims_of(messages: &[Message]) -> Vec<Claim> {
    let mut claims: Vec<Claim> = Vec::new();
    let mut seen: HashMap<IdentityLink, usize> = HashMap::new();
    for m in messages {
        let Some(link) = m.identity_link() else {
            continue;
        };
        let claim = Claim {
            link,
            at: m.timestamp,
            message_id: m.message_id.clone(),
        };
        match seen.get(&claim.link) {
            Some(&i) => {
                let known = &mut claims[i];
                if (claim.at, &claim.message_id) < (known.at, &known.message_id) {
                    *known = claim;
                }
            }
            None => {
                seen.insert(claim.link.clone(), claims.len());
                claims.push(claim);
            }
        }
    }
    claims
}

fn warn_of_conflicts(claims: &[Claim], outcomes: &[LinkOutcome]) {
    for (claim, outcome) in claims.iter().zip(outcomes) {
        if let LinkOutcome::Conflict { owner } = outcome {
            tracing::warn!(
                anonymous_id = %claim.link.anonymous_id,
                owner = %owner,
                claimant = %claim.link.user_id,
                "identity conflict: device already belongs to another user"
            );
        }
    }
}

/// The devices with a page or screen view among `messages`: those whose
/// touches a body can change.
fn viewed_devices(messages: &[Message]) -> BTreeSet<String> {
    messages
        .iter()
        .filter(|m| m.message_type.is_view())
        .filter_map(|m| m.anonymous_id.clone())
        .collect()
}

/// The messages of `items`, each messageId once, and the summary of the rest.
fn split(items: Vec<Item>) -> (IngestSummary, Vec<Message>) {
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
    (summary, messages)
}

fn count_inserted(inserted: &[bool], summary: &mut IngestSummary) {
    let new = inserted.iter().filter(|&&new| new).count();
    summary.accepted += new;
    summary.duplicates += inserted.len() - new;
}

/// The same messageId twice in one body is one message: the later copy counts as a
/// duplicate, as it would in a later body.
fn unique_by_id(mut messages: Vec<Message>, summary: &mut IngestSummary) -> Vec<Message> {
    // Borrowed ids, not copies: an import passes every message through here.
    let first: Vec<bool> = {
        let mut seen = std::collections::HashSet::with_capacity(messages.len());
        messages
            .iter()
            .map(|m| seen.insert(m.message_id.as_str()))
            .collect()
    };
    summary.duplicates += first.iter().filter(|&&first| !first).count();
    let mut first = first.into_iter();
    messages.retain(|_| first.next() == Some(true));
    messages
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sma_spec::{Message, MessageType};

    use super::claims_of;

    fn identify(id: &str, anonymous_id: &str, user_id: &str, secs: i64) -> Message {
        let raw = format!(
            r#"{{"type":"identify","messageId":"{id}","anonymousId":"{anonymous_id}","userId":"{user_id}"}}"#
        );
        let at = Utc.timestamp_opt(secs, 0).unwrap();
        Message::from_stored(&raw, MessageType::Identify, at).unwrap()
    }

    /// Each link once, with the earliest evidence the store would keep of it,
    /// in the order the links first appear.
    #[test]
    fn claims_are_one_per_link_with_the_earliest_evidence() {
        let messages = [
            identify("m1", "a", "u", 20),
            identify("m2", "a", "v", 30),
            identify("m3", "a", "u", 10),
            identify("m0", "a", "u", 10),
            identify("m4", "b", "u", 5),
        ];
        let claims: Vec<(String, String, i64, String)> = claims_of(&messages)
            .into_iter()
            .map(|c| {
                let at = c.at.timestamp();
                (c.link.anonymous_id, c.link.user_id, at, c.message_id)
            })
            .collect();
        let expected = [
            ("a", "u", 10, "m0"),
            ("a", "v", 30, "m2"),
            ("b", "u", 5, "m4"),
        ]
        .map(|(a, u, t, m)| (a.to_owned(), u.to_owned(), t, m.to_owned()));
        assert_eq!(claims, expected);
    }
}
