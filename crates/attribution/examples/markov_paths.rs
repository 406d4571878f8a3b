//! Writes the benchmark paths (1,000,000 paths over 30 channels by default, fixed seed)
//! in the input format of the `ChannelAttribution` Python package, with our Markov
//! results of orders 1 to 4 and timings beside them, for `scripts/bench-attribution`
//! to compare.
//!
//! Usage: `markov_paths <out-dir> [paths] [channels] [seed]`. Writes
//! - `paths.csv`: `path;total_conversions;total_conversion_value;total_null`, one row per
//!   distinct path, channels `c00 > c07 > ...` (ChannelAttribution's own layout);
//! - `ours-order-K.csv`: `channel_name;total_conversions;total_conversion_value`;
//!
//! and prints `key=value` lines: the counts and our best-of-N wall times in seconds,
//! each from the paths in memory to the credits (no parsing, no output).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use sma_attribution::{
    Bootstrap, DataDriven, DataDrivenConfig, MarkovOrder, MarkovValue, Path, estimate_all, markov,
    markov_credit, shapley, shapley_simple,
};
use sma_synth as synth;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .expect("usage: markov_paths <out-dir> [paths] [channels] [seed]"),
    );
    let mut number = |default: u64| {
        args.next()
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let (n, channels, seed) = (number(1_000_000), number(30), number(42));
    let channels = u8::try_from(channels).expect("at most 255 channels");
    let paths = synth::paths(n as usize, channels, seed);

    std::fs::create_dir_all(&dir)?;
    let rows = aggregate(&paths);
    std::fs::write(dir.join("paths.csv"), paths_csv(&rows))?;
    for order in (1..=MarkovOrder::MAX).filter_map(MarkovOrder::new) {
        let run = || markov_credit(&paths, order, MarkovValue::RemovalEffect);
        let seconds = best_of(3, run);
        let mut ours = String::from("channel_name;total_conversions;total_conversion_value\n");
        for (channel, c) in &run() {
            writeln!(ours, "{};{};{}", name(*channel), c.conversions, c.value).unwrap();
        }
        std::fs::write(dir.join(format!("ours-order-{order}.csv")), ours)?;
        println!("ours_markov_order_{order}_seconds={seconds:.6}");
    }
    let markov_shapley_seconds =
        best_of(3, || (markov(&paths, MarkovOrder::FIRST), shapley(&paths)));
    let shapley_seconds = best_of(3, || shapley(&paths));
    let shapley_simple_seconds = best_of(3, || shapley_simple(&paths));
    let cfg = DataDrivenConfig {
        bootstrap: Bootstrap {
            resamples: 200,
            ..Bootstrap::default()
        },
        ..DataDrivenConfig::default()
    };
    // Both models on one tally of the paths, as `estimate_all` fits them.
    let both = [DataDriven::Markov, DataDriven::Shapley];
    let bootstrap_seconds = best_of(3, || estimate_all(&paths, &both, &cfg));

    println!("paths={n}");
    println!("distinct_paths={}", rows.len());
    println!("channels={channels}");
    println!(
        "conversions={}",
        paths.iter().filter(|p| p.converted).count()
    );
    println!("ours_shapley_seconds={shapley_seconds:.6}");
    println!("ours_markov_shapley_seconds={markov_shapley_seconds:.6}");
    println!("ours_shapley_simple_seconds={shapley_simple_seconds:.6}");
    println!(
        "ours_markov_shapley_bootstrap_{}_seconds={bootstrap_seconds:.6}",
        cfg.bootstrap.resamples
    );
    Ok(())
}

fn name(channel: u8) -> String {
    format!("c{channel:02}")
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Per distinct path: conversions, their value, non-converting paths.
#[derive(Default)]
struct Row {
    conversions: u64,
    value: f64,
    nulls: u64,
}

fn aggregate(paths: &[Path<u8>]) -> BTreeMap<&[u8], Row> {
    let mut rows: BTreeMap<&[u8], Row> = BTreeMap::new();
    for p in paths {
        let row = rows.entry(&p.channels).or_default();
        if p.converted {
            row.conversions += 1;
            row.value += p.value;
        } else {
            row.nulls += 1;
        }
    }
    rows
}

fn paths_csv(rows: &BTreeMap<&[u8], Row>) -> String {
    let mut csv = String::from("path;total_conversions;total_conversion_value;total_null\n");
    for (channels, row) in rows {
        let path: Vec<String> = channels.iter().map(|&c| name(c)).collect();
        writeln!(
            csv,
            "{};{};{};{}",
            path.join(" > "),
            row.conversions,
            row.value,
            row.nulls
        )
        .unwrap();
    }
    csv
}
