//! Village profiles (村情, issue 9 item 5): living-environment and infrastructure indicators per
//! village, each reading dated and versioned, rolled up by the five-level dashboards.
//!
//! The indicators and their targets are the pack's `[[village_indicators]]`. A reading may name
//! the project that changed it (`project`, a free project number until the project library can be
//! joined). Readings are versioned like the registry: a correction is a new version, and a profile
//! replays as of a date and as known at an instant.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use uplift_domain::access::Action;
use uplift_domain::policy::PolicyPack;
use uplift_domain::region::{Region, RegionCode, RegionLevel};
use uplift_domain::version::{ReadAt, Versioned};
use uplift_domain::village::{IndicatorKind, Reading, VillageIndicator};

use crate::App;
use crate::access::{AccessDenied, Principal};
use crate::dashboard::{Area, Chart, Dashboard, DashboardError, Figure, FigureProvider, Unit};
use crate::import::table::{FileKind, Row, Table, TableError, column_letters};
use crate::imports::sheet::Sheet;
use crate::store::{Scope, StoreError, StoreResult};

/// One reading of one indicator of one village.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorEntry {
    pub village: RegionCode,
    pub indicator: String,
    pub reading: Reading,
    /// The project that changed the indicator (a project number of the project library).
    pub project: Option<String>,
    pub note: Option<String>,
}

/// The store port of village profiles.
#[async_trait]
pub trait VillageStore: Send + Sync {
    /// Appends a version of each entry with its own stamp, in one transaction.
    async fn record_indicators(&self, entries: &[Versioned<IndicatorEntry>]) -> StoreResult<u64>;
    /// The reading in force at `at` of each (village, indicator) inside `within`, by village
    /// then indicator.
    async fn village_indicators(
        &self,
        within: &RegionCode,
        at: ReadAt,
    ) -> StoreResult<Vec<Versioned<IndicatorEntry>>>;
    /// Every version of every reading of a village, oldest recorded first.
    async fn village_indicator_history(
        &self,
        village: &RegionCode,
    ) -> StoreResult<Vec<Versioned<IndicatorEntry>>>;
}

#[derive(Debug, thiserror::Error)]
pub enum VillageFailure {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no policy pack is in force for {region} on {on}")]
    NoPolicy { region: RegionCode, on: NaiveDate },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Dashboard(#[from] DashboardError),
}

pub type VillageResult<T> = Result<T, VillageFailure>;

/// Whether the principal's region holds `region` (the machine holds everything).
pub fn covers(by: &Principal, region: &RegionCode) -> bool {
    match by.role {
        None => true,
        Some(_) => by.region.is_some_and(|r| r.contains(region)),
    }
}

/// Refuses as "not found" a region outside the principal's, so codes cannot be probed.
pub fn require_region(by: &Principal, region: &RegionCode) -> Result<(), StoreError> {
    if covers(by, region) {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("region {}", region.as_str())))
    }
}

fn pack_for<'a>(app: &'a App, region: &RegionCode, on: NaiveDate) -> VillageResult<&'a PolicyPack> {
    app.policy
        .in_force(region, on)
        .ok_or(VillageFailure::NoPolicy {
            region: *region,
            on,
        })
}

async fn village_region(app: &App, code: &RegionCode) -> VillageResult<Region> {
    if code.level() != RegionLevel::Village {
        return Err(VillageFailure::Invalid(format!(
            "{} is not a village code",
            code.as_str()
        )));
    }
    app.store.region(code).await?.ok_or_else(|| {
        VillageFailure::Store(StoreError::NotFound(format!("village {}", code.as_str())))
    })
}

/// A reading as a user enters it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReading {
    pub village: RegionCode,
    pub indicator: String,
    pub date: NaiveDate,
    pub reading: Reading,
    pub project: Option<String>,
    pub note: Option<String>,
}

/// Checks one reading against the pack in force in its village on its date.
fn check_reading(app: &App, r: &NewReading) -> VillageResult<()> {
    let pack = pack_for(app, &r.village, r.date)?;
    let Some(ind) = pack
        .village_indicators
        .iter()
        .find(|i| i.code == r.indicator)
    else {
        let known: Vec<&str> = pack
            .village_indicators
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        return Err(VillageFailure::Invalid(format!(
            "indicator {:?} is not in the codebook of {} {}; expected one of {}",
            r.indicator,
            pack.name_en,
            pack.year,
            known.join(", ")
        )));
    };
    ind.check(r.reading)
        .map_err(|e| VillageFailure::Invalid(format!("{}: {e}", r.indicator)))?;
    for (name, text, max) in [("project", &r.project, 60), ("note", &r.note, 500)] {
        if text.as_ref().is_some_and(|t| t.chars().count() > max) {
            return Err(VillageFailure::Invalid(format!(
                "{name} is longer than {max} characters"
            )));
        }
    }
    Ok(())
}

/// Records readings (all or nothing, one transaction): each village must lie in the principal's
/// region, each reading must fit the pack in force in its village on its date.
pub async fn record(
    app: &App,
    by: &Principal,
    readings: &[NewReading],
    source: &str,
) -> VillageResult<u64> {
    by.require(Action::EditVillageProfile)?;
    if readings.is_empty() {
        return Err(VillageFailure::Invalid("no readings".into()));
    }
    let mut versions = Vec::with_capacity(readings.len());
    for r in readings {
        require_region(by, &r.village)?;
        village_region(app, &r.village).await?;
        check_reading(app, r)?;
        versions.push(Versioned {
            value: IndicatorEntry {
                village: r.village,
                indicator: r.indicator.clone(),
                reading: r.reading,
                project: r.project.clone().filter(|p| !p.trim().is_empty()),
                note: r.note.clone().filter(|n| !n.trim().is_empty()),
            },
            stamp: app.stamp(&by.name, source, r.date, None),
        });
    }
    Ok(app.store.record_indicators(&versions).await?)
}

/// One row of a village's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRow {
    pub indicator: VillageIndicator,
    pub reading: Option<Versioned<IndicatorEntry>>,
    /// Whether the reading meets the target; none without a reading or a target.
    pub meets: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageProfile {
    pub village: Region,
    pub path: Vec<Region>,
    pub at: ReadAt,
    pub rows: Vec<ProfileRow>,
}

/// A village's profile at a point of view.
pub async fn profile(
    app: &App,
    by: &Principal,
    village: &RegionCode,
    at: ReadAt,
) -> VillageResult<VillageProfile> {
    by.require(Action::ReadRegistry)?;
    require_region(by, village)?;
    let region = village_region(app, village).await?;
    let pack = pack_for(app, village, at.as_of)?;
    let readings = app.store.village_indicators(village, at).await?;
    let rows = pack
        .village_indicators
        .iter()
        .map(|ind| {
            let reading = readings
                .iter()
                .find(|r| r.value.indicator == ind.code)
                .cloned();
            let meets = reading.as_ref().and_then(|r| ind.meets(r.value.reading));
            ProfileRow {
                indicator: ind.clone(),
                reading,
                meets,
            }
        })
        .collect();
    Ok(VillageProfile {
        path: app.store.region_path(village).await?,
        village: region,
        at,
        rows,
    })
}

/// Every version of a village's readings, newest recorded first.
pub async fn history(
    app: &App,
    by: &Principal,
    village: &RegionCode,
) -> VillageResult<Vec<Versioned<IndicatorEntry>>> {
    by.require(Action::ReadRegistry)?;
    require_region(by, village)?;
    village_region(app, village).await?;
    let mut h = app.store.village_indicator_history(village).await?;
    h.reverse();
    Ok(h)
}

/// The villages under a region (the region itself when it is one), by code.
pub async fn villages_under(app: &App, region: &RegionCode) -> StoreResult<Vec<Region>> {
    if region.level() == RegionLevel::Village {
        return Ok(app.store.region(region).await?.into_iter().collect());
    }
    let mut level = vec![*region];
    let mut out = Vec::new();
    while !level.is_empty() {
        let mut next = Vec::new();
        for r in &level {
            for child in app.store.region_children(Some(r)).await? {
                if child.level() == RegionLevel::Village {
                    out.push(child);
                } else {
                    next.push(child.code);
                }
            }
        }
        level = next;
    }
    out.sort_by_key(|v| v.code);
    Ok(out)
}

/// Dashboard figures of the village indicators: per indicator, the villages meeting the target
/// (`village_met`), missing it (`village_gap`) and without a reading (`village_unrecorded`), and
/// for shares the summed numerator and base (`village_share_value`, `village_share_base`), so a
/// region's coverage is Σ value / Σ base.
pub struct VillageFigures;

pub const VILLAGE_FIGURES: [&str; 5] = [
    "village_met",
    "village_gap",
    "village_unrecorded",
    "village_share_value",
    "village_share_base",
];

fn village_skeleton(pack: &PolicyPack) -> Vec<Figure> {
    let mut figures: Vec<Figure> = VILLAGE_FIGURES
        .iter()
        .map(|id| {
            let unit = if id.starts_with("village_share") {
                Unit::Households
            } else {
                Unit::Villages
            };
            Figure::new(id, Chart::Bar, unit)
        })
        .collect();
    for ind in &pack.village_indicators {
        for f in figures.iter_mut() {
            if f.id.starts_with("village_share") && ind.kind != IndicatorKind::Share {
                continue;
            }
            f.add(&ind.code, 0, 0, None);
        }
    }
    figures
}

#[async_trait]
impl FigureProvider for VillageFigures {
    async fn figures(
        &self,
        app: &App,
        area: &Area<'_>,
    ) -> StoreResult<BTreeMap<RegionCode, Vec<Figure>>> {
        let within = match area.scope {
            Scope::Everything => area.within,
            Scope::Region(r) if r.contains(&area.within) => area.within,
            Scope::Region(r) if area.within.contains(r) => *r,
            // Helpers, department clerks and other regions see no village figures.
            _ => return Ok(BTreeMap::new()),
        };
        let readings = app.store.village_indicators(&within, area.at).await?;
        let mut out = BTreeMap::new();
        for village in villages_under(app, &within).await? {
            let mut figures = village_skeleton(area.pack);
            for ind in &area.pack.village_indicators {
                let reading = readings
                    .iter()
                    .find(|r| r.value.village == village.code && r.value.indicator == ind.code);
                let mut add = |id: &str, value: i64| {
                    if let Some(f) = figures.iter_mut().find(|f| f.id == id) {
                        f.add(&ind.code, value, 0, None);
                    }
                };
                match reading {
                    None => add("village_unrecorded", 1),
                    Some(r) => {
                        match ind.meets(r.value.reading) {
                            Some(true) => add("village_met", 1),
                            Some(false) => add("village_gap", 1),
                            None => {}
                        }
                        if ind.kind == IndicatorKind::Share {
                            add("village_share_value", r.value.reading.value);
                            add("village_share_base", r.value.reading.base.unwrap_or(0));
                        }
                    }
                }
            }
            out.insert(village.code, figures);
        }
        Ok(out)
    }
}

/// The roll-up of one indicator over a region.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndicatorTotals {
    pub met: i64,
    pub gap: i64,
    pub unrecorded: i64,
    pub share_value: i64,
    pub share_base: i64,
}

impl IndicatorTotals {
    /// Coverage of a share in per mille, when there is a base.
    pub fn permille(&self) -> Option<i64> {
        (self.share_base > 0).then(|| self.share_value * 1000 / self.share_base)
    }

    fn of(figures: &[Figure], code: &str) -> IndicatorTotals {
        let get = |id: &str| {
            figures
                .iter()
                .find(|f| f.id == id)
                .and_then(|f| f.cell(code))
                .map_or(0, |c| c.value)
        };
        IndicatorTotals {
            met: get("village_met"),
            gap: get("village_gap"),
            unrecorded: get("village_unrecorded"),
            share_value: get("village_share_value"),
            share_base: get("village_share_base"),
        }
    }
}

/// The indicators of a region and each child region, and the villages with gaps.
#[derive(Debug, Clone)]
pub struct Rollup {
    pub dashboard: Dashboard,
    pub indicators: Vec<VillageIndicator>,
    /// Per indicator, in the pack's order.
    pub totals: Vec<IndicatorTotals>,
    pub children: Vec<(Region, Vec<IndicatorTotals>)>,
    /// Villages (under a county or smaller region) with the indicator codes they miss.
    pub gaps: Vec<(Region, Vec<String>)>,
}

/// The village-indicator dashboard of a region, from [`VillageFigures`].
pub async fn rollup(
    app: &App,
    by: &Principal,
    region: &RegionCode,
    at: ReadAt,
) -> VillageResult<Rollup> {
    by.require(Action::ReadRegistry)?;
    require_region(by, region)?;
    let scope = by.scope();
    let scope = match scope {
        // A helper reads the indicators of their region (they are not personal).
        Scope::Assigned(_) => by.region.map_or(Scope::Nothing, Scope::Region),
        other => other,
    };
    let dashboard =
        crate::dashboard::dashboard(app, &[&VillageFigures], region, &scope, at).await?;
    let indicators = app
        .policy
        .in_force(region, at.as_of)
        .or_else(|| {
            // A city or province: the pack of its first county.
            dashboard
                .children
                .first()
                .and_then(|(c, _)| app.policy.in_force(&c.code, at.as_of))
        })
        .map(|p| p.village_indicators.clone())
        .unwrap_or_default();
    let totals = indicators
        .iter()
        .map(|i| IndicatorTotals::of(&dashboard.figures, &i.code))
        .collect();
    let children = dashboard
        .children
        .iter()
        .map(|(r, figs)| {
            (
                r.clone(),
                indicators
                    .iter()
                    .map(|i| IndicatorTotals::of(figs, &i.code))
                    .collect(),
            )
        })
        .collect();
    let mut gaps = Vec::new();
    if region.level() >= RegionLevel::County {
        let readings = app.store.village_indicators(region, at).await?;
        for village in villages_under(app, region).await? {
            if !covers(by, &village.code) {
                continue;
            }
            let missed: Vec<String> = indicators
                .iter()
                .filter(|ind| {
                    readings
                        .iter()
                        .find(|r| r.value.village == village.code && r.value.indicator == ind.code)
                        .and_then(|r| ind.meets(r.value.reading))
                        == Some(false)
                })
                .map(|ind| ind.code.clone())
                .collect();
            if !missed.is_empty() {
                gaps.push((village, missed));
            }
        }
    }
    Ok(Rollup {
        dashboard,
        indicators,
        totals,
        children,
        gaps,
    })
}

// ---- Excel/CSV import and export of profiles ----

/// The columns of a profile sheet (import and export).
pub const SHEET_HEADERS: [&str; 8] = [
    "村代码",
    "村名称",
    "指标代码",
    "指标名称",
    "日期",
    "数值",
    "户数基数",
    "项目编号",
];
/// The optional last column.
pub const NOTE_HEADER: &str = "备注";

/// What an import found wrong: file, row, column, field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    pub row: u64,
    pub column: String,
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("{file}: {}", problems.iter().map(|p| format!("row {}, column {} ({}): {}", p.row, p.column, p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Rows {
        file: String,
        problems: Vec<ImportProblem>,
    },
    #[error(transparent)]
    Village(#[from] VillageFailure),
}

/// Imports a profile sheet (`.xlsx` or `.csv`): every row is checked before anything is written,
/// and nothing is written when any row is wrong.
pub async fn import(
    app: &App,
    by: &Principal,
    file: &str,
    bytes: Vec<u8>,
    source: &str,
) -> Result<u64, ImportFailure> {
    by.require(Action::EditVillageProfile)
        .map_err(VillageFailure::from)?;
    let kind = FileKind::from_name(file).ok_or_else(|| TableError::UnsupportedFormat {
        file: file.to_owned(),
    })?;
    let mut table = Table::from_bytes(file, kind, bytes)?;
    let headers: Vec<String> = table.headers().to_vec();
    let mut problems = Vec::new();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let wanted = ["村代码", "指标代码", "日期", "数值"];
    for name in wanted {
        if col(name).is_none() {
            problems.push(ImportProblem {
                row: table.header_row(),
                column: "-".into(),
                field: name.into(),
                message: format!("the header {name} is missing"),
            });
        }
    }
    if !problems.is_empty() {
        return Err(ImportFailure::Rows {
            file: file.to_owned(),
            problems,
        });
    }
    let c = |name: &str| col(name).expect("checked above");
    let (c_village, c_ind, c_date, c_value) = (c("村代码"), c("指标代码"), c("日期"), c("数值"));
    let (c_base, c_project, c_note) = (col("户数基数"), col("项目编号"), col(NOTE_HEADER));
    let mut readings = Vec::new();
    let mut row = Row::new();
    while table.next_row(&mut row)? {
        if row.cells().all(|c| c.trim().is_empty()) {
            continue;
        }
        // A template row with nothing recorded (as the export writes them) is skipped.
        if row.get(c_date).trim().is_empty() && row.get(c_value).trim().is_empty() {
            continue;
        }
        let n = row.number();
        let mut bad = |col: usize, field: &str, message: String| {
            problems.push(ImportProblem {
                row: n,
                column: column_letters(col),
                field: field.into(),
                message,
            })
        };
        let village = match RegionCode::parse(row.get(c_village).trim()) {
            Ok(v) if v.level() == RegionLevel::Village => Some(v),
            Ok(v) => {
                bad(
                    c_village,
                    "村代码",
                    format!("{} is not a village code", v.as_str()),
                );
                None
            }
            Err(e) => {
                bad(c_village, "村代码", e.to_string());
                None
            }
        };
        let date = match NaiveDate::parse_from_str(row.get(c_date).trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                bad(
                    c_date,
                    "日期",
                    format!(
                        "expected a date such as 2026-06-30, found {:?}",
                        row.get(c_date)
                    ),
                );
                None
            }
        };
        let number = |text: &str| text.trim().parse::<i64>().ok();
        let value = number(row.get(c_value));
        if value.is_none() {
            bad(
                c_value,
                "数值",
                format!("expected a whole number, found {:?}", row.get(c_value)),
            );
        }
        let base = match c_base.map(|c| (c, row.get(c).trim())) {
            None | Some((_, "")) => Some(None),
            Some((c, text)) => match number(text) {
                Some(b) => Some(Some(b)),
                None => {
                    bad(
                        c,
                        "户数基数",
                        format!("expected a whole number, found {text:?}"),
                    );
                    None
                }
            },
        };
        let text = |c: Option<usize>| {
            c.map(|c| row.get(c).trim().to_owned())
                .filter(|t| !t.is_empty())
        };
        let indicator = row.get(c_ind).trim().to_owned();
        let (Some(village), Some(date), Some(value), Some(base)) = (village, date, value, base)
        else {
            continue;
        };
        let reading = NewReading {
            village,
            indicator,
            date,
            reading: Reading { value, base },
            project: text(c_project),
            note: text(c_note),
        };
        if let Err(e) = check_reading(app, &reading) {
            let column = if e.to_string().contains("codebook") {
                c_ind
            } else {
                c_value
            };
            bad(column, "指标代码/数值", e.to_string());
            continue;
        }
        if !covers(by, &village) {
            bad(
                c_village,
                "村代码",
                format!("village {} is outside your region", village.as_str()),
            );
            continue;
        }
        match app.store.region(&village).await {
            Ok(Some(_)) => readings.push(reading),
            Ok(None) => bad(
                c_village,
                "村代码",
                format!("no village {} in the region tree", village.as_str()),
            ),
            Err(e) => return Err(VillageFailure::Store(e).into()),
        }
    }
    if !problems.is_empty() {
        return Err(ImportFailure::Rows {
            file: file.to_owned(),
            problems,
        });
    }
    if readings.is_empty() {
        return Ok(0);
    }
    Ok(record(app, by, &readings, source).await?)
}

/// The profiles of every village under a region as a sheet (one row per village and indicator;
/// empty value cells where nothing is recorded). It imports back unchanged.
pub async fn export(
    app: &App,
    by: &Principal,
    region: &RegionCode,
    at: ReadAt,
) -> VillageResult<Sheet> {
    by.require(Action::ReadRegistry)?;
    require_region(by, region)?;
    let pack = match app.policy.in_force(region, at.as_of) {
        Some(p) => p,
        None => pack_for(app, region, at.as_of)?,
    };
    let readings = app.store.village_indicators(region, at).await?;
    let mut rows = Vec::new();
    for village in villages_under(app, region).await? {
        for ind in &pack.village_indicators {
            let r = readings
                .iter()
                .find(|r| r.value.village == village.code && r.value.indicator == ind.code);
            let mut row = vec![
                village.code.as_str().to_owned(),
                village.name.clone(),
                ind.code.clone(),
                ind.zh.clone(),
            ];
            match r {
                Some(r) => row.extend([
                    r.stamp.valid_from.format("%Y-%m-%d").to_string(),
                    r.value.reading.value.to_string(),
                    r.value
                        .reading
                        .base
                        .map(|b| b.to_string())
                        .unwrap_or_default(),
                    r.value.project.clone().unwrap_or_default(),
                    r.value.note.clone().unwrap_or_default(),
                ]),
                None => row.extend(std::iter::repeat_n(String::new(), 5)),
            }
            rows.push(row);
        }
    }
    let mut headers: Vec<String> = SHEET_HEADERS.iter().map(|h| (*h).to_owned()).collect();
    headers.push(NOTE_HEADER.to_owned());
    Ok(Sheet {
        name: "村情".into(),
        headers,
        rows,
        note: Some(format!("as of {}", at.as_of)),
    })
}
