//! Contract: in an encrypted database no ID number is left in plain text in any table, after
//! feeds are imported and screened (issue 8 §6): the feed rows' person targets are sealed with the
//! field cipher and looked up by the same HMAC keys, and screening still finds its households.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use uplift_app::App;
use uplift_app::feeds::screening::{
    ScreenMode, Uploader, all_warnings, import_parsed, rule_pairs, run_screening,
};
use uplift_app::feeds::store::{FeedStore, WarningFilter};
use uplift_app::feeds::{FeedKind, ParsedFeed, parse_feed};
use uplift_app::store::Clock;
use uplift_db::{Algorithm, DataKey, Db};
use uplift_domain::resident_id::check_char;

use crate::contract;
use crate::registry::seed;
use crate::support::{d, t};

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
/// A valid ID number of nobody in the registry (an unmatched feed row keeps it).
const NOBODY: &str = "11010519491231002X";

struct FixedClock(DateTime<FixedOffset>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0
    }
}

fn app(db: &Db) -> App {
    App::new(
        db.store(),
        Arc::new(FixedClock(t("2026-04-01T09:00:00+08:00"))),
        uplift_app::policy::shipped().unwrap(),
    )
}

/// A seeded person's ID number, with its check character.
fn id(first17: &str) -> String {
    format!("{first17}{}", check_char(first17))
}

fn medical(file: &str, rows: &[(&str, &str, &str, &str)]) -> ParsedFeed {
    let mut csv = String::from(
        "id_number,settlement_date,total_cost,compliant_out_of_pocket,record_id,record_status\n",
    );
    for (id, date, cost, rid) in rows {
        csv.push_str(&format!("{id},{date},{cost},{cost},{rid},\n"));
    }
    parse_feed(FeedKind::Medical, file, csv.into_bytes()).unwrap()
}

/// Every 18-character ID number (17 digits and a check character that is right for them, not
/// part of a longer run of letters and digits) in any text cell of any table: the database's
/// snapshot holds every column of every table.
async fn plain_id_numbers(db: &Db) -> Vec<String> {
    let mut out = Vec::new();
    db.backup(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut found = Vec::new();
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut cells = Vec::new();
        strings(&value, &mut cells);
        for cell in cells {
            found.extend(id_numbers_in(cell));
        }
    }
    found.sort();
    found.dedup();
    found
}

fn strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn id_numbers_in(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let word = &s[start..i];
        let w = word.as_bytes();
        if w.len() == 18
            && w[..17].iter().all(u8::is_ascii_digit)
            && check_char(&word[..17]) == w[17].to_ascii_uppercase() as char
        {
            found.push(word.to_owned());
        }
    }
    found
}

async fn open_pairs(app: &App) -> Vec<(String, String)> {
    let filter = WarningFilter {
        state: Some("open".into()),
        ..WarningFilter::everything()
    };
    rule_pairs(&all_warnings(app, &filter).await.unwrap())
}

async fn feeds_and_warnings_hold_no_plain_id_number(db: Db, algorithm: Algorithm) {
    seed(&db).await;
    let app = app(&db);
    let head = id("43102619700301001");
    let spouse = id("43102619720415002");
    assert_eq!(id_numbers_in(&format!("x:{head},{NOBODY};")).len(), 2);

    // A plain database: the scan finds the registry's and the feed's ID numbers.
    let first = import_parsed(
        &app,
        medical(
            "m1.csv",
            &[
                (&head, "2026-03-01", "40000", "S1"),
                (NOBODY, "2026-03-02", "500", "S2"),
            ],
        ),
        &Uploader::machine("clerk"),
    )
    .await
    .unwrap();
    assert_eq!(first.batch.batch.unmatched, 1);
    run_screening(&app, d("2026-04-01"), ScreenMode::Batch)
        .await
        .unwrap();
    let before_pairs = open_pairs(&app).await;
    assert!(
        before_pairs.contains(&("4310260010001".into(), "MEDICAL_PER_STAY".into())),
        "{before_pairs:?}"
    );
    let before_rows = db.feed_rows().await.unwrap();
    let plain = plain_id_numbers(&db).await;
    assert!(
        plain.contains(&head) && plain.contains(&spouse) && plain.contains(&NOBODY.to_owned()),
        "{plain:?}"
    );

    // `uplift encrypt` seals the stored feed rows with the registry.
    let key = DataKey::parse(KEY).unwrap();
    let (db, report) = db
        .encrypt_fields(algorithm, &key, "contract")
        .await
        .unwrap();
    assert_eq!(report.feed_rows, 2);
    assert_eq!(plain_id_numbers(&db).await, Vec::<String>::new());
    // Read back, the rows are what they were (the unmatched one too).
    assert_eq!(db.feed_rows().await.unwrap(), before_rows);
    let unmatched = db.unmatched_feed_rows(first.batch.id).await.unwrap();
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0].target, format!("P:{NOBODY}"));

    // Feeds imported and screened after the encryption: sealed, and still matched and screened.
    let app = self::app(&db);
    let second = import_parsed(
        &app,
        medical(
            "m2.csv",
            &[
                (&spouse, "2026-03-10", "40000", "S3"),
                (NOBODY, "2026-03-11", "700", "S4"),
            ],
        ),
        &Uploader::machine("clerk"),
    )
    .await
    .unwrap();
    assert_eq!(
        (second.batch.batch.matched, second.batch.batch.unmatched),
        (1, 1)
    );
    let run = run_screening(&app, d("2026-04-02"), ScreenMode::Batch)
        .await
        .unwrap();
    assert!(!run.already);
    let after_pairs = open_pairs(&app).await;
    assert!(
        before_pairs.iter().all(|p| after_pairs.contains(p)),
        "{before_pairs:?} {after_pairs:?}"
    );
    assert!(run.run.inputs.contains("feed_rows=4"), "{:?}", run.run);
    let rows = db.feed_rows().await.unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[2].target, format!("P:{spouse}"));
    assert_eq!(plain_id_numbers(&db).await, Vec::<String>::new());

    // The lookup column holds the HMAC key of the ID number, the same for the same person.
    let mut out = Vec::new();
    db.backup(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    let header = lines
        .by_ref()
        .find(|l| l.contains("\"table\":\"feed_rows\""))
        .unwrap();
    let header: serde_json::Value = serde_json::from_str(header).unwrap();
    let columns: Vec<String> = serde_json::from_value(header["columns"].clone()).unwrap();
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
    let (target, lookup) = (at("target"), at("target_lookup"));
    let mut stored: Vec<serde_json::Value> = lines
        .take(4)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (batch, row) = (at("batch_id"), at("row_no"));
    stored.sort_by_key(|r| (r[batch].as_i64().unwrap(), r[row].as_i64().unwrap()));
    let lookups: Vec<&str> = stored.iter().map(|r| r[lookup].as_str().unwrap()).collect();
    for (r, l) in stored.iter().zip(&lookups) {
        let t = r[target].as_str().unwrap();
        assert!(
            t.starts_with(&format!("P:enc:{}:", algorithm.name())),
            "{t}"
        );
        assert!(l.starts_with("P:") && l.len() == 2 + 64, "{l}");
    }
    // Rows 2 and 4 both name NOBODY: one lookup key, two different ciphertexts.
    assert_eq!(lookups[1], lookups[3]);
    assert_ne!(lookups[0], lookups[1]);
    assert_ne!(stored[1][target], stored[3][target]);

    // Without the key the rows are not read as data.
    assert!(db.clone().unlock(None).await.is_err());
}

async fn sm4_feeds_hold_no_plain_id_number(db: Db) {
    feeds_and_warnings_hold_no_plain_id_number(db, Algorithm::Sm4Gcm).await;
}
contract!(sm4_feeds_hold_no_plain_id_number);

async fn aes_feeds_hold_no_plain_id_number(db: Db) {
    feeds_and_warnings_hold_no_plain_id_number(db, Algorithm::Aes256Gcm).await;
}
contract!(aes_feeds_hold_no_plain_id_number);
