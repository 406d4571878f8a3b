//! Creating the three tables, for tests and local use (on AWS, `template.yaml`
//! creates them).

use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification, StreamViewType,
};

use super::DynamoStore;
use super::request::sdk_error;
use sma_store::StoreError;

/// How long to wait for a created table to become active (instant on DynamoDB
/// Local, seconds on AWS).
const ACTIVE_WITHIN: Duration = Duration::from_secs(120);

impl DynamoStore {
    /// Creates the three tables as `template.yaml` declares them (string keys
    /// `pk`/`sk`, on-demand, a stream of new images on EVENTS, of keys on
    /// USER_MAP, of new and old images on ATTRIBUTION) and waits until they are
    /// active. Tables that exist already are left as
    /// they are. Point-in-time recovery and TTL are the template's business.
    pub async fn create_tables(&self) -> Result<(), StoreError> {
        let tables = self.tables();
        for (name, stream) in [
            (&tables.events, StreamViewType::NewImage),
            (&tables.user_map, StreamViewType::KeysOnly),
            (&tables.attribution, StreamViewType::NewAndOldImages),
        ] {
            self.create_table(name, stream).await?;
        }
        Ok(())
    }

    async fn create_table(&self, name: &str, stream: StreamViewType) -> Result<(), StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Backend(e.to_string());
        let mut request = self
            .client()
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest);
        for (attribute, key_type) in [("pk", KeyType::Hash), ("sk", KeyType::Range)] {
            request = request
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(attribute)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(build)?,
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(attribute)
                        .key_type(key_type)
                        .build()
                        .map_err(build)?,
                );
        }
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(stream)
                .build()
                .map_err(build)?,
        );
        match request.send().await {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(CreateTableError::ResourceInUseException(_))
                ) => {}
            Err(e) => return Err(sdk_error("CreateTable", e)),
        }
        self.client()
            .wait_until_table_exists()
            .table_name(name)
            .wait(ACTIVE_WITHIN)
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!("table {name} did not become active: {e}"))
            })?;
        Ok(())
    }
}
