//! `uplift bench import`: writes a synthetic registry CSV (1,000,000 persons by default), imports
//! it into a fresh SQLite file, and in the same run times the floor — the sqlite3 CLI's `.import`
//! of the same CSV into one plain table. Prints both times, the ratio and the peak memory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use uplift_app::access::Principal;
use uplift_app::imports::{ImportKind, ImportMode, ImportRequest};
use uplift_domain::region::RegionCode;

use crate::cli::BenchImportArgs;
use crate::startup::{self, open_db};

/// Persons per household in synth's registries, to size the household count.
const PERSONS_PER_HOUSEHOLD: f64 = 3.22;

/// Times each phase of the import (the `Progress` phases), for the breakdown line.
struct PhaseClock(std::sync::Mutex<Vec<(&'static str, Instant)>>);

impl uplift_app::imports::Progress for PhaseClock {
    fn phase(&self, name: &'static str) {
        if let Ok(mut marks) = self.0.lock() {
            marks.push((name, Instant::now()));
        }
    }
}

impl PhaseClock {
    /// `parse 3.1 s · check 0.4 s · …`, each phase until the next one (the last until `end`).
    fn breakdown(&self, end: Instant) -> String {
        let marks = self.0.lock().map(|m| m.clone()).unwrap_or_default();
        marks
            .iter()
            .enumerate()
            .map(|(i, (name, at))| {
                let until = marks.get(i + 1).map_or(end, |(_, next)| *next);
                format!("{name} {:.1} s", until.duration_since(*at).as_secs_f64())
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// The process's peak resident memory (VmHWM), in MiB.
pub(crate) fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn sqlite3_version() -> anyhow::Result<String> {
    match Command::new("sqlite3").arg("-version").output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            Ok(text.split_whitespace().next().unwrap_or("").to_owned())
        }
        _ => bail!(
            "the sqlite3 command-line shell is needed for the floor measurement: \
             install it with `apt-get install sqlite3` (Debian package sqlite3)"
        ),
    }
}

fn floor(csv: &Path, dir: &Path) -> anyhow::Result<f64> {
    let db = dir.join("floor.sqlite");
    let _ = std::fs::remove_file(&db);
    let started = Instant::now();
    let out = Command::new("sqlite3")
        .arg(&db)
        .arg("-cmd")
        .arg(".mode csv")
        .arg(format!(".import '{}' registry", csv.display()))
        .output()
        .context("running sqlite3")?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "sqlite3 .import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(seconds)
}

pub async fn import(args: BenchImportArgs, actor: &str) -> anyhow::Result<()> {
    let version = sqlite3_version()?;
    if cfg!(debug_assertions) {
        eprintln!(
            "note: this is a debug build; run `cargo run --release -- bench import` for figures"
        );
    }
    let dir: PathBuf = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("uplift-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let db_path = dir.join("bench.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
    let url = format!("sqlite://{}", db_path.display());
    let db = open_db(&url).await?;
    let app = startup::app(&db, startup::policy_book(&args.policy)?);
    super::load_shipped(db.store().as_ref()).await?;
    let county = RegionCode::parse(&args.county).context("--county")?;
    let villages = super::county_villages(&app, &county).await?;

    // 1. The file.
    let started = Instant::now();
    let today = app.clock.today();
    let line = app
        .policy
        .in_force(&county, today)
        .map(|p| p.monitoring_line)
        .with_context(|| format!("no policy pack is in force for {county} on {today}"))?;
    let households = (args.persons as f64 / PERSONS_PER_HOUSEHOLD).ceil() as u32;
    let synth = uplift_app::synth::generate(
        &uplift_app::synth::SynthConfig {
            county,
            households,
            seed: args.seed,
            today,
            monitoring_line: line,
            with_errors: false,
        },
        &villages,
    )?;
    let persons = synth.persons();
    let csv_path = dir.join("registry.csv");
    std::fs::write(&csv_path, uplift_app::synth::registry_csv(&synth, false))
        .with_context(|| format!("writing {}", csv_path.display()))?;
    drop(synth);
    let bytes_len = std::fs::metadata(&csv_path)?.len();
    println!(
        "file: {} persons in {households} households, {:.1} MB, written in {:.1} s ({})",
        persons,
        bytes_len as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        csv_path.display()
    );
    let before_import = peak_mib();

    // 2. The import: parse, validate, quality rules, match, one transaction with history.
    let started = Instant::now();
    let clock = PhaseClock(std::sync::Mutex::new(Vec::new()));
    let bytes = std::fs::read(&csv_path)?;
    let batch = uplift_app::imports::run_import(
        &app,
        &Principal::machine(actor),
        ImportRequest {
            kind: ImportKind::Households,
            mode: ImportMode::AllOrNothing,
            file_name: "registry.csv".to_owned(),
            bytes,
        },
        &clock,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message_zh()))?;
    let import_s = started.elapsed().as_secs_f64();
    println!("phases: {}", clock.breakdown(Instant::now()));
    let c = batch.counts;
    println!(
        "uplift import: {import_s:.1} s — status {}, {} rows, {} households and {} persons new, {} errors, {} warnings",
        batch.status, c.rows, c.households_new, c.persons_new, c.errors, c.warnings
    );
    let peak = peak_mib();

    // 3. The floor.
    let floor_s = floor(&csv_path, &dir)?;
    println!("floor (sqlite3 {version} .import into one plain table): {floor_s:.1} s");
    println!(
        "ratio: {:.1}× the floor (goal ≤ 3×); target ≤ 60 s: {}",
        import_s / floor_s,
        if import_s <= 60.0 { "met" } else { "NOT met" }
    );
    match (before_import, peak) {
        (Some(b), Some(p)) => println!(
            "peak memory (VmHWM): {p:.0} MiB (before the import: {b:.0} MiB); target < 1024 MiB: {}",
            if p < 1024.0 { "met" } else { "NOT met" }
        ),
        _ => println!("peak memory: unknown (no /proc/self/status)"),
    }
    if !args.keep {
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
