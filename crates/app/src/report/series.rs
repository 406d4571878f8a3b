//! `GET /api/report/series` and `sma report series`: conversions and value per
//! day, week or month and channel under one rule model, for charts. Rule
//! models only: their credits are kept per day, while a data-driven model
//! is fitted over a whole period and has no per-day figure to add up.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;
use sma_attribution::{Model, ReportModel};
use sma_store::{Store, StoreError};

use super::{Period, shown};
use crate::App;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interval {
    #[default]
    Day,
    /// ISO weeks, from Monday.
    Week,
    Month,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }

    /// The first day of the interval `day` falls in.
    fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => day,
            Interval::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Interval::Month => day.with_day(1).expect("every month has a first"),
        }
    }
}

impl std::str::FromStr for Interval {
    type Err = String;

    fn from_str(s: &str) -> Result<Interval, String> {
        match s.trim() {
            "day" => Ok(Interval::Day),
            "week" => Ok(Interval::Week),
            "month" => Ok(Interval::Month),
            other => Err(format!("`interval`: {other:?} is not day, week or month")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRequest {
    pub model: Model,
    pub period: Period,
    pub interval: Interval,
}

impl SeriesRequest {
    pub fn parse(
        model: &str,
        from: Option<&str>,
        to: Option<&str>,
        interval: Option<&str>,
    ) -> Result<SeriesRequest, String> {
        let model = match model.parse::<ReportModel>().map_err(|e| e.to_string())? {
            ReportModel::Rule(model) => model,
            ReportModel::DataDriven(model) => {
                return Err(format!(
                    "series are kept for rule models only; {model} is fitted over a whole period \
                     (ask /api/report for it)"
                ));
            }
        };
        Ok(SeriesRequest {
            model,
            period: Period::parse(from, to)?,
            interval: interval.map(str::parse).transpose()?.unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SeriesView {
    pub model: &'static str,
    pub interval: &'static str,
    pub from: Option<String>,
    pub to: Option<String>,
    /// In (period, channel) order; periods without credits are left out.
    pub series: Vec<SeriesPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// The interval's first day.
    pub period: NaiveDate,
    pub channel: String,
    pub conversions: f64,
    pub value: f64,
}

impl<S: Store> App<S> {
    pub async fn series(&self, request: &SeriesRequest) -> Result<SeriesView, StoreError> {
        self.read_after_writes().await?;
        let (from, to) = request.period.days();
        let totals = self
            .store
            .credit_totals(request.model.as_str(), from, to)
            .await?;
        let mut points: BTreeMap<(NaiveDate, String), (f64, f64)> = BTreeMap::new();
        for t in totals {
            let sum = points
                .entry((request.interval.start(t.day), t.channel))
                .or_default();
            sum.0 += t.conversions;
            sum.1 += t.value;
        }
        let (from, to) = request.period.shown();
        Ok(SeriesView {
            model: request.model.as_str(),
            interval: request.interval.as_str(),
            from,
            to,
            series: points
                .into_iter()
                .filter(|(_, (c, v))| c.abs() > super::ZERO || v.abs() > super::ZERO)
                .map(|((period, channel), (conversions, value))| SeriesPoint {
                    period,
                    channel,
                    conversions: shown(conversions),
                    value: shown(value),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_start_on_the_day_monday_and_first() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 14).unwrap(); // a Thursday
        assert_eq!(Interval::Day.start(d), d);
        assert_eq!(Interval::Week.start(d).to_string(), "2024-03-11");
        assert_eq!(Interval::Month.start(d).to_string(), "2024-03-01");
        assert!("year".parse::<Interval>().unwrap_err().contains("year"));
    }

    #[test]
    fn data_driven_models_have_no_series() {
        let err = SeriesRequest::parse("markov", None, None, None).unwrap_err();
        assert!(err.contains("rule models"), "{err}");
        let r = SeriesRequest::parse("linear", None, None, Some("week")).unwrap();
        assert_eq!((r.model, r.interval), (Model::Linear, Interval::Week));
    }
}
