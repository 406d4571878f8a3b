//! Attribution rules: what counts as a conversion, a touch and a session, and
//! how far back credit reaches (`crate::Rules` is built from them).

use super::SettingError;
use super::env::Env;

/// The detection, session and model rules.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSettings {
    /// Track events that are conversions.
    pub conversion_events: Vec<String>,
    /// Track events that are conversions of the account they name (a deal
    /// won), credited over the journey of all its members.
    pub account_conversion_events: Vec<String>,
    /// The milestone of a lead: the W-shaped and full-path models' second anchor.
    pub lead_event: Option<String>,
    /// The milestone of an opportunity: their third anchor.
    pub opportunity_event: Option<String>,
    /// The milestone of a deal won: the full-path model's fourth anchor.
    pub won_event: Option<String>,
    /// Inactivity that ends a session.
    pub session_timeout_minutes: u32,
    /// How long before a conversion touches still get credit.
    pub lookback_days: u32,
    /// Half-life of the time decay model.
    pub time_decay_half_life_days: f64,
    /// Hosts that count as the site itself.
    pub internal_domains: Vec<String>,
    /// Hosts that never start a touch, beside the built-in payment and login ones.
    pub referral_exclusions: Vec<String>,
    /// Whether page views of bots (by `context.userAgent`) are kept from
    /// starting touches.
    pub bot_filter: bool,
    /// Referrer hosts whose page views never start a touch.
    pub referrer_spam_list: SpamList,
}

impl RuleSettings {
    pub(super) fn read(env: &Env) -> Result<RuleSettings, SettingError> {
        Ok(RuleSettings {
            conversion_events: env.list(
                "CONVERSION_EVENTS",
                "Signed Up,Demo Request,Order Completed",
            ),
            account_conversion_events: env.list("ACCOUNT_CONVERSION_EVENTS", ""),
            lead_event: env.optional("LEAD_EVENT"),
            opportunity_event: env.optional("OPPORTUNITY_EVENT"),
            won_event: env.optional("WON_EVENT"),
            session_timeout_minutes: env.positive("SESSION_TIMEOUT_MINUTES", 30)?,
            lookback_days: env.positive("LOOKBACK_DAYS", 90)?,
            time_decay_half_life_days: env.positive_f64("TIME_DECAY_HALF_LIFE_DAYS", 7.0)?,
            internal_domains: env.list("INTERNAL_DOMAINS", ""),
            referral_exclusions: env.list("REFERRAL_EXCLUSIONS", ""),
            bot_filter: env.boolean("BOT_FILTER", true)?,
            referrer_spam_list: SpamList(env.file_text("REFERRER_SPAM_LIST")?.unwrap_or_default()),
        })
    }
}

/// The text of a referrer spam list file (Matomo's `spammers.txt` format),
/// read at start; shown by its size, not its thousands of hosts.
#[derive(Clone, PartialEq, Default)]
pub struct SpamList(pub String);

impl std::fmt::Debug for SpamList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpamList({} lines)", self.0.lines().count())
    }
}
