//! `uplift export national`: the members of monitoring objects in the national system's layout.

use chrono::{FixedOffset, TimeZone};
use uplift_app::imports::national::NATIONAL_COLUMNS;
use uplift_app::imports::sheet::{decode_line, encode_line};
use uplift_domain::case::{CaseKind, Channel, Decision, EliminationType, Event, Opening, Stage};
use uplift_domain::household::HouseholdNo;
use uplift_domain::version::{ReadAt, VersionStamp};

use crate::{db_url, uplift};

fn stamp(on: chrono::NaiveDate) -> VersionStamp {
    VersionStamp {
        valid_from: on,
        recorded_at: FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
            .unwrap(),
        actor: "test".into(),
        source: "test".into(),
        reason: None,
    }
}

fn opened(kind: CaseKind, on: chrono::NaiveDate) -> Event {
    Event::Opened(Opening {
        kind,
        channel: Channel::CadreVisit,
        clue_date: on,
        summary: "排查".into(),
        risk_hint: None,
        green_channel: false,
        rollback: false,
        conditions: vec![],
    })
}

/// An approved case for the household, written straight to the store (the procedure's steps
/// are the cases tests' concern).
async fn approve(db: &str, no: &str, kind: CaseKind, decision: Decision, on: chrono::NaiveDate) {
    let db = uplift_db::Db::connect(db).await.unwrap();
    let store = db.store();
    let at = ReadAt::current(on);
    let id = store
        .find_household_by_no(&HouseholdNo::parse(no).unwrap(), at)
        .await
        .unwrap()
        .unwrap();
    let region = store
        .household(id, &uplift_app::store::Scope::Everything, at)
        .await
        .unwrap()
        .unwrap()
        .household
        .value
        .region;
    let case = store
        .open_case(id, &region, &opened(kind, on), &stamp(on))
        .await
        .unwrap();
    store
        .append_case_event(
            case,
            1,
            &Event::Approved { on, decision },
            Stage::Approved,
            &stamp(on),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn only_monitoring_objects_in_the_national_order_neutralised_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let d = dir.path().display().to_string();
    let csv_dir = format!("{d}/csv");
    let synth = uplift(&[
        "synth",
        "--households",
        "12",
        "--seed",
        "5",
        "--csv-out",
        &csv_dir,
        "--csv-only",
        "--database",
        &db,
    ]);
    assert!(synth.ok, "{}", synth.err);
    let registry = std::fs::read_dir(&csv_dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .find(|f| !f.contains("income"))
        .unwrap();
    // The first household's address becomes a formula.
    let text = std::fs::read_to_string(&registry).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let first = decode_line(&lines[1]);
    let (monitored, address_col) = (first[0].clone(), 3);
    for line in lines.iter_mut().skip(1) {
        let mut cells = decode_line(line);
        if cells[0] == monitored {
            cells[address_col] = "=HYPERLINK(\"http://x\")".to_owned();
            *line = encode_line(&cells);
        }
    }
    let other = lines
        .iter()
        .skip(1)
        .map(|l| decode_line(l)[0].clone())
        .find(|n| *n != monitored)
        .unwrap();
    let never = lines
        .iter()
        .skip(1)
        .map(|l| decode_line(l)[0].clone())
        .find(|n| *n != monitored && *n != other)
        .unwrap();
    std::fs::write(&registry, lines.join("\n")).unwrap();
    assert!(uplift(&["regions", "load-shipped", "--database", &db]).ok);
    let run = uplift(&[
        "import",
        "households",
        &registry,
        "--quiet",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}\n{}", run.out, run.err);

    // Dates relative to today: the exports read as of today by default.
    let today = chrono::Utc::now()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let later = today + chrono::Duration::days(40);
    let month = |d: chrono::NaiveDate| d.format("%Y%m").to_string();
    approve(
        &db,
        &monitored,
        CaseKind::Identification,
        Decision::Identify {
            category: "marginal".into(),
            risks: vec!["01".into(), "02".into()],
        },
        today,
    )
    .await;
    approve(
        &db,
        &other,
        CaseKind::Identification,
        Decision::Identify {
            category: "sudden".into(),
            risks: vec!["01".into()],
        },
        today,
    )
    .await;
    approve(
        &db,
        &other,
        CaseKind::Elimination,
        Decision::Eliminate {
            kind: EliminationType::Natural,
        },
        later,
    )
    .await;

    let zh: Vec<String> = NATIONAL_COLUMNS.iter().map(|c| c.zh.to_owned()).collect();
    let csv = format!("{d}/national.csv");
    let run = uplift(&[
        "export",
        "national",
        "--format",
        "csv",
        &csv,
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    let text = std::fs::read_to_string(&csv).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut rows = text.lines().map(decode_line);
    assert_eq!(rows.next().unwrap(), zh, "header row in the national order");
    let rows: Vec<Vec<String>> = rows.collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r[0] == monitored || r[0] == other),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|r| r[0] == never));
    let m = rows.iter().find(|r| r[0] == monitored).unwrap();
    assert_eq!(m[2], "边缘易致贫户");
    assert_eq!(m[3..6], ["因病", "因自然灾害", ""]);
    assert_eq!(m[8], month(today));
    assert_eq!(m[9], "否");
    assert_eq!(
        m[13], "'=HYPERLINK(\"http://x\")",
        "a formula is neutralised"
    );
    // The elimination is not yet in force today: still monitored.
    let e = rows.iter().find(|r| r[0] == other).unwrap();
    assert_eq!(e[2..4], ["突发严重困难户", "因病"]);
    assert_eq!(e[9], "否");

    // Read as of after the elimination: eliminated, still a monitoring object.
    let late = format!("{d}/late.csv");
    let as_of = later.to_string();
    let run = uplift(&[
        "export",
        "national",
        &late,
        "--as-of",
        &as_of,
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    let late = std::fs::read_to_string(&late).unwrap();
    let e = late
        .lines()
        .map(decode_line)
        .find(|r| r[0] == other)
        .unwrap();
    assert_eq!(e[9..12], ["是", "自然消除", month(later).as_str()]);

    // XLSX, twice: identical bytes; CSV twice too.
    for ext in ["xlsx", "csv"] {
        let a = format!("{d}/a.{ext}");
        let b = format!("{d}/b.{ext}");
        for out in [&a, &b] {
            let run = uplift(&[
                "export",
                "national",
                "--format",
                ext,
                out,
                "--database",
                &db,
            ]);
            assert!(run.ok, "{}", run.err);
        }
        let bytes = std::fs::read(&a).unwrap();
        assert!(!bytes.is_empty());
        assert_eq!(
            bytes,
            std::fs::read(&b).unwrap(),
            "{ext} export is deterministic"
        );
    }
    // The region filter: another county has none of them.
    let run = uplift(&[
        "export",
        "national",
        &format!("{d}/none.csv"),
        "--region",
        "431021",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    assert!(run.out.contains("Wrote 0 rows"), "{}", run.out);
}
