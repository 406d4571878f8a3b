//! Source detection and touches: every page view's source, and each device's touches
//! re-derived from its whole history (so late and out-of-order events land right).

use std::collections::BTreeSet;

use sma_attribution::{PageView, Touch};
use sma_sources::{Campaign, Source, Visit};
use sma_spec::Message;
use sma_store::{Store, StoreError, TouchJson, TouchRecord};

use crate::{App, Rules};

impl Rules {
    /// The source of one page or screen view.
    pub fn detect(&self, message: &Message) -> Source {
        let c = &message.campaign;
        let visit = Visit {
            url: message.url.as_deref(),
            referrer: message.referrer.as_deref(),
            campaign: Campaign {
                source: c.source.as_deref(),
                medium: c.medium.as_deref(),
                name: c.name.as_deref(),
                term: c.term.as_deref(),
                content: c.content.as_deref(),
                id: c.id.as_deref(),
            },
        };
        sma_sources::detect_visit(&visit, &self.detection)
    }

    /// A page or screen view of a device as touches are derived from it: its
    /// source detected now. None for other messages and views without a device.
    pub fn page_view(&self, message: &Message) -> Option<PageView> {
        if !message.message_type.is_view() {
            return None;
        }
        Some(PageView {
            message_id: message.message_id.clone(),
            device: message.anonymous_id.clone()?,
            timestamp: message.timestamp.timestamp_millis(),
            url: message.url.clone(),
            referrer: message.referrer.clone(),
            source: self.detect(message),
        })
    }

    /// The touches of a device's whole history of views, as stored.
    pub fn touch_records(&self, views: &[PageView]) -> Vec<TouchRecord> {
        sma_attribution::touches(views, &self.touches)
            .iter()
            .map(record)
            .collect()
    }

    /// The touches of a device's whole history of messages, in time order.
    pub fn history_touches(&self, history: &[Message]) -> Vec<TouchRecord> {
        let views: Vec<PageView> = history.iter().filter_map(|m| self.page_view(m)).collect();
        self.touch_records(&views)
    }
}

impl<S: Store> App<S> {
    /// The rule the store runs on a device's history (see [`Rules::history_touches`]).
    pub fn derive_touches(&self) -> impl sma_store::DeriveTouches + use<S> {
        let rules = std::sync::Arc::clone(&self.rules);
        move |history: &[Message]| rules.history_touches(history)
    }

    /// Re-derives the touches of these devices from their whole history; answers
    /// the touches that were not stored before (what real-time mode sends). One
    /// read and one write for all of them.
    pub async fn refresh_touches(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<Vec<TouchRecord>, StoreError> {
        if devices.is_empty() {
            return Ok(Vec::new());
        }
        let devices: Vec<String> = devices.iter().cloned().collect();
        let histories = self.store.devices_events(&devices).await?;
        let sets: Vec<(String, Vec<TouchRecord>)> = devices
            .into_iter()
            .zip(histories)
            .map(|(device, events)| {
                let records = self.rules.history_touches(&events);
                (device, records)
            })
            .collect();
        self.store.replace_touches_of(&sets).await
    }

    /// The stored touches of these devices, merged in time order.
    pub(crate) async fn touches_of(&self, devices: &[String]) -> Result<Vec<Touch>, StoreError> {
        let mut touches = Vec::new();
        for device in devices {
            for stored in self.store.device_touches(device).await? {
                touches.push(touch(stored)?);
            }
        }
        touches.sort_by(|a, b| {
            (a.timestamp, &a.device, &a.message_id).cmp(&(b.timestamp, &b.device, &b.message_id))
        });
        Ok(touches)
    }
}

fn record(touch: &Touch) -> TouchRecord {
    TouchRecord {
        device: touch.device.clone(),
        timestamp: chrono::DateTime::from_timestamp_millis(touch.timestamp).unwrap_or_default(),
        message_id: touch.message_id.clone(),
        touch: TouchJson::new(touch).expect("touches serialise"),
    }
}

pub(crate) fn touch(record: TouchRecord) -> Result<Touch, StoreError> {
    record.touch.parse().map_err(|e| {
        StoreError::Corrupt(format!(
            "touch {} of {}: {e}",
            record.message_id, record.device
        ))
    })
}
