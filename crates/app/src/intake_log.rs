//! `sma serve`'s intake: bodies answered once they are in the intake log
//! beside the database, and put through the store and the pipeline after, by
//! the log's own task ([`sma_intake_log`]).

use std::sync::Arc;
use std::time::Duration;

use sma_intake_log::{IntakeLog, Target};
use sma_spec::Message;
use sma_store::{Store, StoreError};

use crate::App;

impl<S: Store> Target for App<S> {
    async fn stored_under(&self, messages: &[Message]) -> Result<Vec<Option<Message>>, StoreError> {
        self.store.stored_under(messages).await
    }

    async fn erased(&self, message_ids: &[String]) -> Result<Vec<bool>, StoreError> {
        self.store.erased(message_ids).await
    }

    async fn apply(&self, messages: Vec<Message>) -> Result<(), StoreError> {
        let intake = self.store_messages(&messages).await?;
        // A message logged while its user was being erased stops here.
        let messages: Vec<Message> = messages
            .into_iter()
            .zip(intake)
            .filter(|(_, i)| *i != sma_spec::Intake::Erased)
            .map(|(m, _)| m)
            .collect();
        let processed = self.process(&messages).await?;
        self.spawn_feed(processed);
        Ok(())
    }
}

impl<S: Store> App<S> {
    /// From now on answers each body once it is in the intake log beside the
    /// database at `db`, and applies it after; first applies what an earlier
    /// run left there. For a server: a 2xx no longer waits for a commit.
    pub async fn with_intake_log(mut self, db: &std::path::Path) -> Result<App<S>, StoreError> {
        let log = IntakeLog::start(db, self.clone()).await?;
        self.intake_log = Some(Arc::new(log));
        Ok(self)
    }

    /// Logs the messages when the intake log is started; answers what each
    /// came to against the one taken in under its id. `None` without a log.
    pub(crate) async fn log(
        &self,
        messages: &[Message],
    ) -> Option<Result<Vec<sma_spec::Intake>, StoreError>> {
        let log = self.intake_log.as_ref()?;
        Some(log.take_in(messages.to_vec()).await)
    }

    /// What a read waits for first: the bodies answered before it.
    pub(crate) async fn read_after_writes(&self) -> Result<(), StoreError> {
        match &self.intake_log {
            Some(log) => log.read_after_writes().await,
            None => Ok(()),
        }
    }

    /// Waits up to `within` until every body taken in is applied (a server's
    /// last step; what is left stays in the log for the next start).
    pub async fn finish_intake_log(&self, within: Duration) -> Result<(), StoreError> {
        match &self.intake_log {
            Some(log) => log.caught_up(within).await,
            None => Ok(()),
        }
    }
}
