//! `uplift rectify …`, `uplift tasks …` and `uplift bulletin` end to end on a synthetic county:
//! a problem list imported, assigned, reported on with an evidence file, refused at sign-off,
//! signed off, reopened; a bad list names its row and writes nothing; a task rolled up; the
//! bulletin written as .xlsx.

use crate::{db_url, uplift};

const HEADER: &str = "问题来源,反馈文件,问题领域,问题标题,问题描述,发现日期,所属区划代码,涉及区划代码,涉及户编号,整改类型\n";

#[test]
fn a_problem_from_the_command_line_is_imported_closed_and_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let d = dir.path().display().to_string();
    let synth = uplift(&[
        "synth",
        "--county",
        "431026",
        "--households",
        "30",
        "--seed",
        "7",
        "--database",
        &db,
    ]);
    assert!(synth.ok, "{}", synth.err);
    let townships = uplift(&["regions", "list", "--parent", "431026", "--database", &db]);
    assert!(townships.ok, "{}", townships.err);
    let township = townships
        .out
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 12 && w.starts_with("431026"))
        .expect("a township code")
        .to_owned();

    // A bad list: named by row and column, nothing written.
    let bad = format!("{d}/bad.csv");
    std::fs::write(
        &bad,
        format!("{HEADER}考核评估,,天气,标题,描述,2026-01-05,431026,431026,,长期整改\n"),
    )
    .unwrap();
    let report = format!("{d}/report.csv");
    let run = uplift(&[
        "rectify",
        "import",
        &bad,
        "--report",
        &report,
        "--database",
        &db,
    ]);
    assert!(!run.ok);
    assert!(
        run.err.contains("row 2, column 问题领域 (area)"),
        "{}",
        run.err
    );
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .contains("field.enum")
    );
    let listed = uplift(&["rectify", "list", "--database", &db]);
    assert!(listed.ok && listed.out.trim().is_empty(), "{}", listed.out);

    // The good list.
    let good = format!("{d}/problems.csv");
    std::fs::write(
        &good,
        format!(
            "{HEADER}考核评估,2025年考核评估反馈,政策落实,监测对象识别不及时,部分农户未及时纳入,2026-01-05,431026,{township},,长期整改\n"
        ),
    )
    .unwrap();
    let run = uplift(&["rectify", "import", &good, "--database", &db]);
    assert!(run.ok, "{}", run.err);
    assert!(run.out.contains("recorded 1 problems: 1"), "{}", run.out);

    let step = |args: &[&str]| {
        let mut all = vec!["--as", "县乡村振兴局", "rectify", "act", "1"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--database", &db]);
        uplift(&all)
    };
    let run = step(&[
        "assign",
        "--responsible-region",
        &township,
        "--lead-unit",
        "乡镇党委",
        "--unit",
        "民政办",
        "--person",
        "李书记",
        "--measures",
        "逐户排查",
        "--deadline",
        "2099-12-31",
    ]);
    assert!(run.ok, "{}", run.err);
    // No evidence yet: submission is refused.
    let run = step(&["submit", "--text", "已整改"]);
    assert!(!run.ok);
    assert!(run.err.contains("evidence"), "{}", run.err);
    let photo = format!("{d}/现场.jpg");
    std::fs::write(&photo, [0xff, 0xd8, 0xff, 0xe0, 0x00, 0xff, 0xd9]).unwrap();
    for text in ["第一次进展", "第二次进展"] {
        let run = step(&["report", "--text", text, "--evidence", &photo]);
        assert!(run.ok, "{}", run.err);
    }
    for (cmd, text) in [
        ("submit", "已整改"),
        ("reject_sign_off", "材料不全"),
        ("submit", "已补充"),
        ("sign_off", "同意销号"),
    ] {
        let run = step(&[cmd, "--text", text]);
        assert!(run.ok, "{cmd}: {}", run.err);
    }
    let closed = uplift(&["rectify", "list", "--state", "closed", "--database", &db]);
    assert!(closed.out.contains("已销号"), "{}", closed.out);
    let run = step(&["reopen", "--text", "问题反弹"]);
    assert!(run.ok, "{}", run.err);
    let show = uplift(&["rectify", "show", "1", "--database", &db]);
    assert!(show.ok, "{}", show.err);
    assert_eq!(show.out.matches("报告进展").count(), 2, "{}", show.out);
    assert!(show.out.contains("退回整改"), "{}", show.out);
    assert!(show.out.contains("问题反弹重新整改"), "{}", show.out);
    assert!(show.out.contains("县乡村振兴局"), "{}", show.out);

    let ledger = format!("{d}/ledger.xlsx");
    let run = uplift(&["rectify", "export", &ledger, "--database", &db]);
    assert!(run.ok, "{}", run.err);
    assert!(std::fs::read(&ledger).unwrap().starts_with(b"PK"));

    // A task to every township, completed by one of them.
    let run = uplift(&[
        "tasks",
        "assign",
        "--region",
        "431026",
        "--level",
        "township",
        "--title",
        "完成集中排查",
        "--deadline",
        "2099-06-30",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    let run = uplift(&[
        "tasks",
        "complete",
        "1",
        "--region",
        &township,
        "--on",
        "2026-01-10",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    let list = uplift(&["tasks", "list", "--database", &db]);
    assert!(list.ok, "{}", list.err);
    assert!(list.out.contains("county: 431026 1/"), "{}", list.out);

    // The bulletin of the county, as .xlsx and printed.
    let out = format!("{d}/bulletin.xlsx");
    let run = uplift(&[
        "bulletin",
        "--region",
        "431026",
        "--month",
        "2026-01",
        "--out",
        &out,
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));
    let pdf = format!("{d}/bulletin.pdf");
    let run = uplift(&[
        "bulletin",
        "--region",
        "431026",
        "--month",
        "2026-01",
        "--out",
        &pdf,
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let run = uplift(&[
        "bulletin",
        "--region",
        "431026",
        "--month",
        "2026-13",
        "--database",
        &db,
    ]);
    assert!(!run.ok);
}
