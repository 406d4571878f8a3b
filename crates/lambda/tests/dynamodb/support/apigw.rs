//! API Gateway HTTP API requests (payload format 2.0) as Lambda hands them to a
//! function, and reading the responses the functions give back.

use axum::Router;
use serde_json::{Value, json};
use sma_lambda::{Context, LambdaEvent};

/// A payload 2.0 request for `method path`, with `headers` (lower-case names, as
/// API Gateway sends them) and an optional body.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Value {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut header_map = serde_json::Map::new();
    header_map.insert(
        "host".into(),
        json!("abc123.execute-api.us-east-1.amazonaws.com"),
    );
    header_map.insert("user-agent".into(), json!("Segment.io/1.0"));
    header_map.insert("x-forwarded-proto".into(), json!("https"));
    for (name, value) in headers {
        header_map.insert((*name).into(), json!(value));
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {raw_path}"),
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": header_map,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.10",
                "userAgent": "Segment.io/1.0"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": format!("{method} {raw_path}"),
            "stage": "$default",
            "time": "01/May/2024:10:00:00 +0000",
            "timeEpoch": 1714557600000u64
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    event
}

/// An invocation as the runtime makes it: the payload and a context.
pub fn invocation(payload: Value) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd".into();
    LambdaEvent::new(payload, context)
}

/// Invokes an HTTP function (the Router behind `lambda_http`) with a request;
/// answers the status and the JSON body of its response.
pub async fn invoke(router: &Router, request: Value) -> (u16, Value) {
    read(&invoke_raw(router, invocation(request)).await)
}

/// Invokes an HTTP function with an invocation; answers the whole response JSON.
pub async fn invoke_raw(router: &Router, invocation: LambdaEvent<Value>) -> Value {
    sma_lambda::answer_http(router.clone(), invocation)
        .await
        .expect("the function answers")
}

/// The status and JSON body of an API Gateway 2.0 response.
pub fn read(response: &Value) -> (u16, Value) {
    let status = response["statusCode"].as_u64().expect("statusCode") as u16;
    assert_eq!(response["isBase64Encoded"], json!(false), "{response}");
    let body = response["body"].as_str().unwrap_or("null");
    (status, serde_json::from_str(body).expect("a JSON body"))
}
