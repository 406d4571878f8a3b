//! Reading totals back: every shard of a kind's days, summed per (day, key).

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use futures_util::{StreamExt, TryStreamExt, stream};
use sma_store::{CreditTotal, FunnelTotal, PathTotal, PathTotals, ScreenedTotal, StoreError};

use super::{CREDIT_PREFIX, FUNNEL_PK, PATH_PK, SCREENED_PK, all_shards};
use crate::keys::{self, Item, get_n, get_s};
use crate::{CONCURRENT_REQUESTS, DynamoStore};

/// A key's numbers in a totals item, by letter (0 when absent).
#[derive(Debug, Default)]
struct Numbers(BTreeMap<char, f64>);

impl Numbers {
    fn get(&self, letter: char) -> f64 {
        self.0.get(&letter).copied().unwrap_or(0.0)
    }

    /// A count, which totals hold as an integer.
    fn count(&self, letter: char) -> i64 {
        self.get(letter) as i64
    }
}

/// Each (day, key) of totals items with its numbers summed over the items
/// (the shards of a day), the all-zero ones left out.
fn summed(items: &[Item]) -> Result<BTreeMap<(NaiveDate, &str), Numbers>, StoreError> {
    let mut found: BTreeMap<(NaiveDate, &str), Numbers> = BTreeMap::new();
    for item in items {
        let day = day_of(item)?;
        for name in item.keys() {
            let Some((letter, key)) = name.split_once('|') else {
                continue;
            };
            let mut letters = letter.chars();
            let (Some(letter), None) = (letters.next(), letters.next()) else {
                continue;
            };
            let n: f64 = get_n(item, name)?;
            *found
                .entry((day, key))
                .or_default()
                .0
                .entry(letter)
                .or_default() += n;
        }
    }
    found.retain(|_, n| n.0.values().any(|v| *v != 0.0));
    Ok(found)
}

fn parse_key<T: serde::de::DeserializeOwned>(key: &str) -> Result<T, StoreError> {
    serde_json::from_str(key).map_err(|e| StoreError::Corrupt(format!("totals key {key:?}: {e}")))
}

/// The day of a totals item, its sort key up to any bucket.
fn day_of(item: &Item) -> Result<NaiveDate, StoreError> {
    let sk = get_s(item, "sk")?;
    keys::parse_day(sk.split_once('#').map_or(sk, |(day, _)| day))
}

impl DynamoStore {
    pub(crate) async fn credit_rows(
        &self,
        model: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CreditTotal>, StoreError> {
        let pk = format!("{CREDIT_PREFIX}{model}");
        let row = |day, key: &str, n: &Numbers| {
            let (channel, campaign) = parse_key(key)?;
            Ok(CreditTotal {
                day,
                channel,
                campaign,
                conversions: n.get('c'),
                value: n.get('v'),
            })
        };
        let order = |a: &CreditTotal, b: &CreditTotal| {
            (a.day, &a.channel, &a.campaign).cmp(&(b.day, &b.channel, &b.campaign))
        };
        self.rows(&pk, from, to, row, order).await
    }

    /// Summed per path over the days, after the shards of each day.
    pub(crate) async fn path_rows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<PathTotals, StoreError> {
        let row = |_day, key: &str, n: &Numbers| {
            Ok(PathTotal {
                path: parse_key(key)?,
                conversions: n.count('c'),
                non_conversions: n.count('x'),
                value: n.get('v'),
                days: n.get('d'),
            })
        };
        let unordered = |_: &PathTotal, _: &PathTotal| std::cmp::Ordering::Equal;
        let per_day = self.rows(PATH_PK, from, to, row, unordered).await?;
        Ok(PathTotals::summed(per_day))
    }

    pub(crate) async fn funnel_rows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FunnelTotal>, StoreError> {
        let row = |day, key: &str, n: &Numbers| {
            let (first, last) = parse_key(key)?;
            Ok(FunnelTotal {
                day,
                first,
                last,
                visits: n.count('s'),
                leads: n.count('l'),
                opportunities: n.count('o'),
                conversions: n.count('c'),
            })
        };
        let order = |a: &FunnelTotal, b: &FunnelTotal| {
            (a.day, &a.first, &a.last).cmp(&(b.day, &b.first, &b.last))
        };
        self.rows(FUNNEL_PK, from, to, row, order).await
    }

    pub(crate) async fn screened_rows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ScreenedTotal>, StoreError> {
        let row = |day, key: &str, n: &Numbers| {
            Ok(ScreenedTotal {
                day,
                reason: parse_key(key)?,
                views: n.count('n'),
            })
        };
        let order =
            |a: &ScreenedTotal, b: &ScreenedTotal| (a.day, &a.reason).cmp(&(b.day, &b.reason));
        self.rows(SCREENED_PK, from, to, row, order).await
    }

    /// The rows of `pk`'s totals for the days of `[from, to)`: each (day, key)
    /// summed over the shards, made a row, in the order the port states.
    async fn rows<R>(
        &self,
        pk: &str,
        from: NaiveDate,
        to: NaiveDate,
        row: impl Fn(NaiveDate, &str, &Numbers) -> Result<R, StoreError>,
        order: impl Fn(&R, &R) -> std::cmp::Ordering,
    ) -> Result<Vec<R>, StoreError> {
        let items = self.days(pk, from, to).await?;
        let mut rows = summed(&items)?
            .into_iter()
            .map(|((day, key), n)| row(day, key, &n))
            .collect::<Result<Vec<R>, StoreError>>()?;
        rows.sort_by(order);
        Ok(rows)
    }

    /// The totals items of `pk` for the days of `[from, to)`, over every
    /// shard: one Query each, side by side.
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
        let queries = all_shards(pk).map(|pk| {
            let query = self
                .client()
                .query()
                .table_name(&self.tables().attribution)
                .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
                .expression_attribute_values(":pk", keys::s(pk))
                .expression_attribute_values(":lo", keys::s(keys::day(from)))
                .expression_attribute_values(":hi", keys::s(format!("{}~", keys::day(last))));
            self.query_all(query)
        });
        let shards: Vec<Vec<Item>> = stream::iter(queries)
            .buffer_unordered(CONCURRENT_REQUESTS)
            .try_collect()
            .await?;
        Ok(shards.concat())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    #[test]
    fn totals_items_read_back_summed_over_shards_without_zeros() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let mut item = keys::key(format!("{PATH_PK}#3"), "2024-03-01#0");
        item.insert("c|[\"A\"]".into(), keys::n(2));
        item.insert("x|[\"A\"]".into(), keys::n(0));
        item.insert("v|[\"A\"]".into(), AttributeValue::N("20.5".into()));
        item.insert("c|[\"B\"]".into(), keys::n(0));
        let mut other = keys::key(format!("{PATH_PK}#5"), "2024-03-01#0");
        other.insert("c|[\"A\"]".into(), keys::n(1));
        other.insert("x|[\"A\"]".into(), keys::n(4));
        let items = [item, other];
        let found = summed(&items).unwrap();
        assert_eq!(found.len(), 1);
        let a = &found[&(day, "[\"A\"]")];
        assert_eq!((a.get('v'), a.count('c'), a.count('x')), (20.5, 3, 4));
        let path: Vec<String> = parse_key("[\"A\",\"B > C\"]").unwrap();
        assert_eq!(path, ["A", "B > C"]);
    }
}
