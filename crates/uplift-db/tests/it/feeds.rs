//! Contract: feed batches, screening runs and warnings (issue 5).

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use uplift_app::App;
use uplift_app::feeds::screening::{
    ScreenMode, Uploader, all_warnings, import_parsed, run_screening,
};
use uplift_app::feeds::store::{
    FeedScope, FeedStore, NewFeedBatch, NewWarning, ScreeningRun, SnapshotRows, WarningFilter,
};
use uplift_app::feeds::{FeedKind, parse_feed};
use uplift_app::store::{Clock, HouseholdId, Page, Scope, StoreError};
use uplift_db::Db;
use uplift_domain::region::{RegionCode, RegionLevel};

use crate::contract;
use crate::registry::seed;
use crate::support::{d, t};

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

/// The seeded head of the first household (李建国), with his check character.
fn head_id() -> String {
    let id17 = "43102619700301001";
    format!("{id17}{}", uplift_domain::resident_id::check_char(id17))
}

const NOBODY: &str = "11010519491231002X";

fn medical(file: &str, rows: &[(&str, &str, &str, &str)]) -> uplift_app::feeds::ParsedFeed {
    let mut csv = String::from(
        "id_number,settlement_date,total_cost,compliant_out_of_pocket,record_id,record_status\n",
    );
    for (id, date, cost, rid) in rows {
        let (rid, status) = rid.split_once(':').unwrap_or((rid, ""));
        csv.push_str(&format!("{id},{date},{cost},{cost},{rid},{status}\n"));
    }
    parse_feed(FeedKind::Medical, file, csv.into_bytes()).unwrap()
}

fn as_of() -> NaiveDate {
    d("2026-04-01")
}

async fn open_pairs(app: &App) -> Vec<(String, String)> {
    let filter = WarningFilter {
        state: Some("open".into()),
        ..WarningFilter::everything()
    };
    uplift_app::feeds::screening::rule_pairs(&all_warnings(app, &filter).await.unwrap())
}

async fn a_batch_is_stored_once_and_its_unmatched_rows_are_kept(db: Db) {
    seed(&db).await;
    let app = app(&db);
    let head = head_id();
    let parsed = medical(
        "m1.csv",
        &[
            (&head, "2026-03-01", "12000", "S1"),
            (NOBODY, "2026-03-02", "500", "S2"),
        ],
    );
    let out = import_parsed(&app, parsed.clone(), &Uploader::machine("clerk"))
        .await
        .unwrap();
    assert!(!out.already);
    assert_eq!((out.batch.batch.matched, out.batch.batch.unmatched), (1, 1));
    assert_eq!(out.unmatched, vec![(3, NOBODY.to_owned())]);
    let kept = db.unmatched_feed_rows(out.batch.id).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].row, 3);
    assert!(!kept[0].matched);
    assert_eq!(db.feed_rows().await.unwrap().len(), 2);

    // The same file again writes nothing.
    let again = import_parsed(&app, parsed.clone(), &Uploader::machine("clerk"))
        .await
        .unwrap();
    assert!(again.already);
    assert_eq!(again.batch.id, out.batch.id);
    assert_eq!(
        db.feed_batches(&FeedScope::default()).await.unwrap().len(),
        1
    );
    assert_eq!(db.feed_rows().await.unwrap().len(), 2);
    // And the store itself refuses a second batch with the same checksum.
    let dup = db.save_feed_batch(&out.batch.batch, &[]).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    assert_eq!(
        db.feed_batch_by_checksum(&parsed.checksum)
            .await
            .unwrap()
            .map(|b| b.id),
        Some(out.batch.id)
    );
}
contract!(a_batch_is_stored_once_and_its_unmatched_rows_are_kept);

async fn batches_are_seen_by_their_region_and_department(db: Db) {
    let (_, villages) = seed(&db).await;
    let township_a = villages[0].ancestor(RegionLevel::Township).unwrap();
    let township_b = villages[1].ancestor(RegionLevel::Township).unwrap();
    let county = villages[0].ancestor(RegionLevel::County).unwrap();
    let batch = |n: u8, region: Option<RegionCode>, dep: Option<&str>| NewFeedBatch {
        kind: "medical".into(),
        source: format!("f{n}.csv"),
        period_from: None,
        period_to: None,
        checksum: format!("c{n}"),
        imported_at: "2026-04-01T09:00:00.000000+08:00".into(),
        actor: "x".into(),
        rows: 0,
        matched: 0,
        unmatched: 0,
        region,
        department: dep.map(str::to_owned),
    };
    let a = db
        .save_feed_batch(&batch(1, Some(township_a), Some("medical")), &[])
        .await
        .unwrap();
    let b = db
        .save_feed_batch(&batch(2, Some(township_b), Some("medical")), &[])
        .await
        .unwrap();
    let c = db
        .save_feed_batch(&batch(3, Some(county), Some("education")), &[])
        .await
        .unwrap();
    let m = db
        .save_feed_batch(&batch(4, None, None), &[])
        .await
        .unwrap();
    let ids = |v: Vec<uplift_app::feeds::store::FeedBatch>| -> Vec<i64> {
        v.into_iter().map(|b| b.id).collect()
    };
    let everything = FeedScope::default();
    assert_eq!(
        ids(db.feed_batches(&everything).await.unwrap()),
        vec![a.id, b.id, c.id, m.id]
    );
    let clerk_a = FeedScope {
        region: Some(township_a),
        department: Some("medical".into()),
    };
    assert_eq!(ids(db.feed_batches(&clerk_a).await.unwrap()), vec![a.id]);
    let county_officer = FeedScope {
        region: Some(county),
        department: None,
    };
    assert_eq!(
        ids(db.feed_batches(&county_officer).await.unwrap()),
        vec![a.id, b.id, c.id, m.id]
    );
    assert!(db.feed_batch(b.id, &clerk_a).await.unwrap().is_none());
    assert_eq!(
        db.feed_batch(a.id, &clerk_a).await.unwrap().map(|b| b.id),
        Some(a.id)
    );
}
contract!(batches_are_seen_by_their_region_and_department);

async fn a_resent_row_counts_once_and_a_reversal_cancels_it(db: Db) {
    seed(&db).await;
    let app = app(&db);
    let head = head_id();
    let first = import_parsed(
        &app,
        medical("m1.csv", &[(&head, "2026-03-01", "20000", "S1")]),
        &Uploader::machine("x"),
    )
    .await
    .unwrap();
    // The later, overlapping export sends S1 again with a new row.
    let second = import_parsed(
        &app,
        medical(
            "m2.csv",
            &[
                (&head, "2026-03-01", "20000", "S1"),
                (&head, "2026-03-20", "500", "S3"),
            ],
        ),
        &Uploader::machine("x"),
    )
    .await
    .unwrap();
    assert_ne!(first.batch.id, second.batch.id);
    run_screening(&app, as_of(), ScreenMode::Batch)
        .await
        .unwrap();
    let pairs = open_pairs(&app).await;
    // 20,000 + 500 (not 40,500) is not above the 30,000 focus total.
    assert!(pairs.contains(&("4310260010001".into(), "MEDICAL_PER_STAY".into())));
    assert!(
        !pairs.iter().any(|(_, r)| r == "MEDICAL_12_MONTHS"),
        "{pairs:?}"
    );

    let reversal = import_parsed(
        &app,
        medical("m3.csv", &[(&head, "2026-03-01", "20000", "S1:冲销")]),
        &Uploader::machine("x"),
    )
    .await
    .unwrap();
    let run = run_screening(
        &app,
        as_of(),
        ScreenMode::Incremental(vec![reversal.batch.id]),
    )
    .await
    .unwrap();
    assert!(run.run.warnings_withdrawn >= 1, "{:?}", run.run);
    let pairs = open_pairs(&app).await;
    assert!(
        !pairs
            .iter()
            .any(|(h, r)| h == "4310260010001" && r.starts_with("MEDICAL")),
        "{pairs:?}"
    );
}
contract!(a_resent_row_counts_once_and_a_reversal_cancels_it);

fn run(key: &str) -> ScreeningRun {
    ScreeningRun {
        key: key.into(),
        as_of: as_of(),
        mode: "batch".into(),
        started_at: "2026-04-01T09:00:00.000000+08:00".into(),
        duration_ms: 1,
        summary: "MEDICAL_PER_STAY=1".into(),
        inputs: "batches=1".into(),
        warnings_new: 0,
        warnings_updated: 0,
        warnings_withdrawn: 0,
    }
}

fn warning(h: HouseholdId, no: &str, village: RegionCode, risk: &str, rules: &str) -> NewWarning {
    let v = village.as_str().to_owned();
    NewWarning {
        household_id: h.0,
        household_no: no.into(),
        township: format!("{}000", &v[..9]),
        village: v,
        risk_type: risk.into(),
        rules: rules.into(),
        explanation: format!("规则 Rule {rules}"),
        due: d("2026-04-16"),
    }
}

async fn a_run_is_written_whole_or_not_at_all(db: Db) {
    let (ids, villages) = seed(&db).await;
    let good = warning(
        ids[0],
        "4310260010001",
        villages[0],
        "01",
        "MEDICAL_PER_STAY",
    );
    // A warning for a household that does not exist fails the run after the first was written.
    let bad = warning(
        HouseholdId(999_999),
        "x",
        villages[0],
        "01",
        "MEDICAL_PER_STAY",
    );
    let out = db
        .record_screening_run(&run("k1"), &[good.clone(), bad], &[ids[0].0])
        .await;
    assert!(out.is_err());
    assert!(db.screening_run("k1").await.unwrap().is_none());
    let all = db
        .warnings(&WarningFilter::everything(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(all.total, 0);
    // The same run, whole, is then written.
    let ok = db
        .record_screening_run(&run("k1"), &[good], &[ids[0].0])
        .await
        .unwrap();
    assert_eq!(ok.warnings_new, 1);
    let stored = db.screening_run("k1").await.unwrap().unwrap();
    assert_eq!(stored.warnings_new, 1);
    assert_eq!(stored.summary, "MEDICAL_PER_STAY=1");
    // A second run with the same key is refused, and changes nothing.
    let again = db.record_screening_run(&run("k1"), &[], &[ids[0].0]).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let open = db
        .warnings(
            &WarningFilter {
                state: Some("open".into()),
                ..WarningFilter::everything()
            },
            Page::new(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(open.total, 1);
}
contract!(a_run_is_written_whole_or_not_at_all);

async fn one_open_warning_per_household_and_risk(db: Db) {
    let (ids, villages) = seed(&db).await;
    let w1 = warning(
        ids[0],
        "4310260010001",
        villages[0],
        "01",
        "MEDICAL_PER_STAY",
    );
    let first = db
        .record_screening_run(&run("k1"), &[w1], &[ids[0].0])
        .await
        .unwrap();
    assert_eq!((first.warnings_new, first.warnings_updated), (1, 0));
    // A new hit of the same household and risk updates the open warning.
    let w2 = warning(
        ids[0],
        "4310260010001",
        villages[0],
        "01",
        "MEDICAL_12_MONTHS,MEDICAL_PER_STAY",
    );
    let mut later = run("k2");
    later.started_at = "2026-05-01T09:00:00.000000+08:00".into();
    let second = db
        .record_screening_run(&later, &[w2], &[ids[0].0])
        .await
        .unwrap();
    assert_eq!((second.warnings_new, second.warnings_updated), (0, 1));
    // The stamps are the runs' own instants (the app clock), never the system clock.
    let stamped = db
        .warnings(&WarningFilter::everything(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(
        stamped.items[0].created_at,
        "2026-04-01T09:00:00.000000+08:00"
    );
    assert_eq!(
        stamped.items[0].updated_at,
        "2026-05-01T09:00:00.000000+08:00"
    );
    let all = db
        .warnings(&WarningFilter::everything(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(all.total, 1);
    assert_eq!(
        all.items[0].warning.rules,
        "MEDICAL_12_MONTHS,MEDICAL_PER_STAY"
    );
    assert_eq!(all.items[0].state, "open");
    // A screening of the household that no longer hits it withdraws it; a later hit opens a new one.
    let third = db
        .record_screening_run(&run("k3"), &[], &[ids[0].0])
        .await
        .unwrap();
    assert_eq!(third.warnings_withdrawn, 1);
    let w3 = warning(
        ids[0],
        "4310260010001",
        villages[0],
        "01",
        "MEDICAL_PER_STAY",
    );
    let fourth = db
        .record_screening_run(&run("k4"), &[w3], &[ids[0].0])
        .await
        .unwrap();
    assert_eq!(fourth.warnings_new, 1);
    let states: Vec<String> = db
        .warnings(&WarningFilter::everything(), Page::new(1, 50))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|w| w.state)
        .collect();
    assert_eq!(states, vec!["open", "withdrawn"]);
}
contract!(one_open_warning_per_household_and_risk);

async fn a_rerun_is_idempotent(db: Db) {
    seed(&db).await;
    let app = app(&db);
    let head = head_id();
    import_parsed(
        &app,
        medical("m1.csv", &[(&head, "2026-03-01", "20000", "S1")]),
        &Uploader::machine("x"),
    )
    .await
    .unwrap();
    let first = run_screening(&app, as_of(), ScreenMode::Batch)
        .await
        .unwrap();
    assert!(!first.already);
    let before = all_warnings(&app, &WarningFilter::everything())
        .await
        .unwrap();
    assert!(!before.is_empty());
    let second = run_screening(&app, as_of(), ScreenMode::Batch)
        .await
        .unwrap();
    assert!(second.already);
    assert_eq!(second.run.key, first.run.key);
    let after = all_warnings(&app, &WarningFilter::everything())
        .await
        .unwrap();
    assert_eq!(before, after);
}
contract!(a_rerun_is_idempotent);

async fn warnings_are_read_within_their_scope(db: Db) {
    let (ids, villages) = seed(&db).await;
    let (a, b) = (villages[0], villages[1]);
    let wa = warning(ids[0], "4310260010001", a, "01", "MEDICAL_PER_STAY");
    let wb = warning(ids[1], "4310260020001", b, "10", "HOUSING_UNSAFE");
    db.record_screening_run(&run("k1"), &[wa, wb], &[])
        .await
        .unwrap();
    let read = |filter: WarningFilter| {
        let db = db.clone();
        async move {
            db.warnings(&filter, Page::new(1, 50))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|w| w.warning.household_no)
                .collect::<Vec<_>>()
        }
    };
    let township_a = a.ancestor(RegionLevel::Township).unwrap();
    let scoped = |scope: Scope| WarningFilter {
        scope,
        ..WarningFilter::everything()
    };
    assert_eq!(read(scoped(Scope::Everything)).await.len(), 2);
    assert_eq!(
        read(scoped(Scope::Region(township_a))).await,
        vec!["4310260010001"]
    );
    assert!(read(scoped(Scope::Nothing)).await.is_empty());
    // A region filter outside the scope sees nothing; inside it narrows.
    assert!(
        read(WarningFilter {
            region: Some(b),
            ..scoped(Scope::Region(township_a))
        })
        .await
        .is_empty()
    );
    assert_eq!(
        read(WarningFilter {
            region: Some(b),
            ..scoped(Scope::Everything)
        })
        .await,
        vec!["4310260020001"]
    );
    // Rule, risk and state filters.
    let rule = |r: &str| WarningFilter {
        rule: Some(r.into()),
        ..WarningFilter::everything()
    };
    assert_eq!(read(rule("HOUSING_UNSAFE")).await, vec!["4310260020001"]);
    assert!(read(rule("HOUSING")).await.is_empty());
    assert_eq!(
        read(WarningFilter {
            risk: Some("01".into()),
            ..WarningFilter::everything()
        })
        .await,
        vec!["4310260010001"]
    );
    assert!(
        read(WarningFilter {
            state: Some("withdrawn".into()),
            ..WarningFilter::everything()
        })
        .await
        .is_empty()
    );
    // Paging: newest first, one a page.
    let page = db
        .warnings(&WarningFilter::everything(), Page::new(2, 1))
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].warning.household_no, "4310260010001");
    // One warning, by id, only within the scope.
    let id_b = page.items[0].id + 1;
    assert!(
        db.warning(id_b, &Scope::Region(township_a))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        db.warning(id_b, &Scope::Everything)
            .await
            .unwrap()
            .map(|w| w.warning.household_no),
        Some("4310260020001".into())
    );
    assert!(db.warning(id_b, &Scope::Nothing).await.unwrap().is_none());
}
contract!(warnings_are_read_within_their_scope);

/// The per-household path: list every household, then read each one.
async fn snapshot_one_by_one(db: &Db, at: uplift_domain::version::ReadAt) -> SnapshotRows {
    use uplift_app::store::{HouseholdFilter, Store};
    let mut out = SnapshotRows::default();
    let mut page = 1;
    loop {
        let listed = db
            .list_households(
                &HouseholdFilter::everything(),
                at,
                Page::new(page, Page::MAX_SIZE),
            )
            .await
            .unwrap();
        for s in &listed.items {
            let h = db
                .household(s.id, &Scope::Everything, at)
                .await
                .unwrap()
                .unwrap();
            out.households.push((h.id, h.household.value));
            out.members
                .extend(h.members.into_iter().map(|m| (h.id, m.person.value)));
            out.incomes
                .extend(h.incomes.into_iter().map(|i| (h.id, i.income.value)));
        }
        if u64::from(page) * u64::from(Page::MAX_SIZE) >= listed.total {
            break;
        }
        page += 1;
    }
    out.households.sort_by_key(|(id, _)| *id);
    out
}

async fn the_bulk_snapshot_equals_reading_every_household(db: Db) {
    use uplift_app::store::Store;
    let (ids, _) = seed(&db).await;
    let app = app(&db);
    let regions: Vec<_> = crate::support::rucheng_regions()
        .into_iter()
        .filter(|r| r.level() == RegionLevel::Village)
        .collect();
    let synth = uplift_app::synth::generate(
        &uplift_app::synth::SynthConfig {
            county: RegionCode::parse("431026").unwrap(),
            households: 120,
            seed: 5,
            today: d("2026-01-01"),
            monitoring_line: uplift_domain::income::Money::from_yuan(8300),
            with_errors: false,
        },
        &regions,
    )
    .unwrap();
    uplift_app::synth::write(&app, &synth, "contract", &mut |_, _| {})
        .await
        .unwrap();
    // A member of the first seeded household moves out on 2026-02-01 (the store keeps a person in
    // one household; the new version is inactive from that date).
    let at = uplift_domain::version::ReadAt::current(d("2026-01-10"));
    let first = db
        .household(ids[0], &Scope::Everything, at)
        .await
        .unwrap()
        .unwrap();
    let mover = first.members.last().unwrap();
    let mut moved = mover.person.value.clone();
    moved.status = uplift_domain::household::MemberStatus::MovedOut;
    db.record_person_version(
        ids[0],
        mover.id,
        &moved,
        &crate::support::stamp("2026-02-01", "2026-02-01T10:00:00+08:00"),
    )
    .await
    .unwrap();

    for day in ["2026-01-10", "2026-04-01"] {
        let at = uplift_domain::version::ReadAt::current(d(day));
        let bulk = db.screening_snapshot(at).await.unwrap();
        let one_by_one = snapshot_one_by_one(&db, at).await;
        assert!(bulk.households.len() > 120);
        assert!(bulk.members.len() > bulk.households.len());
        assert!(!bulk.incomes.is_empty());
        assert_eq!(bulk, one_by_one, "as of {day}");
        let active = bulk
            .members
            .iter()
            .filter(|(h, p)| *h == ids[0] && p.id_number == moved.id_number)
            .all(|(_, p)| p.is_active());
        assert_eq!(active, day == "2026-01-10", "as of {day}");
    }
}
contract!(the_bulk_snapshot_equals_reading_every_household);
