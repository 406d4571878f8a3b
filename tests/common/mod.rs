//! The app under test, on an ephemeral port: in-process on the in-memory
//! store ([`spawn_app`], what most HTTP API tests need), or the real `sma
//! serve` binary on a temporary SQLite file ([`Server`], where the process,
//! the file or the intake log matter); and an HTTP client to talk to it.

#![allow(dead_code)] // each test file uses its own part of this

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A plain-HTTP client. reqwest's TLS stack is built without a default crypto
/// provider (sma uses ring, installed by the Segment client), so a client made
/// before any Segment client exists needs it installed too.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The app's router served in-process on the in-memory store, with the
/// settings `env` gives (over the defaults); it stops with the value.
pub struct TestApp {
    pub url: String,
    serving: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

impl TestApp {
    /// `host:port`.
    pub fn address(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.url.clone(),
            http: http_client(),
            headers: Vec::new(),
        }
    }
}

pub async fn spawn_app(env: &[(&str, &str)]) -> TestApp {
    let env: std::collections::HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = sma_app::Settings::from_lookup(|name| env.get(name).cloned())
        .expect("the test's settings are valid");
    let store = sma_store::memory::MemoryStore::new();
    let app = sma_app::App::new(settings, store).expect("the app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let serving = tokio::spawn(async move {
        axum::serve(listener, sma_app::router(app)).await.unwrap();
    });
    TestApp { url, serving }
}

pub struct Server {
    pub url: String,
    child: Child,
    pub db: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts `sma serve` on a fresh database.
    pub fn start(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sma.db");
        let mut server = Server::start_on(&db, env);
        server._dir = Some(dir);
        server
    }

    /// Starts `sma serve` on an existing (or new) database file.
    pub fn start_on(db: &Path, env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sma"));
        command
            .arg("serve")
            // Run from an empty directory so no developer's .env leaks in.
            .current_dir(db.parent().unwrap())
            .env_clear()
            .env("PORT", "0")
            .env("SMA_DB", db)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("sma starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("sma listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("sma prints its URL");
        Server {
            url,
            child,
            db: db.to_path_buf(),
            _dir: None,
        }
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.url.clone(),
            http: http_client(),
            headers: Vec::new(),
        }
    }

    /// Stops the server with SIGTERM and waits for it (graceful shutdown).
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        // Keep the directory alive until the caller is done with the file.
        std::mem::forget(self._dir.take());
        status
    }
}

impl Server {
    /// Kills the server with SIGKILL (no shutdown of any kind: a crash) and waits
    /// for it; the database file is kept for a restart with [`Server::start_on`].
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL delivered");
        self.child.wait().unwrap();
        std::mem::forget(self._dir.take());
    }
}

/// The server process as the kernel sees it, and raw sockets to it: for limits
/// an HTTP client would not let a test break.
impl Server {
    /// `host:port`.
    pub fn address(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    /// Resident memory of the process (`VmRSS`), in bytes.
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status");
        kib * 1024
    }

    /// File descriptors the process holds open.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .count()
    }

    /// A new connection that has sent `bytes`, with reads bounded by `within`.
    pub fn send_raw(&self, bytes: &[u8], within: Duration) -> std::net::TcpStream {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(self.address()).unwrap();
        stream.set_read_timeout(Some(within)).unwrap();
        stream.set_write_timeout(Some(within)).unwrap();
        // A server that refuses part of it may close before it is all written.
        let _ = stream.write_all(bytes);
        stream
    }
}

/// What the server answered on `stream` until it closed the connection or the
/// read timeout passed.
pub fn answer_of(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    headers: Vec<(String, String)>,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Client {
    pub fn with_header(mut self, name: &str, value: &str) -> Client {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub async fn post(&self, path: &str, body: impl Into<Vec<u8>>) -> Reply {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .body(body.into());
        self.send(request.header("content-type", "application/json"))
            .await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.post(path, body.to_string()).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    async fn send(&self, mut request: reqwest::RequestBuilder) -> Reply {
        for (k, v) in &self.headers {
            request = request.header(k, v);
        }
        let response = request.send().await.expect("request answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {status} {text:?}"));
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// A realistic browser page call, as analytics.js sends it through a webhook.
pub fn page(
    message_id: &str,
    anonymous_id: &str,
    timestamp: &str,
    url: &str,
    referrer: &str,
) -> Value {
    serde_json::json!({
        "type": "page",
        "messageId": message_id,
        "anonymousId": anonymous_id,
        "timestamp": timestamp,
        "receivedAt": timestamp,
        "name": "Landing",
        "properties": {"path": "/", "title": "Acme", "url": url, "referrer": referrer},
        "context": {
            "ip": "203.0.113.7",
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
            "locale": "en-US",
            "page": {"path": "/", "referrer": referrer, "title": "Acme", "url": url},
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
        }
    })
}

pub fn identify(message_id: &str, anonymous_id: &str, user_id: &str, timestamp: &str) -> Value {
    serde_json::json!({
        "type": "identify", "messageId": message_id, "anonymousId": anonymous_id,
        "userId": user_id, "timestamp": timestamp,
        "traits": {"email": format!("{user_id}@example.com"), "plan": "trial"},
        "context": {"library": {"name": "analytics.js", "version": "next-1.70.0"}}
    })
}

pub fn track(message_id: &str, user_id: &str, event: &str, timestamp: &str, revenue: f64) -> Value {
    serde_json::json!({
        "type": "track", "messageId": message_id, "userId": user_id, "event": event,
        "timestamp": timestamp, "properties": {"revenue": revenue, "currency": "USD"},
        "context": {"library": {"name": "analytics-node", "version": "2.1.0"}}
    })
}

/// The messages the recorder got from the `from`-th on, once `done` holds of
/// them (real-time sends happen in the background), or after 5 s.
pub async fn recorded_until(
    recorder: &segment_client::recorder::Recorder,
    from: usize,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let mut got = Vec::new();
    for _ in 0..100 {
        got = recorder.messages()[from..].to_vec();
        if done(&got) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    got
}
