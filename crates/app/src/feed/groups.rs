//! Account traits back to Segment: a `group` call per account with what an
//! identify says of a user (first, last and last non-direct source, touches,
//! devices, conversions, each model's top channel), over the account's
//! journey, plus its member count. Segment ties a group call to a user: the
//! member who joined first.

use segment_client::{Message, SendReport};
use serde_json::json;
use sma_store::Store;

use super::{FeedError, as_of};
use crate::App;

impl<S: Store> App<S> {
    /// Sends the account's group call.
    pub async fn feed_group(&self, account: &str) -> Result<SendReport, FeedError> {
        let message = self
            .group_message(account)
            .await?
            .ok_or_else(|| FeedError::NotFound(format!("account (groupId) {account:?}")))?;
        Ok(self.segment.send(vec![message]).await)
    }

    /// The account's group call; `None` when it has no member.
    pub(super) async fn group_message(&self, account: &str) -> Result<Option<Message>, FeedError> {
        let Some(journey) = self.load_account(account).await? else {
            return Ok(None);
        };
        let first = journey
            .memberships
            .iter()
            .min_by(|a, b| (a.at, &a.user_id).cmp(&(b.at, &b.user_id)))
            .expect("an account has a member");
        let mut traits = self.journey_traits(&journey.loaded).await?;
        traits.insert(
            "source_member_count".into(),
            json!(journey.memberships.len()),
        );
        let at = as_of(&journey.loaded);
        Ok(Some(Message::group(account, &first.user_id, traits, at)?))
    }
}
