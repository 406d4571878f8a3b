//! Accounts: memberships recorded once with their earliest evidence, read by
//! account and by user.

use crate::{Membership, Store};

use super::at;

pub fn membership(account: &str, user: &str, minute: u32) -> Membership {
    Membership {
        account: account.into(),
        user_id: user.into(),
        at: at(minute),
        message_id: format!("g-{account}-{user}-{minute}"),
    }
}

pub async fn records_memberships_by_account_and_user(store: impl Store) {
    assert!(store.members_of("acme").await.unwrap().is_empty());
    store
        .join(&[
            membership("acme", "u2", 20),
            membership("acme", "u1", 10),
            membership("globex", "u1", 5),
        ])
        .await
        .unwrap();
    // Asserted again, later and earlier: the earliest evidence stays.
    store
        .join(&[membership("acme", "u2", 30), membership("acme", "u2", 15)])
        .await
        .unwrap();
    let members = store.members_of("acme").await.unwrap();
    assert_eq!(
        members,
        [membership("acme", "u1", 10), membership("acme", "u2", 15)]
    );
    assert_eq!(store.accounts_of("u1").await.unwrap(), ["acme", "globex"]);
    assert_eq!(store.accounts_of("u2").await.unwrap(), ["acme"]);
    assert!(store.accounts_of("u3").await.unwrap().is_empty());
    assert!(store.join(&[]).await.is_ok());
}
