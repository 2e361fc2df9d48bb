//! The import use case (issue 4): open → parse → data quality → scope → match → write, and the
//! report of every problem.
//!
//! * Rows are matched to the registry by household number, members by ID number. An unchanged
//!   household, member or income period gets no new version, so importing the same file twice
//!   changes nothing the second time; a changed one gets a new version; a new one is registered.
//!   Members the store holds but the file leaves out are left as they are (removing a member is
//!   a typed change with a reason, never a side effect of an import).
//! * Modes: [`ImportMode::AllOrNothing`] (one field error or error-severity finding and nothing
//!   is written), [`ImportMode::Partial`] (only households without errors are written),
//!   [`ImportMode::DryRun`] (nothing is written; the counts say what would be).
//! * Scope: a user may only write households whose village lies inside their region, before and
//!   after the import. A file holding any household outside it is refused whole, in every mode.
//! * Everything an import writes, and the record of its batch (file name, SHA-256, actor, mode,
//!   counts, issues), goes through one store call in one transaction
//!   ([`store::ImportStore::apply_import`]). Every run is recorded, including refused, rejected
//!   and dry runs; only an applied run writes registry versions.

pub mod export;
pub mod national;
pub mod report;
pub mod sheet;
pub mod store;

use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};
use uplift_domain::household::{HouseholdNo, Person};
use uplift_domain::region::RegionCode;
use uplift_domain::resident_id::ResidentId;
use uplift_domain::version::ReadAt;

use crate::App;
use crate::access::{AccessDenied, Principal};
use crate::import::headers::{HeaderMap, INCOME_COLUMNS, REGISTRY_COLUMNS, map_headers};
use crate::import::registry::{
    IncomeParser, ParsedHousehold, ParsedIncome, RegistryParser, read_registry,
};
use crate::import::table::{FileKind, Row, Table, TableError};
use crate::import::{ImportError, ImportIssue};
use crate::quality::{
    self, Finding, IncomeRef, MemberRef, QualityContext, QualityParams, Severity,
};
use crate::store::{HouseholdDetail, NewHousehold, Scope, StoreError};
use store::{ImportBatch, ImportBatchId, ImportCounts, ImportPlan, StoredIssue};

use uplift_domain::access::Action;

/// Which file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// The registry file, one row per person (formats.md §1).
    Households,
    /// The income file, one row per household and period (formats.md §2).
    Incomes,
}

impl ImportKind {
    pub fn code(self) -> &'static str {
        match self {
            ImportKind::Households => "households",
            ImportKind::Incomes => "incomes",
        }
    }

    pub fn parse(s: &str) -> Option<ImportKind> {
        match s.trim() {
            "households" | "registry" | "户成员信息" => Some(ImportKind::Households),
            "incomes" | "income" | "收入信息" => Some(ImportKind::Incomes),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportMode {
    #[default]
    AllOrNothing,
    Partial,
    DryRun,
}

impl ImportMode {
    pub fn code(self) -> &'static str {
        match self {
            ImportMode::AllOrNothing => "all_or_nothing",
            ImportMode::Partial => "partial",
            ImportMode::DryRun => "dry_run",
        }
    }

    pub fn parse(s: &str) -> Option<ImportMode> {
        match s.trim() {
            "all_or_nothing" | "" => Some(ImportMode::AllOrNothing),
            "partial" => Some(ImportMode::Partial),
            "dry_run" | "dry-run" => Some(ImportMode::DryRun),
            _ => None,
        }
    }
}

/// How a run ended, as recorded in its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    /// Written (in `--partial`, possibly only some households).
    Applied,
    /// All-or-nothing with errors: nothing written.
    Rejected,
    /// The file holds households outside the principal's region: nothing written.
    Refused,
    /// Nothing written by request.
    DryRun,
}

impl ImportStatus {
    pub fn code(self) -> &'static str {
        match self {
            ImportStatus::Applied => "applied",
            ImportStatus::Rejected => "rejected",
            ImportStatus::Refused => "refused",
            ImportStatus::DryRun => "dry_run",
        }
    }
}

/// One uploaded or named file to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub kind: ImportKind,
    pub mode: ImportMode,
    /// The file name (its extension says `.csv` or `.xlsx`); named in every message.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Progress of a long import, for a progress bar.
pub trait Progress: Send + Sync {
    /// Data rows parsed so far.
    fn rows(&self, _rows: u64) {}
    /// A new phase begins (`parse`, `check`, `match`, `write`, `report`).
    fn phase(&self, _name: &'static str) {}
}

/// No progress display.
pub struct NoProgress;
impl Progress for NoProgress {}

#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    /// The file cannot be read as a table or lacks required columns.
    #[error(transparent)]
    File(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportFailure {
    pub fn message_zh(&self) -> String {
        match self {
            ImportFailure::Denied(d) => format!("{} 无权导入（{:?}）", d.who, d.action),
            ImportFailure::File(e) => e.message_zh(),
            ImportFailure::Store(e) => format!("数据库错误：{e}"),
        }
    }
}

/// One problem, before the report pass fills in the original row.
#[derive(Debug, Clone)]
struct Line {
    row: u64,
    column: String,
    field: String,
    rule: String,
    severity: Severity,
    zh: String,
    en: String,
    /// `None`: take the row's cell of `field` in the report pass.
    value: Option<String>,
    household_no: String,
}

impl Line {
    fn of_issue(i: ImportIssue) -> Line {
        Line {
            row: i.row,
            column: i.column,
            field: i.field.to_owned(),
            rule: i.rule.to_owned(),
            severity: Severity::Error,
            zh: i.message_zh,
            en: i.message_en,
            value: Some(i.value),
            household_no: i.household_no,
        }
    }

    /// One line per row of a finding (one line without a row when it has none).
    fn of_finding(f: &Finding, map: &HeaderMap) -> Vec<Line> {
        let rows = if f.rows.is_empty() {
            vec![0]
        } else {
            f.rows.clone()
        };
        rows.into_iter()
            .map(|row| Line {
                row,
                column: map.written(f.field).to_owned(),
                field: f.field.to_owned(),
                rule: f.rule.to_owned(),
                severity: f.severity,
                zh: f.message_zh.clone(),
                en: f.message_en.clone(),
                value: None,
                household_no: f.household_no.clone(),
            })
            .collect()
    }
}

fn severity_code(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Whether a principal with `scope` may write a household in `region`.
fn writable(scope: &Scope, region: &RegionCode) -> bool {
    match scope {
        Scope::Everything => true,
        Scope::Region(r) => r.contains(region),
        Scope::Assigned(_) | Scope::Nothing => false,
    }
}

fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::Everything => "全部 everything".to_owned(),
        Scope::Region(r) => r.as_str().to_owned(),
        Scope::Assigned(_) => "帮扶户 assigned households".to_owned(),
        Scope::Nothing => "无 nothing".to_owned(),
    }
}

/// SHA-256 of the bytes, lower-case hex.
pub fn checksum(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs one import. A file that cannot be read at all is an [`ImportFailure`]; every problem
/// with its rows is in the returned batch (which is recorded in the store).
pub async fn run_import(
    app: &App,
    by: &Principal,
    request: ImportRequest,
    progress: &dyn Progress,
) -> Result<ImportBatch, ImportFailure> {
    by.require(Action::ImportRegistry)?;
    let ImportRequest {
        kind,
        mode,
        file_name,
        bytes,
    } = request;
    let Some(file_kind) = FileKind::from_name(&file_name) else {
        return Err(ImportError::Table(TableError::UnsupportedFormat { file: file_name }).into());
    };
    let sum = checksum(&bytes);
    let today = app.clock.today();
    let at = ReadAt::current(today);
    progress.phase("parse");
    let mut table =
        Table::from_bytes(&file_name, file_kind, bytes.clone()).map_err(ImportError::from)?;
    let headers = table.headers().to_vec();
    let columns = match kind {
        ImportKind::Households => REGISTRY_COLUMNS,
        ImportKind::Incomes => INCOME_COLUMNS,
    };
    let map = map_headers(&file_name, &headers, columns).map_err(ImportError::from)?;
    let scope = by.scope();

    let (lines, plan, mut counts, refused) = match kind {
        ImportKind::Households => {
            households(app, &mut table, &map, today, at, &scope, progress).await?
        }
        ImportKind::Incomes => incomes(app, &mut table, &map, today, at, &scope, progress).await?,
    };

    counts.errors = lines
        .iter()
        .filter(|l| l.severity == Severity::Error)
        .count() as u64;
    counts.warnings = lines.len() as u64 - counts.errors;
    counts.rejected_rows = lines
        .iter()
        .filter(|l| l.severity == Severity::Error && l.row > 0)
        .map(|l| l.row)
        .collect::<HashSet<_>>()
        .len() as u64;
    let status = if refused {
        ImportStatus::Refused
    } else if mode == ImportMode::DryRun {
        ImportStatus::DryRun
    } else if mode == ImportMode::AllOrNothing && counts.errors > 0 {
        ImportStatus::Rejected
    } else {
        ImportStatus::Applied
    };

    progress.phase("report");
    let issues = report_pass(&file_name, file_kind, bytes, &map, lines)?;
    let stamp = app.stamp(
        &by.name,
        "import",
        today,
        Some(format!("{} {file_name} sha256:{}", kind.code(), &sum[..12])),
    );
    let mut batch = ImportBatch {
        id: None,
        file_name,
        checksum: sum,
        kind: kind.code().to_owned(),
        mode: mode.code().to_owned(),
        status: status.code().to_owned(),
        actor: by.name.clone(),
        recorded_at: stamp.recorded_at,
        headers: sheet::encode_line(&headers),
        counts,
        issues,
    };
    progress.phase("write");
    let empty = ImportPlan::default();
    let write = if status == ImportStatus::Applied {
        &plan
    } else {
        &empty
    };
    let id = app.store.apply_import(write, &batch, &stamp).await?;
    batch.id = Some(id);
    Ok(batch)
}

/// The recorded batch, if the principal may see it (its own imports, or any with ImportRegistry).
pub async fn batch(
    app: &App,
    by: &Principal,
    id: ImportBatchId,
) -> Result<Option<ImportBatch>, ImportFailure> {
    by.require(Action::ImportRegistry)?;
    Ok(app.store.import_batch(id).await?)
}

type Planned = (Vec<Line>, ImportPlan, ImportCounts, bool);

#[allow(clippy::too_many_arguments)]
async fn households(
    app: &App,
    table: &mut Table,
    map: &HeaderMap,
    today: chrono::NaiveDate,
    at: ReadAt,
    scope: &Scope,
    progress: &dyn Progress,
) -> Result<Planned, ImportFailure> {
    let mut parser = RegistryParser::new(table, today)?;
    // Read on one thread, parsed in batches on every core.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    read_registry(table, &mut parser, workers, |n| progress.rows(n))?;
    let file = parser.finish();
    progress.rows(file.rows);
    let mut counts = ImportCounts {
        rows: file.rows,
        ..ImportCounts::default()
    };

    progress.phase("check");
    let ids: Vec<ResidentId> = file
        .households
        .iter()
        .flat_map(|h| h.members.iter().map(|m| m.person.id_number.clone()))
        .collect();
    let held: HashMap<ResidentId, HouseholdNo> = app
        .store
        .households_of_id_numbers(&ids, at)
        .await?
        .into_iter()
        .collect();
    let ctx = QualityContext {
        today: Some(today),
        policy: Some(&app.policy),
        registry: Some(&held),
    };
    let findings = quality::check_households(&file.households, &ctx);

    progress.phase("match");
    let nos: Vec<HouseholdNo> = file
        .households
        .iter()
        .map(|h| h.household.household_no.clone())
        .collect();
    let existing: HashMap<String, HouseholdDetail> = app
        .store
        .households_by_numbers(&nos, at)
        .await?
        .into_iter()
        .map(|d| (d.household.value.household_no.as_str().to_owned(), d))
        .collect();

    let mut lines: Vec<Line> = file.issues.into_iter().map(Line::of_issue).collect();
    for f in &findings {
        lines.extend(Line::of_finding(f, map));
    }

    // Scope: the village in the file and the village the household is registered in now.
    let mut refused = false;
    for h in &file.households {
        let no = h.household_no();
        let first_row = h.rows.first().copied().unwrap_or(0);
        let mut outside = Vec::new();
        if !writable(scope, &h.household.region) {
            outside.push(h.household.region);
        }
        if let Some(d) = existing.get(no)
            && !writable(scope, &d.household.value.region)
        {
            outside.push(d.household.value.region);
        }
        for region in outside {
            refused = true;
            lines.push(Line {
                row: first_row,
                column: map.written("region_code").to_owned(),
                field: "region_code".to_owned(),
                rule: "scope.region".to_owned(),
                severity: Severity::Error,
                zh: format!(
                    "户 {no} 所在村 {region} 不在您的管辖范围（{}）内，整个文件未导入",
                    scope_text(scope)
                ),
                en: format!(
                    "household {no} lies in village {region}, outside your region ({}); the \
                     whole file was refused",
                    scope_text(scope)
                ),
                value: Some(region.as_str().to_owned()),
                household_no: no.to_owned(),
            });
        }
    }

    // Villages: a household's village must be in the region tree (loaded with `uplift regions
    // load-shipped` or `uplift regions import`); one look-up per distinct village.
    let mut known_villages: HashMap<RegionCode, bool> = HashMap::new();
    let mut unknown_village: HashSet<String> = HashSet::new();
    for h in &file.households {
        let region = h.household.region;
        let known = match known_villages.get(&region) {
            Some(known) => *known,
            None => {
                let known = app.store.region(&region).await?.is_some();
                known_villages.insert(region, known);
                known
            }
        };
        if known {
            continue;
        }
        let no = h.household_no();
        unknown_village.insert(no.to_owned());
        lines.push(Line {
            row: h.rows.first().copied().unwrap_or(0),
            column: map.written("region_code").to_owned(),
            field: "region_code".to_owned(),
            rule: "region.unknown".to_owned(),
            severity: Severity::Error,
            zh: format!(
                "户 {no} 的村代码 {region} 不在区划库中（请先用 uplift regions load-shipped 或 \
                 uplift regions import 导入区划）"
            ),
            en: format!(
                "household {no}: village code {region} is not in the region tree (load the \
                 regions first: uplift regions load-shipped or uplift regions import)"
            ),
            value: Some(region.as_str().to_owned()),
            household_no: no.to_owned(),
        });
    }

    // Households with an error are left out.
    let mut blocked: HashSet<String> = file
        .households
        .iter()
        .filter(|h| !h.is_clean())
        .map(|h| h.household_no().to_owned())
        .collect();
    blocked.extend(
        findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.household_no.clone()),
    );
    blocked.extend(unknown_village);
    let mut plan = ImportPlan::default();
    for h in &file.households {
        if blocked.contains(h.household_no()) {
            counts.households_skipped += 1;
            continue;
        }
        plan_household(h, existing.get(h.household_no()), &mut plan, &mut counts);
    }
    Ok((lines, plan, counts, refused))
}

/// Adds one clean household of the file to the plan.
fn plan_household(
    h: &ParsedHousehold,
    existing: Option<&HouseholdDetail>,
    plan: &mut ImportPlan,
    counts: &mut ImportCounts,
) {
    let Some(d) = existing else {
        counts.households_new += 1;
        counts.persons_new += h.members.len() as u64;
        counts.incomes_new += h.incomes.len() as u64;
        plan.new_households.push(NewHousehold {
            household: h.household.clone(),
            members: h.members.iter().map(|m| m.person.clone()).collect(),
            incomes: h.incomes.iter().map(|i| i.income.clone()).collect(),
        });
        return;
    };
    let mut changed = false;
    if h.household != d.household.value {
        plan.household_versions.push((d.id, h.household.clone()));
        changed = true;
    }
    let stored: HashMap<&ResidentId, _> = d
        .members
        .iter()
        .map(|m| (&m.person.value.id_number, m))
        .collect();
    for m in &h.members {
        match stored.get(&m.person.id_number) {
            Some(s) if same_person(&m.person, &s.person.value) => counts.persons_unchanged += 1,
            Some(s) => {
                counts.persons_changed += 1;
                changed = true;
                plan.person_versions.push((
                    d.id,
                    s.id,
                    with_stored_gaps(&m.person, &s.person.value),
                ));
            }
            None => {
                counts.persons_new += 1;
                changed = true;
                plan.new_persons.push((d.id, m.person.clone()));
            }
        }
    }
    if plan_incomes(d, &h.incomes, plan, counts) {
        changed = true;
    }
    if changed {
        counts.households_changed += 1;
    } else {
        counts.households_unchanged += 1;
    }
}

/// Adds the income periods of one stored household; true if anything changes.
fn plan_incomes(
    d: &HouseholdDetail,
    incomes: &[ParsedIncome],
    plan: &mut ImportPlan,
    counts: &mut ImportCounts,
) -> bool {
    let mut changed = false;
    for i in incomes {
        let r = &i.income;
        let stored = d.incomes.iter().find(|s| {
            s.income.value.period_start == r.period_start
                && s.income.value.period_end == r.period_end
        });
        match stored {
            Some(s) if s.income.value == *r => counts.incomes_unchanged += 1,
            Some(s) => {
                counts.incomes_changed += 1;
                changed = true;
                plan.income_versions.push((d.id, s.id, r.clone()));
            }
            None => {
                counts.incomes_new += 1;
                changed = true;
                plan.new_incomes.push((d.id, r.clone()));
            }
        }
    }
    changed
}

/// The file's person with what the file cannot say (birth date of a non-resident ID number,
/// sex left empty) taken from the stored version.
fn with_stored_gaps(file: &Person, stored: &Person) -> Person {
    let mut p = file.clone();
    if p.birth_date.is_none() {
        p.birth_date = stored.birth_date;
    }
    if p.sex.is_none() {
        p.sex = stored.sex;
    }
    p
}

fn same_person(file: &Person, stored: &Person) -> bool {
    with_stored_gaps(file, stored) == *stored
}

#[allow(clippy::too_many_arguments)]
async fn incomes(
    app: &App,
    table: &mut Table,
    _map: &HeaderMap,
    today: chrono::NaiveDate,
    at: ReadAt,
    scope: &Scope,
    progress: &dyn Progress,
) -> Result<Planned, ImportFailure> {
    let mut parser = IncomeParser::new(table)?;
    let mut row = Row::new();
    while table.next_row(&mut row).map_err(ImportError::from)? {
        parser.push(&row);
        let n = parser.rows();
        if n.is_multiple_of(10_000) {
            progress.rows(n);
        }
    }
    let file = parser.finish();
    progress.rows(file.rows);
    let mut counts = ImportCounts {
        rows: file.rows,
        ..ImportCounts::default()
    };
    let map =
        map_headers(&file.file, table.headers(), INCOME_COLUMNS).map_err(ImportError::from)?;

    progress.phase("match");
    // Group by household, in file order.
    let mut groups: BTreeMap<usize, (HouseholdNo, Vec<ParsedIncome>)> = BTreeMap::new();
    let mut index: HashMap<HouseholdNo, usize> = HashMap::new();
    for (no, income) in file.incomes {
        let next = index.len();
        let g = *index.entry(no.clone()).or_insert(next);
        groups
            .entry(g)
            .or_insert_with(|| (no, Vec::new()))
            .1
            .push(income);
    }
    let nos: Vec<HouseholdNo> = groups.values().map(|(no, _)| no.clone()).collect();
    let existing: HashMap<String, HouseholdDetail> = app
        .store
        .households_by_numbers(&nos, at)
        .await?
        .into_iter()
        .map(|d| (d.household.value.household_no.as_str().to_owned(), d))
        .collect();

    let mut blocked: HashSet<String> = file.issues.iter().map(|i| i.household_no.clone()).collect();
    let mut lines: Vec<Line> = file.issues.into_iter().map(Line::of_issue).collect();
    let mut refused = false;
    progress.phase("check");
    for (no, incomes) in groups.values() {
        let Some(d) = existing.get(no.as_str()) else {
            blocked.insert(no.as_str().to_owned());
            for i in incomes {
                lines.push(Line {
                    row: i.row,
                    column: map.written("household_no").to_owned(),
                    field: "household_no".to_owned(),
                    rule: "income.unknown_household".to_owned(),
                    severity: Severity::Error,
                    zh: format!(
                        "户编号 {} 在户籍库中不存在，请先导入户成员信息",
                        no.as_str()
                    ),
                    en: format!(
                        "household {} is not in the registry; import the registry file first",
                        no.as_str()
                    ),
                    value: Some(no.as_str().to_owned()),
                    household_no: no.as_str().to_owned(),
                });
            }
            continue;
        };
        let region = d.household.value.region;
        if !writable(scope, &region) {
            refused = true;
            lines.push(Line {
                row: incomes.first().map_or(0, |i| i.row),
                column: map.written("household_no").to_owned(),
                field: "household_no".to_owned(),
                rule: "scope.region".to_owned(),
                severity: Severity::Error,
                zh: format!(
                    "户 {} 所在村 {region} 不在您的管辖范围（{}）内，整个文件未导入",
                    no.as_str(),
                    scope_text(scope)
                ),
                en: format!(
                    "household {} lies in village {region}, outside your region ({}); the whole \
                     file was refused",
                    no.as_str(),
                    scope_text(scope)
                ),
                value: Some(no.as_str().to_owned()),
                household_no: no.as_str().to_owned(),
            });
        }
        // The income rules of the catalogue, over the stored members and the file's periods.
        let members: Vec<MemberRef<'_>> = d
            .members
            .iter()
            .map(|m| MemberRef {
                row: None,
                person: &m.person.value,
            })
            .collect();
        let refs: Vec<IncomeRef<'_>> = incomes
            .iter()
            .map(|i| IncomeRef {
                row: Some(i.row),
                income: &i.income,
            })
            .collect();
        let params = app
            .policy
            .in_force(&region, today)
            .map(QualityParams::from_pack)
            .unwrap_or_default();
        for f in quality::check_household(no.as_str(), &members, &refs, &params) {
            if f.rule == quality::LOW_WAGE_INCOME
                || f.rule == quality::ILLNESS_WITHOUT_OUT_OF_POCKET
            {
                if f.severity == Severity::Error {
                    blocked.insert(no.as_str().to_owned());
                }
                lines.extend(Line::of_finding(&f, &map));
            }
        }
    }
    let mut plan = ImportPlan::default();
    for (no, incomes) in groups.values() {
        let Some(d) = existing.get(no.as_str()) else {
            continue;
        };
        if blocked.contains(no.as_str()) {
            counts.households_skipped += 1;
            continue;
        }
        if plan_incomes(d, incomes, &mut plan, &mut counts) {
            counts.households_changed += 1;
        } else {
            counts.households_unchanged += 1;
        }
    }
    Ok((lines, plan, counts, refused))
}

/// The second pass: fills in each issue's original row (and the cell of findings), in row order.
fn report_pass(
    file_name: &str,
    kind: FileKind,
    bytes: Vec<u8>,
    map: &HeaderMap,
    mut lines: Vec<Line>,
) -> Result<Vec<StoredIssue>, ImportFailure> {
    lines.sort_by_key(|l| l.row);
    let wanted: HashSet<u64> = lines.iter().map(|l| l.row).filter(|r| *r > 0).collect();
    let mut cells: HashMap<u64, (String, Vec<String>)> = HashMap::new();
    if !wanted.is_empty() {
        let mut table = Table::from_bytes(file_name, kind, bytes).map_err(ImportError::from)?;
        let mut row = Row::new();
        while table.next_row(&mut row).map_err(ImportError::from)? {
            if wanted.contains(&row.number()) {
                let all: Vec<String> = (0..row.len()).map(|i| row.raw(i).to_owned()).collect();
                cells.insert(row.number(), (sheet::encode_line(&all), all));
            }
        }
    }
    Ok(lines
        .into_iter()
        .map(|l| {
            let original = cells.get(&l.row);
            let value = l
                .value
                .unwrap_or_else(|| match (original, map.index(&l.field)) {
                    (Some((_, all)), Some(i)) => all.get(i).cloned().unwrap_or_default(),
                    _ => String::new(),
                });
            StoredIssue {
                row: l.row,
                column: l.column,
                field: l.field,
                rule: l.rule,
                severity: severity_code(l.severity).to_owned(),
                message_zh: l.zh,
                message_en: l.en,
                value,
                household_no: l.household_no,
                cells: original.map(|(line, _)| line.clone()).unwrap_or_default(),
            }
        })
        .collect())
}
