//! The ledger: entries replaced over the version read, totals moved by the
//! deltas of the changes that were applied, and nothing else.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::{
    ConversionLedger, CreditDelta, CreditRow, CreditTotal, FunnelDelta, FunnelEntry, FunnelTotal,
    JourneyLedger, LedgerChange, LedgerEntry, LedgerKey, OpenPath, Owner, PathDelta, PathTotal,
    ScreenedTotal, Store,
};

use super::at;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
}

pub(super) fn conversion(id: &str, channel: &str, credit: f64) -> ConversionLedger {
    ConversionLedger {
        conversion: id.into(),
        owner: Owner::User("u1".into()),
        event: "Signed Up".into(),
        timestamp: at(30),
        value: 10.0,
        path: vec![channel.into()],
        rows: vec![CreditRow {
            device: "a1".into(),
            touch: "p1".into(),
            timestamp: at(1),
            channel: channel.into(),
            source: Some("google".into()),
            medium: None,
            campaign: Some("spring".into()),
            term: None,
            content: Some("banner".into()),
            landing_page: Some("https://example.com/pricing?utm_content=banner".into()),
            credits: BTreeMap::from([("linear".into(), credit), ("first".into(), 1.0)]),
        }],
    }
}

fn credit(d: u32, model: &str, channel: &str, conversions: f64) -> CreditDelta {
    CreditDelta {
        day: day(d),
        model: model.into(),
        channel: channel.into(),
        campaign: None,
        conversions,
        value: conversions * 10.0,
    }
}

fn path(d: u32, channels: &[&str], conversions: i64, non_conversions: i64) -> PathDelta {
    PathDelta {
        day: day(d),
        path: channels.iter().map(|c| c.to_string()).collect(),
        conversions,
        non_conversions,
        value: conversions as f64 * 10.0,
        days: conversions as f64 * 1.5,
    }
}

fn total(d: u32, channel: &str, conversions: f64) -> CreditTotal {
    CreditTotal {
        day: day(d),
        channel: channel.into(),
        campaign: None,
        conversions,
        value: conversions * 10.0,
    }
}

fn near(a: &[CreditTotal], b: &[CreditTotal]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (x.day, &x.channel, &x.campaign) == (y.day, &y.channel, &y.campaign)
                && (x.conversions - y.conversions).abs() < 1e-9
                && (x.value - y.value).abs() < 1e-9
        })
}

pub async fn replaces_ledger_entries_only_over_the_version_read(store: impl Store) {
    let ids = ["c1".to_owned(), "c2".to_owned()];
    assert_eq!(store.conversion_ledgers(&ids).await.unwrap(), [None, None]);
    let first = LedgerChange {
        entry: LedgerEntry::Conversion(conversion("c1", "Email", 1.0)),
        expected: None,
        funnel: Vec::new(),
        credits: vec![credit(1, "linear", "Email", 1.0)],
        paths: vec![path(1, &["Email"], 1, 0)],
    };
    assert_eq!(first.entry.key(), LedgerKey::Conversion("c1".into()));
    assert_eq!(
        store
            .commit_ledger(std::slice::from_ref(&first))
            .await
            .unwrap(),
        [true]
    );
    // The same change again names a version that is gone: not applied, so
    // the totals do not move twice.
    assert_eq!(store.commit_ledger(&[first]).await.unwrap(), [false]);
    let stored = store.conversion_ledgers(&ids).await.unwrap();
    let c1 = stored[0].as_ref().expect("stored");
    assert_eq!(
        (c1.version, &c1.value),
        (1, &conversion("c1", "Email", 1.0))
    );
    assert_eq!(stored[1], None);

    // Credited anew: old minus new moves the totals.
    let moved = LedgerChange {
        entry: LedgerEntry::Conversion(conversion("c1", "Referral", 1.0)),
        expected: Some(1),
        funnel: Vec::new(),
        credits: vec![
            credit(1, "linear", "Email", -1.0),
            credit(1, "linear", "Referral", 1.0),
        ],
        paths: vec![path(1, &["Email"], -1, 0), path(1, &["Referral"], 1, 0)],
    };
    assert_eq!(store.commit_ledger(&[moved]).await.unwrap(), [true]);
    let totals = store.credit_totals("linear", day(1), day(2)).await.unwrap();
    let totals: Vec<CreditTotal> = totals
        .into_iter()
        .filter(|t| t.conversions.abs() > 1e-9 || t.value.abs() > 1e-9)
        .collect();
    assert!(near(&totals, &[total(1, "Referral", 1.0)]), "{totals:?}");
    let paths = store.path_totals(day(1), day(2)).await.unwrap().spelled();
    assert_eq!(paths.len(), 1);
    assert_eq!(
        (paths[0].path.as_slice(), paths[0].conversions),
        (&["Referral".to_owned()][..], 1)
    );
    assert_eq!(
        store.conversion_ledgers(&ids).await.unwrap()[0]
            .as_ref()
            .map(|c| c.version),
        Some(2)
    );
}

pub async fn removes_ledger_entries_over_the_version_read(store: impl Store) {
    let owner = Owner::User("u1".into());
    let put = |entry| LedgerChange {
        entry,
        expected: None,
        funnel: Vec::new(),
        credits: vec![credit(1, "linear", "Email", 1.0)],
        paths: Vec::new(),
    };
    let entries = [
        put(LedgerEntry::Conversion(conversion("c1", "Email", 1.0))),
        put(LedgerEntry::Journey(
            owner.clone(),
            JourneyLedger::default(),
        )),
    ];
    assert_eq!(store.commit_ledger(&entries).await.unwrap(), [true, true]);
    let remove = |key, expected| LedgerChange {
        entry: LedgerEntry::Removed(key),
        expected,
        funnel: Vec::new(),
        credits: vec![credit(1, "linear", "Email", -1.0)],
        paths: Vec::new(),
    };
    let conversion = LedgerKey::Conversion("c1".into());
    let journey = LedgerKey::Journey(owner.clone());
    let stale = [
        remove(conversion.clone(), None),
        remove(journey.clone(), Some(2)),
    ];
    assert_eq!(store.commit_ledger(&stale).await.unwrap(), [false, false]);
    let current = [remove(conversion, Some(1)), remove(journey, Some(1))];
    assert_eq!(store.commit_ledger(&current).await.unwrap(), [true, true]);
    assert_eq!(
        store.conversion_ledgers(&["c1".into()]).await.unwrap(),
        [None]
    );
    assert_eq!(store.journey_ledgers(&[owner]).await.unwrap(), [None]);
    let totals = store.credit_totals("linear", day(1), day(2)).await.unwrap();
    assert!(
        totals.iter().all(|t| t.conversions.abs() < 1e-9),
        "the removals' deltas are applied: {totals:?}"
    );
}

pub async fn keeps_journey_ledgers_by_owner(store: impl Store) {
    let owners = [Owner::Device("a1".into()), Owner::User("a1".into())];
    assert_eq!(store.journey_ledgers(&owners).await.unwrap(), [None, None]);
    let open = JourneyLedger {
        open_path: Some(OpenPath {
            day: day(3),
            channels: vec!["Direct".into(), "Email".into()],
        }),
        funnel: Some(FunnelEntry {
            day: day(3),
            first: "Direct".into(),
            last: "Email".into(),
            lead: true,
            opportunity: false,
            conversion: false,
        }),
    };
    let change = LedgerChange {
        entry: LedgerEntry::Journey(owners[0].clone(), open.clone()),
        expected: None,
        funnel: vec![funnel(3, "Direct", "Email", 1, [1, 0, 0])],
        credits: Vec::new(),
        paths: vec![path(3, &["Direct", "Email"], 0, 1)],
    };
    assert_eq!(change.entry.key(), LedgerKey::Journey(owners[0].clone()));
    assert_eq!(store.commit_ledger(&[change]).await.unwrap(), [true]);
    let stored = store.journey_ledgers(&owners).await.unwrap();
    assert_eq!(
        stored[0].as_ref().map(|j| (j.version, &j.value)),
        Some((1, &open))
    );
    assert_eq!(
        stored[1], None,
        "a device and a user of the same id are two journeys"
    );
    let closed = LedgerChange {
        entry: LedgerEntry::Journey(owners[0].clone(), JourneyLedger::default()),
        expected: Some(1),
        funnel: vec![funnel(3, "Direct", "Email", -1, [-1, 0, 0])],
        credits: Vec::new(),
        paths: vec![path(3, &["Direct", "Email"], 0, -1)],
    };
    assert_eq!(store.commit_ledger(&[closed]).await.unwrap(), [true]);
    let left = store.path_totals(day(1), day(9)).await.unwrap().paths;
    assert!(left.is_empty(), "{left:?}");
    let left: Vec<FunnelTotal> = store
        .funnel_totals(day(1), day(9))
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.visits != 0 || f.leads != 0)
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

fn funnel(d: u32, first: &str, last: &str, visits: i64, stages: [i64; 3]) -> FunnelDelta {
    FunnelDelta {
        day: day(d),
        first: first.into(),
        last: last.into(),
        visits,
        leads: stages[0],
        opportunities: stages[1],
        conversions: stages[2],
    }
}

pub async fn sums_funnel_totals_by_day_first_and_last_channel(store: impl Store) {
    let journey = |owner: &str, deltas: Vec<FunnelDelta>| LedgerChange {
        entry: LedgerEntry::Journey(Owner::User(owner.into()), JourneyLedger::default()),
        expected: None,
        funnel: deltas,
        credits: Vec::new(),
        paths: Vec::new(),
    };
    let changes = [
        journey("u1", vec![funnel(1, "Email", "Direct", 1, [1, 1, 1])]),
        journey("u2", vec![funnel(1, "Email", "Direct", 1, [1, 0, 0])]),
        journey(
            "u3",
            vec![
                funnel(2, "Organic Search", "Email", 1, [0, 0, 1]),
                funnel(9, "Email", "Email", 1, [0, 0, 0]),
            ],
        ),
    ];
    assert_eq!(
        store.commit_ledger(&changes).await.unwrap(),
        [true, true, true]
    );
    let totals = store.funnel_totals(day(1), day(9)).await.unwrap();
    let summary: Vec<(NaiveDate, &str, &str, [i64; 4])> = totals
        .iter()
        .map(|f| {
            let stages = [f.visits, f.leads, f.opportunities, f.conversions];
            (f.day, f.first.as_str(), f.last.as_str(), stages)
        })
        .collect();
    assert_eq!(
        summary,
        [
            (day(1), "Email", "Direct", [2, 2, 1, 1]),
            (day(2), "Organic Search", "Email", [1, 0, 0, 1]),
        ]
    );
}

pub async fn sums_screened_views_by_day_and_reason(store: impl Store) {
    let count = |d: u32, reason: &str, views: i64| ScreenedTotal {
        day: day(d),
        reason: reason.into(),
        views,
    };
    store
        .add_screened(&[count(1, "bot:crawler", 2), count(1, "referrer_spam", 1)])
        .await
        .unwrap();
    store
        .add_screened(&[count(1, "bot:crawler", 3), count(4, "bot:headless", 1)])
        .await
        .unwrap();
    store.add_screened(&[]).await.unwrap();
    assert_eq!(
        store.screened_totals(day(1), day(9)).await.unwrap(),
        [
            count(1, "bot:crawler", 5),
            count(1, "referrer_spam", 1),
            count(4, "bot:headless", 1),
        ]
    );
    assert_eq!(
        store.screened_totals(day(2), day(4)).await.unwrap(),
        [],
        "[from, to)"
    );
}

pub async fn sums_totals_by_model_day_channel_and_campaign(store: impl Store) {
    let mut spring = credit(2, "linear", "Email", 0.5);
    spring.campaign = Some("spring".into());
    let changes = [
        LedgerChange {
            entry: LedgerEntry::Conversion(conversion("c1", "Email", 0.5)),
            expected: None,
            funnel: Vec::new(),
            credits: vec![
                credit(1, "linear", "Email", 0.5),
                credit(1, "linear", "Direct", 0.5),
                credit(1, "first", "Email", 1.0),
            ],
            paths: vec![
                path(1, &["Email", "Direct"], 1, 0),
                path(3, &["Email"], 1, 0),
            ],
        },
        LedgerChange {
            entry: LedgerEntry::Conversion(conversion("c2", "Email", 0.5)),
            expected: None,
            funnel: Vec::new(),
            credits: vec![
                credit(1, "linear", "Email", 0.25),
                spring.clone(),
                credit(5, "linear", "Email", 1.0),
            ],
            paths: vec![
                path(1, &["Email", "Direct"], 1, 0),
                path(5, &["Email"], 1, 0),
            ],
        },
    ];
    assert_eq!(store.commit_ledger(&changes).await.unwrap(), [true, true]);
    let linear = store.credit_totals("linear", day(1), day(5)).await.unwrap();
    let mut expected = vec![
        total(1, "Direct", 0.5),
        total(1, "Email", 0.75),
        total(2, "Email", 0.5),
    ];
    expected[2].campaign = Some("spring".into());
    assert!(near(&linear, &expected), "{linear:?}");
    let first = store.credit_totals("first", day(1), day(9)).await.unwrap();
    assert!(near(&first, &[total(1, "Email", 1.0)]), "{first:?}");
    assert!(
        store
            .credit_totals("w_shaped", day(1), day(9))
            .await
            .unwrap()
            .is_empty()
    );

    let summary = |paths: Vec<PathTotal>| -> Vec<(Vec<String>, i64, i64, f64, f64)> {
        let mut paths: Vec<_> = paths
            .into_iter()
            .map(|p| (p.path, p.conversions, p.non_conversions, p.value, p.days))
            .collect();
        paths.sort_by(|a, b| a.0.cmp(&b.0));
        paths
    };
    let totals = store.path_totals(day(1), day(9)).await.unwrap();
    let mut labels = totals.labels.clone();
    labels.sort();
    assert_eq!(labels, ["Direct", "Email"], "each label once");
    let (email, email_direct) = (
        vec!["Email".to_owned()],
        vec!["Email".to_owned(), "Direct".to_owned()],
    );
    assert_eq!(
        summary(totals.spelled()),
        [
            (email.clone(), 2, 0, 20.0, 3.0),
            (email_direct.clone(), 2, 0, 20.0, 3.0),
        ],
        "summed over the days"
    );
    assert_eq!(
        summary(store.path_totals(day(2), day(5)).await.unwrap().spelled()),
        [(email, 1, 0, 10.0, 1.5)],
        "[from, to)"
    );
}
