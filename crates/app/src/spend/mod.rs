//! Importing ad spend (`sma spend import`, `POST /api/spend`): rows of what a
//! channel's campaign cost on a day, as CSV with a header line or as a JSON
//! array of objects, stored in the reporting currency (`REPORTING_CURRENCY`)
//! and replacing the row stored under the same key. Each row is checked on
//! its own: a bad one is rejected, named by its line or index, and the good
//! ones beside it are stored all the same.

mod csv;
mod rows;

use serde::Serialize;
use sma_store::{SpendRow, Store, StoreError};

use crate::App;
pub use rows::RowAt;

/// What an import is given.
#[derive(Debug, Clone, Copy)]
pub enum SpendInput<'a> {
    /// CSV text: a header line naming the columns, then one row per line.
    Csv(&'a str),
    /// A JSON array of row objects.
    Json(&'a [u8]),
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpendSummary {
    /// The currency every stored cost is in now.
    pub currency: String,
    /// Rows stored, those that replaced a stored row included.
    pub stored: usize,
    pub replaced: usize,
    pub rejected: usize,
    pub rejections: Vec<SpendRejection>,
}

/// A row that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpendRejection {
    #[serde(flatten)]
    pub at: RowAt,
    /// Names the row too, so it reads alone.
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SpendError {
    /// Nothing in it can be read as rows: no header, a missing column, not a
    /// JSON array, a quote left open.
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A currency code as settings and rows give it: three capital letters.
pub(crate) fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

impl<S: Store> App<S> {
    /// Checks each row, stores the good ones (converted to the reporting
    /// currency) and answers what became of every row.
    pub async fn import_spend(&self, input: SpendInput<'_>) -> Result<SpendSummary, SpendError> {
        let currency = &self.settings.reports.reporting_currency;
        let raw = match input {
            SpendInput::Csv(text) => rows::from_csv(text),
            SpendInput::Json(bytes) => rows::from_json(bytes),
        }
        .map_err(SpendError::Unreadable)?;
        let mut good: Vec<SpendRow> = Vec::with_capacity(raw.len());
        let mut rejections = Vec::new();
        for (at, row) in raw {
            match row.and_then(|r| r.checked(currency)) {
                Ok(row) => good.push(row),
                Err(problem) => rejections.push(SpendRejection {
                    at,
                    error: format!("{at}: {problem}"),
                }),
            }
        }
        let replaced = self.store.put_spend(&good).await?;
        Ok(SpendSummary {
            currency: currency.clone(),
            stored: good.len(),
            replaced: replaced.iter().filter(|r| **r).count(),
            rejected: rejections.len(),
            rejections,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;
    use sma_store::SpendStore;
    use sma_store::memory::MemoryStore;

    fn app() -> App<MemoryStore> {
        let settings =
            Settings::from_lookup(|name| (name == "REPORTING_CURRENCY").then(|| "EUR".to_owned()))
                .unwrap();
        App::new(settings, MemoryStore::new()).unwrap()
    }

    async fn import(app: &App<MemoryStore>, input: SpendInput<'_>) -> SpendSummary {
        app.import_spend(input).await.unwrap()
    }

    #[tokio::test]
    async fn good_rows_are_stored_converted_and_bad_ones_named() {
        let app = app();
        let csv = "Date,Channel,Source,Medium,Campaign,Cost,Currency,Rate\n\
                   2024-06-01,Paid Search,google,cpc,spring,100,EUR,\n\
                   2024-06-01,Paid Social,meta,paid_social,\"spring, again\",50,USD,0.9\n\
                   2024-06-02,Paid Search,google,cpc,spring,10,USD,\n\
                   2024-06-02,Google Ads,google,cpc,spring,10,EUR,\n\
                   2024-06-31,Paid Search,google,cpc,spring,10,EUR,\n\
                   2024-06-03,Paid Search,google,cpc,spring,-1,EUR,\n";
        let summary = import(&app, SpendInput::Csv(csv)).await;
        assert_eq!(
            (summary.stored, summary.replaced, summary.rejected),
            (2, 0, 4)
        );
        let errors: Vec<&str> = summary
            .rejections
            .iter()
            .map(|r| r.error.as_str())
            .collect();
        assert!(
            errors[0].starts_with("line 4: ") && errors[0].contains("USD"),
            "{errors:?}"
        );
        assert!(errors[1].starts_with("line 5: ") && errors[1].contains("Google Ads"));
        assert!(errors[2].starts_with("line 6: ") && errors[2].contains("2024-06-31"));
        assert!(errors[3].starts_with("line 7: ") && errors[3].contains("-1"));
        assert_eq!(summary.rejections[0].at, RowAt::Line(4));

        let day = |d| chrono::NaiveDate::from_ymd_opt(2024, 6, d).unwrap();
        let stored = app.store.spend_between(day(1), day(30)).await.unwrap();
        let costs: Vec<(f64, &str, Option<&str>)> = stored
            .iter()
            .map(|r| (r.cost, r.currency.as_str(), r.key.campaign.as_deref()))
            .collect();
        assert_eq!(
            costs,
            [
                (100.0, "EUR", Some("spring")),
                (45.0, "EUR", Some("spring, again"))
            ]
        );

        let json = br#"[{"date": "2024-06-01", "channel": "Paid Search", "source": "google",
            "medium": "cpc", "campaign": "spring", "cost": 80, "currency": "eur"},
            {"date": "2024-06-01", "channel": "Email", "cost": "5", "currency": "EUR", "rate": 2}]"#;
        let summary = import(&app, SpendInput::Json(json)).await;
        assert_eq!(
            (summary.stored, summary.replaced, summary.rejected),
            (1, 1, 1)
        );
        assert_eq!(summary.rejections[0].at, RowAt::Index(1));
        assert!(summary.rejections[0].error.starts_with("index 1: "));
    }

    #[tokio::test]
    async fn input_without_rows_to_read_is_refused_whole() {
        let app = app();
        for csv in [
            "",
            "date,channel,cost,currency\n2024-06-01,Email,1,EUR\n",
            "a,\"b\n",
        ] {
            let refused = app.import_spend(SpendInput::Csv(csv)).await;
            assert!(matches!(refused, Err(SpendError::Unreadable(_))), "{csv:?}");
        }
        let refused = app
            .import_spend(SpendInput::Json(br#"{"date": "x"}"#))
            .await;
        assert!(matches!(refused, Err(SpendError::Unreadable(_))));
    }
}
