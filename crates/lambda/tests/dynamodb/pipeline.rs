//! The whole AWS pipeline, locally against DynamoDB Local: the intake
//! function takes a Segment webhook delivery as an API Gateway HTTP API request;
//! the EVENTS stream's real records, read back through the Streams API, drive
//! identity-map and touches in the event shape Lambda delivers; the
//! ATTRIBUTION stream drives segment-feed's real-time mode; and the api function
//! answers with the user's devices and touches. Plus what a poison record does
//! to a batch.

use crate::support::{
    API_TOKEN, SHARED_SECRET, apigw, consume, deliver, fresh_app, identify, page, realtime_app,
    streams,
};
use segment_client::recorder::{Recorder, Response};
use serde_json::{Value, json};
use sma_lambda::{IdentityMap, LambdaApp, RealtimeFeed, Touches};

#[tokio::test]
async fn dynamodb_the_aws_pipeline_runs_from_webhook_intake_through_the_streams_to_the_api() {
    let segment = Recorder::start().await.unwrap();
    let app = realtime_app(&segment).await;
    let laptop_landing =
        "https://www.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring";
    let answer = deliver(
        &app,
        &[
            page(
                "p1",
                "a-laptop",
                None,
                laptop_landing,
                "https://www.google.com/",
                "2024-05-01T10:00:00.000Z",
            ),
            identify("i1", "a-laptop", "u-ada", "2024-05-01T10:03:00.000Z"),
            page(
                "p2",
                "a-phone",
                Some("u-ada"),
                "https://www.example.com/",
                "https://chatgpt.com/",
                "2024-05-02T08:00:00.000Z",
            ),
        ],
    )
    .await;
    assert_eq!(answer["accepted"], 3, "{answer}");
    // The AWS shape: intake only stores; the stream consumers do the rest.
    assert_eq!(user_of(&app, "a-laptop").await, None);
    let events = streams::records(&app.store.tables().events).await;

    let for_identity: Vec<&Value> = events
        .iter()
        .filter(|r| streams::identity_map_filter(r))
        .collect();
    assert_eq!(
        for_identity.len(),
        2,
        "the identify and the page with both ids"
    );
    assert!(consume(&app, &IdentityMap, &for_identity).await.is_empty());

    let for_sources: Vec<&Value> = events
        .iter()
        .filter(|r| streams::touches_filter(r))
        .collect();
    assert_eq!(
        for_sources.len(),
        3,
        "every event: the identify keeps the laptop's session alive"
    );
    assert!(consume(&app, &Touches, &for_sources).await.is_empty());

    // Real-time mode: the new touches, from the ATTRIBUTION stream, through
    // segment-feed's one handler, reach Segment with no call. While Segment
    // refuses them the batch fails at its first touch, for Lambda to retry.
    let attribution = streams::records(&app.store.tables().attribution).await;
    let touches: Vec<&Value> = attribution
        .iter()
        .filter(|r| streams::realtime_feed_filter(r))
        .collect();
    assert_eq!(touches.len(), 2, "one touch per device");
    let router = sma_lambda::function_router(app.clone());
    let batch = || apigw::invocation(streams::event(&touches));
    segment.push_response(Response::status(400));
    let response = sma_lambda::dispatch(&app, router.clone(), &RealtimeFeed, batch())
        .await
        .unwrap();
    let first = streams::sequence_number(touches[0]);
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": first}]})
    );
    assert!(segment.messages().is_empty(), "a 400 is never retried");
    let response = sma_lambda::dispatch(&app, router.clone(), &RealtimeFeed, batch())
        .await
        .unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    let sent = segment.messages();
    let mut tracks: Vec<(&str, &str, &str)> = sent
        .iter()
        .filter(|m| m["type"] == "track")
        .map(|m| {
            (
                m["event"].as_str().unwrap(),
                m["anonymousId"].as_str().unwrap(),
                m["timestamp"].as_str().unwrap(),
            )
        })
        .collect();
    tracks.sort();
    assert_eq!(
        tracks,
        [
            ("Source Identified", "a-laptop", "2024-05-01T10:00:00Z"),
            ("Source Identified", "a-phone", "2024-05-02T08:00:00Z"),
        ]
    );
    let identify: Vec<&Value> = sent.iter().filter(|m| m["type"] == "identify").collect();
    assert_eq!(identify.len(), 1, "{sent:?}");
    assert_eq!(identify[0]["userId"], "u-ada");
    assert_eq!(identify[0]["traits"]["source_first_channel"], "Paid Search");
    assert_eq!(identify[0]["traits"]["source_device_count"], 2);
    let auth = segment.requests()[1]
        .header("authorization")
        .map(str::to_owned);
    assert!(auth.is_some_and(|a| a.starts_with("Basic ")));

    // The api function: the user, both devices, a touch from each.
    let bearer = format!("Bearer {API_TOKEN}");
    let request = apigw::request(
        "GET",
        "/api/user/u-ada",
        &[("authorization", &bearer)],
        None,
    );
    let (status, user) = apigw::invoke(&router, request).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["devices"], json!(["a-laptop", "a-phone"]));
    let touches: Vec<(&str, &str)> = user["touches"]
        .as_array()
        .expect("touches")
        .iter()
        .map(|t| {
            (
                t["device"].as_str().unwrap(),
                t["channel"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        touches,
        [("a-laptop", "Paid Search"), ("a-phone", "AI Assistant")]
    );
    assert_eq!(user["touches"][0]["campaign"], "spring");
    assert_eq!(user["events"].as_array().map(Vec::len), Some(3));

    // segment-feed's HTTP side, through the same handler as its stream side.
    let request = apigw::request(
        "GET",
        "/segment/track/user/u-ada",
        &[("authorization", &bearer)],
        None,
    );
    let response = sma_lambda::dispatch(
        &app,
        router.clone(),
        &RealtimeFeed,
        apigw::invocation(request),
    )
    .await
    .unwrap();
    let (status, report) = apigw::read(&response);
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["dry_run"].clone(), report["sent"].clone()),
        (json!(false), json!(2))
    );
    // The same facts again: the same deterministic messageIds.
    let ids = |messages: &[Value]| -> Vec<String> {
        let mut ids: Vec<String> = messages
            .iter()
            .filter(|m| m["type"] == "track")
            .map(|m| m["messageId"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let all = segment.messages();
    assert_eq!(ids(&sent), ids(&all[sent.len()..]));

    // Without the bearer token the api function refuses.
    let (status, _) =
        apigw::invoke(&router, apigw::request("GET", "/api/user/u-ada", &[], None)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn dynamodb_a_poison_record_fails_its_batch_at_its_sequence_number_after_the_records_before_it()
 {
    let app = fresh_app(&[("SEGMENT_SHARED_SECRET", SHARED_SECRET)]).await;
    deliver(
        &app,
        &[identify("i1", "a-1", "u-1", "2024-05-01T10:00:00.000Z")],
    )
    .await;
    // An event item whose message cannot be rebuilt (its raw JSON is damaged),
    // written straight into the table: its stream record is a real one.
    let s = aws_sdk_dynamodb::types::AttributeValue::S;
    app.store
        .client()
        .put_item()
        .table_name(&app.store.tables().events)
        .item("pk", s("dev#a-broken".into()))
        .item("sk", s("2024-05-01T10:01:00.000Z#poison".into()))
        .item("message_id", s("poison".into()))
        .item("type", s("identify".into()))
        .item("timestamp", s("2024-05-01T10:01:00.000Z".into()))
        .item(
            "has_both_ids",
            aws_sdk_dynamodb::types::AttributeValue::Bool(true),
        )
        .item("raw", s("{\"type\":\"identify\",\"messageId\":".into()))
        .send()
        .await
        .expect("PutItem");
    deliver(
        &app,
        &[identify("i2", "a-2", "u-2", "2024-05-01T10:02:00.000Z")],
    )
    .await;

    let events = streams::records(&app.store.tables().events).await;
    let batch: Vec<&Value> = events
        .iter()
        .filter(|r| streams::identity_map_filter(r))
        .collect();
    assert_eq!(batch.len(), 3, "identify, poison, identify");
    let poison = streams::sequence_number(batch[1]);

    assert_eq!(consume(&app, &IdentityMap, &batch).await, [poison]);
    assert_eq!(
        user_of(&app, "a-1").await,
        Some("u-1".into()),
        "the record before it is done"
    );
    assert_eq!(
        user_of(&app, "a-2").await,
        None,
        "processing stopped at the failure"
    );

    // Lambda retries from the poison record: it fails again, naming itself.
    assert_eq!(consume(&app, &IdentityMap, &batch[1..]).await, [poison]);
    // Once the retries are spent its metadata goes to the on-failure destination
    // and the stream goes on after it: the others are processed.
    assert!(consume(&app, &IdentityMap, &batch[2..]).await.is_empty());
    assert_eq!(user_of(&app, "a-2").await, Some("u-2".into()));
}

/// The user a device belongs to, read through the store port.
async fn user_of(app: &LambdaApp, anonymous_id: &str) -> Option<String> {
    use sma_store::IdentityStore;
    app.store.user_of(anonymous_id).await.expect("user_of")
}

/// The intake function applies the messageId rule where DynamoDB keys a
/// message (its owner, time and messageId): a retry is a duplicate, another
/// message under the key is rejected with the reason and not stored.
#[tokio::test]
async fn dynamodb_another_message_under_a_taken_key_is_rejected_by_intake() {
    use sma_store::EventStore;
    let app = fresh_app(&[("SEGMENT_SHARED_SECRET", SHARED_SECRET)]).await;
    let original = identify("i1", "a-1", "u-1", "2024-05-01T10:00:00.000Z");
    deliver(&app, std::slice::from_ref(&original)).await;
    // A redelivery Segment annotated differently: still the same message.
    let mut retry = original.clone();
    retry["_metadata"] = json!({"bundled": ["Segment.io"]});
    let mut forged = original.clone();
    forged["traits"] = json!({"email": "attacker@example.com"});
    let answer = deliver(&app, &[retry, forged]).await;
    assert_eq!(
        (&answer["accepted"], &answer["duplicates"]),
        (&json!(0), &json!(1)),
        "{answer}"
    );
    assert_eq!(answer["rejected"][0]["index"], 1, "{answer}");
    let reason = answer["rejected"][0]["error"].as_str().unwrap();
    assert!(reason.contains("taken by another message"), "{reason}");
    let stored = app.store.device_events("a-1").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].raw.contains("ada@example.com"),
        "{}",
        stored[0].raw
    );
}
