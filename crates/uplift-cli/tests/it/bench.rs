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

/// `uplift bench dashboard` on a small city: it settles the village tallies, then prints the
/// medians of repeated renders, of the first render after a typed change and of as-of replays,
/// for the county and the city, in process and over HTTP. (The target is out of reach of any
/// machine's speed here: the test checks what is measured, not how fast.)
#[test]
fn bench_dashboard_reports_after_write_and_replay_medians() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("city.sqlite").display());
    let run = uplift(&[
        "bench",
        "dashboard",
        "--database",
        &db,
        "--households",
        "300",
        "--runs",
        "3",
        "--target-ms",
        "600000",
    ]);
    assert!(run.ok, "{}\n{}", run.out, run.err);
    for needle in [
        "settling the village tallies: ",
        "use case, county 汝城县 431026:",
        "use case, city 郴州市 4310:",
        "first view after a typed change, 3 runs: median",
        "as-of replay, a new date each run, 3 runs: median",
        "(county page after a typed change,",
        "(city page, as-of replay,",
        "(city JSON,",
        "all medians under 600000 ms",
    ] {
        assert!(run.out.contains(needle), "{needle} in {}", run.out);
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
        "target p99 < 20 ms",
        "RSS first ",
        "soak verdict: 0 errors, memory ",
        "zero errors",
    ] {
        assert!(run.out.contains(needle), "{needle} in {}", run.out);
    }
}
