//! Loading policy packs from TOML (the layout and every key are described in `policy/README.md`).
//!
//! A pack file is read into a raw TOML table, then each key is taken by hand so that every error
//! names the file and the dotted key, unknown keys included. A county pack (`extends = "province"`)
//! is merged key by key over the province pack of the same year before it is read. Cross-field
//! invariants are the domain's ([`PolicyPack::problems`]); this module maps them back to keys.

use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use toml::{Table, Value};
use uplift_domain::income::Money;
use uplift_domain::policy::{
    Category, DashboardRules, EliminationRules, HousingGrade, IndustryShare, MainWorkerRule,
    OutOfPocketRule, PackField, PackProblem, PackScope, PolicyBook, PolicyPack, ProjectRules,
    RiskType, ScreeningRule, ScreeningThresholds, StepLimits, Terminology, TimeLimit,
};
use uplift_domain::region::{RegionCode, RegionLevel};

mod villages;

/// One thing wrong with one pack file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The file, as `policy/43-hunan/2026.toml`.
    pub source: String,
    /// The dotted key, as `monitoring.line_yuan` or `risk_types[3].parent`; none for file-level errors.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{}: key {key}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

/// Everything wrong with a set of pack files; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyErrors(Vec<PolicyError>);

impl PolicyErrors {
    pub fn errors(&self) -> &[PolicyError] {
        &self.0
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// The packs shipped with Uplift, compiled in: `(source, text)`.
const SHIPPED: [(&str, &str); 13] = [
    (
        "policy/43-hunan/2021.toml",
        include_str!("../../../policy/43-hunan/2021.toml"),
    ),
    (
        "policy/43-hunan/2022.toml",
        include_str!("../../../policy/43-hunan/2022.toml"),
    ),
    (
        "policy/43-hunan/2023.toml",
        include_str!("../../../policy/43-hunan/2023.toml"),
    ),
    (
        "policy/43-hunan/2024.toml",
        include_str!("../../../policy/43-hunan/2024.toml"),
    ),
    (
        "policy/43-hunan/2025.toml",
        include_str!("../../../policy/43-hunan/2025.toml"),
    ),
    (
        "policy/43-hunan/2026.toml",
        include_str!("../../../policy/43-hunan/2026.toml"),
    ),
    (
        "policy/43-hunan/431026-rucheng/2026.toml",
        include_str!("../../../policy/43-hunan/431026-rucheng/2026.toml"),
    ),
    (
        "policy/23-heilongjiang/2021.toml",
        include_str!("../../../policy/23-heilongjiang/2021.toml"),
    ),
    (
        "policy/23-heilongjiang/2022.toml",
        include_str!("../../../policy/23-heilongjiang/2022.toml"),
    ),
    (
        "policy/23-heilongjiang/2023.toml",
        include_str!("../../../policy/23-heilongjiang/2023.toml"),
    ),
    (
        "policy/23-heilongjiang/2024.toml",
        include_str!("../../../policy/23-heilongjiang/2024.toml"),
    ),
    (
        "policy/23-heilongjiang/2025.toml",
        include_str!("../../../policy/23-heilongjiang/2025.toml"),
    ),
    (
        "policy/23-heilongjiang/2026.toml",
        include_str!("../../../policy/23-heilongjiang/2026.toml"),
    ),
];

/// The packs shipped with Uplift (Hunan and Heilongjiang 2021–2026, the Rucheng 2026 override).
///
/// # Errors
///
/// Returns the errors of any shipped pack; a unit test proves there are none.
pub fn shipped() -> Result<PolicyBook, PolicyErrors> {
    parse_packs(&SHIPPED)
}

/// Parses one province pack (or a complete county pack without `extends`).
///
/// # Errors
///
/// Returns every error found, each naming `source` and the dotted key. A county override pack
/// (`extends = "province"`) is an error here: use [`parse_county_pack`], [`check_file`] or [`load_dir`].
pub fn parse_pack(source: &str, text: &str) -> Result<PolicyPack, PolicyErrors> {
    let mut ctx = Ctx::new(source);
    let table = ctx
        .parse_toml(text)
        .ok_or_else(|| ctx.clone().into_errors())?;
    if is_override(&table) {
        ctx.error(
            "pack.extends",
            "a county override pack needs its province pack; check it with its directory",
        );
        return Err(ctx.into_errors());
    }
    let pack = read_pack(&mut ctx, &table);
    ctx.finish(pack)
}

/// Parses a county override pack merged over its province pack of the same year.
///
/// # Errors
///
/// Returns the province pack's errors, or the county pack's errors named with `source`.
pub fn parse_county_pack(
    source: &str,
    text: &str,
    province_source: &str,
    province_text: &str,
) -> Result<PolicyPack, PolicyErrors> {
    let mut province_ctx = Ctx::new(province_source);
    let Some(province_table) = province_ctx.parse_toml(province_text) else {
        return Err(province_ctx.into_errors());
    };
    let province = read_pack(&mut province_ctx, &province_table);
    let province = province_ctx.finish(province)?;
    let mut ctx = Ctx::new(source);
    let table = ctx
        .parse_toml(text)
        .ok_or_else(|| ctx.clone().into_errors())?;
    let pack = read_override(&mut ctx, &table, &province_table, &province);
    ctx.finish(pack)
}

/// Parses a set of pack files, merging county overrides over their province packs, into a book.
///
/// # Errors
///
/// Returns every error of every file, and an error if two packs cover the same scope and date.
pub fn parse_packs<S: AsRef<str>, T: AsRef<str>>(
    files: &[(S, T)],
) -> Result<PolicyBook, PolicyErrors> {
    let mut errors = Vec::new();
    let mut raws = Vec::new();
    for (source, text) in files {
        let mut ctx = Ctx::new(source.as_ref());
        if let Some(table) = ctx.parse_toml(text.as_ref()) {
            raws.push((source.as_ref(), table));
        }
        errors.extend(ctx.errors);
    }
    let (overrides, provinces): (Vec<_>, Vec<_>) =
        raws.iter().partition(|(_, table)| is_override(table));

    let mut packs: Vec<PolicyPack> = Vec::new();
    let mut province_tables: Vec<(&Table, PolicyPack)> = Vec::new();
    for (source, table) in provinces {
        let mut ctx = Ctx::new(source);
        let pack = read_pack(&mut ctx, table);
        if let Some(pack) = &pack {
            check_file_year(&mut ctx, pack.year);
        }
        match ctx.finish(pack) {
            Ok(pack) => {
                province_tables.push((table, pack.clone()));
                packs.push(pack);
            }
            Err(e) => errors.extend(e.0),
        }
    }
    for (source, table) in overrides {
        let mut ctx = Ctx::new(source);
        let county = override_target(table);
        let province = province_tables.iter().find(|(_, p)| {
            p.scope.county.is_none()
                && county
                    .is_some_and(|(code, year)| p.scope.province.contains(&code) && p.year == year)
        });
        let pack = match province {
            Some((province_table, province)) => {
                read_override(&mut ctx, table, province_table, province)
            }
            None => {
                ctx.error(
                    "pack.county",
                    "no valid province pack of the same province and year was found to extend",
                );
                None
            }
        };
        if let Some(pack) = &pack {
            check_file_year(&mut ctx, pack.year);
        }
        match ctx.finish(pack) {
            Ok(pack) => packs.push(pack),
            Err(e) => errors.extend(e.0),
        }
    }
    if !errors.is_empty() {
        return Err(PolicyErrors(errors));
    }
    PolicyBook::new(packs).map_err(|e| {
        PolicyErrors(vec![PolicyError {
            source: "policy".to_owned(),
            key: None,
            message: e.to_string(),
        }])
    })
}

/// Loads every `*.toml` pack under `dir`, recursively; sources are named relative to `dir`'s parent.
///
/// # Errors
///
/// Returns unreadable files and every error of every pack.
pub fn load_dir(dir: &Path) -> Result<PolicyBook, PolicyErrors> {
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    collect_toml_files(dir, &mut paths, &mut errors);
    paths.sort();
    let base = dir.parent().unwrap_or(dir);
    let mut files = Vec::new();
    for path in paths {
        let source = display_source(base, &path);
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((source, text)),
            Err(e) => errors.push(file_error(&source, format!("cannot read the file: {e}"))),
        }
    }
    match parse_packs(&files) {
        Ok(book) if errors.is_empty() => Ok(book),
        Ok(_) => Err(PolicyErrors(errors)),
        Err(e) => {
            errors.extend(e.0);
            Err(PolicyErrors(errors))
        }
    }
}

/// Checks one pack file, for `uplift policy check FILE`. A county override is merged over the
/// province pack of its year, looked for as `../<year>.toml` beside the county's directory.
///
/// # Errors
///
/// Returns an unreadable file and every error of the pack.
pub fn check_file(path: &Path) -> Result<PolicyPack, PolicyErrors> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        PolicyErrors(vec![file_error(
            &source,
            format!("cannot read the file: {e}"),
        )])
    })?;
    let mut ctx = Ctx::new(&source);
    let table = ctx
        .parse_toml(&text)
        .ok_or_else(|| ctx.clone().into_errors())?;
    if !is_override(&table) {
        let pack = read_pack(&mut ctx, &table);
        if let Some(pack) = &pack {
            ctx.source_path = Some(path.to_path_buf());
            check_file_year(&mut ctx, pack.year);
        }
        return ctx.finish(pack);
    }
    let Some((_, year)) = override_target(&table) else {
        // Read the header alone to report what is wrong with `pack.county` or `pack.year`.
        read_override_header(&mut ctx, &table);
        ctx.error_if_clean("pack", "cannot tell the county and year to extend");
        return Err(ctx.into_errors());
    };
    let province_path = path
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join(format!("{year}.toml")))
        .unwrap_or_else(|| PathBuf::from(format!("{year}.toml")));
    let province_source = province_path.display().to_string();
    let province_text = std::fs::read_to_string(&province_path).map_err(|e| {
        PolicyErrors(vec![file_error(
            &source,
            format!("cannot read the province pack {province_source} it extends: {e}"),
        )])
    })?;
    parse_county_pack(&source, &text, &province_source, &province_text)
}

/// A human-readable zh/en summary of a pack, for `uplift policy show`.
pub fn render_pack(pack: &PolicyPack) -> String {
    let mut out = String::new();
    let scope = match pack.scope.county {
        Some(county) => format!(
            "county 县 {}, province 省 {}",
            county.prefix(),
            pack.scope.province.prefix()
        ),
        None => format!("province 省 {}", pack.scope.province.prefix()),
    };
    let terms = pack.terminology;
    let _ = writeln!(
        out,
        "{} {} — policy pack 政策包 {} ({scope})",
        pack.name_zh, pack.name_en, pack.year
    );
    let _ = writeln!(out, "  生效日期 Effective from: {}", pack.effective_from);
    let _ = writeln!(
        out,
        "  术语 Terminology: {} / {}; {} / {} ({})",
        terms.object_term_zh(),
        terms.object_term_en(),
        terms.fund_term_zh(),
        terms.fund_term_en(),
        terms.key()
    );
    let _ = writeln!(
        out,
        "  监测标准 Monitoring line: {} 元/人/年 yuan per person per year",
        pack.monitoring_line
    );
    let out_of_pocket = match pack.out_of_pocket {
        OutOfPocketRule::Deduct => "从收入中扣除 deducted from income",
        OutOfPocketRule::JudgeBeside => "与收入并列研判 judged beside income",
    };
    let _ = writeln!(
        out,
        "  合规自付支出 Compliant out-of-pocket spending: {out_of_pocket}"
    );
    let day_kind = if pack.notice_working_days {
        "个工作日 working days"
    } else {
        "天 calendar days"
    };
    let _ = writeln!(
        out,
        "  公示 Public notice: at least 不少于 {} {day_kind}",
        pack.notice_days
    );
    let _ = writeln!(
        out,
        "  识别时限 Identification limit: {} 天 days from clue to decision",
        pack.identification_limit_days
    );
    let l = &pack.step_limits;
    let _ = writeln!(
        out,
        "  步骤时限 Step limits: 受理 accept {}, 核实 verification {}, 比对 comparison {}, 评议 appraisal {}, 公示张贴 notice posting {}, 乡镇审核 township review {}, 县级审定 county approval {}, 公告 announcement {}, 录入 national entry {}",
        l.accept,
        l.verification,
        l.comparison,
        l.appraisal,
        l.notice_posting,
        l.township_review,
        l.county_approval,
        l.announcement,
        l.national_entry
    );
    let e = &pack.elimination;
    let _ = writeln!(
        out,
        "  风险消除 Elimination: identified ≥{} months 月, ≥{} measures 项措施, income stable ≥{} months 月, no-labour household 无劳动力户 {}",
        e.min_months_identified,
        e.min_measures,
        e.min_months_income_stable,
        if e.no_labour_household_may_eliminate {
            "may be eliminated 可消除"
        } else {
            "stays monitored 暂不标注消除"
        }
    );
    let share = match pack.industry_share {
        IndustryShare::MinPercent(p) => format!("不低于 at least {p}%"),
        IndustryShare::StableAtProvincialLevel { county_percent } => {
            let county = county_percent.map_or_else(
                || "no county figure 县级未定".to_owned(),
                |p| format!("county 县级 {p}%"),
            );
            format!("省级保持基本稳定 stable at provincial level; {county}")
        }
    };
    let _ = writeln!(
        out,
        "  产业发展比重 Industry share of {} {}: {share}",
        pack.projects.fund_term_zh, pack.projects.fund_term_en
    );
    let pr = &pack.projects;
    let _ = writeln!(
        out,
        "  项目库 Project library: 监督电话 supervision phone {}; 尽职调查 due diligence: 合作社 cooperatives ≥{} 元, 企业 enterprises ≥{} 元, 市县联合 joint ≥{} 元",
        pr.supervision_phone,
        pr.due_diligence_cooperative,
        pr.due_diligence_enterprise,
        pr.joint_due_diligence
    );
    let s = &pack.screening;
    let grades: Vec<&str> = s.housing_unsafe_grades.iter().map(|g| g.as_str()).collect();
    let _ = writeln!(out, "  筛查阈值 Screening thresholds:");
    let _ = writeln!(
        out,
        "    边缘带 edge band: below {}% of the line (< {} 元)",
        s.edge_band_percent,
        pack.edge_band_line()
    );
    let _ = writeln!(out, "    收入骤降 income drop: ≥{}%", s.income_drop_percent);
    let _ = writeln!(
        out,
        "    单次住院自付 out-of-pocket per stay: > {} 元 monitored 监测户, > {} 元 others 其他农户",
        s.medical_per_stay_monitored, s.medical_per_stay_other
    );
    let _ = writeln!(
        out,
        "    医疗负担 medical burden: > {}% of local per-capita income over {} months 月; focus 重点 > {} 元",
        s.medical_percent_of_income, s.medical_lookback_months, s.medical_focus_total
    );
    let _ = writeln!(
        out,
        "    停水 water interruption: > {} days/year 天/年; 灾害损失 disaster loss: ≥{}% of income; 危房 unsafe housing grades: {}",
        s.water_interruption_days,
        s.disaster_loss_percent_of_income,
        grades.join("/")
    );
    let _ = writeln!(
        out,
        "    新事件 new events: {} days 天; 重度残疾 severe disability: grade 级 ≤ {}; 灾害损失 disaster loss ≥ {} 元; 主要劳动力 main worker: {}; 核实时限 verification: {} days 天",
        s.new_event_days,
        s.severe_disability_max_grade,
        s.disaster_loss_min,
        s.main_worker.key(),
        s.verification_limit_days
    );
    if !pack.rules.is_empty() {
        let _ = writeln!(out, "  预警规则 Warning rules:");
        for r in &pack.rules {
            let off = if r.enabled { "" } else { " (停用 disabled)" };
            let _ = writeln!(
                out,
                "    {:<22} → {:<4} {}  {}{off}",
                r.code, r.risk_type, r.zh, r.en
            );
        }
    }
    let _ = writeln!(
        out,
        "  看板 Dashboard: cells under {} households suppressed 小格抑制",
        pack.dashboard.min_cell
    );
    let _ = writeln!(out, "  类别 Categories:");
    for c in &pack.categories {
        let _ = writeln!(out, "    {:<10} {}  {}", c.code, c.zh, c.en);
    }
    let _ = writeln!(out, "  风险类型 Risk types:");
    for r in pack.risk_types.iter().filter(|r| r.parent.is_none()) {
        let _ = writeln!(out, "    {:<6} {}  {}", r.code, r.zh, r.en);
        for sub in pack.risk_sub_types(&r.code) {
            let _ = writeln!(out, "      {:<6} {}  {}", sub.code, sub.zh, sub.en);
        }
    }
    if let Some(r) = &pack.rectification {
        let _ = writeln!(
            out,
            "  问题整改 Rectification: 立行立改 fix on the spot within {} days 天; stalled 停滞 after {} days 天",
            r.immediate_max_days, r.stall_days
        );
        for (title, list) in [("领域 Areas", &r.areas), ("来源 Sources", &r.sources)] {
            let _ = writeln!(out, "    {title}:");
            for c in list {
                let _ = writeln!(out, "      {:<16} {}  {}", c.code, c.zh, c.en);
            }
        }
    }
    if !pack.sources.is_empty() {
        let _ = writeln!(out, "  来源 Sources:");
        for source in &pack.sources {
            let _ = writeln!(out, "    - {source}");
        }
    }
    out
}

// The keys of each table; anything else is an unknown key.
const TOP_KEYS: &[&str] = &[
    "pack",
    "monitoring",
    "identification",
    "elimination",
    "funds",
    "projects",
    "screening",
    "dashboard",
    "categories",
    "risk_types",
    "time_limits",
    "rules",
    "village_indicators",
    "must_visit",
    "sampling",
    "rectification",
    "rectification_areas",
    "rectification_sources",
];
const RECTIFICATION_KEYS: &[&str] = &["immediate_max_days", "stall_days"];
const PACK_KEYS: &[&str] = &[
    "province",
    "county",
    "name_zh",
    "name_en",
    "year",
    "effective_from",
    "terminology",
    "sources",
];
const MONITORING_KEYS: &[&str] = &["line_yuan", "out_of_pocket"];
const IDENTIFICATION_KEYS: &[&str] = &["notice_days", "notice_working_days", "limit_days"];
const ELIMINATION_KEYS: &[&str] = &[
    "min_months_identified",
    "min_measures",
    "no_labour_household_may_eliminate",
    "min_months_income_stable",
];
const FUNDS_KEYS: &[&str] = &[
    "industry_share",
    "industry_min_percent",
    "industry_county_percent",
];
const PROJECTS_KEYS: &[&str] = &[
    "fund_term_zh",
    "fund_term_en",
    "supervision_phone",
    "due_diligence_cooperative_yuan",
    "due_diligence_enterprise_yuan",
    "joint_due_diligence_yuan",
];
const SCREENING_KEYS: &[&str] = &[
    "edge_band_percent",
    "income_drop_percent",
    "medical_per_stay_monitored_yuan",
    "medical_per_stay_other_yuan",
    "medical_lookback_months",
    "medical_percent_of_income",
    "medical_focus_total_yuan",
    "water_interruption_days",
    "disaster_loss_percent_of_income",
    "housing_unsafe_grades",
    "medical_percent_of_household_income",
    "new_event_days",
    "severe_disability_max_grade",
    "disaster_loss_yuan",
    "main_worker",
    "verification_limit_days",
];
const RULE_KEYS: &[&str] = &["code", "zh", "en", "risk_type", "enabled"];
const DASHBOARD_KEYS: &[&str] = &["min_cell"];
const TIME_LIMIT_KEYS: &[&str] = &[
    "accept",
    "verification",
    "comparison",
    "appraisal",
    "notice_posting",
    "township_review",
    "county_approval",
    "announcement",
    "national_entry",
];
const CATEGORY_KEYS: &[&str] = &["code", "zh", "en"];
const RISK_TYPE_KEYS: &[&str] = &["code", "zh", "en", "parent"];

// What a county override may hold. Terminology, the codebooks and the income rule are the province's:
// the province sets the recognition standard and its system's codebooks (domain.md §0, §3.1).
const OVERRIDE_TOP_KEYS: &[&str] = &[
    "pack",
    "monitoring",
    "identification",
    "elimination",
    "funds",
    "projects",
    "screening",
    "dashboard",
    "time_limits",
];
const OVERRIDE_PACK_KEYS: &[&str] = &[
    "county",
    "extends",
    "name_zh",
    "name_en",
    "year",
    "effective_from",
    "sources",
];
const OVERRIDE_MONITORING_KEYS: &[&str] = &["line_yuan"];

/// Collects the errors of one file.
#[derive(Clone)]
struct Ctx {
    source: String,
    source_path: Option<PathBuf>,
    errors: Vec<PolicyError>,
}

impl Ctx {
    fn new(source: &str) -> Ctx {
        Ctx {
            source: source.to_owned(),
            source_path: None,
            errors: Vec::new(),
        }
    }

    fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(PolicyError {
            source: self.source.clone(),
            key: Some(key.to_owned()),
            message: message.into(),
        });
    }

    fn error_if_clean(&mut self, key: &str, message: &str) {
        if self.errors.is_empty() {
            self.error(key, message);
        }
    }

    fn into_errors(self) -> PolicyErrors {
        PolicyErrors(self.errors)
    }

    fn finish(self, pack: Option<PolicyPack>) -> Result<PolicyPack, PolicyErrors> {
        match pack {
            Some(pack) if self.errors.is_empty() => Ok(pack),
            _ if self.errors.is_empty() => Err(PolicyErrors(vec![file_error(
                &self.source,
                "the pack is incomplete".to_owned(),
            )])),
            _ => Err(self.into_errors()),
        }
    }

    fn parse_toml(&mut self, text: &str) -> Option<Table> {
        match text.parse::<Table>() {
            Ok(table) => Some(table),
            Err(e) => {
                let position = e.span().map(|span| {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    format!(" at line {line}, column {column}")
                });
                let message = format!(
                    "invalid TOML{}: {}",
                    position.unwrap_or_default(),
                    e.message().trim_end()
                );
                self.errors.push(file_error(&self.source, message));
                None
            }
        }
    }

    /// Reports keys of `table` not in `allowed`.
    fn unknown_keys(&mut self, table: &Table, prefix: &str, allowed: &[&str]) {
        for key in table.keys() {
            if !allowed.contains(&key.as_str()) {
                self.error(
                    &join(prefix, key),
                    format!("unknown key; expected one of {}", allowed.join(", ")),
                );
            }
        }
    }

    /// The sub-table `key` of `table`; reports it missing or not a table.
    fn table<'t>(&mut self, table: &'t Table, key: &str, allowed: &[&str]) -> Option<&'t Table> {
        let value = self.required(table, "", key)?;
        let Value::Table(sub) = value else {
            self.error(key, format!("expected a table, found {}", found(value)));
            return None;
        };
        self.unknown_keys(sub, key, allowed);
        Some(sub)
    }

    fn required<'t>(&mut self, table: &'t Table, prefix: &str, key: &str) -> Option<&'t Value> {
        let value = table.get(key);
        if value.is_none() {
            self.error(&join(prefix, key), "missing");
        }
        value
    }

    fn text(&mut self, table: &Table, prefix: &str, key: &str) -> Option<String> {
        let value = self.required(table, prefix, key)?;
        self.text_value(value, &join(prefix, key))
    }

    fn text_value(&mut self, value: &Value, key: &str) -> Option<String> {
        match value {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            _ => {
                self.error(
                    key,
                    format!("expected non-empty text, found {}", found(value)),
                );
                None
            }
        }
    }

    fn boolean(&mut self, table: &Table, prefix: &str, key: &str) -> Option<bool> {
        match self.required(table, prefix, key)? {
            Value::Boolean(b) => Some(*b),
            value => {
                self.error(
                    &join(prefix, key),
                    format!("expected true or false, found {}", found(value)),
                );
                None
            }
        }
    }

    /// A whole number that fits `T` and is at least `min`.
    fn number<T: TryFrom<i64> + Into<i64> + Copy>(
        &mut self,
        table: &Table,
        prefix: &str,
        key: &str,
        min: i64,
        max: T,
    ) -> Option<T> {
        let value = self.required(table, prefix, key)?;
        let max_i64: i64 = max.into();
        let number = match value {
            Value::Integer(n) if (min..=max_i64).contains(n) => T::try_from(*n).ok(),
            _ => None,
        };
        if number.is_none() {
            self.error(
                &join(prefix, key),
                format!(
                    "expected a whole number from {min} to {max_i64}, found {}",
                    found(value)
                ),
            );
        }
        number
    }

    /// A positive amount of yuan, as a whole number (`6000`) or text (`"6000.50"`); never a float.
    fn yuan(&mut self, table: &Table, prefix: &str, key: &str) -> Option<Money> {
        let value = self.required(table, prefix, key)?;
        let money = match value {
            Value::Integer(n) => n.checked_mul(100).map(Money::from_fen),
            Value::String(s) => Money::parse(s).ok(),
            _ => None,
        };
        match money {
            Some(m) if m > Money::ZERO => Some(m),
            _ => {
                self.error(
                    &join(prefix, key),
                    format!("expected a positive amount of yuan, found {}", found(value)),
                );
                None
            }
        }
    }

    fn date(&mut self, table: &Table, prefix: &str, key: &str) -> Option<NaiveDate> {
        let value = self.required(table, prefix, key)?;
        let date = match value {
            Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
                dt.date.and_then(|d| {
                    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                })
            }
            _ => None,
        };
        if date.is_none() {
            self.error(
                &join(prefix, key),
                format!("expected a date such as 2026-01-01, found {}", found(value)),
            );
        }
        date
    }

    fn region(
        &mut self,
        table: &Table,
        prefix: &str,
        key: &str,
        level: RegionLevel,
    ) -> Option<RegionCode> {
        let text = self.text(table, prefix, key)?;
        let key = join(prefix, key);
        match RegionCode::parse(&text) {
            Ok(code) if code.level() == level => Some(code),
            Ok(code) => {
                self.error(
                    &key,
                    format!(
                        "expected a {} code, found {:?} ({})",
                        level.as_str(),
                        text,
                        code.level().as_str()
                    ),
                );
                None
            }
            Err(e) => {
                self.error(&key, e.to_string());
                None
            }
        }
    }

    /// One of `choices` (`(key, value)`), named by its key in the file.
    fn choice<T: Copy>(
        &mut self,
        table: &Table,
        prefix: &str,
        key: &str,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let text = self.text(table, prefix, key)?;
        let chosen = choices.iter().find(|(k, _)| *k == text).map(|(_, v)| *v);
        if chosen.is_none() {
            let names: Vec<String> = choices.iter().map(|(k, _)| format!("{k:?}")).collect();
            self.error(
                &join(prefix, key),
                format!("expected one of {}, found {text:?}", names.join(", ")),
            );
        }
        chosen
    }

    fn texts(&mut self, table: &Table, prefix: &str, key: &str) -> Option<Vec<String>> {
        let value = self.required(table, prefix, key)?;
        let key = join(prefix, key);
        let Value::Array(items) = value else {
            self.error(
                &key,
                format!("expected a list of text, found {}", found(value)),
            );
            return None;
        };
        let texts: Vec<Option<String>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.text_value(item, &format!("{key}[{i}]")))
            .collect();
        texts.into_iter().collect()
    }

    /// An array of tables such as `[[risk_types]]`, each read by `read`.
    fn tables<T>(
        &mut self,
        table: &Table,
        key: &str,
        allowed: &[&str],
        mut read: impl FnMut(&mut Ctx, &Table, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let value = self.required(table, "", key)?;
        let Value::Array(items) = value else {
            self.error(
                key,
                format!("expected [[{key}]] tables, found {}", found(value)),
            );
            return None;
        };
        let mut out = Vec::new();
        let mut complete = true;
        for (i, item) in items.iter().enumerate() {
            let prefix = format!("{key}[{i}]");
            let Value::Table(entry) = item else {
                self.error(&prefix, format!("expected a table, found {}", found(item)));
                complete = false;
                continue;
            };
            self.unknown_keys(entry, &prefix, allowed);
            match read(self, entry, &prefix) {
                Some(v) => out.push(v),
                None => complete = false,
            }
        }
        complete.then_some(out)
    }
}

fn read_pack(ctx: &mut Ctx, table: &Table) -> Option<PolicyPack> {
    ctx.unknown_keys(table, "", TOP_KEYS);

    let pack = ctx.table(table, "pack", PACK_KEYS);
    let header = pack.map(|pack| {
        let province = ctx.region(pack, "pack", "province", RegionLevel::Province);
        let county = match pack.get("county") {
            Some(_) => ctx
                .region(pack, "pack", "county", RegionLevel::County)
                .map(Some),
            None => Some(None),
        };
        let name_zh = ctx.text(pack, "pack", "name_zh");
        let name_en = ctx.text(pack, "pack", "name_en");
        let year = ctx
            .number(pack, "pack", "year", 2000, 2100_i64)
            .map(|y| y as i32);
        let effective_from = ctx.date(pack, "pack", "effective_from");
        let terminology = ctx.text(pack, "pack", "terminology").and_then(|t| {
            let parsed = Terminology::parse(&t);
            if parsed.is_none() {
                let keys: Vec<String> = Terminology::ALL
                    .iter()
                    .map(|t| format!("{:?}", t.key()))
                    .collect();
                ctx.error(
                    "pack.terminology",
                    format!("expected one of {}, found {t:?}", keys.join(", ")),
                );
            }
            parsed
        });
        let sources = match pack.get("sources") {
            Some(_) => ctx.texts(pack, "pack", "sources"),
            None => Some(Vec::new()),
        };
        (
            province,
            county,
            name_zh,
            name_en,
            year,
            effective_from,
            terminology,
            sources,
        )
    });

    let monitoring = ctx.table(table, "monitoring", MONITORING_KEYS).map(|m| {
        let line = ctx.yuan(m, "monitoring", "line_yuan");
        let out_of_pocket = ctx.choice(
            m,
            "monitoring",
            "out_of_pocket",
            &[
                ("deduct", OutOfPocketRule::Deduct),
                ("judge-beside", OutOfPocketRule::JudgeBeside),
            ],
        );
        (line, out_of_pocket)
    });

    let identification = ctx
        .table(table, "identification", IDENTIFICATION_KEYS)
        .map(|t| {
            let p = "identification";
            (
                ctx.number(t, p, "notice_days", 0, u16::MAX),
                ctx.boolean(t, p, "notice_working_days"),
                ctx.number(t, p, "limit_days", 1, u16::MAX),
            )
        });

    let elimination = ctx.table(table, "elimination", ELIMINATION_KEYS).map(|t| {
        let p = "elimination";
        let min_months_identified = ctx.number(t, p, "min_months_identified", 0, u8::MAX);
        let min_measures = ctx.number(t, p, "min_measures", 0, u8::MAX);
        let no_labour = ctx.boolean(t, p, "no_labour_household_may_eliminate");
        let min_months_income_stable = ctx.number(t, p, "min_months_income_stable", 0, u8::MAX);
        Some(EliminationRules {
            min_months_identified: min_months_identified?,
            min_measures: min_measures?,
            no_labour_household_may_eliminate: no_labour?,
            min_months_income_stable: min_months_income_stable?,
        })
    });

    let industry_share = ctx
        .table(table, "funds", FUNDS_KEYS)
        .map(|t| read_industry_share(ctx, t));

    let projects = ctx.table(table, "projects", PROJECTS_KEYS).map(|t| {
        let p = "projects";
        let fund_term_zh = ctx.text(t, p, "fund_term_zh");
        let fund_term_en = ctx.text(t, p, "fund_term_en");
        let supervision_phone = ctx.text(t, p, "supervision_phone");
        let cooperative = ctx.yuan(t, p, "due_diligence_cooperative_yuan");
        let enterprise = ctx.yuan(t, p, "due_diligence_enterprise_yuan");
        let joint = ctx.yuan(t, p, "joint_due_diligence_yuan");
        Some(ProjectRules {
            fund_term_zh: fund_term_zh?,
            fund_term_en: fund_term_en?,
            supervision_phone: supervision_phone?,
            due_diligence_cooperative: cooperative?,
            due_diligence_enterprise: enterprise?,
            joint_due_diligence: joint?,
        })
    });

    let screening = ctx.table(table, "screening", SCREENING_KEYS).map(|t| {
        let p = "screening";
        let edge_band_percent = ctx.number(t, p, "edge_band_percent", 100, u16::MAX);
        let income_drop_percent = ctx.number(t, p, "income_drop_percent", 1, 100_u8);
        let medical_per_stay_monitored = ctx.yuan(t, p, "medical_per_stay_monitored_yuan");
        let medical_per_stay_other = ctx.yuan(t, p, "medical_per_stay_other_yuan");
        let medical_lookback_months = ctx.number(t, p, "medical_lookback_months", 1, u8::MAX);
        let medical_percent_of_income = ctx.number(t, p, "medical_percent_of_income", 1, u16::MAX);
        let medical_focus_total = ctx.yuan(t, p, "medical_focus_total_yuan");
        let water_interruption_days = ctx.number(t, p, "water_interruption_days", 1, 366_u16);
        let disaster_loss_percent_of_income =
            ctx.number(t, p, "disaster_loss_percent_of_income", 1, u16::MAX);
        let housing_unsafe_grades = ctx.texts(t, p, "housing_unsafe_grades").and_then(|grades| {
            let parsed: Vec<Option<HousingGrade>> =
                grades.iter().map(|g| HousingGrade::parse(g)).collect();
            let parsed: Option<Vec<HousingGrade>> = parsed.into_iter().collect();
            if parsed.is_none() {
                ctx.error(
                    "screening.housing_unsafe_grades",
                    format!("expected grades among \"A\", \"B\", \"C\", \"D\", found {grades:?}"),
                );
            }
            parsed
        });
        let medical_percent_of_household_income =
            ctx.number(t, p, "medical_percent_of_household_income", 1, u16::MAX);
        let new_event_days = ctx.number(t, p, "new_event_days", 1, 3660_u16);
        let severe_disability_max_grade = ctx.number(t, p, "severe_disability_max_grade", 1, 4_u8);
        let disaster_loss_min = ctx.yuan(t, p, "disaster_loss_yuan");
        let main_worker = ctx.text(t, p, "main_worker").and_then(|v| {
            let rule = MainWorkerRule::parse(&v);
            if rule.is_none() {
                ctx.error(
                    "screening.main_worker",
                    format!("expected \"skill-relation-age\", found {v:?}"),
                );
            }
            rule
        });
        let verification_limit_days = ctx.number(t, p, "verification_limit_days", 1, 366_u16);
        Some(ScreeningThresholds {
            medical_percent_of_household_income: medical_percent_of_household_income?,
            new_event_days: new_event_days?,
            severe_disability_max_grade: severe_disability_max_grade?,
            disaster_loss_min: disaster_loss_min?,
            main_worker: main_worker?,
            verification_limit_days: verification_limit_days?,
            edge_band_percent: edge_band_percent?,
            income_drop_percent: income_drop_percent?,
            medical_per_stay_monitored: medical_per_stay_monitored?,
            medical_per_stay_other: medical_per_stay_other?,
            medical_lookback_months: medical_lookback_months?,
            medical_percent_of_income: medical_percent_of_income?,
            medical_focus_total: medical_focus_total?,
            water_interruption_days: water_interruption_days?,
            disaster_loss_percent_of_income: disaster_loss_percent_of_income?,
            housing_unsafe_grades: housing_unsafe_grades?,
        })
    });

    let step_limits = ctx
        .table(table, "time_limits", TIME_LIMIT_KEYS)
        .map(|t| read_step_limits(ctx, t));

    let dashboard = ctx
        .table(table, "dashboard", DASHBOARD_KEYS)
        .map(|t| ctx.number(t, "dashboard", "min_cell", 1, u32::MAX));

    let categories = ctx.tables(table, "categories", CATEGORY_KEYS, |ctx, t, p| {
        let code = ctx.text(t, p, "code");
        let zh = ctx.text(t, p, "zh");
        let en = ctx.text(t, p, "en");
        Some(Category {
            code: code?,
            zh: zh?,
            en: en?,
        })
    });
    let risk_types = ctx.tables(table, "risk_types", RISK_TYPE_KEYS, |ctx, t, p| {
        let code = ctx.text(t, p, "code");
        let zh = ctx.text(t, p, "zh");
        let en = ctx.text(t, p, "en");
        let parent = match t.get("parent") {
            Some(_) => ctx.text(t, p, "parent").map(Some),
            None => Some(None),
        };
        Some(RiskType {
            code: code?,
            zh: zh?,
            en: en?,
            parent: parent?,
        })
    });

    let rules = ctx.tables(table, "rules", RULE_KEYS, |ctx, t, p| {
        let code = ctx.text(t, p, "code");
        let zh = ctx.text(t, p, "zh");
        let en = ctx.text(t, p, "en");
        let risk_type = ctx.text(t, p, "risk_type");
        let enabled = match t.get("enabled") {
            Some(_) => ctx.boolean(t, p, "enabled"),
            None => Some(true),
        };
        Some(ScreeningRule {
            code: code?,
            zh: zh?,
            en: en?,
            risk_type: risk_type?,
            enabled: enabled?,
        })
    });

    let village_indicators = villages::read_village_indicators(ctx, table);
    let must_visit = villages::read_must_visit(ctx, table);
    let sampling = villages::read_sampling(ctx, table);
    let rectification = read_rectification(ctx, table);

    let (province, county, name_zh, name_en, year, effective_from, terminology, sources) = header?;
    let (monitoring_line, out_of_pocket) = monitoring?;
    let (notice_days, notice_working_days, identification_limit_days) = identification?;
    let pack = PolicyPack {
        scope: PackScope {
            province: province?,
            county: county?,
        },
        name_zh: name_zh?,
        name_en: name_en?,
        year: year?,
        effective_from: effective_from?,
        monitoring_line: monitoring_line?,
        terminology: terminology?,
        categories: categories?,
        risk_types: risk_types?,
        out_of_pocket: out_of_pocket?,
        notice_days: notice_days?,
        notice_working_days: notice_working_days?,
        identification_limit_days: identification_limit_days?,
        step_limits: step_limits??,
        elimination: elimination??,
        industry_share: industry_share??,
        projects: projects??,
        screening: screening??,
        rules: rules?,
        dashboard: DashboardRules {
            min_cell: dashboard??,
        },
        village_indicators: village_indicators?,
        must_visit: must_visit?,
        sampling: sampling?,
        sources: sources?,
        rectification: rectification?,
    };
    for problem in pack.problems() {
        let key = problem_key(&pack, &problem);
        ctx.error(&key, problem.to_string());
    }
    Some(pack)
}

/// The optional rectification tables: all three or none. `Some(None)` when the pack has none.
fn read_rectification(
    ctx: &mut Ctx,
    table: &Table,
) -> Option<Option<uplift_domain::rectify::RectificationRules>> {
    let keys = [
        "rectification",
        "rectification_areas",
        "rectification_sources",
    ];
    if !keys.iter().any(|k| table.contains_key(*k)) {
        return Some(None);
    }
    let limits = ctx
        .table(table, "rectification", RECTIFICATION_KEYS)
        .map(|t| {
            let p = "rectification";
            (
                ctx.number(t, p, "immediate_max_days", 0, 3660_u16),
                ctx.number(t, p, "stall_days", 1, 3660_u16),
            )
        });
    let mut entries = |key: &str| {
        ctx.tables(table, key, CATEGORY_KEYS, |ctx, t, p| {
            let code = ctx.text(t, p, "code");
            let zh = ctx.text(t, p, "zh");
            let en = ctx.text(t, p, "en");
            Some(Category {
                code: code?,
                zh: zh?,
                en: en?,
            })
        })
    };
    let areas = entries("rectification_areas");
    let sources = entries("rectification_sources");
    let (immediate_max_days, stall_days) = limits?;
    Some(Some(uplift_domain::rectify::RectificationRules {
        areas: areas?,
        sources: sources?,
        immediate_max_days: immediate_max_days?,
        stall_days: stall_days?,
    }))
}

fn read_step_limits(ctx: &mut Ctx, t: &Table) -> Option<StepLimits> {
    let mut limit = |key: &str| {
        let text = ctx.text(t, "time_limits", key)?;
        match TimeLimit::parse(&text) {
            Some(limit) if limit.amount > 0 => Some(limit),
            _ => {
                ctx.error(
                    &join("time_limits", key),
                    format!(
                        "expected \"<amount ≥ 1> calendar-days|working-days|months\", found {text:?}"
                    ),
                );
                None
            }
        }
    };
    let accept = limit("accept");
    let verification = limit("verification");
    let comparison = limit("comparison");
    let appraisal = limit("appraisal");
    let notice_posting = limit("notice_posting");
    let township_review = limit("township_review");
    let county_approval = limit("county_approval");
    let announcement = limit("announcement");
    let national_entry = limit("national_entry");
    Some(StepLimits {
        accept: accept?,
        verification: verification?,
        comparison: comparison?,
        appraisal: appraisal?,
        notice_posting: notice_posting?,
        township_review: township_review?,
        county_approval: county_approval?,
        announcement: announcement?,
        national_entry: national_entry?,
    })
}

fn read_industry_share(ctx: &mut Ctx, t: &Table) -> Option<IndustryShare> {
    #[derive(Clone, Copy)]
    enum Rule {
        MinPercent,
        Stable,
    }
    let rule = ctx.choice(
        t,
        "funds",
        "industry_share",
        &[
            ("min-percent", Rule::MinPercent),
            ("stable-at-provincial-level", Rule::Stable),
        ],
    )?;
    match rule {
        Rule::MinPercent => {
            if t.contains_key("industry_county_percent") {
                ctx.error(
                    "funds.industry_county_percent",
                    "only allowed with industry_share = \"stable-at-provincial-level\"",
                );
            }
            ctx.number(t, "funds", "industry_min_percent", 0, 100_u8)
                .map(IndustryShare::MinPercent)
        }
        Rule::Stable => {
            if t.contains_key("industry_min_percent") {
                ctx.error(
                    "funds.industry_min_percent",
                    "only allowed with industry_share = \"min-percent\"",
                );
            }
            let county_percent = match t.get("industry_county_percent") {
                Some(_) => ctx
                    .number(t, "funds", "industry_county_percent", 0, 100_u8)
                    .map(Some),
                None => Some(None),
            };
            county_percent
                .map(|county_percent| IndustryShare::StableAtProvincialLevel { county_percent })
        }
    }
}

/// Reads a county override: checks its keys, merges it over the province table, reads the result.
fn read_override(
    ctx: &mut Ctx,
    table: &Table,
    province_table: &Table,
    province: &PolicyPack,
) -> Option<PolicyPack> {
    let errors_before = ctx.errors.len();
    let (county, year) = read_override_header(ctx, table)?;
    // Keys a county may not hold are not merged: the file must be fixed first.
    if ctx.errors.len() > errors_before {
        return None;
    }
    if !province.scope.province.contains(&county) {
        ctx.error(
            "pack.county",
            format!(
                "county {} is not inside province {}",
                county.prefix(),
                province.scope.province.prefix()
            ),
        );
        return None;
    }
    if year != province.year {
        ctx.error(
            "pack.year",
            format!(
                "expected the year of the province pack it extends, {}, found {year}",
                province.year
            ),
        );
        return None;
    }
    let mut merged = province_table.clone();
    for (key, value) in table {
        let (Value::Table(over), Some(Value::Table(base))) = (value, merged.get_mut(key)) else {
            merged.insert(key.clone(), value.clone());
            continue;
        };
        for (k, v) in over {
            base.insert(k.clone(), v.clone());
        }
    }
    if let Some(Value::Table(pack)) = merged.get_mut("pack") {
        pack.remove("extends");
        // The province's sources stay, the county's come after them.
        if let Some(Value::Array(county_sources)) = table.get("pack").and_then(|p| p.get("sources"))
        {
            let mut sources = match province_table.get("pack").and_then(|p| p.get("sources")) {
                Some(Value::Array(s)) => s.clone(),
                _ => Vec::new(),
            };
            sources.extend(county_sources.iter().cloned());
            pack.insert("sources".to_owned(), Value::Array(sources));
        }
    }
    let pack = read_pack(ctx, &merged)?;
    if pack.effective_from < province.effective_from {
        ctx.error(
            "pack.effective_from",
            format!(
                "a county pack cannot take effect before its province pack, {}",
                province.effective_from
            ),
        );
    }
    if pack.monitoring_line < province.monitoring_line {
        ctx.error(
            "monitoring.line_yuan",
            format!(
                "a county may not set a line below the province's {} yuan",
                province.monitoring_line
            ),
        );
    }
    Some(pack)
}

/// Checks the keys of a county override and reads its county and year.
fn read_override_header(ctx: &mut Ctx, table: &Table) -> Option<(RegionCode, i32)> {
    for key in table.keys() {
        if !OVERRIDE_TOP_KEYS.contains(&key.as_str()) {
            let message = if TOP_KEYS.contains(&key.as_str()) {
                format!(
                    "a county pack may not override this key; it may hold {}",
                    OVERRIDE_TOP_KEYS.join(", ")
                )
            } else {
                format!(
                    "unknown key; expected one of {}",
                    OVERRIDE_TOP_KEYS.join(", ")
                )
            };
            ctx.error(key, message);
        }
    }
    let limited = [
        ("pack", OVERRIDE_PACK_KEYS, PACK_KEYS),
        ("monitoring", OVERRIDE_MONITORING_KEYS, MONITORING_KEYS),
    ];
    for (name, allowed, all) in limited {
        let Some(Value::Table(sub)) = table.get(name) else {
            continue;
        };
        for key in sub.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let message = if all.contains(&key.as_str()) {
                format!(
                    "a county pack may not override this key; in [{name}] it may hold {}",
                    allowed.join(", ")
                )
            } else {
                format!("unknown key; expected one of {}", allowed.join(", "))
            };
            ctx.error(&join(name, key), message);
        }
    }
    let Some(Value::Table(pack)) = table.get("pack") else {
        ctx.error("pack", "missing");
        return None;
    };
    let extends = ctx.text(pack, "pack", "extends");
    if extends.as_deref().is_some_and(|e| e != "province") {
        ctx.error(
            "pack.extends",
            format!(
                "expected \"province\", found {:?}",
                extends.unwrap_or_default()
            ),
        );
    }
    let county = ctx.region(pack, "pack", "county", RegionLevel::County);
    let year = ctx
        .number(pack, "pack", "year", 2000, 2100_i64)
        .map(|y| y as i32);
    Some((county?, year?))
}

fn is_override(table: &Table) -> bool {
    table.get("pack").and_then(|p| p.get("extends")).is_some()
}

/// The county and year an override names, if they read cleanly.
fn override_target(table: &Table) -> Option<(RegionCode, i32)> {
    let pack = table.get("pack")?;
    let county = RegionCode::parse(pack.get("county")?.as_str()?).ok()?;
    let year = i32::try_from(pack.get("year")?.as_integer()?).ok()?;
    Some((county, year))
}

/// A file named `<year>.toml` must hold that year's pack.
fn check_file_year(ctx: &mut Ctx, year: i32) {
    let stem = match &ctx.source_path {
        Some(path) => path.file_stem().map(|s| s.to_string_lossy().into_owned()),
        None => Path::new(&ctx.source)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned()),
    };
    let Some(stem) = stem else { return };
    if let Ok(file_year) = stem.parse::<i32>()
        && file_year != year
    {
        ctx.error(
            "pack.year",
            format!("the file is named for {file_year} but the pack is for {year}"),
        );
    }
}

/// The file key of a domain problem.
fn problem_key(pack: &PolicyPack, problem: &PackProblem) -> String {
    let indexed = |table: &str, code: &str, field: &str, index: Option<usize>| match index {
        Some(i) => format!("{table}[{i}].{field}"),
        None => format!("{table}.{code}"),
    };
    match problem {
        PackProblem::DuplicateCategory(code) => {
            let i = pack.categories.iter().rposition(|c| &c.code == code);
            return indexed("categories", code, "code", i);
        }
        PackProblem::DuplicateRiskType(code) => {
            let i = pack.risk_types.iter().rposition(|r| &r.code == code);
            return indexed("risk_types", code, "code", i);
        }
        PackProblem::UnknownRiskParent { code, .. } => {
            let i = pack.risk_types.iter().position(|r| &r.code == code);
            return indexed("risk_types", code, "parent", i);
        }
        PackProblem::UnknownRuleRiskType { code, .. } => {
            let i = pack.rules.iter().position(|r| &r.code == code);
            return indexed("rules", code, "risk_type", i);
        }
        PackProblem::DuplicateRule(code) => {
            let i = pack.rules.iter().rposition(|r| &r.code == code);
            return indexed("rules", code, "code", i);
        }
        _ => {}
    }
    let key = match problem.field() {
        PackField::Province => "pack.province",
        PackField::County => "pack.county",
        PackField::EffectiveFrom => "pack.effective_from",
        PackField::Terminology => "pack.terminology",
        PackField::MonitoringLine => "monitoring.line_yuan",
        PackField::Categories => "categories",
        PackField::RiskTypes => "risk_types",
        PackField::NoticeDays => "identification.notice_days",
        PackField::IdentificationLimitDays => "identification.limit_days",
        PackField::IndustryShare => match pack.industry_share {
            IndustryShare::MinPercent(_) => "funds.industry_min_percent",
            IndustryShare::StableAtProvincialLevel { .. } => "funds.industry_county_percent",
        },
        PackField::EdgeBandPercent => "screening.edge_band_percent",
        PackField::IncomeDropPercent => "screening.income_drop_percent",
        PackField::MedicalPerStayMonitored => "screening.medical_per_stay_monitored_yuan",
        PackField::MedicalPerStayOther => "screening.medical_per_stay_other_yuan",
        PackField::MedicalLookbackMonths => "screening.medical_lookback_months",
        PackField::MedicalPercentOfIncome => "screening.medical_percent_of_income",
        PackField::MedicalFocusTotal => "screening.medical_focus_total_yuan",
        PackField::WaterInterruptionDays => "screening.water_interruption_days",
        PackField::DisasterLossPercentOfIncome => "screening.disaster_loss_percent_of_income",
        PackField::DashboardMinCell => "dashboard.min_cell",
        PackField::Rules => "rules",
    };
    key.to_owned()
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A value as it was written, short enough for an error message.
fn found(value: &Value) -> String {
    match value {
        Value::Table(_) | Value::Array(_) => format!("a {}", value.type_str()),
        _ => value.to_string(),
    }
}

fn file_error(source: &str, message: String) -> PolicyError {
    PolicyError {
        source: source.to_owned(),
        key: None,
        message,
    }
}

fn collect_toml_files(dir: &Path, paths: &mut Vec<PathBuf>, errors: &mut Vec<PolicyError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(file_error(
                &dir.display().to_string(),
                format!("cannot read the directory: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_toml_files(&path, paths, errors);
        } else if path.extension().is_some_and(|e| e == "toml") {
            paths.push(path);
        }
    }
}

fn display_source(base: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    const HUNAN_2026: &str = include_str!("../../../policy/43-hunan/2026.toml");
    const RUCHENG_2026: &str = include_str!("../../../policy/43-hunan/431026-rucheng/2026.toml");

    /// The messages of a broken copy of the Hunan 2026 pack.
    fn errors_of(text: &str) -> Vec<String> {
        let err = parse_pack("policy/43-hunan/2026.toml", text).unwrap_err();
        err.errors().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_shipped_pack_loads() {
        let book = shipped().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(book.len(), 13);
        for province in ["43", "23"] {
            for year in 2021..=2026 {
                let pack = book.find(&code(province), year).unwrap();
                let expected = if year >= 2026 {
                    Terminology::Normalised2026
                } else {
                    Terminology::Transition2021
                };
                assert_eq!(pack.terminology, expected, "{province} {year}");
                // The pack's fund term follows its regime (a 2025 plan says 衔接资金).
                let term = if year >= 2026 {
                    "常态化帮扶资金"
                } else {
                    "衔接资金"
                };
                assert_eq!(pack.projects.fund_term_zh, term, "{province} {year}");
                assert_eq!(pack.categories.len(), 3);
                assert_eq!(pack.risk_sub_types("02").count(), 7);
                assert!(!render_pack(pack).is_empty());
            }
        }
        let hunan_2022 = book.find(&code("43"), 2022).unwrap();
        assert_eq!(hunan_2022.industry_share, IndustryShare::MinPercent(55));
    }

    #[test]
    fn the_shipped_directory_loads_the_same_book() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy");
        let from_dir = load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        let sorted = |book: PolicyBook| {
            let mut packs = book.packs().to_vec();
            packs.sort_by_key(|p| (p.scope.code(), p.year));
            packs
        };
        assert_eq!(sorted(from_dir), sorted(shipped().unwrap()));
    }

    #[test]
    fn the_rucheng_override_resolves_inside_rucheng_and_hunan_elsewhere() {
        let book = shipped().unwrap();
        let on = date(2026, 6, 1);
        let rucheng_village = code("431026100201");
        let pack = book.in_force(&rucheng_village, on).unwrap();
        assert_eq!(pack.scope.county, Some(code("431026")));
        assert_eq!((pack.notice_days, pack.notice_working_days), (5, true));
        assert_eq!(
            pack.industry_share,
            IndustryShare::StableAtProvincialLevel {
                county_percent: Some(65)
            }
        );
        // Everything not overridden comes from the Hunan pack.
        let hunan = book.find(&code("43"), 2026).unwrap();
        assert_eq!(pack.monitoring_line, hunan.monitoring_line);
        assert_eq!(pack.risk_types, hunan.risk_types);
        assert_eq!(pack.terminology.object_term_zh(), "防止返贫致贫对象");
        assert!(render_pack(pack).contains("汝城县"));

        // Yizhang (宜章县), another Chenzhou county, gets the province pack.
        let yizhang_village = code("431022100201");
        let pack = book.in_force(&yizhang_village, on).unwrap();
        assert_eq!((pack.scope.county, pack.year), (None, 2026));
        assert!(!pack.notice_working_days);
        // In 2025 Rucheng is under the Hunan transition pack.
        let pack = book.in_force(&rucheng_village, date(2025, 6, 1)).unwrap();
        assert_eq!(
            (pack.scope.county, pack.terminology),
            (None, Terminology::Transition2021)
        );
        assert_eq!(pack.terminology.fund_term_zh(), "衔接资金");
    }

    #[test]
    fn render_pack_shows_the_pack_in_chinese_and_english() {
        let book = shipped().unwrap();
        let text = render_pack(book.find(&code("431026"), 2026).unwrap());
        assert!(text.starts_with(
            "汝城县 Rucheng County — policy pack 政策包 2026 (county 县 431026, province 省 43)"
        ));
        assert!(
            text.contains("监测标准 Monitoring line: 8300.00 元/人/年 yuan per person per year")
        );
        assert!(text.contains("公示 Public notice: at least 不少于 5 个工作日 working days"));
        assert!(text.contains("      0201   洪涝  Flood"));
    }

    #[test]
    fn a_wrong_key_is_named() {
        let text = HUNAN_2026.replace("notice_days = 5", "notice_dayz = 5");
        let errors = errors_of(&text);
        assert!(errors.contains(
            &"policy/43-hunan/2026.toml: key identification.notice_dayz: unknown key; expected one of notice_days, notice_working_days, limit_days".to_owned()
        ), "{errors:#?}");
        assert!(errors.contains(
            &"policy/43-hunan/2026.toml: key identification.notice_days: missing".to_owned()
        ));
    }

    #[test]
    fn a_negative_line_is_named() {
        let text = HUNAN_2026.replace("line_yuan = 8300", "line_yuan = -5");
        assert_eq!(
            errors_of(&text),
            [
                "policy/43-hunan/2026.toml: key monitoring.line_yuan: expected a positive amount of yuan, found -5"
            ]
        );
    }

    #[test]
    fn an_unknown_key_is_named() {
        let text = format!("{HUNAN_2026}\n[colour]\nsky = \"blue\"\n");
        let errors = errors_of(&text);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].starts_with(
            "policy/43-hunan/2026.toml: key colour: unknown key; expected one of pack,"
        ));
        let text = HUNAN_2026.replace("code = \"0201\"", "code = \"0201\"\nseverity = 3");
        assert_eq!(
            errors_of(&text),
            [
                "policy/43-hunan/2026.toml: key risk_types[2].severity: unknown key; expected one of code, zh, en, parent"
            ]
        );
    }

    #[test]
    fn wrong_types_are_named() {
        let text = HUNAN_2026
            .replace("line_yuan = 8300", "line_yuan = 8300.5")
            .replace(
                "notice_working_days = false",
                "notice_working_days = \"no\"",
            )
            .replace("effective_from = 2026-01-01", "effective_from = \"2026\"")
            .replace("out_of_pocket = \"deduct\"", "out_of_pocket = \"subtract\"");
        assert_eq!(
            errors_of(&text),
            [
                "policy/43-hunan/2026.toml: key pack.effective_from: expected a date such as 2026-01-01, found \"2026\"",
                "policy/43-hunan/2026.toml: key monitoring.line_yuan: expected a positive amount of yuan, found 8300.5",
                "policy/43-hunan/2026.toml: key monitoring.out_of_pocket: expected one of \"deduct\", \"judge-beside\", found \"subtract\"",
                "policy/43-hunan/2026.toml: key identification.notice_working_days: expected true or false, found \"no\"",
            ]
        );
        // Amounts may be written as text with fen.
        let text = HUNAN_2026.replace("line_yuan = 8300", "line_yuan = \"8300.50\"");
        let pack = parse_pack("x.toml", &text).unwrap();
        assert_eq!(pack.monitoring_line, Money::from_fen(830_050));
    }

    #[test]
    fn cross_field_problems_are_named() {
        let text = HUNAN_2026
            .replace("effective_from = 2026-01-01", "effective_from = 2025-07-01")
            .replace("parent = \"02\"\n", "parent = \"08\"\n")
            .replace("notice_days = 5", "notice_days = 0")
            .replace("limit_days = 15", "limit_days = 3");
        let errors = errors_of(&text);
        assert!(errors.contains(&"policy/43-hunan/2026.toml: key pack.effective_from: effective date 2025-07-01 is not in the pack's year 2026".to_owned()), "{errors:#?}");
        assert!(errors.contains(&"policy/43-hunan/2026.toml: key risk_types[2].parent: risk type \"0201\" names parent \"08\", which is not a top-level risk type of the pack".to_owned()), "{errors:#?}");
        assert!(
            errors.contains(
                &"policy/43-hunan/2026.toml: key identification.notice_days: the public notice must last at least 1 day".to_owned()
            ),
            "{errors:#?}"
        );

        let text = HUNAN_2026.replace("limit_days = 15", "limit_days = 3");
        assert_eq!(
            errors_of(&text),
            [
                "policy/43-hunan/2026.toml: key identification.limit_days: the identification limit of 3 days is shorter than the public notice of 5 days"
            ]
        );
        let text = HUNAN_2026.replace(
            "province = \"43\"",
            "province = \"43\"\ncounty = \"230102\"",
        );
        assert_eq!(
            errors_of(&text),
            [
                "policy/43-hunan/2026.toml: key pack.county: county 230102000000 is not inside province 430000000000"
            ]
        );
        let text = HUNAN_2026.replace("normalised-2026", "transition-2021");
        assert_eq!(
            errors_of(&text),
            [
                "policy/43-hunan/2026.toml: key pack.terminology: terminology transition-2021 does not apply in 2026"
            ]
        );
    }

    #[test]
    fn a_bad_time_limit_is_named() {
        for bad in ["\"2 weeks\"", "\"0 calendar-days\"", "\"two working-days\""] {
            let text =
                HUNAN_2026.replace("accept = \"2 calendar-days\"", &format!("accept = {bad}"));
            let errors = errors_of(&text);
            assert_eq!(errors.len(), 1, "{errors:#?}");
            assert!(
                errors[0]
                    .starts_with("policy/43-hunan/2026.toml: key time_limits.accept: expected"),
                "{errors:#?}"
            );
        }
        let pack = parse_pack("hunan.toml", HUNAN_2026).unwrap();
        assert_eq!(pack.step_limits.announcement.to_string(), "5 working-days");
    }

    #[test]
    fn broken_toml_says_where() {
        let errors = errors_of("[pack\nyear = 2026\n");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("policy/43-hunan/2026.toml: invalid TOML at line 1"),
            "{errors:#?}"
        );
    }

    #[test]
    fn a_county_pack_may_override_only_some_keys() {
        let text = format!(
            "{}\n[[categories]]\ncode = \"x\"\nzh = \"x\"\nen = \"x\"\n",
            RUCHENG_2026.replace(
                "extends = \"province\"",
                "extends = \"province\"\nterminology = \"transition-2021\""
            )
        );
        let err = parse_county_pack("rucheng.toml", &text, "hunan.toml", HUNAN_2026).unwrap_err();
        let errors: Vec<String> = err.errors().iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "rucheng.toml: key categories: a county pack may not override this key; it may hold pack, monitoring, identification, elimination, funds, projects, screening, dashboard, time_limits",
                "rucheng.toml: key pack.terminology: a county pack may not override this key; in [pack] it may hold county, extends, name_zh, name_en, year, effective_from, sources",
            ]
        );
        let text = RUCHENG_2026.replace("[funds]", "[monitoring]\nline_yuan = 8000\n\n[funds]");
        let err = parse_county_pack("rucheng.toml", &text, "hunan.toml", HUNAN_2026).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rucheng.toml: key monitoring.line_yuan: a county may not set a line below the province's 8300.00 yuan"
        );
        let text = RUCHENG_2026.replace("county = \"431026\"", "county = \"230102\"");
        let err = parse_county_pack("rucheng.toml", &text, "hunan.toml", HUNAN_2026).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rucheng.toml: key pack.county: county 230102 is not inside province 43"
        );
        // Alone, an override cannot be checked.
        assert!(
            parse_pack("rucheng.toml", RUCHENG_2026)
                .unwrap_err()
                .to_string()
                .contains("key pack.extends")
        );
    }

    #[test]
    fn check_file_merges_an_override_with_its_province_pack() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy");
        let pack = check_file(&dir.join("43-hunan/431026-rucheng/2026.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pack.scope.county, Some(code("431026")));
        assert_eq!(pack.name_zh, "汝城县");
        let pack =
            check_file(&dir.join("23-heilongjiang/2024.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pack.year, 2024);
    }

    #[test]
    fn a_pack_in_a_file_named_for_another_year_is_rejected() {
        let files = [("policy/43-hunan/2025.toml", HUNAN_2026)];
        let err = parse_packs(&files).unwrap_err();
        assert_eq!(
            err.to_string(),
            "policy/43-hunan/2025.toml: key pack.year: the file is named for 2025 but the pack is for 2026"
        );
    }
}
