//! `uplift villages`, `uplift campaign` and `uplift sample` end to end on a synthetic county.

use crate::{db_url, uplift};

#[test]
fn village_profiles_campaigns_and_samples_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let d = dir.path().display().to_string();
    let synth = uplift(&[
        "synth",
        "--households",
        "400",
        "--seed",
        "7",
        "--database",
        &db,
    ]);
    assert!(synth.ok, "{}", synth.err);

    // A campaign over the must-visit groups; its list names households and their groups.
    let open = uplift(&[
        "campaign",
        "open",
        "--county",
        "431026",
        "--name",
        "集中排查",
        "--scope",
        "must_visit",
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        "--database",
        &db,
    ]);
    assert!(open.ok, "{}", open.err);
    assert!(open.out.contains("campaign 1:"), "{}", open.out);
    let list = uplift(&["campaign", "households", "1", "--database", &db]);
    assert!(list.ok, "{}", list.err);
    let first: Vec<&str> = list
        .out
        .lines()
        .next()
        .expect("a listed household")
        .split('\t')
        .collect();
    let (village, household_no, groups) = (first[0], first[3], first[5]);
    assert!(!groups.is_empty(), "{first:?}");
    let listed = list.out.lines().count();
    let csv = format!("{d}/list.csv");
    let out = uplift(&[
        "campaign",
        "households",
        "1",
        "--out",
        &csv,
        "--database",
        &db,
    ]);
    assert!(out.ok, "{}", out.err);
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap().lines().count(),
        listed + 1
    );

    // A finding opens a case through the case workflow; the report counts it.
    let visit = uplift(&[
        "campaign",
        "visit",
        "1",
        household_no,
        "--date",
        "2021-06-01",
        "--outcome",
        "risk_found",
        "--note",
        "突发大病",
        "--database",
        &db,
    ]);
    assert!(visit.ok, "{}", visit.err);
    assert!(visit.out.contains("case 1 opened"), "{}", visit.out);
    let bad = uplift(&[
        "campaign",
        "visit",
        "1",
        household_no,
        "--date",
        "2021-06-01",
        "--outcome",
        "maybe",
        "--database",
        &db,
    ]);
    assert!(
        !bad.ok && bad.err.contains("unknown outcome"),
        "{}",
        bad.err
    );
    let report = uplift(&["campaign", "report", "1", "--database", &db]);
    assert!(report.ok, "{}", report.err);
    let total = report.out.lines().find(|l| l.starts_with("total")).unwrap();
    assert!(total.contains(&format!("listed {listed:>5}")), "{total}");
    assert!(total.contains("covered     1"), "{total}");
    assert!(total.contains("cases    1"), "{total}");

    // Village indicators: record, show the gap, export and import back.
    let rec = uplift(&[
        "villages",
        "record",
        village,
        "sanitary_toilet",
        "50",
        "--base",
        "100",
        "--date",
        "2026-03-31",
        "--project",
        "XM-2026-007",
        "--database",
        &db,
    ]);
    assert!(rec.ok, "{}", rec.err);
    let show = uplift(&[
        "villages",
        "show",
        village,
        "--as-of",
        "2026-06-30",
        "--database",
        &db,
    ]);
    assert!(show.ok, "{}", show.err);
    let toilet = show
        .out
        .lines()
        .find(|l| l.contains("sanitary_toilet"))
        .unwrap();
    assert!(
        toilet.contains("50 / 100 (50.0%)")
            && toilet.contains("GAP")
            && toilet.contains("XM-2026-007"),
        "{toilet}"
    );
    let broken = uplift(&[
        "villages",
        "record",
        village,
        "sanitary_toilet",
        "150",
        "--base",
        "100",
        "--database",
        &db,
    ]);
    assert!(
        !broken.ok && broken.err.contains("larger than its base"),
        "{}",
        broken.err
    );
    let rollup = uplift(&[
        "villages",
        "rollup",
        "431026",
        "--as-of",
        "2026-06-30",
        "--database",
        &db,
    ]);
    assert!(rollup.ok, "{}", rollup.err);
    assert!(
        rollup.out.contains(&format!("gap: {village}")),
        "{}",
        rollup.out
    );
    let xlsx = format!("{d}/profiles.xlsx");
    let export = uplift(&[
        "villages",
        "export",
        "431026",
        &xlsx,
        "--as-of",
        "2026-06-30",
        "--database",
        &db,
    ]);
    assert!(export.ok, "{}", export.err);
    let import = uplift(&["villages", "import", &xlsx, "--database", &db]);
    assert!(import.ok, "{}", import.err);
    assert!(import.out.contains("imported 1 reading"), "{}", import.out);

    // The sample: the same seed gives the same villages, households and forms.
    let draw = |seed: &str, out: &str| {
        uplift(&[
            "sample",
            "draw",
            "--county",
            "431026",
            "--seed",
            seed,
            "--as-of",
            "2026-06-30",
            "--out",
            out,
            "--database",
            &db,
        ])
    };
    let (a, b) = (format!("{d}/a.csv"), format!("{d}/b.csv"));
    let first = draw("2026", &a);
    assert!(first.ok, "{}", first.err);
    assert!(first.out.contains("10 villages"), "{}", first.out);
    let second = draw("2026", &b);
    let body = |out: &str| {
        out.lines()
            .filter(|l| !l.starts_with("visit forms"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&first.out), body(&second.out));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let pdf = format!("{d}/forms.pdf");
    let forms = draw("2026", &pdf);
    assert!(forms.ok, "{}", forms.err);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let other = draw("99", &b);
    assert_ne!(body(&first.out), body(&other.out));
    assert!(
        std::fs::read_to_string(&a)
            .unwrap()
            .starts_with("\u{feff}序号")
            || std::fs::read_to_string(&a).unwrap().starts_with("序号")
    );
}
