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
