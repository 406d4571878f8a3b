//! A user's (or a lone device's) journey: its messages, touches over all its
//! devices, conversions and milestones — what every model and view starts from.

use std::collections::BTreeSet;

use sma_attribution::{Conversion, Journey, Milestones};
use sma_spec::Message;
use sma_store::{Owner, Store, StoreError};

use crate::App;

/// Everything known of one journey.
pub(crate) struct Loaded {
    pub devices: Vec<String>,
    pub events: Vec<Message>,
    pub journey: Journey,
}

/// Whose journey: a user over its devices, or a device that belongs to no user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    User(String),
    Device(String),
}

impl<S: Store> App<S> {
    pub(crate) async fn load(&self, subject: &Subject) -> Result<Loaded, StoreError> {
        self.read_after_writes().await?;
        let (devices, events) = match subject {
            Subject::User(user) => {
                let devices = self.store.devices_of(user).await?;
                let events = self.store.user_events(user, &devices).await?;
                (devices, events)
            }
            Subject::Device(device) => (
                vec![device.clone()],
                self.store.device_events(device).await?,
            ),
        };
        self.assemble(devices, events, |m| self.rules.is_conversion(m))
            .await
    }

    /// The journey over `devices` whose conversions are the `events` that
    /// `converts` picks.
    pub(crate) async fn assemble(
        &self,
        devices: Vec<String>,
        events: Vec<Message>,
        converts: impl Fn(&Message) -> bool,
    ) -> Result<Loaded, StoreError> {
        let touches = self.touches_of(&devices).await?;
        let journey = Journey {
            touches,
            conversions: conversions(events.iter().filter(|m| converts(m))),
            milestones: self.milestones(&events),
        };
        Ok(Loaded {
            devices,
            events,
            journey,
        })
    }

    /// The journeys with a message in `[from, to)`, each once: a device that
    /// belongs to a user is part of the user's journey.
    pub async fn subjects(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<BTreeSet<Subject>, StoreError> {
        let mut subjects = BTreeSet::new();
        for owner in self.store.owners(from, to).await? {
            subjects.insert(match owner {
                Owner::User(user) => Subject::User(user),
                Owner::Account(_) => continue,
                Owner::Device(device) => match self.store.user_of(&device).await? {
                    Some(user) => Subject::User(user),
                    None => Subject::Device(device),
                },
            });
        }
        Ok(subjects)
    }

    fn milestones(&self, events: &[Message]) -> Milestones {
        let times = |pick: &dyn Fn(&Message) -> bool| {
            events
                .iter()
                .filter(|m| pick(m))
                .map(|m| m.timestamp.timestamp_millis())
                .collect()
        };
        Milestones {
            lead: times(&|m| self.rules.is_lead(m)),
            opportunity: times(&|m| self.rules.is_opportunity(m)),
            won: times(&|m| self.rules.is_won(m)),
        }
    }
}

fn conversions<'a>(events: impl Iterator<Item = &'a Message>) -> Vec<Conversion> {
    events
        .map(|m| Conversion {
            event: m.event.clone().unwrap_or_default(),
            timestamp: m.timestamp.timestamp_millis(),
            value: m.value,
            message_id: m.message_id.clone(),
        })
        .collect()
}
