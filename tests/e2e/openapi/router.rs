//! The router's routes, read from its source as text: what the spec must
//! describe exactly.

use std::collections::BTreeSet;

use super::{METHODS, root};

/// (METHOD, path) of every `.route(...)` in the router's source, read as text.
pub fn router_routes() -> BTreeSet<(String, String)> {
    let dir = root().join("crates/app/src/http");
    let mut routes = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("router source directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for forbidden in [".nest(", ".merge(", ".route_service("] {
            assert!(
                !source.contains(forbidden),
                "{}: `{forbidden}` is not read by this test; teach router_routes() about it",
                file.display()
            );
        }
        let mut rest = source.as_str();
        while let Some(at) = rest.find(".route(") {
            let args = &rest[at + ".route(".len()..];
            let end = closing_paren(args);
            let (path, methods) = route_args(&args[..end]);
            assert!(
                !methods.is_empty(),
                "{}: cannot tell the methods of route {path}",
                file.display()
            );
            for method in methods {
                routes.insert((method, path.clone()));
            }
            rest = &args[end..];
        }
    }
    routes
}

/// Index of the `)` closing an argument list whose `(` was just before `text`.
fn closing_paren(text: &str) -> usize {
    let mut depth = 0;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' if depth == 0 => return i,
            ')' => depth -= 1,
            _ => {}
        }
    }
    panic!("unbalanced .route( in the router source");
}

/// The path literal and the HTTP methods of `"/path", get(h).post(h2)`.
fn route_args(args: &str) -> (String, Vec<String>) {
    let args = args.trim_start();
    let literal = args
        .strip_prefix('"')
        .expect("route path is a string literal");
    let close = literal.find('"').expect("route path literal ends");
    let path = literal[..close].to_owned();
    let handlers = &literal[close + 1..];
    let mut methods = Vec::new();
    let bytes = handlers.as_bytes();
    for method in METHODS.iter().chain(["any"].iter()) {
        let needle = format!("{method}(");
        let mut from = 0;
        while let Some(found) = handlers[from..].find(&needle) {
            let i = from + found;
            from = i + needle.len();
            // `get(` as a routing function or a chained `.get(`; not `x_get(` nor
            // `module::get(` of some other module.
            let before = handlers[..i].trim_end();
            let standalone =
                i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
            let qualified = before.ends_with("::") && !before.ends_with("routing::");
            if standalone && !qualified {
                if *method == "any" {
                    methods.extend(METHODS.iter().map(|m| m.to_ascii_uppercase()));
                } else {
                    methods.push(method.to_ascii_uppercase());
                }
            }
        }
    }
    // axum answers HEAD wherever it answers GET.
    if methods.iter().any(|m| m == "GET") {
        methods.push("HEAD".into());
    }
    (path, methods)
}
