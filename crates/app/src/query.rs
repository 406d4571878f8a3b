//! The debugging / query API's answers: a device's or a user's history.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sma_spec::Message;
use sma_store::{Conflict, Store, StoreError};

use crate::App;

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

/// `GET /api/anonymous/{id}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub anonymous_id: String,
    pub user_id: Option<String>,
    pub events: Vec<EventView>,
    pub touches: Vec<serde_json::Value>,
}

/// `GET /api/user/{id}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub user_id: String,
    pub devices: Vec<String>,
    pub events: Vec<EventView>,
    pub touches: Vec<serde_json::Value>,
    pub conflicts: Vec<Conflict>,
}

/// The API's one timestamp format: RFC 3339, milliseconds, `Z`.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl<S: Store> App<S> {
    /// A device's history; `None` when sma knows nothing of it.
    pub async fn device(&self, anonymous_id: &str) -> Result<Option<DeviceView>, StoreError> {
        let events = self.store.device_events(anonymous_id).await?;
        let user_id = self.store.user_of(anonymous_id).await?;
        if events.is_empty() && user_id.is_none() {
            return Ok(None);
        }
        Ok(Some(DeviceView {
            anonymous_id: anonymous_id.to_owned(),
            user_id,
            events: events.iter().map(EventView::from).collect(),
            touches: Vec::new(),
        }))
    }

    /// A user's history over all its devices; `None` when sma knows nothing of it.
    pub async fn user(&self, user_id: &str) -> Result<Option<UserView>, StoreError> {
        let devices = self.store.devices_of(user_id).await?;
        let events = self.store.user_events(user_id, &devices).await?;
        let conflicts = self.store.conflicts_of(user_id).await?;
        if devices.is_empty() && events.is_empty() && conflicts.is_empty() {
            return Ok(None);
        }
        Ok(Some(UserView {
            user_id: user_id.to_owned(),
            devices,
            events: events.iter().map(EventView::from).collect(),
            touches: Vec::new(),
            conflicts,
        }))
    }
}
