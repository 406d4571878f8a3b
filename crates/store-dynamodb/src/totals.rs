//! ATTRIBUTION: the per-day totals reports read, moved only by the deltas of
//! ledger changes (`ADD`, which starts missing attributes at 0), so that a
//! report is one Query whatever the number of users:
//! - credits: `tot#credit#<model>` / `<YYYY-MM-DD>`, per (channel, campaign)
//!   `c|<key>` (conversions) and `v|<key>` (value), where `<key>` is the JSON
//!   array `[channel, campaign]` (campaign `null` when none);
//! - paths: `tot#path` / `<YYYY-MM-DD>#<bucket>`, per channel path `c|<key>`
//!   (conversions), `x|<key>` (non-conversions) and `v|<key>` (value), where
//!   `<key>` is the JSON array of the channels. The bucket (a hash of the path,
//!   `0`..`f`) spreads a day's paths over sixteen items, each bounded by
//!   DynamoDB's 400 KB.
//!
//! JSON keys cannot be confused whatever the names contain. DynamoDB adds
//! numbers as decimals, so deltas that cancel leave exactly 0; such totals
//! are left out of reports.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{Days, NaiveDate};
use sma_store::{CreditDelta, CreditTotal, PathDelta, PathTotal, StoreError};

use super::DynamoStore;
use super::keys::{self, Item, get_n, get_s};
use super::write::{self, number};

const CREDIT_PREFIX: &str = "tot#credit#";
const PATH_PK: &str = "tot#path";
/// Items a day's path totals are spread over.
const PATH_BUCKETS: u64 = 16;

/// One (channel, campaign) or path's numbers in a totals item.
#[derive(Debug, Default, Clone, Copy)]
struct Numbers {
    conversions: f64,
    non_conversions: i64,
    value: f64,
}

/// The `ADD` updates that apply `credits` and `paths`: one per totals item,
/// each attribute once.
pub(super) fn writes(
    table: &str,
    credits: &[CreditDelta],
    paths: &[PathDelta],
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut items: BTreeMap<(String, String), BTreeMap<String, Numbers>> = BTreeMap::new();
    for d in credits {
        let key = (format!("{CREDIT_PREFIX}{}", d.model), keys::day(d.day));
        let sum = items
            .entry(key)
            .or_default()
            .entry(json(&(&d.channel, &d.campaign)))
            .or_default();
        sum.conversions += d.conversions;
        sum.value += d.value;
    }
    for d in paths {
        let path = json(&d.path);
        let key = (PATH_PK.to_owned(), path_sk(d.day, &path));
        let sum = items.entry(key).or_default().entry(path).or_default();
        sum.conversions += d.conversions as f64;
        sum.non_conversions += d.non_conversions;
        sum.value += d.value;
    }
    let mut writes = Vec::with_capacity(items.len());
    for ((pk, sk), sums) in items {
        let paths = pk == PATH_PK;
        let mut numbers = Vec::new();
        // Adding 0 changes nothing but the item's size.
        for (key, sum) in sums {
            if sum.conversions != 0.0 {
                // A path's conversions are counts: added as integers.
                let conversions = if paths {
                    keys::n(sum.conversions as i64)
                } else {
                    number(sum.conversions)?
                };
                numbers.push((format!("c|{key}"), conversions));
            }
            if sum.non_conversions != 0 {
                numbers.push((format!("x|{key}"), keys::n(sum.non_conversions)));
            }
            if sum.value != 0.0 {
                numbers.push((format!("v|{key}"), number(sum.value)?));
            }
        }
        if !numbers.is_empty() {
            writes.push(write::add(table, keys::key(pk, sk), numbers)?);
        }
    }
    Ok(writes)
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("strings serialise")
}

/// `<day>#<bucket>`: a stable hash of the path (FNV-1a) picks the bucket.
fn path_sk(day: NaiveDate, path: &str) -> String {
    let hash = path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}#{:x}", keys::day(day), hash % PATH_BUCKETS)
}

/// Each key of a totals item with its numbers, the zero ones left out.
fn numbers_of(item: &Item) -> Result<BTreeMap<&str, Numbers>, StoreError> {
    let mut found: BTreeMap<&str, Numbers> = BTreeMap::new();
    for name in item.keys() {
        let Some((kind, key)) = name.split_once('|') else {
            continue;
        };
        let numbers = found.entry(key).or_default();
        match kind {
            "c" => numbers.conversions = get_n(item, name)?,
            "x" => numbers.non_conversions = get_n(item, name)?,
            "v" => numbers.value = get_n(item, name)?,
            _ => {}
        }
    }
    found.retain(|_, n| n.conversions != 0.0 || n.non_conversions != 0 || n.value != 0.0);
    Ok(found)
}

fn parse_key<T: serde::de::DeserializeOwned>(key: &str) -> Result<T, StoreError> {
    serde_json::from_str(key).map_err(|e| StoreError::Corrupt(format!("totals key {key:?}: {e}")))
}

impl DynamoStore {
    pub(super) async fn credit_rows(
        &self,
        model: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CreditTotal>, StoreError> {
        let mut rows = Vec::new();
        for item in self
            .days(&format!("{CREDIT_PREFIX}{model}"), from, to)
            .await?
        {
            let day = keys::parse_day(get_s(&item, "sk")?)?;
            for (key, n) in numbers_of(&item)? {
                let (channel, campaign) = parse_key(key)?;
                rows.push(CreditTotal {
                    day,
                    channel,
                    campaign,
                    conversions: n.conversions,
                    value: n.value,
                });
            }
        }
        rows.sort_by(|a, b| {
            (a.day, &a.channel, &a.campaign).cmp(&(b.day, &b.channel, &b.campaign))
        });
        Ok(rows)
    }

    pub(super) async fn path_rows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PathTotal>, StoreError> {
        let mut rows = Vec::new();
        for item in self.days(PATH_PK, from, to).await? {
            let sk = get_s(&item, "sk")?;
            let day = keys::parse_day(sk.split_once('#').map_or(sk, |(day, _)| day))?;
            for (key, n) in numbers_of(&item)? {
                rows.push(PathTotal {
                    day,
                    path: parse_key(key)?,
                    conversions: n.conversions as i64,
                    non_conversions: n.non_conversions,
                    value: n.value,
                });
            }
        }
        rows.sort_by(|a, b| (a.day, &a.path).cmp(&(b.day, &b.path)));
        Ok(rows)
    }

    /// The totals items of `pk` for the days of `[from, to)`: one Query.
    async fn days(
        &self,
        pk: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Item>, StoreError> {
        let Some(last) = to.checked_sub_days(Days::new(1)).filter(|l| *l >= from) else {
            return Ok(Vec::new());
        };
        // `~` sorts after `#<bucket>`: the last day's buckets are in range.
        let query = self
            .client()
            .query()
            .table_name(&self.tables().attribution)
            .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
            .expression_attribute_values(":pk", keys::s(pk))
            .expression_attribute_values(":lo", keys::s(keys::day(from)))
            .expression_attribute_values(":hi", keys::s(format!("{}~", keys::day(last))));
        self.query_all(query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    #[test]
    fn path_buckets_are_stable_and_sort_within_their_day() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let sk = path_sk(day, "[\"Email\"]");
        assert_eq!(sk, path_sk(day, "[\"Email\"]"));
        assert!(sk.starts_with("2024-03-01#") && sk.len() == 12, "{sk}");
        assert!(sk.as_str() < "2024-03-01~");
    }

    #[test]
    fn totals_items_read_back_without_zeros() {
        let mut item = keys::key(PATH_PK, "2024-03-01#0");
        item.insert("c|[\"A\"]".into(), keys::n(2));
        item.insert("x|[\"A\"]".into(), keys::n(0));
        item.insert("v|[\"A\"]".into(), AttributeValue::N("20.5".into()));
        item.insert("c|[\"B\"]".into(), keys::n(0));
        let found = numbers_of(&item).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found["[\"A\"]"].value, 20.5);
        let path: Vec<String> = parse_key("[\"A\",\"B > C\"]").unwrap();
        assert_eq!(path, ["A", "B > C"]);
    }
}
