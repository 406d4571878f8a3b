//! Source detection, and touches as the journeys read them back.

use sma_attribution::{PageView, Touch};
use sma_sources::{Campaign, Source, Visit};
use sma_spec::Message;
use sma_store::{Store, StoreError, TouchRecord};

use crate::pipeline::time;
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
    /// source detected now. None for other messages, views without a device,
    /// and views of a bot or from a spam referrer (`BOT_FILTER`,
    /// `REFERRER_SPAM_LIST`), which are no visits.
    pub fn page_view(&self, message: &Message) -> Option<PageView> {
        if !message.message_type.is_view() || self.screened(message).is_some() {
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

    /// Why a view is no visit (a bot's, or from a spam referrer), if it is not.
    pub fn screened(&self, message: &Message) -> Option<sma_sources::Screened> {
        self.detection
            .screen(message.user_agent.as_deref(), message.referrer.as_deref())
    }
}

impl<S: Store> App<S> {
    /// The stored touches of these devices, merged in time order.
    pub(crate) async fn touches_of(&self, devices: &[String]) -> Result<Vec<Touch>, StoreError> {
        self.touches_between(devices, i64::MIN, i64::MAX).await
    }

    /// The touches of the devices started in `[from, to]` (epoch ms), merged in
    /// time order.
    pub(crate) async fn touches_between(
        &self,
        devices: &[String],
        from: i64,
        to: i64,
    ) -> Result<Vec<Touch>, StoreError> {
        let (from, to) = (time(from), time(to.saturating_add(1)));
        let mut touches = Vec::new();
        for device in devices {
            for stored in self.store.device_touches_between(device, from, to).await? {
                touches.push(touch(stored)?);
            }
        }
        in_journey_order(&mut touches);
        Ok(touches)
    }
}

/// The order of a journey's touches over its devices: time, device, messageId.
pub(crate) fn in_journey_order(touches: &mut [Touch]) {
    touches.sort_by(|a, b| {
        (a.timestamp, &a.device, &a.message_id).cmp(&(b.timestamp, &b.device, &b.message_id))
    });
}

pub(crate) fn touch(record: TouchRecord) -> Result<Touch, StoreError> {
    record.touch.parse().map_err(|e| {
        StoreError::Corrupt(format!(
            "touch {} of {}: {e}",
            record.message_id, record.device
        ))
    })
}
