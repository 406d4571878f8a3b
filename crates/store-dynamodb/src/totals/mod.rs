//! ATTRIBUTION: the per-day totals reports read, moved only by the deltas of
//! ledger changes (`ADD`, which starts missing attributes at 0), so that a
//! report is a few Queries whatever the number of users. Each number is an
//! attribute `<letter>|<key>`, where `<key>` is JSON (partition keys before
//! their shard, below):
//! - credits: `tot#credit#<model>` / `<YYYY-MM-DD>`, per `[channel, campaign]`
//!   (campaign `null` when none): `c` conversions, `v` value;
//! - paths: `tot#path` / `<YYYY-MM-DD>#<bucket>`, per channel path (the JSON
//!   array of its channels): `c` conversions, `x` non-conversions, `v` value,
//!   `d` days to convert. The bucket (a hash of the path, `0`..`f`) spreads a
//!   day's paths over sixteen items, each bounded by DynamoDB's 400 KB;
//! - funnel: `tot#funnel` / `<YYYY-MM-DD>`, per `[first, last]` channel:
//!   `s` visits, `l` leads, `o` opportunities, `c` conversions;
//! - screened page views: `tot#screened` / `<YYYY-MM-DD>`, per reason (a
//!   JSON string): `n` views. Added as messages are stored, not by a ledger
//!   change.
//!
//! JSON keys cannot be confused whatever the names contain. DynamoDB adds
//! numbers as decimals, so deltas that cancel leave exactly 0; such totals
//! are left out of reports.
//!
//! Each of these partition keys is spread over [`SHARDS`] keys `<pk>#<shard>`,
//! the shard a hash of the ledger entry whose change moves the total: DynamoDB
//! serves one partition key from one partition (1,000 write units a second),
//! so an unsharded day item would take a fixed share of every deployment's
//! writes. A report sums a day's shards (one Query per shard, side by side).
//! An entry always moves the same shard, so its deltas that cancel still meet
//! in one item. Items under `<pk>` alone were written before totals were
//! sharded and are read as one more shard: a total is the sum of the deltas
//! added to it, wherever each was added, so such a store needs no migration.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::NaiveDate;
use sma_store::{LedgerChange, ScreenedTotal, StoreError};

use super::DynamoStore;
use super::keys;
use super::write::{self, number};

mod read;

const CREDIT_PREFIX: &str = "tot#credit#";
const PATH_PK: &str = "tot#path";
const FUNNEL_PK: &str = "tot#funnel";
const SCREENED_PK: &str = "tot#screened";
/// Items a day's path totals are spread over, within a shard.
const PATH_BUCKETS: u64 = 16;
/// Partition keys each kind of total is spread over.
const SHARDS: u64 = 8;

/// The partition key of `pk`'s totals in `shard` (taken modulo [`SHARDS`]).
fn shard_pk(pk: &str, shard: u64) -> String {
    format!("{pk}#{}", shard % SHARDS)
}

/// Screened views move no ledger entry: each batch takes the next shard.
static NEXT_SCREENED_SHARD: AtomicU64 = AtomicU64::new(0);

/// Every partition key `pk`'s totals may be under: the unsharded one of
/// earlier versions, then the shards.
fn all_shards(pk: &str) -> impl Iterator<Item = String> + '_ {
    std::iter::once(pk.to_owned()).chain((0..SHARDS).map(move |s| shard_pk(pk, s)))
}

/// A number added to a total: counts are added as integers.
#[derive(Debug, Clone, Copy)]
enum Number {
    Count(i64),
    Amount(f64),
}

impl Number {
    fn is_zero(self) -> bool {
        match self {
            Number::Count(n) => n == 0,
            Number::Amount(x) => x == 0.0,
        }
    }

    fn plus(self, other: Number) -> Number {
        match (self, other) {
            (Number::Count(a), Number::Count(b)) => Number::Count(a + b),
            (a, b) => Number::Amount(a.as_f64() + b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Number::Count(n) => n as f64,
            Number::Amount(x) => x,
        }
    }

    fn attribute(self) -> Result<AttributeValue, StoreError> {
        match self {
            Number::Count(n) => Ok(keys::n(n)),
            Number::Amount(x) => number(x),
        }
    }
}

/// A totals item's (pk, sk) and the numbers to add to its attributes.
type ItemAdds = ((String, String), Vec<(String, AttributeValue)>);

/// The numbers a change adds, per totals item, per key, per letter.
#[derive(Default)]
struct Sums(BTreeMap<(String, String), BTreeMap<String, BTreeMap<char, Number>>>);

impl Sums {
    fn add(&mut self, item: (String, String), key: String, numbers: &[(char, Number)]) {
        let sums = self.0.entry(item).or_default().entry(key).or_default();
        for &(letter, n) in numbers {
            let sum = sums.entry(letter).or_insert(Number::Count(0));
            *sum = sum.plus(n);
        }
    }

    /// Per totals item, the attributes to add; items with nothing to add are
    /// left out.
    fn into_items(self) -> Result<Vec<ItemAdds>, StoreError> {
        let mut items = Vec::with_capacity(self.0.len());
        for (item, keyed) in self.0 {
            let mut numbers = Vec::new();
            for (key, letters) in keyed {
                // Adding 0 changes nothing but the item's size.
                for (letter, n) in letters.into_iter().filter(|(_, n)| !n.is_zero()) {
                    numbers.push((format!("{letter}|{key}"), n.attribute()?));
                }
            }
            if !numbers.is_empty() {
                items.push((item, numbers));
            }
        }
        Ok(items)
    }
}

/// The `ADD` updates that apply a change's deltas: one per totals item, each
/// attribute once, in the shard of `spread_by` (the partition key of the
/// change's entry).
pub(super) fn writes(
    table: &str,
    change: &LedgerChange,
    spread_by: &str,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut sums = Sums::default();
    let pk = |pk: &str| shard_pk(pk, keys::spread(spread_by));
    for d in &change.credits {
        sums.add(
            (pk(&format!("{CREDIT_PREFIX}{}", d.model)), keys::day(d.day)),
            json(&(&d.channel, &d.campaign)),
            &[
                ('c', Number::Amount(d.conversions)),
                ('v', Number::Amount(d.value)),
            ],
        );
    }
    for d in &change.paths {
        let path = json(&d.path);
        sums.add(
            (pk(PATH_PK), path_sk(d.day, &path)),
            path,
            &[
                ('c', Number::Count(d.conversions)),
                ('x', Number::Count(d.non_conversions)),
                ('v', Number::Amount(d.value)),
                ('d', Number::Amount(d.days)),
            ],
        );
    }
    for d in &change.funnel {
        sums.add(
            (pk(FUNNEL_PK), keys::day(d.day)),
            json(&(&d.first, &d.last)),
            &[
                ('s', Number::Count(d.visits)),
                ('l', Number::Count(d.leads)),
                ('o', Number::Count(d.opportunities)),
                ('c', Number::Count(d.conversions)),
            ],
        );
    }
    sums.into_items()?
        .into_iter()
        .map(|((pk, sk), numbers)| write::add(table, keys::key(pk, sk), numbers))
        .collect()
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("strings serialise")
}

/// `<day>#<bucket>`: a stable hash of the path picks the bucket.
fn path_sk(day: NaiveDate, path: &str) -> String {
    format!("{}#{:x}", keys::day(day), keys::spread(path) % PATH_BUCKETS)
}

impl DynamoStore {
    /// Adds screened page views: one UpdateItem per day.
    pub(super) async fn add_screened_rows(
        &self,
        counts: &[ScreenedTotal],
    ) -> Result<(), StoreError> {
        let shard = NEXT_SCREENED_SHARD.fetch_add(1, Ordering::Relaxed);
        let mut sums = Sums::default();
        for c in counts {
            sums.add(
                (shard_pk(SCREENED_PK, shard), keys::day(c.day)),
                json(&c.reason),
                &[('n', Number::Count(c.views))],
            );
        }
        for ((pk, sk), numbers) in sums.into_items()? {
            let write = write::add(&self.tables().attribution, keys::key(pk, sk), numbers)?;
            let update = write.update().expect("an ADD is an update");
            let out = self
                .client()
                .update_item()
                .table_name(update.table_name())
                .set_key(Some(update.key().clone()))
                .update_expression(update.update_expression())
                .set_expression_attribute_names(update.expression_attribute_names().cloned())
                .set_expression_attribute_values(update.expression_attribute_values().cloned())
                .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| super::request::sdk_error("UpdateItem", e))?;
            self.charge(out.consumed_capacity());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_moves_one_shard_and_reads_cover_every_shard_and_the_unsharded_key() {
        let pk = shard_pk(FUNNEL_PK, keys::spread("usr#u1"));
        assert_eq!(pk, shard_pk(FUNNEL_PK, keys::spread("usr#u1")));
        let read: Vec<String> = all_shards(FUNNEL_PK).collect();
        assert_eq!(read.len() as u64, SHARDS + 1);
        assert!(read.contains(&pk) && read.contains(&FUNNEL_PK.to_owned()));
        let used: std::collections::HashSet<String> = (0..100)
            .map(|n| shard_pk(FUNNEL_PK, keys::spread(&format!("usr#{n}"))))
            .collect();
        assert_eq!(used.len() as u64, SHARDS);
    }

    #[test]
    fn path_buckets_are_stable_and_sort_within_their_day() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let sk = path_sk(day, "[\"Email\"]");
        assert_eq!(sk, path_sk(day, "[\"Email\"]"));
        assert!(sk.starts_with("2024-03-01#") && sk.len() == 12, "{sk}");
        assert!(sk.as_str() < "2024-03-01~");
    }
}
