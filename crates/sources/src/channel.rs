//! The GA4 default channel group rules, evaluated in GA4's order on a campaign's
//! source, medium and campaign name, with AI Assistant slotted in before the organic
//! social/video/search rules (an AI source is never one of those).

use crate::db::Category;
use crate::source::Channel;

/// What the channel rules look at; text fields are lowercased by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts<'a> {
    pub source: &'a str,
    pub medium: &'a str,
    pub campaign: &'a str,
    /// Category of the source, when the source names a known platform.
    pub category: Option<Category>,
    /// An unambiguous paid signal (a paid click id) stands in for a paid medium.
    pub paid: bool,
}

/// GA4 paid medium: `^(.*cp.*|ppc|retargeting|paid.*)$`.
fn is_paid(medium: &str) -> bool {
    medium.contains("cp")
        || medium == "ppc"
        || medium == "retargeting"
        || medium.starts_with("paid")
}

/// GA4 cross-network campaign: the name contains `cross-network`, whatever the
/// source and medium. `campaign` is lowercased by the caller.
pub(crate) fn is_cross_network(campaign: &str) -> bool {
    campaign.contains("cross-network")
}

/// GA4 shopping campaign: `^(.*(([^a-df-z]|^)shop|shopping).*)$`.
fn is_shopping_campaign(campaign: &str) -> bool {
    campaign.contains("shopping")
        || campaign.match_indices("shop").any(|(i, _)| {
            campaign[..i]
                .bytes()
                .last()
                .is_none_or(|b| !(b.is_ascii_lowercase() && b != b'e'))
        })
}

fn is_email(value: &str) -> bool {
    matches!(value, "email" | "e-mail" | "e_mail" | "e mail")
}

/// The channel GA4 would assign, plus AI Assistant.
pub(crate) fn classify(f: &Facts<'_>) -> Channel {
    let cat = f.category;
    let paid = f.paid || is_paid(f.medium);
    let shopping = cat == Some(Category::Shopping) || is_shopping_campaign(f.campaign);
    if f.source == "(direct)" && matches!(f.medium, "(none)" | "(not set)" | "") {
        Channel::Direct
    } else if is_cross_network(f.campaign) {
        Channel::CrossNetwork
    } else if shopping && paid {
        Channel::PaidShopping
    } else if paid && cat == Some(Category::Search) {
        Channel::PaidSearch
    } else if paid && cat == Some(Category::Social) {
        Channel::PaidSocial
    } else if paid && cat == Some(Category::Video) {
        Channel::PaidVideo
    } else if matches!(
        f.medium,
        "display" | "banner" | "expandable" | "interstitial" | "cpm"
    ) {
        Channel::Display
    } else if paid {
        Channel::PaidOther
    } else if shopping {
        Channel::OrganicShopping
    } else if cat == Some(Category::Ai) {
        Channel::AiAssistant
    } else if cat == Some(Category::Social)
        || matches!(
            f.medium,
            "social" | "social-network" | "social-media" | "sm" | "social network" | "social media"
        )
    {
        Channel::OrganicSocial
    } else if cat == Some(Category::Video) || f.medium.contains("video") {
        Channel::OrganicVideo
    } else if cat == Some(Category::Search) || f.medium == "organic" {
        Channel::OrganicSearch
    } else if matches!(f.medium, "referral" | "app" | "link") {
        Channel::Referral
    } else if is_email(f.source) || is_email(f.medium) || cat == Some(Category::Email) {
        Channel::Email
    } else if f.medium == "affiliate" {
        Channel::Affiliates
    } else if f.medium == "audio" {
        Channel::Audio
    } else if f.source == "sms" || f.medium == "sms" {
        Channel::Sms
    } else if f.medium.ends_with("push")
        || f.medium.contains("mobile")
        || f.medium.contains("notification")
        || f.source == "firebase"
    {
        Channel::MobilePush
    } else {
        Channel::Unassigned
    }
}

/// Channel of a referral from a known platform of `category`.
pub(crate) fn of_referrer(category: Category) -> Channel {
    match category {
        Category::Search => Channel::OrganicSearch,
        Category::Social => Channel::OrganicSocial,
        Category::Video => Channel::OrganicVideo,
        Category::Shopping => Channel::OrganicShopping,
        Category::Email => Channel::Email,
        Category::Ai => Channel::AiAssistant,
        Category::Display => Channel::Display,
        Category::PaidSearch => Channel::PaidSearch,
        Category::Referral => Channel::Referral,
    }
}

/// `medium` of a referral from a known platform: GA4's `organic` for search engines,
/// the paid medium for ad hosts, `email` for webmail, `referral` otherwise.
pub(crate) fn referrer_medium(category: Category) -> &'static str {
    match category {
        Category::Search => "organic",
        Category::Email => "email",
        Category::Display => "display",
        Category::PaidSearch => "cpc",
        _ => "referral",
    }
}

/// The rule that decides a referral from a known platform of `category`.
pub(crate) fn referrer_rule(category: Category) -> &'static str {
    match category {
        Category::Search => "referrer:search",
        Category::Social => "referrer:social",
        Category::Video => "referrer:video",
        Category::Shopping => "referrer:shopping",
        Category::Email => "referrer:email",
        Category::Ai => "referrer:ai",
        Category::Display => "referrer:display",
        Category::PaidSearch => "referrer:paid_search",
        Category::Referral => "referrer:referral",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopping_campaign_regex_follows_ga4() {
        for yes in [
            "shop",
            "summer_shop",
            "eshop",
            "shopping-q3",
            "e-shop",
            "1shop",
        ] {
            assert!(is_shopping_campaign(yes), "{yes}");
        }
        for no in ["workshop", "bishop", "spring", ""] {
            assert!(!is_shopping_campaign(no), "{no}");
        }
    }

    #[test]
    fn paid_medium_regex_follows_ga4() {
        for yes in [
            "cpc",
            "ppc",
            "retargeting",
            "paid_social",
            "paidsearch",
            "cpm",
            "cpv",
        ] {
            assert!(is_paid(yes), "{yes}");
        }
        for no in ["organic", "email", "social", "p-p-c", "unpaid"] {
            assert!(!is_paid(no), "{no}");
        }
    }
}
