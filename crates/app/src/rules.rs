//! The detection and attribution rules the settings ask for, built once at start.

use sma_attribution::{ModelConfig, TouchRules};
use sma_spec::Message;

use crate::RuleSettings;

const MINUTE_MS: f64 = 60_000.0;
const DAY_MS: f64 = 24.0 * 60.0 * MINUTE_MS;

#[derive(Debug, Clone)]
pub struct Rules {
    pub detection: sma_sources::Config,
    pub touches: TouchRules,
    pub models: ModelConfig,
    pub conversion_events: Vec<String>,
    pub account_conversion_events: Vec<String>,
    pub lead_event: Option<String>,
    pub opportunity_event: Option<String>,
    pub won_event: Option<String>,
}

impl Rules {
    pub fn new(settings: &RuleSettings) -> Rules {
        let mut detection = sma_sources::Config::default()
            .with_internal_domains(&settings.internal_domains)
            .with_referral_exclusions(&settings.referral_exclusions)
            .with_referrer_spam_list(&settings.referrer_spam_list.0);
        if !settings.bot_filter {
            detection = detection.without_bot_filter();
        }
        Rules {
            detection,
            touches: TouchRules {
                session_timeout_ms: (f64::from(settings.session_timeout_minutes) * MINUTE_MS)
                    as i64,
            },
            models: ModelConfig {
                lookback_ms: (f64::from(settings.lookback_days) * DAY_MS) as i64,
                half_life_ms: (settings.time_decay_half_life_days * DAY_MS) as i64,
            },
            conversion_events: settings.conversion_events.clone(),
            account_conversion_events: settings.account_conversion_events.clone(),
            lead_event: settings.lead_event.clone(),
            opportunity_event: settings.opportunity_event.clone(),
            won_event: settings.won_event.clone(),
        }
    }

    /// A `track` of one of the `CONVERSION_EVENTS`.
    pub fn is_conversion(&self, message: &Message) -> bool {
        named(message).is_some_and(|e| self.conversion_events.iter().any(|c| c == e))
    }

    /// A `track` of one of the `ACCOUNT_CONVERSION_EVENTS`.
    pub fn is_account_conversion(&self, message: &Message) -> bool {
        named(message).is_some_and(|e| self.account_conversion_events.iter().any(|c| c == e))
    }

    pub fn is_lead(&self, message: &Message) -> bool {
        named(message).is_some_and(|e| self.lead_event.as_deref() == Some(e))
    }

    pub fn is_opportunity(&self, message: &Message) -> bool {
        named(message).is_some_and(|e| self.opportunity_event.as_deref() == Some(e))
    }

    pub fn is_won(&self, message: &Message) -> bool {
        named(message).is_some_and(|e| self.won_event.as_deref() == Some(e))
    }
}

fn named(message: &Message) -> Option<&str> {
    (message.message_type == sma_spec::MessageType::Track)
        .then_some(message.event.as_deref())
        .flatten()
}
