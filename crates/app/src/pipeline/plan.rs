//! What settling a journey reads before its entries are computed: its
//! devices (a user's, an account's members'), the markers they carry, and
//! which conversions are due.

use std::collections::HashMap;

use sma_store::{Marker, MarkerKind, Owner, Store, StoreError};

use super::Scope;
use super::accounts::credited_in;
use super::devices::time;
use crate::App;

/// What settling one journey reads, before its entries are computed.
pub(super) struct Plan {
    pub(super) owner: Owner,
    pub(super) scope: Scope,
    /// The users whose markers count: the user, or an account's members.
    pub(super) users: Vec<String>,
    pub(super) devices: Vec<String>,
    pub(super) markers: Vec<Marker>,
    /// The conversions to credit (indices into `markers`).
    pub(super) due: Vec<usize>,
    /// The touches it looks at: `[from, to]`, epoch ms.
    pub(super) range: Option<(i64, i64)>,
}

impl<S: Store> App<S> {
    /// Each journey's devices and markers, and the conversions to credit.
    pub(super) async fn plan(&self, journeys: &[(Owner, Scope)]) -> Result<Vec<Plan>, StoreError> {
        let mut users_of_plans = Vec::with_capacity(journeys.len());
        for (owner, scope) in journeys {
            users_of_plans.push(match (owner, scope) {
                (_, Scope::Closed) | (Owner::Device(_), _) => Vec::new(),
                (Owner::User(u), _) => vec![u.clone()],
                (Owner::Account(g), _) => self.members(g).await?,
            });
        }
        let users: Vec<String> = users_of_plans.iter().flatten().cloned().collect();
        let mut devices_of_users = self.store.devices_of_users(&users).await?.into_iter();
        let mut plans: Vec<Plan> = journeys
            .iter()
            .zip(users_of_plans)
            .map(|((owner, scope), users)| {
                let mut devices: Vec<String> = users
                    .iter()
                    .flat_map(|_| devices_of_users.next().expect("one answer per user"))
                    .collect();
                if let (Owner::Device(d), false) = (owner, *scope == Scope::Closed) {
                    devices.push(d.clone());
                }
                Plan {
                    owner: owner.clone(),
                    scope: scope.clone(),
                    users,
                    devices,
                    markers: Vec::new(),
                    due: Vec::new(),
                    range: None,
                }
            })
            .collect();
        let carriers_of = |plan: &Plan| {
            let mut carriers: Vec<Owner> =
                plan.devices.iter().cloned().map(Owner::Device).collect();
            carriers.extend(plan.users.iter().cloned().map(Owner::User));
            if let Owner::Account(_) = plan.owner {
                carriers.push(plan.owner.clone());
            }
            carriers
        };
        let carriers: Vec<Owner> = plans.iter().flat_map(carriers_of).collect();
        let mut by_carrier: HashMap<Owner, Vec<Marker>> = HashMap::new();
        for marker in self
            .store
            .markers_of(&carriers, time(i64::MIN), time(i64::MAX))
            .await?
        {
            by_carrier
                .entry(marker.carrier.clone())
                .or_default()
                .push(marker);
        }
        for plan in &mut plans {
            // A member's markers count in their journey and their accounts'.
            for carrier in carriers_of(plan) {
                plan.markers
                    .extend(by_carrier.get(&carrier).cloned().unwrap_or_default());
            }
            plan.markers
                .sort_by(|a, b| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
            plan.due = plan
                .markers
                .iter()
                .enumerate()
                .filter(|(_, m)| m.kind == MarkerKind::Conversion)
                .filter(|(_, m)| credited_in(&plan.owner, &m.carrier))
                .filter(|(_, m)| plan.scope.covers(m.timestamp.timestamp_millis()))
                .map(|(i, _)| i)
                .collect();
        }
        Ok(plans)
    }
}
