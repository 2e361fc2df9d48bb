//! The data-quality rule catalogue (issue 4; domain.md §12.3) over parsed households.
//!
//! Rules are pure functions. Broken data is a [`Finding`], never an `Err` (ARCHITECTURE.md). Each
//! rule has a stable code: the national system's code where domain.md §12.3 gives one, else an
//! `S_` code of Uplift's own. [`Severity::Error`] rules break the structure of the registry (the
//! import refuses the household); [`Severity::Warning`] rules are the national data-quality checks,
//! which are recorded and reported but do not stop an import.
//!
//! | code | national | severity | 中文 | English | parameter |
//! |---|---|---|---|---|---|
//! | `S_HEAD` | | error | 每户须有且只有一名户主 | A household has exactly one head | |
//! | `S_SEX` | | error | 性别与证件号码不符 | Sex disagrees with the ID number | |
//! | `S_DUP_FILE` | | error | 同一户内证件号码重复 | ID number twice in one household of the file | |
//! | `S_TWO_HOUSEHOLDS` | 1_01_002 | error | 同一人出现在两个户中（证件号码重复） | A person in two households of the file (duplicate ID number) | |
//! | `S_DUP_REGISTRY` | 1_01_002 | error | 证件号码已登记在其他户 | ID number already registered to another household | registry lookup supplied by the caller |
//! | `S_DISABILITY_LABOUR` | | warning | 重度残疾但劳动技能为有劳动力 | Severe disability recorded with labour | `severe_disability_max_grade` (national: 2, grades 1–2) |
//! | `S_GRADE_HEALTH` | | warning | 非残疾人员填写了残疾等级 | Disability grade for a person not recorded as disabled | |
//! | `1_02_003` | 1_02_003 | warning | 未参加大病保险 | Not enrolled in major-illness insurance | |
//! | `5_15_020` | 5_15_020 | warning | 有患病成员但合规自付支出为 0 | Ill member but compliant out-of-pocket spending is 0 | latest income period |
//! | `5_15_023` | 5_15_023 | warning | 工资性收入在 0–100 元之间 | Wage income between 0 and 100 yuan | `low_wage_max` (national: 100 yuan) |
//!
//! Registry data cannot yet express these §12.3 rules, which need monitoring records (risk
//! types, elimination, the safety-net flag, measures, work records): 1111_07 (no-labour household
//! not flagged as safety-net), 4_11_009 (risk "lack of labour" but all members have labour),
//! 2_11_002, 2_11_006, 5_15_013, 5_15_014, 5_18_006, 5_12_001–005, 4_12_001, 4_12_002. Rule 5_15_020
//! takes a member whose health is 大病 or 长期慢性病 in place of the 因病 risk type until
//! households carry risk types. Wrong ID length and check digits are field errors of the parser
//! (`id.length`, `id.check_digit`).
//!
//! Parameters come from the policy pack in force for the household's village on `today`
//! ([`QualityParams::from_pack`]); the pack does not yet carry these keys, so every pack gives the
//! national values until it does.

use std::collections::HashMap;

use chrono::NaiveDate;
use uplift_domain::household::{Health, HouseholdNo, Person, Relation};
use uplift_domain::income::{IncomeRecord, Money};
use uplift_domain::policy::{PolicyBook, PolicyPack};
use uplift_domain::region::RegionCode;
use uplift_domain::resident_id::ResidentId;

use crate::import::registry::ParsedHousehold;

pub const S_HEAD: &str = "S_HEAD";
pub const S_SEX: &str = "S_SEX";
pub const S_DUP_FILE: &str = "S_DUP_FILE";
pub const S_TWO_HOUSEHOLDS: &str = "S_TWO_HOUSEHOLDS";
pub const S_DUP_REGISTRY: &str = "S_DUP_REGISTRY";
pub const S_DISABILITY_LABOUR: &str = "S_DISABILITY_LABOUR";
pub const S_GRADE_HEALTH: &str = "S_GRADE_HEALTH";
pub const NO_MAJOR_ILLNESS_INSURANCE: &str = "1_02_003";
pub const ILLNESS_WITHOUT_OUT_OF_POCKET: &str = "5_15_020";
pub const LOW_WAGE_INCOME: &str = "5_15_023";

/// Whether a finding stops the household from being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    /// The national system's rule code this corresponds to, if any.
    pub national: Option<&'static str>,
    pub severity: Severity,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// The field the rule is about (English name of formats.md).
    pub field: &'static str,
    /// The parameter, described; empty when the rule has none.
    pub parameter: &'static str,
}

const fn rule(
    code: &'static str,
    national: Option<&'static str>,
    severity: Severity,
    name_zh: &'static str,
    name_en: &'static str,
    field: &'static str,
    parameter: &'static str,
) -> Rule {
    Rule {
        code,
        national,
        severity,
        name_zh,
        name_en,
        field,
        parameter,
    }
}

/// The catalogue, in report order.
pub const RULES: &[Rule] = &[
    rule(
        S_HEAD,
        None,
        Severity::Error,
        "每户须有且只有一名户主",
        "A household has exactly one head",
        "relation",
        "",
    ),
    rule(
        S_SEX,
        None,
        Severity::Error,
        "性别与证件号码不符",
        "Sex disagrees with the ID number",
        "sex",
        "",
    ),
    rule(
        S_DUP_FILE,
        None,
        Severity::Error,
        "同一户内证件号码重复",
        "ID number twice in one household of the file",
        "id_number",
        "",
    ),
    rule(
        S_TWO_HOUSEHOLDS,
        Some("1_01_002"),
        Severity::Error,
        "同一人出现在两个户中（证件号码重复）",
        "A person in two households of the file (duplicate ID number)",
        "id_number",
        "",
    ),
    rule(
        S_DUP_REGISTRY,
        Some("1_01_002"),
        Severity::Error,
        "证件号码已登记在其他户",
        "ID number already registered to another household",
        "id_number",
        "registry lookup",
    ),
    rule(
        S_DISABILITY_LABOUR,
        None,
        Severity::Warning,
        "重度残疾但劳动技能为有劳动力",
        "Severe disability recorded with labour",
        "labour",
        "severe_disability_max_grade = 2",
    ),
    rule(
        S_GRADE_HEALTH,
        None,
        Severity::Warning,
        "非残疾人员填写了残疾等级",
        "Disability grade for a person not recorded as disabled",
        "disability_grade",
        "",
    ),
    rule(
        NO_MAJOR_ILLNESS_INSURANCE,
        Some("1_02_003"),
        Severity::Warning,
        "未参加大病保险",
        "Not enrolled in major-illness insurance",
        "major_illness_insurance",
        "",
    ),
    rule(
        ILLNESS_WITHOUT_OUT_OF_POCKET,
        Some("5_15_020"),
        Severity::Warning,
        "有患病成员但合规自付支出为 0",
        "Ill member but compliant out-of-pocket spending is 0",
        "compliant_out_of_pocket",
        "latest income period",
    ),
    rule(
        LOW_WAGE_INCOME,
        Some("5_15_023"),
        Severity::Warning,
        "工资性收入在 0–100 元之间",
        "Wage income between 0 and 100 yuan",
        "wage_income",
        "low_wage_max = 100 yuan",
    ),
];

/// The rule with this code.
pub fn find_rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// One broken rule in one household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub national: Option<&'static str>,
    pub severity: Severity,
    pub household_no: String,
    /// The file rows involved (empty for data not read from a file).
    pub rows: Vec<u64>,
    /// The English field name.
    pub field: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

/// Rule parameters (see the catalogue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QualityParams {
    /// 5_15_023: wage income above zero and below this is suspicious.
    pub low_wage_max: Money,
    /// S_DISABILITY_LABOUR: grades 1..=this are severe.
    pub severe_disability_max_grade: u8,
}

impl QualityParams {
    /// The national values of domain.md §12.3.
    pub fn national() -> QualityParams {
        QualityParams {
            low_wage_max: Money::from_yuan(100),
            severe_disability_max_grade: 2,
        }
    }

    /// The parameters of a pack. Packs do not carry quality keys yet, so this is the national
    /// values; when `ScreeningThresholds` gains them, they are read here.
    pub fn from_pack(_pack: &PolicyPack) -> QualityParams {
        QualityParams::national()
    }
}

impl Default for QualityParams {
    fn default() -> QualityParams {
        QualityParams::national()
    }
}

/// Which household of the registry holds an ID number (the caller's store lookup, often a map
/// preloaded for the file's IDs).
pub trait RegistryIds: Sync {
    /// The household number of the household that holds `id` now, if any.
    fn household_of(&self, id: &ResidentId) -> Option<String>;
}

impl<F: Fn(&ResidentId) -> Option<String> + Sync> RegistryIds for F {
    fn household_of(&self, id: &ResidentId) -> Option<String> {
        self(id)
    }
}

impl RegistryIds for HashMap<ResidentId, HouseholdNo> {
    fn household_of(&self, id: &ResidentId) -> Option<String> {
        self.get(id).map(|n| n.as_str().to_owned())
    }
}

/// What the checks need besides the households.
#[derive(Clone, Copy, Default)]
pub struct QualityContext<'a> {
    /// The date the policy in force is taken at.
    pub today: Option<NaiveDate>,
    /// The policy book, for per-region parameters; national values without it.
    pub policy: Option<&'a PolicyBook>,
    /// The registry, for duplicates against it (S_DUP_REGISTRY); skipped without it.
    pub registry: Option<&'a dyn RegistryIds>,
}

impl QualityContext<'_> {
    fn params_for(&self, region: &RegionCode) -> QualityParams {
        match (self.policy, self.today) {
            (Some(book), Some(today)) => book
                .in_force(region, today)
                .map(QualityParams::from_pack)
                .unwrap_or_default(),
            _ => QualityParams::national(),
        }
    }
}

/// A member with the file row it came from.
#[derive(Debug, Clone, Copy)]
pub struct MemberRef<'a> {
    pub row: Option<u64>,
    pub person: &'a Person,
}

/// An income record with the file row it came from.
#[derive(Debug, Clone, Copy)]
pub struct IncomeRef<'a> {
    pub row: Option<u64>,
    pub income: &'a IncomeRecord,
}

fn finding(
    code: &'static str,
    household_no: &str,
    rows: Vec<u64>,
    zh: String,
    en: String,
) -> Finding {
    let r = find_rule(code).expect("rule in the catalogue");
    Finding {
        rule: r.code,
        national: r.national,
        severity: r.severity,
        household_no: household_no.to_owned(),
        rows,
        field: r.field,
        message_zh: zh,
        message_en: en,
    }
}

/// The rules over one household on its own (not the duplicate-ID rules, which need all
/// households). Only active members count. Usable on data read from the store (rows none).
pub fn check_household(
    household_no: &str,
    members: &[MemberRef<'_>],
    incomes: &[IncomeRef<'_>],
    params: &QualityParams,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let rows = |ms: &mut dyn Iterator<Item = &MemberRef<'_>>| -> Vec<u64> {
        ms.filter_map(|m| m.row).collect()
    };
    let active: Vec<&MemberRef<'_>> = members.iter().filter(|m| m.person.is_active()).collect();

    // S_HEAD
    let heads: Vec<&MemberRef<'_>> = active
        .iter()
        .copied()
        .filter(|m| m.person.relation == Relation::Head)
        .collect();
    if heads.is_empty() && !active.is_empty() {
        out.push(finding(
            S_HEAD,
            household_no,
            rows(&mut active.iter().copied()),
            format!("户 {household_no} 没有户主"),
            format!("household {household_no} has no head (户主)"),
        ));
    } else if heads.len() > 1 {
        let names: Vec<&str> = heads.iter().map(|m| m.person.name.as_str()).collect();
        out.push(finding(
            S_HEAD,
            household_no,
            rows(&mut heads.iter().copied()),
            format!(
                "户 {household_no} 有 {} 名户主：{}",
                heads.len(),
                names.join("、")
            ),
            format!(
                "household {household_no} has {} heads: {}",
                heads.len(),
                names.join(", ")
            ),
        ));
    }

    for m in &active {
        let p = m.person;
        let row: Vec<u64> = m.row.into_iter().collect();
        // S_SEX
        if let (Some(given), Some(from_id)) = (p.sex, p.id_number.sex())
            && given != from_id
        {
            out.push(finding(
                S_SEX,
                household_no,
                row.clone(),
                format!(
                    "{} 的性别为{}，证件号码显示为{}",
                    p.name,
                    given.zh(),
                    from_id.zh()
                ),
                format!(
                    "{}: sex {} but the ID number says {}",
                    p.name,
                    given.code(),
                    from_id.code()
                ),
            ));
        }
        // S_DISABILITY_LABOUR
        if let Some(g) = p.disability_grade
            && g <= params.severe_disability_max_grade
            && p.labour.is_labour()
        {
            out.push(finding(
                S_DISABILITY_LABOUR,
                household_no,
                row.clone(),
                format!("{} 为 {g} 级残疾，劳动技能却为“{}”", p.name, zh_labour(p)),
                format!(
                    "{}: disability grade {g} recorded with labour {}",
                    p.name,
                    code_labour(p)
                ),
            ));
        }
        // S_GRADE_HEALTH
        if let Some(g) = p.disability_grade
            && p.health != Health::Disabled
        {
            out.push(finding(
                S_GRADE_HEALTH,
                household_no,
                row.clone(),
                format!("{} 的健康状况不是残疾，却填写了残疾等级 {g}", p.name),
                format!(
                    "{}: disability grade {g} but health is not disabled",
                    p.name
                ),
            ));
        }
        // 1_02_003
        if p.major_illness_insurance != Some(true) {
            let (zh, en) = match p.major_illness_insurance {
                Some(_) => ("否", "no"),
                None => ("空", "empty"),
            };
            out.push(finding(
                NO_MAJOR_ILLNESS_INSURANCE,
                household_no,
                row,
                format!("{} 未参加大病保险（是否参加大病保险为{zh}）", p.name),
                format!(
                    "{}: not enrolled in major-illness insurance (value {en})",
                    p.name
                ),
            ));
        }
    }

    // 5_15_020, on the latest income period.
    let ill: Vec<&MemberRef<'_>> = active
        .iter()
        .copied()
        .filter(|m| {
            matches!(
                m.person.health,
                Health::SeriousIllness | Health::ChronicIllness
            )
        })
        .collect();
    if let Some(latest) = incomes.iter().max_by_key(|i| i.income.period_end)
        && !ill.is_empty()
        && latest.income.compliant_out_of_pocket.unwrap_or(Money::ZERO) == Money::ZERO
    {
        let names: Vec<&str> = ill.iter().map(|m| m.person.name.as_str()).collect();
        let r = latest.income;
        out.push(finding(
            ILLNESS_WITHOUT_OUT_OF_POCKET,
            household_no,
            latest.row.into_iter().collect(),
            format!(
                "户 {household_no} 有患病成员（{}），但 {} 至 {} 的合规自付支出为 0",
                names.join("、"),
                r.period_start,
                r.period_end
            ),
            format!(
                "household {household_no} has ill members ({}) but compliant out-of-pocket \
                 spending for {} to {} is 0",
                names.join(", "),
                r.period_start,
                r.period_end
            ),
        ));
    }

    // 5_15_023
    for i in incomes {
        let wage = i.income.wage;
        if wage > Money::ZERO && wage < params.low_wage_max {
            out.push(finding(
                LOW_WAGE_INCOME,
                household_no,
                i.row.into_iter().collect(),
                format!(
                    "户 {household_no} {} 至 {} 的工资性收入为 {wage} 元，在 0 至 {} 元之间",
                    i.income.period_start, i.income.period_end, params.low_wage_max
                ),
                format!(
                    "household {household_no}: wage income {wage} yuan for {} to {} is between 0 and {}",
                    i.income.period_start, i.income.period_end, params.low_wage_max
                ),
            ));
        }
    }
    out
}

fn zh_labour(p: &Person) -> &'static str {
    use uplift_domain::household::Codebook;
    p.labour.zh()
}

fn code_labour(p: &Person) -> &'static str {
    use uplift_domain::household::Codebook;
    p.labour.code()
}

/// Runs the whole catalogue over the households of an import. Findings come household by
/// household, in the order of `households`.
pub fn check_households(households: &[ParsedHousehold], ctx: &QualityContext<'_>) -> Vec<Finding> {
    let mut per: Vec<Vec<Finding>> = Vec::with_capacity(households.len());
    for h in households {
        let members: Vec<MemberRef<'_>> = h
            .members
            .iter()
            .map(|m| MemberRef {
                row: Some(m.row),
                person: &m.person,
            })
            .collect();
        let incomes: Vec<IncomeRef<'_>> = h
            .incomes
            .iter()
            .map(|i| IncomeRef {
                row: Some(i.row),
                income: &i.income,
            })
            .collect();
        let params = ctx.params_for(&h.household.region);
        per.push(check_household(
            h.household_no(),
            &members,
            &incomes,
            &params,
        ));
    }

    // Duplicate ID numbers within the file: first occurrence, then the repeats.
    let mut first: HashMap<&ResidentId, (usize, u64)> = HashMap::new();
    let mut repeats: Vec<(&ResidentId, usize, u64)> = Vec::new();
    for (hi, h) in households.iter().enumerate() {
        for m in h.members.iter().filter(|m| m.person.is_active()) {
            let id = &m.person.id_number;
            if first.contains_key(id) {
                repeats.push((id, hi, m.row));
            } else {
                first.insert(id, (hi, m.row));
            }
        }
    }
    let mut occurrences: HashMap<&ResidentId, Vec<(usize, u64)>> = HashMap::new();
    for (id, hi, row) in repeats {
        occurrences
            .entry(id)
            .or_insert_with(|| vec![first[id]])
            .push((hi, row));
    }
    let mut dup_ids: Vec<&ResidentId> = occurrences.keys().copied().collect();
    dup_ids.sort();
    for id in dup_ids {
        let occ = &occurrences[id];
        let mut hh: Vec<usize> = occ.iter().map(|(h, _)| *h).collect();
        hh.sort_unstable();
        hh.dedup();
        let masked = id.masked();
        for &hi in &hh {
            let no = households[hi].household_no();
            let rows: Vec<u64> = occ
                .iter()
                .filter(|(h, _)| *h == hi)
                .map(|(_, r)| *r)
                .collect();
            if rows.len() > 1 {
                per[hi].push(finding(
                    S_DUP_FILE,
                    no,
                    rows.clone(),
                    format!("证件号码 {masked} 在户 {no} 中出现 {} 次", rows.len()),
                    format!(
                        "ID number {masked} appears {} times in household {no}",
                        rows.len()
                    ),
                ));
            }
            if hh.len() > 1 {
                let others: Vec<&str> = hh
                    .iter()
                    .filter(|&&o| o != hi)
                    .map(|&o| households[o].household_no())
                    .collect();
                per[hi].push(finding(
                    S_TWO_HOUSEHOLDS,
                    no,
                    rows,
                    format!(
                        "证件号码 {masked} 同时出现在户 {no} 和户 {}",
                        others.join("、")
                    ),
                    format!(
                        "ID number {masked} is in household {no} and also in household {}",
                        others.join(", ")
                    ),
                ));
            }
        }
    }

    // Duplicates against the registry.
    if let Some(registry) = ctx.registry {
        for (hi, h) in households.iter().enumerate() {
            let no = h.household_no();
            for m in h.members.iter().filter(|m| m.person.is_active()) {
                if let Some(other) = registry.household_of(&m.person.id_number)
                    && other != no
                {
                    let masked = m.person.id_number.masked();
                    per[hi].push(finding(
                        S_DUP_REGISTRY,
                        no,
                        vec![m.row],
                        format!("证件号码 {masked} 已登记在户 {other}，不能再登记在户 {no}"),
                        format!(
                            "ID number {masked} is already registered to household {other}, not {no}"
                        ),
                    ));
                }
            }
        }
    }
    per.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::registry::{attach_incomes, parse_incomes, parse_registry};
    use crate::import::table::{FileKind, Table};
    use crate::synth::{self, SynthFile};
    use uplift_domain::region::Region;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()
    }

    fn synth(households: u32, seed: u64, with_errors: bool) -> synth::Synth {
        let mut villages = Vec::new();
        for t in 0..6 {
            for n in 0..10 {
                villages.push(Region {
                    code: RegionCode::parse(&format!("431026{:03}{:03}", 100 + t, 201 + n))
                        .unwrap(),
                    name: format!("第{t}{n}村"),
                });
            }
        }
        let config = synth::SynthConfig {
            county: RegionCode::parse("431026").unwrap(),
            households,
            seed,
            today: today(),
            monitoring_line: Money::from_yuan(7_500),
            with_errors,
        };
        synth::generate(&config, &villages).unwrap()
    }

    struct Parsed {
        households: Vec<ParsedHousehold>,
        issues: Vec<crate::import::ImportIssue>,
    }

    fn parse(s: &synth::Synth, english: bool) -> Parsed {
        let reg = synth::registry_csv(s, english);
        let inc = synth::income_csv(s, english);
        let mut t = Table::from_bytes("reg.csv", FileKind::Csv, reg.into_bytes()).unwrap();
        let mut r = parse_registry(&mut t, today()).unwrap();
        let mut t = Table::from_bytes("inc.csv", FileKind::Csv, inc.into_bytes()).unwrap();
        let i = parse_incomes(&mut t).unwrap();
        let unmatched = attach_incomes(&mut r.households, i.incomes);
        assert!(unmatched.is_empty());
        let mut issues = r.issues;
        issues.extend(i.issues);
        Parsed {
            households: r.households,
            issues,
        }
    }

    #[test]
    fn the_catalogue_is_unique_and_complete() {
        let mut codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), RULES.len());
        for r in RULES {
            assert!(!r.name_zh.is_empty() && !r.name_en.is_empty() && !r.field.is_empty());
        }
        assert_eq!(find_rule("5_15_023").unwrap().national, Some("5_15_023"));
        assert_eq!(QualityParams::default().low_wage_max, Money::from_yuan(100));
    }

    #[test]
    fn a_clean_synthetic_registry_has_no_findings() {
        let s = synth(2_000, 17, false);
        let p = parse(&s, false);
        assert!(p.issues.is_empty());
        let registry: HashMap<ResidentId, HouseholdNo> = s
            .households
            .iter()
            .flat_map(|h| {
                h.members
                    .iter()
                    .map(|m| (m.id_number.clone(), h.household.household_no.clone()))
            })
            .collect();
        let ctx = QualityContext {
            today: Some(today()),
            policy: None,
            registry: Some(&registry),
        };
        let findings = check_households(&p.households, &ctx);
        assert!(
            findings.is_empty(),
            "{:#?}",
            &findings[..findings.len().min(5)]
        );
    }

    #[test]
    fn every_injected_error_is_an_issue_or_a_finding() {
        for (seed, english) in [(5, false), (6, true), (99, false)] {
            let s = synth(2_000, seed, true);
            let p = parse(&s, english);
            let findings = check_households(&p.households, &QualityContext::default());
            for e in &s.errors {
                let as_issue = p.issues.iter().any(|i| {
                    i.household_no == e.household_no
                        && i.row == e.row
                        && i.file
                            == match e.file {
                                SynthFile::Registry => "reg.csv",
                                SynthFile::Income => "inc.csv",
                            }
                });
                let as_finding = findings
                    .iter()
                    .any(|f| f.household_no == e.household_no && f.rows.contains(&e.row));
                assert!(as_issue || as_finding, "not caught: {e:?}");
                let want = match e.kind {
                    synth::ErrorKind::DuplicateIdNumber => Some(S_TWO_HOUSEHOLDS),
                    synth::ErrorKind::TwoHeads | synth::ErrorKind::NoHead => Some(S_HEAD),
                    synth::ErrorKind::LowWageIncome => Some(LOW_WAGE_INCOME),
                    synth::ErrorKind::IllnessWithoutOutOfPocket => {
                        Some(ILLNESS_WITHOUT_OUT_OF_POCKET)
                    }
                    synth::ErrorKind::NoMajorIllnessInsurance => Some(NO_MAJOR_ILLNESS_INSURANCE),
                    synth::ErrorKind::DisabilityContradictsLabour => Some(S_DISABILITY_LABOUR),
                    _ => None,
                };
                if let Some(code) = want {
                    assert!(
                        findings.iter().any(|f| f.rule == code
                            && f.household_no == e.household_no
                            && f.rows.contains(&e.row)),
                        "{code} not found for {e:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn duplicates_against_the_registry_and_within_a_household() {
        let s = synth(50, 3, false);
        let mut p = parse(&s, false);
        // Repeat the first member of household 0 inside it.
        let copy = p.households[0].members[0].clone();
        let mut copy2 = copy.clone();
        copy2.row = 999;
        copy2.person.relation = Relation::Other;
        p.households[0].members.push(copy2);
        let target = copy.person.id_number.clone();
        let lookup = move |id: &ResidentId| (*id == target).then(|| "OTHER-1".to_owned());
        let ctx = QualityContext {
            today: Some(today()),
            policy: None,
            registry: Some(&lookup),
        };
        let f = check_households(&p.households, &ctx);
        let codes: Vec<(&str, &[u64])> = f.iter().map(|f| (f.rule, f.rows.as_slice())).collect();
        let row = copy.row;
        assert_eq!(
            codes,
            [
                (S_DUP_FILE, &[row, 999][..]),
                (S_DUP_REGISTRY, &[row][..]),
                (S_DUP_REGISTRY, &[999][..]),
            ]
        );
        assert!(
            f[1].message_en
                .contains("already registered to household OTHER-1")
        );
        assert!(
            !f[1].message_en.contains(copy.person.id_number.as_str()),
            "masked"
        );
        assert_eq!(f[0].severity, Severity::Error);
    }

    #[test]
    fn sex_and_grade_rules_on_store_data() {
        let s = synth(200, 8, false);
        let h = &s.households[0];
        let mut person = h.members[0].clone();
        person.sex = person.sex.map(|x| match x {
            uplift_domain::resident_id::Sex::Male => uplift_domain::resident_id::Sex::Female,
            uplift_domain::resident_id::Sex::Female => uplift_domain::resident_id::Sex::Male,
        });
        person.disability_grade = Some(3);
        person.health = Health::Healthy;
        let members = [MemberRef {
            row: None,
            person: &person,
        }];
        let f = check_household("H1", &members, &[], &QualityParams::national());
        let codes: Vec<&str> = f.iter().map(|f| f.rule).collect();
        assert_eq!(codes, [S_SEX, S_GRADE_HEALTH]);
        assert!(f[0].rows.is_empty());
        // A departed member does not count.
        person.status = uplift_domain::household::MemberStatus::Died;
        let members = [MemberRef {
            row: None,
            person: &person,
        }];
        assert!(check_household("H1", &members, &[], &QualityParams::national()).is_empty());
    }
}
