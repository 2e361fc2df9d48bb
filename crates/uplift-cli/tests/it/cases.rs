//! `uplift case …` end to end: a department warning opened by the county, steps taken by the
//! village and the county as `--user` logins (a wrong role and a wrong region refused at each),
//! the queue filtered by state and region, the timeline, and the public notice as PDF with the
//! head's name and no ID number.

use std::process::Command;

use crate::{db_url, uplift};

const PASSWORD: &str = "case-test-password";

/// `uplift case …` as a user (password through the environment, as a script would).
fn case(user: &str, db: &str, args: &[&str]) -> crate::Run {
    let mut all = vec!["case"];
    all.extend_from_slice(&args[..1]);
    all.extend_from_slice(&["--user", user, "--password", PASSWORD, "--database", db]);
    all.extend_from_slice(&args[1..]);
    uplift(&all)
}

fn pdf_text(path: &str) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8", path, "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_case_walks_through_the_command_line_with_roles_and_regions_checked() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let d = dir.path().display().to_string();
    let synth = uplift(&[
        "synth",
        "--households",
        "5",
        "--seed",
        "7",
        "--database",
        &db,
    ]);
    assert!(synth.ok, "{}", synth.err);
    let csv = format!("{d}/h.csv");
    let run = uplift(&[
        "export",
        "households",
        &csv,
        "--headers",
        "en",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    let text = std::fs::read_to_string(&csv).unwrap();
    let row: Vec<String> = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let (no, village, head, head_id) = (&row[0], &row[2], &row[4], &row[5]);
    assert_eq!(row[6], "head");
    let township = &village[..9];
    // A village of another township of the same county.
    let other_village = if township == "431026102" {
        "431026104200"
    } else {
        "431026102202"
    };

    for (name, role, region) in [
        ("cadre", "village_cadre", village.as_str()),
        ("cadre_b", "village_cadre", other_village),
        ("town", "township_reviewer", township),
        ("county", "county_officer", "431026"),
        ("viewer", "city_viewer", "4310"),
    ] {
        let r = uplift(&[
            "user",
            "add",
            name,
            "--role",
            role,
            "--region",
            region,
            "--password",
            PASSWORD,
            "--database",
            &db,
        ]);
        assert!(r.ok, "{name}: {}", r.err);
    }

    // A wrong password is refused.
    let r = uplift(&[
        "case",
        "list",
        "--user",
        "cadre",
        "--password",
        "wrong-password",
        "--database",
        &db,
    ]);
    assert!(
        !r.ok && r.err.contains("cannot log in as cadre"),
        "{}",
        r.err
    );

    // The county opens the case from a department warning; a helper-less city viewer may not.
    let open = [
        "open",
        "--household",
        no,
        "--channel",
        "department_warning",
        "--summary",
        "医保部门预警：住院自付 3.2 万元",
        "--risk-hint",
        "01",
    ];
    let r = case("viewer", &db, &open);
    assert!(!r.ok, "a city viewer may not open a case");
    let r = case("cadre_b", &db, &open);
    assert!(!r.ok && r.err.contains("not found"), "{}", r.err);
    let r = case("county", &db, &open);
    assert!(r.ok, "{}", r.err);
    let id = r.out.trim().rsplit(' ').next().unwrap().to_owned();

    // Each step: the wrong role refused, the right role of another village finds nothing.
    let steps: [(&str, &str, &[&str]); 5] = [
        (
            "cadre",
            "county",
            &[
                "verify",
                "--set",
                "commitment_signed=true",
                "--set",
                "asset_query_authorised=true",
                "--set",
                "findings=4 口人，户主住院",
            ],
        ),
        (
            "county",
            "cadre",
            &[
                "compare",
                "--set",
                "adverse_findings=false",
                "--set",
                "findings=无车辆、无商品房",
            ],
        ),
        (
            "cadre",
            "town",
            &[
                "appraise",
                "--set",
                "held_on=TODAY",
                "--set",
                "attendees=30",
                "--set",
                "votes_for=28",
                "--set",
                "votes_against=1",
                "--set",
                "abstentions=1",
                "--set",
                "minutes=村民代表会议",
            ],
        ),
        ("cadre", "county", &["post_notice", "--set", "start=TODAY"]),
        (
            "cadre",
            "viewer",
            &["file_objection", "--set", "text=邻居反映其有货车一辆"],
        ),
    ];
    let today = chrono_today();
    for (right, wrong, args) in steps {
        let args: Vec<String> = args.iter().map(|a| a.replace("TODAY", &today)).collect();
        let mut step = vec!["step".to_owned(), id.clone()];
        step.extend(args.iter().cloned());
        let step: Vec<&str> = step.iter().map(String::as_str).collect();
        let r = case(wrong, &db, &step);
        assert!(!r.ok, "{} by {wrong} should be refused: {}", step[2], r.out);
        if right == "cadre" {
            let r = case("cadre_b", &db, &step);
            assert!(!r.ok && r.err.contains("not found"), "{}", r.err);
        }
        let r = case(right, &db, &step);
        assert!(r.ok, "{} by {right}: {}", step[2], r.err);
    }
    // A misspelt field is named.
    let r = case(
        "cadre",
        &db,
        &["step", &id, "answer_objection", "--set", "answr=x"],
    );
    assert!(!r.ok, "{}", r.out);

    // The queue by state and region; another village's cadre sees none of it.
    let r = case("town", &db, &["list", "--state", "notice"]);
    assert!(r.ok, "{}", r.err);
    assert!(
        r.out.lines().any(|l| l.starts_with(&format!("{id}\t"))),
        "{}",
        r.out
    );
    let r = case("county", &db, &["list", "--state", "reviewed"]);
    assert!(
        !r.out.lines().any(|l| l.starts_with(&format!("{id}\t"))),
        "{}",
        r.out
    );
    let r = case("county", &db, &["list", "--region", other_village]);
    assert!(r.ok && r.out.lines().count() == 1, "{}", r.out);
    let r = case("cadre_b", &db, &["list"]);
    assert!(r.ok && r.out.lines().count() == 1, "{}", r.out);
    let r = case("cadre", &db, &["list", "--state", "nonsense"]);
    assert!(!r.ok && r.err.contains("--state"), "{}", r.err);

    // The timeline.
    let r = case("cadre", &db, &["show", &id]);
    assert!(r.ok, "{}", r.err);
    for needle in [
        "department_warning",
        "verified",
        "appraised",
        "notice_posted",
        "objection_filed",
        "county",
        "answer_objection",
    ] {
        assert!(r.out.contains(needle), "{needle} missing from {}", r.out);
    }
    assert!(!case("cadre_b", &db, &["show", &id]).ok);

    // The notice as PDF: the head's name, no ID number.
    let pdf = format!("{d}/notice.pdf");
    let r = case(
        "cadre",
        &db,
        &[
            "document",
            &id,
            "notice",
            "--phone",
            "0735-8221234",
            "--out",
            &pdf,
        ],
    );
    assert!(r.ok, "{}", r.err);
    let text = pdf_text(&pdf);
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        flat.contains(head.as_str()) && flat.contains("0735-8221234"),
        "{text}"
    );
    assert!(!flat.contains(head_id.as_str()));
    assert!(
        !flat
            .chars()
            .collect::<Vec<_>>()
            .windows(18)
            .any(|w| w[..17].iter().all(char::is_ascii_digit)),
        "{text}"
    );
    // Not yet approved: no announcement; not the other village's to print.
    let r = case(
        "cadre",
        &db,
        &["document", &id, "announcement", "--out", &pdf],
    );
    assert!(!r.ok && r.err.contains("approved"), "{}", r.err);
    let r = case("cadre_b", &db, &["document", &id, "notice", "--out", &pdf]);
    assert!(!r.ok);
    let card = format!("{d}/card.pdf");
    let r = case("cadre", &db, &["card", "--household", no, "--out", &card]);
    assert!(r.ok, "{}", r.err);
    assert!(pdf_text(&card).contains("明白卡"));
}

/// Today in China Standard Time, as the binary's clock sees it.
fn chrono_today() -> String {
    let out = Command::new("date")
        .args(["-u", "-d", "+8 hours", "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
