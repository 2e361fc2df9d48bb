//! Risk elimination checked by rule (domain.md §8.1), with the pack's parameters.
//!
//! [`check_elimination`] returns one [`ConditionResult`] per condition, passed or not, each with
//! a Chinese and an English detail, so a cadre sees exactly which condition holds a household back.

use chrono::{Datelike, Months, NaiveDate};

use crate::household::Labour;
use crate::income::Money;
use crate::policy::PolicyPack;

use super::measure::{MeasureFact, check_measures};

/// Income over a period, per capita, as the pack counts it (net, per person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeEvidence {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub per_capita_net: Money,
}

impl IncomeEvidence {
    /// Per-capita net income scaled to a year (the line is per year).
    pub fn annualised(&self) -> Money {
        let days = (self.period_end - self.period_start).num_days() + 1;
        if days <= 0 {
            return Money::ZERO;
        }
        self.per_capita_net.scale(365, days)
    }
}

/// What a visit found on the points elimination asks about; `None` where it did not look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitEvidence {
    pub date: NaiveDate,
    pub income_above_line: Option<bool>,
    pub schooling_ok: Option<bool>,
    pub health_ok: Option<bool>,
    pub housing_ok: Option<bool>,
    pub water_ok: Option<bool>,
}

/// What the rules need to know about a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EliminationFacts {
    /// The county approval date of the identification in force.
    pub identified_on: Option<NaiveDate>,
    pub risks: Vec<String>,
    pub measures: Vec<MeasureFact>,
    pub income: Vec<IncomeEvidence>,
    pub visits: Vec<VisitEvidence>,
    /// The labour of each active member.
    pub labour: Vec<Labour>,
    /// Whether the household is able and willing to work (has labour and wants work).
    pub able_and_willing_to_work: bool,
}

/// One condition's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionResult {
    /// `identified_months`, `measures_in_place`, `measures_match_risks`, `income_stable`,
    /// `guarantees_and_water`, `has_labour`.
    pub code: &'static str,
    pub passed: bool,
    pub detail_zh: String,
    pub detail_en: String,
}

fn result(code: &'static str, passed: bool, zh: String, en: String) -> ConditionResult {
    ConditionResult {
        code,
        passed,
        detail_zh: zh,
        detail_en: en,
    }
}

/// Whole months between two dates counted as the national data counts them: by the months of
/// the dates (YYYYMM), e.g. 2025-02-28 → 2025-08-01 is 6 months.
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (i64::from(to.year()) * 12 + i64::from(to.month()))
        - (i64::from(from.year()) * 12 + i64::from(from.month()))
}

fn yyyymm(d: NaiveDate) -> String {
    format!("{:04}{:02}", d.year(), d.month())
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// Checks every elimination condition of domain.md §8.1 on `today`.
pub fn check_elimination(
    facts: &EliminationFacts,
    pack: &PolicyPack,
    today: NaiveDate,
) -> Vec<ConditionResult> {
    let rules = &pack.elimination;
    let mut out = Vec::new();

    // 1. Identified at least N months ago (rule 2_11_002), counted by month as the national data.
    let need = i64::from(rules.min_months_identified);
    out.push(match facts.identified_on {
        None => result(
            "identified_months",
            false,
            "尚未识别为监测对象".into(),
            "The household has not been identified".into(),
        ),
        Some(on) => {
            let months = months_between(on, today);
            result(
                "identified_months",
                months >= need,
                format!(
                    "识别月份 {} 至 {} 相隔 {months} 个月，须满 {need} 个月",
                    yyyymm(on),
                    yyyymm(today)
                ),
                format!(
                    "Identified in {} and now {}: {months} months; at least {need} needed",
                    yyyymm(on),
                    yyyymm(today)
                ),
            )
        }
    });

    // 2. At least N measures put in place.
    let in_place = facts
        .measures
        .iter()
        .filter(|m| m.started_by(today))
        .count();
    let need = usize::from(rules.min_measures);
    out.push(result(
        "measures_in_place",
        in_place >= need,
        format!("已落实帮扶措施 {in_place} 项，须至少 {need} 项"),
        format!("{in_place} measures in place; at least {need} needed"),
    ));

    // 3. Measures match the risks (domain.md §7.1, §12.3).
    let able = facts.able_and_willing_to_work;
    let mismatches = check_measures(&facts.risks, &facts.measures, able, today);
    out.push(if mismatches.is_empty() {
        result(
            "measures_match_risks",
            true,
            "帮扶措施与风险类型相符".into(),
            "Measures match the risks".into(),
        )
    } else {
        result(
            "measures_match_risks",
            false,
            mismatches
                .iter()
                .map(|m| m.detail_zh.as_str())
                .collect::<Vec<_>>()
                .join("；"),
            mismatches
                .iter()
                .map(|m| m.detail_en.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        )
    });

    // 4. Income stably above the line for the required months, every month covered by evidence.
    out.push(income_stable(facts, pack, today));

    // 5. No unsolved three-guarantees or drinking-water problem, by the latest visit on each.
    out.push(guarantees(facts, today));

    // 6. Not a household with no labour at all (unless the pack allows it).
    let labour = facts.labour.iter().filter(|l| l.is_labour()).count();
    out.push(if rules.no_labour_household_may_eliminate {
        result(
            "has_labour",
            true,
            format!("劳动力 {labour} 人；本政策允许整户无劳动力家庭消除风险"),
            format!("{labour} members with labour; the pack lets no-labour households be eliminated"),
        )
    } else {
        result(
            "has_labour",
            labour > 0,
            format!("有劳动力成员 {labour} 人；整户无劳动力家庭暂不标注风险消除，持续跟踪监测"),
            format!(
                "{labour} members with labour; a household with no labour at all stays under monitoring"
            ),
        )
    });
    out
}

fn income_stable(facts: &EliminationFacts, pack: &PolicyPack, today: NaiveDate) -> ConditionResult {
    let n = u32::from(pack.elimination.min_months_income_stable);
    let line = pack.monitoring_line;
    let this_month = month_start(today);
    let first = this_month - Months::new(n);
    let mut uncovered = Vec::new();
    let mut below = Vec::new();
    for i in 0..n {
        let start = first + Months::new(i);
        let end = (start + Months::new(1)).pred_opt().unwrap_or(start);
        let mut covered = false;
        for r in &facts.income {
            if r.period_start <= end && r.period_end >= start {
                if r.annualised() > line {
                    covered = true;
                } else {
                    below.push(yyyymm(start));
                }
            }
        }
        for v in &facts.visits {
            if v.date >= start && v.date <= end {
                match v.income_above_line {
                    Some(true) => covered = true,
                    Some(false) => below.push(yyyymm(start)),
                    None => {}
                }
            }
        }
        if !covered {
            uncovered.push(yyyymm(start));
        }
    }
    below.dedup();
    let passed = uncovered.is_empty() && below.is_empty();
    let window = format!(
        "{}–{}",
        yyyymm(first),
        yyyymm(this_month.pred_opt().unwrap_or(this_month))
    );
    let mut zh = format!("近 {n} 个月（{window}）人均纯收入须稳定高于监测标准 {line} 元");
    let mut en = format!(
        "Per-capita net income must be stably above the line of {line} yuan for {n} months ({window})"
    );
    if !below.is_empty() {
        zh.push_str(&format!("；低于标准的月份：{}", below.join("、")));
        en.push_str(&format!("; below the line in {}", below.join(", ")));
    }
    if !uncovered.is_empty() {
        zh.push_str(&format!(
            "；无收入记录或走访核实的月份：{}",
            uncovered.join("、")
        ));
        en.push_str(&format!(
            "; no income record or visit finding for {}",
            uncovered.join(", ")
        ));
    }
    result("income_stable", passed, zh, en)
}

fn guarantees(facts: &EliminationFacts, today: NaiveDate) -> ConditionResult {
    type Pick = fn(&VisitEvidence) -> Option<bool>;
    let aspects: [(&str, &str, Pick); 4] = [
        ("义务教育", "compulsory education", |v| v.schooling_ok),
        ("基本医疗", "basic medical care", |v| v.health_ok),
        ("住房安全", "housing safety", |v| v.housing_ok),
        ("饮水安全", "drinking water", |v| v.water_ok),
    ];
    let mut visits: Vec<&VisitEvidence> = facts.visits.iter().filter(|v| v.date <= today).collect();
    visits.sort_by_key(|v| v.date);
    let mut unsolved = Vec::new();
    let mut unchecked = Vec::new();
    for (zh, en, pick) in aspects {
        match visits.iter().rev().find_map(|v| pick(v)) {
            Some(true) => {}
            Some(false) => unsolved.push((zh, en)),
            None => unchecked.push((zh, en)),
        }
    }
    let passed = unsolved.is_empty() && unchecked.is_empty();
    let list = |v: &[(&str, &str)], zh: bool| {
        v.iter()
            .map(|(z, e)| if zh { *z } else { *e })
            .collect::<Vec<_>>()
            .join(if zh { "、" } else { ", " })
    };
    let (mut zh, mut en) = (
        "两不愁三保障及饮水安全持续巩固".to_owned(),
        "Two no-worries, three guarantees and drinking water consolidated".to_owned(),
    );
    if !unsolved.is_empty() {
        zh = format!("最近走访发现未解决的问题：{}", list(&unsolved, true));
        en = format!(
            "The latest visit found unsolved problems: {}",
            list(&unsolved, false)
        );
    }
    if !unchecked.is_empty() {
        zh.push_str(&format!("；尚无走访核实：{}", list(&unchecked, true)));
        en.push_str(&format!(
            "; no visit has checked: {}",
            list(&unchecked, false)
        ));
    }
    result("guarantees_and_water", passed, zh, en)
}

/// Whether a household's members have no labour at all (整户无劳动力, domain.md §8.1).
pub fn no_labour_at_all(labour: &[Labour]) -> bool {
    !labour.iter().any(|l| l.is_labour())
}

/// The codes of the conditions, in the order [`check_elimination`] returns them.
pub const CONDITIONS: [&str; 6] = [
    "identified_months",
    "measures_in_place",
    "measures_match_risks",
    "income_stable",
    "guarantees_and_water",
    "has_labour",
];
