use std::path::Path;
use std::time::{Duration, Instant};

use chrono::DateTime;
use sma_spec::Intake::{Duplicate, New, ReusedId};
use sma_spec::{Message, MessageType};

use super::{BACKLOG, IntakeLog, Target, record};
use sma_store::{ErasureStore, EventStore, StoreError};
use sma_store_sqlite::SqliteStore;

fn page(id: &str, device: &str) -> Message {
    let raw = format!(
        r#"{{"type":"page","messageId":"{id}","anonymousId":"{device}","timestamp":"2024-03-01T09:00:00Z","context":{{"page":{{"url":"https://acme.io/?utm_source=news"}}}}}}"#
    );
    let at = DateTime::from_timestamp_millis(1_709_283_600_000).unwrap();
    Message::from_stored(&raw, MessageType::Page, at).unwrap()
}

fn body(ids: &[&str], device: &str) -> Vec<Message> {
    ids.iter().map(|id| page(id, device)).collect()
}

/// The store behind the log in these tests: real SQLite, and what the pipeline
/// does after storing reduced to reading each device's history back (which is
/// where a corrupt row shows).
#[derive(Clone)]
struct Stored(SqliteStore);

impl Target for Stored {
    async fn stored_under(&self, messages: &[Message]) -> Result<Vec<Option<Message>>, StoreError> {
        self.0.stored_under(messages).await
    }

    async fn erased(&self, message_ids: &[String]) -> Result<Vec<bool>, StoreError> {
        self.0.erased(message_ids).await
    }

    async fn apply(&self, messages: Vec<Message>) -> Result<(), StoreError> {
        self.0.put_events(&messages).await?;
        for device in messages.iter().filter_map(|m| m.anonymous_id.as_deref()) {
            self.0.device_events(device).await?;
        }
        Ok(())
    }
}

async fn logged(path: &Path) -> (SqliteStore, IntakeLog<Stored>) {
    let store = SqliteStore::open(path).unwrap();
    let log = IntakeLog::start(path, Stored(store.clone())).await.unwrap();
    (store, log)
}

/// Another process's write lock: nothing can be applied while it is held.
fn lock(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    conn
}

fn log_files(dir: &Path) -> Vec<(String, u64)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter_map(|e| {
            let name = e.file_name().into_string().unwrap();
            let number = name.strip_prefix("sma.db-intake.")?;
            number.parse::<u64>().ok()?;
            Some((name, e.metadata().unwrap().len()))
        })
        .collect();
    files.sort();
    files
}

/// What `kill -9` leaves: the files on disk while bodies were answered and
/// not applied (another process held the lock). A server started on them
/// applies those bodies before anything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_answered_and_not_applied_are_applied_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let crashed = tempfile::tempdir().unwrap();
    let (_store, log) = logged(&dir.path().join("sma.db")).await;
    let holder = lock(&dir.path().join("sma.db"));
    let done = log.take_in(body(&["m1", "m2"], "a1")).await.unwrap();
    assert_eq!(done, [New, New]);
    let again = log.take_in(body(&["m2", "m3"], "a1")).await.unwrap();
    assert_eq!(again, [Duplicate, New], "m2 waits in the log");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if !name.ends_with(".lock") && !name.ends_with("-shm") {
            std::fs::copy(entry.path(), crashed.path().join(name)).unwrap();
        }
    }
    assert_eq!(log_files(crashed.path()).len(), 1);

    let (restarted, _log) = logged(&crashed.path().join("sma.db")).await;
    let ids: Vec<String> = restarted
        .device_events("a1")
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    assert_eq!(ids, ["m1", "m2", "m3"]);
    let left = log_files(crashed.path());
    assert_eq!(
        left,
        [("sma.db-intake.1".to_owned(), 0)],
        "the replayed file is gone"
    );
    drop(holder);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_cut_short_by_a_crash_is_skipped_and_the_ones_before_applied() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = record::encode(&body(&["m1"], "a1"));
    bytes.extend(record::encode(&body(&["m2"], "a1")));
    let cut = record::encode(&body(&["m3"], "a1"));
    bytes.extend(&cut[..cut.len() / 2]);
    std::fs::write(dir.path().join("sma.db-intake.7"), bytes).unwrap();

    let (store, _log) = logged(&dir.path().join("sma.db")).await;
    let events = store.device_events("a1").await.unwrap();
    let ids: Vec<&str> = events.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2"]);
    assert_eq!(log_files(dir.path()), [("sma.db-intake.8".to_owned(), 0)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_backlog_is_unavailable_and_takes_bodies_again_once_applied() {
    let dir = tempfile::tempdir().unwrap();
    let (store, log) = logged(&dir.path().join("sma.db")).await;
    let holder = lock(&dir.path().join("sma.db"));
    let ids: Vec<String> = (0..BACKLOG).map(|i| format!("m{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    log.take_in(body(&ids, "a1")).await.unwrap();

    let started = Instant::now();
    let full = log.take_in(body(&["late"], "a1")).await.unwrap_err();
    assert!(
        matches!(&full, StoreError::Unavailable(e) if e.contains("intake log is full")),
        "{full}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(4500),
        "{:?}",
        started.elapsed()
    );

    holder.execute_batch("COMMIT").unwrap();
    let late = log.take_in(body(&["late"], "a1")).await.unwrap();
    assert_eq!(late, [New]);
    log.caught_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(store.device_events("a1").await.unwrap().len(), BACKLOG + 1);
}

/// Large messages fill the backlog by their size before their number does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_full_in_bytes_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let (store, log) = logged(&dir.path().join("sma.db")).await;
    let holder = lock(&dir.path().join("sma.db"));
    let mut big = page("big", "a1");
    big.raw = big
        .raw
        .replacen('{', &format!(r#"{{"pad":"{}","#, "x".repeat(20_000)), 1);
    log.take_in(vec![big]).await.unwrap();
    let full = log.take_in(body(&["late"], "a1")).await.unwrap_err();
    assert!(
        matches!(&full, StoreError::Unavailable(e) if e.contains("intake log is full")),
        "{full}"
    );
    holder.execute_batch("COMMIT").unwrap();
    assert_eq!(log.take_in(body(&["late"], "a1")).await.unwrap(), [New]);
    log.caught_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(store.device_events("a1").await.unwrap().len(), 2);
}

/// Under writes that never pause the log never empties at once: it is cut
/// into files, and each is deleted once everything in it is applied. (The
/// lock keeps anything from being applied until the files are counted.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_cut_into_files_each_deleted_once_applied() {
    let dir = tempfile::tempdir().unwrap();
    let (store, log) = logged(&dir.path().join("sma.db")).await;
    let holder = lock(&dir.path().join("sma.db"));
    for i in 0..BACKLOG {
        // Over 1 KiB a record: a few fill a 4 KiB test file.
        let raw = format!(
            r#"{{"type":"page","messageId":"m{i}","anonymousId":"a1","timestamp":"2024-03-01T09:00:00Z","properties":{{"padding":"{}"}}}}"#,
            "x".repeat(1024)
        );
        let at = DateTime::from_timestamp_millis(1_709_283_600_000).unwrap();
        let messages = vec![Message::from_stored(&raw, MessageType::Page, at).unwrap()];
        log.take_in(messages).await.unwrap();
    }
    let files = log_files(dir.path());
    assert!(files.len() >= 2, "{files:?}");
    assert!(files.iter().all(|&(_, bytes)| bytes > 0), "{files:?}");
    let current = files.last().unwrap().0.clone();

    holder.execute_batch("COMMIT").unwrap();
    log.caught_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(log_files(dir.path()), [(current, 0)]);
    assert_eq!(store.device_events("a1").await.unwrap().len(), BACKLOG);
}

#[tokio::test]
async fn a_second_server_on_the_same_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sma.db");
    let _first = logged(&path).await;
    let second = SqliteStore::open(&path).unwrap();
    let refused = IntakeLog::start(&path, Stored(second))
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("another sma serve"), "{refused}");
}

/// A body the database refuses for a reason other than being unavailable (here
/// a corrupt row in the device's history) is kept in `<db>-intake.failed`,
/// and its messageIds are free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_the_database_refuses_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sma.db");
    let (_store, log) = logged(&path).await;
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO events (message_id, type, anonymous_id, ts, raw) VALUES ('bad', 'bogus', 'a1', 0, '{}')",
            [],
        )
        .unwrap();

    let done = log.take_in(body(&["m1"], "a1")).await.unwrap();
    assert_eq!(done, [New]);
    log.caught_up(Duration::from_secs(10)).await.unwrap();

    let failed = std::fs::read(dir.path().join("sma.db-intake.failed")).unwrap();
    let (records, rest) = record::split(&failed);
    assert_eq!((records.len(), rest), (1, 0));
    assert_eq!(record::decode(records[0]).unwrap(), [page("m1", "a1")]);
    let again = log.take_in(body(&["m2"], "a1")).await.unwrap();
    assert_eq!(again, [New], "the log goes on");
}

/// A record that cannot be read back (a valid CRC around bad JSON) does not
/// stop the server from starting: it is set aside, the others applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_cannot_be_read_is_set_aside_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = record::encode(&body(&["m1"], "a1"));
    bytes.extend(record::frame(b"{\"messages\": 7}"));
    bytes.extend(record::encode(&body(&["m2"], "a1")));
    std::fs::write(dir.path().join("sma.db-intake.0"), bytes).unwrap();

    let (store, _log) = logged(&dir.path().join("sma.db")).await;
    assert_eq!(store.device_events("a1").await.unwrap().len(), 2);
    let failed = std::fs::read(dir.path().join("sma.db-intake.failed")).unwrap();
    assert_eq!(record::split(&failed).0, [b"{\"messages\": 7}".as_slice()]);
}

#[tokio::test]
async fn a_messageid_twice_in_one_body_is_new_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, log) = logged(&dir.path().join("sma.db")).await;
    let done = log.take_in(body(&["m1", "m1"], "a1")).await.unwrap();
    assert_eq!(done, [New, Duplicate]);
}

/// Another message under a taken id is refused and never logged, whether the
/// id is earlier in the body, waiting in the log or stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_message_under_a_taken_id_is_refused_and_not_logged() {
    let dir = tempfile::tempdir().unwrap();
    let (store, log) = logged(&dir.path().join("sma.db")).await;
    let in_body = log
        .take_in(vec![page("m1", "a1"), page("m1", "forged")])
        .await
        .unwrap();
    assert_eq!(in_body, [New, ReusedId]);
    let pending = log.take_in(vec![page("m1", "forged")]).await;
    assert_eq!(pending.unwrap(), [ReusedId]);
    log.caught_up(Duration::from_secs(5)).await.unwrap();
    let stored = log
        .take_in(vec![page("m1", "forged"), page("m1", "a1")])
        .await;
    assert_eq!(stored.unwrap(), [ReusedId, Duplicate]);
    log.caught_up(Duration::from_secs(5)).await.unwrap();
    assert!(store.device_events("forged").await.unwrap().is_empty());
    assert_eq!(store.device_events("a1").await.unwrap().len(), 1);
}
