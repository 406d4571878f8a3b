//! Reports per channel over many journeys, and the paths journeys give the data-driven
//! models.

use sma_attribution::{
    ChannelRow, Conversion, DataDriven, DataDrivenConfig, Journey, MarkovOrder, MarkovValue,
    Milestones, Model, ModelConfig, Path, ReportModel, Touch, markov_credit, report,
    shapley_credit, shapley_simple_credit,
};
use sma_sources::Channel;
use sma_synth as synth;

const DAY: i64 = 24 * 60 * 60 * 1000;

fn touch(day: i64, channel: Channel) -> Touch {
    Touch {
        timestamp: day * DAY,
        device: "d".into(),
        source: synth::source(channel, None),
        landing_page: None,
        referrer: None,
        message_id: format!("t{day}"),
    }
}

fn conversion(day: i64, value: Option<f64>) -> Conversion {
    Conversion {
        event: "Order Completed".into(),
        timestamp: day * DAY,
        value,
        message_id: format!("c{day}"),
    }
}

fn journey(touches: Vec<Touch>, conversions: Vec<Conversion>) -> Journey {
    Journey {
        touches,
        conversions,
        milestones: Milestones::default(),
    }
}

/// Email > Paid Search converting twice (days 3 and 10) and Email alone not converting.
fn journeys() -> Vec<Journey> {
    vec![
        journey(
            vec![touch(1, Channel::Email), touch(2, Channel::PaidSearch)],
            vec![conversion(3, Some(100.0)), conversion(10, None)],
        ),
        journey(vec![touch(5, Channel::Email)], vec![]),
    ]
}

fn row(channel: Channel, conversions: f64, value: f64) -> ChannelRow {
    ChannelRow {
        channel,
        conversions,
        value,
        share: 0.0,
        interval: None,
        low_data: None,
    }
}

fn assert_rows(got: &[ChannelRow], want: &[ChannelRow]) {
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.channel, w.channel, "{got:?}");
        // Relative: the data-driven models may sum in another order.
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        assert!(close(g.conversions, w.conversions), "{got:?}\n{want:?}");
        assert!(close(g.value, w.value), "{got:?}\n{want:?}");
    }
}

#[test]
fn a_rule_report_sums_credits_and_credit_times_value_per_channel() {
    let cfg = ModelConfig::default();
    let rows = report(
        &journeys(),
        Model::First.into(),
        None,
        None,
        &cfg,
        &DataDrivenConfig::default(),
    );
    assert_rows(&rows, &[row(Channel::Email, 2.0, 100.0)]);
    let rows = report(
        &journeys(),
        Model::Linear.into(),
        None,
        None,
        &cfg,
        &DataDrivenConfig::default(),
    );
    assert_rows(
        &rows,
        &[
            row(Channel::PaidSearch, 1.0, 50.0),
            row(Channel::Email, 1.0, 50.0),
        ],
    );
}

#[test]
fn a_report_counts_conversions_from_inclusive_to_exclusive() {
    let cfg = ModelConfig::default();
    let last = ReportModel::Rule(Model::Last);
    let only_first = report(
        &journeys(),
        last,
        Some(3 * DAY),
        Some(10 * DAY),
        &cfg,
        &DataDrivenConfig::default(),
    );
    assert_rows(&only_first, &[row(Channel::PaidSearch, 1.0, 100.0)]);
    let only_second = report(
        &journeys(),
        last,
        Some(3 * DAY + 1),
        None,
        &cfg,
        &DataDrivenConfig::default(),
    );
    assert_rows(&only_second, &[row(Channel::PaidSearch, 1.0, 0.0)]);
    assert!(
        report(
            &journeys(),
            last,
            None,
            Some(3 * DAY),
            &cfg,
            &DataDrivenConfig::default()
        )
        .is_empty()
    );
}

#[test]
fn a_journey_gives_a_converting_path_per_conversion_and_one_for_the_touches_after() {
    let cfg = ModelConfig::default();
    let j = journey(
        vec![
            touch(1, Channel::Email),
            touch(2, Channel::PaidSearch),
            touch(4, Channel::Referral),
        ],
        vec![conversion(3, Some(5.0)), conversion(2, None)],
    );
    let path = |channels: &[Channel], converted, value| Path {
        channels: channels.to_vec(),
        converted,
        value,
    };
    assert_eq!(
        j.paths(&cfg),
        [
            path(&[Channel::Email, Channel::PaidSearch], true, 5.0),
            path(&[Channel::Email, Channel::PaidSearch], true, 0.0),
            path(&[Channel::Referral], false, 0.0),
        ]
    );
    let never_converted = journey(vec![touch(1, Channel::Email)], vec![]);
    assert_eq!(
        never_converted.paths(&cfg),
        [path(&[Channel::Email], false, 0.0)]
    );
    let no_touches = journey(vec![], vec![conversion(3, Some(1.0))]);
    assert!(no_touches.paths(&cfg).is_empty());
}

#[test]
fn data_driven_reports_run_the_models_on_the_journeys_paths() {
    let cfg = ModelConfig::default();
    let journeys = synth::journeys(300, 9);
    let paths: Vec<Path> = journeys.iter().flat_map(|j| j.paths(&cfg)).collect();
    for (model, credit) in [
        (
            DataDriven::Markov,
            markov_credit(&paths, MarkovOrder::FIRST, MarkovValue::RemovalEffect),
        ),
        (DataDriven::Shapley, shapley_credit(&paths)),
        (DataDriven::ShapleySimple, shapley_simple_credit(&paths)),
    ] {
        let want: Vec<ChannelRow> = credit
            .into_iter()
            .map(|(channel, c)| row(channel, c.conversions, c.value))
            .collect();
        assert!(!want.is_empty());
        assert_rows(
            &report(
                &journeys,
                model.into(),
                None,
                None,
                &cfg,
                &DataDrivenConfig::default(),
            ),
            &want,
        );
    }
}

#[test]
fn a_data_driven_report_keeps_non_converting_paths_by_their_last_touch() {
    let cfg = ModelConfig::default();
    // In [4d, 6d): only the non-converting Email path (last touch day 5), so Email is
    // listed with nothing to credit.
    let rows = report(
        &journeys(),
        DataDriven::Markov.into(),
        Some(4 * DAY),
        Some(6 * DAY),
        &cfg,
        &DataDrivenConfig::default(),
    );
    assert_rows(&rows, &[row(Channel::Email, 0.0, 0.0)]);
}

#[test]
fn every_report_model_credits_each_conversion_once_except_participation() {
    let cfg = ModelConfig::default();
    let journeys = synth::journeys(500, 11);
    let converted: f64 = journeys.iter().flat_map(|j| &j.conversions).count() as f64;
    for model in ReportModel::ALL {
        let total: f64 = report(
            &journeys,
            model,
            None,
            None,
            &cfg,
            &DataDrivenConfig::default(),
        )
        .iter()
        .map(|r| r.conversions)
        .sum();
        if model == ReportModel::Rule(Model::Participation) {
            assert!(total > converted, "{model}: {total}");
        } else {
            assert!(
                (total - converted).abs() < 1e-6,
                "{model}: {total} vs {converted}"
            );
        }
    }
}
