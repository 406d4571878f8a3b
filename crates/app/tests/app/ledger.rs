//! The ledger against a computation from scratch: random multi-device
//! histories with conversions, milestones, links and late events, delivered in
//! random orders and batch splits, end with the same credits, per-day totals,
//! path totals and funnel totals as the attribution crate computes over the same events at
//! once. Run on the in-memory store (many cases) and on SQLite (fewer).

mod reference;

use proptest::prelude::*;
use sma_app::App;
use sma_store::memory::MemoryStore;
use sma_store::{PathTotals, Store};

use reference::{Event, History, expected, settings};

/// Delivers `history` in `order`, cut into bodies of the given sizes.
async fn deliver<S: Store>(app: &App<S>, history: &History, order: &[usize], cuts: &[usize]) {
    let mut rest: &[usize] = order;
    let mut cuts = cuts.iter().cycle();
    while !rest.is_empty() {
        let n = (*cuts.next().unwrap()).clamp(1, rest.len());
        let (body, after) = rest.split_at(n);
        let items = history.items(body);
        app.intake_items(items).await.expect("a body is taken in");
        rest = after;
    }
}

/// The store's totals and the reference's agree, model by model and path by path.
async fn check<S: Store>(app: &App<S>, history: &History) -> Result<(), TestCaseError> {
    let want = expected(history, &app.rules);
    let (from, to) = reference::all_days();
    for (model, totals) in &want.credits {
        let mut got = app.store.credit_totals(model, from, to).await.unwrap();
        got.retain(|t| t.conversions.abs() > 1e-9 || t.value.abs() > 1e-9);
        prop_assert_eq!(
            got.len(),
            totals.len(),
            "{}: {:?} vs {:?}",
            model,
            got,
            totals
        );
        for (g, w) in got.iter().zip(totals) {
            prop_assert_eq!(
                (&g.day, &g.channel, &g.campaign),
                (&w.day, &w.channel, &w.campaign)
            );
            prop_assert!(
                (g.conversions - w.conversions).abs() < 1e-6,
                "{}: {:?} vs {:?}",
                model,
                g,
                w
            );
            prop_assert!(
                (g.value - w.value).abs() < 1e-6,
                "{}: {:?} vs {:?}",
                model,
                g,
                w
            );
        }
    }
    // Day by day, then summed over every day.
    let mut all = PathTotals::summed(want.paths.values().flatten().cloned()).spelled();
    all.sort_by(|a, b| a.path.cmp(&b.path));
    let days = want
        .paths
        .iter()
        .map(|(&day, want)| (day, day.succ_opt().unwrap(), want));
    for (from, to, want) in days.chain([(from, to, &all)]) {
        let mut got = app.store.path_totals(from, to).await.unwrap().spelled();
        got.sort_by(|a, b| a.path.cmp(&b.path));
        prop_assert_eq!(got.len(), want.len(), "{}: {:?} vs {:?}", from, got, want);
        for (g, w) in got.iter().zip(want) {
            prop_assert_eq!(
                (&g.path, g.conversions, g.non_conversions),
                (&w.path, w.conversions, w.non_conversions)
            );
            prop_assert!((g.value - w.value).abs() < 1e-6);
            prop_assert!((g.days - w.days).abs() < 1e-6, "{:?} vs {:?}", g, w);
        }
    }
    let funnel: std::collections::BTreeMap<_, [i64; 4]> = app
        .store
        .funnel_totals(from, to)
        .await
        .unwrap()
        .into_iter()
        .map(|f| {
            let stages = [f.visits, f.leads, f.opportunities, f.conversions];
            ((f.day, f.first, f.last), stages)
        })
        .filter(|(_, stages)| stages.iter().any(|&n| n != 0))
        .collect();
    prop_assert_eq!(&funnel, &want.funnel);
    let ids: Vec<String> = want.conversions.keys().cloned().collect();
    let stored = app.store.conversion_ledgers(&ids).await.unwrap();
    for (id, stored) in ids.iter().zip(stored) {
        let stored = stored.expect("every conversion has a ledger entry");
        prop_assert_eq!(&stored.value.owner, &want.conversions[id]);
    }
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn history() -> impl Strategy<Value = History> {
    prop::collection::vec(reference::event(), 1..40).prop_map(History::new)
}

/// A delivery order (a permutation) and the sizes of the bodies it is cut into.
fn delivery(len: usize) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (
        Just((0..len).collect::<Vec<_>>()).prop_shuffle(),
        prop::collection::vec(1usize..6, 1..5),
    )
}

fn with_delivery() -> impl Strategy<Value = (History, (Vec<usize>, Vec<usize>))> {
    history().prop_flat_map(|h| {
        let len = h.len();
        (Just(h), delivery(len))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_ledger_in_memory_equals_a_computation_from_scratch((history, (order, cuts)) in with_delivery()) {
        runtime().block_on(async {
            let app = App::new(settings(), MemoryStore::new()).unwrap();
            deliver(&app, &history, &order, &cuts).await;
            check(&app, &history).await
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_ledger_on_sqlite_equals_a_computation_from_scratch((history, (order, cuts)) in with_delivery()) {
        let dir = tempfile::tempdir().unwrap();
        let store = sma_store_sqlite::SqliteStore::open(dir.path().join("sma.db")).unwrap();
        runtime().block_on(async {
            let app = App::new(settings(), store).unwrap();
            deliver(&app, &history, &order, &cuts).await;
            check(&app, &history).await
        })?;
    }
}

/// A conversion before its touches, then a device linked after it: the
/// conversion's credits move to the linked device's touches.
#[tokio::test]
async fn a_conversion_before_its_touches_and_a_late_link_are_credited() {
    let history = History::new(vec![
        Event::track(600, 0, Some(0), "Signed Up"),
        Event::view(590, 1, 0),
        Event::identify(700, 1, 0),
        Event::view(100, 0, 1),
    ]);
    let app = App::new(settings(), MemoryStore::new()).unwrap();
    deliver(&app, &history, &[0, 1, 2, 3], &[1]).await;
    check(&app, &history).await.unwrap();
    let report = app
        .report(&sma_app::ReportRequest::parse("linear", None, None).unwrap())
        .await
        .unwrap();
    let channels: Vec<&str> = report.iter().map(|r| r.channel.as_str()).collect();
    assert_eq!(
        channels.len(),
        2,
        "both devices' touches are credited: {report:?}"
    );
}
