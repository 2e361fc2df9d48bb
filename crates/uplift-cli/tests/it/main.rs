//! End-to-end tests of the `uplift` binary: each runs the real binary on a fresh SQLite file.

mod bench;
mod bench_screen;
mod cases;
mod encrypt;
mod household;
mod imports;
mod logs;
mod national;
mod portable;
mod rectify;
mod villages;

use std::path::Path;
use std::process::{Command, Output};

struct Run {
    out: String,
    err: String,
    ok: bool,
}

fn uplift(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_uplift"))
        .args(args)
        .env_remove("UPLIFT_DATABASE_URL")
        .env_remove("UPLIFT_POLICY_DIR")
        .env_remove("UPLIFT_PASSWORD")
        .env_remove("UPLIFT_DATA_KEY")
        .env_remove("UPLIFT_DATA_KEY_FILE")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the uplift binary runs");
    Run {
        out: String::from_utf8_lossy(&stdout).into_owned(),
        err: String::from_utf8_lossy(&stderr).into_owned(),
        ok: status.success(),
    }
}

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("t.sqlite").display())
}

#[test]
fn synth_writes_a_registry_that_passes_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let run = uplift(&[
        "synth",
        "--county",
        "431026",
        "--households",
        "4500",
        "--seed",
        "7",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    assert!(run.out.contains("Wrote 4500 households"), "{}", run.out);
    let check = uplift(&["check", "--database", &db]);
    assert!(check.ok, "{}", check.err);
    assert!(check.out.contains("4500 households"), "{}", check.out);
    assert!(check.out.contains("integrity check: ok"), "{}", check.out);
    let regions = uplift(&["regions", "list", "--parent", "431026", "--database", &db]);
    assert!(regions.ok, "{}", regions.err);
    assert!(regions.out.contains("乡镇"), "{}", regions.out);
}

#[test]
fn synth_is_deterministic_and_writes_csv_with_errors_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let csv = |sub: &str, errors: bool| {
        let out = dir.path().join(sub);
        let out_s = out.display().to_string();
        let mut args = vec![
            "synth",
            "--households",
            "300",
            "--seed",
            "3",
            "--csv-out",
            &out_s,
            "--csv-only",
            "--database",
            &db,
        ];
        if errors {
            args.push("--with-errors");
        }
        let run = uplift(&args);
        assert!(run.ok, "{}", run.err);
        (
            std::fs::read_to_string(out.join("households.csv")).unwrap(),
            run.out,
        )
    };
    let (a, _) = csv("a", false);
    let (b, _) = csv("b", false);
    assert_eq!(a, b, "the same seed gives the same file");
    assert!(a.starts_with("户编号,户类型,行政区划代码"), "{}", &a[..80]);
    let (c, said) = csv("c", true);
    assert_ne!(a, c);
    assert!(said.contains("Injected"), "{said}");
}

#[test]
fn policy_show_and_check_name_what_is_wrong() {
    let show = uplift(&[
        "policy",
        "show",
        "--region",
        "431026",
        "--date",
        "2026-06-01",
    ]);
    assert!(show.ok, "{}", show.err);
    assert!(show.out.contains("防止返贫致贫对象"), "{}", show.out);
    let old = uplift(&[
        "policy",
        "show",
        "--region",
        "230102",
        "--date",
        "2023-06-01",
    ]);
    assert!(old.ok, "{}", old.err);
    assert!(old.out.contains("监测对象"), "{}", old.out);

    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy/43-hunan/2026.toml");
    let good = uplift(&["policy", "check", shipped.to_str().unwrap()]);
    assert!(good.ok, "{}", good.err);
    let text = std::fs::read_to_string(&shipped).unwrap();
    let broken = text.replacen("line_yuan", "line_yaun", 1);
    let file = dir.path().join("2026.toml");
    std::fs::write(&file, broken).unwrap();
    let bad = uplift(&["policy", "check", file.to_str().unwrap()]);
    assert!(!bad.ok);
    assert!(bad.err.contains("line_yaun"), "{}", bad.err);
}

#[test]
fn users_are_added_listed_and_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    assert!(uplift(&["regions", "load-shipped", "--database", &db]).ok);
    let add = uplift(&[
        "user",
        "add",
        "li",
        "--role",
        "村干部",
        "--region",
        "431026102200",
        "--password",
        "secret-pass",
        "--database",
        &db,
        "--as",
        "tester",
    ]);
    assert!(add.ok, "{}", add.err);
    let wrong_level = uplift(&[
        "user",
        "add",
        "wang",
        "--role",
        "village_cadre",
        "--region",
        "431026",
        "--password",
        "secret-pass",
        "--database",
        &db,
    ]);
    assert!(!wrong_level.ok);
    assert!(
        wrong_level.err.contains("must be scoped to a village"),
        "{}",
        wrong_level.err
    );
    let short = uplift(&[
        "user",
        "add",
        "zhao",
        "--role",
        "auditor",
        "--region",
        "431026",
        "--password",
        "short",
        "--database",
        &db,
    ]);
    assert!(!short.ok);
    assert!(short.err.contains("at least 8 characters"), "{}", short.err);
    assert!(uplift(&["user", "disable", "li", "--database", &db]).ok);
    let list = uplift(&["user", "list", "--database", &db]);
    assert!(
        list.out
            .contains("li\tli\tvillage_cadre\t431026102200\t-\tdisabled"),
        "{}",
        list.out
    );
    let missing = uplift(&["user", "disable", "nobody", "--database", &db]);
    assert!(!missing.ok);
}

#[test]
fn every_command_has_help() {
    for cmd in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["synth", "--help"],
        vec!["regions", "import", "--help"],
        vec!["policy", "check", "--help"],
        vec!["user", "add", "--help"],
        vec!["check", "--help"],
    ] {
        let run = uplift(&cmd);
        assert!(run.ok, "{cmd:?}: {}", run.err);
        assert!(run.out.contains("Usage: uplift"), "{cmd:?}: {}", run.out);
    }
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let run = uplift(&["check", "--database", "mysql://x"]);
    assert!(!run.ok);
    assert!(
        run.err.contains("must start with sqlite:// or postgres://"),
        "{}",
        run.err
    );
}

#[test]
fn a_backup_restores_into_a_new_database_with_the_same_tables() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    assert!(uplift(&["synth", "--households", "200", "--database", &db]).ok);
    let add = uplift(&[
        "user",
        "add",
        "aud",
        "--role",
        "auditor",
        "--region",
        "431026",
        "--password",
        "secret-pass",
        "--database",
        &db,
    ]);
    assert!(add.ok, "{}", add.err);
    let snapshot = dir.path().join("snap.jsonl");
    let backup = uplift(&["backup", snapshot.to_str().unwrap(), "--database", &db]);
    assert!(backup.ok, "{}", backup.err);
    let copy = format!("sqlite://{}", dir.path().join("copy.sqlite").display());
    let restore = uplift(&["restore", snapshot.to_str().unwrap(), "--database", &copy]);
    assert!(restore.ok, "{}", restore.err);
    let table_lines = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains("sha256"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(table_lines(&backup.out), table_lines(&restore.out));
    assert!(
        table_lines(&backup.out)
            .iter()
            .any(|l| l.starts_with("households "))
    );
    let check = uplift(&["check", "--database", &copy]);
    assert!(
        check.out.contains("200 households") && check.out.contains("integrity check: ok"),
        "{}",
        check.out
    );
    let verify = uplift(&["audit", "verify", "--database", &copy]);
    assert!(
        verify.ok && verify.out.contains("audit log: ok"),
        "{} {}",
        verify.out,
        verify.err
    );
    // Restoring over data is refused.
    let again = uplift(&["restore", snapshot.to_str().unwrap(), "--database", &copy]);
    assert!(!again.ok);
    assert!(
        again.err.contains("needs an empty database"),
        "{}",
        again.err
    );
}
