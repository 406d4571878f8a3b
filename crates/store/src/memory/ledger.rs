//! The memory store's ledger: entries by key, totals summed in maps.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::MemoryStore;
use crate::{
    ConversionLedger, CreditTotal, FunnelTotal, JourneyLedger, LedgerChange, LedgerEntry,
    LedgerKey, LedgerStore, Owner, PathTotal, PathTotals, ScreenedTotal, StoreError, Versioned,
};

/// (model, day, channel, campaign): what a credit total is kept by.
type CreditKey = (String, NaiveDate, String, Option<String>);

#[derive(Debug, Default)]
pub(super) struct Totals {
    credits: BTreeMap<CreditKey, CreditTotal>,
    paths: BTreeMap<(NaiveDate, Vec<String>), PathTotal>,
    funnel: BTreeMap<(NaiveDate, String, String), FunnelTotal>,
    screened: BTreeMap<(NaiveDate, String), ScreenedTotal>,
}

impl Totals {
    fn apply(&mut self, change: &LedgerChange) {
        for d in &change.credits {
            let key = (
                d.model.clone(),
                d.day,
                d.channel.clone(),
                d.campaign.clone(),
            );
            let total = self.credits.entry(key).or_insert_with(|| CreditTotal {
                day: d.day,
                channel: d.channel.clone(),
                campaign: d.campaign.clone(),
                conversions: 0.0,
                value: 0.0,
            });
            total.conversions += d.conversions;
            total.value += d.value;
        }
        for d in &change.paths {
            let total = self
                .paths
                .entry((d.day, d.path.clone()))
                .or_insert_with(|| PathTotal {
                    path: d.path.clone(),
                    ..PathTotal::default()
                });
            total.conversions += d.conversions;
            total.non_conversions += d.non_conversions;
            total.value += d.value;
            total.days += d.days;
        }
        for d in &change.funnel {
            let key = (d.day, d.first.clone(), d.last.clone());
            let total = self.funnel.entry(key).or_insert_with(|| FunnelTotal {
                day: d.day,
                first: d.first.clone(),
                last: d.last.clone(),
                ..FunnelTotal::default()
            });
            total.visits += d.visits;
            total.leads += d.leads;
            total.opportunities += d.opportunities;
            total.conversions += d.conversions;
        }
    }
}

impl LedgerStore for MemoryStore {
    async fn conversion_ledgers(
        &self,
        conversions: &[String],
    ) -> Result<Vec<Option<Versioned<ConversionLedger>>>, StoreError> {
        let data = self.data()?;
        Ok(conversions
            .iter()
            .map(
                |id| match data.ledger.get(&LedgerKey::Conversion(id.clone())) {
                    Some(Versioned {
                        version,
                        value: LedgerEntry::Conversion(c),
                    }) => Some(Versioned {
                        version: *version,
                        value: c.clone(),
                    }),
                    _ => None,
                },
            )
            .collect())
    }

    async fn journey_ledgers(
        &self,
        owners: &[Owner],
    ) -> Result<Vec<Option<Versioned<JourneyLedger>>>, StoreError> {
        let data = self.data()?;
        Ok(owners
            .iter()
            .map(
                |owner| match data.ledger.get(&LedgerKey::Journey(owner.clone())) {
                    Some(Versioned {
                        version,
                        value: LedgerEntry::Journey(_, j),
                    }) => Some(Versioned {
                        version: *version,
                        value: j.clone(),
                    }),
                    _ => None,
                },
            )
            .collect())
    }

    async fn commit_ledger(&self, changes: &[LedgerChange]) -> Result<Vec<bool>, StoreError> {
        let mut data = self.data()?;
        Ok(changes
            .iter()
            .map(|change| {
                let key = change.entry.key();
                let stored = data.ledger.get(&key).map(|v| v.version);
                if stored != change.expected {
                    return false;
                }
                let version = stored.unwrap_or(0) + 1;
                match &change.entry {
                    LedgerEntry::Removed(_) => {
                        data.ledger.remove(&key);
                    }
                    value => {
                        let value = value.clone();
                        data.ledger.insert(key, Versioned { version, value });
                    }
                }
                data.totals.apply(change);
                true
            })
            .collect())
    }

    async fn credit_totals(
        &self,
        model: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CreditTotal>, StoreError> {
        let data = self.data()?;
        // Keys sort as (model, day, channel, campaign): the answer's order.
        Ok(data
            .totals
            .credits
            .iter()
            .filter(|((m, day, _, _), _)| m == model && (from..to).contains(day))
            .map(|(_, total)| total.clone())
            .collect())
    }

    async fn path_totals(&self, from: NaiveDate, to: NaiveDate) -> Result<PathTotals, StoreError> {
        let data = self.data()?;
        Ok(PathTotals::summed(in_days(
            &data.totals.paths,
            from,
            to,
            |(day, _)| *day,
        )))
    }

    async fn funnel_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FunnelTotal>, StoreError> {
        let data = self.data()?;
        Ok(in_days(&data.totals.funnel, from, to, |(day, _, _)| *day))
    }

    async fn add_screened(&self, counts: &[ScreenedTotal]) -> Result<(), StoreError> {
        let mut data = self.data()?;
        for c in counts {
            let key = (c.day, c.reason.clone());
            let total = data
                .totals
                .screened
                .entry(key)
                .or_insert_with(|| ScreenedTotal {
                    views: 0,
                    ..c.clone()
                });
            total.views += c.views;
        }
        Ok(())
    }

    async fn screened_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ScreenedTotal>, StoreError> {
        let data = self.data()?;
        Ok(in_days(&data.totals.screened, from, to, |(day, _)| *day))
    }
}

fn in_days<K: Ord, T: Clone>(
    totals: &BTreeMap<K, T>,
    from: NaiveDate,
    to: NaiveDate,
    day: impl Fn(&K) -> NaiveDate,
) -> Vec<T> {
    totals
        .iter()
        .filter(|(key, _)| (from..to).contains(&day(key)))
        .map(|(_, total)| total.clone())
        .collect()
}
