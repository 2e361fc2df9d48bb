//! The data-quality rules over the stored registry of a region: counts by rule, the households
//! behind each count, and the county ledger (台账) as a sheet.

use std::collections::HashMap;

use uplift_domain::access::Action;
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::App;
use crate::access::{AccessDenied, Principal};
use crate::imports::sheet::Sheet;
use crate::quality::{
    self, Finding, IncomeRef, MemberRef, QualityParams, RULES, Rule, S_TWO_HOUSEHOLDS, Severity,
};
use crate::store::{HouseholdFilter, HouseholdId, StoreError};

/// One finding in one stored household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFinding {
    pub household: HouseholdId,
    pub region: RegionCode,
    pub finding: Finding,
}

/// The rules over a region's households at a point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub households: u64,
    /// Every rule of the catalogue with how many households break it (zero included).
    pub counts: Vec<(&'static Rule, u64)>,
    pub findings: Vec<StoredFinding>,
}

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks every household of `region` (inside the principal's scope) against the catalogue.
pub async fn survey(
    app: &App,
    by: &Principal,
    region: Option<RegionCode>,
    at: ReadAt,
) -> Result<Survey, SurveyError> {
    by.require(Action::ReadRegistry)?;
    let mut filter = HouseholdFilter::everything();
    filter.scope = by.scope();
    filter.region = region;
    let details = app.store.export_households(&filter, at).await?;
    let mut findings = Vec::new();
    // Who holds each active ID number, for a member in two households.
    let mut holders: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, d) in details.iter().enumerate() {
        for m in d.members.iter().filter(|m| m.person.value.is_active()) {
            holders
                .entry(m.person.value.id_number.as_str())
                .or_default()
                .push(i);
        }
    }
    for (i, d) in details.iter().enumerate() {
        let household = &d.household.value;
        let params = app
            .policy
            .in_force(&household.region, at.as_of)
            .map(QualityParams::from_pack)
            .unwrap_or_default();
        let members: Vec<MemberRef<'_>> = d
            .members
            .iter()
            .map(|m| MemberRef {
                row: None,
                person: &m.person.value,
            })
            .collect();
        let incomes: Vec<IncomeRef<'_>> = d
            .incomes
            .iter()
            .map(|e| IncomeRef {
                row: None,
                income: &e.income.value,
            })
            .collect();
        let no = household.household_no.as_str();
        for finding in quality::check_household(no, &members, &incomes, &params) {
            findings.push(StoredFinding {
                household: d.id,
                region: household.region,
                finding,
            });
        }
        for m in d.members.iter().filter(|m| m.person.value.is_active()) {
            let id = m.person.value.id_number.as_str();
            let others: Vec<&str> = holders[id]
                .iter()
                .filter(|j| **j != i)
                .map(|j| details[*j].household.value.household_no.as_str())
                .collect();
            if others.is_empty() {
                continue;
            }
            let rule = quality::find_rule(S_TWO_HOUSEHOLDS);
            findings.push(StoredFinding {
                household: d.id,
                region: household.region,
                finding: Finding {
                    rule: S_TWO_HOUSEHOLDS,
                    national: rule.and_then(|r| r.national),
                    severity: rule.map(|r| r.severity).unwrap_or(Severity::Error),
                    household_no: no.to_owned(),
                    rows: Vec::new(),
                    field: "id_number",
                    message_zh: format!(
                        "{} 同时是户 {} 的成员",
                        m.person.value.name,
                        others.join("、")
                    ),
                    message_en: format!(
                        "{} is also a member of household {}",
                        m.person.value.name,
                        others.join(", ")
                    ),
                },
            });
        }
    }
    let counts = RULES
        .iter()
        .map(|r| {
            let mut households: Vec<HouseholdId> = findings
                .iter()
                .filter(|f| f.finding.rule == r.code)
                .map(|f| f.household)
                .collect();
            households.sort_by_key(|h| h.0);
            households.dedup();
            (r, households.len() as u64)
        })
        .collect();
    Ok(Survey {
        households: details.len() as u64,
        counts,
        findings,
    })
}

/// The ledger (台账): one line per finding, Chinese or English headers.
pub fn ledger(survey: &Survey, english: bool) -> Sheet {
    let headers: Vec<String> = if english {
        [
            "region_code",
            "household_no",
            "rule",
            "national_rule",
            "severity",
            "field",
            "message",
        ]
    } else {
        [
            "行政区划代码",
            "户编号",
            "规则",
            "国家规则编码",
            "级别",
            "字段",
            "问题说明",
        ]
    }
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut rows: Vec<Vec<String>> = survey
        .findings
        .iter()
        .map(|f| {
            vec![
                f.region.to_string(),
                f.finding.household_no.clone(),
                f.finding.rule.to_owned(),
                f.finding.national.unwrap_or("").to_owned(),
                match (f.finding.severity, english) {
                    (Severity::Error, false) => "错误".to_owned(),
                    (Severity::Warning, false) => "警告".to_owned(),
                    (Severity::Error, true) => "error".to_owned(),
                    (Severity::Warning, true) => "warning".to_owned(),
                },
                f.finding.field.to_owned(),
                if english {
                    f.finding.message_en.clone()
                } else {
                    f.finding.message_zh.clone()
                },
            ]
        })
        .collect();
    // The same data gives the same file.
    rows.sort();
    Sheet {
        name: if english {
            "ledger"
        } else {
            "数据质量台账"
        }
        .to_owned(),
        headers,
        rows,
        note: None,
    }
}
