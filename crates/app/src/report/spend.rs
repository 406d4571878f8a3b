//! Spend beside credits: per channel, per campaign (rule models, whose credit
//! totals keep the campaign) and in all, with ROAS (credited value per unit
//! of spend) and CAC (spend per credited conversion), over the period's days.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use sma_attribution::ChannelRow;
use sma_sources::Channel;
use sma_store::{CreditTotal, Store, StoreError};

use super::{ZERO, channel, shown};
use crate::App;

/// Spend, ROAS and CAC of a row, in the reporting currency; each `None`
/// where it is undefined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Costs {
    /// Summed over the period's days; `None` when none was imported.
    pub spend: Option<f64>,
    /// Credited value / spend; `None` without spend above 0.
    pub roas: Option<f64>,
    /// Spend / credited conversions; `None` without spend or conversions.
    pub cac: Option<f64>,
}

impl Costs {
    pub fn of(spend: Option<f64>, conversions: f64, value: f64) -> Costs {
        let spend = spend.map(shown);
        Costs {
            spend,
            roas: spend.filter(|s| *s > ZERO).map(|s| value / s),
            cac: spend
                .filter(|_| conversions > ZERO)
                .map(|s| s / conversions),
        }
    }
}

/// A channel's row: what the model credits it with, and what it cost.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelReport {
    #[serde(flatten)]
    pub credit: ChannelRow,
    #[serde(flatten)]
    pub costs: Costs,
}

/// A campaign of a channel (`None`: its touches and spend that name none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignRow {
    pub channel: Channel,
    pub campaign: Option<String>,
    pub conversions: f64,
    pub value: f64,
    #[serde(flatten)]
    pub costs: Costs,
}

type CampaignKey = (Channel, Option<String>);

/// A period's spend in the reporting currency, per channel and per campaign.
#[derive(Debug, Default)]
pub(super) struct Spend {
    by_channel: BTreeMap<Channel, f64>,
    by_campaign: BTreeMap<CampaignKey, f64>,
    /// Spend stored in another currency (imported under another
    /// `REPORTING_CURRENCY`): never added to the rest.
    pub(super) excluded: BTreeMap<String, f64>,
}

impl<S: Store> App<S> {
    pub(super) async fn spend(&self, from: NaiveDate, to: NaiveDate) -> Result<Spend, StoreError> {
        let mut spend = Spend::default();
        for row in self.store.spend_between(from, to).await? {
            if row.currency != self.settings.reports.reporting_currency {
                *spend.excluded.entry(row.currency).or_default() += row.cost;
                continue;
            }
            let channel = channel(&row.key.channel)?;
            *spend.by_channel.entry(channel).or_default() += row.cost;
            *spend
                .by_campaign
                .entry((channel, row.key.campaign))
                .or_default() += row.cost;
        }
        Ok(spend)
    }
}

impl Spend {
    pub(super) fn total(&self) -> Option<f64> {
        (!self.by_channel.is_empty()).then(|| self.by_channel.values().sum())
    }

    /// The credited rows with their costs, in channel order; a channel that
    /// cost something but was credited nothing gets a row of its own.
    pub(super) fn channels(&self, credited: Vec<ChannelRow>) -> Vec<ChannelReport> {
        let mut rows: BTreeMap<Channel, ChannelRow> =
            credited.into_iter().map(|r| (r.channel, r)).collect();
        for channel in self.by_channel.keys() {
            rows.entry(*channel).or_insert_with(|| ChannelRow {
                channel: *channel,
                conversions: 0.0,
                value: 0.0,
                share: 0.0,
                interval: None,
                low_data: None,
            });
        }
        rows.into_values()
            .map(|credit| ChannelReport {
                costs: Costs::of(
                    self.by_channel.get(&credit.channel).copied(),
                    credit.conversions,
                    credit.value,
                ),
                credit,
            })
            .collect()
    }

    /// Each (channel, campaign) that a rule model credits or that cost
    /// something, from the model's credit totals of the period.
    pub(super) fn campaigns(&self, totals: &[CreditTotal]) -> Result<Vec<CampaignRow>, StoreError> {
        let mut credited: BTreeMap<CampaignKey, (f64, f64)> = BTreeMap::new();
        for t in totals {
            let sum = credited
                .entry((channel(&t.channel)?, t.campaign.clone()))
                .or_default();
            sum.0 += t.conversions;
            sum.1 += t.value;
        }
        credited.retain(|_, (conversions, value)| conversions.abs() > ZERO || value.abs() > ZERO);
        for key in self.by_campaign.keys() {
            credited.entry(key.clone()).or_default();
        }
        Ok(credited
            .into_iter()
            .map(|(key, (conversions, value))| {
                let costs = Costs::of(self.by_campaign.get(&key).copied(), conversions, value);
                let (channel, campaign) = key;
                CampaignRow {
                    channel,
                    campaign,
                    conversions: shown(conversions),
                    value: shown(value),
                    costs,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ReportRequest, Settings};
    use sma_store::memory::MemoryStore;
    use sma_store::{SpendKey, SpendRow, SpendStore};

    fn row(day: u32, channel: &str, cost: f64, currency: &str) -> SpendRow {
        SpendRow {
            key: SpendKey {
                day: NaiveDate::from_ymd_opt(2024, 6, day).unwrap(),
                channel: channel.into(),
                source: None,
                medium: None,
                campaign: None,
            },
            cost,
            currency: currency.into(),
        }
    }

    #[test]
    fn roas_and_cac_are_null_where_they_divide_by_nothing() {
        assert_eq!(Costs::of(None, 2.0, 50.0), Costs::default());
        let paid = Costs::of(Some(20.0), 2.0, 50.0);
        assert_eq!((paid.roas, paid.cac), (Some(2.5), Some(10.0)));
        let unsold = Costs::of(Some(20.0), 0.0, 0.0);
        assert_eq!((unsold.roas, unsold.cac), (Some(0.0), None));
        let free = Costs::of(Some(0.0), 2.0, 50.0);
        assert_eq!((free.roas, free.cac), (None, Some(0.0)));
    }

    /// Spend stored under another reporting currency is in no figure.
    #[tokio::test]
    async fn spend_in_another_currency_is_listed_apart_never_added() {
        let app = App::new(Settings::defaults(), MemoryStore::new()).unwrap();
        let rows = [
            row(1, "Display", 25.0, "USD"),
            row(2, "Display", 10.0, "EUR"),
            row(2, "Email", 5.0, "USD"),
        ];
        app.store.put_spend(&rows).await.unwrap();
        let request = ReportRequest::parse("last", Some("2024-06-01"), Some("2024-07-01")).unwrap();
        let view = app.report_view(&request).await.unwrap();
        let spend: Vec<(Channel, Option<f64>)> = view
            .channels
            .iter()
            .map(|c| (c.credit.channel, c.costs.spend))
            .collect();
        assert_eq!(
            spend,
            [(Channel::Display, Some(25.0)), (Channel::Email, Some(5.0))]
        );
        assert_eq!(view.total.costs.spend, Some(30.0));
        assert_eq!(
            view.excluded_spend,
            BTreeMap::from([("EUR".to_owned(), 10.0)])
        );
        assert_eq!(view.currency, "USD");
    }
}
