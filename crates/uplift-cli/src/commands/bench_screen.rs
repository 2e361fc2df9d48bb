//! `uplift bench screen` (issue 5): a province-shaped screening case in files, screened end to end
//! by Uplift's engine and by DuckDB (bench/screen_duckdb.py) over the same files.
//!
//! Uplift's path is the streaming one (`bench_screen_stream`, `uplift_screen::stream`): the files
//! are read in byte pieces by every core, split by hand, persons are found by a packed `u64` key
//! and feed rows are folded into per-household arrays as they are read. `--check-general` also
//! runs the general path (`uplift_screen::screen` over every record in memory, what
//! `uplift screen` uses) and fails unless it gives the same pairs. The engines must give the same
//! set of (household, rule) warnings, or the bench fails.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{Datelike, Days, Months, NaiveDate};
use uplift_domain::income::Money;
use uplift_domain::policy::{OutOfPocketRule, PolicyPack};
use uplift_domain::region::RegionCode;
use uplift_screen::{
    AssetKind, AssistanceKind, CivilEvent, EducationStatus, EmploymentEvent, Evidence, FeedData,
    FeedKind, FeedRecord, HouseholdFacts, IncomeFacts, PersonFacts, Registry, Target, worker_rank,
};

use crate::cli::PolicyArg;
use crate::startup;

/// The DuckDB side, shipped inside the binary and written next to the files it reads.
const DUCKDB_SCRIPT: &str = include_str!("../../../../bench/screen_duckdb.py");

#[derive(Debug, clap::Args)]
pub struct ScreenBenchArgs {
    /// Persons in the registry export (about 3 per household).
    #[arg(long, default_value_t = 30_000)]
    pub persons: u64,
    /// Feed rows over all feeds (mostly medical settlements).
    #[arg(long, default_value_t = 150_000)]
    pub feed_rows: u64,
    /// Where the files go (default: a fresh folder under the system temp dir, removed after).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// The Python that has the duckdb package.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// The reference date of the screening.
    #[arg(long, default_value = "2026-04-01")]
    pub as_of: NaiveDate,
    /// Keep the files that an earlier run with the same sizes and seed left in `--dir` instead of
    /// generating them again.
    #[arg(long, requires = "dir")]
    pub reuse_files: bool,
    /// Also screen the files through the general engine (every record in memory, as
    /// `uplift screen` does) and fail unless it gives the same warnings: for small sizes.
    #[arg(long)]
    pub check_general: bool,
    /// Threads folding the feed rows (default: one per core); the result does not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub fold_threads: Option<u64>,
    /// Stop after generating (or finding, with `--reuse-files`) the files: to keep generation
    /// out of a later timed run.
    #[arg(long, conflicts_with = "uplift_only")]
    pub generate_only: bool,
    /// Time Uplift's streaming path alone (no floor, no DuckDB, no comparison): for profiling.
    #[arg(long)]
    pub uplift_only: bool,
    #[command(flatten)]
    pub policy: PolicyArg,
}

/// The county the case lives in (its pack is the one in force there).
const COUNTY: &str = "431026";

pub fn screen(args: ScreenBenchArgs) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("note: a debug build; timings mean something only with --release");
    }
    let book = startup::policy_book(&args.policy)?;
    let village = RegionCode::parse(&format!("{COUNTY}100200"))?;
    let pack = book
        .in_force(&village, args.as_of)
        .with_context(|| format!("no policy pack is in force for {village} on {}", args.as_of))?
        .clone();
    let (dir, temporary) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("uplift-bench-screen-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = bench(&args, &pack, &dir);
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn bench(args: &ScreenBenchArgs, pack: &PolicyPack, dir: &Path) -> anyhow::Result<()> {
    let marker = dir.join("generated.txt");
    let stamp = format!(
        "persons={} feed_rows={} seed={}",
        args.persons, args.feed_rows, args.seed
    );
    if args.reuse_files && std::fs::read_to_string(&marker).is_ok_and(|s| s == stamp) {
        println!("reusing the files in {} ({stamp})", dir.display());
    } else {
        let _ = std::fs::remove_file(&marker);
        let t = Instant::now();
        let made = generate(dir, args.persons, args.feed_rows, args.seed)?;
        std::fs::write(&marker, &stamp)?;
        println!(
            "generated {} persons in {} households, {} feed rows, {:.1} MB of CSV in {:.1}s ({})",
            made.persons,
            made.households,
            made.feed_rows,
            made.bytes as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            dir.display()
        );
    }

    if args.generate_only {
        return Ok(());
    }

    // (a) Uplift, end to end from the files.
    let shards = args
        .fold_threads
        .map_or_else(super::bench_screen_stream::default_shards, |n| n as usize);
    let t = Instant::now();
    let ours = screen_files(dir, pack, args.as_of, shards)?;
    let uplift_s = t.elapsed().as_secs_f64();
    let uplift_kb = vm_hwm_kb();
    if args.uplift_only {
        println!(
            "uplift end-to-end: {uplift_s:>8.2} s   peak {:>7.0} MB (VmHWM); registry {:.2} s; {shards} folding threads; {} pairs, {} unmatched",
            uplift_kb as f64 / 1024.0,
            ours.load_s,
            ours.pairs.len(),
            ours.unmatched
        );
        return Ok(());
    }

    // The floor: reading and parsing the same files, no registry, no rules.
    let t = Instant::now();
    let files: Vec<&str> = ["registry.csv", "income.csv"]
        .into_iter()
        .chain(FEED_FILES.iter().map(|(f, _)| *f))
        .collect();
    let parsed = super::bench_screen_stream::parse_only(dir, &files)?;
    let floor_s = t.elapsed().as_secs_f64();

    if args.check_general {
        let t = Instant::now();
        let general = screen_files_general(dir, pack, args.as_of)?;
        println!(
            "general engine:    {:>8.2} s   ({} pairs, {} unmatched)",
            t.elapsed().as_secs_f64(),
            general.pairs.len(),
            general.unmatched
        );
        if general.pairs != ours.pairs || general.unmatched != ours.unmatched {
            let a: Vec<_> = ours.pairs.difference(&general.pairs).take(10).collect();
            let b: Vec<_> = general.pairs.difference(&ours.pairs).take(10).collect();
            bail!(
                "the streaming and general engines disagree: {} pairs and {} unmatched against {} and {}; only streaming: {a:?}; only general: {b:?}",
                ours.pairs.len(),
                ours.unmatched,
                general.pairs.len(),
                general.unmatched
            );
        }
        println!("same as the general engine: yes");
    }

    // (b) DuckDB on the same files.
    let script = dir.join("screen_duckdb.py");
    std::fs::write(&script, DUCKDB_SCRIPT)?;
    let out = dir.join("duckdb_warnings.csv");
    let params = duckdb_params(pack, args.as_of);
    let t = Instant::now();
    let run = Command::new(&args.python)
        .arg(&script)
        .arg(dir)
        .arg(params)
        .arg(&out)
        .output()
        .with_context(|| format!("running {} (is Python installed?)", args.python))?;
    let duck_s = t.elapsed().as_secs_f64();
    if run.status.code() == Some(3) {
        bail!("the duckdb Python package is missing: install it with `pip install duckdb`");
    }
    if !run.status.success() {
        bail!(
            "the DuckDB script failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let report = String::from_utf8_lossy(&run.stdout);
    let duck_kb: u64 = report
        .split_whitespace()
        .find_map(|w| w.strip_prefix("peak_rss_kb="))
        .and_then(|v| v.parse().ok())
        .context("the DuckDB script printed no peak_rss_kb")?;
    let theirs = read_pairs(&out)?;

    let mut per_rule = std::collections::BTreeMap::<&str, u64>::new();
    for (_, r) in &ours.pairs {
        *per_rule.entry(r.as_str()).or_default() += 1;
    }
    println!(
        "warnings: {} (household, rule) pairs; {}",
        ours.pairs.len(),
        per_rule
            .iter()
            .map(|(r, n)| format!("{r}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "unmatched feed rows: {} of {} live (reported, not dropped)",
        ours.unmatched,
        ours.live.unwrap_or(0)
    );
    println!(
        "uplift end-to-end: {uplift_s:>8.2} s   peak {:>7.0} MB (VmHWM)",
        uplift_kb as f64 / 1024.0
    );
    println!(
        "  of which registry: {:>6.2} s   (registry and income files into the flat registry)",
        ours.load_s
    );
    println!(
        "parse-only floor:  {floor_s:>8.2} s   ({} rows read and parsed on every core, nothing built); end-to-end is {:.2}x the floor",
        parsed,
        uplift_s / floor_s
    );
    println!(
        "duckdb end-to-end: {duck_s:>8.2} s   peak {:>7.0} MB (VmHWM of the Python process; wall includes Python start)",
        duck_kb as f64 / 1024.0
    );
    println!(
        "ratio uplift/duckdb: {:.2} (target <= 0.50, peak < 2048 MB)",
        uplift_s / duck_s
    );
    if ours.pairs != theirs {
        let only_ours: Vec<_> = ours.pairs.difference(&theirs).take(10).collect();
        let only_theirs: Vec<_> = theirs.difference(&ours.pairs).take(10).collect();
        bail!(
            "the engines disagree: {} pairs from Uplift, {} from DuckDB; only Uplift (first 10): {only_ours:?}; only DuckDB (first 10): {only_theirs:?}",
            ours.pairs.len(),
            theirs.len()
        );
    }
    println!("same warnings: yes ({} pairs)", ours.pairs.len());
    Ok(())
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn read_pairs(path: &Path) -> anyhow::Result<BTreeSet<(String, String)>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let mut out = BTreeSet::new();
    for rec in reader.records() {
        let rec = rec?;
        out.insert((rec[0].to_owned(), rec[1].to_owned()));
    }
    Ok(out)
}

/// The feed files, in batch order.
pub const FEED_FILES: [(&str, FeedKind); 11] = [
    ("medical_1.csv", FeedKind::Medical),
    ("civil_affairs.csv", FeedKind::CivilAffairs),
    ("disability.csv", FeedKind::Disability),
    ("education.csv", FeedKind::Education),
    ("employment.csv", FeedKind::Employment),
    ("housing.csv", FeedKind::Housing),
    ("water.csv", FeedKind::Water),
    ("disaster.csv", FeedKind::Disaster),
    ("civil_registry.csv", FeedKind::CivilRegistry),
    ("assets.csv", FeedKind::Assets),
    ("medical_2.csv", FeedKind::Medical),
];

fn window(as_of: NaiveDate, pack: &PolicyPack) -> (NaiveDate, NaiveDate, NaiveDate) {
    let s = &pack.screening;
    let lookback = as_of
        .checked_sub_months(Months::new(u32::from(s.medical_lookback_months)))
        .unwrap_or(NaiveDate::MIN);
    let new = as_of
        .checked_sub_days(Days::new(u64::from(s.new_event_days)))
        .unwrap_or(NaiveDate::MIN);
    let year_first = as_of
        .checked_sub_days(Days::new(364))
        .unwrap_or(NaiveDate::MIN);
    (lookback, new, year_first)
}

fn duckdb_params(pack: &PolicyPack, as_of: NaiveDate) -> String {
    let s = &pack.screening;
    let (lookback, new, year_first) = window(as_of, pack);
    let enabled: Vec<String> = pack
        .rules
        .iter()
        .filter(|r| r.enabled)
        .map(|r| format!("\"{}\"", r.code))
        .collect();
    let batches: Vec<String> = FEED_FILES
        .iter()
        .enumerate()
        .map(|(i, (f, _))| format!("\"{f}\": {}", i + 1))
        .collect();
    let grades: Vec<String> = s
        .housing_unsafe_grades
        .iter()
        .map(|g| format!("\"{}\"", g.as_str()))
        .collect();
    format!(
        "{{\"as_of\": \"{as_of}\", \"lookback_start\": \"{lookback}\", \"new_start\": \"{new}\", \"year_first\": \"{year_first}\", \
         \"line\": {}, \"edge\": {}, \"drop_percent\": {}, \"per_stay_monitored\": {}, \"per_stay_other\": {}, \
         \"focus_total\": {}, \"medical_percent\": {}, \"severe_max_grade\": {}, \"unsafe_grades\": [{}], \
         \"water_days\": {}, \"disaster_min\": {}, \"disaster_percent\": {}, \"deduct_out_of_pocket\": {}, \
         \"enabled\": [{}], \"batches\": {{{}}}}}",
        pack.monitoring_line.fen(),
        pack.edge_band_line().fen(),
        s.income_drop_percent,
        s.medical_per_stay_monitored.fen(),
        s.medical_per_stay_other.fen(),
        s.medical_focus_total.fen(),
        s.medical_percent_of_household_income,
        s.severe_disability_max_grade,
        grades.join(", "),
        s.water_interruption_days,
        s.disaster_loss_min.fen(),
        s.disaster_loss_percent_of_income,
        pack.out_of_pocket == OutOfPocketRule::Deduct,
        enabled.join(", "),
        batches.join(", "),
    )
}

// ---------------------------------------------------------------------------------------------
// Uplift's path: files → registry snapshot + feed records → engine.

pub struct Outcome {
    pub pairs: BTreeSet<(String, String)>,
    pub unmatched: usize,
    /// Live feed rows after de-duplication (streaming path only).
    pub live: Option<u64>,
    pub load_s: f64,
}

/// Uplift end to end, streaming: the files in, the (household number, rule) pairs out.
pub fn screen_files(
    dir: &Path,
    pack: &PolicyPack,
    as_of: NaiveDate,
    shards: usize,
) -> anyhow::Result<Outcome> {
    use super::bench_screen_stream as s;
    let t = Instant::now();
    let keys = uplift_screen::stream::Interner::default();
    let registry = s::load_registry(dir, pack, as_of, &keys)?;
    let load_s = t.elapsed().as_secs_f64();
    let screened =
        s::screen_feeds_sharded(dir, &FEED_FILES, &registry, &keys, pack, as_of, shards)?;
    let unmatched = screened.unmatched;
    let live = Some(screened.live);
    let pairs = screened
        .pairs
        .into_iter()
        .map(|(h, r)| {
            (
                keys.code_text(registry.household_key(h)),
                r.as_str().to_owned(),
            )
        })
        .collect();
    Ok(Outcome {
        pairs,
        unmatched: unmatched as usize,
        live,
        load_s,
    })
}

struct Cols {
    idx: Vec<Option<usize>>,
}

impl Cols {
    fn new(headers: &csv::ByteRecord, names: &[&str]) -> Cols {
        Cols {
            idx: names
                .iter()
                .map(|n| headers.iter().position(|h| h == n.as_bytes()))
                .collect(),
        }
    }
    fn get<'r>(&self, rec: &'r csv::ByteRecord, i: usize) -> &'r [u8] {
        self.idx[i].and_then(|c| rec.get(c)).unwrap_or(b"")
    }
}

fn open(dir: &Path, file: &str) -> anyhow::Result<csv::Reader<File>> {
    let path = dir.join(file);
    csv::ReaderBuilder::new()
        .buffer_capacity(1 << 20)
        .from_path(&path)
        .with_context(|| format!("opening {}", path.display()))
}

fn bad(file: &str, row: u64, field: &str) -> anyhow::Error {
    anyhow::anyhow!("{file}: row {row}: field {field} is not valid")
}

use super::bench_screen_stream::{date, fen, id18 as key};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn load_registry(dir: &Path, pack: &PolicyPack) -> anyhow::Result<Registry> {
    use uplift_domain::household::{Labour, Relation};
    const F: &str = "registry.csv";
    let mut reader = open(dir, F)?;
    let cols = Cols::new(
        reader.byte_headers()?,
        &[
            "household_no",
            "household_type",
            "region_code",
            "id_number",
            "relation",
            "labour",
            "disability_grade",
        ],
    );
    let mut registry = Registry::default();
    let mut rec = csv::ByteRecord::new();
    let mut row = 1u64;
    while reader.read_byte_record(&mut rec)? {
        row += 1;
        let no = cols.get(&rec, 0);
        let h = match registry.household_by_no(std::str::from_utf8(no).unwrap_or("")) {
            Some(h) => h,
            None => {
                let region = std::str::from_utf8(cols.get(&rec, 2))
                    .ok()
                    .and_then(uplift_screen::region_key)
                    .ok_or_else(|| bad(F, row, "region_code"))?;
                registry.add_household(HouseholdFacts {
                    key: i64::from(registry.households.len() as u32),
                    household_no: text(no),
                    region,
                    formerly_poor: cols.get(&rec, 1) == b"formerly_poor"
                        || cols.get(&rec, 1) == "脱贫户".as_bytes(),
                    members: 0,
                    incomes: Vec::new(),
                })
            }
        };
        registry.households[h as usize].members += 1;
        let Some(id) = key(cols.get(&rec, 3)) else {
            continue;
        };
        let relation = match cols.get(&rec, 4) {
            b"head" => Relation::Head,
            b"spouse" => Relation::Spouse,
            _ => Relation::Other,
        };
        let labour = match cols.get(&rec, 5) {
            b"skilled" => Labour::Skilled,
            b"ordinary" => Labour::Ordinary,
            _ => Labour::Weak,
        };
        let grade = match cols.get(&rec, 6) {
            b"" => None,
            g => Some(
                std::str::from_utf8(g)
                    .ok()
                    .and_then(|g| g.parse::<u8>().ok())
                    .ok_or_else(|| bad(F, row, "disability_grade"))?,
            ),
        };
        let birth = std::str::from_utf8(&id[6..14])
            .ok()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y%m%d").ok());
        registry.add_person(PersonFacts {
            id,
            household: h,
            disability_grade: grade,
            worker_rank: worker_rank(labour, relation, birth),
        });
    }

    const I: &str = "income.csv";
    let mut reader = open(dir, I)?;
    let cols = Cols::new(
        reader.byte_headers()?,
        &[
            "household_no",
            "period_end",
            "wage_income",
            "business_income",
            "property_income",
            "transfer_income",
            "production_costs",
            "compliant_out_of_pocket",
        ],
    );
    let deduct = pack.out_of_pocket == OutOfPocketRule::Deduct;
    let mut row = 1u64;
    while reader.read_byte_record(&mut rec)? {
        row += 1;
        let Some(h) =
            registry.household_by_no(std::str::from_utf8(cols.get(&rec, 0)).unwrap_or(""))
        else {
            continue;
        };
        let period_end = date(cols.get(&rec, 1)).ok_or_else(|| bad(I, row, "period_end"))?;
        let mut net = 0i64;
        for (i, name) in [
            (2, "wage_income"),
            (3, "business_income"),
            (4, "property_income"),
            (5, "transfer_income"),
        ] {
            net += fen(cols.get(&rec, i)).ok_or_else(|| bad(I, row, name))?;
        }
        net -= fen(cols.get(&rec, 6)).ok_or_else(|| bad(I, row, "production_costs"))?;
        if deduct && !cols.get(&rec, 7).is_empty() {
            net -= fen(cols.get(&rec, 7)).ok_or_else(|| bad(I, row, "compliant_out_of_pocket"))?;
        }
        // The engine keeps only periods ending on or before the reference date.
        registry.households[h as usize].incomes.push(IncomeFacts {
            period_end,
            net: Money::from_fen(net),
        });
    }
    Ok(registry)
}

fn load_feed(
    dir: &Path,
    file: &'static str,
    kind: FeedKind,
    batch: i64,
    out: &mut Vec<FeedRecord>,
) -> anyhow::Result<()> {
    let mut reader = open(dir, file)?;
    let names = super::bench_screen_stream::feed_columns(kind);
    let mut all: Vec<&str> = vec!["record_id", "record_status"];
    all.extend_from_slice(names);
    let cols = Cols::new(reader.byte_headers()?, &all);
    let mut rec = csv::ByteRecord::new();
    let mut row = 1u64;
    while reader.read_byte_record(&mut rec)? {
        row += 1;
        let g = |i: usize| cols.get(&rec, i + 2);
        let d = |i: usize, name: &str| date(g(i)).ok_or_else(|| bad(file, row, name));
        let od = |i: usize, name: &str| -> anyhow::Result<Option<NaiveDate>> {
            match g(i) {
                b"" => Ok(None),
                b => date(b).map(Some).ok_or_else(|| bad(file, row, name)),
            }
        };
        let money = |i: usize, name: &str| {
            fen(g(i))
                .map(Money::from_fen)
                .ok_or_else(|| bad(file, row, name))
        };
        let person = || {
            key(g(0))
                .map(Target::Person)
                .ok_or_else(|| bad(file, row, "id_number"))
        };
        let (target, data) = match kind {
            FeedKind::Medical => (
                person()?,
                FeedData::Medical {
                    settled: d(1, "settlement_date")?,
                    total: money(2, "total_cost")?,
                    out_of_pocket: money(3, "compliant_out_of_pocket")?,
                    admitted: None,
                },
            ),
            FeedKind::CivilAffairs => (
                person()?,
                FeedData::CivilAffairs {
                    kind: match g(1) {
                        b"subsistence" => AssistanceKind::Subsistence,
                        b"extreme_poverty" => AssistanceKind::ExtremePoverty,
                        b"near_subsistence" => AssistanceKind::NearSubsistence,
                        b"temporary" => AssistanceKind::Temporary,
                        _ => return Err(bad(file, row, "assistance_type")),
                    },
                    start: d(2, "start_date")?,
                    end: od(3, "end_date")?,
                },
            ),
            FeedKind::Disability => (
                person()?,
                FeedData::Disability {
                    grade: match g(1) {
                        [c @ b'1'..=b'4'] => c - b'0',
                        _ => return Err(bad(file, row, "disability_grade")),
                    },
                    issued: d(2, "issued_date")?,
                },
            ),
            FeedKind::Education => (
                person()?,
                FeedData::Education {
                    status: match g(1) {
                        b"enrolled" => EducationStatus::Enrolled,
                        b"dropped_out" => EducationStatus::DroppedOut,
                        b"suspended" => EducationStatus::Suspended,
                        _ => return Err(bad(file, row, "status")),
                    },
                    date: d(2, "date")?,
                },
            ),
            FeedKind::Employment => (
                person()?,
                FeedData::Employment {
                    event: match g(1) {
                        b"unemployed" => EmploymentEvent::Unemployed,
                        b"migrant_work" => EmploymentEvent::MigrantWork,
                        b"returned" => EmploymentEvent::Returned,
                        _ => return Err(bad(file, row, "event")),
                    },
                    start: d(2, "start_date")?,
                    end: od(3, "end_date")?,
                },
            ),
            FeedKind::Housing => (
                Target::Household(text(g(0))),
                FeedData::Housing {
                    grade: std::str::from_utf8(g(1))
                        .ok()
                        .and_then(uplift_domain::policy::HousingGrade::parse)
                        .ok_or_else(|| bad(file, row, "grade"))?,
                    appraised: d(2, "appraisal_date")?,
                },
            ),
            FeedKind::Water => (
                Target::Region(
                    std::str::from_utf8(g(0))
                        .ok()
                        .and_then(uplift_screen::region_key)
                        .ok_or_else(|| bad(file, row, "region_code"))?,
                ),
                FeedData::Water {
                    start: d(1, "interruption_start")?,
                    end: d(2, "interruption_end")?,
                },
            ),
            FeedKind::Disaster => (
                Target::Household(text(g(0))),
                FeedData::Disaster {
                    disaster_type: text(g(1)),
                    loss: money(2, "loss_amount")?,
                    date: d(3, "date")?,
                },
            ),
            FeedKind::CivilRegistry => (
                person()?,
                FeedData::CivilRegistry {
                    event: match g(1) {
                        b"death" => CivilEvent::Death,
                        b"moved_out" => CivilEvent::MovedOut,
                        b"moved_in" => CivilEvent::MovedIn,
                        _ => return Err(bad(file, row, "event")),
                    },
                    date: d(2, "date")?,
                },
            ),
            FeedKind::Assets => (
                person()?,
                FeedData::Asset {
                    kind: match g(1) {
                        b"vehicle" => AssetKind::Vehicle,
                        b"commercial_housing" => AssetKind::CommercialHousing,
                        b"business" => AssetKind::Business,
                        b"public_payroll" => AssetKind::PublicPayroll,
                        _ => return Err(bad(file, row, "asset_type")),
                    },
                    date: d(2, "date")?,
                },
            ),
        };
        let reversal = match cols.get(&rec, 1) {
            b"" | b"normal" => false,
            b"reversed" => true,
            s if s == "冲销".as_bytes() => true,
            s if s == "正常".as_bytes() => false,
            _ => return Err(bad(file, row, "record_status")),
        };
        let rid = cols.get(&rec, 0);
        out.push(FeedRecord {
            evidence: Evidence {
                feed: kind,
                batch,
                row,
            },
            record_id: (!rid.is_empty()).then(|| text(rid)),
            reversal,
            target,
            data,
        });
    }
    Ok(())
}

/// The general engine over the same files: every record in memory, `uplift_screen::screen`.
pub fn screen_files_general(
    dir: &Path,
    pack: &PolicyPack,
    as_of: NaiveDate,
) -> anyhow::Result<Outcome> {
    let t = Instant::now();
    let registry = load_registry(dir, pack)?;
    let mut records = Vec::new();
    for (i, (file, kind)) in FEED_FILES.iter().enumerate() {
        load_feed(dir, file, *kind, i as i64 + 1, &mut records)?;
    }
    let load_s = t.elapsed().as_secs_f64();
    let screened = uplift_screen::screen(&registry, &records, pack, as_of);
    let pairs = screened
        .findings
        .iter()
        .map(|f| {
            (
                registry.households[f.household as usize]
                    .household_no
                    .clone(),
                f.rule.as_str().to_owned(),
            )
        })
        .collect();
    Ok(Outcome {
        pairs,
        unmatched: screened.unmatched.len(),
        live: None,
        load_s,
    })
}

// ---------------------------------------------------------------------------------------------
// The generator.

/// SplitMix64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.below(total);
        for (s, w) in items {
            if r < *w {
                return s;
            }
            r -= w;
        }
        items[0].0
    }
}

pub struct Generated {
    pub persons: u64,
    pub households: u64,
    pub feed_rows: u64,
    pub bytes: u64,
}

fn ymd(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

fn day(base: (i32, u32, u32), plus: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(base.0, base.1, base.2).unwrap_or_default() + Days::new(plus)
}

fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// The resident ID of the n-th person: county, a birth date, a sequence and the check character.
fn id_of(n: u64) -> String {
    let birth = day((1940, 1, 1), (n / 997) % 29_000);
    let body = format!(
        "{COUNTY}{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        n % 997
    );
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let mut s = body;
    s.push(C[(sum % 11) as usize] as char);
    s
}

fn household_no(k: u64) -> String {
    format!("{COUNTY}{k:010}")
}

fn village_of(k: u64) -> String {
    let v = k / 300;
    format!("{COUNTY}{:03}{:03}", 100 + (v / 200) % 900, 200 + v % 200)
}

struct Out {
    w: BufWriter<File>,
    path: PathBuf,
}

impl Out {
    fn new(dir: &Path, name: &str, header: &str) -> anyhow::Result<Out> {
        let path = dir.join(name);
        let f = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        writeln!(w, "{header}")?;
        Ok(Out { w, path })
    }
    fn finish(mut self) -> anyhow::Result<u64> {
        self.w.flush()?;
        Ok(std::fs::metadata(&self.path)?.len())
    }
}

/// One medical settlement, from its number alone (so batch 2 can resend it).
fn medical_row(seed: u64, r: u64, persons: u64) -> (String, NaiveDate, u64, u64) {
    let mut g = Rng(seed ^ r.wrapping_mul(0x2545_F491_4F6C_DD1D));
    // One row in 500 names somebody outside the registry.
    let person = if g.below(500) == 0 {
        persons + g.below(1_000_000)
    } else {
        g.below(persons)
    };
    let settled = day((2025, 1, 1), g.below(546));
    let oop = match g.below(100) {
        0..80 => g.below(200_000),
        80..96 => g.below(1_000_000),
        _ => g.below(4_000_000),
    };
    (id_of(person), settled, oop * 2 + g.below(100_000), oop)
}

/// Writes the case into `dir`: registry.csv, income.csv and the feed files.
pub fn generate(dir: &Path, persons: u64, feed_rows: u64, seed: u64) -> anyhow::Result<Generated> {
    let mut g = Rng(seed);
    let mut bytes = 0;
    let mut reg = Out::new(
        dir,
        "registry.csv",
        "household_no,household_type,region_code,name,id_number,relation,health,disability_grade,labour",
    )?;
    let mut inc = Out::new(
        dir,
        "income.csv",
        "household_no,period_start,period_end,wage_income,business_income,property_income,transfer_income,production_costs,compliant_out_of_pocket",
    )?;
    let mut n = 0u64;
    let mut k = 0u64;
    while n < persons {
        let size = (1 + g.below(5)).min(persons - n);
        let no = household_no(k);
        let village = village_of(k);
        let typ = if g.below(10) < 3 {
            "formerly_poor"
        } else {
            "ordinary"
        };
        for m in 0..size {
            let relation = match m {
                0 => "head",
                1 => "spouse",
                _ => g.pick(&[("son", 4), ("daughter", 4), ("father", 1), ("mother", 1)]),
            };
            let labour = g.pick(&[
                ("skilled", 15),
                ("ordinary", 50),
                ("weak", 15),
                ("lost", 10),
                ("none", 10),
            ]);
            let (health, grade) = if g.below(100) < 3 {
                ("disabled", (1 + g.below(4)).to_string())
            } else {
                ("healthy", String::new())
            };
            writeln!(
                reg.w,
                "{no},{typ},{village},张{},{},{relation},{health},{grade},{labour}",
                n % 1000,
                id_of(n)
            )?;
            n += 1;
        }
        // Two income years; per-capita net from about 3,000 to 40,000 yuan.
        let per_capita = 300_000 + g.below(3_700_000);
        let cur = per_capita * size;
        let prev = cur * (40 + g.below(160)) / 100;
        for (year, wage) in [(2024, prev), (2025, cur)] {
            writeln!(
                inc.w,
                "{no},{year}-01-01,{year}-12-31,{},0.00,0.00,{},{},{}",
                yuan(wage),
                yuan(g.below(200_000)),
                yuan(g.below(50_000)),
                yuan(g.below(100_000))
            )?;
        }
        k += 1;
    }
    let households = k;
    bytes += reg.finish()? + inc.finish()?;

    // Feed rows in realistic proportions (per mille): mostly medical settlements.
    let share = |per_mille: u64| (feed_rows * per_mille / 1000).max(1);
    // About one village in three reports a water interruption.
    let water = households.div_ceil(300).div_ceil(3);
    let medical = feed_rows.saturating_sub(water).saturating_sub(
        [40, 20, 20, 20, 10, 10, 15, 14]
            .iter()
            .map(|&p| share(p))
            .sum::<u64>(),
    );
    let first = medical * 7 / 10;
    let mut written = 0u64;
    let med_header =
        "id_number,settlement_date,total_cost,compliant_out_of_pocket,record_id,record_status";
    let mut m1 = Out::new(dir, "medical_1.csv", med_header)?;
    for r in 0..first {
        let (id, d, total, oop) = medical_row(seed, r, n);
        writeln!(
            m1.w,
            "{id},{},{},{},M{r:010},normal",
            ymd(d),
            yuan(total),
            yuan(oop)
        )?;
    }
    let mut m2 = Out::new(dir, "medical_2.csv", med_header)?;
    for r in first..medical {
        let (id, d, total, oop) = medical_row(seed, r, n);
        writeln!(
            m2.w,
            "{id},{},{},{},M{r:010},normal",
            ymd(d),
            yuan(total),
            yuan(oop)
        )?;
    }
    // The overlapping export resends 2% of the first batch and reverses 0.5%.
    let mut extra = 0;
    for r in 0..first {
        if r % 50 == 0 || r % 200 == 7 {
            let (id, d, total, oop) = medical_row(seed, r, n);
            let status = if r % 50 == 0 { "normal" } else { "reversed" };
            writeln!(
                m2.w,
                "{id},{},{},{},M{r:010},{status}",
                ymd(d),
                yuan(total),
                yuan(oop)
            )?;
            extra += 1;
        }
    }
    written += medical + extra;
    bytes += m1.finish()? + m2.finish()?;

    let anyone = |g: &mut Rng| id_of(g.below(n));
    let mut f = Out::new(
        dir,
        "employment.csv",
        "id_number,event,start_date,end_date,record_id,record_status",
    )?;
    for r in 0..share(40) {
        let start = day((2024, 6, 1), g.below(700));
        let end = if g.below(2) == 0 {
            String::new()
        } else {
            ymd(start + Days::new(g.below(400)))
        };
        let ev = g.pick(&[("unemployed", 3), ("migrant_work", 5), ("returned", 2)]);
        writeln!(
            f.w,
            "{},{ev},{},{end},J{r:010},",
            anyone(&mut g),
            ymd(start)
        )?;
    }
    bytes += f.finish()?;
    let mut f = Out::new(
        dir,
        "civil_affairs.csv",
        "id_number,assistance_type,start_date,end_date,record_id,record_status",
    )?;
    for r in 0..share(20) {
        let start = day((2023, 1, 1), g.below(1277));
        let end = if g.below(10) < 7 {
            String::new()
        } else {
            ymd(start + Days::new(g.below(500)))
        };
        let kind = g.pick(&[
            ("subsistence", 1),
            ("extreme_poverty", 1),
            ("near_subsistence", 1),
            ("temporary", 1),
        ]);
        writeln!(
            f.w,
            "{},{kind},{},{end},A{r:010},",
            anyone(&mut g),
            ymd(start)
        )?;
    }
    bytes += f.finish()?;
    let mut f = Out::new(
        dir,
        "education.csv",
        "id_number,school_stage,status,date,record_id,record_status",
    )?;
    for r in 0..share(20) {
        let status = g.pick(&[("enrolled", 16), ("dropped_out", 3), ("suspended", 1)]);
        let d = day((2025, 6, 1), g.below(400));
        writeln!(
            f.w,
            "{},junior_secondary,{status},{},E{r:010},",
            anyone(&mut g),
            ymd(d)
        )?;
    }
    bytes += f.finish()?;
    let mut f = Out::new(
        dir,
        "assets.csv",
        "id_number,asset_type,description,date,record_id,record_status",
    )?;
    for r in 0..share(20) {
        let kind = g.pick(&[
            ("vehicle", 5),
            ("commercial_housing", 2),
            ("business", 2),
            ("public_payroll", 1),
        ]);
        let d = day((2024, 1, 1), g.below(800));
        writeln!(f.w, "{},{kind},,{},V{r:010},", anyone(&mut g), ymd(d))?;
    }
    bytes += f.finish()?;
    let mut f = Out::new(
        dir,
        "disability.csv",
        "id_number,disability_type,disability_grade,issued_date,record_id,record_status",
    )?;
    for r in 0..share(10) {
        let d = day((2024, 1, 1), g.below(900));
        writeln!(
            f.w,
            "{},physical,{},{},D{r:010},",
            anyone(&mut g),
            1 + g.below(4),
            ymd(d)
        )?;
    }
    bytes += f.finish()?;
    let mut f = Out::new(
        dir,
        "civil_registry.csv",
        "id_number,event,date,record_id,record_status",
    )?;
    for r in 0..share(10) {
        let ev = g.pick(&[("death", 4), ("moved_out", 3), ("moved_in", 3)]);
        let d = day((2025, 6, 1), g.below(400));
        writeln!(f.w, "{},{ev},{},C{r:010},", anyone(&mut g), ymd(d))?;
    }
    bytes += f.finish()?;
    let mut f = Out::new(
        dir,
        "housing.csv",
        "household_no,grade,appraisal_date,record_id,record_status",
    )?;
    for r in 0..share(15) {
        let grade = g.pick(&[("A", 8), ("B", 7), ("C", 3), ("D", 2)]);
        let d = day((2023, 1, 1), g.below(1300));
        writeln!(
            f.w,
            "{},{grade},{},H{r:010},",
            household_no(g.below(households)),
            ymd(d)
        )?;
    }
    bytes += f.finish()?;
    let mut f = Out::new(
        dir,
        "disaster.csv",
        "household_no,disaster_type,loss_amount,date,record_id,record_status",
    )?;
    for r in 0..share(14) {
        let t = g.pick(&[("0201", 3), ("0202", 2), ("0203", 1)]);
        let loss = 10_000 + g.below(3_000_000);
        let d = day((2025, 1, 1), g.below(500));
        writeln!(
            f.w,
            "{},{t},{},{},Z{r:010},",
            household_no(g.below(households)),
            yuan(loss),
            ymd(d)
        )?;
    }
    bytes += f.finish()?;
    let mut f = Out::new(
        dir,
        "water.csv",
        "region_code,interruption_start,interruption_end,record_id,record_status",
    )?;
    for r in 0..water {
        let start = day((2025, 3, 1), g.below(400));
        let end = start + Days::new(10 + g.below(50));
        writeln!(
            f.w,
            "{},{},{},W{r:010},",
            village_of(g.below(households)),
            ymd(start),
            ymd(end)
        )?;
    }
    bytes += f.finish()?;
    written += water
        + [40, 20, 20, 20, 10, 10, 15, 14]
            .iter()
            .map(|&p| share(p))
            .sum::<u64>();
    Ok(Generated {
        persons: n,
        households,
        feed_rows: written,
        bytes,
    })
}
