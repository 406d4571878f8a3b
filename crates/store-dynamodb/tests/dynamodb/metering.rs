//! An SDK interceptor that asks every data-plane request for its consumed
//! capacity (`ReturnConsumedCapacity: TOTAL`) and adds up the answers, so the
//! adapter is measured as it runs, unchanged.
//!
//! DynamoDB Local reports standard writes and reads as DynamoDB bills them, but
//! not transactions (it reports e.g. 4 units for a transaction of three 100-byte
//! items) nor empty reads (0, where DynamoDB bills the minimum). So the meter also
//! keeps the billed figure: each transactional write at 2 units per started KB of
//! its item (sizes taken from the request; an update at 2, a lower bound), and an empty read at 1 unit (the
//! minimum of a strongly consistent read; an upper bound for an eventual one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::{
    batch_get_item as bg, batch_write_item as bw, delete_item as di, get_item as gi,
    put_item as pi, query as q, transact_write_items as tw, update_item as ui,
};
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity, ReturnConsumedCapacity};

enum Kind {
    Read,
    Write,
    Transaction,
}

/// Capacity units: as DynamoDB Local reports them, and as DynamoDB bills them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub local_read: f64,
    pub local_write: f64,
    pub read: f64,
    pub write: f64,
    pub requests: u32,
}

impl Usage {
    /// Whether the billed units are within the bounds.
    pub fn within(&self, write: f64, read: f64) -> bool {
        self.write <= write && self.read <= read
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "billed {:>4.1} WCU {:>4.1} RCU | DynamoDB Local reports {:>4.1} WCU {:>4.1} RCU | {} requests",
            self.write, self.read, self.local_write, self.local_read, self.requests
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Meter(Arc<Mutex<Usage>>);

impl Meter {
    /// The usage so far, resetting it.
    pub fn take(&self) -> Usage {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn total<'a>(capacities: impl IntoIterator<Item = &'a ConsumedCapacity>) -> f64 {
    capacities
        .into_iter()
        .filter_map(|c| c.capacity_units())
        .sum()
}

/// An item's size as DynamoDB counts it: attribute names plus values.
fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    let value = |v: &AttributeValue| match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        _ => 1,
    };
    item.iter().map(|(name, v)| name.len() + value(v)).sum()
}

impl Intercept for Meter {
    fn name(&self) -> &'static str {
        "ConsumedCapacityMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        macro_rules! ask {
            ($($t:ty),+) => {$(
                if let Some(i) = input.downcast_mut::<$t>() {
                    i.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
                }
            )+};
        }
        ask!(
            gi::GetItemInput,
            bg::BatchGetItemInput,
            q::QueryInput,
            pi::PutItemInput,
            ui::UpdateItemInput,
            di::DeleteItemInput,
            bw::BatchWriteItemInput,
            tw::TransactWriteItemsInput
        );
        if let Some(tx) = input.downcast_ref::<tw::TransactWriteItemsInput>() {
            let billed: usize = tx
                .transact_items()
                .iter()
                .map(|t| match (t.put(), t.delete(), t.update()) {
                    (Some(put), _, _) => 2 * item_size(put.item()).div_ceil(1024),
                    // An update is billed on the size of the whole item, which
                    // the request does not show: 2 is a lower bound.
                    (None, Some(_), _) | (None, None, Some(_)) => 2,
                    _ => 0,
                })
                .sum();
            self.0.lock().unwrap().write += billed as f64;
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(out) = context.output_or_error() else {
            return Ok(());
        };
        let (kind, units) = if let Some(o) = out.downcast_ref::<gi::GetItemOutput>() {
            (Kind::Read, total(&o.consumed_capacity))
        } else if let Some(o) = out.downcast_ref::<bg::BatchGetItemOutput>() {
            (Kind::Read, total(o.consumed_capacity.iter().flatten()))
        } else if let Some(o) = out.downcast_ref::<q::QueryOutput>() {
            (Kind::Read, total(&o.consumed_capacity))
        } else if let Some(o) = out.downcast_ref::<pi::PutItemOutput>() {
            (Kind::Write, total(&o.consumed_capacity))
        } else if let Some(o) = out.downcast_ref::<ui::UpdateItemOutput>() {
            (Kind::Write, total(&o.consumed_capacity))
        } else if let Some(o) = out.downcast_ref::<di::DeleteItemOutput>() {
            (Kind::Write, total(&o.consumed_capacity))
        } else if let Some(o) = out.downcast_ref::<bw::BatchWriteItemOutput>() {
            (Kind::Write, total(o.consumed_capacity.iter().flatten()))
        } else if let Some(o) = out.downcast_ref::<tw::TransactWriteItemsOutput>() {
            (
                Kind::Transaction,
                total(o.consumed_capacity.iter().flatten()),
            )
        } else {
            return Ok(());
        };
        let mut usage = self.0.lock().unwrap();
        usage.requests += 1;
        match kind {
            Kind::Read => {
                usage.local_read += units;
                usage.read += if units == 0.0 { 1.0 } else { units };
            }
            Kind::Write => {
                usage.local_write += units;
                usage.write += units;
            }
            // Billed when the request was made, from its items.
            Kind::Transaction => usage.local_write += units,
        }
        Ok(())
    }
}
