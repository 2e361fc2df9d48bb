//! Import of a problem list (问题清单) from `.xlsx` or `.csv`, with the registry import's
//! machinery: the same table reader, header mapping (Chinese or English headers, any order) and
//! issue report (every problem names the file, row, column and field). All or nothing: a file
//! with any issue writes no problem.
//!
//! One row per problem. Lists in a cell (regions, households, units) are separated by `;`, `；`,
//! `,`, `，`, `、` or a line break. The assignment columns are optional; when a row fills the lead
//! unit, the whole assignment is required and the problem is recorded as assigned.

use uplift_domain::household::Codebook;
use uplift_domain::rectify::{Assignment, FixKind, ProblemFacts, RectifyError};
use uplift_domain::region::RegionCode;

use super::{RectifyFailure, check_new, rules_for};
use crate::App;
use crate::access::Principal;
use crate::import::ImportIssue;
use crate::import::headers::{Column, HeaderMap, map_headers};
use crate::import::registry::parse_date;
use crate::import::table::{Row, Table};
use crate::imports::report::REPORT_COLUMNS;
use crate::imports::sheet::Sheet;

const fn col(zh: &'static str, en: &'static str, required: bool) -> Column {
    Column { zh, en, required }
}

/// The problem list's columns, in the documented order (the template and the export use it).
pub const PROBLEM_COLUMNS: &[Column] = &[
    col("问题来源", "source", true),
    col("反馈文件", "source_ref", false),
    col("问题领域", "area", true),
    col("问题标题", "title", true),
    col("问题描述", "description", true),
    col("发现日期", "found_on", true),
    col("所属区划代码", "region", true),
    col("涉及区划代码", "affected_regions", true),
    col("涉及户编号", "households", false),
    col("整改类型", "fix_kind", true),
    col("责任区划代码", "responsible_region", false),
    col("牵头单位", "lead_unit", false),
    col("责任单位", "responsible_units", false),
    col("责任人", "responsible_person", false),
    col("整改措施", "measures", false),
    col("整改时限", "deadline", false),
];

/// What an import found: the problems it recorded, or the issues that stopped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub rows: u64,
    pub recorded: Vec<super::ProblemId>,
    pub issues: Vec<ImportIssue>,
    /// The file's header row and each issue's original row, for the report.
    pub headers: Vec<String>,
    pub issue_rows: Vec<Vec<String>>,
}

fn split(cell: &str) -> Vec<String> {
    cell.split([';', '；', ',', '，', '、', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

struct RowReader<'a> {
    file: &'a str,
    map: &'a HeaderMap,
    row: &'a Row,
    issues: Vec<ImportIssue>,
}

impl RowReader<'_> {
    fn cell(&self, en: &str) -> &str {
        self.map
            .index(en)
            .map(|i| self.row.get(i).trim())
            .unwrap_or("")
    }

    fn issue(&mut self, en: &'static str, rule: &'static str, zh: String, message_en: String) {
        let value = self.cell(en).to_owned();
        self.issues.push(ImportIssue {
            file: self.file.to_owned(),
            row: self.row.number(),
            column: if en.is_empty() {
                String::new()
            } else {
                self.map.written(en).to_owned()
            },
            field: en,
            rule,
            message_zh: zh,
            message_en,
            value,
            household_no: String::new(),
        });
    }

    fn required(&mut self, en: &'static str) -> Option<String> {
        let v = self.cell(en).to_owned();
        if v.is_empty() {
            self.issue(
                en,
                "field.required",
                format!("{}不能为空", zh_of(en)),
                format!("{en} is required"),
            );
            return None;
        }
        Some(v)
    }

    fn date(&mut self, en: &'static str) -> Option<chrono::NaiveDate> {
        let v = self.required(en)?;
        let parsed = parse_date(&v);
        if parsed.is_none() {
            self.issue(
                en,
                "field.date",
                format!("{}不是有效日期（YYYY-MM-DD）", zh_of(en)),
                format!("{en} is not a date (YYYY-MM-DD)"),
            );
        }
        parsed
    }

    fn region(&mut self, en: &'static str, v: &str) -> Option<RegionCode> {
        match RegionCode::parse(v) {
            Ok(r) => Some(r),
            Err(e) => {
                self.issue(
                    en,
                    "field.region",
                    format!("{}“{v}”不是有效的区划代码：{e}", zh_of(en)),
                    format!("{en} {v:?} is not a region code: {e}"),
                );
                None
            }
        }
    }

    /// A code or its Chinese or English name from a codebook.
    fn coded(
        &mut self,
        en: &'static str,
        list: &[uplift_domain::policy::Category],
    ) -> Option<String> {
        let v = self.required(en)?;
        let found = list
            .iter()
            .find(|c| c.code == v || c.zh == v || c.en.eq_ignore_ascii_case(&v));
        if found.is_none() {
            let known: Vec<String> = list
                .iter()
                .map(|c| format!("{}/{}", c.code, c.zh))
                .collect();
            self.issue(
                en,
                "field.enum",
                format!("{}“{v}”不在代码表中：{}", zh_of(en), known.join("、")),
                format!("{en} {v:?} is not one of {}", known.join(", ")),
            );
        }
        found.map(|c| c.code.clone())
    }
}

fn zh_of(en: &str) -> &'static str {
    PROBLEM_COLUMNS
        .iter()
        .find(|c| c.en == en)
        .map(|c| c.zh)
        .unwrap_or("")
}

/// The column a domain error concerns.
fn field_of(e: &RectifyError) -> &'static str {
    match e {
        RectifyError::UnknownArea(_) => "area",
        RectifyError::UnknownSource(_) => "source",
        RectifyError::Empty { field }
        | RectifyError::TooLong { field, .. }
        | RectifyError::TooMany { field, .. }
        | RectifyError::InFuture { field, .. } => field,
        RectifyError::DeadlinePassed { .. } | RectifyError::ImmediateTooLate { .. } => "deadline",
        RectifyError::OutsideRegion { .. } => "affected_regions",
        RectifyError::NoLevelAbove(_) => "responsible_region",
        RectifyError::RegionNotAllowed { .. } | RectifyError::NotLevelAbove { .. } => "region",
        _ => "",
    }
}

fn column_of(field: &str) -> &'static str {
    PROBLEM_COLUMNS
        .iter()
        .find(|c| c.en == field)
        .map(|c| c.en)
        .unwrap_or("")
}

/// Parses and checks every row; records all problems in one transaction only if no row has an
/// issue (and `dry_run` is false).
pub async fn import(
    app: &App,
    by: &Principal,
    table: &mut Table,
    dry_run: bool,
    source: &str,
) -> Result<ImportOutcome, RectifyFailure> {
    by.require(uplift_domain::access::Action::ManageRectification)?;
    let file = table.file().to_owned();
    let map = map_headers(&file, table.headers(), PROBLEM_COLUMNS)
        .map_err(|e| RectifyFailure::Invalid(e.to_string()))?;
    let today = app.clock.today();
    let mut outcome = ImportOutcome {
        rows: 0,
        recorded: Vec::new(),
        issues: Vec::new(),
        headers: table.headers().to_vec(),
        issue_rows: Vec::new(),
    };
    let mut problems = Vec::new();
    let mut row = Row::new();
    while table
        .next_row(&mut row)
        .map_err(|e| RectifyFailure::Invalid(e.to_string()))?
    {
        outcome.rows += 1;
        let mut r = RowReader {
            file: &file,
            map: &map,
            row: &row,
            issues: Vec::new(),
        };
        let region = r.required("region").and_then(|v| r.region("region", &v));
        // The codebooks are the pack's in force for the filing region.
        let rules = match region.map(|reg| rules_for(app, &reg, today)) {
            Some(Ok(rules)) => Some(rules),
            Some(Err(e)) => {
                r.issue("region", "policy.missing", e.to_string(), e.to_string());
                None
            }
            None => None,
        };
        let source_code = rules.and_then(|rules| r.coded("source", &rules.sources));
        let area = rules.and_then(|rules| r.coded("area", &rules.areas));
        let title = r.required("title");
        let description = r.required("description");
        let found_on = r.date("found_on");
        let affected: Option<Vec<RegionCode>> = r.required("affected_regions").map(|v| {
            split(&v)
                .iter()
                .filter_map(|c| r.region("affected_regions", c))
                .collect()
        });
        let households = split(r.cell("households"));
        let fix_kind = r.required("fix_kind").and_then(|v| {
            let k = FixKind::ALL
                .iter()
                .copied()
                .find(|k| k.code() == v || k.zh() == v || k.en().eq_ignore_ascii_case(&v));
            if k.is_none() {
                r.issue(
                    "fix_kind",
                    "field.enum",
                    format!("整改类型“{v}”应为 立行立改 或 长期整改"),
                    format!("fix_kind {v:?} must be immediate (立行立改) or long_term (长期整改)"),
                );
            }
            k
        });
        let assigned = !r.cell("lead_unit").is_empty() || !r.cell("responsible_region").is_empty();
        let assignment = if assigned {
            let responsible = r
                .required("responsible_region")
                .and_then(|v| r.region("responsible_region", &v));
            let lead_unit = r.required("lead_unit");
            let units = split(r.cell("responsible_units"));
            let person = r.required("responsible_person");
            let measures = r.required("measures");
            let deadline = r.date("deadline");
            match (responsible, lead_unit, person, measures, deadline) {
                (Some(rr), Some(lead), Some(person), Some(measures), Some(deadline)) => {
                    Some(Some(Assignment {
                        responsible_region: rr,
                        lead_unit: lead,
                        responsible_units: units,
                        responsible_person: person,
                        measures,
                        deadline,
                    }))
                }
                _ => None,
            }
        } else {
            Some(None)
        };
        if let (
            Some(region),
            Some(source_code),
            Some(area),
            Some(title),
            Some(description),
            Some(found_on),
            Some(affected),
            Some(fix_kind),
            Some(assignment),
            true,
        ) = (
            region,
            source_code,
            area,
            title,
            description,
            found_on,
            affected,
            fix_kind,
            assignment,
            r.issues.is_empty(),
        ) {
            let facts = ProblemFacts {
                source: source_code,
                source_ref: r.cell("source_ref").to_owned(),
                area,
                title,
                description,
                found_on,
                region,
                affected_regions: affected,
                households,
                fix_kind,
            };
            match check_new(app, by, facts, assignment).await {
                Ok(events) => problems.push(events),
                Err(RectifyFailure::Rule(e)) => {
                    let field = column_of(field_of(&e));
                    r.issue(field, "rectify.rule", e.to_string(), e.to_string());
                }
                Err(RectifyFailure::Invalid(m)) => {
                    r.issue("households", "field.household", m.clone(), m);
                }
                Err(e) => return Err(e),
            }
        }
        if !r.issues.is_empty() {
            let cells: Vec<String> = row.cells().map(str::to_owned).collect();
            for _ in &r.issues {
                outcome.issue_rows.push(cells.clone());
            }
            outcome.issues.append(&mut r.issues);
        }
    }
    if outcome.rows == 0 {
        return Err(RectifyFailure::Invalid(format!("{file}: no problem rows")));
    }
    if outcome.issues.is_empty() && !dry_run {
        let stamp = app.stamp(&by.name, source, today, None);
        outcome.recorded = app.store.record_problems(&problems, &stamp).await?;
    }
    Ok(outcome)
}

/// The import report: each issue's original row with the row, column, field, rule and message.
pub fn report_sheet(outcome: &ImportOutcome) -> Sheet {
    let width = outcome
        .issue_rows
        .iter()
        .map(Vec::len)
        .chain(std::iter::once(outcome.headers.len()))
        .max()
        .unwrap_or(0);
    let mut headers = outcome.headers.clone();
    headers.resize(width, String::new());
    headers.extend(REPORT_COLUMNS.iter().map(|s| (*s).to_owned()));
    let rows = outcome
        .issues
        .iter()
        .zip(&outcome.issue_rows)
        .map(|(i, cells)| {
            let mut row = cells.clone();
            row.resize(width, String::new());
            row.extend([
                i.row.to_string(),
                i.column.clone(),
                i.field.to_owned(),
                i.rule.to_owned(),
                "error".to_owned(),
                i.message_zh.clone(),
                i.message_en.clone(),
                i.value.clone(),
            ]);
            row
        })
        .collect();
    Sheet {
        name: "导入报告 report".to_owned(),
        headers,
        rows,
        note: None,
    }
}

/// An empty problem list with the documented headers (Chinese), as a template.
pub fn template() -> Sheet {
    Sheet {
        name: "问题清单 problems".to_owned(),
        headers: PROBLEM_COLUMNS.iter().map(|c| c.zh.to_owned()).collect(),
        rows: Vec::new(),
        note: None,
    }
}
