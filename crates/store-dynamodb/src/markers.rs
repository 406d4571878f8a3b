//! ATTRIBUTION: conversions and milestones under their carrier's partition,
//! `dev#<anonymousId>` or `usr#<userId>` / `mark#<ts>#<messageId>`, with
//! `kind`, `message_id`, `timestamp`, `event` and `value` (a number, when the
//! message names one). A carrier's markers in a time range are one Query.

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};

use super::keys::{self, Item, ItemBuilder, get_n, get_s};
use super::write::{Condition, number};
use super::{CONCURRENT_REQUESTS, DynamoStore};
use sma_store::{Marker, MarkerKind, MarkerStore, Owner, StoreError};

pub(super) const MARKER_PREFIX: &str = "mark#";

impl MarkerStore for DynamoStore {
    /// One conditional PutItem per marker: a messageId stored already keeps
    /// what it was stored with.
    async fn put_markers(&self, markers: &[Marker]) -> Result<(), StoreError> {
        let table = &self.tables().attribution;
        let absent = Condition::absent();
        let writes = markers
            .iter()
            .map(|m| Ok(self.put_if(table, marker_item(m)?, &absent)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        stream::iter(writes)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect::<Vec<bool>>()
            .await?;
        Ok(())
    }

    async fn markers_of(
        &self,
        carriers: &[Owner],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Marker>, StoreError> {
        if from >= to {
            return Ok(Vec::new());
        }
        let mut carriers = carriers.to_vec();
        carriers.sort();
        carriers.dedup();
        let reads: Vec<_> = carriers
            .iter()
            .map(|c| self.carrier_markers(c, from, to))
            .collect();
        let found: Vec<Vec<Marker>> = stream::iter(reads)
            .buffered(CONCURRENT_REQUESTS)
            .try_collect()
            .await?;
        let mut markers: Vec<Marker> = found.into_iter().flatten().collect();
        markers.sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
        Ok(markers)
    }
}

impl DynamoStore {
    /// One carrier's markers in `[from, to)`, read consistently: a marker is
    /// read back right after it is stored, to credit its journey.
    async fn carrier_markers(
        &self,
        carrier: &Owner,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Marker>, StoreError> {
        // `mark#<ts>#<messageId>` sorts after `mark#<ts>`: BETWEEN is [from, to).
        let query = self
            .client()
            .query()
            .table_name(&self.tables().attribution)
            .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
            .expression_attribute_values(":pk", keys::s(keys::owner_pk(carrier)))
            .expression_attribute_values(
                ":lo",
                keys::s(format!("{MARKER_PREFIX}{}", keys::ts(from))),
            )
            .expression_attribute_values(":hi", keys::s(format!("{MARKER_PREFIX}{}", keys::ts(to))))
            .consistent_read(true);
        self.query_all(query)
            .await?
            .iter()
            .map(|item| marker_from_item(carrier, item))
            .collect()
    }
}

fn marker_item(marker: &Marker) -> Result<Item, StoreError> {
    let sk = format!(
        "{MARKER_PREFIX}{}",
        keys::at_id(marker.timestamp, &marker.message_id)
    );
    let mut item = ItemBuilder::new(keys::owner_pk(&marker.carrier), sk)
        .s("kind", marker.kind.as_str())
        .s("message_id", &marker.message_id)
        .s("timestamp", keys::ts(marker.timestamp))
        .s("event", &marker.event)
        .build();
    if let Some(value) = marker.value {
        item.insert("value".into(), number(value)?);
    }
    Ok(item)
}

fn marker_from_item(carrier: &Owner, item: &Item) -> Result<Marker, StoreError> {
    let kind = get_s(item, "kind")?;
    let value = item
        .contains_key("value")
        .then(|| get_n(item, "value"))
        .transpose()?;
    Ok(Marker {
        carrier: carrier.clone(),
        kind: MarkerKind::parse(kind)
            .ok_or_else(|| StoreError::Corrupt(format!("marker kind {kind:?}")))?,
        timestamp: keys::parse_ts(get_s(item, "timestamp")?)?,
        message_id: get_s(item, "message_id")?.to_owned(),
        event: get_s(item, "event")?.to_owned(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_marker_item_reads_back_as_the_marker() {
        let marker = Marker {
            carrier: Owner::User("u1".into()),
            kind: MarkerKind::Conversion,
            timestamp: Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap(),
            message_id: "c1".into(),
            event: "Signed Up".into(),
            value: Some(49.5),
        };
        let item = marker_item(&marker).unwrap();
        assert_eq!(
            keys::opt_s(&item, "sk"),
            Some("mark#2024-03-01T09:00:00.000Z#c1")
        );
        assert_eq!(marker_from_item(&marker.carrier, &item).unwrap(), marker);
        let plain = Marker {
            value: None,
            ..marker
        };
        let item = marker_item(&plain).unwrap();
        assert_eq!(marker_from_item(&plain.carrier, &item).unwrap(), plain);
    }
}
