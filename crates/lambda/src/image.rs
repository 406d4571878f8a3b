//! Stream-record images as the store reads items: Lambda delivers a record's
//! `NewImage` in DynamoDB's JSON (`{"S": "..."}`, `{"N": "..."}` ...), which
//! `aws_lambda_events` parses into `serde_dynamo` values; the store rebuilds
//! messages and touches from the SDK's `AttributeValue`s, as it does for items
//! it reads from the tables.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// One item image, in the SDK's types.
pub type Image = HashMap<String, AttributeValue>;

/// Converts an image of a Lambda stream record (lossless: every DynamoDB type
/// maps onto the SDK's).
pub fn sdk_image(image: serde_dynamo::Item) -> Image {
    image.into()
}

/// A string attribute of an image.
pub(crate) fn string<'a>(image: &'a Image, name: &str) -> Option<&'a str> {
    image.get(name)?.as_s().ok().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event;

    #[test]
    fn a_lambda_new_image_converts_attribute_by_attribute() {
        let event: Event = serde_json::from_value(serde_json::json!({"Records": [{
            "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"pk": {"S": "dev#a1"}, "sk": {"S": "2024-03-01T09:00:00.000Z#p1"}},
                "NewImage": {
                    "pk": {"S": "dev#a1"}, "has_both_ids": {"BOOL": false},
                    "expires_at": {"N": "1735689600"}, "nothing": {"NULL": true},
                    "tags": {"L": [{"S": "a"}, {"M": {"n": {"N": "1.5"}}}]}
                },
                "SequenceNumber": "111", "SizeBytes": 26, "StreamViewType": "NEW_IMAGE"
            }
        }]}))
        .unwrap();
        let record = event.records.into_iter().next().unwrap();
        let image = sdk_image(record.change.new_image);
        assert_eq!(string(&image, "pk"), Some("dev#a1"));
        assert_eq!(image["has_both_ids"], AttributeValue::Bool(false));
        assert_eq!(image["expires_at"], AttributeValue::N("1735689600".into()));
        assert_eq!(image["nothing"], AttributeValue::Null(true));
        let nested = HashMap::from([("n".to_owned(), AttributeValue::N("1.5".into()))]);
        assert_eq!(
            image["tags"],
            AttributeValue::L(vec![
                AttributeValue::S("a".into()),
                AttributeValue::M(nested)
            ])
        );
        assert_eq!(string(&image, "has_both_ids"), None);
    }
}
