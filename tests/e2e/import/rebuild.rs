//! `sma rebuild`: what an import derived and settled, derived and settled
//! again from the stored events alone.

use super::{Scratch, TABLES, dump};
use rusqlite::Connection;

#[test]
fn rebuild_derives_and_settles_what_the_import_did_from_the_events_alone() {
    let s = Scratch::new();
    let archive = s.generate("archive", 300, 20, 11);
    let db = s.path("sma.db");
    let (output, _) = s.import(&db, &[&archive]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let imported = dump(&db);
    assert!(
        !imported[2].is_empty() && !imported[5].is_empty(),
        "touches and conversions"
    );

    let conn = Connection::open(&db).unwrap();
    // Everything but the raw events and claims: what `sma rebuild` writes.
    for table in &TABLES[2..] {
        conn.execute(&format!("DELETE FROM {table}"), []).unwrap();
    }
    drop(conn);
    assert_ne!(dump(&db), imported);

    let rebuild = || {
        let output = s.sma(&db).arg("rebuild").output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stderr).contains("rebuilt:"));
    };
    rebuild();
    assert_eq!(dump(&db), imported, "rebuild differs from the import");
    assert!(
        !s.path("sma.db-rebuild").exists(),
        "a finished rebuild leaves no checkpoint"
    );
    rebuild();
    assert_eq!(dump(&db), imported, "a second rebuild changed the store");
}
