//! USER_MAP: account memberships, each as two items so that both sides are
//! one Query away:
//! - by account: `acct#<account>` / `user#<userId>`;
//! - by user: `member#<userId>` / `acct#<account>`.
//!
//! Both carry the membership's earliest evidence (`joined_at`, `message_id`),
//! put on condition that none earlier is stored. The user's side is a
//! partition of its own, apart from `user#<userId>` (devices and claims), so
//! identity reads never meet a membership.

use super::DynamoStore;
use super::keys::{self, Item, ItemBuilder, get_s};
use sma_store::{AccountStore, Membership, StoreError};

pub(super) const ACCOUNT_PREFIX: &str = "acct#";
pub(super) const MEMBER_PREFIX: &str = "member#";

pub(super) fn member_pk(user_id: &str) -> String {
    format!("{MEMBER_PREFIX}{user_id}")
}

fn account_pk(account: &str) -> String {
    format!("{ACCOUNT_PREFIX}{account}")
}

/// The two items of a membership: by account, then by user.
fn items(m: &Membership) -> [Item; 2] {
    let item = |pk: String, sk: String| {
        ItemBuilder::new(pk, sk)
            .s("account", &m.account)
            .s("user_id", &m.user_id)
            .s("joined_at", keys::ts(m.at))
            .s("message_id", &m.message_id)
            .build()
    };
    [
        item(account_pk(&m.account), format!("user#{}", m.user_id)),
        item(member_pk(&m.user_id), account_pk(&m.account)),
    ]
}

/// The keys of both items of the membership `item` (either side) shows.
pub(super) fn membership_keys(item: &Item) -> Result<[Item; 2], StoreError> {
    let (account, user) = (get_s(item, "account")?, get_s(item, "user_id")?);
    Ok([
        keys::key(account_pk(account), format!("user#{user}")),
        keys::key(member_pk(user), account_pk(account)),
    ])
}

fn membership(item: &Item) -> Result<Membership, StoreError> {
    let at = get_s(item, "joined_at")?;
    Ok(Membership {
        account: get_s(item, "account")?.to_owned(),
        user_id: get_s(item, "user_id")?.to_owned(),
        at: keys::parse_ts(at)?,
        message_id: get_s(item, "message_id")?.to_owned(),
    })
}

impl AccountStore for DynamoStore {
    async fn join(&self, memberships: &[Membership]) -> Result<(), StoreError> {
        for m in memberships {
            let at = keys::ts(m.at);
            for item in items(m) {
                self.put_earliest(item, "joined_at", &at, &m.message_id)
                    .await?;
            }
        }
        Ok(())
    }

    async fn members_of(&self, account: &str) -> Result<Vec<Membership>, StoreError> {
        let table = &self.tables().user_map;
        // Sort-key order is userId order.
        self.partition(table, &account_pk(account), false)
            .await?
            .iter()
            .map(membership)
            .collect()
    }

    async fn accounts_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let table = &self.tables().user_map;
        self.partition(table, &member_pk(user_id), false)
            .await?
            .iter()
            .map(|item| get_s(item, "account").map(str::to_owned))
            .collect()
    }
}
