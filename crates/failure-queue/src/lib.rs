//! The failure queue of the AWS shape (`StreamFailureQueue` in `template.yaml`).
//!
//! Two kinds of message land there. A stream consumer that gives up on a record
//! (its item cannot be read back, so no retry can succeed) leaves a
//! [`GivenUp`]: the device or user whose derivation the record was part of.
//! Lambda itself leaves, after a batch's last retry, only the batch's stream
//! position ([`Received::StreamPosition`]), which points at records the stream
//! trims after 24 hours. `sma redrive` takes both: it re-derives the devices and
//! users named from the tables, which are the source of truth, and reports the
//! positions.

pub use aws_sdk_sqs;
use aws_sdk_sqs::Client;
use serde::{Deserialize, Serialize};
use sma_store::Owner;

/// Messages taken per ReceiveMessage call (SQS's maximum).
const RECEIVE_BATCH: i32 = 10;

/// What a consumer could not process, and whose journey it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GivenUp {
    /// The consumer that gave up (`touches`, `identity-map`).
    pub consumer: String,
    /// The stream record's sequence number.
    pub sequence_number: String,
    /// Devices and users to derive again once the cause is fixed.
    pub owners: Vec<Owner>,
    pub reason: String,
}

/// One message taken from the queue; it stays there, invisible for the queue's
/// visibility timeout, until [`FailureQueue::delete`].
#[derive(Debug)]
pub struct Received {
    pub receipt: String,
    pub body: Body,
}

/// What a message says.
#[derive(Debug)]
pub enum Body {
    GivenUp(GivenUp),
    /// Lambda's record of a batch that failed its last retry (its stream
    /// position, as JSON), or anything else: kept as it is.
    StreamPosition(String),
}

/// The queue at `url`.
#[derive(Debug, Clone)]
pub struct FailureQueue {
    client: Client,
    url: String,
}

/// An SQS call that failed, with the SDK's whole explanation.
#[derive(Debug)]
pub struct QueueError(pub String);

impl std::fmt::Display for QueueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "failure queue: {}", self.0)
    }
}

impl std::error::Error for QueueError {}

fn failed(e: impl std::error::Error) -> QueueError {
    QueueError(aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
}

impl FailureQueue {
    pub fn new(client: Client, url: impl Into<String>) -> FailureQueue {
        FailureQueue {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Leaves `given_up` on the queue.
    pub async fn give_up(&self, given_up: &GivenUp) -> Result<(), QueueError> {
        let body = serde_json::to_string(given_up).expect("a GivenUp serialises");
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// Takes up to ten messages; none when the queue is empty.
    pub async fn receive(&self) -> Result<Vec<Received>, QueueError> {
        let answer = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(RECEIVE_BATCH)
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(failed)?;
        Ok(answer
            .messages()
            .iter()
            .filter_map(|m| {
                let receipt = m.receipt_handle()?.to_owned();
                let text = m.body().unwrap_or_default();
                let body = match serde_json::from_str::<GivenUp>(text) {
                    Ok(given_up) => Body::GivenUp(given_up),
                    Err(_) => Body::StreamPosition(text.to_owned()),
                };
                Some(Received { receipt, body })
            })
            .collect())
    }

    /// Removes a message once what it names is done.
    pub async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_up_record_reads_back_as_it_was_written() {
        let given_up = GivenUp {
            consumer: "touches".into(),
            sequence_number: "4200".into(),
            owners: vec![Owner::Device("a-1".into()), Owner::User("u-1".into())],
            reason: "damaged item".into(),
        };
        let text = serde_json::to_string(&given_up).unwrap();
        assert!(
            text.contains(r#""owners":[{"Device":"a-1"},{"User":"u-1"}]"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<GivenUp>(&text).unwrap(), given_up);
        // Lambda's own record of a failed batch is not one.
        assert!(serde_json::from_str::<GivenUp>(r#"{"DDBStreamBatchInfo":{}}"#).is_err());
    }
}
