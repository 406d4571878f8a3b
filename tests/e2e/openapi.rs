//! `docs/openapi.yaml` stays in step with the router: the (method, path) pairs it
//! describes are exactly the ones the router declares and the running `sma serve`
//! answers, every status a probe gets is documented for its operation, and the
//! documented authentication is what the server enforces.

mod router;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::Server;
use router::router_routes;
use serde_yaml::Value as Yaml;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const TOKEN: &str = "openapi-test-token";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn spec() -> Yaml {
    let text =
        std::fs::read_to_string(root().join("docs/openapi.yaml")).expect("docs/openapi.yaml");
    serde_yaml::from_str(&text).expect("docs/openapi.yaml is YAML")
}

/// (METHOD, path template) -> the operation, for every operation of the spec.
fn operations(spec: &Yaml) -> BTreeMap<(String, String), Yaml> {
    let paths = spec["paths"].as_mapping().expect("`paths` is a mapping");
    let mut out = BTreeMap::new();
    for (path, item) in paths {
        let path = path.as_str().expect("path keys are strings");
        let item = item.as_mapping().expect("a path item is a mapping");
        for (key, operation) in item {
            let key = key.as_str().expect("path item keys are strings");
            if METHODS.contains(&key) {
                out.insert(
                    (key.to_ascii_uppercase(), path.to_owned()),
                    operation.clone(),
                );
            }
        }
    }
    out
}

/// The node a local `$ref` (`#/components/...`) points at.
fn pointer<'a>(spec: &'a Yaml, reference: &str) -> &'a Yaml {
    let path = reference.strip_prefix("#/").expect("only local $refs");
    let target = path
        .split('/')
        .fold(spec, |node, key| node.get(key).unwrap_or(&Yaml::Null));
    assert!(!target.is_null(), "$ref {reference} resolves");
    target
}

/// Follows `$ref`s until a node that is not one.
fn resolve<'a>(spec: &'a Yaml, node: &'a Yaml) -> &'a Yaml {
    match node.get("$ref").and_then(Yaml::as_str) {
        Some(reference) => resolve(spec, pointer(spec, reference)),
        None => node,
    }
}

/// The operation's security requirements (else the document's): secured when
/// there is at least one and none is the empty "anonymous" one.
fn is_secured(spec: &Yaml, operation: &Yaml) -> bool {
    let requirements = operation.get("security").or_else(|| spec.get("security"));
    requirements.and_then(Yaml::as_sequence).is_some_and(|r| {
        !r.is_empty()
            && r.iter()
                .all(|req| req.as_mapping().is_some_and(|m| !m.is_empty()))
    })
}

/// Every `$ref` anywhere in the document.
fn refs(node: &Yaml, out: &mut Vec<String>) {
    match node {
        Yaml::Mapping(map) => {
            for (k, v) in map {
                if k.as_str() == Some("$ref") {
                    out.push(v.as_str().expect("$ref is a string").to_owned());
                }
                refs(v, out);
            }
        }
        Yaml::Sequence(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

fn documented_statuses(operation: &Yaml) -> BTreeSet<u16> {
    operation["responses"]
        .as_mapping()
        .expect("every operation has responses")
        .keys()
        .filter_map(|k| match k {
            Yaml::String(s) => s.parse().ok(),
            Yaml::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            _ => None,
        })
        .collect()
}

/// A concrete URL path for a template: `{id}` becomes a probe id, an enum
/// parameter its first value.
fn concrete(spec: &Yaml, template: &str, operation: Option<&Yaml>) -> String {
    let mut path = template.to_owned();
    while let Some(start) = path.find('{') {
        let end = start + path[start..].find('}').expect("template braces close");
        let name = &path[start + 1..end];
        let value = operation
            .and_then(|op| op["parameters"].as_sequence())
            .into_iter()
            .flatten()
            .map(|p| resolve(spec, p))
            .find(|p| p["name"].as_str() == Some(name) && p["in"].as_str() == Some("path"))
            .and_then(|p| p["schema"]["enum"][0].as_str().map(str::to_owned))
            .unwrap_or_else(|| "openapi-probe".to_owned());
        path.replace_range(start..=end, &value);
    }
    path
}

struct Answer {
    status: u16,
    error: Option<String>,
}

async fn call(http: &reqwest::Client, base: &str, method: &str, path: &str, auth: bool) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http
        .request(method.clone(), format!("{base}{path}"))
        .header("content-type", "application/json");
    if method == reqwest::Method::POST
        || method == reqwest::Method::PUT
        || method == reqwest::Method::PATCH
    {
        request = request.body("{}");
    }
    if auth {
        request = request.header("authorization", format!("Bearer {TOKEN}"));
    }
    let response = request.send().await.expect("sma answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    // The dashboard's page and files are the only answers that are not JSON.
    let dashboard = path == "/" || path.starts_with("/dashboard.");
    if dashboard && status == 200 {
        return Answer {
            status,
            error: None,
        };
    }
    let body: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {path}: answer is not JSON ({e}): {text:?}"));
    Answer {
        status,
        error: body["error"].as_str().map(str::to_owned),
    }
}

fn is_no_route(answer: &Answer) -> bool {
    answer.status == 404
        && answer
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("no route"))
}

#[test]
fn the_spec_is_openapi_3_and_every_ref_resolves() {
    let spec = spec();
    let version = spec["openapi"].as_str().expect("`openapi` version");
    assert!(version.starts_with("3."), "OpenAPI 3, not {version}");
    assert!(spec["info"]["title"].is_string() && spec["info"]["version"].is_string());
    let mut all = Vec::new();
    refs(&spec, &mut all);
    assert!(!all.is_empty());
    for reference in &all {
        pointer(&spec, reference);
    }
    let schemes = spec["components"]["securitySchemes"]
        .as_mapping()
        .expect("security schemes");
    for (name, operation) in &operations(&spec) {
        // Every path parameter of the template is declared, and the other way round.
        let declared: BTreeSet<String> = operation["parameters"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|p| resolve(&spec, p))
            .filter(|p| p["in"].as_str() == Some("path"))
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        let in_template: BTreeSet<String> = name
            .1
            .split('{')
            .skip(1)
            .map(|s| s.split('}').next().unwrap().to_owned())
            .collect();
        assert_eq!(declared, in_template, "path parameters of {name:?}");
        assert!(
            !documented_statuses(operation).is_empty(),
            "{name:?} documents responses"
        );
        for requirement in operation["security"].as_sequence().into_iter().flatten() {
            for scheme in requirement.as_mapping().unwrap().keys() {
                assert!(
                    schemes.contains_key(scheme),
                    "{name:?}: unknown security scheme {scheme:?}"
                );
            }
        }
    }
    // The three credentials sma knows.
    for scheme in ["bearerAuth", "basicAuth", "segmentSignature"] {
        assert!(schemes.contains_key(scheme), "security scheme {scheme}");
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["segmentSignature"]["name"].as_str(),
        Some("X-Signature")
    );
}

#[test]
fn the_spec_describes_exactly_the_routes_of_the_router_source() {
    let spec_routes: BTreeSet<(String, String)> = operations(&spec())
        .into_keys()
        // axum answers HEAD for every GET route; the spec need not say so.
        .flat_map(|(m, p)| {
            let head = (m == "GET").then(|| ("HEAD".to_owned(), p.clone()));
            std::iter::once((m, p)).chain(head)
        })
        .collect();
    let router = router_routes();
    assert!(router.len() >= 9, "the router source was read: {router:?}");
    let missing: Vec<_> = router.difference(&spec_routes).collect();
    let extra: Vec<_> = spec_routes.difference(&router).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/openapi.yaml and the router differ.\nrouted but not documented: {missing:?}\ndocumented but not routed: {extra:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_exactly_the_documented_methods_and_statuses() {
    let spec = spec();
    let operations = operations(&spec);
    let server = Server::start(&[("API_TOKEN", TOKEN)]);
    let http = crate::common::http_client();
    let templates: BTreeSet<&String> = operations.keys().map(|(_, p)| p).collect();
    let mut problems = Vec::new();
    for template in templates {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            let operation = operations.get(&(method.to_owned(), template.clone()));
            let any_operation = operations
                .iter()
                .find(|((_, p), _)| p == template)
                .map(|(_, op)| op);
            let path = concrete(&spec, template, operation.or(any_operation));
            let answer = call(&http, &server.url, method, &path, true).await;
            match operation {
                Some(op) => {
                    if is_no_route(&answer) || answer.status == 405 {
                        problems.push(format!(
                            "{method} {path}: documented, but answered {} {:?}",
                            answer.status, answer.error
                        ));
                    } else if !documented_statuses(op).contains(&answer.status) {
                        problems.push(format!(
                            "{method} {path}: status {} is not documented",
                            answer.status
                        ));
                    }
                }
                None => {
                    if answer.status != 405 || answer.error.is_none() {
                        problems.push(format!(
                            "{method} {path}: not documented, but answered {} {:?} (want a JSON 405)",
                            answer.status, answer.error
                        ));
                    }
                }
            }
        }
    }
    // A path outside the spec is the JSON "no route" 404.
    let unknown = call(&http, &server.url, "GET", "/openapi/not/a/route", true).await;
    assert!(
        is_no_route(&unknown),
        "unknown path: {} {:?}",
        unknown.status,
        unknown.error
    );
    assert!(
        problems.is_empty(),
        "server and docs/openapi.yaml differ:\n{}",
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_security_is_enforced() {
    let spec = spec();
    let server = Server::start(&[
        ("API_TOKEN", TOKEN),
        ("SEGMENT_SHARED_SECRET", "openapi-secret"),
        ("INTAKE_WRITE_KEYS", "openapi-write-key"),
    ]);
    let http = crate::common::http_client();
    let mut problems = Vec::new();
    for ((method, template), operation) in operations(&spec) {
        let path = concrete(&spec, &template, Some(&operation));
        let secured = is_secured(&spec, &operation);
        let without = call(&http, &server.url, &method, &path, false).await;
        let with = call(&http, &server.url, &method, &path, true).await;
        if secured {
            if without.status != 401 {
                problems.push(format!(
                    "{method} {path}: secured, but answered {} without credentials",
                    without.status
                ));
            }
            if !documented_statuses(&operation).contains(&401) {
                problems.push(format!("{method} {path}: 401 not documented"));
            }
            if with.status == 401 || with.status == 403 {
                problems.push(format!(
                    "{method} {path}: the bearer token was refused ({})",
                    with.status
                ));
            }
        } else if without.status == 401 || without.status == 403 {
            problems.push(format!(
                "{method} {path}: documented as open, answered {}",
                without.status
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
