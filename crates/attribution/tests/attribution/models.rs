//! Golden tests of the rule-based models with the published examples, and the
//! per-conversion plumbing around them.

use sma_attribution::{
    Conversion, Credit, DataDriven, Milestones, Model, ModelConfig, ReportModel, Touch, attribute,
    credit, first_touch, last_non_direct_touch, last_touch, lookback_window,
};
use sma_sources::Channel;
use sma_synth as synth;

const DAY: i64 = 24 * 60 * 60 * 1000;

fn touch(at: i64, channel: Channel) -> Touch {
    Touch {
        timestamp: at,
        device: "d".into(),
        source: synth::source(channel, None),
        landing_page: None,
        referrer: None,
        message_id: format!("t{at}"),
    }
}

/// `n` Organic Search touches one day apart, starting at day 0.
fn daily(n: usize) -> Vec<Touch> {
    (0..n as i64)
        .map(|d| touch(d * DAY, Channel::OrganicSearch))
        .collect()
}

fn conversion(at: i64) -> Conversion {
    Conversion {
        event: "Signed Up".into(),
        timestamp: at,
        value: Some(100.0),
        message_id: format!("c{at}"),
    }
}

/// Credits of `model` for a conversion right after the last touch.
fn shares(model: Model, touches: &[Touch], milestones: &Milestones) -> Vec<f64> {
    let at = touches.last().map_or(0, |t| t.timestamp) + 1;
    let cfg = ModelConfig::default();
    let window = lookback_window(touches, at, &cfg);
    let credits = credit(model, touches, window, &conversion(at), milestones, &cfg);
    let mut dense = vec![0.0; touches.len()];
    for c in credits {
        dense[c.touch] += c.credit;
    }
    dense
}

fn assert_shares(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
    }
}

fn none() -> Milestones {
    Milestones::default()
}

#[test]
fn u_shaped_over_six_touches_is_40_5_5_5_5_40() {
    let got = shares(Model::Position, &daily(6), &none());
    assert_shares(&got, &[0.4, 0.05, 0.05, 0.05, 0.05, 0.4]);
}

#[test]
fn two_touches_split_50_50_under_u_25_75_under_j_and_75_25_under_inverse_j() {
    let two = daily(2);
    assert_shares(&shares(Model::Position, &two, &none()), &[0.5, 0.5]);
    assert_shares(&shares(Model::JShaped, &two, &none()), &[0.25, 0.75]);
    assert_shares(&shares(Model::InverseJ, &two, &none()), &[0.75, 0.25]);
}

#[test]
fn j_and_inverse_j_over_five_touches_give_the_middle_20_percent() {
    let five = daily(5);
    let m = 0.2 / 3.0;
    assert_shares(
        &shares(Model::JShaped, &five, &none()),
        &[0.2, m, m, m, 0.6],
    );
    assert_shares(
        &shares(Model::InverseJ, &five, &none()),
        &[0.6, m, m, m, 0.2],
    );
}

#[test]
fn one_touch_gets_everything_under_every_model() {
    for model in Model::ALL {
        assert_shares(&shares(model, &daily(1), &none()), &[1.0]);
    }
}

#[test]
fn time_decay_halves_the_credit_of_a_touch_seven_days_older() {
    let at = 100 * DAY;
    let touches = [
        touch(at - 8 * DAY, Channel::Email),
        touch(at - DAY, Channel::Email),
    ];
    let cfg = ModelConfig::default();
    let credits = credit(
        Model::TimeDecay,
        &touches,
        0..2,
        &conversion(at),
        &none(),
        &cfg,
    );
    assert_eq!(credits.len(), 2);
    assert!((credits[0].credit / credits[1].credit - 0.5).abs() < 1e-12);
    assert!((credits[0].credit - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn linear_is_even() {
    assert_shares(&shares(Model::Linear, &daily(4), &none()), &[0.25; 4]);
}

#[test]
fn w_shaped_with_lead_after_t1_and_opportunity_after_t3_is_30_30_5_30_5() {
    let touches = daily(5);
    let milestones = Milestones {
        lead: vec![DAY + 1],
        opportunity: vec![3 * DAY + 1],
        won: vec![],
    };
    let got = shares(Model::WShaped, &touches, &milestones);
    assert_shares(&got, &[0.3, 0.3, 0.05, 0.3, 0.05]);
}

#[test]
fn w_shaped_anchors_on_the_latest_milestone_before_the_conversion() {
    let touches = daily(5);
    let milestones = Milestones {
        // The lead after the conversion is ignored; of the others the latest counts.
        lead: vec![100 * DAY, 1, DAY + 1],
        opportunity: vec![3 * DAY + 1],
        won: vec![],
    };
    let got = shares(Model::WShaped, &touches, &milestones);
    assert_shares(&got, &[0.3, 0.3, 0.05, 0.3, 0.05]);
}

#[test]
fn w_shaped_adds_up_coinciding_anchors() {
    let milestones = Milestones {
        lead: vec![DAY + 1],
        opportunity: vec![DAY + 2],
        won: vec![],
    };
    let got = shares(Model::WShaped, &daily(4), &milestones);
    assert_shares(&got, &[0.3, 0.6, 0.05, 0.05]);
}

#[test]
fn w_shaped_splits_the_rest_over_the_anchors_when_there_is_no_other_touch() {
    let milestones = Milestones {
        lead: vec![DAY],
        opportunity: vec![DAY],
        won: vec![],
    };
    let got = shares(Model::WShaped, &daily(2), &milestones);
    assert_shares(&got, &[0.35, 0.65]);
}

#[test]
fn w_shaped_is_u_shaped_when_a_milestone_is_missing() {
    let touches = daily(6);
    let u = shares(Model::Position, &touches, &none());
    let lead_only = Milestones {
        lead: vec![DAY + 1],
        opportunity: vec![],
        won: vec![],
    };
    assert_shares(&shares(Model::WShaped, &touches, &lead_only), &u);
    // A milestone before every touch of the window has nothing to anchor on.
    let too_early = Milestones {
        lead: vec![-1],
        opportunity: vec![3 * DAY],
        won: vec![],
    };
    assert_shares(&shares(Model::WShaped, &touches, &too_early), &u);
}

/// Lead after touch 1, opportunity after touch 3, won after touch 5 (of 7).
fn four_milestones() -> Milestones {
    Milestones {
        lead: vec![DAY + 1],
        opportunity: vec![3 * DAY + 1],
        won: vec![5 * DAY + 1],
    }
}

#[test]
fn full_path_gives_its_four_anchors_22_5_and_the_rest_10() {
    let got = shares(Model::FullPath, &daily(7), &four_milestones());
    let rest = 0.1 / 3.0;
    assert_shares(&got, &[0.225, 0.225, rest, 0.225, rest, 0.225, rest]);
}

#[test]
fn full_path_adds_up_coinciding_anchors() {
    // Opportunity and won both anchor on touch 3.
    let milestones = Milestones {
        lead: vec![DAY + 1],
        opportunity: vec![3 * DAY + 1],
        won: vec![3 * DAY + 2],
    };
    let got = shares(Model::FullPath, &daily(5), &milestones);
    assert_shares(&got, &[0.225, 0.225, 0.05, 0.45, 0.05]);
    // Every touch an anchor: the rest is shared by the distinct anchors.
    let all = Milestones {
        lead: vec![1],
        opportunity: vec![DAY],
        won: vec![DAY + 1],
    };
    let got = shares(Model::FullPath, &daily(2), &all);
    assert_shares(&got, &[0.225 + 0.225 + 0.05, 0.45 + 0.05]);
}

#[test]
fn full_path_is_w_shaped_without_a_won_milestone_and_u_shaped_without_the_others() {
    let touches = daily(7);
    let no_won = Milestones {
        won: vec![],
        ..four_milestones()
    };
    let w = shares(Model::WShaped, &touches, &no_won);
    assert_shares(&shares(Model::FullPath, &touches, &no_won), &w);
    // A won deal after the conversion does not count either.
    let won_later = Milestones {
        won: vec![100 * DAY],
        ..four_milestones()
    };
    assert_shares(&shares(Model::FullPath, &touches, &won_later), &w);
    let no_lead = Milestones {
        lead: vec![],
        ..four_milestones()
    };
    let u = shares(Model::Position, &touches, &none());
    assert_shares(&shares(Model::FullPath, &touches, &no_lead), &u);
}

#[test]
fn single_touch_models_pick_their_touch() {
    let touches = [
        touch(0, Channel::PaidSearch),
        touch(1, Channel::Email),
        touch(2, Channel::Direct),
        touch(3, Channel::Direct),
    ];
    let at = |model| shares(model, &touches, &none());
    assert_shares(&at(Model::First), &[1.0, 0.0, 0.0, 0.0]);
    assert_shares(&at(Model::Last), &[0.0, 0.0, 0.0, 1.0]);
    assert_shares(&at(Model::LastNonDirect), &[0.0, 1.0, 0.0, 0.0]);
    let all_direct = [touch(0, Channel::Direct), touch(1, Channel::Direct)];
    assert_shares(
        &shares(Model::LastNonDirect, &all_direct, &none()),
        &[0.0, 1.0],
    );
}

#[test]
fn participation_gives_one_to_the_first_touch_of_each_channel() {
    let touches = [
        touch(0, Channel::Email),
        touch(1, Channel::Direct),
        touch(2, Channel::Email),
        touch(3, Channel::PaidSearch),
        touch(4, Channel::Direct),
    ];
    let got = shares(Model::Participation, &touches, &none());
    assert_shares(&got, &[1.0, 1.0, 0.0, 1.0, 0.0]);
}

#[test]
fn user_level_first_last_and_last_non_direct() {
    assert_eq!(first_touch(&[]), None);
    assert_eq!(last_touch(&[]), None);
    assert_eq!(last_non_direct_touch(&[]), None);
    let touches = [
        touch(0, Channel::Direct),
        touch(1, Channel::Referral),
        touch(2, Channel::Direct),
    ];
    assert_eq!(first_touch(&touches), Some(0));
    assert_eq!(last_touch(&touches), Some(2));
    assert_eq!(last_non_direct_touch(&touches), Some(1));
    assert_eq!(last_non_direct_touch(&touches[..1]), Some(0));
}

#[test]
fn a_conversion_credits_only_touches_of_its_lookback_window() {
    let cfg = ModelConfig::default();
    let touches = [
        touch(0, Channel::Email),             // 91 days before: too old
        touch(DAY, Channel::PaidSearch),      // exactly 90 days before: in
        touch(50 * DAY, Channel::Referral),   // in
        touch(91 * DAY, Channel::Direct),     // the conversion's own instant: in
        touch(92 * DAY, Channel::Affiliates), // after: out
    ];
    let conversions = [conversion(91 * DAY)];
    let result = attribute(&touches, &conversions, &none(), &cfg);
    assert_eq!(result.len(), 1);
    let credited = |model: Model| -> Vec<usize> {
        result[0].credits[model.as_str()]
            .iter()
            .map(|c| c.touch)
            .collect()
    };
    assert_eq!(credited(Model::Linear), [1, 2, 3]);
    assert_eq!(credited(Model::First), [1]);
    assert_eq!(credited(Model::LastNonDirect), [2]);
}

#[test]
fn a_conversion_without_touches_gets_empty_credit_lists_under_every_model() {
    let cfg = ModelConfig::default();
    let result = attribute(&[touch(5, Channel::Email)], &[conversion(1)], &none(), &cfg);
    assert_eq!(result[0].credits.len(), Model::ALL.len());
    assert!(result[0].credits.values().all(Vec::is_empty));
}

#[test]
fn conversions_come_back_in_time_order_with_every_model_named() {
    let cfg = ModelConfig::default();
    let touches = daily(3);
    let result = attribute(
        &touches,
        &[conversion(2 * DAY + 5), conversion(DAY + 5)],
        &none(),
        &cfg,
    );
    let times: Vec<i64> = result.iter().map(|c| c.conversion.timestamp).collect();
    assert_eq!(times, [DAY + 5, 2 * DAY + 5]);
    let names: Vec<&str> = result[0].credits.keys().copied().collect();
    let mut expected: Vec<&str> = Model::ALL.map(Model::as_str).to_vec();
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(
        result[0].credits["last"],
        [Credit {
            touch: 1,
            credit: 1.0
        }]
    );
}

#[test]
fn model_names_parse_back() {
    let names = [
        "first",
        "last",
        "last_non_direct",
        "linear",
        "time_decay",
        "position",
        "j_shaped",
        "inverse_j",
        "participation",
        "w_shaped",
        "full_path",
    ];
    assert_eq!(Model::ALL.map(Model::as_str), names);
    for model in Model::ALL {
        assert_eq!(model.as_str().parse::<Model>(), Ok(model));
        assert_eq!(
            model.as_str().parse::<ReportModel>(),
            Ok(ReportModel::Rule(model))
        );
    }
    for model in DataDriven::ALL {
        assert_eq!(
            model.as_str().parse::<ReportModel>(),
            Ok(ReportModel::DataDriven(model))
        );
    }
    assert_eq!(
        DataDriven::ALL.map(DataDriven::as_str),
        ["markov", "shapley", "shapley_simple"]
    );
    let err = "markov".parse::<Model>().unwrap_err();
    assert!(err.to_string().contains("w_shaped"), "{err}");
    assert!("U".parse::<ReportModel>().is_err());
}
