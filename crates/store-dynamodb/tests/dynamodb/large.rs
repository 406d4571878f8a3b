//! Changes larger than one TransactWriteItems holds (100 items).

use chrono::NaiveDate;
use serde_json::json;
use sma_store::testing::{at, touch};
use sma_store::{
    ConversionLedger, CreditDelta, DeviceChange, LedgerChange, LedgerEntry, LedgerStore, Owner,
    StoreError, TouchStore,
};

use super::fresh;

fn change(expected: Option<u64>, n: u32) -> DeviceChange {
    DeviceChange {
        device: "a1".into(),
        expected,
        state: json!({"last": n}).into(),
        put: Vec::new(),
        remove: Vec::new(),
    }
}

#[tokio::test]
async fn dynamodb_a_device_change_of_many_touches_is_written_in_parts_over_the_version_read() {
    let store = fresh().await;
    // 120 touches: two transactions.
    let touches: Vec<_> = (0..120)
        .map(|n| touch("a1", &format!("p{n:03}"), n % 60))
        .collect();
    let mut big = change(None, 1);
    big.put = touches.clone();
    assert_eq!(store.commit_devices(&[big.clone()]).await.unwrap(), [true]);
    assert_eq!(store.device_touches("a1").await.unwrap().len(), 120);
    // The same change again read no state: its first part already fails.
    assert_eq!(store.commit_devices(&[big]).await.unwrap(), [false]);
    let state = store.device_states(&["a1".into()]).await.unwrap();
    assert_eq!(state[0].as_ref().map(|s| s.version), Some(1));

    let mut removal = change(Some(1), 2);
    removal.remove = touches[..70].to_vec();
    assert_eq!(store.commit_devices(&[removal]).await.unwrap(), [true]);
    let left = store.device_touches("a1").await.unwrap();
    assert_eq!(left.len(), 50);
    assert!(left.iter().all(|t| t.message_id.as_str() >= "p070"));
    let state = store.device_states(&["a1".into()]).await.unwrap();
    assert_eq!(state[0].as_ref().map(|s| s.version), Some(2));
}

#[tokio::test]
async fn dynamodb_a_ledger_change_beyond_one_transaction_fails_and_writes_nothing() {
    let store = fresh().await;
    let day = |d: u64| NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(d);
    let conversion = ConversionLedger {
        conversion: "c1".into(),
        owner: Owner::User("u1".into()),
        event: "Signed Up".into(),
        timestamp: at(30),
        value: 1.0,
        path: vec!["Email".into()],
        rows: Vec::new(),
    };
    // One totals item per (model, day): 10 models on 10 days.
    let credits = (0..100)
        .map(|n| CreditDelta {
            day: day(n / 10),
            model: format!("m{}", n % 10),
            channel: "Email".into(),
            campaign: None,
            conversions: 1.0,
            value: 1.0,
        })
        .collect();
    let change = LedgerChange {
        entry: LedgerEntry::Conversion(conversion),
        expected: None,
        funnel: Vec::new(),
        credits,
        paths: Vec::new(),
    };
    let error = store.commit_ledger(&[change]).await.unwrap_err();
    assert!(matches!(error, StoreError::Backend(_)), "{error:?}");
    assert_eq!(
        store.conversion_ledgers(&["c1".into()]).await.unwrap(),
        [None]
    );
    let totals = store.credit_totals("m0", day(0), day(20)).await.unwrap();
    assert!(totals.is_empty(), "{totals:?}");
}
