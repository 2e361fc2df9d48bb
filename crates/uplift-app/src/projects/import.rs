//! Import of project lists and fund plans from `.csv` or `.xlsx`, with the registry import's
//! table and header machinery (`crate::import`). All or nothing: a file with any problem writes
//! nothing and comes back with a report naming file, row, column and field of each problem.

use uplift_domain::household::Codebook;
use uplift_domain::income::Money;
use uplift_domain::project::{
    BudgetLine, ExpenseUse, FundLevel, FundPlan, Linkage, LinkageKind, Operator, ProjectKind,
    Proposal, ProposerKind,
};
use uplift_domain::region::RegionCode;

use super::{FundPlanId, ProjectFailure, ProjectId, ProjectResult, new_project, save_plans};
use crate::App;
use crate::access::Principal;
use crate::import::ImportIssue;
use crate::import::headers::{Column, HeaderMap, map_headers};
use crate::import::table::{FileKind, Row, Table};
use crate::imports::report::REPORT_COLUMNS;
use crate::imports::sheet::Sheet;

const fn col(zh: &'static str, en: &'static str, required: bool) -> Column {
    Column { zh, en, required }
}

/// The project list file, one row per project.
pub const PROJECT_COLUMNS: &[Column] = &[
    col("项目名称", "name", true),
    col("项目类型", "kind", true),
    col("申报主体", "proposer", true),
    col("主管部门", "department", false),
    col("行政区划代码", "region_code", true),
    col("年度", "year", true),
    col("实施主体", "operator", true),
    col("中央资金", "central_yuan", false),
    col("省级资金", "provincial_yuan", false),
    col("市级资金", "city_yuan", false),
    col("县级资金", "county_yuan", false),
    col("受益户数", "beneficiary_households", true),
    col("就业户数", "jobs_households", false),
    col("务工收入", "jobs_yuan", false),
    col("分红户数", "dividends_households", false),
    col("分红金额", "dividends_yuan", false),
    col("收购户数", "purchases_households", false),
    col("收购金额", "purchases_yuan", false),
    col("流转户数", "land_rent_households", false),
    col("土地租金", "land_rent_yuan", false),
    col("资金用途", "uses", false),
    col("项目简介", "summary", false),
];

/// The fund plan file, one row per plan.
pub const PLAN_COLUMNS: &[Column] = &[
    col("年度", "year", true),
    col("县级区划代码", "county_code", true),
    col("资金级次", "level", true),
    col("资金名称", "name", true),
    col("指标文号", "document", false),
    col("金额", "amount_yuan", true),
];

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome<T> {
    pub file: String,
    pub rows: u64,
    /// Empty when the file was written.
    pub issues: Vec<ImportIssue>,
    pub ids: Vec<T>,
    /// The file's rows with problems, with the problem columns appended.
    pub report: Sheet,
}

struct Reader<'a> {
    file: String,
    map: &'a HeaderMap,
    row: &'a Row,
    issues: &'a mut Vec<ImportIssue>,
}

impl Reader<'_> {
    fn issue(&mut self, field: &'static str, rule: &'static str, zh: String, en: String) {
        let column = if field.is_empty() {
            String::new()
        } else {
            self.map.written(field).to_owned()
        };
        let value = if field.is_empty() {
            String::new()
        } else {
            self.text(field)
        };
        self.issues.push(ImportIssue {
            file: self.file.clone(),
            row: self.row.number(),
            column,
            field,
            rule,
            message_zh: zh,
            message_en: en,
            value,
            household_no: String::new(),
        });
    }

    fn text(&self, field: &str) -> String {
        self.map
            .index(field)
            .map(|i| self.row.get(i).trim().to_owned())
            .unwrap_or_default()
    }

    fn required(&mut self, field: &'static str) -> Option<String> {
        let t = self.text(field);
        if t.is_empty() {
            self.issue(field, "field.required", "必填".into(), "required".into());
            return None;
        }
        Some(t)
    }

    fn code<T: Codebook>(&mut self, field: &'static str) -> Option<T> {
        let t = self.required(field)?;
        match T::parse(&t) {
            Ok(v) => Some(v),
            Err(e) => {
                self.issue(field, "field.enum", format!("取值无效：{e}"), e.to_string());
                None
            }
        }
    }

    fn money(&mut self, field: &'static str, required: bool) -> Option<Money> {
        let t = self.text(field);
        if t.is_empty() {
            if required {
                self.issue(field, "field.required", "必填".into(), "required".into());
                return None;
            }
            return Some(Money::ZERO);
        }
        match Money::parse(&t) {
            Ok(m) if m >= Money::ZERO => Some(m),
            _ => {
                self.issue(
                    field,
                    "field.amount",
                    "金额应为不小于零的元数，最多两位小数".into(),
                    "expected a non-negative amount of yuan with at most two decimals".into(),
                );
                None
            }
        }
    }

    fn count(&mut self, field: &'static str, required: bool) -> Option<u32> {
        let t = self.text(field);
        if t.is_empty() && !required {
            return Some(0);
        }
        match t.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.issue(
                    field,
                    "field.count",
                    "应为非负整数".into(),
                    "expected a whole number".into(),
                );
                None
            }
        }
    }

    fn year(&mut self, field: &'static str) -> Option<i32> {
        let t = self.required(field)?;
        match t.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Some(y),
            _ => {
                self.issue(
                    field,
                    "field.year",
                    "年度无效".into(),
                    "invalid year".into(),
                );
                None
            }
        }
    }

    fn region(&mut self, field: &'static str) -> Option<RegionCode> {
        let t = self.required(field)?;
        match RegionCode::parse(&t) {
            Ok(c) => Some(c),
            Err(e) => {
                self.issue(
                    field,
                    "field.region",
                    format!("区划代码无效：{e}"),
                    e.to_string(),
                );
                None
            }
        }
    }
}

fn report(
    file: &str,
    headers: &[String],
    rows: &[(u64, Vec<String>)],
    issues: &[ImportIssue],
) -> Sheet {
    let mut h = headers.to_vec();
    h.extend(REPORT_COLUMNS.iter().map(|s| (*s).to_owned()));
    Sheet {
        name: "导入报告 report".to_owned(),
        headers: h,
        rows: issues
            .iter()
            .map(|i| {
                let mut r = rows
                    .iter()
                    .find(|(n, _)| *n == i.row)
                    .map(|(_, c)| c.clone())
                    .unwrap_or_default();
                r.resize(headers.len(), String::new());
                r.extend([
                    i.row.to_string(),
                    i.column.clone(),
                    i.field.to_owned(),
                    i.rule.to_owned(),
                    "error".to_owned(),
                    i.message_zh.clone(),
                    i.message_en.clone(),
                    i.value.clone(),
                ]);
                r
            })
            .collect(),
        note: Some(format!("{file}: {} problems", issues.len())),
    }
}

fn open(file: &str, bytes: Vec<u8>) -> ProjectResult<Table> {
    let kind = FileKind::from_name(file)
        .ok_or_else(|| ProjectFailure::Invalid(format!("{file}: expected a .csv or .xlsx file")))?;
    Table::from_bytes(file, kind, bytes).map_err(|e| ProjectFailure::Invalid(e.to_string()))
}

fn whole_row_issue(file: &str, row: u64, zh: String, en: String) -> ImportIssue {
    ImportIssue {
        file: file.to_owned(),
        row,
        column: String::new(),
        field: "",
        rule: "row.rejected",
        message_zh: zh,
        message_en: en,
        value: String::new(),
        household_no: String::new(),
    }
}

fn parse_project(r: &mut Reader<'_>) -> Option<Proposal> {
    let name = r.required("name");
    let kind = r.code::<ProjectKind>("kind");
    let proposer = r.code::<ProposerKind>("proposer");
    let region = r.region("region_code");
    let year = r.year("year");
    let operator = r.code::<Operator>("operator");
    let mut budget = Vec::new();
    for (field, level) in [
        ("central_yuan", FundLevel::Central),
        ("provincial_yuan", FundLevel::Provincial),
        ("city_yuan", FundLevel::City),
        ("county_yuan", FundLevel::County),
    ] {
        match r.money(field, false) {
            Some(m) if m > Money::ZERO => budget.push(BudgetLine { level, amount: m }),
            _ => {}
        }
    }
    let beneficiaries = r.count("beneficiary_households", true);
    let mut linkage = Vec::new();
    for (hf, yf, kind) in [
        ("jobs_households", "jobs_yuan", LinkageKind::Jobs),
        (
            "dividends_households",
            "dividends_yuan",
            LinkageKind::Dividends,
        ),
        (
            "purchases_households",
            "purchases_yuan",
            LinkageKind::Purchases,
        ),
        (
            "land_rent_households",
            "land_rent_yuan",
            LinkageKind::LandRent,
        ),
    ] {
        let (households, amount) = (r.count(hf, false), r.money(yf, false));
        if let (Some(households), Some(amount)) = (households, amount)
            && (households > 0 || amount > Money::ZERO)
        {
            linkage.push(Linkage {
                kind,
                households,
                amount,
            });
        }
    }
    let mut uses = Vec::new();
    let uses_text = r.text("uses");
    for part in uses_text
        .split(['、', ';', '；', ',', '，'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match ExpenseUse::parse(part) {
            Ok(u) => uses.push(u),
            Err(e) => r.issue(
                "uses",
                "field.enum",
                format!("取值无效：{e}"),
                e.to_string(),
            ),
        }
    }
    let department = Some(r.text("department")).filter(|d| !d.is_empty());
    let summary = r.text("summary");
    Some(Proposal {
        name: name?,
        kind: kind?,
        proposer: proposer?,
        department,
        region: region?,
        year: year?,
        operator: operator?,
        budget,
        beneficiary_households: beneficiaries?,
        linkage,
        uses,
        summary,
    })
}

/// Imports a project list: every row is checked (fields, rules, the principal's role and area)
/// before anything is written.
pub async fn import_projects(
    app: &App,
    by: &Principal,
    file: &str,
    bytes: Vec<u8>,
) -> ProjectResult<ImportOutcome<ProjectId>> {
    let mut table = open(file, bytes)?;
    let map = map_headers(file, table.headers(), PROJECT_COLUMNS)
        .map_err(|e| ProjectFailure::Invalid(e.to_string()))?;
    let headers = table.headers().to_vec();
    let mut issues = Vec::new();
    let mut rows = Vec::new();
    let mut new = Vec::new();
    let mut row = Row::new();
    while table
        .next_row(&mut row)
        .map_err(|e| ProjectFailure::Invalid(e.to_string()))?
    {
        rows.push((
            row.number(),
            row.cells().map(str::to_owned).collect::<Vec<_>>(),
        ));
        let before = issues.len();
        let mut reader = Reader {
            file: file.to_owned(),
            map: &map,
            row: &row,
            issues: &mut issues,
        };
        let Some(proposal) = parse_project(&mut reader) else {
            continue;
        };
        if issues.len() > before {
            continue;
        }
        match new_project(app, by, proposal, &format!("import:{file}")).await {
            Ok(n) => new.push(n),
            Err(e) => {
                let en = e.to_string();
                issues.push(whole_row_issue(
                    file,
                    row.number(),
                    format!("该行被拒绝：{en}"),
                    en,
                ));
            }
        }
    }
    let total = rows.len() as u64;
    if !issues.is_empty() || new.is_empty() {
        if new.is_empty() && issues.is_empty() {
            issues.push(whole_row_issue(
                file,
                0,
                "文件没有数据行".into(),
                "the file has no rows".into(),
            ));
        }
        let report = report(file, &headers, &rows, &issues);
        return Ok(ImportOutcome {
            file: file.to_owned(),
            rows: total,
            issues,
            ids: Vec::new(),
            report,
        });
    }
    let ids = app.store.create_projects(&new).await?;
    for (id, n) in ids.iter().zip(&new) {
        super::audit(
            app,
            by,
            "project_proposed",
            format!("project:{}", id.0),
            n.region,
            Some(format!("import {file}")),
        )
        .await?;
    }
    Ok(ImportOutcome {
        file: file.to_owned(),
        rows: total,
        issues,
        ids,
        report: report(file, &headers, &rows, &[]),
    })
}

/// Imports fund plans, all or none.
pub async fn import_plans(
    app: &App,
    by: &Principal,
    file: &str,
    bytes: Vec<u8>,
) -> ProjectResult<ImportOutcome<FundPlanId>> {
    let mut table = open(file, bytes)?;
    let map = map_headers(file, table.headers(), PLAN_COLUMNS)
        .map_err(|e| ProjectFailure::Invalid(e.to_string()))?;
    let headers = table.headers().to_vec();
    let mut issues = Vec::new();
    let mut rows = Vec::new();
    let mut plans = Vec::new();
    let mut row = Row::new();
    while table
        .next_row(&mut row)
        .map_err(|e| ProjectFailure::Invalid(e.to_string()))?
    {
        rows.push((
            row.number(),
            row.cells().map(str::to_owned).collect::<Vec<_>>(),
        ));
        let before = issues.len();
        let mut r = Reader {
            file: file.to_owned(),
            map: &map,
            row: &row,
            issues: &mut issues,
        };
        let year = r.year("year");
        let county = r.region("county_code");
        let level = r.code::<FundLevel>("level");
        let name = r.required("name");
        let document = r.text("document");
        let amount = r.money("amount_yuan", true);
        let (Some(year), Some(county), Some(level), Some(name), Some(amount)) =
            (year, county, level, name, amount)
        else {
            continue;
        };
        if issues.len() > before {
            continue;
        }
        let plan = FundPlan {
            county,
            year,
            level,
            name,
            document,
            amount,
        };
        // Check each row on its own so the report names it; the batch is written at the end.
        if let Err(e) = uplift_domain::project::check_plan(&plan) {
            let en = e.to_string();
            issues.push(whole_row_issue(
                file,
                row.number(),
                format!("该行被拒绝：{en}"),
                en,
            ));
            continue;
        }
        if let Err(e) = super::pack_of_year(app, &county, year) {
            let en = e.to_string();
            issues.push(whole_row_issue(
                file,
                row.number(),
                format!("该行被拒绝：{en}"),
                en,
            ));
            continue;
        }
        if by.role.is_some() && !by.region.is_some_and(|r| r.contains(&county)) {
            let en = format!("county {county} is outside your area");
            issues.push(whole_row_issue(
                file,
                row.number(),
                format!("该行被拒绝：{en}"),
                en,
            ));
            continue;
        }
        plans.push((None, plan));
    }
    let total = rows.len() as u64;
    if !issues.is_empty() || plans.is_empty() {
        if plans.is_empty() && issues.is_empty() {
            issues.push(whole_row_issue(
                file,
                0,
                "文件没有数据行".into(),
                "the file has no rows".into(),
            ));
        }
        let report = report(file, &headers, &rows, &issues);
        return Ok(ImportOutcome {
            file: file.to_owned(),
            rows: total,
            issues,
            ids: Vec::new(),
            report,
        });
    }
    let ids = save_plans(app, by, plans, &format!("import:{file}")).await?;
    Ok(ImportOutcome {
        file: file.to_owned(),
        rows: total,
        issues,
        report: report(file, &headers, &rows, &[]),
        ids,
    })
}
