//! `GET /api/report` and `sma report`: conversions and value per channel under one
//! model, over every journey with activity in the period.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sma_attribution::{ChannelRow, ReportModel};
use sma_store::{Store, StoreError};

use crate::{App, iso};

/// A report's question: which model, over which conversions.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    pub model: ReportModel,
    /// Conversions at or after this time (unbounded when `None`).
    pub from: Option<DateTime<Utc>>,
    /// Conversions before this time (unbounded when `None`).
    pub to: Option<DateTime<Utc>>,
}

impl ReportRequest {
    /// Reads a model name and optional bounds (RFC 3339 times or `YYYY-MM-DD` dates,
    /// a date meaning its midnight UTC). Errors name the bad part.
    pub fn parse(
        model: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<ReportRequest, String> {
        let model = model.parse::<ReportModel>().map_err(|e| e.to_string())?;
        let from = from.map(|t| time("from", t)).transpose()?;
        let to = to.map(|t| time("to", t)).transpose()?;
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err(format!(
                "`from` ({}) must be before `to` ({})",
                iso(f),
                iso(t)
            ));
        }
        Ok(ReportRequest { model, from, to })
    }
}

fn time(name: &str, text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        })
        .map_err(|_| {
            format!("`{name}`: {text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time")
        })
}

/// A report as the API and the CLI show it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub model: &'static str,
    pub from: Option<String>,
    pub to: Option<String>,
    pub channels: Vec<ChannelRow>,
    pub total: Total,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Total {
    pub conversions: f64,
    pub value: f64,
}

impl<S: Store> App<S> {
    pub async fn report(&self, request: &ReportRequest) -> Result<Vec<ChannelRow>, StoreError> {
        let mut journeys = Vec::new();
        for subject in self.subjects(request.from, request.to).await? {
            journeys.push(self.load(&subject).await?.journey);
        }
        Ok(sma_attribution::report(
            &journeys,
            request.model,
            request.from.map(|t| t.timestamp_millis()),
            request.to.map(|t| t.timestamp_millis()),
            &self.rules.models,
        ))
    }

    pub async fn report_view(&self, request: &ReportRequest) -> Result<ReportView, StoreError> {
        let channels = self.report(request).await?;
        let total = Total {
            conversions: channels.iter().map(|c| c.conversions).sum(),
            value: channels.iter().map(|c| c.value).sum(),
        };
        Ok(ReportView {
            model: request.model.as_str(),
            from: request.from.map(iso),
            to: request.to.map(iso),
            channels,
            total,
        })
    }
}
