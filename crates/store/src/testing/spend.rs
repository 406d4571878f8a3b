//! Spend: a row replaces the one stored under its key, and a range of days
//! reads back every row in it, across months, in key order.

use chrono::NaiveDate;

use crate::{SpendKey, SpendRow, Store};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn row(day: NaiveDate, channel: &str, parts: [Option<&str>; 3], cost: f64) -> SpendRow {
    let [source, medium, campaign] = parts.map(|p| p.map(str::to_owned));
    SpendRow {
        key: SpendKey {
            day,
            channel: channel.into(),
            source,
            medium,
            campaign,
        },
        cost,
        currency: "USD".into(),
    }
}

fn costs(rows: &[SpendRow]) -> Vec<f64> {
    rows.iter().map(|r| r.cost).collect()
}

pub async fn replaces_spend_by_key_and_reads_it_by_day(store: impl Store) {
    let google = [Some("google"), Some("cpc"), Some("spring")];
    let rows = [
        row(day(2024, 3, 31), "Paid Search", google, 120.5),
        row(day(2024, 2, 29), "Paid Search", google, 10.0),
        row(day(2024, 3, 1), "Paid Social", [None, None, None], 7.25),
        row(day(2024, 3, 1), "Paid Search", google, 30.0),
        row(
            day(2024, 4, 1),
            "Display",
            [None, None, Some("spring")],
            4.0,
        ),
        // Parts that a joined key could confuse are distinct keys.
        row(
            day(2024, 3, 1),
            "Paid Search",
            [Some("a#b"), None, None],
            1.0,
        ),
        row(
            day(2024, 3, 1),
            "Paid Search",
            [Some("a"), Some("b"), None],
            2.0,
        ),
        row(
            day(2024, 3, 1),
            "Paid Search",
            [Some("a%23b"), None, None],
            3.0,
        ),
    ];
    let replaced = store.put_spend(&rows).await.unwrap();
    assert_eq!(replaced, [false; 8], "every key is new");

    let march = store
        .spend_between(day(2024, 3, 1), day(2024, 4, 1))
        .await
        .unwrap();
    assert_eq!(
        march,
        [
            rows[6].clone(),
            rows[5].clone(),
            rows[7].clone(),
            rows[3].clone(),
            rows[2].clone(),
            rows[0].clone(),
        ],
        "[from, to), in key order, read back as stored"
    );

    // A re-import replaces the cost; the same key twice in one call: the
    // last stays, and it replaced the first.
    let again = [
        row(day(2024, 3, 1), "Paid Search", google, 45.0),
        row(day(2024, 3, 2), "Email", [None, None, None], 2.0),
        row(day(2024, 3, 2), "Email", [None, None, None], 3.0),
    ];
    assert_eq!(store.put_spend(&again).await.unwrap(), [true, false, true]);
    let second = store
        .spend_between(day(2024, 3, 1), day(2024, 3, 3))
        .await
        .unwrap();
    assert_eq!(costs(&second), [2.0, 1.0, 3.0, 45.0, 7.25, 3.0]);

    // Unbounded, as reports without a period ask: every month that has any.
    let all = store
        .spend_between(day(1, 1, 1), day(9999, 12, 31))
        .await
        .unwrap();
    assert_eq!(all.len(), 9);
    assert_eq!(
        (all[0].key.day, all[8].key.day),
        (day(2024, 2, 29), day(2024, 4, 1))
    );
    let none = store
        .spend_between(day(2024, 4, 2), day(2025, 1, 1))
        .await
        .unwrap();
    assert!(none.is_empty());
    assert!(store.put_spend(&[]).await.unwrap().is_empty());
}
