//! An import killed midway (SIGKILL, no shutdown) and run again ends with the
//! store an uninterrupted import makes.

use std::process::Stdio;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::{Scratch, TABLES, count, dump, n};

#[test]
fn an_import_killed_midway_and_rerun_ends_like_an_uninterrupted_one() {
    let s = Scratch::new();
    let archive = s.generate("archive", 3000, 30, 9);
    let whole = s.path("whole.db");
    let (output, summary) = s.import(&whole, &[&archive]);
    assert!(output.status.success());
    let total = n(&summary, "stored") as i64;

    let killed = s.path("killed.db");
    let mut child = s
        .sma(&killed)
        // Commits every batch, so that the kill lands between commits.
        .args(["import", "--batch", "100", "--commit-every", "0"])
        .arg(&archive)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut at_kill = 0;
    while Instant::now() < deadline {
        if killed.exists() {
            // The schema may not exist yet in the first instants.
            let conn = Connection::open(&killed).unwrap();
            at_kill = conn
                .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
                .unwrap_or(0);
            if at_kill > 0 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert!(
        at_kill > 0 && at_kill < total,
        "killed after {at_kill} of {total} events"
    );

    let (output, rerun) = s.import(&killed, &[&archive]);
    assert!(output.status.success());
    assert_eq!(
        n(&rerun, "stored") as i64 + n(&rerun, "duplicates") as i64,
        n(&summary, "events") as i64
    );
    assert_eq!(count(&killed, "events"), total);
    let (a, b) = (dump(&whole), dump(&killed));
    for (table, (a, b)) in TABLES.iter().zip(a.iter().zip(&b)) {
        assert_eq!(a.len(), b.len(), "{table} row counts differ");
        assert!(a == b, "{table} contents differ");
    }
}
