//! The import and export use cases over a real store (issue 4): modes, matching, re-import,
//! export round trip, scope, bad files. Each runs on SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use uplift_app::App;
use uplift_app::access::Principal;
use uplift_app::imports::export::{ExportKind, ExportRequest, HeaderLang, export};
use uplift_app::imports::report::report_sheet;
use uplift_app::imports::sheet::{Format, decode_line, encode_line};
use uplift_app::imports::store::ImportBatch;
use uplift_app::imports::{
    ImportFailure, ImportKind, ImportMode, ImportRequest, NoProgress, run_import,
};
use uplift_app::store::{Clock, HouseholdFilter, Page, UserId};
use uplift_app::synth::{self, SynthConfig, SynthFile};
use uplift_db::Db;
use uplift_domain::access::Role;
use uplift_domain::income::Money;
use uplift_domain::region::{Region, RegionCode};
use uplift_domain::version::ReadAt;

use crate::contract;
use crate::support::rucheng_regions;

struct FixedClock(DateTime<FixedOffset>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()
}

async fn app(db: &Db) -> App {
    let regions = all_4310();
    db.store().save_regions(&regions).await.unwrap();
    App::new(
        db.store(),
        Arc::new(FixedClock(
            DateTime::parse_from_rfc3339("2026-05-20T10:00:00+08:00").unwrap(),
        )),
        uplift_app::policy::shipped().unwrap(),
    )
}

fn all_4310() -> Vec<Region> {
    let (_, text) = uplift_app::regions::SHIPPED
        .iter()
        .find(|(city, _)| *city == "4310")
        .unwrap();
    uplift_app::regions::parse_region_csv("4310.csv", text).unwrap()
}

fn rucheng_villages() -> Vec<Region> {
    rucheng_regions()
        .into_iter()
        .filter(|r| r.level() == uplift_domain::region::RegionLevel::Village)
        .collect()
}

fn synth(households: u32, seed: u64, with_errors: bool) -> synth::Synth {
    let config = SynthConfig {
        county: RegionCode::parse("431026").unwrap(),
        households,
        seed,
        today: today(),
        monitoring_line: Money::from_yuan(7_500),
        with_errors,
    };
    synth::generate(&config, &rucheng_villages()).unwrap()
}

fn machine() -> Principal {
    Principal::machine("tester")
}

fn county_officer(region: &str) -> Principal {
    Principal {
        user: Some(UserId(99)),
        name: "officer".into(),
        role: Some(Role::CountyOfficer),
        region: Some(RegionCode::parse(region).unwrap()),
        department: None,
    }
}

async fn import(
    app: &App,
    by: &Principal,
    kind: ImportKind,
    mode: ImportMode,
    name: &str,
    bytes: Vec<u8>,
) -> ImportBatch {
    run_import(
        app,
        by,
        ImportRequest {
            kind,
            mode,
            file_name: name.into(),
            bytes,
        },
        &NoProgress,
    )
    .await
    .unwrap()
}

/// Every version of every record in the registry.
async fn versions(app: &App) -> usize {
    let list = app
        .store
        .list_households(
            &HouseholdFilter::everything(),
            ReadAt::current(today()),
            Page::new(1, 500),
        )
        .await
        .unwrap();
    let mut n = 0;
    for h in list.items {
        n += app.store.household_history(h.id).await.unwrap().len();
    }
    n
}

/// Replaces the cell of `column` (0-based) on CSV line `line` (0 = header).
fn edit(csv: &str, line: usize, column: usize, value: &str) -> String {
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    let mut cells = decode_line(&lines[line]);
    cells[column] = value.to_owned();
    lines[line] = encode_line(&cells);
    lines.join("\n") + "\n"
}

async fn all_or_nothing_rejects_and_writes_nothing(db: Db) {
    let app = app(&db).await;
    let s = synth(12, 3, false);
    let csv = edit(&synth::registry_csv(&s, false), 5, 6, "侄子");
    let batch = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "reg.csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "rejected");
    assert_eq!(versions(&app).await, 0);
    assert_eq!(app.store.counts().await.unwrap().persons, 0);
    let issue = batch
        .issues
        .iter()
        .find(|i| i.rule == "field.enum")
        .expect("enum issue");
    assert_eq!(issue.row, 6);
    assert_eq!(issue.column, "与户主关系");
    assert_eq!(issue.field, "relation");
    assert_eq!(issue.value, "侄子");
    // The message lists the accepted values.
    assert!(
        issue.message_zh.contains("户主 head"),
        "{}",
        issue.message_zh
    );
    assert!(issue.message_en.contains("spouse"), "{}", issue.message_en);
    // The report carries the original row and the issue columns; the batch is stored.
    let stored = app
        .store
        .import_batch(batch.id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, batch);
    let sheet = report_sheet(&stored);
    let row = sheet
        .rows
        .iter()
        .find(|r| r.contains(&"field.enum".to_owned()))
        .unwrap();
    assert!(
        row.contains(&"侄子".to_owned()) && row.contains(&"6".to_owned()),
        "{row:?}"
    );
    assert!(!sheet.write(Format::Xlsx).unwrap().is_empty());
}
contract!(all_or_nothing_rejects_and_writes_nothing);

async fn partial_writes_only_clean_households(db: Db) {
    let app = app(&db).await;
    let s = synth(12, 3, false);
    let csv = synth::registry_csv(&s, false);
    let bad_no = decode_line(csv.lines().nth(5).unwrap())[0].clone();
    let csv = edit(&csv, 5, 5, "43102619900101123"); // 17 characters
    let batch = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::Partial,
        "reg.csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "applied");
    assert_eq!(batch.counts.households_new, 11);
    assert_eq!(batch.counts.households_skipped, 1);
    assert_eq!(app.store.counts().await.unwrap().households, 11);
    let no = uplift_domain::household::HouseholdNo::parse(&bad_no).unwrap();
    assert!(
        app.store
            .find_household_by_no(&no, ReadAt::current(today()))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        batch
            .issues
            .iter()
            .any(|i| i.rule == "id.length" && i.row == 6 && i.field == "id_number")
    );
}
contract!(partial_writes_only_clean_households);

async fn dry_run_writes_nothing(db: Db) {
    let app = app(&db).await;
    let s = synth(8, 4, false);
    let csv = synth::registry_csv(&s, false);
    let batch = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::DryRun,
        "reg.csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "dry_run");
    assert_eq!(batch.counts.households_new, 8);
    assert_eq!(versions(&app).await, 0);
    assert_eq!(app.store.counts().await.unwrap().households, 0);
}
contract!(dry_run_writes_nothing);

async fn reimport_and_export_round_trip_change_nothing(db: Db) {
    let app = app(&db).await;
    let s = synth(15, 5, false);
    let reg = synth::registry_csv(&s, false);
    let inc = synth::income_csv(&s, false);
    let first = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "reg.csv",
        reg.clone().into_bytes(),
    )
    .await;
    assert_eq!(first.status, "applied", "{:?}", first.issues);
    assert_eq!(first.counts.households_new, 15);
    let incomes = import(
        &app,
        &machine(),
        ImportKind::Incomes,
        ImportMode::AllOrNothing,
        "inc.csv",
        inc.clone().into_bytes(),
    )
    .await;
    assert_eq!(incomes.status, "applied", "{:?}", incomes.issues);
    assert_eq!(incomes.counts.incomes_new, 30);
    let before = versions(&app).await;
    assert_eq!(before as u64, 15 + s.persons() + 30);

    // The same files again: no new versions.
    let again = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "reg.csv",
        reg.into_bytes(),
    )
    .await;
    assert_eq!(again.counts.households_unchanged, 15);
    assert_eq!(again.counts.persons_changed + again.counts.persons_new, 0);
    let again = import(
        &app,
        &machine(),
        ImportKind::Incomes,
        ImportMode::AllOrNothing,
        "inc.csv",
        inc.into_bytes(),
    )
    .await;
    assert_eq!(again.counts.incomes_unchanged, 30);
    assert_eq!(versions(&app).await, before);

    // Export, in both formats and both header languages, imports back unchanged.
    for (format, headers) in [
        (Format::Csv, HeaderLang::Zh),
        (Format::Xlsx, HeaderLang::Zh),
        (Format::Csv, HeaderLang::En),
    ] {
        let request = ExportRequest {
            kind: ExportKind::Households,
            filter: HouseholdFilter::everything(),
            at: ReadAt::current(today()),
            headers,
        };
        let sheet = export(&app, &machine(), request.clone()).await.unwrap();
        assert_eq!(sheet.rows.len() as u64, s.persons());
        let bytes = sheet.write(format).unwrap();
        // The same data exported twice: the same bytes.
        let twice = export(&app, &machine(), request)
            .await
            .unwrap()
            .write(format)
            .unwrap();
        assert_eq!(bytes, twice);
        let name = format!("export.{}", format.extension());
        let back = import(
            &app,
            &machine(),
            ImportKind::Households,
            ImportMode::AllOrNothing,
            &name,
            bytes,
        )
        .await;
        assert_eq!(back.status, "applied", "{:?}", back.issues);
        assert_eq!(back.counts.households_unchanged, 15, "{format:?}");
        assert_eq!(versions(&app).await, before, "{format:?}");
    }

    // A change is one new version.
    let csv = synth::registry_csv(&s, false);
    let changed = edit(&csv, 2, 10, "残疾");
    let changed = edit(&changed, 2, 11, "3");
    let batch = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "reg2.csv",
        changed.into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "applied", "{:?}", batch.issues);
    assert_eq!(batch.counts.persons_changed, 1);
    assert_eq!(versions(&app).await, before + 1);
}
contract!(reimport_and_export_round_trip_change_nothing);

async fn masked_exports_say_so_and_cannot_be_imported(db: Db) {
    let app = app(&db).await;
    let s = synth(5, 6, false);
    import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "reg.csv",
        synth::registry_csv(&s, false).into_bytes(),
    )
    .await;
    let township = s.households[0]
        .household
        .region
        .ancestor(uplift_domain::region::RegionLevel::Township)
        .unwrap();
    let reviewer = Principal {
        role: Some(Role::TownshipReviewer),
        region: Some(township),
        ..county_officer("431026")
    };
    let sheet = export(
        &app,
        &reviewer,
        ExportRequest {
            kind: ExportKind::Households,
            filter: HouseholdFilter::everything(),
            at: ReadAt::current(today()),
            headers: HeaderLang::Zh,
        },
    )
    .await
    .unwrap();
    assert!(
        sheet
            .headers
            .contains(&"证件号码（已脱敏，不可导入）".to_owned())
    );
    assert!(sheet.rows.iter().all(|r| r[5].contains("****")));
    assert!(
        sheet
            .rows
            .iter()
            .all(|r| r[2].starts_with(township.prefix()))
    );
    let err = run_import(
        &app,
        &machine(),
        ImportRequest {
            kind: ImportKind::Households,
            mode: ImportMode::AllOrNothing,
            file_name: "masked.csv".into(),
            bytes: sheet.to_csv().unwrap(),
        },
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ImportFailure::File(_)), "{err}");
    assert!(err.to_string().contains("id_number"), "{err}");
}
contract!(masked_exports_say_so_and_cannot_be_imported);

async fn a_file_mixing_counties_is_refused_by_scope(db: Db) {
    let app = app(&db).await;
    let mut s = synth(6, 7, false);
    // One household moved to a village of 苏仙区 (431003), outside the officer's county.
    let other = all_4310()
        .into_iter()
        .find(|r| {
            r.code.as_str().starts_with("431003")
                && r.level() == uplift_domain::region::RegionLevel::Village
        })
        .unwrap();
    s.households[2].household.region = other.code;
    let csv = synth::registry_csv(&s, false);
    for mode in [ImportMode::AllOrNothing, ImportMode::Partial] {
        let batch = import(
            &app,
            &county_officer("431026"),
            ImportKind::Households,
            mode,
            "mixed.csv",
            csv.clone().into_bytes(),
        )
        .await;
        assert_eq!(batch.status, "refused");
        let issue = batch
            .issues
            .iter()
            .find(|i| i.rule == "scope.region")
            .unwrap();
        assert_eq!(issue.field, "region_code");
        assert_eq!(issue.value, other.code.as_str());
    }
    assert_eq!(versions(&app).await, 0);
    // Without that household, the officer may import.
    s.households.remove(2);
    let batch = import(
        &app,
        &county_officer("431026"),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "ok.csv",
        synth::registry_csv(&s, false).into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "applied", "{:?}", batch.issues);
    // A village cadre may not import at all.
    let cadre = Principal {
        role: Some(Role::VillageCadre),
        ..county_officer("431026")
    };
    let err = run_import(
        &app,
        &cadre,
        ImportRequest {
            kind: ImportKind::Households,
            mode: ImportMode::AllOrNothing,
            file_name: "ok.csv".into(),
            bytes: Vec::new(),
        },
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ImportFailure::Denied(_)));
}
contract!(a_file_mixing_counties_is_refused_by_scope);

async fn a_village_missing_from_the_region_tree_is_named_at_its_row(db: Db) {
    let app = app(&db).await;
    let mut s = synth(6, 11, false);
    // A well-formed village code of the officer's county that the region tree does not hold.
    let unknown = RegionCode::parse("431026999999").unwrap();
    assert!(app.store.region(&unknown).await.unwrap().is_none());
    s.households[3].household.region = unknown;
    let no = s.households[3].household.household_no.as_str().to_owned();
    let csv = synth::registry_csv(&s, false);
    let batch = import(
        &app,
        &county_officer("431026"),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "unknown-village.csv",
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "rejected");
    let issue = batch
        .issues
        .iter()
        .find(|i| i.rule == "region.unknown")
        .unwrap();
    assert_eq!(issue.field, "region_code");
    assert_eq!(issue.value, "431026999999");
    assert!(issue.row > 1, "{issue:?}");
    assert!(issue.message_en.contains("region tree"), "{issue:?}");
    assert_eq!(versions(&app).await, 0);
    // --partial writes the other five households and leaves that one out.
    let batch = import(
        &app,
        &county_officer("431026"),
        ImportKind::Households,
        ImportMode::Partial,
        "unknown-village.csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "applied", "{:?}", batch.issues);
    let listed = app
        .store
        .list_households(
            &HouseholdFilter::everything(),
            ReadAt::current(today()),
            Page::new(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 5);
    assert!(
        listed
            .items
            .iter()
            .all(|h| h.household.household_no.as_str() != no)
    );
}
contract!(a_village_missing_from_the_region_tree_is_named_at_its_row);

async fn bad_files_and_cells_are_reported_never_written(db: Db) {
    let app = app(&db).await;
    let s = synth(6, 8, false);
    let csv = synth::registry_csv(&s, false);

    // GBK: read and imported.
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    let batch = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::DryRun,
        "gbk.csv",
        gbk.into_owned(),
    )
    .await;
    assert_eq!(batch.counts.errors, 0, "{:?}", batch.issues);
    assert_eq!(batch.counts.households_new, 6);

    // A truncated xlsx: a clear error naming the file, nothing written.
    let sheet = uplift_app::imports::sheet::Sheet {
        name: "t".into(),
        headers: decode_line(csv.lines().next().unwrap()),
        rows: csv.lines().skip(1).map(decode_line).collect(),
        note: None,
    };
    let xlsx = sheet.to_xlsx().unwrap();
    let ok = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::DryRun,
        "ok.xlsx",
        xlsx.clone(),
    )
    .await;
    assert_eq!(ok.counts.households_new, 6, "{:?}", ok.issues);
    let err = run_import(
        &app,
        &machine(),
        ImportRequest {
            kind: ImportKind::Households,
            mode: ImportMode::AllOrNothing,
            file_name: "cut.xlsx".into(),
            bytes: xlsx[..xlsx.len() / 2].to_vec(),
        },
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cut.xlsx"), "{err}");

    // A 10,000-character name: too long, reported whole, never cut.
    let long = "张".repeat(10_000);
    let bad = edit(&csv, 2, 4, &long);
    let batch = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "long.csv",
        bad.into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "rejected");
    let issue = batch
        .issues
        .iter()
        .find(|i| i.rule == "field.too_long")
        .unwrap();
    assert_eq!(
        (issue.row, issue.field.as_str(), issue.column.as_str()),
        (3, "name", "姓名")
    );
    assert_eq!(issue.value.chars().count(), 10_000);
    assert!(report_sheet(&batch).write(Format::Xlsx).is_ok());

    // A lower-case x in an ID number is accepted and stored upper-case.
    let with_x = s
        .households
        .iter()
        .flat_map(|h| h.members.iter())
        .position(|p| p.id_number.as_str().ends_with('X'));
    let i = with_x.expect("seed 8 holds an ID number ending in X");
    let line = i + 1;
    let id = decode_line(csv.lines().nth(line).unwrap())[5].clone();
    let lower = edit(&csv, line, 5, &id.to_lowercase());
    let batch = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "x.csv",
        lower.into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "applied", "{:?}", batch.issues);
    // The upper-case file is then the same data.
    let again = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::AllOrNothing,
        "X.csv",
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(again.counts.persons_unchanged, s.persons());

    // 2023-02-30 in the income file.
    let inc = synth::income_csv(&s, false);
    let bad = edit(&inc, 1, 2, "2023-02-30");
    let versions_before = versions(&app).await;
    let batch = import(
        &app,
        &machine(),
        ImportKind::Incomes,
        ImportMode::AllOrNothing,
        "inc.csv",
        bad.into_bytes(),
    )
    .await;
    assert_eq!(batch.status, "rejected");
    let issue = batch
        .issues
        .iter()
        .find(|i| i.rule == "field.date")
        .unwrap();
    assert_eq!(
        (issue.row, issue.field.as_str(), issue.value.as_str()),
        (2, "period_end", "2023-02-30")
    );
    assert_eq!(versions(&app).await, versions_before);
}
contract!(bad_files_and_cells_are_reported_never_written);

async fn every_injected_error_is_reported(db: Db) {
    let app = app(&db).await;
    let s = synth(200, 9, true);
    assert!(!s.errors.is_empty());
    let reg = import(
        &app,
        &machine(),
        ImportKind::Households,
        ImportMode::Partial,
        "reg.csv",
        synth::registry_csv(&s, false).into_bytes(),
    )
    .await;
    let inc = import(
        &app,
        &machine(),
        ImportKind::Incomes,
        ImportMode::Partial,
        "inc.csv",
        synth::income_csv(&s, false).into_bytes(),
    )
    .await;
    for e in &s.errors {
        let batch = match e.file {
            SynthFile::Registry => &reg,
            SynthFile::Income => &inc,
        };
        assert!(
            batch
                .issues
                .iter()
                .any(|i| i.row == e.row && i.household_no == e.household_no),
            "{:?} at row {} of {:?} ({}) not reported",
            e.kind,
            e.row,
            e.file,
            e.detail
        );
    }
}
contract!(every_injected_error_is_reported);
