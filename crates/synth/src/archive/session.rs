//! One session of one visitor: arrive, browse, maybe log in, sign up, request a
//! demo or buy; and the CRM milestones that follow a demo request.

use serde_json::json;

use super::event::{Browser, Emitter, Line, Tab, time};
use super::pages::{self, BILLING, BLOG, DASHBOARD, DEMO, LOGIN, PRICING, SIGNUP};
use super::site::{FIRST_VISIT, RETURN_VISIT};
use super::visitor::{Planned, Visitor, browser, profile, user_id};
use crate::rng::{Draws, Rng, stream};

const SECOND: i64 = 1_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// Segment delivers at least once: a few messages appear twice in any archive.
const REDELIVERY: f64 = 0.002;

/// The generation's constants.
pub struct World {
    pub seed: u64,
    /// Milestones after this (epoch ms) fall outside the archive and are dropped.
    pub end: i64,
    pub shape: super::shape::Shape,
}

/// Simulates `plan` for `visitor`, appending its messages to `out`.
pub fn simulate(world: &World, plan: Planned, visitor: &mut Visitor, out: &mut Vec<Line>) {
    let v = plan.visitor;
    let key = (u64::from(v) << 32) | (u64::from(plan.session) << 16);
    let mut rng = stream(world.seed, key | 0xffff);
    let first_line = out.len();
    let mut s = Session {
        world,
        rng: stream(world.seed, key),
        browser: browser(world.seed, v, plan.device),
        device_bit: 1 << plan.device,
        user: user_id(world.seed, v),
        signed_in: visitor.identified & (1 << plan.device) != 0,
        t: plan.start,
        tab: None,
        emit: Emitter {
            seed: world.seed,
            key,
            counter: 0,
            out,
        },
    };
    visitor.visits += 1;
    let arrival = *rng.weighted(if visitor.visits == 1 {
        FIRST_VISIT
    } else {
        RETURN_VISIT
    });
    let landing = arrival.landing(&mut rng, &week_of(plan.start));
    s.open(Tab::landing(&landing));

    // A customer on a device it never used before logs in: that links the device.
    if visitor.signed_up && !s.signed_in && (landing.page.path == LOGIN.path || rng.chance(0.7)) {
        if landing.page.path != LOGIN.path {
            s.go(LOGIN, 5);
        }
        s.wait(20);
        s.identify(visitor, v, None);
        s.go(DASHBOARD, 3);
    }
    let mut saw_pricing = landing.page.path == PRICING.path;
    for _ in 0..12 {
        if !rng.chance(world.shape.more_pages) {
            break;
        }
        let page = pages::next_page(&mut rng, s.signed_in);
        saw_pricing |= page.path == PRICING.path;
        s.go(page, 40);
        s.browse_events(&mut rng, page.path);
    }
    let intent = arrival.intent() * if saw_pricing { 1.5 } else { 1.0 };
    let returning = f64::from(visitor.visits.min(5));
    if !visitor.signed_up && rng.chance((0.02 + 0.015 * returning) * intent) {
        s.sign_up(visitor, v);
    } else if !visitor.requested_demo && rng.chance(0.012 * intent) {
        s.request_demo(visitor, v);
    }
    if visitor.signed_up && visitor.orders < 3 && rng.chance(0.03 * returning.min(3.0)) {
        s.order(visitor);
    }
    // Redeliveries: the same line again, later in the same day's files.
    for i in first_line..out.len() {
        if rng.chance(REDELIVERY) {
            out.push(out[i].clone());
        }
    }
}

struct Session<'a> {
    world: &'a World,
    rng: Rng,
    browser: Browser,
    device_bit: u8,
    user: String,
    signed_in: bool,
    t: i64,
    tab: Option<Tab>,
    emit: Emitter<'a>,
}

impl Session<'_> {
    fn uid(&self) -> Option<&str> {
        self.signed_in.then_some(self.user.as_str())
    }

    fn tab(&self) -> &Tab {
        self.tab.as_ref().expect("the session opened a page")
    }

    fn open(&mut self, tab: Tab) {
        let user = self.uid().map(str::to_owned);
        self.emit.page(self.t, &tab, &self.browser, user.as_deref());
        self.tab = Some(tab);
    }

    /// Reads for a while (mean `mean_secs`), then clicks through to `page`.
    fn go(&mut self, page: pages::Page, mean_secs: u32) {
        self.wait(mean_secs);
        let tab = self.tab().navigate(page);
        self.open(tab);
    }

    fn wait(&mut self, mean_secs: u32) {
        self.t += SECOND + (self.rng.exponential(f64::from(mean_secs)) * SECOND as f64) as i64;
    }

    fn track(&mut self, event: &str, properties: serde_json::Value) {
        let tab = self.tab().clone();
        let user = self.uid().map(str::to_owned);
        self.emit.track(
            self.t,
            &tab,
            &self.browser,
            user.as_deref(),
            event,
            properties,
        );
    }

    fn identify(&mut self, visitor: &mut Visitor, v: u32, created_at: Option<&str>) {
        let tab = self.tab().clone();
        let traits = profile(self.world.seed, v).traits(created_at);
        let user = self.user.clone();
        self.emit
            .identify(self.t, &tab, &self.browser, &user, traits);
        self.signed_in = true;
        visitor.identified |= self.device_bit;
    }

    /// Engagement that is no conversion.
    fn browse_events(&mut self, rng: &mut Rng, path: &str) {
        if rng.chance(0.12) {
            self.wait(10);
            let cta = rng.pick(&["Start free trial", "Book a demo", "See pricing"]);
            self.track("CTA Clicked", json!({"cta": cta, "location": path}));
        } else if path.starts_with("/docs") && rng.chance(0.3) {
            self.wait(8);
            let query = rng.pick(&["identify", "utm", "webhook", "attribution models"]);
            self.track("Docs Searched", json!({"query": query}));
        } else if BLOG.iter().any(|b| b.path == path) && rng.chance(0.05) {
            self.wait(30);
            self.track(
                "Video Played",
                json!({"video": "attribution-in-3-minutes", "position": 0}),
            );
        }
    }

    fn sign_up(&mut self, visitor: &mut Visitor, v: u32) {
        self.go(SIGNUP, 30);
        self.wait(45);
        let at = time(self.t);
        self.identify(visitor, v, Some(&at));
        visitor.signed_up = true;
        self.t += SECOND;
        let method = self.rng.pick(&["email", "google"]);
        self.track("Signed Up", json!({"plan": "trial", "method": method}));
        self.t += SECOND;
        self.track("Trial Started", json!({"plan": "growth", "trial_days": 14}));
        self.go(DASHBOARD, 3);
    }

    /// A demo request, and what sales makes of it over the following weeks.
    fn request_demo(&mut self, visitor: &mut Visitor, v: u32) {
        self.go(DEMO, 30);
        self.wait(60);
        if !self.signed_in {
            self.identify(visitor, v, None);
        }
        visitor.requested_demo = true;
        let p = profile(self.world.seed, v);
        self.track(
            "Demo Request",
            json!({"company_size": p.size, "role": p.role, "form": "demo"}),
        );
        let user = self.user.clone();
        let mut at = self.t;
        if !self.rng.chance(0.7) {
            return;
        }
        at += 2 * HOUR + self.rng.range(0, 46 * HOUR as u64) as i64;
        self.milestone(
            at,
            &user,
            "Lead Created",
            json!({"lead_source": "demo_form"}),
        );
        if !self.rng.chance(0.5) {
            return;
        }
        at += 2 * DAY + self.rng.range(0, 8 * DAY as u64) as i64;
        let amount = self.rng.range(6, 49) * 1000;
        self.milestone(
            at,
            &user,
            "Opportunity Created",
            json!({"amount": amount, "stage": "discovery"}),
        );
        if self.rng.chance(0.4) {
            at += 10 * DAY + self.rng.range(0, 30 * DAY as u64) as i64;
            let order = format!("ord_{}", self.rng.hex(12));
            let properties = json!({"order_id": order, "revenue": amount, "currency": "USD", "plan": "enterprise", "channel": "sales"});
            self.milestone(at, &user, "Order Completed", properties);
        }
    }

    fn milestone(&mut self, at: i64, user: &str, event: &str, properties: serde_json::Value) {
        if at < self.world.end {
            self.emit.server_track(at, user, event, properties);
        }
    }

    fn order(&mut self, visitor: &mut Visitor) {
        self.go(PRICING, 40);
        self.go(BILLING, 30);
        self.wait(60);
        let (plan, monthly) = self
            .rng
            .pick(&[("starter", 49), ("growth", 149), ("scale", 499)]);
        let annual = self.rng.chance(0.4);
        let revenue = if annual { monthly * 10 } else { monthly };
        let order = format!("ord_{}", self.rng.hex(12));
        let properties = json!({
            "order_id": order,
            "revenue": revenue,
            "currency": "USD",
            "plan": plan,
            "billing": if annual { "annual" } else { "monthly" },
            "products": [{"product_id": format!("plan-{plan}"), "sku": format!("LM-{}", plan.to_uppercase()), "name": format!("Lumen Metrics {plan}"), "price": revenue, "quantity": 1}],
        });
        self.track("Order Completed", properties);
        visitor.orders += 1;
    }
}

/// The Monday of the week `ms` falls in: newsletter issues go out weekly.
fn week_of(ms: i64) -> String {
    let days = ms.div_euclid(DAY);
    // 1970-01-01 was a Thursday.
    let monday = days - (days + 3).rem_euclid(7);
    time(monday * DAY)[..10].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        // 2025-01-01 is a Wednesday.
        let wednesday = 1_735_689_600_000;
        assert_eq!(week_of(wednesday), "2024-12-30");
        assert_eq!(week_of(wednesday + 5 * DAY), "2025-01-06");
    }
}
