//! Intake: a body in, its messages stored once each, and in the inline shape
//! the pipeline run on them.

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;
use sma_spec::{
    BodyError, Deletion, IdentityLink, Intake, Item, Message, MessageError, MessageType,
    ParseOptions, Rejection, parse_body,
};
use sma_store::{Claim, Erased, Store, StoreError};

use crate::App;

/// What happened to each message of one body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IntakeSummary {
    /// Messages taken in now (stored, or in the intake log to be stored).
    pub accepted: usize,
    /// Messages taken in before under the same messageId (retried
    /// deliveries, also of messages erased since). Another message under a
    /// taken id is rejected instead.
    pub duplicates: usize,
    /// `delete` messages: each erased its user.
    pub deletions: usize,
    /// What the deletions erased.
    pub erased: Erased,
    pub rejected: Vec<Rejection>,
}

impl IntakeSummary {
    /// True when the body held messages and every one was rejected: the sender
    /// should not retry it as it is.
    pub fn nothing_usable(&self) -> bool {
        self.accepted + self.duplicates + self.deletions == 0 && !self.rejected.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
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
    pub async fn intake(
        &self,
        body: &[u8],
        implied_type: Option<MessageType>,
    ) -> Result<IntakeSummary, IntakeError> {
        let opts = ParseOptions {
            implied_type,
            received_at: Utc::now(),
        };
        let items = parse_body(body, opts)?;
        let limit = self.settings.http.max_batch_messages;
        if items.len() > limit {
            return Err(IntakeError::TooManyMessages(items.len(), limit));
        }
        self.intake_items(items).await
    }

    /// Stores already-parsed items and, in the inline shape, runs the pipeline
    /// on them before answering (so a client reads what it wrote); the summary
    /// accounts for every item. On AWS the pipeline runs from the EVENTS
    /// table's stream instead (see [`App::streamed`]).
    ///
    /// The pipeline also runs for duplicates: its steps are idempotent, and a
    /// delivery that failed half-way (stored, not yet derived) is completed by
    /// the retry.
    ///
    /// Deletions run last: a body that holds a user's events and their
    /// deletion leaves nothing of them.
    pub async fn intake_items(&self, items: Vec<Item>) -> Result<IntakeSummary, IntakeError> {
        let (mut summary, mut taken) = split(items);
        let deletions = std::mem::take(&mut taken.deletions);
        if let Some(logged) = self.log(&taken.messages).await {
            summary.count(taken, &logged?);
        } else {
            let intake = self.store_messages(&taken.messages).await?;
            let messages = summary.count(taken, &intake);
            if self.inline_pipeline {
                let processed = self.process(&messages).await?;
                self.spawn_feed(processed);
            }
        }
        for deletion in deletions {
            summary.erased += self.erase_user(&deletion.user_id).await?;
            summary.deletions += 1;
        }
        Ok(summary)
    }

    /// Stores messages; answers what each came to against the message stored
    /// under its id before (read back only for ids already taken). A retry of
    /// an erased message is not stored again.
    pub(crate) async fn store_messages(
        &self,
        messages: &[Message],
    ) -> Result<Vec<Intake>, StoreError> {
        let ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
        let erased = self.store.erased(&ids).await?;
        if !erased.contains(&true) {
            return self.store_new(messages).await;
        }
        let storable: Vec<Message> = messages
            .iter()
            .zip(&erased)
            .filter(|&(_, &e)| !e)
            .map(|(m, _)| m.clone())
            .collect();
        let mut stored = self.store_new(&storable).await?.into_iter();
        Ok(erased
            .into_iter()
            .map(|e| match e {
                true => Intake::Erased,
                false => stored.next().expect("one answer per message stored"),
            })
            .collect())
    }

    async fn store_new(&self, messages: &[Message]) -> Result<Vec<Intake>, StoreError> {
        let new = self.store.put_events(messages).await?;
        // Where the pipeline runs here, views are counted as they are stored;
        // in the streamed shape the touches step counts them.
        if self.inline_pipeline {
            let stored = messages.iter().zip(&new).filter(|&(_, &new)| new);
            self.count_screened(stored.map(|(m, _)| m)).await?;
        }
        let taken: Vec<Message> = messages
            .iter()
            .zip(&new)
            .filter(|&(_, &new)| !new)
            .map(|(m, _)| m.clone())
            .collect();
        let mut stored = if taken.is_empty() {
            Vec::new()
        } else {
            self.store.stored_under(&taken).await?
        }
        .into_iter();
        Ok(messages
            .iter()
            .zip(new)
            .map(|(m, new)| {
                if new {
                    return Intake::New;
                }
                match stored.next().flatten() {
                    Some(stored) => Intake::against(m, Some(stored.content_digest())),
                    // Stored a moment ago and not yet readable (an eventually
                    // consistent read): the store found its id, so a retry.
                    None => Intake::Duplicate,
                }
            })
            .collect())
    }

    /// Real-time mode: the new touches, the credit events of conversions
    /// credited anew (with corrections), and the identify of every user whose
    /// traits changed go to Segment in the background, so a slow or failing
    /// Segment never holds up (or fails) the intake.
    pub(crate) fn spawn_feed(&self, processed: crate::Processed) {
        let linked = processed.linked_users();
        if !self.settings.feed.realtime_feed
            || (processed.new_touches.is_empty()
                && linked.is_empty()
                && processed.credits.is_empty())
        {
            return;
        }
        let app = self.clone();
        tokio::spawn(async move {
            let (new, credits) = (&processed.new_touches, &processed.credits);
            match app.feed_changes(new, &linked, credits).await {
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
pub(crate) fn claims_of(messages: &[Message]) -> Vec<Claim> {
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

/// The messages of a body, each messageId once, with their places in it.
pub(crate) struct Taken {
    pub(crate) messages: Vec<Message>,
    positions: Vec<usize>,
    /// The body's `delete` messages, in order.
    pub(crate) deletions: Vec<Deletion>,
}

/// The messages of `items`, each messageId once, and the summary of the rest:
/// a later copy of an id in the body is a duplicate when it is the same
/// message, and rejected when it is another.
pub(crate) fn split(items: Vec<Item>) -> (IntakeSummary, Taken) {
    let mut summary = IntakeSummary::default();
    let mut taken = Taken {
        messages: Vec::with_capacity(items.len()),
        positions: Vec::with_capacity(items.len()),
        deletions: Vec::new(),
    };
    let mut first: HashMap<String, usize> = HashMap::with_capacity(items.len());
    for (position, item) in items.into_iter().enumerate() {
        match item {
            Item::Message(m) => match first.get(&m.message_id) {
                None => {
                    first.insert(m.message_id.clone(), taken.messages.len());
                    taken.messages.push(m);
                    taken.positions.push(position);
                }
                Some(&earlier) => {
                    let digest = taken.messages[earlier].content_digest();
                    match Intake::against(&m, Some(digest)) {
                        Intake::ReusedId => summary.refuse(position, &m),
                        _ => summary.duplicates += 1,
                    }
                }
            },
            Item::Delete { deletion, .. } => taken.deletions.push(deletion),
            Item::Rejected(r) => summary.rejected.push(r),
        }
    }
    (summary, taken)
}

impl IntakeSummary {
    /// Counts what each message taken came to; answers those the pipeline
    /// runs on: all but the refused, whose ids were taken by other messages.
    pub(crate) fn count(&mut self, taken: Taken, intake: &[Intake]) -> Vec<Message> {
        let mut kept = Vec::with_capacity(taken.messages.len());
        for ((m, position), intake) in taken.messages.into_iter().zip(taken.positions).zip(intake) {
            match intake {
                Intake::New => self.accepted += 1,
                Intake::Duplicate => self.duplicates += 1,
                Intake::Erased => {
                    self.duplicates += 1;
                    continue;
                }
                Intake::ReusedId => {
                    self.refuse(position, &m);
                    continue;
                }
            }
            kept.push(m);
        }
        self.rejected.sort_by_key(|r| r.index);
        kept
    }

    fn refuse(&mut self, position: usize, m: &Message) {
        self.rejected.push(Rejection {
            index: position,
            message_id: Some(m.message_id.clone()),
            error: MessageError::ReusedId(m.message_id.clone()).to_string(),
        });
    }
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
