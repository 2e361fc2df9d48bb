//! The hand-made screening fixture (issue 5, correctness): 50 households in
//! `tests/fixture/screening/`, the feed files they are screened against, and `expected.csv`, the
//! (household, rule) warnings each must get (`warn`) and must not get (`no_warn`).
//!
//! The registry file is formats.md §1 with two fixture-only columns, `member_from` and
//! `member_until` (a membership holds on `member_from <= date < member_until`): the test keeps
//! the memberships that hold on the reference date, as the store's as-of read does, so a person
//! who moved is a member of the household they are in on that date. Everything else goes through
//! the real parsers (registry, income, every feed) and the shipped Hunan 2026 pack.
//!
//! The test asserts the full set: any rule change that adds or removes a warning fails it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use uplift_app::feeds::screening::add_household;
use uplift_app::feeds::{decode_data, encode_data, parse_feed};
use uplift_app::import::registry::{attach_incomes, parse_incomes, parse_registry};
use uplift_app::import::table::{FileKind, Table};
use uplift_screen::{Evidence, FeedKind, FeedRecord, Registry, RuleCode, screen};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixture/screening")
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
}

fn date(s: &str) -> Option<NaiveDate> {
    (!s.is_empty()).then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

/// The registry rows whose membership holds on the reference date, as formats.md §1 CSV.
fn registry_as_of(on: NaiveDate) -> Vec<u8> {
    let mut reader = csv::Reader::from_path(dir().join("registry.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let from = headers.iter().position(|h| h == "member_from").unwrap();
    let until = headers.iter().position(|h| h == "member_until").unwrap();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers).unwrap();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let starts = date(&rec[from]).is_none_or(|d| d <= on);
        let ends = date(&rec[until]).is_none_or(|d| d > on);
        if starts && ends {
            out.write_record(&rec).unwrap();
        }
    }
    out.into_inner().unwrap()
}

fn table(name: &str, bytes: Vec<u8>) -> Table {
    Table::from_bytes(name, FileKind::Csv, bytes).unwrap()
}

fn pack() -> uplift_domain::policy::PolicyPack {
    let book = uplift_app::policy::shipped().unwrap();
    let region = uplift_domain::region::RegionCode::parse("431026103201").unwrap();
    book.in_force(&region, as_of()).unwrap().clone()
}

fn registry() -> Registry {
    let mut reg = table("registry.csv", registry_as_of(as_of()));
    let mut file = parse_registry(&mut reg, as_of()).unwrap();
    assert!(file.issues.is_empty(), "{:?}", file.issues);
    let bytes = std::fs::read(dir().join("income.csv")).unwrap();
    let incomes = parse_incomes(&mut table("income.csv", bytes)).unwrap();
    assert!(incomes.issues.is_empty(), "{:?}", incomes.issues);
    assert!(attach_incomes(&mut file.households, incomes.incomes).is_empty());
    let pack = pack();
    let mut registry = Registry::default();
    for (i, h) in file.households.iter().enumerate() {
        add_household(
            &mut registry,
            i as i64 + 1,
            &h.household,
            h.members.iter().map(|m| &m.person),
            h.incomes.iter().map(|i| &i.income),
            Some(&pack),
        );
    }
    registry
}

/// Every feed file, one batch each, in this order (the resend and reversal are in batch 11).
const FEEDS: [(&str, FeedKind); 11] = [
    ("medical_1.csv", FeedKind::Medical),
    ("civil_affairs.csv", FeedKind::CivilAffairs),
    ("disability.csv", FeedKind::Disability),
    ("education.csv", FeedKind::Education),
    ("employment.csv", FeedKind::Employment),
    ("housing.csv", FeedKind::Housing),
    ("water.csv", FeedKind::Water),
    ("disaster.csv", FeedKind::Disaster),
    ("civil_registry.csv", FeedKind::CivilRegistry),
    ("assets.csv", FeedKind::Assets),
    ("medical_2.csv", FeedKind::Medical),
];

fn records() -> Vec<FeedRecord> {
    let mut out = Vec::new();
    for (i, (file, kind)) in FEEDS.iter().enumerate() {
        let bytes = std::fs::read(dir().join(file)).unwrap();
        let parsed = parse_feed(*kind, file, bytes).unwrap();
        for r in parsed.rows {
            out.push(FeedRecord {
                evidence: Evidence {
                    feed: *kind,
                    batch: i as i64 + 1,
                    row: r.row,
                },
                record_id: r.record_id,
                reversal: r.reversal,
                target: r.target,
                // Through the store's encoding, as a run reads them back.
                data: decode_data(*kind, &encode_data(&r.data)).unwrap(),
            });
        }
    }
    out
}

struct Expected {
    warn: BTreeSet<(String, String)>,
    no_warn: BTreeSet<(String, String)>,
    households: BTreeSet<String>,
}

fn expected() -> Expected {
    let mut reader = csv::Reader::from_path(dir().join("expected.csv")).unwrap();
    let mut e = Expected {
        warn: BTreeSet::new(),
        no_warn: BTreeSet::new(),
        households: BTreeSet::new(),
    };
    for rec in reader.records() {
        let rec = rec.unwrap();
        let key = (rec[0].to_owned(), rec[1].to_owned());
        assert!(
            RuleCode::parse(&rec[1]).is_some(),
            "unknown rule {}",
            &rec[1]
        );
        e.households.insert(rec[0].to_owned());
        match &rec[2] {
            "warn" => e.warn.insert(key),
            "no_warn" => e.no_warn.insert(key),
            other => panic!("expect must be warn or no_warn, not {other}"),
        };
    }
    e
}

#[test]
fn every_household_gets_exactly_the_expected_warnings() {
    let registry = registry();
    let records = records();
    let screened = screen(&registry, &records, &pack(), as_of());
    let got: BTreeSet<(String, String)> = screened
        .findings
        .iter()
        .map(|f| {
            (
                registry.households[f.household as usize]
                    .household_no
                    .clone(),
                f.rule.as_str().to_owned(),
            )
        })
        .collect();
    let e = expected();

    assert!(
        e.households.len() >= 40,
        "{} households",
        e.households.len()
    );
    assert_eq!(registry.households.len(), e.households.len());
    for rule in RuleCode::ALL {
        assert!(
            e.warn.iter().any(|(_, r)| r == rule.as_str()),
            "no household of the fixture must get {}",
            rule.as_str()
        );
    }
    assert!(e.warn.is_disjoint(&e.no_warn));

    let missing: Vec<_> = e.warn.difference(&got).collect();
    let extra: Vec<_> = got.difference(&e.warn).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing warnings {missing:?}\nunexpected warnings {extra:?}"
    );
    let wrongly: Vec<_> = e.no_warn.intersection(&got).collect();
    assert!(wrongly.is_empty(), "{wrongly:?}");

    // The one feed row naming nobody is reported, not dropped.
    assert_eq!(screened.unmatched.len(), 1);
    assert_eq!(screened.unmatched[0].feed, FeedKind::Medical);

    // Assets are counter-evidence beside a warning (household 41), never a warning alone (40).
    let with_assets: Vec<&str> = screened
        .counter_evidence
        .keys()
        .map(|&h| registry.households[h as usize].household_no.as_str())
        .collect();
    assert_eq!(with_assets, ["4310261032010041"]);
}

#[test]
fn the_moved_person_belongs_to_the_household_of_the_reference_date() {
    // Before the move (2026-01-15) the same settlement warns the household they lived in.
    let before = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    let mut reg = table("registry.csv", registry_as_of(before));
    let file = parse_registry(&mut reg, before).unwrap();
    let pack = pack();
    let mut registry = Registry::default();
    for (i, h) in file.households.iter().enumerate() {
        add_household(
            &mut registry,
            i as i64 + 1,
            &h.household,
            h.members.iter().map(|m| &m.person),
            std::iter::empty(),
            Some(&pack),
        );
    }
    let screened = screen(&registry, &records(), &pack, before);
    let stays: BTreeSet<&str> = screened
        .findings
        .iter()
        .filter(|f| f.rule == RuleCode::MedicalPerStay)
        .map(|f| {
            registry.households[f.household as usize]
                .household_no
                .as_str()
        })
        .filter(|no| *no == "4310261032010042" || *no == "4310261032010043")
        .collect();
    assert_eq!(stays, BTreeSet::from(["4310261032010042"]));
}
