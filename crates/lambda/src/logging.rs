//! Log lines for CloudWatch: one JSON object per line on stdout, which Lambda's
//! JSON log format (`LoggingConfig.LogFormat: JSON`) keeps as they are and reads
//! the `level` of.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the process's subscriber: JSON lines on stdout, filtered by `RUST_LOG`
/// (default `info`). The runtime's per-invocation span carries the request id, so
/// every line of an invocation names it. Call once, first thing in `main`.
pub fn init_tracing() {
    let (filter, problem) = filter(std::env::var("RUST_LOG").ok().as_deref());
    let json = tracing_subscriber::fmt::layer()
        .json()
        // `message` at the top level, where CloudWatch Logs Insights looks for it.
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stdout);
    tracing_subscriber::registry()
        .with(json)
        .with(filter)
        .init();
    if let Some(problem) = problem {
        tracing::warn!(%problem, "RUST_LOG not understood; logging at info");
    }
}

/// `RUST_LOG` as per-target levels (`info`, `sma_app=debug,info`): the forms the
/// template's `LogLevel` takes. `Targets` rather than `EnvFilter`, whose span and
/// field directives no function needs, and whose regex engine would add to every
/// binary's size and start-up.
fn filter(rust_log: Option<&str>) -> (Targets, Option<String>) {
    let default = Targets::new().with_default(LevelFilter::INFO);
    match rust_log.map(str::trim).filter(|s| !s.is_empty()) {
        None => (default, None),
        Some(spec) => match spec.parse() {
            Ok(targets) => (targets, None),
            Err(e) => (default, Some(format!("{spec:?}: {e}"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn rust_log_sets_levels_per_target_with_info_by_default() {
        let (targets, problem) = filter(None);
        assert!(problem.is_none());
        assert!(targets.would_enable("sma_app", &Level::INFO));
        assert!(!targets.would_enable("sma_app", &Level::DEBUG));

        let (targets, _) = filter(Some("sma_app=debug,warn"));
        assert!(targets.would_enable("sma_app::intake", &Level::DEBUG));
        assert!(!targets.would_enable("aws_smithy_runtime", &Level::INFO));
        assert!(targets.would_enable("aws_smithy_runtime", &Level::WARN));

        let (targets, problem) = filter(Some("loud=verbose"));
        assert!(problem.is_some());
        assert!(targets.would_enable("sma_app", &Level::INFO));
    }
}
