//! Use cases: importing a feed batch and screening the registry (issue 5).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use chrono::{Days, NaiveDate};
use uplift_domain::household::HouseholdType;
use uplift_domain::policy::PolicyPack;
use uplift_domain::version::ReadAt;
use uplift_screen::{
    Evidence, FeedKind, FeedRecord, HouseholdFacts, IncomeFacts, PersonFacts, Registry, Screened,
    id_key, region_key, worker_rank,
};

use super::store::{
    FeedBatch, FeedScope, NewFeedBatch, NewWarning, ScreeningRun, StoredFeedRow, WarningFilter,
    WarningRecord,
};
use super::{FeedError, ParsedFeed, decode_data, decode_target, encode_data, encode_target};
use crate::App;
use crate::store::{HouseholdId, Page, StoreError};

/// Why an import or a screening failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedUseCaseError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no policy pack is in force for region {0} on {1}")]
    NoPolicy(String, NaiveDate),
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub batch: FeedBatch,
    /// The same file was imported before: nothing was written.
    pub already: bool,
    /// Rows naming nobody in the registry: (row, identifying cell as written).
    pub unmatched: Vec<(u64, String)>,
}

/// The registry as of a date, for screening: the engine's snapshot plus the store's ids and the
/// household regions (to find the pack in force).
pub struct Snapshot {
    pub registry: Registry,
    pub ids: Vec<HouseholdId>,
    pub regions: Vec<uplift_domain::region::RegionCode>,
}

/// Adds one household of the registry as of the reference date to the engine's snapshot: its
/// active members (those with an 18-character ID number are matchable) and its income records,
/// net under the pack's out-of-pocket rule (gross when no pack is in force). Gives its index.
pub fn add_household<'a>(
    registry: &mut Registry,
    key: i64,
    h: &uplift_domain::household::Household,
    members: impl Iterator<Item = &'a uplift_domain::household::Person>,
    incomes: impl Iterator<Item = &'a uplift_domain::income::IncomeRecord>,
    pack: Option<&PolicyPack>,
) -> u32 {
    let members: Vec<_> = members.filter(|p| p.is_active()).collect();
    let incomes = incomes
        .map(|i| IncomeFacts {
            period_end: i.period_end,
            net: pack
                .map(|p| i.net(p.out_of_pocket))
                .unwrap_or_else(|| i.gross()),
        })
        .collect();
    let idx = registry.add_household(HouseholdFacts {
        key,
        household_no: h.household_no.as_str().to_owned(),
        region: region_key(h.region.as_str()).unwrap_or(0),
        formerly_poor: h.household_type == HouseholdType::FormerlyPoor,
        members: members.len() as u32,
        incomes,
    });
    for p in members {
        let Some(id) = id_key(p.id_number.as_str()) else {
            continue;
        };
        registry.add_person(PersonFacts {
            id,
            household: idx,
            disability_grade: p.disability_grade,
            worker_rank: worker_rank(p.labour, p.relation, p.birth_date),
        });
    }
    idx
}

/// Loads the registry as of `as_of` into the engine's snapshot, with three bulk reads
/// ([`FeedStore::screening_snapshot`](super::store::FeedStore::screening_snapshot)).
pub async fn load_snapshot(app: &App, as_of: NaiveDate) -> Result<Snapshot, FeedUseCaseError> {
    let rows = app.store.screening_snapshot(ReadAt::current(as_of)).await?;
    let mut registry = Registry::with_capacity(rows.households.len(), rows.members.len());
    let mut ids = Vec::with_capacity(rows.households.len());
    let mut regions = Vec::with_capacity(rows.households.len());
    // Both lists are ordered by household id: walk them beside the households.
    let (mut m, mut i) = (0, 0);
    for (id, h) in &rows.households {
        while m < rows.members.len() && rows.members[m].0 < *id {
            m += 1;
        }
        let m0 = m;
        while m < rows.members.len() && rows.members[m].0 == *id {
            m += 1;
        }
        while i < rows.incomes.len() && rows.incomes[i].0 < *id {
            i += 1;
        }
        let i0 = i;
        while i < rows.incomes.len() && rows.incomes[i].0 == *id {
            i += 1;
        }
        add_household(
            &mut registry,
            id.0,
            h,
            rows.members[m0..m].iter().map(|(_, p)| p),
            rows.incomes[i0..i].iter().map(|(_, r)| r),
            app.policy.in_force(&h.region, as_of),
        );
        ids.push(*id);
        regions.push(h.region);
    }
    Ok(Snapshot {
        registry,
        ids,
        regions,
    })
}

/// Imports a parsed feed as one batch. The same file (by checksum) a second time writes nothing.
/// Who uploads a feed: the name recorded, and the region and department the batch belongs to
/// (who may see it; `None` for the machine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploader {
    pub name: String,
    pub region: Option<uplift_domain::region::RegionCode>,
    pub department: Option<String>,
}

impl Uploader {
    pub fn machine(name: &str) -> Uploader {
        Uploader {
            name: name.to_owned(),
            region: None,
            department: None,
        }
    }
}

pub async fn import_parsed(
    app: &App,
    parsed: ParsedFeed,
    uploader: &Uploader,
) -> Result<ImportOutcome, FeedUseCaseError> {
    if let Some(batch) = app.store.feed_batch_by_checksum(&parsed.checksum).await? {
        return Ok(ImportOutcome {
            batch,
            already: true,
            unmatched: Vec::new(),
        });
    }
    let snap = load_snapshot(app, app.clock.today()).await?;
    let mut unmatched = Vec::new();
    let kind = parsed.kind.key().to_owned();
    let rows: Vec<StoredFeedRow> = parsed
        .rows
        .iter()
        .map(|r| {
            let matched = snap.registry.matches(&r.target);
            if !matched {
                unmatched.push((r.row, r.target_text.clone()));
            }
            StoredFeedRow {
                batch: 0,
                kind: kind.clone(),
                row: r.row,
                record_id: r.record_id.clone(),
                reversal: r.reversal,
                target: encode_target(&r.target),
                matched,
                data: encode_data(&r.data),
            }
        })
        .collect();
    let batch = NewFeedBatch {
        kind,
        source: parsed.file.clone(),
        period_from: parsed.period.map(|p| p.0),
        period_to: parsed.period.map(|p| p.1),
        checksum: parsed.checksum.clone(),
        imported_at: app
            .clock
            .now()
            .format("%Y-%m-%dT%H:%M:%S%.6f%:z")
            .to_string(),
        actor: uploader.name.clone(),
        rows: rows.len() as u64,
        matched: (rows.len() - unmatched.len()) as u64,
        unmatched: unmatched.len() as u64,
        region: uploader.region,
        department: uploader.department.clone(),
    };
    let batch = app.store.save_feed_batch(&batch, &rows).await?;
    Ok(ImportOutcome {
        batch,
        already: false,
        unmatched,
    })
}

/// Reads a feed file and imports it.
pub async fn import_file(
    app: &App,
    kind: FeedKind,
    path: &Path,
    uploader: &Uploader,
) -> Result<ImportOutcome, FeedUseCaseError> {
    let parsed = super::read_feed(kind, path)?;
    import_parsed(app, parsed, uploader).await
}

/// What to screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenMode {
    /// Every household against every stored feed row.
    Batch,
    /// Only the households named by these batches (with all their feed rows, old and new).
    Incremental(Vec<i64>),
}

/// The outcome of [`run_screening`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    pub run: ScreeningRun,
    /// The run was done before (same key): nothing was written.
    pub already: bool,
}

fn stored_to_records(rows: &[StoredFeedRow]) -> Vec<FeedRecord> {
    rows.iter()
        .filter_map(|r| {
            let kind = FeedKind::parse(&r.kind)?;
            Some(FeedRecord {
                evidence: Evidence {
                    feed: kind,
                    batch: r.batch,
                    row: r.row,
                },
                record_id: r.record_id.clone(),
                reversal: r.reversal,
                target: decode_target(&r.target)?,
                data: decode_data(kind, &r.data)?,
            })
        })
        .collect()
}

fn pack_key(p: &PolicyPack) -> String {
    format!("{}@{}", p.scope.code().as_str(), p.effective_from)
}

/// Screens the registry as of `as_of` and records the run with its warnings in one transaction.
/// A run with the same key (mode's batches, all batches, policy versions, reference date) is not
/// run twice.
pub async fn run_screening(
    app: &App,
    as_of: NaiveDate,
    mode: ScreenMode,
) -> Result<RunOutcome, FeedUseCaseError> {
    let started = Instant::now();
    let started_at = app
        .clock
        .now()
        .format("%Y-%m-%dT%H:%M:%S%.6f%:z")
        .to_string();
    let batches = app.store.feed_batches(&FeedScope::default()).await?;
    let rows = app.store.feed_rows().await?;
    let records = stored_to_records(&rows);
    let snap = load_snapshot(app, as_of).await?;

    // Which households, grouped by the pack in force for them.
    let targets: Option<HashSet<u32>> = match &mode {
        ScreenMode::Batch => None,
        ScreenMode::Incremental(ids) => Some(uplift_screen::households_touched(
            &snap.registry,
            &records,
            |r| ids.contains(&r.evidence.batch),
        )),
    };
    let mut groups: BTreeMap<String, (&PolicyPack, HashSet<u32>)> = BTreeMap::new();
    for (i, region) in snap.regions.iter().enumerate() {
        let i = i as u32;
        if targets.as_ref().is_some_and(|t| !t.contains(&i)) {
            continue;
        }
        let pack = app
            .policy
            .in_force(region, as_of)
            .ok_or_else(|| FeedUseCaseError::NoPolicy(region.as_str().to_owned(), as_of))?;
        groups
            .entry(pack_key(pack))
            .or_insert_with(|| (pack, HashSet::new()))
            .1
            .insert(i);
    }
    let batch_ids: Vec<String> = match &mode {
        ScreenMode::Batch => batches.iter().map(|b| b.id.to_string()).collect(),
        ScreenMode::Incremental(ids) => ids.iter().map(|b| b.to_string()).collect(),
    };
    let policy: Vec<&String> = groups.keys().collect();
    let mode_key = match &mode {
        ScreenMode::Batch => "batch",
        ScreenMode::Incremental(_) => "incremental",
    };
    let key = format!(
        "{mode_key};as_of={as_of};batches={};all={};policy={}",
        batch_ids.join(","),
        batches.len(),
        policy
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    if let Some(run) = app.store.screening_run(&key).await? {
        return Ok(RunOutcome { run, already: true });
    }

    let mut warnings = Vec::new();
    let mut per_rule: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut screened = Vec::new();
    for (pack, only) in groups.values() {
        let result =
            uplift_screen::screen_households(&snap.registry, &records, pack, as_of, Some(only));
        for f in &result.findings {
            *per_rule.entry(f.rule.as_str()).or_default() += 1;
        }
        warnings.extend(warnings_of(&snap, pack, as_of, &result));
        screened.extend(only.iter().map(|&i| snap.ids[i as usize].0));
    }
    screened.sort_unstable();
    let summary = per_rule
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let run = ScreeningRun {
        key,
        as_of,
        mode: mode_key.to_owned(),
        started_at,
        duration_ms: started.elapsed().as_millis() as i64,
        summary,
        inputs: format!(
            "batches={};feed_rows={};households_screened={}",
            batch_ids.join(","),
            records.len(),
            screened.len()
        ),
        warnings_new: 0,
        warnings_updated: 0,
        warnings_withdrawn: 0,
    };
    let run = app
        .store
        .record_screening_run(&run, &warnings, &screened)
        .await?;
    Ok(RunOutcome {
        run,
        already: false,
    })
}

/// One warning per household and risk type, with its explanation.
pub fn warnings_of(
    snap: &Snapshot,
    pack: &PolicyPack,
    as_of: NaiveDate,
    result: &Screened,
) -> Vec<NewWarning> {
    let mut by_key: BTreeMap<(u32, String), Vec<&uplift_screen::Finding>> = BTreeMap::new();
    for f in &result.findings {
        by_key
            .entry((f.household, f.risk_type.clone()))
            .or_default()
            .push(f);
    }
    let due = as_of
        .checked_add_days(Days::new(u64::from(pack.screening.verification_limit_days)))
        .unwrap_or(as_of);
    let mut out = Vec::new();
    for ((h, risk), findings) in by_key {
        let hh = &snap.registry.households[h as usize];
        let region = snap.regions[h as usize];
        let village = region.as_str().to_owned();
        let township: String = village.chars().take(9).collect::<String>() + "000";
        let risk_name = pack
            .risk_type(&risk)
            .map(|r| format!("{} {} {}", r.code, r.zh, r.en))
            .unwrap_or_else(|| risk.clone());
        let mut text = String::new();
        let _ = writeln!(text, "风险类型 Risk type: {risk_name}");
        let _ = writeln!(
            text,
            "政策 Policy: {} {} ({}), 基准日 as of {as_of}",
            pack.name_zh, pack.year, pack.effective_from
        );
        let mut rules: Vec<&str> = Vec::new();
        for f in &findings {
            rules.push(f.rule.as_str());
            let desc = pack
                .rules
                .iter()
                .find(|r| r.code == f.rule.as_str())
                .map(|r| format!("{} / {}", r.zh, r.en))
                .unwrap_or_default();
            let _ = writeln!(text, "规则 Rule {}: {desc}", f.rule.as_str());
            let th: Vec<String> = f
                .thresholds
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let _ = writeln!(text, "  阈值 Thresholds: {}", th.join(", "));
            let fig: Vec<String> = f.figures.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(text, "  本户数据 Household figures: {}", fig.join(", "));
            for e in &f.evidence {
                let _ = writeln!(
                    text,
                    "  证据 Evidence: feed {} ({}), batch {}, row {}",
                    e.feed.key(),
                    e.feed.zh(),
                    e.batch,
                    e.row
                );
            }
        }
        if let Some(assets) = result.counter_evidence.get(&h) {
            for e in assets {
                let _ = writeln!(
                    text,
                    "反证 Evidence against inclusion: feed {} ({}), batch {}, row {}",
                    e.feed.key(),
                    e.feed.zh(),
                    e.batch,
                    e.row
                );
            }
        }
        rules.sort_unstable();
        rules.dedup();
        out.push(NewWarning {
            household_id: hh.key,
            household_no: hh.household_no.clone(),
            village,
            township,
            risk_type: risk,
            rules: rules.join(","),
            explanation: text,
            due,
        });
    }
    out
}

/// The open warnings as (household number, rules) pairs, for tests and exports.
pub fn rule_pairs(warnings: &[super::store::WarningRecord]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = warnings
        .iter()
        .flat_map(|w| {
            w.warning
                .rules
                .split(',')
                .map(|r| (w.warning.household_no.clone(), r.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    v.sort();
    v
}

/// Counts of findings per rule.
pub fn counts(result: &Screened) -> HashMap<&'static str, u64> {
    let mut m = HashMap::new();
    for f in &result.findings {
        *m.entry(f.rule.as_str()).or_default() += 1;
    }
    m
}

/// Every warning the filter's scope may see, newest first (read page by page).
pub async fn all_warnings(
    app: &App,
    filter: &WarningFilter,
) -> Result<Vec<WarningRecord>, FeedUseCaseError> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let listed = app
            .store
            .warnings(filter, Page::new(page, Page::MAX_SIZE))
            .await?;
        let n = listed.items.len();
        out.extend(listed.items);
        if n == 0 || out.len() as u64 >= listed.total {
            return Ok(out);
        }
        page += 1;
    }
}

/// The header of the warning export (one row per warning and rule).
pub const EXPORT_HEADER: [&str; 6] = [
    "户编号",
    "行政区划代码",
    "规则代码",
    "风险类型",
    "状态",
    "核实期限",
];

/// Whether an open warning's verification task is past its time limit.
pub fn overdue(w: &WarningRecord, today: NaiveDate) -> bool {
    w.state == "open" && w.warning.due < today
}

/// The codebook name of a warning's risk type under the pack in force for its village.
pub fn risk_name(app: &App, w: &WarningRecord, today: NaiveDate) -> String {
    uplift_domain::region::RegionCode::parse(&w.warning.village)
        .ok()
        .and_then(|region| app.policy.in_force(&region, today))
        .and_then(|p| p.risk_type(&w.warning.risk_type))
        .map(|r| r.zh.clone())
        .unwrap_or_else(|| w.warning.risk_type.clone())
}

/// The export rows: household number, village code, rule code, risk type (codebook name), state,
/// due date.
pub fn export_rows(app: &App, warnings: &[WarningRecord], today: NaiveDate) -> Vec<[String; 6]> {
    let mut rows = Vec::new();
    for w in warnings {
        let risk = risk_name(app, w, today);
        let state = match w.state.as_str() {
            "open" if overdue(w, today) => "待核实（已逾期）",
            "open" => "待核实",
            _ => "已撤销",
        };
        for rule in w.warning.rules.split(',') {
            rows.push([
                w.warning.household_no.clone(),
                w.warning.village.clone(),
                rule.to_owned(),
                risk.clone(),
                state.to_owned(),
                w.warning.due.to_string(),
            ]);
        }
    }
    rows
}

/// The export as CSV (UTF-8 with BOM; cells that a spreadsheet would run as formulas are quoted
/// with a leading apostrophe).
pub fn export_csv(rows: &[[String; 6]]) -> String {
    let mut text = String::from("\u{feff}");
    text.push_str(&EXPORT_HEADER.join(","));
    text.push('\n');
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .map(|c| {
                let c = if c.starts_with(['=', '+', '-', '@']) {
                    format!("'{c}")
                } else {
                    c.clone()
                };
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c
                }
            })
            .collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}
