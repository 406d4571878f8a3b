use serde::{Deserialize, Serialize};

/// A traffic channel: the GA4 default channel group in its evaluation order, plus
/// `AI Assistant` and `Internal` (navigation within the own site; never a touch).
///
/// Serialised as the GA4 label (`"Organic Search"`), which is also what downstream
/// tools show, so the label is the one name used in the API, traits and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Channel {
    #[serde(rename = "Direct")]
    Direct,
    #[serde(rename = "Cross-network")]
    CrossNetwork,
    #[serde(rename = "Paid Shopping")]
    PaidShopping,
    #[serde(rename = "Paid Search")]
    PaidSearch,
    #[serde(rename = "Paid Social")]
    PaidSocial,
    #[serde(rename = "Paid Video")]
    PaidVideo,
    #[serde(rename = "Display")]
    Display,
    #[serde(rename = "Paid Other")]
    PaidOther,
    #[serde(rename = "Organic Shopping")]
    OrganicShopping,
    #[serde(rename = "Organic Social")]
    OrganicSocial,
    #[serde(rename = "Organic Video")]
    OrganicVideo,
    #[serde(rename = "Organic Search")]
    OrganicSearch,
    #[serde(rename = "Referral")]
    Referral,
    #[serde(rename = "Email")]
    Email,
    #[serde(rename = "Affiliates")]
    Affiliates,
    #[serde(rename = "Audio")]
    Audio,
    #[serde(rename = "SMS")]
    Sms,
    #[serde(rename = "Mobile Push Notifications")]
    MobilePush,
    #[serde(rename = "Unassigned")]
    Unassigned,
    #[serde(rename = "AI Assistant")]
    AiAssistant,
    #[serde(rename = "Internal")]
    Internal,
}

impl Channel {
    /// Every channel, in GA4 evaluation order followed by the two of our own.
    pub const ALL: [Channel; 21] = [
        Channel::Direct,
        Channel::CrossNetwork,
        Channel::PaidShopping,
        Channel::PaidSearch,
        Channel::PaidSocial,
        Channel::PaidVideo,
        Channel::Display,
        Channel::PaidOther,
        Channel::OrganicShopping,
        Channel::OrganicSocial,
        Channel::OrganicVideo,
        Channel::OrganicSearch,
        Channel::Referral,
        Channel::Email,
        Channel::Affiliates,
        Channel::Audio,
        Channel::Sms,
        Channel::MobilePush,
        Channel::Unassigned,
        Channel::AiAssistant,
        Channel::Internal,
    ];

    /// The channel whose label ([`Channel::as_str`]) is `label`.
    pub fn parse(label: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == label)
    }

    /// The GA4 label, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "Direct",
            Channel::CrossNetwork => "Cross-network",
            Channel::PaidShopping => "Paid Shopping",
            Channel::PaidSearch => "Paid Search",
            Channel::PaidSocial => "Paid Social",
            Channel::PaidVideo => "Paid Video",
            Channel::Display => "Display",
            Channel::PaidOther => "Paid Other",
            Channel::OrganicShopping => "Organic Shopping",
            Channel::OrganicSocial => "Organic Social",
            Channel::OrganicVideo => "Organic Video",
            Channel::OrganicSearch => "Organic Search",
            Channel::Referral => "Referral",
            Channel::Email => "Email",
            Channel::Affiliates => "Affiliates",
            Channel::Audio => "Audio",
            Channel::Sms => "SMS",
            Channel::MobilePush => "Mobile Push Notifications",
            Channel::Unassigned => "Unassigned",
            Channel::AiAssistant => "AI Assistant",
            Channel::Internal => "Internal",
        }
    }

    /// True for the organic channels GA4 gives unpaid traffic from a platform.
    pub fn is_organic(self) -> bool {
        matches!(
            self,
            Channel::OrganicShopping
                | Channel::OrganicSocial
                | Channel::OrganicVideo
                | Channel::OrganicSearch
        )
    }

    /// Parses a GA4 label (case-insensitive), the inverse of [`Channel::as_str`].
    pub fn from_label(label: &str) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(label))
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of evidence decided a [`Source`]; the touch rules depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Campaign parameters (utm_*, `context.campaign`) or a click id on the page URL.
    Campaign,
    /// An external referrer that is not excluded.
    Referrer,
    /// No referrer and no campaign parameters.
    Direct,
    /// Same-site navigation, an `INTERNAL_DOMAINS` host or a `REFERRAL_EXCLUSIONS`
    /// host: continues the current session, never starts a touch.
    Internal,
}

/// Where one visit came from, and which rule decided it.
///
/// Field names are the ones used everywhere: the query API, the flattened Segment
/// traits (`source_first_channel` …) and the reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub channel: Channel,
    /// e.g. `google`, `newsletter`, `chatgpt.com`.
    pub source: Option<String>,
    /// e.g. `organic`, `cpc`, `email`, `referral`, `(none)`.
    pub medium: Option<String>,
    pub campaign: Option<String>,
    /// Search term (utm_term, or extracted from a search engine referrer).
    pub term: Option<String>,
    pub content: Option<String>,
    /// Host of the referrer URL, lowercased, when there was a parseable referrer.
    pub referrer_host: Option<String>,
    /// Name of the click id parameter that decided, e.g. `gclid`.
    pub click_id: Option<String>,
    /// Which rule decided, for explainability, e.g. `utm`, `click_id:gclid`, `referrer:search`.
    pub rule: String,
    pub origin: Origin,
    /// Version of the compiled rule set and host data that produced this Source.
    pub ruleset: String,
}

impl Source {
    /// True for a source that must never start a touch (internal navigation or an
    /// excluded referrer).
    pub fn is_internal(&self) -> bool {
        self.origin == Origin::Internal
    }

    /// True for Direct: used by the last non-direct model.
    pub fn is_direct(&self) -> bool {
        self.channel == Channel::Direct
    }
}
