use std::sync::Mutex;

use chrono::NaiveDate;
use rusqlite::Connection;

use super::blob::Counts;
use super::labelled::{self, SpelledDay};
use super::{PathDays, PathIds, give_ids, sums};

fn store() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::tables::schema::migrate(&mut conn).unwrap();
    conn
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
}

fn path(p: &[&str]) -> Vec<String> {
    p.iter().map(|c| c.to_string()).collect()
}

fn counts(conversions: i64, non_conversions: i64) -> Counts {
    Counts {
        conversions,
        non_conversions,
        value: 10.0 * conversions as f64,
        days: 1.5,
    }
}

/// The totals of `[from, to)`, spelled and sorted by path.
fn spelled(
    conn: &Connection,
    ids: &Mutex<PathIds>,
    from: u32,
    to: u32,
) -> Vec<(Vec<String>, i64, i64)> {
    let mut got: Vec<_> = sums(conn, ids, day(from), day(to))
        .unwrap()
        .spelled()
        .into_iter()
        .map(|t| (t.path, t.conversions, t.non_conversions))
        .collect();
    got.sort();
    got
}

fn paths_stored(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM paths", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_path_keeps_its_id_and_a_reader_learns_the_paths_given_since() {
    let conn = store();
    let ids = Mutex::new(PathIds::default());
    let mut first = PathDays::default();
    first.add_path(day(1), path(&["Email", "Direct"]), counts(1, 0));
    first.add_path(day(2), path(&["Email", "Direct"]), counts(0, 2));
    first.write(&conn).unwrap();
    assert_eq!(
        spelled(&conn, &ids, 1, 3),
        [(path(&["Email", "Direct"]), 1, 2)]
    );
    let mut second = PathDays::default();
    second.add_path(day(2), path(&["Email", "Direct"]), counts(2, 0));
    second.add_path(day(2), path(&["Referral"]), counts(0, 1));
    second.write(&conn).unwrap();
    assert_eq!(
        paths_stored(&conn),
        2,
        "one row per path, however many days"
    );
    assert_eq!(
        spelled(&conn, &ids, 1, 3),
        [
            (path(&["Email", "Direct"]), 3, 2),
            (path(&["Referral"]), 0, 1)
        ]
    );
    assert_eq!(
        spelled(&conn, &ids, 1, 2),
        [(path(&["Email", "Direct"]), 1, 0)]
    );
    // A path taken back to no journey leaves the sums; its day goes with it.
    let mut back = PathDays::default();
    back.add_path(day(1), path(&["Email", "Direct"]), counts(-1, 0));
    back.write(&conn).unwrap();
    assert_eq!(spelled(&conn, &ids, 1, 2), []);
    let days: i64 = conn
        .query_row("SELECT count(*) FROM path_days", [], |r| r.get(0))
        .unwrap();
    assert_eq!(days, 1);
}

#[test]
fn a_day_that_names_an_unknown_path_is_an_error() {
    let conn = store();
    let mut day_one = PathDays::default();
    day_one.add_path(day(1), path(&["Email"]), counts(1, 0));
    day_one.write(&conn).unwrap();
    conn.execute("DELETE FROM paths", []).unwrap();
    let error = sums(&conn, &Mutex::new(PathIds::default()), day(1), day(2)).unwrap_err();
    assert!(error.to_string().contains("not in paths"), "{error}");
}

/// Schema 13 packed each day with its own table of labels: schema 14 packs the
/// same sums by path id.
#[test]
fn days_packed_with_labels_are_packed_again_by_id() {
    let conn = store();
    let labelled_day = |entries: &[(&[&str], Counts)]| -> Vec<u8> {
        let day: SpelledDay = entries.iter().map(|(p, c)| (path(p), *c)).collect();
        labelled::pack(&day).unwrap()
    };
    conn.execute(
        "INSERT INTO path_days (day, totals) VALUES ('2024-03-01', ?1), ('2024-03-02', ?2)",
        (
            labelled_day(&[
                (&["Email", "Direct"], counts(1, 0)),
                (&["Referral"], counts(0, 3)),
            ]),
            labelled_day(&[(&["Email", "Direct"], counts(2, 1))]),
        ),
    )
    .unwrap();
    give_ids(&conn).unwrap();
    assert_eq!(paths_stored(&conn), 2);
    assert_eq!(
        spelled(&conn, &Mutex::new(PathIds::default()), 1, 3),
        [
            (path(&["Email", "Direct"]), 3, 1),
            (path(&["Referral"]), 0, 3)
        ]
    );
}
