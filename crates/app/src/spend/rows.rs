//! Spend rows as given, from CSV or JSON, into one form, and the checks that
//! make one a stored row.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use sma_sources::Channel;
use sma_store::{SpendKey, SpendRow};

use super::{csv, is_currency};

/// Where a row was: its CSV line (the header is line 1) or its index in the
/// JSON array (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowAt {
    Line(usize),
    Index(usize),
}

impl std::fmt::Display for RowAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowAt::Line(n) => write!(f, "line {n}"),
            RowAt::Index(n) => write!(f, "index {n}"),
        }
    }
}

/// The fields of a row, each as text, as either form gives them.
#[derive(Debug, Default)]
pub(super) struct RawRow([Option<String>; FIELDS.len()]);

/// Every field a row has; all but `rate` are columns a CSV header must name.
const FIELDS: [&str; 8] = [
    "date", "channel", "source", "medium", "campaign", "cost", "currency", "rate",
];
const RATE: usize = 7;

/// A row read, or why it could not be.
pub(super) type Read = (RowAt, Result<RawRow, String>);

pub(super) fn from_csv(text: &str) -> Result<Vec<Read>, String> {
    let mut records = csv::records(text)?.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(format!(
            "no header line: the first line names the columns {}",
            FIELDS[..RATE].join(",")
        ));
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut columns = [None; FIELDS.len()];
    for (field, column) in FIELDS.iter().zip(&mut columns) {
        *column = header.iter().position(|h| h == field);
        if column.is_none() && *field != "rate" {
            return Err(format!(
                "the header line has no `{field}` column; it needs {} (and may have rate)",
                FIELDS[..RATE].join(", ")
            ));
        }
    }
    Ok(records
        .map(|(line, values)| {
            let row = if values.len() == header.len() {
                Ok(RawRow(columns.map(|c| c.map(|c| values[c].clone()))))
            } else {
                Err(format!(
                    "{} fields where the header names {}",
                    values.len(),
                    header.len()
                ))
            };
            (RowAt::Line(line), row)
        })
        .collect())
}

pub(super) fn from_json(bytes: &[u8]) -> Result<Vec<Read>, String> {
    let rows: Vec<Value> = serde_json::from_slice(bytes)
        .map_err(|e| format!("expected a JSON array of row objects: {e}"))?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, value)| (RowAt::Index(i), json_row(value)))
        .collect())
}

fn json_row(value: Value) -> Result<RawRow, String> {
    let Value::Object(mut object) = value else {
        return Err("not an object".into());
    };
    let mut row = RawRow::default();
    for (field, slot) in FIELDS.iter().zip(&mut row.0) {
        *slot = match object.remove(*field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(other) => return Err(format!("`{field}` is {other}, not text or a number")),
        };
    }
    Ok(row)
}

impl RawRow {
    fn get(&self, field: &str) -> Option<&str> {
        let i = FIELDS.iter().position(|f| *f == field)?;
        self.0[i]
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn required(&self, field: &str) -> Result<&str, String> {
        self.get(field).ok_or_else(|| format!("no {field}"))
    }

    /// The row to store, its cost in `reporting` currency; or what is wrong
    /// with it.
    pub(super) fn checked(self, reporting: &str) -> Result<SpendRow, String> {
        let date = self.required("date")?;
        let day = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| format!("date {date:?} is not a day (YYYY-MM-DD)"))?;
        let label = self.required("channel")?;
        let channel = Channel::parse(label).ok_or_else(|| {
            let labels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
            format!(
                "unknown channel {label:?}; channels are {}",
                labels.join(", ")
            )
        })?;
        let cost = amount(self.required("cost")?, "cost")?;
        if cost < 0.0 {
            return Err(format!("cost {cost} is negative"));
        }
        let currency = self.required("currency")?.to_ascii_uppercase();
        if !is_currency(&currency) {
            return Err(format!("currency {currency:?} is not a three-letter code"));
        }
        let rate = self.get("rate").map(|r| amount(r, "rate")).transpose()?;
        let cost = converted(cost, &currency, rate, reporting)?;
        let part = |field| self.get(field).map(str::to_owned);
        Ok(SpendRow {
            key: SpendKey {
                day,
                channel: channel.as_str().to_owned(),
                source: part("source"),
                medium: part("medium"),
                campaign: part("campaign"),
            },
            cost,
            currency: reporting.to_owned(),
        })
    }
}

/// `cost` in the `reporting` currency: as it is when it is in that one
/// already, at `rate` (`reporting` per unit of `currency`) when not.
fn converted(cost: f64, currency: &str, rate: Option<f64>, reporting: &str) -> Result<f64, String> {
    if currency == reporting {
        return match rate {
            Some(r) if r != 1.0 => Err(format!(
                "{currency} is the reporting currency: its rate is 1 or none, not {r}"
            )),
            _ => Ok(cost),
        };
    }
    let rate = rate.ok_or_else(|| {
        format!(
            "cost in {currency}, not the reporting currency {reporting}, \
             and no rate ({reporting} per {currency}) to convert it"
        )
    })?;
    if rate <= 0.0 {
        return Err(format!("rate {rate} is not above 0"));
    }
    // A product of decimals picks up binary noise (10 × 1.1 is
    // 11.000000000000002): a millionth of a unit is finer than any price.
    Some((cost * rate * 1e6).round() / 1e6)
        .filter(|c| c.is_finite())
        .ok_or_else(|| format!("cost {cost} at rate {rate} is too large"))
}

/// A finite number written plainly.
fn amount(text: &str, field: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{field} {text:?} is not a number"))
}
