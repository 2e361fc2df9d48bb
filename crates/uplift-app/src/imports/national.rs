//! The monitoring objects in the national information system's layout
//! (`uplift export national`, domain.md §12.2).
//!
//! One row per active member of every household that is a monitoring object on the date read:
//! identified by an approved identification case (monitored, eliminated under watch, or rolled
//! back), per [`monitoring_status`]. Households never identified are left out. The columns are
//! [`NATIONAL_COLUMNS`]: the household fields of §12.2 in its order, then the village and
//! address, then the person fields of §12.2 in its order with the other registry fields beside
//! them. Months are `YYYYMM`, as the national system writes them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uplift_domain::case::{Case, MonitoringStatus, monitoring_status};
use uplift_domain::household::{Codebook, Household, Person};
use uplift_domain::policy::PolicyPack;

use crate::App;
use crate::cases::CaseFilter;
use crate::store::{HouseholdFilter, HouseholdId, StoreError};

/// A column of the national layout: its Chinese header and its English one.
#[derive(Debug, Clone, Copy)]
pub struct NationalColumn {
    pub zh: &'static str,
    pub en: &'static str,
}

const fn col(zh: &'static str, en: &'static str) -> NationalColumn {
    NationalColumn { zh, en }
}

/// The household risks the national system holds (致贫/返贫风险1–5).
pub const MAX_RISK_COLUMNS: usize = 5;

/// The columns, in the order of the national system's export (domain.md §12.2).
pub const NATIONAL_COLUMNS: &[NationalColumn] = &[
    col("户编号", "household_no"),
    col("户类型", "household_type"),
    col("监测对象类别", "monitoring_category"),
    col("致贫/返贫风险1", "risk_1"),
    col("致贫/返贫风险2", "risk_2"),
    col("致贫/返贫风险3", "risk_3"),
    col("致贫/返贫风险4", "risk_4"),
    col("致贫/返贫风险5", "risk_5"),
    col("识别监测时间", "identified_month"),
    col("风险是否已消除", "risk_eliminated"),
    col("风险消除方式", "elimination_type"),
    col("消除监测时间", "eliminated_month"),
    col("行政区划代码", "region_code"),
    col("详细地址", "address"),
    col("姓名", "name"),
    col("证件号码", "id_number"),
    col("与户主关系", "relation"),
    col("性别", "sex"),
    col("文化程度", "education"),
    col("在校生状况", "schooling"),
    col("健康状况", "health"),
    col("残疾等级", "disability_grade"),
    col("劳动技能", "labour"),
    col("是否参加大病保险", "major_illness_insurance"),
    col("联系电话", "phone"),
];

/// The index of a column by its English name.
pub fn national_index(en: &str) -> Option<usize> {
    NATIONAL_COLUMNS.iter().position(|c| c.en == en)
}

fn month(d: NaiveDate) -> String {
    d.format("%Y%m").to_string()
}

/// One member of a monitored household as a row of [`NATIONAL_COLUMNS`]. `pack` gives the
/// Chinese labels of the category and the risk types (codes when it is absent or `en`).
pub fn national_row(
    h: &Household,
    p: &Person,
    status: &MonitoringStatus,
    pack: Option<&PolicyPack>,
    en: bool,
) -> Vec<String> {
    let yes_no = |b: bool| match (b, en) {
        (true, false) => "是",
        (false, false) => "否",
        (true, true) => "yes",
        (false, true) => "no",
    };
    let category = |code: &str| match pack.and_then(|p| p.category(code)) {
        Some(c) if !en => c.zh.clone(),
        _ => code.to_owned(),
    };
    let risk = |code: &str| match pack.and_then(|p| p.risk_type(code)) {
        Some(r) if !en => r.zh.clone(),
        _ => code.to_owned(),
    };
    let (cat, risks, identified, eliminated, kind, eliminated_on): (
        String,
        Vec<String>,
        Option<NaiveDate>,
        bool,
        String,
        Option<NaiveDate>,
    ) = match status {
        MonitoringStatus::NotMonitored => (String::new(), vec![], None, false, String::new(), None),
        MonitoringStatus::Monitored {
            identified_on,
            category: c,
            risks: r,
        } => (
            category(c),
            r.iter().map(|c| risk(c)).collect(),
            Some(*identified_on),
            false,
            String::new(),
            None,
        ),
        MonitoringStatus::Eliminated {
            identified_on,
            eliminated_on,
            kind,
        } => (
            String::new(),
            vec![],
            Some(*identified_on),
            true,
            if en { kind.code() } else { kind.zh() }.to_owned(),
            Some(*eliminated_on),
        ),
        MonitoringStatus::RolledBack { identified_on, .. } => (
            String::new(),
            vec![],
            Some(*identified_on),
            false,
            String::new(),
            None,
        ),
    };
    let mut row = vec![
        h.household_no.as_str().to_owned(),
        if en {
            h.household_type.code()
        } else {
            h.household_type.zh()
        }
        .to_owned(),
        cat,
    ];
    for i in 0..MAX_RISK_COLUMNS {
        row.push(risks.get(i).cloned().unwrap_or_default());
    }
    row.extend([
        identified.map(month).unwrap_or_default(),
        yes_no(eliminated).to_owned(),
        kind,
        eliminated_on.map(month).unwrap_or_default(),
    ]);
    row.extend(super::export::registry_row(h, p, en).into_iter().skip(2));
    row
}

/// The monitoring status on `as_of` of every household of the filter's scope and region that
/// has been identified; approvals after `as_of` are not yet in force.
pub async fn statuses(
    app: &App,
    filter: &HouseholdFilter,
    as_of: NaiveDate,
) -> Result<BTreeMap<HouseholdId, MonitoringStatus>, StoreError> {
    let records = app
        .store
        .list_cases(&CaseFilter {
            scope: filter.scope.clone(),
            region: filter.region,
            stage: None,
            household: None,
        })
        .await?;
    let mut per_household: BTreeMap<HouseholdId, Vec<Case>> = BTreeMap::new();
    for r in records {
        // A case that does not fold is a store fault, reported by `uplift check`; skip it here.
        if let Ok(mut c) = r.case() {
            if c.approval.as_ref().is_some_and(|(on, _)| *on > as_of) {
                c.approval = None;
            }
            per_household.entry(r.household).or_default().push(c);
        }
    }
    Ok(per_household
        .into_iter()
        .map(|(h, cases)| (h, monitoring_status(&cases)))
        .filter(|(_, s)| *s != MonitoringStatus::NotMonitored)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// domain.md §12.2, household then person fields, in the shared doc's order; the national
    /// columns must hold each of them in that order.
    const SHARED_DOC_ORDER: &[&str] = &[
        "户编号",
        "户类型",
        "监测对象类别",
        "致贫/返贫风险1",
        "致贫/返贫风险5",
        "识别监测时间",
        "风险是否已消除",
        "风险消除方式",
        "消除监测时间",
        "证件号码",
        "与户主关系",
        "文化程度",
        "在校生状况",
        "健康状况",
        "劳动技能",
        "是否参加大病保险",
    ];

    #[test]
    fn columns_follow_the_national_order() {
        let zh: Vec<&str> = NATIONAL_COLUMNS.iter().map(|c| c.zh).collect();
        let mut at = 0;
        for want in SHARED_DOC_ORDER {
            let found = zh[at..]
                .iter()
                .position(|c| c == want)
                .unwrap_or_else(|| panic!("{want} missing or out of order in {zh:?}"));
            at += found + 1;
        }
        assert_eq!(zh.len(), 25);
        assert_eq!(zh[0], "户编号");
        assert_eq!(
            zh[3..8],
            [
                "致贫/返贫风险1",
                "致贫/返贫风险2",
                "致贫/返贫风险3",
                "致贫/返贫风险4",
                "致贫/返贫风险5"
            ]
        );
        assert_eq!(national_index("id_number"), Some(15));
        assert_eq!(national_index("phone"), Some(NATIONAL_COLUMNS.len() - 1));
        let mut en: Vec<&str> = NATIONAL_COLUMNS.iter().map(|c| c.en).collect();
        en.sort_unstable();
        en.dedup();
        assert_eq!(en.len(), NATIONAL_COLUMNS.len(), "English names are unique");
    }
}
