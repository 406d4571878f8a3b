//! Detection: campaign evidence on the landing page first, then the referrer.

use std::borrow::Cow;

use crate::campaign::{Campaign, ClickId, UrlCampaign, scan};
use crate::channel::{
    Facts, classify, is_cross_network, of_referrer, referrer_medium, referrer_rule,
};
use crate::config::{Config, HostKind};
use crate::db::{Category, DB};
use crate::domain::site;
use crate::parse::{param, split_url};
use crate::ruleset::ruleset;
use crate::source::{Channel, Origin, Source};

/// One page or screen view as source detection sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Visit<'a> {
    /// Page URL (`context.page.url`, else `properties.url`).
    pub url: Option<&'a str>,
    /// HTTP referrer (`context.page.referrer`, else `properties.referrer`).
    pub referrer: Option<&'a str>,
    /// `context.campaign`; the URL's own `utm_*` parameters win over it.
    pub campaign: Campaign<'a>,
}

/// Detects the source of a visit from its page URL and referrer. Either may be
/// missing or malformed; this never fails and never panics.
pub fn detect(url: Option<&str>, referrer: Option<&str>, config: &Config) -> Source {
    detect_visit(
        &Visit {
            url,
            referrer,
            campaign: Campaign::default(),
        },
        config,
    )
}

/// [`detect`] with every input Segment gives, `context.campaign` included.
pub fn detect_visit(visit: &Visit<'_>, config: &Config) -> Source {
    let page = visit.url.map(split_url);
    let page_host = page.as_ref().and_then(|p| p.host.as_deref());
    let referral = read_referrer(visit.referrer, page_host, config);
    let url_campaign = page.as_ref().map(|p| scan(p.query)).unwrap_or_default();
    match from_campaign(&url_campaign, &visit.campaign, &referral) {
        Some(source) => source,
        None => from_referrer(&referral),
    }
}

/// What the referrer alone says about a visit.
enum Referral<'a> {
    /// No referrer at all.
    Absent,
    /// A referrer with no usable host (`DIRECT`, `about:blank`, garbage).
    NoHost,
    /// `rule` says why: same host, same site, configured or excluded.
    Internal {
        host: Cow<'a, str>,
        rule: &'static str,
    },
    Known {
        host: Cow<'a, str>,
        platform: usize,
        term: Option<Cow<'a, str>>,
    },
    External {
        host: Cow<'a, str>,
    },
}

impl Referral<'_> {
    fn host(&self) -> Option<&str> {
        match self {
            Referral::Internal { host, .. }
            | Referral::Known { host, .. }
            | Referral::External { host } => Some(host),
            Referral::Absent | Referral::NoHost => None,
        }
    }
}

fn read_referrer<'a>(
    referrer: Option<&'a str>,
    page_host: Option<&str>,
    config: &Config,
) -> Referral<'a> {
    let Some(referrer) = referrer.filter(|r| !r.trim().is_empty()) else {
        return Referral::Absent;
    };
    let parts = split_url(referrer);
    let Some(host) = parts.host.clone() else {
        return Referral::NoHost;
    };
    let internal = |rule| Referral::Internal {
        host: host.clone(),
        rule,
    };
    if page_host == Some(&*host) {
        return internal("internal:same_host");
    }
    match config.host_kind(&host) {
        Some(HostKind::Internal) => return internal("internal:configured"),
        Some(HostKind::Excluded) => return internal("internal:excluded"),
        None => {}
    }
    let platform = if parts.is_app() {
        DB.lookup_app(&host)
    } else {
        DB.lookup_host(&host, parts.path)
    };
    // A known platform is a platform even on the page's own registrable domain
    // (Gmail linking to a google.com page); a plain host there is the same site.
    if let Some(platform) = platform.filter(|&p| DB.platform(p).category != Category::Referral) {
        let term = DB
            .platform(platform)
            .params
            .iter()
            .find_map(|key| param(parts.query, key));
        return Referral::Known {
            host,
            platform,
            term,
        };
    }
    if !parts.is_app() && page_host.is_some_and(|page| site(page) == site(&host)) {
        return internal("internal:same_site");
    }
    Referral::External { host }
}

fn base(channel: Channel, rule: String, origin: Origin) -> Source {
    Source {
        channel,
        source: None,
        medium: None,
        campaign: None,
        term: None,
        content: None,
        referrer_host: None,
        click_id: None,
        rule,
        origin,
        ruleset: ruleset().to_owned(),
    }
}

/// `source` of a referral from an unknown host: the host without `www.`.
fn host_source(host: &str) -> String {
    host.strip_prefix("www.").unwrap_or(host).to_owned()
}

fn from_referrer(referral: &Referral<'_>) -> Source {
    let mut out = match referral {
        Referral::Absent | Referral::NoHost => {
            let rule = if matches!(referral, Referral::Absent) {
                "direct"
            } else {
                "direct:no_referrer_host"
            };
            let mut s = base(Channel::Direct, rule.to_owned(), Origin::Direct);
            s.source = Some("(direct)".to_owned());
            s.medium = Some("(none)".to_owned());
            s
        }
        Referral::Internal { rule, .. } => {
            base(Channel::Internal, (*rule).to_owned(), Origin::Internal)
        }
        Referral::Known { platform, term, .. } => {
            let p = DB.platform(*platform);
            let rule = referrer_rule(p.category).to_owned();
            let mut s = base(of_referrer(p.category), rule, Origin::Referrer);
            s.source = Some(p.source.clone());
            s.medium = Some(referrer_medium(p.category).to_owned());
            s.term = term.as_deref().map(str::to_owned);
            s
        }
        Referral::External { host } => {
            let mut s = base(
                Channel::Referral,
                "referrer:referral".to_owned(),
                Origin::Referrer,
            );
            s.source = Some(host_source(host));
            s.medium = Some("referral".to_owned());
            s
        }
    };
    out.referrer_host = referral.host().map(str::to_owned);
    out
}

/// A `context.campaign` value, unless blank: blanks say nothing (URL values are
/// already cleaned by `scan`).
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The Source decided by campaign parameters or a click id, if there are any.
fn from_campaign(
    url: &UrlCampaign<'_>,
    ctx: &Campaign<'_>,
    referral: &Referral<'_>,
) -> Option<Source> {
    let source = url.source.as_deref().or(given(ctx.source));
    let medium = url.medium.as_deref().or(given(ctx.medium));
    let name = url
        .campaign
        .as_deref()
        .or(given(ctx.name))
        .or(url.id.as_deref())
        .or(given(ctx.id));
    let click = url.click_id;
    let (referrer_term, referrer_category) = match referral {
        Referral::Known { term, platform, .. } => {
            (term.as_deref(), Some(DB.platform(*platform).category))
        }
        _ => (None, None),
    };
    let signals = Signals {
        click,
        tagged_medium: medium.is_some(),
        referrer: referrer_category,
    };
    let mut out = if source.is_some() || medium.is_some() {
        let rule = if url.source.is_some() || url.medium.is_some() {
            "utm"
        } else {
            "context_campaign"
        };
        let source = source.or(click.map(|c| c.source));
        decided(
            source,
            medium.or(click.map(|c| c.medium)),
            name,
            &signals,
            rule.to_owned(),
        )
    } else if let Some(click) = click {
        let source = organic_platform(click, referral).unwrap_or(click.source);
        decided(
            Some(source),
            Some(click.medium),
            name,
            &signals,
            format!("click_id:{}", click.name),
        )
    } else {
        let name = name?;
        let mut s = match referral {
            Referral::Known { .. } | Referral::External { .. } => {
                let mut s = from_referrer(referral);
                s.rule = format!("utm+{}", s.rule);
                s
            }
            _ => base(
                Channel::Unassigned,
                "utm:campaign_only".to_owned(),
                Origin::Campaign,
            ),
        };
        // GA4 decides Cross-network on the name alone, before any referrer rule.
        if is_cross_network(&name.to_lowercase()) {
            s.channel = Channel::CrossNetwork;
            s.rule = "utm:cross_network".to_owned();
        }
        s.campaign = Some(name.to_owned());
        s
    };
    out.origin = Origin::Campaign;
    out.click_id = click.map(|c| c.name.to_owned());
    out.term = url
        .term
        .as_deref()
        .or(given(ctx.term))
        .or(referrer_term)
        .map(str::to_owned);
    out.content = url
        .content
        .as_deref()
        .or(given(ctx.content))
        .map(str::to_owned);
    out.referrer_host = referral.host().map(str::to_owned);
    Some(out)
}

/// For an id Meta adds to organic links too, the social platform of the referrer
/// (Instagram, Threads …) names the source better than the id.
fn organic_platform(click: &ClickId, referral: &Referral<'_>) -> Option<&'static str> {
    match referral {
        Referral::Known { platform, .. } if click.organic => {
            let p = DB.platform(*platform);
            (p.category == Category::Social).then_some(p.source.as_str())
        }
        _ => None,
    }
}

/// What besides the campaign values bears on the channel.
struct Signals<'a> {
    /// The strongest click id on the page.
    click: Option<&'a ClickId>,
    /// The medium was tagged (utm or `context.campaign`), not implied by the click id.
    tagged_medium: bool,
    /// Category of the referrer's platform, when it is a known one.
    referrer: Option<Category>,
}

/// Where an ad was shown, when the referrer of a paid click tells: a click from a
/// video platform is a video ad, one through an ad server a display ad.
fn placement(referrer: Option<Category>) -> Option<(Channel, Category)> {
    match referrer? {
        Category::Video => Some((Channel::PaidVideo, Category::Video)),
        Category::Display => Some((Channel::Display, Category::Display)),
        _ => None,
    }
}

/// A Source whose channel the GA4 rules decide from campaign values.
fn decided(
    source: Option<&str>,
    medium: Option<&str>,
    name: Option<&str>,
    signals: &Signals<'_>,
    mut rule: String,
) -> Source {
    let lower = |v: Option<&str>| v.map(|v| v.trim().to_lowercase()).unwrap_or_default();
    let (source_lc, medium_lc, name_lc) = (lower(source), lower(medium), lower(name));
    let category = source
        .and_then(|s| DB.lookup_name(s))
        .map(|p| DB.platform(p).category);
    let facts = Facts {
        source: &source_lc,
        medium: &medium_lc,
        campaign: &name_lc,
        category,
        paid: false,
    };
    // The click id's own channel only stands in when no medium was tagged.
    let implied = signals.click.filter(|_| !signals.tagged_medium);
    let mut channel = implied
        .and_then(|c| c.channel)
        .unwrap_or_else(|| classify(&facts));
    if let Some(click) = signals.click.filter(|c| c.is_paid()) {
        // A paid click id is proof of an ad click: a tagged medium outside GA4's paid
        // list (`pmax`, `organic`) must not turn it into organic traffic.
        if channel.is_organic() {
            channel = classify(&Facts {
                paid: true,
                ..facts
            });
            rule = format!("{rule}+click_id:{}", click.name);
        }
        if implied.is_some()
            && channel != Channel::CrossNetwork
            && let Some((placed, category)) = placement(signals.referrer)
        {
            channel = placed;
            rule = format!("{rule}+{}", referrer_rule(category));
        }
    }
    let mut s = base(channel, rule, Origin::Campaign);
    s.source = source.map(|v| v.trim().to_owned());
    s.medium = medium.map(|v| v.trim().to_owned());
    s.campaign = name.map(str::to_owned);
    s
}
