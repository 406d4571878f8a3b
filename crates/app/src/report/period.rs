//! The period a report covers: whole UTC days, as the ledger's totals are kept.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::iso;

/// Conversions (or journeys) with a day in `[from, to)`; unbounded on a side
/// that is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Period {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Period {
    /// Reads optional bounds (`YYYY-MM-DD` dates, or RFC 3339 times at a UTC
    /// midnight). Errors name the bad bound.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period, String> {
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
        Ok(Period { from, to })
    }

    /// The days stores are asked about, `[from, to)`: years 1 and 9999 stand
    /// for no bound (they sort as text in every adapter).
    pub fn days(&self) -> (NaiveDate, NaiveDate) {
        let day = |t: Option<DateTime<Utc>>, none: (i32, u32, u32)| {
            t.map_or_else(
                || NaiveDate::from_ymd_opt(none.0, none.1, none.2).expect("a date"),
                |t| t.date_naive(),
            )
        };
        (day(self.from, (1, 1, 1)), day(self.to, (9999, 12, 31)))
    }

    /// The bounds as answers show them.
    pub fn shown(&self) -> (Option<String>, Option<String>) {
        (self.from.map(iso), self.to.map(iso))
    }
}

fn time(name: &str, text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let at = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        })
        .map_err(|_| {
            format!("`{name}`: {text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time")
        })?;
    if at.time() != NaiveTime::MIN {
        return Err(format!(
            "`{name}`: {text:?} is not a whole day; reports count whole UTC days (YYYY-MM-DD)"
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_days_and_midnights_and_names_the_bad_bound() {
        let p = Period::parse(Some("2024-03-01"), Some("2024-03-02T00:00:00Z")).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2024, 3, d).unwrap();
        assert_eq!(p.days(), (day(1), day(2)));
        let err = Period::parse(None, Some("2024-03-02T10:00:00Z")).unwrap_err();
        assert!(err.contains("`to`") && err.contains("whole day"), "{err}");
        let err = Period::parse(Some("2024-03-02"), Some("2024-03-01")).unwrap_err();
        assert!(err.contains("must be before"), "{err}");
        assert!(
            Period::parse(Some("March"), None)
                .unwrap_err()
                .contains("`from`")
        );
        assert_eq!(Period::default().days().0.to_string(), "0001-01-01");
    }
}
