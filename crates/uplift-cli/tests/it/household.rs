//! `uplift household change …` end to end: a death, a health correction and an income period,
//! each kept as a version; a bad field is named and nothing is written.

use crate::{db_url, uplift};

/// The household number, a member's ID number and health of the first non-head member row of an
/// English export.
fn first_member(csv: &str) -> (String, String, String) {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .split(',')
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let (no, id, rel, health) = (
        col("household_no"),
        col("id_number"),
        col("relation"),
        col("health"),
    );
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() == header.len() && cells[rel] != "head" {
            return (
                cells[no].to_owned(),
                cells[id].to_owned(),
                cells[health].to_owned(),
            );
        }
    }
    panic!("no member row in {csv}");
}

#[test]
fn household_changes_from_the_command_line_are_versions() {
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
    let out = format!("{d}/before.csv");
    let run = uplift(&[
        "export",
        "households",
        &out,
        "--headers",
        "en",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    let (no, id_number, health) = first_member(&std::fs::read_to_string(&out).unwrap());
    let new_health = if health == "serious_illness" {
        "chronic_illness"
    } else {
        "serious_illness"
    };

    let run = uplift(&[
        "household",
        "change",
        "edit-member",
        "--household",
        &no,
        "--member",
        &id_number,
        "--set",
        &format!("health={new_health}"),
        "--reason",
        "入户核实",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}\n{}", run.out, run.err);
    assert!(run.out.contains("recorded"), "{}", run.out);

    let run = uplift(&[
        "household",
        "change",
        "record-income",
        "--household",
        &no,
        "--set",
        "period_start=2026-01-01",
        "--set",
        "period_end=2026-06-30",
        "--set",
        "wage=4200.50",
        "--reason",
        "半年收入",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}\n{}", run.out, run.err);

    // A wrong value is named, with the accepted ones, and nothing is written.
    let run = uplift(&[
        "household",
        "change",
        "remove-member",
        "--household",
        &no,
        "--member",
        &id_number,
        "--set",
        "status=vanished",
        "--reason",
        "测试",
        "--database",
        &db,
    ]);
    assert!(!run.ok);
    assert!(
        run.err.contains("status") && run.err.contains("died"),
        "{}",
        run.err
    );

    // Effective before the version just recorded (today): refused, naming that version's date.
    let run = uplift(&[
        "household",
        "change",
        "remove-member",
        "--household",
        &no,
        "--member",
        &id_number,
        "--set",
        "status=died",
        "--reason",
        "补录病故",
        "--valid-from",
        "2001-01-01",
        "--database",
        &db,
    ]);
    assert!(!run.ok, "{}", run.out);
    assert!(
        run.err.contains("2001-01-01") && run.err.contains("before the later version"),
        "{}",
        run.err
    );

    let run = uplift(&[
        "household",
        "change",
        "remove-member",
        "--household",
        &no,
        "--member",
        &id_number,
        "--set",
        "status=died",
        "--reason",
        "病故",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}\n{}", run.out, run.err);

    let persons = format!("{d}/persons.csv");
    let run = uplift(&[
        "export",
        "persons",
        &persons,
        "--headers",
        "en",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    let text = std::fs::read_to_string(&persons).unwrap();
    let row = text
        .lines()
        .find(|l| l.contains(&id_number))
        .expect("the member is kept");
    assert!(row.contains("died"), "{row}");
    assert!(row.contains(new_health), "{row}");
}
