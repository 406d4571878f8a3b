//! Throughput of `detect` on the realistic corpus (`support/corpus.rs`), single
//! threaded, so elements/s is classifications per second per core. The Rust port of
//! Snowplow's referer-parser runs on the same referrers for scale.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/corpus.rs"]
mod corpus;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sma_sources::{Config, detect};

fn sources(c: &mut Criterion) {
    let pairs = corpus::corpus();
    let config = Config::default().with_internal_domains(["acme-analytics.com"]);
    let mut group = c.benchmark_group("detect");
    group.throughput(Throughput::Elements(pairs.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for (url, referrer) in &pairs {
                black_box(detect(Some(url), referrer.as_deref(), &config));
            }
        })
    });
    group.finish();

    // Peer: referer-parser-rs loads Snowplow's referers.yml from its package at run time.
    let yml = common::package_dir("referer-parser-rs").join("tests/referers.yml");
    let parser = referer_parser_rs::Parser::new(yml.to_str().unwrap()).expect("referers.yml loads");
    let mut group = c.benchmark_group("peer");
    group.throughput(Throughput::Elements(pairs.len() as u64));
    group.bench_function("referer-parser-rs", |b| {
        b.iter(|| {
            for (_, referrer) in &pairs {
                if let Some(Ok(url)) = referrer.as_deref().map(url::Url::parse) {
                    black_box(parser.lookup(&url).map(|e| e.source.len()));
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, sources);
criterion_main!(benches);
