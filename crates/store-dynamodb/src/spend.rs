//! ATTRIBUTION: spend rows under a partition per month, `spend#<YYYY-MM>` /
//! `<YYYY-MM-DD>#<channel>#<source>#<medium>#<campaign>`, with the key's
//! parts again as attributes (`day`, `channel`, and `source`, `medium`,
//! `campaign` when given), `cost` and `currency`. In the sort key a part
//! that is none is empty and `%` and `#` are escaped (`%25`, `%23`), so no
//! two keys join to the same string. Every month that holds rows is listed
//! under `spend#months` / `<YYYY-MM>`.
//!
//! A period of up to [`LISTED_AFTER`] months is one Query per month (a year:
//! 12); a longer or unbounded one reads the list of months first and queries
//! only those. Spend is a few rows per day, so a month is one partition.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Datelike, Months, NaiveDate};
use futures_util::{StreamExt, TryStreamExt, stream};

use super::keys::{self, Item, ItemBuilder, get_n, get_s, opt_s};
use super::request::key_of;
use super::write::{number, put_request};
use super::{CONCURRENT_REQUESTS, DynamoStore};
use sma_store::{SpendKey, SpendRow, SpendStore, StoreError};

const PREFIX: &str = "spend#";
const MONTHS_PK: &str = "spend#months";
/// Periods longer than this many months read the list of months first.
const LISTED_AFTER: usize = 24;
/// BatchGetItem's and BatchWriteItem's most keys a call.
const GET_CHUNK: usize = 100;
const WRITE_CHUNK: usize = 25;

fn month(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

fn escaped(part: &str) -> String {
    part.replace('%', "%25").replace('#', "%23")
}

fn row_key(key: &SpendKey) -> Item {
    let parts = [&key.source, &key.medium, &key.campaign]
        .map(|p| escaped(p.as_deref().unwrap_or_default()));
    let sk = format!(
        "{}#{}#{}",
        keys::day(key.day),
        escaped(&key.channel),
        parts.join("#")
    );
    keys::key(format!("{PREFIX}{}", month(key.day)), sk)
}

fn row_item(row: &SpendRow) -> Result<Item, StoreError> {
    let k = &row.key;
    let mut item = ItemBuilder::at(row_key(k))
        .s("day", keys::day(k.day))
        .s("channel", &k.channel)
        .opt_s("source", k.source.as_deref())
        .opt_s("medium", k.medium.as_deref())
        .opt_s("campaign", k.campaign.as_deref())
        .s("currency", &row.currency)
        .build();
    item.insert("cost".into(), number(row.cost)?);
    Ok(item)
}

fn row_from_item(item: &Item) -> Result<SpendRow, StoreError> {
    let part = |name| opt_s(item, name).map(str::to_owned);
    Ok(SpendRow {
        key: SpendKey {
            day: keys::parse_day(get_s(item, "day")?)?,
            channel: get_s(item, "channel")?.to_owned(),
            source: part("source"),
            medium: part("medium"),
            campaign: part("campaign"),
        },
        cost: get_n(item, "cost")?,
        currency: get_s(item, "currency")?.to_owned(),
    })
}

impl SpendStore for DynamoStore {
    /// The keys stored already are read first (consistently, so a re-import
    /// right after an import counts as one); then every row and its month's
    /// listing are put in batches. Two imports of one key at once both
    /// store; the last written stays, and both may answer "new".
    async fn put_spend(&self, rows: &[SpendRow]) -> Result<Vec<bool>, StoreError> {
        let mut last: BTreeMap<(String, String), &SpendRow> = BTreeMap::new();
        let mut again = Vec::with_capacity(rows.len());
        for row in rows {
            again.push(last.insert(key_of(&row_key(&row.key))?, row).is_some());
        }
        let stored = self.stored_keys(last.keys()).await?;
        let replaced = rows
            .iter()
            .zip(again)
            .map(|(row, again)| Ok(again || stored.contains(&key_of(&row_key(&row.key))?)))
            .collect::<Result<Vec<bool>, StoreError>>()?;
        let months: BTreeSet<String> = rows.iter().map(|r| month(r.key.day)).collect();
        let mut requests = last
            .into_values()
            .map(|row| put_request(row_item(row)?))
            .collect::<Result<Vec<_>, StoreError>>()?;
        for m in months {
            requests.push(put_request(keys::key(MONTHS_PK, m))?);
        }
        let table = &self.tables().attribution;
        let writes: Vec<_> = requests
            .chunks(WRITE_CHUNK)
            .map(|chunk| self.batch_write(table, chunk.to_vec()))
            .collect();
        stream::iter(writes)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(replaced)
    }

    async fn spend_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SpendRow>, StoreError> {
        let Some(last) = to.pred_opt().filter(|l| *l >= from) else {
            return Ok(Vec::new());
        };
        let months = self.spend_months(from, last).await?;
        // `~` sorts after the `#` that follows the day: all of `last` is in.
        let (lo, hi) = (keys::day(from), format!("{}~", keys::day(last)));
        let reads = months.into_iter().map(|m| {
            let query = self
                .client()
                .query()
                .table_name(&self.tables().attribution)
                .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
                .expression_attribute_values(":pk", keys::s(format!("{PREFIX}{m}")))
                .expression_attribute_values(":lo", keys::s(&lo))
                .expression_attribute_values(":hi", keys::s(&hi))
                .consistent_read(true);
            self.query_all(query)
        });
        let found: Vec<Vec<Item>> = stream::iter(reads)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await?;
        let mut rows = found
            .iter()
            .flatten()
            .map(row_from_item)
            .collect::<Result<Vec<_>, StoreError>>()?;
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(rows)
    }
}

impl DynamoStore {
    /// Which of `keys` are stored: BatchGetItem, several calls at once.
    async fn stored_keys<'a>(
        &self,
        keys: impl Iterator<Item = &'a (String, String)>,
    ) -> Result<HashSet<(String, String)>, StoreError> {
        let keys: Vec<Item> = keys.map(|(pk, sk)| keys::key(pk, sk)).collect();
        let table = &self.tables().attribution;
        let reads: Vec<_> = keys
            .chunks(GET_CHUNK)
            .map(|chunk| self.batch_get(table, chunk.to_vec(), true))
            .collect();
        let found: Vec<_> = stream::iter(reads)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await?;
        Ok(found.into_iter().flat_map(|f| f.into_keys()).collect())
    }

    /// The months of `[from, last]` that may hold rows, in order.
    async fn spend_months(
        &self,
        from: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<String>, StoreError> {
        let span = (last.year() - from.year()) * 12 + last.month() as i32 - from.month() as i32;
        if span < LISTED_AFTER as i32 {
            let first = from.with_day(1).expect("every month has a first day");
            return Ok((0..=span as u32)
                .map(|i| month(first + Months::new(i)))
                .collect());
        }
        let query = self
            .client()
            .query()
            .table_name(&self.tables().attribution)
            .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
            .expression_attribute_values(":pk", keys::s(MONTHS_PK))
            .expression_attribute_values(":lo", keys::s(month(from)))
            .expression_attribute_values(":hi", keys::s(month(last)))
            .consistent_read(true);
        self.query_all(query)
            .await?
            .iter()
            .map(|item| get_s(item, "sk").map(str::to_owned))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(source: Option<&str>, medium: Option<&str>) -> SpendKey {
        SpendKey {
            day: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
            channel: "Paid Search".into(),
            source: source.map(str::to_owned),
            medium: medium.map(str::to_owned),
            campaign: Some("spring".into()),
        }
    }

    #[test]
    fn a_row_is_keyed_by_its_month_and_parts_that_cannot_run_together() {
        let item = row_key(&key(Some("a#b"), None));
        assert_eq!(opt_s(&item, "pk"), Some("spend#2024-03"));
        assert_eq!(
            opt_s(&item, "sk"),
            Some("2024-03-01#Paid Search#a%23b##spring")
        );
        assert_ne!(
            row_key(&key(Some("a"), Some("b"))),
            row_key(&key(Some("a#b"), None))
        );
        assert_ne!(
            row_key(&key(Some("a%23b"), None)),
            row_key(&key(Some("a#b"), None))
        );
    }

    #[test]
    fn a_row_item_reads_back_as_the_row() {
        let row = SpendRow {
            key: key(None, Some("cpc")),
            cost: 120.25,
            currency: "USD".into(),
        };
        let item = row_item(&row).unwrap();
        assert!(!item.contains_key("source"), "none is left out");
        assert_eq!(row_from_item(&item).unwrap(), row);
    }
}
