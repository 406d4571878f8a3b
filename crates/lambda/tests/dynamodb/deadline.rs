//! On Lambda a request is answered before its invocation's deadline: API Gateway
//! gives up at its own timeout, and the app's 503 with `Retry-After` must reach
//! the caller first, whatever `REQUEST_TIMEOUT_SECONDS` says.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::{apigw, fresh_app};
use serde_json::json;

/// An invocation of `GET /api/user/someone` whose deadline is `left` from now.
fn lookup_with(left: Duration) -> sma_lambda::LambdaEvent<serde_json::Value> {
    let bearer = [("authorization", "Bearer deadline-test-token")];
    let lookup = apigw::request("GET", "/api/user/someone", &bearer, None);
    let mut invocation = apigw::invocation(lookup);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    invocation.context.deadline = u64::try_from((now + left).as_millis()).unwrap();
    invocation
}

#[tokio::test]
async fn dynamodb_a_request_past_the_invocation_deadline_answers_503_with_retry_after() {
    let app = fresh_app(&[
        ("REQUEST_TIMEOUT_SECONDS", "600"),
        ("API_TOKEN", "deadline-test-token"),
    ])
    .await;
    let router = sma_lambda::function_router(app);

    // Less time left than the margin kept for the answer: the lookup, which
    // must wait on DynamoDB, is cut at once.
    let response = apigw::invoke_raw(&router, lookup_with(Duration::from_millis(500))).await;
    let (status, body) = apigw::read(&response);
    assert_eq!(status, 503, "{body}");
    assert_eq!(response["headers"]["retry-after"], json!("5"), "{response}");
    assert!(
        body["error"].as_str().unwrap().contains("deadline"),
        "{body}"
    );

    // With time to spare the same lookup runs (an unknown user is a 404).
    let response = apigw::invoke_raw(&router, lookup_with(Duration::from_secs(20))).await;
    assert_eq!(apigw::read(&response).0, 404, "{response}");
}
