//! Random histories, and their ledger computed at once by the attribution
//! crate: what the pipeline must end with whatever the delivery.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};
use sma_app::{Rules, Settings};
use sma_attribution::{
    Activity, Conversion, Milestones, Model, SessionState, Touch, attribute, fold_all,
    in_key_order, lookback_window,
};
use sma_spec::{Item, Message, ParseOptions, is_blocked_id, parse_body};
use sma_store::{CreditTotal, Owner, PathTotal};

const CONVERSION: &str = "Signed Up";
const LEAD: &str = "Lead Created";
const OPPORTUNITY: &str = "Opportunity Opened";

/// A day of lookback, so windows cut into histories of a few days.
pub fn settings() -> Settings {
    Settings::from_lookup(|name| {
        match name {
            "CONVERSION_EVENTS" => Some(CONVERSION),
            "LEAD_EVENT" => Some(LEAD),
            "OPPORTUNITY_EVENT" => Some(OPPORTUNITY),
            "LOOKBACK_DAYS" => Some("1"),
            _ => None,
        }
        .map(str::to_owned)
    })
    .unwrap()
}

pub fn all_days() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
    )
}

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(minute)
}

/// Where a view came from: search, an email campaign, nowhere (Direct), the
/// site itself, a paid click, another site.
const VISITS: [(&str, &str); 6] = [
    ("https://acme.io/", "https://www.google.com/"),
    (
        "https://acme.io/?utm_source=news&utm_medium=email&utm_campaign=spring",
        "",
    ),
    ("https://acme.io/pricing", ""),
    ("https://acme.io/docs", "https://acme.io/"),
    ("https://acme.io/?gclid=abc", "https://www.google.com/"),
    ("https://acme.io/blog", "https://news.ycombinator.com/"),
];

#[derive(Debug, Clone)]
pub struct Event(Value);

impl Event {
    pub fn view(minute: i64, device: usize, visit: usize) -> Event {
        let (url, referrer) = VISITS[visit % VISITS.len()];
        Event(json!({
            "type": "page", "anonymousId": format!("a{device}"), "timestamp": at(minute),
            "context": {"page": {"url": url, "referrer": referrer}}
        }))
    }

    /// A track from a device, its user, or both (which also links them).
    pub fn track(minute: i64, device: usize, user: Option<usize>, event: &str) -> Event {
        let mut body = json!({
            "type": "track", "anonymousId": format!("a{device}"), "event": event,
            "timestamp": at(minute), "properties": {"revenue": 10 + minute % 7}
        });
        if let Some(user) = user {
            body["userId"] = json!(format!("u{user}"));
        }
        Event(body)
    }

    /// A server-side track: the user's id only.
    pub fn server_track(minute: i64, user: usize, event: &str) -> Event {
        Event(json!({
            "type": "track", "userId": format!("u{user}"), "event": event,
            "timestamp": at(minute), "properties": {"revenue": 25}
        }))
    }

    pub fn identify(minute: i64, device: usize, user: usize) -> Event {
        Event(json!({
            "type": "identify", "anonymousId": format!("a{device}"),
            "userId": format!("u{user}"), "timestamp": at(minute)
        }))
    }
}

/// Events clustered in a few days, so that sessions, gaps and lookback
/// windows all occur.
pub fn event() -> impl Strategy<Value = Event> {
    let minute = (0i64..4, 0i64..180).prop_map(|(day, m)| day * 1440 + (m / 60) * 400 + m % 60);
    (minute, 0usize..3, 0usize..2, 0u8..10, 0usize..6).prop_map(
        |(minute, device, user, kind, visit)| match kind {
            0..=4 => Event::view(minute, device, visit),
            5 => Event::identify(minute, device, user),
            6 => Event::track(minute, device, (visit % 2 == 0).then_some(user), CONVERSION),
            7 => Event::server_track(minute, user, CONVERSION),
            8 => Event::track(minute, device, Some(user), [LEAD, OPPORTUNITY][visit % 2]),
            _ => Event::track(minute, device, None, "Clicked"),
        },
    )
}

/// A history: each event with its own messageId.
#[derive(Debug, Clone)]
pub struct History {
    bodies: Vec<String>,
}

impl History {
    pub fn new(events: Vec<Event>) -> History {
        let bodies = events
            .into_iter()
            .enumerate()
            .map(|(i, Event(mut body))| {
                body["messageId"] = json!(format!("m{i}"));
                body.to_string()
            })
            .collect();
        History { bodies }
    }

    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    /// The events at `indices`, as one body's items.
    pub fn items(&self, indices: &[usize]) -> Vec<Item> {
        let body = format!(
            "[{}]",
            indices
                .iter()
                .map(|&i| self.bodies[i].as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        // Delivered after the last event (the generator spans 4 days): a
        // time more than a day after arrival is implausible.
        let opts = ParseOptions {
            implied_type: None,
            received_at: at(4 * 1440),
        };
        parse_body(body.as_bytes(), opts).unwrap()
    }

    fn messages(&self) -> Vec<Message> {
        let all: Vec<usize> = (0..self.len()).collect();
        self.items(&all)
            .into_iter()
            .map(|item| match item {
                Item::Message(m) => m,
                other => panic!("not a message: {other:?}"),
            })
            .collect()
    }
}

/// (model, day, channel, campaign).
type CreditKey = (String, NaiveDate, String, Option<String>);

/// What the ledger must hold.
type PathKey = (NaiveDate, Vec<String>);

pub struct Expected {
    /// Model -> totals, in (day, channel, campaign) order.
    pub credits: BTreeMap<String, Vec<CreditTotal>>,
    /// Day -> the paths of the journeys counted on it, in path order.
    pub paths: BTreeMap<NaiveDate, Vec<PathTotal>>,
    /// (day, first channel, last channel) -> journeys per stage: visit, lead,
    /// opportunity, conversion.
    pub funnel: BTreeMap<(NaiveDate, String, String), [i64; 4]>,
    /// Conversion messageId -> the journey it is credited over.
    pub conversions: BTreeMap<String, Owner>,
}

fn day(ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(ms).unwrap().date_naive()
}

/// The ledger of `history` computed at once.
pub fn expected(history: &History, rules: &Rules) -> Expected {
    let messages = history.messages();
    // The owner of a device: its earliest claim.
    let mut claims: HashMap<String, ((i64, String), String)> = HashMap::new();
    for m in &messages {
        if let Some(link) = m.identity_link() {
            let evidence = (m.timestamp.timestamp_millis(), m.message_id.clone());
            let claim = claims
                .entry(link.anonymous_id)
                .or_insert((evidence.clone(), link.user_id.clone()));
            if evidence < claim.0 {
                *claim = (evidence, link.user_id);
            }
        }
    }
    let owner_of_device = |d: &str| match claims.get(d) {
        Some((_, user)) => Owner::User(user.clone()),
        None => Owner::Device(d.to_owned()),
    };
    let carrier_owner = |m: &Message| match (&m.user_id, &m.anonymous_id) {
        (Some(u), _) if !is_blocked_id(u) => Some(Owner::User(u.clone())),
        (_, Some(a)) if !is_blocked_id(a) => Some(owner_of_device(a)),
        _ => None,
    };

    // Touches per device, from all its events at once.
    let mut activities: BTreeMap<String, Vec<Activity>> = BTreeMap::new();
    for m in &messages {
        let Some(device) = m.anonymous_id.clone() else {
            continue;
        };
        let activity = match rules.page_view(m) {
            Some(view) => Activity::View(view),
            None => Activity::Other {
                timestamp: m.timestamp.timestamp_millis(),
                message_id: m.message_id.clone(),
            },
        };
        activities.entry(device).or_default().push(activity);
    }
    let mut journeys: BTreeMap<Owner, (Vec<Touch>, Vec<Conversion>, Milestones)> = BTreeMap::new();
    for (device, mut acts) in activities {
        in_key_order(&mut acts);
        let touches = fold_all(&mut SessionState::default(), &acts, &rules.touches);
        journeys
            .entry(owner_of_device(&device))
            .or_default()
            .0
            .extend(touches);
    }
    let mut conversions = BTreeMap::new();
    for m in &messages {
        let Some(owner) = carrier_owner(m) else {
            continue;
        };
        let at = m.timestamp.timestamp_millis();
        let journey = journeys.entry(owner.clone()).or_default();
        if rules.is_conversion(m) {
            conversions.insert(m.message_id.clone(), owner);
            journey.1.push(Conversion {
                event: m.event.clone().unwrap_or_default(),
                timestamp: at,
                value: m.value,
                message_id: m.message_id.clone(),
            });
        } else if rules.is_lead(m) {
            journey.2.lead.push(at);
        } else if rules.is_opportunity(m) {
            journey.2.opportunity.push(at);
        }
    }

    let cfg = &rules.models;
    let mut credits: BTreeMap<CreditKey, (f64, f64)> = BTreeMap::new();
    // (day, path) -> (conversions, non-conversions, value, days to convert).
    let mut paths: BTreeMap<PathKey, (i64, i64, f64, f64)> = BTreeMap::new();
    let mut funnel: BTreeMap<(NaiveDate, String, String), [i64; 4]> = BTreeMap::new();
    for (touches, journey_conversions, milestones) in journeys.values_mut() {
        touches.sort_by(|a, b| {
            (a.timestamp, &a.device, &a.message_id).cmp(&(b.timestamp, &b.device, &b.message_id))
        });
        for c in attribute(touches, journey_conversions, milestones, cfg) {
            let d = day(c.conversion.timestamp);
            for (model, credited) in &c.credits {
                for credit in credited {
                    let t = &touches[credit.touch];
                    let key = (
                        model.to_string(),
                        d,
                        t.channel().as_str().to_owned(),
                        t.source.campaign.clone(),
                    );
                    let total = credits.entry(key).or_default();
                    total.0 += credit.credit;
                    total.1 += credit.credit * c.conversion.value_or_zero();
                }
            }
            let window = lookback_window(touches, c.conversion.timestamp, cfg);
            if let Some(first) = touches[window.clone()].first() {
                let days = (c.conversion.timestamp - first.timestamp) as f64 / 86_400_000.0;
                let path = touches[window]
                    .iter()
                    .map(|t| t.channel().as_str().to_owned())
                    .collect();
                let total = paths.entry((d, path)).or_default();
                total.0 += 1;
                total.2 += c.conversion.value_or_zero();
                total.3 += days;
            }
        }
        if let Some(latest) = touches.last() {
            let first = touches
                .iter()
                .find(|t| t.timestamp >= latest.timestamp - cfg.lookback_ms)
                .expect("the latest touch is in its own window");
            let since = |times: &[i64]| i64::from(times.iter().any(|&t| t >= first.timestamp));
            let converted: Vec<i64> = journey_conversions.iter().map(|c| c.timestamp).collect();
            let key = (
                day(latest.timestamp),
                first.channel().as_str().to_owned(),
                latest.channel().as_str().to_owned(),
            );
            // How far it went: a later stage implies the earlier ones.
            let conversion = since(&converted);
            let opportunity = conversion.max(since(&milestones.opportunity));
            let lead = opportunity.max(since(&milestones.lead));
            let stages = funnel.entry(key).or_default();
            for (stage, reached) in stages.iter_mut().zip([1, lead, opportunity, conversion]) {
                *stage += reached;
            }
        }
        let last_conversion = journey_conversions.iter().map(|c| c.timestamp).max();
        let open: Vec<&Touch> = touches
            .iter()
            .filter(|t| last_conversion.is_none_or(|c| t.timestamp > c))
            .collect();
        if let Some(latest) = open.last().map(|t| t.timestamp) {
            let path = open
                .iter()
                .filter(|t| t.timestamp >= latest - cfg.lookback_ms)
                .map(|t| t.channel().as_str().to_owned())
                .collect();
            paths.entry((day(latest), path)).or_default().1 += 1;
        }
    }
    let mut by_model: BTreeMap<String, Vec<CreditTotal>> = Model::ALL
        .iter()
        .map(|m| (m.as_str().to_owned(), Vec::new()))
        .collect();
    for ((model, day, channel, campaign), (conversions, value)) in credits {
        if conversions.abs() > 1e-9 || value.abs() > 1e-9 {
            by_model.get_mut(&model).unwrap().push(CreditTotal {
                day,
                channel,
                campaign,
                conversions,
                value,
            });
        }
    }
    Expected {
        credits: by_model,
        paths: paths.into_iter().fold(
            BTreeMap::new(),
            |mut per_day: BTreeMap<NaiveDate, Vec<PathTotal>>,
             ((day, path), (conversions, non_conversions, value, days))| {
                if conversions != 0 || non_conversions != 0 {
                    per_day.entry(day).or_default().push(PathTotal {
                        path,
                        conversions,
                        non_conversions,
                        value,
                        days,
                    });
                }
                per_day
            },
        ),
        funnel,
        conversions,
    }
}
