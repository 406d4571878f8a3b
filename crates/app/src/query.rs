//! The query API's answers: a device's or a user's history, touches, conversions and
//! their credits under every model.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sma_attribution::{Credit, Touch};
use sma_spec::Message;
use sma_store::{Conflict, Store, StoreError};

use crate::App;
use crate::journey::{Loaded, Subject};

/// One stored message as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    #[serde(rename = "type")]
    pub message_type: &'static str,
    pub timestamp: String,
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
}

impl From<&Message> for EventView {
    fn from(m: &Message) -> EventView {
        EventView {
            message_type: m.message_type.as_str(),
            timestamp: iso(m.timestamp),
            message_id: m.message_id.clone(),
            anonymous_id: m.anonymous_id.clone(),
            user_id: m.user_id.clone(),
            name: m.name.clone(),
            event: m.event.clone(),
            url: m.url.clone(),
            referrer: m.referrer.clone(),
        }
    }
}

/// One touch as the API (and the Segment traits) name its fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TouchView {
    pub timestamp: String,
    pub device: String,
    pub channel: &'static str,
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
    pub referrer: Option<String>,
    pub referrer_host: Option<String>,
    pub landing_page: Option<String>,
    pub click_id: Option<String>,
    pub rule: String,
    pub message_id: String,
}

impl From<&Touch> for TouchView {
    fn from(t: &Touch) -> TouchView {
        let s = &t.source;
        TouchView {
            timestamp: iso(DateTime::from_timestamp_millis(t.timestamp).unwrap_or_default()),
            device: t.device.clone(),
            channel: s.channel.as_str(),
            source: s.source.clone(),
            medium: s.medium.clone(),
            campaign: s.campaign.clone(),
            term: s.term.clone(),
            content: s.content.clone(),
            referrer: t.referrer.clone(),
            referrer_host: s.referrer_host.clone(),
            landing_page: t.landing_page.clone(),
            click_id: s.click_id.clone(),
            rule: s.rule.clone(),
            message_id: t.message_id.clone(),
        }
    }
}

/// A conversion and its credits: model name -> `[{touch: index into touches, credit}]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversionView {
    pub event: String,
    pub timestamp: String,
    pub value: Option<f64>,
    pub message_id: String,
    pub credits: BTreeMap<&'static str, Vec<Credit>>,
}

/// What is known of a journey's attribution.
#[derive(Debug, Clone, Serialize)]
pub struct Attribution {
    pub touches: Vec<TouchView>,
    pub conversions: Vec<ConversionView>,
    pub first_touch: Option<TouchView>,
    pub last_touch: Option<TouchView>,
    pub last_non_direct_touch: Option<TouchView>,
}

/// `GET /api/device/{id}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub anonymous_id: String,
    pub user_id: Option<String>,
    pub events: Vec<EventView>,
    #[serde(flatten)]
    pub attribution: Attribution,
}

/// `GET /api/user/{id}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub user_id: String,
    pub devices: Vec<String>,
    pub events: Vec<EventView>,
    #[serde(flatten)]
    pub attribution: Attribution,
    pub conflicts: Vec<Conflict>,
}

/// The API's one timestamp format: RFC 3339, milliseconds, `Z`.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl<S: Store> App<S> {
    /// A device's history; `None` when sma knows nothing of it.
    pub async fn device(&self, anonymous_id: &str) -> Result<Option<DeviceView>, StoreError> {
        let loaded = self.load(&Subject::Device(anonymous_id.to_owned())).await?;
        let user_id = self.store.user_of(anonymous_id).await?;
        if loaded.events.is_empty() && user_id.is_none() {
            return Ok(None);
        }
        Ok(Some(DeviceView {
            anonymous_id: anonymous_id.to_owned(),
            user_id,
            events: loaded.events.iter().map(EventView::from).collect(),
            attribution: self.attribution(&loaded),
        }))
    }

    /// A user's history over all its devices; `None` when sma knows nothing of it.
    pub async fn user(&self, user_id: &str) -> Result<Option<UserView>, StoreError> {
        let loaded = self.load(&Subject::User(user_id.to_owned())).await?;
        let conflicts = self.store.conflicts_of(user_id).await?;
        if loaded.devices.is_empty() && loaded.events.is_empty() && conflicts.is_empty() {
            return Ok(None);
        }
        Ok(Some(UserView {
            user_id: user_id.to_owned(),
            devices: loaded.devices.clone(),
            events: loaded.events.iter().map(EventView::from).collect(),
            attribution: self.attribution(&loaded),
            conflicts,
        }))
    }

    pub(crate) fn attribution(&self, loaded: &Loaded) -> Attribution {
        let j = &loaded.journey;
        let view = |index: Option<usize>| index.map(|i| TouchView::from(&j.touches[i]));
        let conversions = sma_attribution::attribute(
            &j.touches,
            &j.conversions,
            &j.milestones,
            &self.rules.models,
        )
        .into_iter()
        .map(|c| ConversionView {
            event: c.conversion.event,
            timestamp: iso(
                DateTime::from_timestamp_millis(c.conversion.timestamp).unwrap_or_default()
            ),
            value: c.conversion.value,
            message_id: c.conversion.message_id,
            credits: c.credits,
        })
        .collect();
        Attribution {
            touches: j.touches.iter().map(TouchView::from).collect(),
            conversions,
            first_touch: view(sma_attribution::first_touch(&j.touches)),
            last_touch: view(sma_attribution::last_touch(&j.touches)),
            last_non_direct_touch: view(sma_attribution::last_non_direct_touch(&j.touches)),
        }
    }
}
