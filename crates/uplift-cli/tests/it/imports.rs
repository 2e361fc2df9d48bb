//! `uplift import` and `uplift export` end to end.

use crate::{db_url, uplift};

#[test]
fn import_export_round_trip_and_rejection_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let d = dir.path().display().to_string();
    let csv_dir = format!("{d}/csv");
    let synth = uplift(&[
        "synth",
        "--households",
        "20",
        "--seed",
        "3",
        "--csv-out",
        &csv_dir,
        "--csv-only",
        "--database",
        &db,
    ]);
    assert!(synth.ok, "{}", synth.err);
    let files: Vec<String> = std::fs::read_dir(&csv_dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    let registry = files.iter().find(|f| !f.contains("income")).unwrap();
    let incomes = files.iter().find(|f| f.contains("income")).unwrap();
    let regions = uplift(&["regions", "load-shipped", "--database", &db]);
    assert!(regions.ok, "{}", regions.err);

    let run = uplift(&[
        "import",
        "households",
        registry,
        "--quiet",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}\n{}", run.out, run.err);
    assert!(run.out.contains("20 new"), "{}", run.out);
    let run = uplift(&["import", "incomes", incomes, "--quiet", "--database", &db]);
    assert!(run.ok, "{}\n{}", run.out, run.err);

    // Export and import back: nothing changes.
    for out in [format!("{d}/out.xlsx"), format!("{d}/out.csv")] {
        let run = uplift(&["export", "households", &out, "--database", &db]);
        assert!(run.ok, "{}", run.err);
        let again = uplift(&[
            "export",
            "households",
            &format!("{out}.2.{}", &out[out.len() - 4..].trim_start_matches('.')),
            "--database",
            &db,
        ]);
        assert!(again.ok, "{}", again.err);
        let run = uplift(&["import", "households", &out, "--quiet", "--database", &db]);
        assert!(run.ok, "{}", run.err);
        assert!(
            run.out.contains("0 new, 0 changed, 20 unchanged"),
            "{}",
            run.out
        );
    }
    assert_eq!(
        std::fs::read(format!("{d}/out.xlsx")).unwrap(),
        std::fs::read(format!("{d}/out.xlsx.2.xlsx")).unwrap()
    );

    // A bad row: non-zero exit, nothing written, the message names file, row, column and field,
    // and the report is written.
    let text = std::fs::read_to_string(registry).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut cells = uplift_app::imports::sheet::decode_line(&lines[3]);
    cells[6] = "侄子".to_owned();
    lines[3] = uplift_app::imports::sheet::encode_line(&cells);
    let bad = format!("{d}/bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let report = format!("{d}/report.xlsx");
    let run = uplift(&[
        "import",
        "households",
        &bad,
        "--quiet",
        "--report",
        &report,
        "--database",
        &db,
    ]);
    assert!(!run.ok);
    assert!(
        run.out
            .contains("bad.csv: 行 row 4 列 column 与户主关系 (relation)"),
        "{}",
        run.out
    );
    assert!(run.err.contains("nothing written"), "{}", run.err);
    assert!(std::fs::metadata(&report).unwrap().len() > 0);
    let check = uplift(&["check", "--database", &db]);
    assert!(check.out.contains("integrity check: ok"), "{}", check.out);
}
