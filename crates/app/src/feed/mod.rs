//! Feeding attribution back to Segment: identify traits for a user, group
//! traits for an account, one "Source Identified" track per touch and one
//! credit event per credited touch of a conversion, built from the stored
//! journey and ledger and sent through the batch client (dry run without a
//! write key).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use segment_client::{Message, SendReport};
use serde_json::{Map, Value, json};
use sma_attribution::Touch;
use sma_store::{Store, StoreError, TouchRecord};

use crate::journey::{Loaded, Subject};
use crate::{App, CreditChange};

mod credits;
mod groups;
mod traits;

/// Which messages a backfill sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedParts {
    /// Each user's `identify`.
    pub identify: bool,
    /// One "Source Identified" track per touch.
    pub touches: bool,
    /// The credit events of each conversion.
    pub conversions: bool,
}

impl FeedParts {
    pub const ALL: FeedParts = FeedParts {
        identify: true,
        touches: true,
        conversions: true,
    };
}

impl std::fmt::Display for FeedParts {
    /// The list it is read from, in a fixed order.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (self.identify, "identify"),
            (self.touches, "touches"),
            (self.conversions, "conversions"),
        ];
        let named: Vec<&str> = names.iter().filter(|n| n.0).map(|n| n.1).collect();
        f.write_str(&named.join(","))
    }
}

impl std::str::FromStr for FeedParts {
    type Err = String;

    /// A comma-separated list of `identify`, `touches`, `conversions`.
    fn from_str(list: &str) -> Result<FeedParts, String> {
        let mut parts = FeedParts {
            identify: false,
            touches: false,
            conversions: false,
        };
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "identify" => parts.identify = true,
                "touches" => parts.touches = true,
                "conversions" => parts.conversions = true,
                other => {
                    return Err(format!(
                        "unknown part {other:?}: expected identify, touches or conversions"
                    ));
                }
            }
        }
        if !(parts.identify || parts.touches || parts.conversions) {
            return Err("name at least one of identify, touches, conversions".into());
        }
        Ok(parts)
    }
}

/// Why a feed could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("no {0} known")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build a message: {0}")]
    Message(#[from] segment_client::Error),
}

impl<S: Store> App<S> {
    /// `identify(userId)` with the user's flattened source traits.
    pub async fn feed_identify(&self, user_id: &str) -> Result<SendReport, FeedError> {
        let loaded = self.known_user(user_id).await?;
        let message = self.identify_message(user_id, &loaded).await?;
        Ok(self.segment.send(vec![message]).await)
    }

    /// One "Source Identified" track per touch of the user, over all its devices.
    pub async fn feed_user_touches(&self, user_id: &str) -> Result<SendReport, FeedError> {
        let loaded = self.known_user(user_id).await?;
        let messages = self.track_messages(Some(user_id), &loaded.journey.touches, |_| true)?;
        Ok(self.segment.send(messages).await)
    }

    /// One "Source Identified" track per touch of a device. A device that belongs to
    /// a user is numbered within the user's journey, so the same touch yields the
    /// same message whichever endpoint sends it.
    pub async fn feed_device_touches(&self, anonymous_id: &str) -> Result<SendReport, FeedError> {
        let user = self.store.user_of(anonymous_id).await?;
        let subject = match &user {
            Some(user) => Subject::User(user.clone()),
            None => Subject::Device(anonymous_id.to_owned()),
        };
        let loaded = self.load(&subject).await?;
        if loaded.events.is_empty() && user.is_none() {
            return Err(FeedError::NotFound(format!("anonymousId {anonymous_id:?}")));
        }
        let messages = self.track_messages(user.as_deref(), &loaded.journey.touches, |t| {
            t.device == anonymous_id
        })?;
        Ok(self.segment.send(messages).await)
    }

    /// The credit events of every conversion of the user, as they stand.
    pub async fn feed_user_conversions(&self, user_id: &str) -> Result<SendReport, FeedError> {
        let loaded = self.known_user(user_id).await?;
        let messages = self.credit_messages(&loaded, |_| true).await?;
        Ok(self.segment.send(messages).await)
    }

    /// Real-time mode after a pipeline run: the new touches' tracks; the
    /// corrections and credit events of each conversion credited anew; and the
    /// identify of each of their users and of each user in `linked` (whose
    /// devices changed, so whose traits did, even without a new touch).
    pub async fn feed_changes(
        &self,
        new: &[TouchRecord],
        linked: &BTreeSet<String>,
        credited: &[CreditChange],
    ) -> Result<SendReport, FeedError> {
        let mut messages = self.credit_change_messages(credited).await?;
        // Users whose traits changed without a new touch: linked ones, and
        // the owners of conversions credited anew.
        let mut changed = linked.clone();
        for change in credited {
            for ledger in change.old.iter().chain([&change.new]) {
                if let sma_store::Owner::User(user) = &ledger.owner {
                    changed.insert(user.clone());
                }
            }
        }
        let mut users = BTreeSet::new();
        for record in new {
            let user = self.store.user_of(&record.device).await?;
            let subject = match &user {
                Some(u) => Subject::User(u.clone()),
                None => Subject::Device(record.device.clone()),
            };
            let loaded = self.load(&subject).await?;
            messages.extend(self.track_messages(
                user.as_deref(),
                &loaded.journey.touches,
                |t| t.device == record.device && t.message_id == record.message_id,
            )?);
            if let Some(user) = user
                && users.insert(user.clone())
            {
                messages.push(self.identify_message(&user, &loaded).await?);
            }
        }
        // Accounts whose conversions were credited anew: their group traits.
        let accounts: BTreeSet<&str> = credited
            .iter()
            .flat_map(|change| change.old.iter().chain([&change.new]))
            .filter_map(|ledger| match &ledger.owner {
                sma_store::Owner::Account(account) => Some(account.as_str()),
                _ => None,
            })
            .collect();
        for account in accounts {
            messages.extend(self.group_message(account).await?);
        }
        for user in changed {
            if users.insert(user.clone()) {
                let loaded = self.load(&Subject::User(user.clone())).await?;
                // A user sma holds nothing of was erased (a Segment `delete`,
                // whose devices' claims going is the change): an identify
                // would bring them back downstream.
                if loaded.devices.is_empty() && loaded.events.is_empty() {
                    continue;
                }
                messages.push(self.identify_message(&user, &loaded).await?);
            }
        }
        Ok(self.segment.send(messages).await)
    }

    /// What a backfill sends for one journey (the `parts` asked for): for a
    /// user, its identify (as of all its touches); a track per touch in
    /// `[since, until)`; and the credit events of each conversion in that
    /// range. The messages are those the endpoints send for the same facts.
    pub async fn backfill_messages(
        &self,
        subject: &Subject,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        parts: FeedParts,
    ) -> Result<Vec<Message>, FeedError> {
        let loaded = self.load(subject).await?;
        let in_range = |ms: i64| {
            since.is_none_or(|s| ms >= s.timestamp_millis())
                && until.is_none_or(|u| ms < u.timestamp_millis())
        };
        let user = match subject {
            Subject::User(user) => Some(user.as_str()),
            Subject::Device(_) => None,
        };
        let mut messages = Vec::new();
        if parts.touches {
            messages =
                self.track_messages(user, &loaded.journey.touches, |t| in_range(t.timestamp))?;
        }
        if parts.conversions {
            messages.extend(
                self.credit_messages(&loaded, |c| in_range(c.timestamp))
                    .await?,
            );
        }
        if let Some(user) = user
            && parts.identify
            && !loaded.journey.touches.is_empty()
        {
            messages.push(self.identify_message(user, &loaded).await?);
        }
        Ok(messages)
    }

    async fn known_user(&self, user_id: &str) -> Result<Loaded, FeedError> {
        let loaded = self.load(&Subject::User(user_id.to_owned())).await?;
        if loaded.devices.is_empty() && loaded.events.is_empty() {
            return Err(FeedError::NotFound(format!("userId {user_id:?}")));
        }
        Ok(loaded)
    }

    async fn identify_message(&self, user_id: &str, loaded: &Loaded) -> Result<Message, FeedError> {
        let traits = self.journey_traits(loaded).await?;
        Ok(Message::identify(user_id, None, traits, as_of(loaded))?)
    }

    /// What identify and group calls say of a journey: its first, last and
    /// last non-direct source, its touches and devices, its conversions.
    async fn journey_traits(&self, loaded: &Loaded) -> Result<Map<String, Value>, FeedError> {
        let touches = &loaded.journey.touches;
        let mut traits = Map::new();
        let anchors = [
            ("first", sma_attribution::first_touch(touches)),
            ("last", sma_attribution::last_touch(touches)),
            (
                "last_non_direct",
                sma_attribution::last_non_direct_touch(touches),
            ),
        ];
        for (name, index) in anchors {
            if let Some(touch) = index.map(|i| &touches[i]) {
                for (field, value) in flat_source(touch) {
                    traits.insert(format!("source_{name}_{field}"), value);
                }
            }
        }
        traits.insert("source_touch_count".into(), json!(touches.len()));
        traits.insert("source_device_count".into(), json!(loaded.devices.len()));
        traits.extend(self.conversion_traits(loaded).await?);
        Ok(traits)
    }

    fn track_messages(
        &self,
        user_id: Option<&str>,
        touches: &[Touch],
        keep: impl Fn(&Touch) -> bool,
    ) -> Result<Vec<Message>, FeedError> {
        let event = &self.settings.feed.source_identification_event;
        touches
            .iter()
            .enumerate()
            .filter(|(_, t)| keep(t))
            .map(|(index, touch)| {
                let mut properties: Map<String, Value> = flat_source(touch).collect();
                properties.insert("touch_index".into(), json!(index));
                properties.insert("first_touch".into(), json!(index == 0));
                properties.insert("rule".into(), json!(touch.source.rule));
                properties.insert("ruleset".into(), json!(touch.source.ruleset));
                // The id is the touch's own facts (its page and what was
                // detected), not its place in the journey or who it is known
                // to belong to yet: linking a device re-sends the same ids.
                let facts = serde_json::to_string(&flat_source(touch).collect::<Map<_, _>>())
                    .expect("JSON values serialise");
                let message = Message::track(
                    event.as_str(),
                    user_id.map(str::to_owned),
                    Some(touch.device.clone()),
                    properties,
                    time(touch.timestamp),
                )?
                .keyed_by(&["touch", &touch.device, &touch.message_id, &facts]);
                Ok(message)
            })
            .collect()
    }
}

/// A touch flattened the way every downstream tool can read it (`channel`,
/// `source` … `timestamp`): the names behind `source_first_*` and the track
/// properties.
fn flat_source(touch: &Touch) -> impl Iterator<Item = (String, Value)> + '_ {
    let s = &touch.source;
    [
        ("channel", json!(s.channel.as_str())),
        ("source", json!(s.source)),
        ("medium", json!(s.medium)),
        ("campaign", json!(s.campaign)),
        ("term", json!(s.term)),
        ("content", json!(s.content)),
        ("referrer", json!(touch.referrer)),
        ("landing_page", json!(touch.landing_page)),
        ("timestamp", json!(crate::iso(time(touch.timestamp)))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The time traits of a journey are "as of": its latest touch (else its
/// latest message), so re-sending unchanged facts gives the same messageId.
fn as_of(loaded: &Loaded) -> DateTime<Utc> {
    loaded
        .journey
        .touches
        .last()
        .map(|t| time(t.timestamp))
        .or_else(|| loaded.events.last().map(|m| m.timestamp))
        .unwrap_or_default()
}
