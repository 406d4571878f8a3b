//! USER_MAP: identity claims, and the links they decide.
//!
//! Items:
//! - link: `anon#<a>` / `user`: the device's owner, its earliest claim.
//! - claim: `anon#<a>` / `claim#<u>`: the earliest (`claimed_at`, `message_id`)
//!   of user `u`'s claims on device `a` that is not the link (a refused claim,
//!   or a displaced link).
//! - device of a user: `user#<u>` / `anon#<a>`, present exactly while `u` owns `a`.
//! - claimed device: `user#<u>` / `claim#<a>`, present when `u` has a claim item
//!   on `a`, so a user's conflicts are found from the user.
//!
//! The link moves only to an earlier claim, in one transaction with the items it
//! implies, conditioned on the link read just before: concurrent claims
//! serialise on the link, and a late-delivered earlier claim takes over whatever
//! order claims arrive in. The common case, a device's first claim, is one
//! Query and one two-item transaction.

use aws_sdk_dynamodb::types::{Delete, Put, ReturnConsumedCapacity, TransactWriteItem};
use chrono::{DateTime, Utc};
use sma_spec::IdentityLink;

mod items;

use super::DynamoStore;
use super::keys::{self, Item, get_s};
use super::request::{Backoff, TransactError, sdk_error};
use items::{
    CLAIM_PREFIX, Claim, DEVICE_PREFIX, DeviceState, LINK_SK, claim_item, claimed_item, link_item,
};
use sma_store::{Conflict, IdentityStore, LinkOutcome, StoreError};

pub use items::device_of_user_from_keys;
pub(crate) use items::{device_pk, held_by, user_pk};

impl IdentityStore for DynamoStore {
    async fn link(
        &self,
        link: &IdentityLink,
        at: DateTime<Utc>,
        message_id: &str,
    ) -> Result<LinkOutcome, StoreError> {
        let device = &link.anonymous_id;
        let mine = Claim {
            user_id: link.user_id.clone(),
            at: keys::ts(at),
            message_id: message_id.to_owned(),
        };
        let mut backoff = Backoff::new();
        loop {
            let state = self.device_state(device, true).await?;
            let before = state.owner.as_ref().map(|o| o.user_id.clone());
            if let Some(owner) = state.owner.as_ref().filter(|o| o.order() <= mine.order()) {
                if owner.user_id == mine.user_id {
                    return Ok(LinkOutcome::Unchanged);
                }
                let known = state.claims.iter().find(|c| c.user_id == mine.user_id);
                if known.is_none_or(|c| mine.order() < c.order()) {
                    self.put_claim(device, &mine).await?;
                }
                return Ok(LinkOutcome::Conflict {
                    owner: owner.user_id.clone(),
                });
            }
            match self.take_over(device, state.owner.as_ref(), &mine).await {
                Ok(()) if before.as_deref() == Some(mine.user_id.as_str()) => {
                    return Ok(LinkOutcome::Unchanged);
                }
                Ok(()) => {
                    return Ok(match before {
                        Some(previous) => LinkOutcome::TakenOver { previous },
                        None => LinkOutcome::Linked,
                    });
                }
                // The link changed since it was read: decide again on what it is now.
                Err(TransactError::Condition) if backoff.wait().await => {}
                Err(TransactError::Condition) => {
                    return Err(StoreError::Unavailable(format!(
                        "identity link of {device}: still contended after retries"
                    )));
                }
                Err(TransactError::Store(e)) => return Err(e),
            }
        }
    }

    async fn user_of(&self, anonymous_id: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(&self.tables().user_map)
            .set_key(Some(keys::key(device_pk(anonymous_id), LINK_SK)))
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        out.item
            .map(|item| get_s(&item, "user_id").map(str::to_owned))
            .transpose()
    }

    async fn devices_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(&self.tables().user_map)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", keys::s(user_pk(user_id)))
            .expression_attribute_values(":prefix", keys::s(DEVICE_PREFIX));
        // Sort-key order is anonymousId order.
        self.query_all(query)
            .await?
            .iter()
            .map(|item| get_s(item, "anonymous_id").map(str::to_owned))
            .collect()
    }

    async fn conflicts_of(&self, user_id: &str) -> Result<Vec<Conflict>, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(&self.tables().user_map)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", keys::s(user_pk(user_id)));
        // Devices the user owns or claimed, each once, in order.
        let devices: std::collections::BTreeSet<String> = self
            .query_all(query)
            .await?
            .iter()
            .map(|item| get_s(item, "anonymous_id").map(str::to_owned))
            .collect::<Result<_, _>>()?;
        let mut conflicts = Vec::new();
        for device in devices {
            let state = self.device_state(&device, false).await?;
            let Some(owner) = state.owner else { continue };
            let mut others: Vec<&Claim> = state
                .claims
                .iter()
                .filter(|c| c.user_id != owner.user_id)
                .collect();
            others.sort_by(|a, b| a.order().cmp(&b.order()));
            for claim in others {
                conflicts.push(Conflict {
                    anonymous_id: device.clone(),
                    owner: owner.user_id.clone(),
                    claimant: claim.user_id.clone(),
                    claimed_at: keys::parse_ts(&claim.at)?,
                    message_id: claim.message_id.clone(),
                });
            }
        }
        Ok(conflicts)
    }
}

impl DynamoStore {
    /// The link and claims of a device: one Query of its partition.
    async fn device_state(
        &self,
        device: &str,
        consistent: bool,
    ) -> Result<DeviceState, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(&self.tables().user_map)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", keys::s(device_pk(device)))
            .consistent_read(consistent);
        let mut state = DeviceState {
            owner: None,
            claims: Vec::new(),
        };
        for item in self.query_all(query).await? {
            let sk = get_s(&item, "sk")?;
            if sk == LINK_SK {
                state.owner = Some(Claim::from_item(&item, "linked_at")?);
            } else if sk.starts_with(CLAIM_PREFIX) {
                state.claims.push(Claim::from_item(&item, "claimed_at")?);
            }
        }
        Ok(state)
    }

    /// Records a refused `claim` on `device`, unless the same user's claim on it
    /// is as early already (a concurrent writer may have got there first), and
    /// notes the device under the user.
    async fn put_claim(&self, device: &str, claim: &Claim) -> Result<(), StoreError> {
        let table = &self.tables().user_map;
        let item = claim_item(device, claim);
        self.put_earliest(item, "claimed_at", &claim.at, &claim.message_id)
            .await?;
        let out = self
            .client()
            .put_item()
            .table_name(table)
            .set_item(Some(claimed_item(device, &claim.user_id)))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        self.charge(out.consumed_capacity());
        Ok(())
    }

    /// Puts a USER_MAP item that carries evidence (`at_name`, `message_id`),
    /// unless the stored one's is as early: evidence only moves earlier.
    pub(super) async fn put_earliest(
        &self,
        item: Item,
        at_name: &str,
        at: &str,
        message_id: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .put_item()
            .table_name(&self.tables().user_map)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR #at > :at OR (#at = :at AND #m > :m)",
            )
            .expression_attribute_names("#at", at_name)
            .expression_attribute_names("#m", "message_id")
            .expression_attribute_values(":at", keys::s(at))
            .expression_attribute_values(":m", keys::s(message_id))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(out) => self.charge(out.consumed_capacity()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
            Err(e) => return Err(sdk_error("PutItem", e)),
        }
        Ok(())
    }

    /// Makes `mine` the link of `device`, provided the link is still `current`.
    /// In the same transaction: the device-of-user item moves to the new owner,
    /// and a displaced owner's claim becomes a claim item.
    async fn take_over(
        &self,
        device: &str,
        current: Option<&Claim>,
        mine: &Claim,
    ) -> Result<(), TransactError> {
        let table = &self.tables().user_map;
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Backend(e.to_string());
        let put = |item: Item| Put::builder().table_name(table).set_item(Some(item));
        let link = match current {
            None => put(link_item(
                device,
                mine,
                device_pk(device),
                LINK_SK.to_owned(),
            ))
            .condition_expression("attribute_not_exists(pk)"),
            Some(c) => put(link_item(
                device,
                mine,
                device_pk(device),
                LINK_SK.to_owned(),
            ))
            .condition_expression("#u = :u AND #at = :at AND #m = :m")
            .expression_attribute_names("#u", "user_id")
            .expression_attribute_names("#at", "linked_at")
            .expression_attribute_names("#m", "message_id")
            .expression_attribute_values(":u", keys::s(&c.user_id))
            .expression_attribute_values(":at", keys::s(&c.at))
            .expression_attribute_values(":m", keys::s(&c.message_id)),
        };
        let owned = put(link_item(
            device,
            mine,
            user_pk(&mine.user_id),
            format!("{DEVICE_PREFIX}{device}"),
        ));
        let mut puts = vec![link, owned];
        let mut deletes = Vec::new();
        if let Some(previous) = current.filter(|c| c.user_id != mine.user_id) {
            let key = keys::key(
                user_pk(&previous.user_id),
                format!("{DEVICE_PREFIX}{device}"),
            );
            deletes.push(Delete::builder().table_name(table).set_key(Some(key)));
            puts.push(put(claim_item(device, previous)));
            puts.push(put(claimed_item(device, &previous.user_id)));
        }
        let mut items = Vec::new();
        for p in puts {
            items.push(
                TransactWriteItem::builder()
                    .put(p.build().map_err(build)?)
                    .build(),
            );
        }
        for d in deletes {
            items.push(
                TransactWriteItem::builder()
                    .delete(d.build().map_err(build)?)
                    .build(),
            );
        }
        self.transact(items).await
    }
}
