//! The monthly bulletin (通报): one level's sub-regions ranked on indicators computed from the
//! data Uplift already holds — overdue identifications (cases), warnings left unhandled past
//! their verification limit (warnings), the elimination rate (cases), rectification progress
//! (the ledger) and data-quality problems (the quality rules over the stored registry).
//!
//! Every figure is a count, attributed to the one sub-region its record lies in, so a
//! sub-region's figures are the sum of its own sub-regions'. Records filed at the bulletin's
//! region itself (a county-level problem in a county's bulletin) form the "本级 own level" row,
//! so the rows always add up to the region's total. Rates are derived from the counts.
//!
//! The month is read as of its last day (or today, for the current month): cases and problems
//! are folded from their events up to that day, the registry is read as of that day. Warnings
//! are the ones open now whose verification limit had passed by that day (warnings keep no
//! history of their state). Data quality is surveyed over the whole county (a rule across
//! households needs it) and counted inside the bulletin's region.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use uplift_domain::access::Action;
use uplift_domain::calendar::WorkCalendar;
use uplift_domain::case::{Case, CaseKind, Stage};
use uplift_domain::rectify::ProblemState;
use uplift_domain::region::{Region, RegionCode};
use uplift_domain::version::ReadAt;

use super::store::ProblemFilter;
use super::{RectifyFailure, RectifyResult};
use crate::App;
use crate::access::Principal;
use crate::cases::CaseFilter;
use crate::feeds::screening::all_warnings;
use crate::feeds::store::WarningFilter;
use crate::imports::sheet::Sheet;
use crate::quality_survey;
use crate::store::{HouseholdFilter, Page, StoreError};

/// The additive counts behind a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub households: u64,
    /// Households breaking at least one data-quality rule.
    pub quality_households: u64,
    /// Rule breaches (one household may break several rules).
    pub quality_findings: u64,
    pub open_identifications: u64,
    pub overdue_identifications: u64,
    pub open_warnings: u64,
    pub unhandled_warnings: u64,
    /// Households with an identification entered in the national system.
    pub identified: u64,
    /// Households with a risk elimination entered.
    pub eliminated: u64,
    pub problems: u64,
    pub problems_closed: u64,
    pub problems_overdue: u64,
    pub task_targets: u64,
    pub task_targets_done: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.households += o.households;
        self.quality_households += o.quality_households;
        self.quality_findings += o.quality_findings;
        self.open_identifications += o.open_identifications;
        self.overdue_identifications += o.overdue_identifications;
        self.open_warnings += o.open_warnings;
        self.unhandled_warnings += o.unhandled_warnings;
        self.identified += o.identified;
        self.eliminated += o.eliminated;
        self.problems += o.problems;
        self.problems_closed += o.problems_closed;
        self.problems_overdue += o.problems_overdue;
        self.task_targets += o.task_targets;
        self.task_targets_done += o.task_targets_done;
    }

    /// Eliminated households per thousand identified, if any were identified.
    pub fn elimination_permille(&self) -> Option<u64> {
        (self.identified > 0).then(|| self.eliminated * 1000 / self.identified)
    }

    /// Closed problems per thousand, if there are problems.
    pub fn rectification_permille(&self) -> Option<u64> {
        (self.problems > 0).then(|| self.problems_closed * 1000 / self.problems)
    }

    /// Households with data-quality problems per thousand households.
    pub fn quality_permille(&self) -> Option<u64> {
        (self.households > 0).then(|| self.quality_households * 1000 / self.households)
    }
}

/// The ranked indicators, in order.
pub const INDICATORS: [(&str, &str, &str); 5] = [
    (
        "overdue_identifications",
        "逾期未识别",
        "Overdue identifications",
    ),
    (
        "unhandled_warnings",
        "预警逾期未处置",
        "Warnings left unhandled",
    ),
    ("elimination_rate", "风险消除率", "Elimination rate"),
    (
        "rectification_progress",
        "问题整改销号率",
        "Rectification progress",
    ),
    (
        "quality_rate",
        "数据质量问题户占比",
        "Data-quality problem rate",
    ),
];

/// The value a row is ranked on per indicator, smaller is better.
fn rank_keys(c: &Counts) -> [i64; 5] {
    [
        c.overdue_identifications as i64,
        c.unhandled_warnings as i64,
        // No identified household: nothing to eliminate, ranked as neither good nor bad (0).
        -(c.elimination_permille().unwrap_or(0) as i64),
        -(c.rectification_permille().unwrap_or(1000) as i64),
        c.quality_permille().unwrap_or(0) as i64,
    ]
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulletinRow {
    pub region: RegionCode,
    pub name: String,
    /// The row of records filed at the bulletin's region itself (本级), not ranked.
    pub own_level: bool,
    pub counts: Counts,
    /// The rank per indicator (1 is best; ties share a rank), and overall.
    pub ranks: [u32; 5],
    pub rank: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulletin {
    pub region: Region,
    /// `YYYY-MM`.
    pub month: String,
    pub as_of: NaiveDate,
    /// Sub-regions by overall rank, then the own-level row.
    pub rows: Vec<BulletinRow>,
    pub total: Counts,
}

/// Parses `YYYY-MM` into the month's last day.
pub fn month_end(month: &str) -> Option<NaiveDate> {
    let (y, m) = month.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    next.pred_opt()
}

/// The month of a date as `YYYY-MM`.
pub fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn calendar() -> &'static WorkCalendar {
    static CAL: std::sync::OnceLock<WorkCalendar> = std::sync::OnceLock::new();
    CAL.get_or_init(WorkCalendar::shipped)
}

/// Competition ranks (1, 1, 3) of values, smaller is better.
fn ranks_of(values: &[i64]) -> Vec<u32> {
    values
        .iter()
        .map(|v| 1 + values.iter().filter(|o| *o < v).count() as u32)
        .collect()
}

/// Computes the bulletin of `region` for `month` (`YYYY-MM`).
pub async fn bulletin(
    app: &App,
    by: &Principal,
    region: RegionCode,
    month: &str,
) -> RectifyResult<Bulletin> {
    by.require(Action::ReadRectification)?;
    by.require(Action::ReadRegistry)?;
    if let (Some(_), Some(own)) = (by.role, by.region)
        && !own.contains(&region)
    {
        return Err(StoreError::NotFound(format!("region {region}")).into());
    }
    let end = month_end(month)
        .ok_or_else(|| RectifyFailure::Invalid(format!("month {month:?} is not YYYY-MM")))?;
    let today = app.clock.today();
    let as_of = end.min(today);
    let this = app
        .store
        .region(&region)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("region {region}")))?;
    let children = app.store.region_children(Some(&region)).await?;
    if children.is_empty() {
        return Err(RectifyFailure::Invalid(format!(
            "region {region} has no sub-regions to rank"
        )));
    }
    let Some(child_level) = region.level().child() else {
        return Err(RectifyFailure::Invalid(format!(
            "region {region} has no sub-regions to rank"
        )));
    };
    let mut counts: BTreeMap<Option<RegionCode>, Counts> = BTreeMap::new();
    for c in &children {
        counts.insert(Some(c.code), Counts::default());
    }
    counts.insert(None, Counts::default());
    // The sub-region a record lies in, or None for the bulletin region's own level.
    let slot = |code: &RegionCode| -> Option<RegionCode> { code.ancestor(child_level) };
    let scope = by.scope();
    let at = ReadAt {
        as_of,
        known_at: None,
    };

    // Households and data quality.
    for c in &children {
        let mut filter = HouseholdFilter::everything();
        filter.scope = scope.clone();
        filter.region = Some(c.code);
        let total = app
            .store
            .list_households(&filter, at, Page::new(1, 1))
            .await?
            .total;
        counts.entry(Some(c.code)).or_default().households += total;
    }
    // A rule across households (one person in two households) sees the whole county, so a
    // township's count is the same whether read from its own bulletin or its county's. Only
    // counts inside the bulletin's region (checked against the caller's scope above) come out.
    let surveyed = region
        .ancestor(uplift_domain::region::RegionLevel::County)
        .unwrap_or(region);
    let survey = quality_survey::survey(app, &Principal::machine(&by.name), Some(surveyed), at)
        .await
        .map_err(|e| match e {
            quality_survey::SurveyError::Denied(d) => RectifyFailure::Denied(d),
            quality_survey::SurveyError::Store(s) => RectifyFailure::Store(s),
        })?;
    let mut flagged = HashSet::new();
    for f in survey
        .findings
        .iter()
        .filter(|f| region.contains(&f.region))
    {
        let e = counts.entry(slot(&f.region)).or_default();
        e.quality_findings += 1;
        if flagged.insert(f.household) {
            e.quality_households += 1;
        }
    }

    // Cases: overdue identifications, identified and eliminated households.
    let cases = app
        .store
        .list_cases(&CaseFilter {
            scope: scope.clone(),
            region: Some(region),
            stage: None,
            household: None,
        })
        .await?;
    let mut identified = HashSet::new();
    let mut eliminated = HashSet::new();
    for record in &cases {
        let events: Vec<_> = record
            .events
            .iter()
            .filter(|(_, s)| s.valid_from <= as_of)
            .map(|(e, s)| (e, s.valid_from))
            .collect();
        let Ok(case) = Case::fold(events) else {
            continue; // not yet opened by that day
        };
        let e = counts.entry(slot(&record.region)).or_default();
        match case.opening.kind {
            CaseKind::Identification => {
                if !case.stage.is_terminal() {
                    e.open_identifications += 1;
                    if let Some(pack) = app.policy.in_force(&record.region, as_of)
                        && case.overdue(as_of, pack, calendar())
                    {
                        e.overdue_identifications += 1;
                    }
                } else if case.stage == Stage::Entered && identified.insert(record.household) {
                    e.identified += 1;
                }
            }
            CaseKind::Elimination => {
                if case.stage == Stage::Entered && eliminated.insert(record.household) {
                    e.eliminated += 1;
                }
            }
        }
    }

    // Warnings open now, and those whose verification limit had passed by the day.
    let wf = WarningFilter {
        scope: scope.clone(),
        region: Some(region),
        rule: None,
        risk: None,
        state: Some("open".to_owned()),
    };
    let warnings = all_warnings(app, &wf)
        .await
        .map_err(|e| RectifyFailure::Invalid(e.to_string()))?;
    for w in &warnings {
        let Ok(village) = RegionCode::parse(&w.warning.village) else {
            continue;
        };
        let e = counts.entry(slot(&village)).or_default();
        e.open_warnings += 1;
        if w.warning.due < as_of {
            e.unhandled_warnings += 1;
        }
    }

    // The rectification ledger, by responsible region.
    let problems = app
        .store
        .list_problems(&ProblemFilter {
            scope: scope.clone(),
            region: Some(region),
            state: None,
        })
        .await?;
    for record in &problems {
        let Some(p) = record.problem_on(as_of) else {
            continue;
        };
        let responsible = p.responsible_region();
        if !region.contains(&responsible) {
            continue; // filed here but answered for elsewhere
        }
        let e = counts.entry(slot(&responsible)).or_default();
        e.problems += 1;
        if p.state == ProblemState::Closed {
            e.problems_closed += 1;
        }
        if p.overdue(as_of) {
            e.problems_overdue += 1;
        }
    }

    // Tasks assigned down the tree.
    let tasks = app.store.tasks(Some(&region)).await?;
    for t in &tasks {
        if t.stamp.valid_from > as_of {
            continue;
        }
        for target in t.targets.iter().filter(|x| region.contains(&x.region)) {
            let e = counts.entry(slot(&target.region)).or_default();
            e.task_targets += 1;
            if target.completed_on.is_some_and(|d| d <= as_of) {
                e.task_targets_done += 1;
            }
        }
    }

    let mut total = Counts::default();
    for c in counts.values() {
        total.add(c);
    }
    let keys: Vec<[i64; 5]> = children
        .iter()
        .map(|c| rank_keys(&counts[&Some(c.code)]))
        .collect();
    let per: Vec<Vec<u32>> = (0..5)
        .map(|i| ranks_of(&keys.iter().map(|k| k[i]).collect::<Vec<_>>()))
        .collect();
    let sums: Vec<i64> = (0..children.len())
        .map(|r| per.iter().map(|p| i64::from(p[r])).sum())
        .collect();
    let overall = ranks_of(&sums);
    let mut rows: Vec<BulletinRow> = children
        .iter()
        .enumerate()
        .map(|(i, c)| BulletinRow {
            region: c.code,
            name: c.name.clone(),
            own_level: false,
            counts: counts[&Some(c.code)],
            ranks: [per[0][i], per[1][i], per[2][i], per[3][i], per[4][i]],
            rank: overall[i],
        })
        .collect();
    rows.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.region.cmp(&b.region)));
    rows.push(BulletinRow {
        region,
        name: format!("{}（本级）", this.name),
        own_level: true,
        counts: counts[&None],
        ranks: [0; 5],
        rank: 0,
    });
    Ok(Bulletin {
        region: this,
        month: month.to_owned(),
        as_of,
        rows,
        total,
    })
}

fn permille(v: Option<u64>) -> String {
    v.map(|p| format!("{}.{}%", p / 10, p % 10))
        .unwrap_or_else(|| "—".to_owned())
}

/// The bulletin as a sheet (Excel or CSV), with Chinese and English headers.
pub fn sheet(b: &Bulletin) -> Sheet {
    let headers = [
        "排名 rank",
        "区划代码 region",
        "名称 name",
        "户数 households",
        "逾期未识别 overdue identifications",
        "在办识别 open identifications",
        "预警逾期未处置 warnings unhandled",
        "未处置预警 open warnings",
        "已识别户 identified",
        "已消除户 eliminated",
        "风险消除率 elimination rate",
        "整改问题 problems",
        "已销号 closed",
        "逾期问题 overdue problems",
        "整改销号率 rectification progress",
        "数据质量问题户 quality households",
        "数据质量问题 quality findings",
        "数据质量问题户占比 quality rate",
        "任务完成 tasks done",
        "任务目标 task targets",
    ];
    let row = |rank: String, code: String, name: String, c: &Counts| {
        vec![
            rank,
            code,
            name,
            c.households.to_string(),
            c.overdue_identifications.to_string(),
            c.open_identifications.to_string(),
            c.unhandled_warnings.to_string(),
            c.open_warnings.to_string(),
            c.identified.to_string(),
            c.eliminated.to_string(),
            permille(c.elimination_permille()),
            c.problems.to_string(),
            c.problems_closed.to_string(),
            c.problems_overdue.to_string(),
            permille(c.rectification_permille()),
            c.quality_households.to_string(),
            c.quality_findings.to_string(),
            permille(c.quality_permille()),
            c.task_targets_done.to_string(),
            c.task_targets.to_string(),
        ]
    };
    let mut rows: Vec<Vec<String>> = b
        .rows
        .iter()
        .map(|r| {
            let rank = if r.own_level {
                "本级 own".to_owned()
            } else {
                r.rank.to_string()
            };
            row(rank, r.region.to_string(), r.name.clone(), &r.counts)
        })
        .collect();
    rows.push(row(
        "合计 total".to_owned(),
        b.region.code.to_string(),
        b.region.name.clone(),
        &b.total,
    ));
    Sheet {
        name: format!("通报 {}", b.month),
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        note: Some(format!(
            "{} {} 月度通报 monthly bulletin, as of {}",
            b.region.name, b.month, b.as_of
        )),
    }
}

/// The sheet's columns a page holds: rank, name, households, the five indicators, tasks done.
const PDF_COLUMNS: [usize; 9] = [0, 2, 3, 4, 6, 10, 14, 17, 18];

/// The bulletin as a printable A4 document (render it with `uplift_pdf::render`).
pub fn document(b: &Bulletin) -> uplift_pdf::Document {
    let sheet = sheet(b);
    uplift_pdf::Document {
        title: format!("{} {} 月度通报", b.region.name, b.month),
        subtitle: Some(format!(
            "Monthly bulletin · {} · 统计截至 as of {}",
            b.region.code, b.as_of
        )),
        blocks: vec![
            uplift_pdf::Block::Paragraph(
                "排名越小越好；各项数量为可加总的计数，下级合计等于上级。Rank 1 is best; every \
                 figure is a count, and sub-regions add up to the region."
                    .to_owned(),
            ),
            uplift_pdf::Block::KeyValues(
                INDICATORS
                    .iter()
                    .enumerate()
                    .map(|(i, (_, zh, en))| (format!("指标 {}", i + 1), format!("{zh} {en}")))
                    .collect(),
            ),
            // The ranked indicators and their bases; the spreadsheet has every count.
            uplift_pdf::Block::Table {
                header: PDF_COLUMNS
                    .iter()
                    .map(|i| sheet.headers[*i].clone())
                    .collect(),
                rows: sheet
                    .rows
                    .iter()
                    .map(|r| PDF_COLUMNS.iter().map(|i| r[*i].clone()).collect())
                    .collect(),
            },
            uplift_pdf::Block::Signature(format!("{}\n{}", b.region.name, b.as_of)),
        ],
    }
}
