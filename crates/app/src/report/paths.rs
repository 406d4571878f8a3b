//! `GET /api/report/paths` and `sma report paths`: the top channel paths of
//! the conversions in a period (or of the journeys that did not convert), as
//! GA4's conversion paths report shows them, and where on those paths each
//! channel's touches fall (early, mid, late).

use std::collections::BTreeMap;

use serde::Serialize;
use sma_store::{PathTotal, Store, StoreError};

use super::{Period, shown};
use crate::App;

/// Paths listed when no limit is asked, and the most that can be.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub struct PathsRequest {
    pub period: Period,
    /// Converting paths (by conversion day) or open ones (by the day of their
    /// latest touch).
    pub converted: bool,
    pub limit: usize,
}

impl PathsRequest {
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        converted: Option<&str>,
        limit: Option<&str>,
    ) -> Result<PathsRequest, String> {
        let converted = match converted.map(str::trim) {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => return Err(format!("`converted`: {other:?} is neither true nor false")),
        };
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    format!("`limit`: {text:?} is not a number from 1 to {MAX_LIMIT}")
                })?,
        };
        Ok(PathsRequest {
            period: Period::parse(from, to)?,
            converted,
            limit,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PathsView {
    pub from: Option<String>,
    pub to: Option<String>,
    pub converted: bool,
    /// The most frequent paths first.
    pub paths: Vec<PathRow>,
    /// Every path of the period, not only those listed.
    pub buckets: Vec<BucketRow>,
}

/// One channel path: `conversions`, `value` and `days_to_convert` for
/// converting paths, `journeys` for open ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathRow {
    pub path: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversions: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journeys: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Touches on the path (its length).
    pub touches: usize,
    /// Average days from the path's first touch to the conversion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_to_convert: Option<f64>,
}

/// A channel's touches by their place on the paths, each counted once per
/// conversion (or journey) of its path.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BucketRow {
    pub channel: String,
    pub early: i64,
    pub mid: i64,
    pub late: i64,
}

/// How many of a path's `n` touches are early and late, as GA4 splits them:
/// the first quarter rounded to the nearest (none on a one-touch path), the
/// last quarter rounded up; mid is the rest (none under three touches).
fn early_and_late(n: usize) -> (usize, usize) {
    let late = n.div_ceil(4);
    let early = ((n + 2) / 4).min(n - late);
    (early, late)
}

/// Per path: (count, value, days summed).
type Sums = BTreeMap<Vec<String>, (i64, f64, f64)>;

fn sums(totals: Vec<PathTotal>, converted: bool) -> Sums {
    totals
        .into_iter()
        .filter(|t| !t.path.is_empty())
        .map(|t| match converted {
            true => (t.path, (t.conversions, t.value, t.days)),
            false => (t.path, (t.non_conversions, 0.0, 0.0)),
        })
        .filter(|(_, (count, _, _))| *count > 0)
        .collect()
}

fn rows(sums: &Sums, converted: bool, limit: usize) -> Vec<PathRow> {
    let mut rows: Vec<PathRow> = sums
        .iter()
        .map(|(path, &(count, value, days))| PathRow {
            path: path.clone(),
            conversions: converted.then_some(count),
            journeys: (!converted).then_some(count),
            value: converted.then(|| shown(value)),
            touches: path.len(),
            days_to_convert: converted
                .then(|| shown((days / count as f64 * 100.0).round() / 100.0)),
        })
        .collect();
    let count = |r: &PathRow| r.conversions.or(r.journeys).unwrap_or(0);
    rows.sort_by(|a, b| {
        count(b)
            .cmp(&count(a))
            .then(b.value.unwrap_or(0.0).total_cmp(&a.value.unwrap_or(0.0)))
            .then_with(|| a.path.cmp(&b.path))
    });
    rows.truncate(limit);
    rows
}

fn buckets(sums: &Sums) -> Vec<BucketRow> {
    let mut by_channel: BTreeMap<&str, BucketRow> = BTreeMap::new();
    for (path, &(count, _, _)) in sums {
        let (early, late) = early_and_late(path.len());
        for (i, channel) in path.iter().enumerate() {
            let row = by_channel.entry(channel).or_insert_with(|| BucketRow {
                channel: channel.clone(),
                ..BucketRow::default()
            });
            let bucket = if i < early {
                &mut row.early
            } else if i >= path.len() - late {
                &mut row.late
            } else {
                &mut row.mid
            };
            *bucket += count;
        }
    }
    by_channel.into_values().collect()
}

impl<S: Store> App<S> {
    pub async fn paths(&self, request: &PathsRequest) -> Result<PathsView, StoreError> {
        self.read_after_writes().await?;
        let (from, to) = request.period.days();
        let totals = self.store.path_totals(from, to).await?.spelled();
        let sums = sums(totals, request.converted);
        let (from, to) = request.period.shown();
        Ok(PathsView {
            from,
            to,
            converted: request.converted,
            paths: rows(&sums, request.converted, request.limit),
            buckets: buckets(&sums),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_paths_as_ga4_does() {
        // n: (early, mid, late)
        let split = |n: usize| {
            let (e, l) = early_and_late(n);
            (e, n - e - l, l)
        };
        assert_eq!(split(1), (0, 0, 1));
        assert_eq!(split(2), (1, 0, 1));
        assert_eq!(split(3), (1, 1, 1));
        assert_eq!(split(4), (1, 2, 1));
        assert_eq!(split(5), (1, 2, 2));
        assert_eq!(split(6), (2, 2, 2));
        assert_eq!(split(8), (2, 4, 2));
    }

    fn total(path: &[&str], conversions: i64, non: i64, value: f64, days: f64) -> PathTotal {
        PathTotal {
            path: path.iter().map(|c| c.to_string()).collect(),
            conversions,
            non_conversions: non,
            value,
            days,
        }
    }

    #[test]
    fn ranks_paths_and_places_channels_by_stage() {
        let totals = vec![
            total(&["Email", "Direct"], 3, 1, 40.0, 6.0),
            total(&["Organic Search"], 3, 0, 15.0, 0.0),
            total(&["Paid Search", "Email", "Direct"], 0, 2, 0.0, 0.0),
        ];
        let converted = sums(totals.clone(), true);
        let rows = rows(&converted, true, 20);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].path, ["Email", "Direct"]);
        assert_eq!(
            (
                rows[0].conversions,
                rows[0].value,
                rows[0].days_to_convert,
                rows[0].touches
            ),
            (Some(3), Some(40.0), Some(2.0), 2)
        );
        assert_eq!(rows[1].conversions, Some(3), "ties on count go by value");
        let buckets = buckets(&converted);
        let email = buckets.iter().find(|b| b.channel == "Email").unwrap();
        assert_eq!((email.early, email.mid, email.late), (3, 0, 0));
        let search = buckets
            .iter()
            .find(|b| b.channel == "Organic Search")
            .unwrap();
        assert_eq!((search.early, search.mid, search.late), (0, 0, 3));

        let open = sums(totals, false);
        let rows = super::rows(&open, false, 1);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].path, ["Paid Search", "Email", "Direct"]);
        assert_eq!(
            (rows[0].journeys, rows[0].conversions, rows[0].value),
            (Some(2), None, None)
        );
    }

    #[test]
    fn names_a_bad_limit_or_flag() {
        assert!(
            PathsRequest::parse(None, None, Some("yes"), None)
                .unwrap_err()
                .contains("converted")
        );
        assert!(
            PathsRequest::parse(None, None, None, Some("0"))
                .unwrap_err()
                .contains("limit")
        );
        let r = PathsRequest::parse(None, None, Some("false"), Some("5")).unwrap();
        assert_eq!((r.converted, r.limit), (false, 5));
    }
}
