//! The ways people arrive at the site: landing URLs with the campaign parameters
//! and click ids each channel really sends, and the referrers browsers really
//! report.

use super::pages::{BLOG, DEMO, HOME, LOGIN, MARKETING, PAID_LANDING, PRICING, Page};
use crate::rng::{ALNUM, Draws, Rng};

/// How a session arrives at the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    Google,
    Bing,
    DuckDuckGo,
    GoogleAds,
    MicrosoftAds,
    Facebook,
    FacebookAds,
    LinkedIn,
    LinkedInAds,
    X,
    XAds,
    Newsletter,
    ChatGpt,
    Perplexity,
    Partner,
    Direct,
}

use Arrival::*;

/// A first visit: found through search, ads, social, AI assistants and partners.
pub const FIRST_VISIT: &[(Arrival, f64)] = &[
    (Google, 24.0),
    (Bing, 4.0),
    (DuckDuckGo, 2.0),
    (GoogleAds, 12.0),
    (MicrosoftAds, 2.0),
    (Facebook, 4.0),
    (FacebookAds, 5.0),
    (LinkedIn, 4.0),
    (LinkedInAds, 4.0),
    (X, 2.0),
    (XAds, 1.0),
    (Newsletter, 2.0),
    (ChatGpt, 5.0),
    (Perplexity, 2.0),
    (Partner, 7.0),
    (Direct, 20.0),
];

/// A return visit: mostly direct, search and (for subscribers) the newsletter.
pub const RETURN_VISIT: &[(Arrival, f64)] = &[
    (Google, 18.0),
    (Bing, 2.0),
    (GoogleAds, 6.0),
    (FacebookAds, 3.0),
    (LinkedIn, 3.0),
    (LinkedInAds, 3.0),
    (Newsletter, 10.0),
    (ChatGpt, 3.0),
    (Partner, 3.0),
    (Direct, 40.0),
];

/// Where a session lands, and what the browser reports as its referrer.
#[derive(Debug, Clone)]
pub struct Landing {
    pub page: Page,
    /// Query parameters of the landing URL, in order.
    pub query: Vec<(&'static str, String)>,
    pub referrer: Option<String>,
}

const SEARCH_TERMS: &[&str] = &[
    "lumen metrics",
    "marketing attribution software",
    "multi touch attribution tool",
    "segment attribution",
    "b2b saas attribution",
    "utm tracking tool",
];

impl Arrival {
    /// A landing for this arrival; `week` names newsletter issues.
    pub fn landing(self, rng: &mut Rng, week: &str) -> Landing {
        let blog = rng.pick(BLOG);
        let content = if rng.chance(0.6) {
            blog
        } else {
            rng.pick(MARKETING)
        };
        let mut query = Vec::new();
        let (page, referrer): (Page, Option<String>) = match self {
            Google => (
                content,
                Some(
                    rng.pick(&[
                        "https://www.google.com/",
                        "https://www.google.com/",
                        "https://www.google.co.uk/",
                        "https://www.google.de/",
                    ])
                    .to_string(),
                ),
            ),
            Bing => {
                let referrer = if rng.chance(0.3) {
                    format!(
                        "https://www.bing.com/search?q={}",
                        plus(rng.pick(SEARCH_TERMS))
                    )
                } else {
                    "https://www.bing.com/".to_owned()
                };
                (content, Some(referrer))
            }
            DuckDuckGo => (content, Some("https://duckduckgo.com/".to_owned())),
            GoogleAds => {
                // Auto-tagging alone, or auto-tagging plus manual utm tags.
                if rng.chance(0.5) {
                    let term = rng.pick(SEARCH_TERMS);
                    utm(
                        &mut query,
                        "google",
                        "cpc",
                        rng.pick(&["brand-search", "generic-attribution", "competitor-ga4"]),
                    );
                    query.push(("utm_term", term.to_owned()));
                }
                query.push(("gclid", format!("Cj0KCQiA{}", rng.token(80, ALNUM))));
                (
                    rng.pick(&[PAID_LANDING, HOME, PRICING]),
                    Some("https://www.google.com/".to_owned()),
                )
            }
            MicrosoftAds => {
                utm(&mut query, "bing", "cpc", "brand-search-bing");
                query.push(("utm_term", rng.pick(SEARCH_TERMS).to_string()));
                query.push(("msclkid", rng.hex(32)));
                (PAID_LANDING, Some("https://www.bing.com/".to_owned()))
            }
            Facebook => {
                query.push(("fbclid", format!("IwAR{}", rng.token(56, ALNUM))));
                (
                    blog,
                    Some(
                        rng.pick(&[
                            "https://l.facebook.com/",
                            "https://m.facebook.com/",
                            "https://www.facebook.com/",
                        ])
                        .to_string(),
                    ),
                )
            }
            FacebookAds => {
                utm(
                    &mut query,
                    "facebook",
                    "paid_social",
                    rng.pick(&["retargeting-trial", "lookalike-saas-founders"]),
                );
                query.push((
                    "utm_content",
                    rng.pick(&["video-15s", "carousel-a", "static-b"])
                        .to_string(),
                ));
                query.push(("fbclid", format!("IwAR{}", rng.token(56, ALNUM))));
                (
                    PAID_LANDING,
                    Some(
                        rng.pick(&["https://m.facebook.com/", "https://l.instagram.com/"])
                            .to_string(),
                    ),
                )
            }
            LinkedIn => (blog, Some("https://www.linkedin.com/".to_owned())),
            LinkedInAds => {
                utm(
                    &mut query,
                    "linkedin",
                    "paid_social",
                    rng.pick(&["abm-enterprise", "webinar-attribution-101"]),
                );
                query.push(("li_fat_id", crate::rng::uuid(rng.next_u64(), 0)));
                (
                    rng.pick(&[PAID_LANDING, DEMO]),
                    Some("https://www.linkedin.com/".to_owned()),
                )
            }
            X => (blog, Some(format!("https://t.co/{}", rng.token(10, ALNUM)))),
            XAds => {
                utm(&mut query, "twitter", "paid_social", "launch-week");
                query.push(("twclid", format!("2-{}", rng.token(24, ALNUM))));
                (
                    PAID_LANDING,
                    Some(format!("https://t.co/{}", rng.token(10, ALNUM))),
                )
            }
            Newsletter => {
                utm(
                    &mut query,
                    "newsletter",
                    "email",
                    &format!("newsletter-{week}"),
                );
                query.push((
                    "utm_content",
                    rng.pick(&["cta-button", "header-link", "footer"])
                        .to_string(),
                ));
                let referrer = rng
                    .chance(0.25)
                    .then(|| "https://mail.google.com/".to_owned());
                (blog, referrer)
            }
            ChatGpt => {
                // ChatGPT tags the links it cites.
                query.push(("utm_source", "chatgpt.com".to_owned()));
                (
                    rng.pick(&[HOME, PRICING, MARKETING[9], blog]),
                    Some("https://chatgpt.com/".to_owned()),
                )
            }
            Perplexity => (
                rng.pick(&[HOME, MARKETING[9], blog]),
                Some("https://www.perplexity.ai/".to_owned()),
            ),
            Partner => {
                let referrer = rng.pick(&[
                    "https://www.g2.com/products/lumen-metrics/reviews",
                    "https://www.capterra.com/p/241187/Lumen-Metrics/",
                    "https://martechweekly.blog/best-attribution-tools-2025/",
                    "https://blog.growthpartners.co/segment-attribution-guide",
                    "https://www.indiehackers.com/post/how-we-fixed-our-attribution-4f2a9c",
                ]);
                (
                    rng.pick(&[HOME, PRICING, MARKETING[5]]),
                    Some(referrer.to_owned()),
                )
            }
            Direct => (rng.pick(&[HOME, HOME, PRICING, LOGIN]), None),
        };
        Landing {
            page,
            query,
            referrer,
        }
    }

    /// Paid and email arrivals convert better: they were targeted.
    pub fn intent(self) -> f64 {
        match self {
            GoogleAds | MicrosoftAds | LinkedInAds | Newsletter => 1.6,
            FacebookAds | XAds | ChatGpt | Perplexity | Partner => 1.2,
            _ => 1.0,
        }
    }
}

fn utm(query: &mut Vec<(&'static str, String)>, source: &str, medium: &str, campaign: &str) {
    query.push(("utm_source", source.to_owned()));
    query.push(("utm_medium", medium.to_owned()));
    query.push(("utm_campaign", campaign.to_owned()));
}

/// Form-encodes a value made of words (the only values generated here).
pub fn plus(value: &str) -> String {
    value.replace(' ', "+")
}
