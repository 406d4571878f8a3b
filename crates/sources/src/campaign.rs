//! Campaign evidence on the landing page: `utm_*` parameters and ad-platform click ids.

use std::borrow::Cow;

use crate::parse::{decode, query_pairs};
use crate::source::Channel;

/// Campaign fields given outside the URL, e.g. Segment's `context.campaign`
/// (`name`, `source`, `medium`, `term`, `content`). URL parameters win over these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Campaign<'a> {
    /// Campaign source (`utm_source`), e.g. `newsletter`.
    pub source: Option<&'a str>,
    /// Campaign medium (`utm_medium`), e.g. `email`.
    pub medium: Option<&'a str>,
    /// Campaign name (`utm_campaign`).
    pub name: Option<&'a str>,
    /// Paid keyword (`utm_term`).
    pub term: Option<&'a str>,
    /// Ad or link variant (`utm_content`).
    pub content: Option<&'a str>,
    /// Campaign id (`utm_id`), used as the name when there is none.
    pub id: Option<&'a str>,
}

/// A click id parameter that ad (and some email and affiliate) platforms append.
#[derive(Debug)]
pub(crate) struct ClickId {
    pub name: &'static str,
    /// Source and medium it implies when no `utm_source`/`utm_medium` says otherwise.
    pub source: &'static str,
    pub medium: &'static str,
    /// A channel the source/medium pair cannot express (srsltid: Organic Shopping).
    pub channel: Option<Channel>,
    /// The id is added to organic links too (fbclid): the social referrer, when there
    /// is one, names the platform better than the id does.
    pub organic: bool,
}

impl ClickId {
    /// True for the ids only an ad click carries: unambiguous paid evidence.
    pub fn is_paid(&self) -> bool {
        matches!(self.medium, "cpc" | "display")
    }
}

const fn id(name: &'static str, source: &'static str, medium: &'static str) -> ClickId {
    ClickId {
        name,
        source,
        medium,
        channel: None,
        organic: false,
    }
}

/// Known click ids, strongest evidence first: when several are present the first
/// listed decides (a paid id beats the organic fbclid Meta adds to every link).
pub(crate) const CLICK_IDS: &[ClickId] = &[
    id("gclid", "google", "cpc"),
    id("gbraid", "google", "cpc"),
    id("wbraid", "google", "cpc"),
    id("gad_source", "google", "cpc"),
    id("dclid", "google", "display"),
    id("msclkid", "bing", "cpc"),
    id("yclid", "yandex", "cpc"),
    id("ttclid", "tiktok", "cpc"),
    id("li_fat_id", "linkedin", "cpc"),
    id("twclid", "twitter", "cpc"),
    id("rdt_cid", "reddit", "cpc"),
    id("epik", "pinterest", "cpc"),
    id("sccid", "snapchat", "cpc"),
    id("scclid", "snapchat", "cpc"),
    id("irclickid", "impact", "affiliate"),
    id("awc", "awin", "affiliate"),
    id("cjevent", "cj", "affiliate"),
    id("mc_cid", "mailchimp", "email"),
    id("_hsenc", "hubspot", "email"),
    id("_kx", "klaviyo", "email"),
    ClickId {
        organic: true,
        ..id("fbclid", "facebook", "social")
    },
    ClickId {
        organic: true,
        ..id("igshid", "instagram", "social")
    },
    ClickId {
        channel: Some(Channel::OrganicShopping),
        ..id("srsltid", "google", "organic")
    },
];

/// `utm_*` values and the strongest click id found in a query string.
#[derive(Debug, Default)]
pub(crate) struct UrlCampaign<'a> {
    pub source: Option<Cow<'a, str>>,
    pub medium: Option<Cow<'a, str>>,
    pub campaign: Option<Cow<'a, str>>,
    pub term: Option<Cow<'a, str>>,
    pub content: Option<Cow<'a, str>>,
    pub id: Option<Cow<'a, str>>,
    pub click_id: Option<&'static ClickId>,
}

/// Reads campaign parameters from a page URL's query (keys case-insensitive, blank
/// values ignored, the first non-blank occurrence wins).
pub(crate) fn scan(query: &str) -> UrlCampaign<'_> {
    let mut found = UrlCampaign::default();
    let mut best: Option<usize> = None;
    for (key, raw) in query_pairs(query) {
        if raw.trim().is_empty() {
            continue;
        }
        let slot = match utm_key(key) {
            Some("source") => &mut found.source,
            Some("medium") => &mut found.medium,
            Some("campaign") => &mut found.campaign,
            Some("term") => &mut found.term,
            Some("content") => &mut found.content,
            Some("id") => &mut found.id,
            _ => {
                if let Some(rank) = CLICK_IDS
                    .iter()
                    .position(|c| key.eq_ignore_ascii_case(c.name))
                {
                    best = Some(best.map_or(rank, |b| b.min(rank)));
                }
                continue;
            }
        };
        if slot.is_none() {
            let value = decode(raw);
            if !value.trim().is_empty() {
                *slot = Some(trim_cow(value));
            }
        }
    }
    found.click_id = best.map(|rank| &CLICK_IDS[rank]);
    found
}

const UTM_FIELDS: [&str; 6] = ["source", "medium", "campaign", "term", "content", "id"];

/// `source` for `utm_source` etc. (ASCII case-insensitive).
fn utm_key(key: &str) -> Option<&'static str> {
    let prefix = key.get(..4)?;
    let rest = key.get(4..)?;
    if !prefix.eq_ignore_ascii_case("utm_") {
        return None;
    }
    UTM_FIELDS
        .into_iter()
        .find(|f| rest.eq_ignore_ascii_case(f))
}

fn trim_cow(value: Cow<'_, str>) -> Cow<'_, str> {
    match value {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) if s.trim().len() == s.len() => Cow::Owned(s),
        Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utm_values_decoded_and_trimmed() {
        let c = scan(
            "UTM_Source=News+Letter&utm_medium=%20email&utm_campaign=&utm_campaign=spring%2F24",
        );
        assert_eq!(c.source.as_deref(), Some("News Letter"));
        assert_eq!(c.medium.as_deref(), Some("email"));
        assert_eq!(c.campaign.as_deref(), Some("spring/24"));
        assert!(c.click_id.is_none());
    }

    #[test]
    fn the_strongest_click_id_wins_whatever_the_order() {
        let c = scan("fbclid=a&gclid=b");
        assert_eq!(c.click_id.map(|c| c.name), Some("gclid"));
        let c = scan("ScCid=x");
        assert_eq!(c.click_id.map(|c| c.name), Some("sccid"));
        assert!(scan("gclid=").click_id.is_none());
    }
}
