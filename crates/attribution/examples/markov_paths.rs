//! Writes the benchmark paths (1,000,000 paths over 30 channels by default, fixed seed)
//! in the input format of the `ChannelAttribution` Python package, with our Markov
//! result and timing beside them, for `scripts/bench-attribution` to compare.
//!
//! Usage: `markov_paths <out-dir> [paths] [channels] [seed]`. Writes
//! - `paths.csv`: `path;total_conversions;total_conversion_value;total_null`, one row per
//!   distinct path, channels `c00 > c07 > ...` (ChannelAttribution's own layout);
//! - `ours.csv`: `channel_name;total_conversions;total_conversion_value`;
//!
//! and prints `key=value` lines: the counts and our best-of-5 wall times in seconds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use sma_attribution::{Path, markov_credit, shapley, synth};

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

    let markov_seconds = best_of(5, || markov_credit(&paths));
    let shapley_seconds = best_of(5, || shapley(&paths));
    let credit = markov_credit(&paths);

    std::fs::create_dir_all(&dir)?;
    let rows = aggregate(&paths);
    std::fs::write(dir.join("paths.csv"), paths_csv(&rows))?;
    let mut ours = String::from("channel_name;total_conversions;total_conversion_value\n");
    for (channel, c) in &credit {
        writeln!(ours, "{};{};{}", name(*channel), c.conversions, c.value).unwrap();
    }
    std::fs::write(dir.join("ours.csv"), ours)?;

    println!("paths={n}");
    println!("distinct_paths={}", rows.len());
    println!("channels={channels}");
    println!(
        "conversions={}",
        paths.iter().filter(|p| p.converted).count()
    );
    println!("ours_markov_seconds={markov_seconds:.6}");
    println!("ours_shapley_seconds={shapley_seconds:.6}");
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
