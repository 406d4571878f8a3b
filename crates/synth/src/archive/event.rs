//! Segment messages as analytics.js (browser) and analytics-node (server) send them
//! and as Segment's S3 archive stores them: Segment's field names, `context.page`
//! on every browser call, `context.campaign` parsed from the page's utm tags.

use chrono::{DateTime, SecondsFormat};
use serde_json::{Map, Value, json};

use super::pages::Page;
use super::site::{Landing, plus};
use crate::rng::uuid;

/// One archive line and the time it happened (epoch milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub ts: i64,
    pub text: String,
}

/// A browser: one device of a visitor.
#[derive(Debug, Clone)]
pub struct Browser {
    pub anonymous_id: String,
    pub user_agent: &'static str,
    pub locale: &'static str,
}

pub const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
];

/// The page a browser tab is on: what analytics.js puts in `context.page`.
#[derive(Debug, Clone)]
pub struct Tab {
    page: Page,
    url: String,
    search: String,
    referrer: Option<String>,
    campaign: Option<Value>,
}

impl Tab {
    /// The landing page of a session, with its campaign tags.
    pub fn landing(landing: &Landing) -> Tab {
        let search = if landing.query.is_empty() {
            String::new()
        } else {
            let pairs: Vec<String> = landing
                .query
                .iter()
                .map(|(k, v)| format!("{k}={}", plus(v)))
                .collect();
            format!("?{}", pairs.join("&"))
        };
        let campaign: Map<String, Value> = landing
            .query
            .iter()
            .filter_map(|(k, v)| {
                let field = k.strip_prefix("utm_")?;
                // analytics.js names utm_campaign `name`.
                let field = if field == "campaign" { "name" } else { field };
                Some((field.to_owned(), Value::String(v.clone())))
            })
            .collect();
        Tab {
            page: landing.page,
            url: format!("{}{}{search}", landing.page.base, landing.page.path),
            search,
            referrer: landing.referrer.clone(),
            campaign: (!campaign.is_empty()).then_some(Value::Object(campaign)),
        }
    }

    /// Clicking through to `page`: the previous URL becomes the referrer.
    pub fn navigate(&self, page: Page) -> Tab {
        Tab {
            page,
            url: format!("{}{}", page.base, page.path),
            search: String::new(),
            referrer: Some(self.url.clone()),
            campaign: None,
        }
    }

    fn context(&self, browser: &Browser) -> Value {
        let mut context = json!({
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
            "locale": browser.locale,
            "userAgent": browser.user_agent,
            "page": {
                "path": self.page.path,
                "referrer": self.referrer.as_deref().unwrap_or(""),
                "search": self.search,
                "title": self.page.title,
                "url": self.url,
            },
        });
        if let Some(campaign) = &self.campaign {
            context["campaign"] = campaign.clone();
        }
        context
    }
}

/// Writes messages with unique, deterministic ids: `key` identifies the session
/// (visitor and session number) and a counter the message within it.
pub struct Emitter<'a> {
    pub seed: u64,
    pub key: u64,
    pub counter: u64,
    pub out: &'a mut Vec<Line>,
}

impl Emitter<'_> {
    pub fn page(&mut self, ts: i64, tab: &Tab, browser: &Browser, user_id: Option<&str>) {
        let properties = json!({
            "path": tab.page.path,
            "referrer": tab.referrer.as_deref().unwrap_or(""),
            "search": tab.search,
            "title": tab.page.title,
            "url": tab.url,
        });
        let mut message = self.browser_message("page", ts, tab, browser, user_id);
        message.insert("name".into(), tab.page.name.into());
        message.insert("properties".into(), properties);
        self.push(ts, message);
    }

    pub fn track(
        &mut self,
        ts: i64,
        tab: &Tab,
        browser: &Browser,
        user_id: Option<&str>,
        event: &str,
        properties: Value,
    ) {
        let mut message = self.browser_message("track", ts, tab, browser, user_id);
        message.insert("event".into(), event.into());
        message.insert("properties".into(), properties);
        self.push(ts, message);
    }

    pub fn identify(
        &mut self,
        ts: i64,
        tab: &Tab,
        browser: &Browser,
        user_id: &str,
        traits: Value,
    ) {
        let mut message = self.browser_message("identify", ts, tab, browser, Some(user_id));
        message.insert("traits".into(), traits);
        self.push(ts, message);
    }

    /// A milestone a backend (the CRM sync) sends: userId only, no browser.
    pub fn server_track(&mut self, ts: i64, user_id: &str, event: &str, properties: Value) {
        let mut message = self.envelope("track", ts, None, Some(user_id), "server");
        message.insert(
            "context".into(),
            json!({"library": {"name": "analytics-node", "version": "2.1.0"}}),
        );
        message.insert("event".into(), event.into());
        message.insert("properties".into(), properties);
        self.push(ts, message);
    }

    fn browser_message(
        &mut self,
        kind: &str,
        ts: i64,
        tab: &Tab,
        browser: &Browser,
        user_id: Option<&str>,
    ) -> Map<String, Value> {
        let mut message = self.envelope(kind, ts, Some(&browser.anonymous_id), user_id, "client");
        message.insert("context".into(), tab.context(browser));
        message
    }

    fn envelope(
        &mut self,
        kind: &str,
        ts: i64,
        anonymous_id: Option<&str>,
        user_id: Option<&str>,
        channel: &str,
    ) -> Map<String, Value> {
        let id = uuid(self.seed, self.key | self.counter);
        self.counter += 1;
        // Segment stamps arrival a moment after the client sent it.
        let lag = 40 + (self.key.wrapping_add(self.counter) % 900) as i64;
        let mut message = Map::new();
        message.insert("type".into(), kind.into());
        message.insert("messageId".into(), format!("ajs-next-{ts}-{id}").into());
        message.insert(
            "anonymousId".into(),
            anonymous_id.map_or(Value::Null, Into::into),
        );
        message.insert("userId".into(), user_id.map_or(Value::Null, Into::into));
        message.insert("channel".into(), channel.into());
        message.insert("timestamp".into(), time(ts).into());
        message.insert("originalTimestamp".into(), time(ts).into());
        message.insert("sentAt".into(), time(ts + 20).into());
        message.insert("receivedAt".into(), time(ts + lag).into());
        message.insert("integrations".into(), json!({}));
        message.insert("version".into(), 2.into());
        message
    }

    fn push(&mut self, ts: i64, message: Map<String, Value>) {
        let text = Value::Object(message).to_string();
        self.out.push(Line { ts, text });
    }
}

/// ISO-8601 with milliseconds, as Segment writes times.
pub fn time(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}
