//! `uplift bench screen` at a small size: a parity test (Uplift's streaming engine, its general
//! engine and DuckDB must give the same (household, rule) warnings on the same files), not a
//! timing test. It needs Python with the duckdb package (`pip install duckdb`).

use super::uplift;

#[test]
fn bench_screen_small_gives_the_same_warnings_as_duckdb() {
    let dir = std::env::temp_dir().join(format!("uplift-bench-parity-{}", std::process::id()));
    let run = uplift(&[
        "bench",
        "screen",
        "--persons",
        "6000",
        "--feed-rows",
        "30000",
        "--dir",
        dir.to_str().unwrap(),
        "--check-general",
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(run.ok, "{}\n{}", run.out, run.err);
    assert!(run.out.contains("same warnings: yes"), "{}", run.out);
    // The streaming path agrees with the general engine `uplift screen` uses.
    assert!(
        run.out.contains("same as the general engine: yes"),
        "{}",
        run.out
    );
    // The case is rich enough to exercise every rule.
    for rule in [
        "INCOME_BELOW_LINE",
        "EDGE_BAND_WITH_RISK",
        "INCOME_DROP",
        "MEDICAL_PER_STAY",
        "MEDICAL_12_MONTHS",
        "MEDICAL_SHARE_OF_INCOME",
        "SEVERE_DISABILITY_NEW",
        "SCHOOL_DROPOUT",
        "HOUSING_UNSAFE",
        "WATER_INTERRUPTION",
        "DISASTER_LOSS",
        "MAIN_WORKER_DEATH",
        "MAIN_WORKER_UNEMPLOYED",
        "NEW_SUBSISTENCE",
    ] {
        assert!(run.out.contains(&format!("{rule}=")), "{rule}: {}", run.out);
    }
}
