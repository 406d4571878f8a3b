//! Building writes: the items of a TransactWriteItems (puts, deletes, counter
//! updates, condition checks) and the conditions that make a write happen once
//! (the item is new) or over the version read (optimistic concurrency).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, DeleteRequest, Put, PutRequest, ReturnConsumedCapacity,
    TransactWriteItem, Update, WriteRequest,
};

use super::DynamoStore;
use super::keys::Item;
use super::request::{build_error, sdk_error};
use sma_store::StoreError;

/// The attribute a versioned item (a device state, a ledger entry) keeps its
/// version in: 1 for the first write, one more with every write after.
pub(super) const VERSION: &str = "version";

/// A condition expression with its names and values.
#[derive(Debug, Clone, Default)]
pub(super) struct Condition {
    expression: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Condition {
    /// The item does not exist yet.
    pub(super) fn absent() -> Condition {
        Condition {
            expression: "attribute_not_exists(pk)".into(),
            ..Condition::default()
        }
    }

    /// The item is at version `expected` (`None`: it does not exist).
    pub(super) fn version(expected: Option<u64>) -> Condition {
        match expected {
            None => Condition::absent(),
            Some(v) => Condition {
                expression: "#version = :expected".into(),
                names: HashMap::from([("#version".into(), VERSION.into())]),
                values: HashMap::from([(":expected".into(), AttributeValue::N(v.to_string()))]),
            },
        }
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// A put of `item`, on `condition` when given.
pub(super) fn put(
    table: &str,
    item: Item,
    condition: Option<&Condition>,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(|c| c.expression.clone()))
        .set_expression_attribute_names(condition.and_then(Condition::names))
        .set_expression_attribute_values(condition.and_then(Condition::values))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A delete of the item at `key` (nothing when there is none), on
/// `condition` when given.
pub(super) fn delete(
    table: &str,
    key: Item,
    condition: Option<&Condition>,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .set_condition_expression(condition.map(|c| c.expression.clone()))
        .set_expression_attribute_names(condition.and_then(Condition::names))
        .set_expression_attribute_values(condition.and_then(Condition::values))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// A check that the item at `key` meets `condition`, writing nothing.
pub(super) fn check(
    table: &str,
    key: Item,
    condition: &Condition,
) -> Result<TransactWriteItem, StoreError> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition.expression.clone())
        .set_expression_attribute_names(condition.names())
        .set_expression_attribute_values(condition.values())
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// Adds each number to the attribute of its name, creating the item and the
/// attributes that do not exist (`ADD` starts them at 0).
pub(super) fn add(
    table: &str,
    key: Item,
    numbers: Vec<(String, AttributeValue)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut names = HashMap::with_capacity(numbers.len());
    let mut values = HashMap::with_capacity(numbers.len());
    let mut terms = Vec::with_capacity(numbers.len());
    for (i, (name, value)) in numbers.into_iter().enumerate() {
        names.insert(format!("#a{i}"), name);
        values.insert(format!(":a{i}"), value);
        terms.push(format!("#a{i} :a{i}"));
    }
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(format!("ADD {}", terms.join(", ")))
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// A BatchWriteItem put of `item`.
pub(super) fn put_request(item: Item) -> Result<WriteRequest, StoreError> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(build_error)?;
    Ok(WriteRequest::builder().put_request(put).build())
}

/// A BatchWriteItem delete of the item at `key`.
pub(super) fn delete_request(key: Item) -> Result<WriteRequest, StoreError> {
    let delete = DeleteRequest::builder()
        .set_key(Some(key))
        .build()
        .map_err(build_error)?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}

/// A finite number as a DynamoDB number (which has no NaN or infinity).
pub(super) fn number(value: f64) -> Result<AttributeValue, StoreError> {
    if value.is_finite() {
        Ok(AttributeValue::N(value.to_string()))
    } else {
        Err(StoreError::Backend(format!(
            "{value} cannot be stored in DynamoDB"
        )))
    }
}

impl DynamoStore {
    /// One PutItem on `condition`: a single conditional write costs half a
    /// one-item transaction. Answers whether the condition held.
    pub(super) async fn put_if(
        &self,
        table: &str,
        item: Item,
        condition: &Condition,
    ) -> Result<bool, StoreError> {
        let result = self
            .client()
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression(condition.expression.clone())
            .set_expression_attribute_names(condition.names())
            .set_expression_attribute_values(condition.values())
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(out) => {
                self.charge(out.consumed_capacity());
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_finite_and_read_back_exactly() {
        for v in [0.1 + 0.2, -1.0, 1e-7, 12345.678] {
            let AttributeValue::N(text) = number(v).unwrap() else {
                panic!("not a number")
            };
            assert_eq!(text.parse::<f64>().unwrap(), v);
        }
        assert!(number(f64::NAN).is_err());
        assert!(number(f64::INFINITY).is_err());
    }

    #[test]
    fn a_version_condition_names_the_version_or_asks_for_a_new_item() {
        assert_eq!(
            Condition::version(None).expression,
            "attribute_not_exists(pk)"
        );
        let at = Condition::version(Some(3));
        assert_eq!(at.names().unwrap()["#version"], VERSION);
        assert_eq!(
            at.values().unwrap()[":expected"],
            AttributeValue::N("3".into())
        );
    }
}
