//! The items of USER_MAP (see [`super`] for what each holds): their keys, how
//! one reads back as a claim, and how each is built.

use sma_store::StoreError;

use crate::keys::{self, Item, ItemBuilder, get_s};

pub(super) const LINK_SK: &str = "user";
pub(super) const CLAIM_PREFIX: &str = "claim#";
pub(super) const DEVICE_PREFIX: &str = "anon#";

pub(crate) fn device_pk(anonymous_id: &str) -> String {
    format!("{DEVICE_PREFIX}{anonymous_id}")
}

pub(crate) fn user_pk(user_id: &str) -> String {
    format!("user#{user_id}")
}

/// A claim (or link) of a user on a device, as one of its items shows it.
pub(crate) struct Held {
    pub(crate) device: String,
    pub(crate) user: String,
    /// Seen from a device-of-user item: the user owns the device.
    pub(crate) owned: bool,
    /// The item and its counterpart on the other side, except for a
    /// device-of-user item: the link is keyed by the device alone and may
    /// name another user by now, so it is found under the device.
    pub(crate) keys: Vec<Item>,
}

pub(crate) fn held_by(item: &Item) -> Result<Held, StoreError> {
    let (pk, sk) = (get_s(item, "pk")?, get_s(item, "sk")?);
    let device = get_s(item, "anonymous_id")?.to_owned();
    let user = get_s(item, "user_id")?.to_owned();
    let on_device = pk.starts_with(DEVICE_PREFIX);
    let claim = sk.starts_with(CLAIM_PREFIX);
    let counterpart = match (sk == LINK_SK, claim, on_device) {
        (true, _, _) => Some((user_pk(&user), format!("{DEVICE_PREFIX}{device}"))),
        (_, true, true) => Some((user_pk(&user), format!("{CLAIM_PREFIX}{device}"))),
        (_, true, false) => Some((device_pk(&device), format!("{CLAIM_PREFIX}{user}"))),
        _ => None,
    };
    let mut held = vec![keys::key(pk, sk)];
    held.extend(counterpart.map(|(pk, sk)| keys::key(pk, sk)));
    Ok(Held {
        owned: !on_device && sk.starts_with(DEVICE_PREFIX),
        device,
        user,
        keys: held,
    })
}

/// The (userId, anonymousId) of a device-of-a-user item's keys (a USER_MAP
/// stream record's `Keys`): present exactly while the user owns the device,
/// so its INSERT is a link and its REMOVE a device taken over.
pub fn device_of_user_from_keys(keys: &Item) -> Option<(String, String)> {
    let user = get_s(keys, "pk").ok()?.strip_prefix("user#")?;
    let device = get_s(keys, "sk").ok()?.strip_prefix(DEVICE_PREFIX)?;
    Some((user.to_owned(), device.to_owned()))
}

/// One claim of a device by a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Claim {
    pub(super) user_id: String,
    /// `<ts>` of the claiming message.
    pub(super) at: String,
    pub(super) message_id: String,
}

impl Claim {
    /// Claims order by event time, then messageId: the earliest wins.
    pub(super) fn order(&self) -> (&str, &str) {
        (&self.at, &self.message_id)
    }

    pub(super) fn from_item(item: &Item, at: &str) -> Result<Claim, StoreError> {
        Ok(Claim {
            user_id: get_s(item, "user_id")?.to_owned(),
            at: get_s(item, at)?.to_owned(),
            message_id: get_s(item, "message_id")?.to_owned(),
        })
    }
}

/// What USER_MAP knows about one device: its owner and every claim on it.
pub(super) struct DeviceState {
    pub(super) owner: Option<Claim>,
    pub(super) claims: Vec<Claim>,
}

/// The link of `device` to `claim`'s user, or (same attributes) the device-of-user
/// item, under the given key.
pub(super) fn link_item(device: &str, claim: &Claim, pk: String, sk: String) -> Item {
    ItemBuilder::new(pk, sk)
        .s("anonymous_id", device)
        .s("user_id", &claim.user_id)
        .s("linked_at", &claim.at)
        .s("message_id", &claim.message_id)
        .build()
}

pub(super) fn claim_item(device: &str, claim: &Claim) -> Item {
    ItemBuilder::new(
        device_pk(device),
        format!("{CLAIM_PREFIX}{}", claim.user_id),
    )
    .s("anonymous_id", device)
    .s("user_id", &claim.user_id)
    .s("claimed_at", &claim.at)
    .s("message_id", &claim.message_id)
    .build()
}

pub(super) fn claimed_item(device: &str, user_id: &str) -> Item {
    ItemBuilder::new(user_pk(user_id), format!("{CLAIM_PREFIX}{device}"))
        .s("anonymous_id", device)
        .s("user_id", user_id)
        .build()
}
