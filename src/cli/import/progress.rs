//! Progress of a long command on stderr: a bar with events/s and ETA on a
//! terminal, a plain log line every few seconds otherwise (CI logs, pipes,
//! `LOG_FORMAT=json`). Shared by `sma import` and `sma gen`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the plain form reports.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// What the position counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Input bytes (of the files' total size).
    Bytes,
    /// Work items with this name ("sessions").
    Items(&'static str),
}

pub struct Progress {
    what: &'static str,
    /// What the rate counts ("events", "touches").
    counted: &'static str,
    unit: Unit,
    total: Option<u64>,
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    position: u64,
    count: u64,
}

impl Progress {
    /// `total` is the position at completion, when known (not for stdin);
    /// `counted` names what the rate counts.
    pub fn new(
        what: &'static str,
        counted: &'static str,
        total: Option<u64>,
        unit: Unit,
    ) -> Progress {
        let bar = std::io::stderr()
            .is_terminal()
            .then(|| bar(what, total, unit));
        let now = Instant::now();
        Progress {
            what,
            counted,
            unit,
            total,
            bar,
            started: now,
            last_line: now,
            position: 0,
            count: 0,
        }
    }

    /// Work done so far: `position` against the total, `count` for the rate.
    pub fn update(&mut self, position: u64, count: u64) {
        self.position = position;
        self.count = count;
        if let Some(bar) = &self.bar {
            bar.set_position(position);
            bar.set_message(format!("{count} {} · {}/s", self.counted, self.rate()));
        } else if self.last_line.elapsed() >= PLAIN_EVERY {
            self.last_line = Instant::now();
            self.line();
        }
    }

    /// Clears the bar; the plain form says where it ended.
    pub fn finish(&self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            None => self.line(),
        }
    }

    /// Counted things per second since the start.
    pub fn rate(&self) -> u64 {
        let secs = self.started.elapsed().as_secs_f64();
        if secs > 0.0 {
            (self.count as f64 / secs) as u64
        } else {
            0
        }
    }

    fn line(&self) {
        let done = match self.unit {
            Unit::Bytes => HumanBytes(self.position).to_string(),
            Unit::Items(name) => format!("{} {name}", self.position),
        };
        let (percent, eta) = match self.total.filter(|t| *t > 0) {
            Some(total) => {
                let fraction = (self.position as f64 / total as f64).min(1.0);
                let elapsed = self.started.elapsed().as_secs_f64();
                let eta = (fraction > 0.0).then(|| elapsed / fraction - elapsed);
                (Some(fraction * 100.0), eta)
            }
            None => (None, None),
        };
        tracing::info!(
            done = %done,
            percent = percent.map(|p| p.round() as u64),
            eta_secs = eta.map(|e| e.round() as u64),
            "{}: {} {} ({}/s)",
            self.what,
            self.count,
            self.counted,
            self.rate()
        );
    }
}

fn bar(what: &'static str, total: Option<u64>, unit: Unit) -> ProgressBar {
    let amount = match unit {
        Unit::Bytes => "{bytes}/{total_bytes}",
        Unit::Items(_) => "{pos}/{len}",
    };
    let template = match total {
        Some(_) => format!(
            "{{prefix}} [{{elapsed_precise}}] [{{wide_bar}}] {amount} · {{msg}} · ETA {{eta}}"
        ),
        None => "{prefix} [{elapsed_precise}] {spinner} {bytes} · {msg}".to_owned(),
    };
    let style = ProgressStyle::with_template(&template)
        .expect("the template is valid")
        .progress_chars("=> ");
    let bar = match total {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    bar.set_style(style);
    bar.set_prefix(what);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
