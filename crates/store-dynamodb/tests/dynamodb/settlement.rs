//! The capacity of settling a conversion in the ledger and of reading a
//! report, metered as `dynamodb.rs` meters a page.

use chrono::NaiveDate;
use sma_store::testing::at;
use sma_store::{
    ConversionLedger, CreditDelta, CreditRow, JourneyLedger, LedgerChange, LedgerEntry,
    LedgerStore, Marker, MarkerKind, MarkerStore, Owner, PathDelta,
};

use super::metering::Meter;
use super::pages::metered;
use super::store_with;

const MODELS: [&str; 10] = [
    "first",
    "last",
    "linear",
    "time_decay",
    "position",
    "w_shaped",
    "last_non_direct",
    "markov",
    "shapley",
    "custom",
];

fn day() -> NaiveDate {
    at(0).date_naive()
}

/// A conversion over three touches, and its deltas: every model credits its
/// channels on the conversion's day, and its path counts once.
fn settlement(id: &str, campaign: &str) -> LedgerChange {
    let channels = ["Paid Search", "Email", "Direct"];
    let rows = channels
        .iter()
        .enumerate()
        .map(|(n, channel)| CreditRow {
            device: "a1".into(),
            touch: format!("p{n}"),
            timestamp: at(n as u32),
            channel: (*channel).into(),
            source: Some("google".into()),
            medium: Some("cpc".into()),
            campaign: Some(campaign.into()),
            term: None,
            content: None,
            landing_page: None,
            credits: MODELS.iter().map(|m| ((*m).into(), 1.0 / 3.0)).collect(),
        })
        .collect();
    let conversion = ConversionLedger {
        conversion: id.into(),
        owner: Owner::User("u1".into()),
        event: "Signed Up".into(),
        timestamp: at(30),
        value: 49.5,
        path: channels.iter().map(|c| (*c).into()).collect(),
        rows,
    };
    let credits = MODELS
        .iter()
        .flat_map(|model| {
            channels.iter().map(move |channel| CreditDelta {
                day: day(),
                model: (*model).into(),
                channel: (*channel).into(),
                campaign: Some(campaign.into()),
                conversions: 1.0 / 3.0,
                value: 16.5,
            })
        })
        .collect();
    LedgerChange {
        entry: LedgerEntry::Conversion(conversion),
        expected: None,
        funnel: Vec::new(),
        credits,
        paths: vec![PathDelta {
            day: day(),
            path: channels.iter().map(|c| (*c).into()).collect(),
            conversions: 1,
            non_conversions: 0,
            value: 49.5,
            days: 2.5,
        }],
    }
}

#[tokio::test]
async fn dynamodb_capacity_of_a_conversion_settlement_and_a_report() {
    let meter = Meter::default();
    let store = store_with(Some(&meter)).await;
    // Earlier conversions of the day, over twenty campaigns.
    let earlier: Vec<LedgerChange> = (0..20)
        .map(|n| settlement(&format!("c{n}"), &format!("campaign-{n}")))
        .collect();
    store.commit_ledger(&earlier).await.unwrap();

    let user = Owner::User("u1".into());
    let marker = Marker {
        carrier: user.clone(),
        kind: MarkerKind::Conversion,
        timestamp: at(30),
        message_id: "c99".into(),
        event: "Signed Up".into(),
        value: Some(49.5),
    };
    let settle = metered(&meter, async {
        store.put_markers(&[marker]).await.unwrap();
        let carriers = [user.clone(), Owner::Device("a1".into())];
        let found = store.markers_of(&carriers, at(0), at(59)).await.unwrap();
        assert_eq!(found.len(), 1);
        let stored = store.conversion_ledgers(&["c99".into()]).await.unwrap();
        assert_eq!(stored, [None]);
        let journeys = store
            .journey_ledgers(std::slice::from_ref(&user))
            .await
            .unwrap();
        let journey = LedgerChange {
            entry: LedgerEntry::Journey(user.clone(), JourneyLedger::default()),
            expected: journeys[0].as_ref().map(|j| j.version),
            funnel: Vec::new(),
            credits: Vec::new(),
            paths: Vec::new(),
        };
        let changes = [settlement("c99", "campaign-3"), journey];
        assert_eq!(store.commit_ledger(&changes).await.unwrap(), [true, true]);
    })
    .await;

    let year = day() + chrono::Days::new(365);
    let report = metered(&meter, async {
        let linear = store.credit_totals("linear", day(), year).await.unwrap();
        assert_eq!(linear.len(), 3 * 20);
        let paths = store.path_totals(day(), year).await.unwrap().paths;
        assert_eq!(paths.len(), 1);
        assert_eq!(paths[0].conversions, 21);
    })
    .await;

    println!("capacity units of the ledger (10 models, 20 campaigns a day so far):");
    println!("  conversion settled (marker, reads, 2 changes)  {settle}");
    println!("  report (one model's credits and the paths, a year)  {report}");
    assert!(settle.within(120.0, 6.0), "{settle}");
    // Per kind of total, one Query per shard (8) and one of the unsharded key
    // earlier versions wrote: not one per journey or per day. Each bills half
    // a read unit at least, even when it finds nothing.
    assert_eq!(report.requests, 2 * 9, "{report}");
    assert!(report.within(0.0, 12.0), "{report}");
}
