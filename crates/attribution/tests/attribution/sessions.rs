//! Sessions folded event by event: other events keep a session running but
//! never start one, and a late event re-derives only the sessions around it.

use proptest::prelude::*;
use sma_attribution::{
    Activity, PageView, SessionState, TouchRules, affected, fold_all, in_key_order,
};
use sma_sources::{Channel, Origin, Source};

const MIN: i64 = 60_000;

fn source(channel: Channel, origin: Origin) -> Source {
    Source {
        origin,
        ..sma_synth::source(channel, None)
    }
}

fn view(minute: i64, source: Source) -> Activity {
    Activity::View(PageView {
        message_id: format!("v{minute}"),
        device: "a".into(),
        timestamp: minute * MIN,
        url: Some(format!("https://example.com/{minute}")),
        referrer: None,
        source,
    })
}

fn google(minute: i64) -> Activity {
    view(minute, source(Channel::OrganicSearch, Origin::Referrer))
}

fn track(minute: i64) -> Activity {
    Activity::Other {
        timestamp: minute * MIN,
        message_id: format!("t{minute}"),
    }
}

fn touch_minutes(activities: &[Activity]) -> Vec<i64> {
    let mut activities = activities.to_vec();
    in_key_order(&mut activities);
    fold_all(
        &mut SessionState::default(),
        &activities,
        &TouchRules::default(),
    )
    .iter()
    .map(|t| t.timestamp / MIN)
    .collect()
}

#[test]
fn an_event_within_the_timeout_keeps_a_session_running() {
    // A reader firing tracks for 50 minutes: one session, one touch.
    assert_eq!(touch_minutes(&[google(0), track(25), google(50)]), [0]);
    // Without the track the second view starts a session of its own.
    assert_eq!(touch_minutes(&[google(0), google(50)]), [0, 50]);
}

#[test]
fn an_event_after_the_timeout_starts_no_session() {
    // The track at 40 comes after the session ended at 30: it keeps nothing
    // running, so the view at 60 starts a new session and touch.
    assert_eq!(touch_minutes(&[google(0), track(40), google(60)]), [0, 60]);
    // A device with only other events has no session and no touch.
    assert!(touch_minutes(&[track(0), track(10)]).is_empty());
}

#[test]
fn a_direct_view_starts_a_touch_only_when_it_starts_a_session() {
    let direct = |m| view(m, source(Channel::Direct, Origin::Direct));
    assert_eq!(
        touch_minutes(&[direct(0), track(20), direct(45), direct(100)]),
        [0, 100]
    );
}

/// Events of one device at random minutes, views from three sources and other
/// events between them.
fn history() -> impl Strategy<Value = Vec<Activity>> {
    prop::collection::vec((0i64..600, 0u8..4), 1..40).prop_map(|events| {
        let mut activities: Vec<Activity> = events
            .into_iter()
            .map(|(minute, kind)| match kind {
                0 => track(minute),
                1 => google(minute),
                2 => view(minute, source(Channel::Direct, Origin::Direct)),
                _ => view(minute, source(Channel::Email, Origin::Campaign)),
            })
            .collect();
        in_key_order(&mut activities);
        activities
    })
}

proptest! {
    /// Folding a history in any number of steps gives what folding it at once
    /// gives: the state carries everything a later event needs.
    #[test]
    fn folding_in_steps_is_folding_at_once(history in history(), cut in 0usize..40) {
        let rules = TouchRules::default();
        let whole = fold_all(&mut SessionState::default(), &history, &rules);
        let cut = cut.min(history.len());
        let mut state = SessionState::default();
        let mut stepped = fold_all(&mut state, &history[..cut], &rules);
        let saved: SessionState =
            serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        let mut state = saved;
        stepped.extend(fold_all(&mut state, &history[cut..], &rules));
        prop_assert_eq!(stepped, whole);
    }

    /// Deriving again only the sessions around late events, from a reset state,
    /// and keeping the touches before and after gives the whole history's
    /// touches.
    #[test]
    fn deriving_the_affected_sessions_again_gives_the_whole_derivation(
        history in history(),
        late in prop::collection::vec(0usize..40, 1..4),
    ) {
        let rules = TouchRules::default();
        let late: Vec<usize> = late.into_iter().map(|i| i % history.len()).collect();
        let first = late.iter().map(|&i| history[i].key()).min().unwrap();
        let last = late.iter().map(|&i| history[i].key()).max().unwrap();
        // Everything known: the read range covers the history with room.
        let known = (history[0].timestamp() - rules.session_timeout_ms,
                     history[history.len() - 1].timestamp() + rules.session_timeout_ms);
        let window = affected(&history, (first, last), known, &rules).expect("all read");
        prop_assert!(history[window.clone()].iter().any(|a| a.key() == first));

        let before_late: Vec<Activity> = history
            .iter()
            .filter(|a| !late.iter().any(|&i| history[i].key() == a.key()))
            .cloned()
            .collect();
        let stale = fold_all(&mut SessionState::default(), &before_late, &rules);
        let (from, to) = (
            history[window.start].key(),
            history[window.end - 1].key(),
        );
        let inside = |t: &sma_attribution::Touch| {
            let key = (t.timestamp, t.message_id.as_str());
            key >= from && key <= to
        };
        let mut mended: Vec<_> = stale.into_iter().filter(|t| !inside(t)).collect();
        mended.extend(fold_all(&mut SessionState::default(), &history[window], &rules));
        mended.sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
        let whole = fold_all(&mut SessionState::default(), &history, &rules);
        prop_assert_eq!(mended, whole);
    }

    /// A read range that stops short of a gap on either side asks for more.
    #[test]
    fn a_read_that_reaches_no_gap_asks_for_more(history in history()) {
        let rules = TouchRules::default();
        let key = history[0].key();
        let tight = (history[0].timestamp(), history[history.len() - 1].timestamp() + 1);
        prop_assert_eq!(affected(&history, (key, key), tight, &rules), None);
    }
}
