//! Visitors: who they are, their devices, and when they come back. Everything about
//! a visitor derives from (seed, visitor number), so only a few bytes of state per
//! visitor are kept while generating.

use serde_json::{Value, json};

use super::event::{Browser, USER_AGENTS};
use super::session::World;
use crate::rng::{Draws, mix, stream, uuid};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// Salts that keep the id families of one seed apart.
const ANONYMOUS: u64 = 0xA17;
const PROFILE: u64 = 0xB0B;
const PLAN: u64 = 0xC0FFEE;

/// What the journey so far has revealed; the rest derives from the seed.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    pub devices: u8,
    pub visits: u32,
    pub orders: u32,
    pub signed_up: bool,
    pub requested_demo: bool,
    /// Bit d set: device d has been identified (its events carry the userId).
    pub identified: u8,
}

/// One planned session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planned {
    pub start: i64,
    pub visitor: u32,
    pub session: u16,
    pub device: u8,
}

/// Visiting is busiest in working hours (UTC, for simplicity).
const HOURS: &[(i64, f64)] = &[
    (0, 1.0),
    (1, 0.6),
    (2, 0.4),
    (3, 0.4),
    (4, 0.5),
    (5, 0.8),
    (6, 1.5),
    (7, 2.5),
    (8, 4.0),
    (9, 5.0),
    (10, 5.0),
    (11, 4.5),
    (12, 4.0),
    (13, 4.5),
    (14, 5.0),
    (15, 5.0),
    (16, 4.5),
    (17, 3.5),
    (18, 2.5),
    (19, 2.0),
    (20, 2.0),
    (21, 1.8),
    (22, 1.5),
    (23, 1.2),
];

/// Plans visitor `v`: its devices and sessions within `[start, world.end)`.
pub fn plan(world: &World, v: u32, start: i64, sessions: &mut Vec<Planned>) -> Visitor {
    let (end, shape) = (world.end, &world.shape);
    let mut rng = stream(world.seed ^ PLAN, u64::from(v));
    let devices = *rng.weighted(&shape.devices);
    let days = ((end - start) / DAY_MS).max(1) as u64;
    let mut day = start + rng.range(0, days) as i64 * DAY_MS;
    // Most visitors come once; some keep coming back.
    let count = 1 + (0..40).take_while(|_| rng.chance(shape.returns)).count();
    for session in 0..count {
        let at = day + rng.weighted(HOURS) * HOUR_MS + rng.range(0, HOUR_MS as u64) as i64;
        if at >= end {
            break;
        }
        let device = if session == 0 || devices == 1 || rng.chance(0.5) {
            0
        } else {
            rng.range(1, u64::from(devices)) as u8
        };
        sessions.push(Planned {
            start: at,
            visitor: v,
            session: session as u16,
            device,
        });
        day += (rng.exponential(4.0).ceil() as i64).max(1) * DAY_MS;
    }
    Visitor {
        devices,
        ..Visitor::default()
    }
}

/// Device `d` of visitor `v`.
pub fn browser(seed: u64, v: u32, d: u8) -> Browser {
    let key = (u64::from(v) << 8) | u64::from(d);
    let mut rng = stream(seed ^ ANONYMOUS, key);
    Browser {
        anonymous_id: uuid(seed ^ ANONYMOUS, key),
        // The first device is a desktop, the second a phone, the third a laptop.
        user_agent: USER_AGENTS[match d {
            0 => rng.range(0, 2) as usize,
            1 => rng.range(2, 4) as usize,
            _ => 4,
        }],
        locale: rng.pick(&["en-US", "en-US", "en-GB", "de-DE", "fr-FR"]),
    }
}

/// The userId visitor `v` gets on signing up (or requesting a demo).
pub fn user_id(seed: u64, v: u32) -> String {
    format!("usr_{:016x}", mix(mix(seed ^ PROFILE) ^ u64::from(v)))
}

/// Who visitor `v` is, as identify() traits.
pub struct Profile {
    pub email: String,
    pub first: &'static str,
    pub last: &'static str,
    pub company: &'static str,
    pub role: &'static str,
    pub size: &'static str,
}

pub fn profile(seed: u64, v: u32) -> Profile {
    let mut rng = stream(seed ^ PROFILE, u64::from(v));
    let first = rng.pick(&[
        "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
        "Liam", "Maya", "Nils", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma",
        "Victor", "Wen", "Yara", "Zoe",
    ]);
    let last = rng.pick(&[
        "Anders", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
        "Jensen", "Kowalski", "Laurent", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Silva",
        "Tanaka", "Weber",
    ]);
    let (company, domain) = rng.pick(&[
        ("Northwind Analytics", "northwind-analytics.com"),
        ("Brightpath Software", "brightpath.io"),
        ("Kestrel Payments", "kestrelpay.com"),
        ("Orbital HR", "orbitalhr.com"),
        ("Tandem Logistics", "tandemlogistics.co"),
        ("Fernwood Health", "fernwoodhealth.com"),
        ("Copperleaf CRM", "copperleafcrm.com"),
        ("Bluefin Security", "bluefinsec.io"),
    ]);
    Profile {
        email: format!(
            "{}.{}+{v}@{domain}",
            first.to_lowercase(),
            last.to_lowercase()
        ),
        first,
        last,
        company,
        role: rng.pick(&[
            "Head of Marketing",
            "Growth Lead",
            "Marketing Ops",
            "Founder",
            "Demand Gen Manager",
            "Data Analyst",
        ]),
        size: rng.pick(&["1-10", "11-50", "51-200", "201-1000", "1000+"]),
    }
}

impl Profile {
    pub fn traits(&self, created_at: Option<&str>) -> Value {
        let mut traits = json!({
            "email": self.email,
            "firstName": self.first,
            "lastName": self.last,
            "name": format!("{} {}", self.first, self.last),
            "title": self.role,
            "company": {"name": self.company, "employee_count": self.size},
        });
        if let Some(at) = created_at {
            traits["createdAt"] = at.into();
        }
        traits
    }
}
