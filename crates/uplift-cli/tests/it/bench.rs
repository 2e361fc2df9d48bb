//! `uplift bench import` on a small file: it reports both times, the ratio and the peak memory,
//! or says how to install the sqlite3 shell.

use crate::uplift;

#[test]
fn bench_import_reports_times_ratio_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("bench");
    let run = uplift(&[
        "bench",
        "import",
        "--persons",
        "400",
        "--dir",
        &work.display().to_string(),
    ]);
    let have_sqlite3 = std::process::Command::new("sqlite3")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if have_sqlite3 {
        assert!(run.ok, "{}\n{}", run.out, run.err);
        for needle in [
            "uplift import:",
            "status applied",
            "floor (sqlite3",
            "ratio:",
            "VmHWM",
        ] {
            assert!(run.out.contains(needle), "{needle} in {}", run.out);
        }
        assert!(
            !work.exists(),
            "the working files are removed without --keep"
        );
    } else {
        assert!(!run.ok);
        assert!(run.err.contains("apt-get install sqlite3"), "{}", run.err);
    }
}

/// `uplift bench load` on a small city: every phase reports its operations, the soak its memory
/// samples, and there are no errors.
#[test]
fn bench_load_reports_every_phase_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db_url(dir.path());
    let run = uplift(&[
        "bench",
        "load",
        "--database",
        &db,
        "--households",
        "330",
        "--clients",
        "4",
        "--mixed-secs",
        "2",
        "--page-rate",
        "20",
        "--page-secs",
        "2",
        "--soak-rate",
        "10",
        "--soak-secs",
        "11",
    ]);
    assert!(run.ok, "{}\n{}", run.out, run.err);
    for needle in [
        "mixed, 4 clients, closed loop",
        "household page at 20 req/s, open loop",
        "soak, mixed at 10 req/s",
        "household page  GET /households/{id}",
        "list (JSON)     GET /api/v1/households",
        "typed change    POST .../changes",
        "workflow step   POST .../cases",
        "server RSS (MiB) every 10 s",
        "zero errors",
    ] {
        assert!(run.out.contains(needle), "{needle} in {}", run.out);
    }
}
