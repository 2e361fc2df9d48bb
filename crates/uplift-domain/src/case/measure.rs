//! The catalogue of assistance measures (domain.md §7.2) and the check that measures match the
//! household's risks (domain.md §7.1, §12.3).

use chrono::NaiveDate;

use crate::household::{Codebook, codebook};
use crate::income::Money;

codebook!(
    /// Measure categories used by the national system and local plans (domain.md §7.2).
    MeasureCategory, "measure_category" {
        Industry = "industry", "产业帮扶";
        Employment = "employment", "就业帮扶";
        PublicWelfarePost = "public_welfare_post", "公益性岗位";
        Finance = "finance", "金融帮扶";
        Health = "health", "健康帮扶/医疗保障";
        Education = "education", "教育帮扶";
        Housing = "housing", "住房安全保障";
        Relocation = "relocation", "易地搬迁";
        Water = "water", "饮水安全保障";
        SafetyNet = "safety_net", "综合保障/兜底";
        Social = "social", "社会帮扶";
        Insurance = "insurance", "防贫保";
        Consumption = "consumption", "消费帮扶";
        Motivation = "motivation", "扶志扶智";
    }
);

impl MeasureCategory {
    pub fn en(self) -> &'static str {
        match self {
            MeasureCategory::Industry => "Industrial",
            MeasureCategory::Employment => "Employment",
            MeasureCategory::PublicWelfarePost => "Public-welfare post",
            MeasureCategory::Finance => "Financial (microcredit)",
            MeasureCategory::Health => "Health / medical security",
            MeasureCategory::Education => "Education",
            MeasureCategory::Housing => "Housing safety",
            MeasureCategory::Relocation => "Relocation",
            MeasureCategory::Water => "Drinking-water safety",
            MeasureCategory::SafetyNet => "Comprehensive guarantee (safety net)",
            MeasureCategory::Social => "Social assistance",
            MeasureCategory::Insurance => "Anti-poverty insurance",
            MeasureCategory::Consumption => "Consumption assistance",
            MeasureCategory::Motivation => "Motivation",
        }
    }

    /// Developmental measures: what a household able and willing to work needs (domain.md §7.1).
    /// Public-welfare posts are a form of employment assistance (domain.md §7.2).
    pub fn is_developmental(self) -> bool {
        matches!(
            self,
            MeasureCategory::Industry
                | MeasureCategory::Employment
                | MeasureCategory::PublicWelfarePost
        )
    }
}

codebook!(
    /// Where a measure's money comes from.
    FundingSource, "funding_source" {
        AssistanceFunds = "assistance_funds", "衔接资金/常态化帮扶资金";
        OtherFiscal = "other_fiscal", "其他财政资金";
        EastWest = "east_west", "东西部协作资金";
        Paired = "paired", "定点帮扶资金";
        Credit = "credit", "金融信贷";
        Social = "social", "社会帮扶资金";
        Household = "household", "农户自筹";
        None = "none", "无资金";
    }
);

/// One measure as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureFact {
    pub category: MeasureCategory,
    pub start: NaiveDate,
    /// The last day it runs; none while open-ended.
    pub end: Option<NaiveDate>,
    pub amount: Money,
}

impl MeasureFact {
    /// Whether the measure is in place on `day`: started, and not yet ended.
    pub fn in_place_on(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|end| end >= day)
    }

    /// Whether the measure has been put in place at all by `day` (it may have ended since).
    pub fn started_by(&self, day: NaiveDate) -> bool {
        self.start <= day
    }
}

/// A measure put in place for a household (domain.md §7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    pub category: MeasureCategory,
    /// What it is, e.g. 「产业奖补：养殖湘西黄牛 2 头」.
    pub name: String,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub amount: Money,
    pub funding: FundingSource,
}

impl Measure {
    pub const NAME_MAX: usize = 200;

    /// Checks the measure's own invariants; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("name: must not be empty".into());
        }
        if self.name.chars().count() > Self::NAME_MAX {
            return Err(format!("name: longer than {} characters", Self::NAME_MAX));
        }
        if let Some(end) = self.end
            && end < self.start
        {
            return Err(format!("end: {end} is before the start {}", self.start));
        }
        if self.amount < Money::ZERO {
            return Err(format!(
                "amount: must not be negative, found {}",
                self.amount
            ));
        }
        Ok(())
    }

    pub fn fact(&self) -> MeasureFact {
        MeasureFact {
            category: self.category,
            start: self.start,
            end: self.end,
            amount: self.amount,
        }
    }
}

/// A visit by a helper or cadre (domain.md §7.3). `None` findings were not looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub date: NaiveDate,
    pub visitor: String,
    pub income_above_line: Option<bool>,
    pub health_ok: Option<bool>,
    pub schooling_ok: Option<bool>,
    pub work_ok: Option<bool>,
    pub housing_ok: Option<bool>,
    pub water_ok: Option<bool>,
    pub findings: String,
    pub problems: String,
    pub follow_ups: String,
    /// A reference to a photo kept beside the database (a path or a content hash).
    pub photo: Option<String>,
}

impl Visit {
    pub const TEXT_MAX: usize = 2000;

    pub fn check(&self, today: NaiveDate) -> Result<(), String> {
        if self.visitor.trim().is_empty() {
            return Err("visitor: must not be empty".into());
        }
        if self.date > today {
            return Err(format!("date: {} is after today {today}", self.date));
        }
        for (field, text) in [
            ("findings", &self.findings),
            ("problems", &self.problems),
            ("follow_ups", &self.follow_ups),
        ] {
            if text.chars().count() > Self::TEXT_MAX {
                return Err(format!(
                    "{field}: longer than {} characters",
                    Self::TEXT_MAX
                ));
            }
        }
        Ok(())
    }

    pub fn evidence(&self) -> super::elimination::VisitEvidence {
        super::elimination::VisitEvidence {
            date: self.date,
            income_above_line: self.income_above_line,
            schooling_ok: self.schooling_ok,
            health_ok: self.health_ok,
            housing_ok: self.housing_ok,
            water_ok: self.water_ok,
        }
    }
}

/// Risk codes of the shipped codebook (domain.md §4.1, [S83][S84]) that the match rules name.
pub const RISK_SCHOOLING: &str = "09";
pub const RISK_HOUSING: &str = "10";
pub const RISK_WATER: &str = "11";

/// A risk left without a matching measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MismatchProblem {
    /// `housing_without_measure`, `water_without_measure`, `schooling_without_measure`,
    /// `able_to_work_without_developmental`.
    pub code: &'static str,
    pub detail_zh: String,
    pub detail_en: String,
}

/// Checks measures against risks (domain.md §7.1, §12.3 rule 5_18_006): a housing risk needs a
/// housing or relocation measure; a water risk a water measure; a schooling risk an education
/// measure; a household able and willing to work at least one industry or employment measure.
/// Measures count if they have been put in place by `on`.
pub fn check_measures(
    risks: &[String],
    measures: &[MeasureFact],
    able_and_willing_to_work: bool,
    on: NaiveDate,
) -> Vec<MismatchProblem> {
    let has = |wanted: &[MeasureCategory]| {
        measures
            .iter()
            .any(|m| m.started_by(on) && wanted.contains(&m.category))
    };
    let risk = |code: &str| risks.iter().any(|r| r == code);
    let mut problems = Vec::new();
    if risk(RISK_HOUSING) && !has(&[MeasureCategory::Housing, MeasureCategory::Relocation]) {
        problems.push(MismatchProblem {
            code: "housing_without_measure",
            detail_zh: "因安全住房风险须落实住房安全保障或搬迁措施".into(),
            detail_en: "A housing-safety risk needs a housing or relocation measure".into(),
        });
    }
    if risk(RISK_WATER) && !has(&[MeasureCategory::Water]) {
        problems.push(MismatchProblem {
            code: "water_without_measure",
            detail_zh: "因安全饮水风险须落实饮水安全保障措施".into(),
            detail_en: "A drinking-water risk needs a water measure".into(),
        });
    }
    if risk(RISK_SCHOOLING) && !has(&[MeasureCategory::Education]) {
        problems.push(MismatchProblem {
            code: "schooling_without_measure",
            detail_zh: "因学风险须落实教育帮扶措施".into(),
            detail_en: "A schooling-cost risk needs an education measure".into(),
        });
    }
    let developmental: Vec<MeasureCategory> = MeasureCategory::ALL
        .iter()
        .copied()
        .filter(|c| c.is_developmental())
        .collect();
    if able_and_willing_to_work && !has(&developmental) {
        problems.push(MismatchProblem {
            code: "able_to_work_without_developmental",
            detail_zh: "有劳动能力和意愿的家庭须至少落实一项产业或就业帮扶措施".into(),
            detail_en: "A household able and willing to work needs at least one industry or employment measure".into(),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn m(category: MeasureCategory, start: &str) -> MeasureFact {
        MeasureFact {
            category,
            start: d(start),
            end: None,
            amount: Money::ZERO,
        }
    }

    fn codes(p: Vec<MismatchProblem>) -> Vec<&'static str> {
        p.into_iter().map(|p| p.code).collect()
    }

    #[test]
    fn housing_risk_needs_housing_or_relocation() {
        let risks = vec!["10".to_owned()];
        let on = d("2026-03-01");
        assert_eq!(
            codes(check_measures(&risks, &[], false, on)),
            ["housing_without_measure"]
        );
        let relocation = [m(MeasureCategory::Relocation, "2026-02-01")];
        assert!(check_measures(&risks, &relocation, false, on).is_empty());
        let housing = [m(MeasureCategory::Housing, "2026-03-01")];
        assert!(check_measures(&risks, &housing, false, on).is_empty());
        // A measure that starts tomorrow is not in place yet.
        let later = [m(MeasureCategory::Housing, "2026-03-02")];
        assert_eq!(
            codes(check_measures(&risks, &later, false, on)),
            ["housing_without_measure"]
        );
        let wrong = [m(MeasureCategory::Water, "2026-01-01")];
        assert_eq!(
            codes(check_measures(&risks, &wrong, false, on)),
            ["housing_without_measure"]
        );
    }

    #[test]
    fn water_and_schooling_risks_need_their_measures() {
        let risks = vec!["11".to_owned(), "09".to_owned()];
        let on = d("2026-03-01");
        assert_eq!(
            codes(check_measures(&risks, &[], false, on)),
            ["water_without_measure", "schooling_without_measure"]
        );
        let both = [
            m(MeasureCategory::Water, "2026-01-01"),
            m(MeasureCategory::Education, "2026-01-01"),
        ];
        assert!(check_measures(&risks, &both, false, on).is_empty());
    }

    #[test]
    fn a_household_able_to_work_needs_a_developmental_measure() {
        let on = d("2026-03-01");
        let safety = [m(MeasureCategory::SafetyNet, "2026-01-01")];
        assert_eq!(
            codes(check_measures(&[], &safety, true, on)),
            ["able_to_work_without_developmental"]
        );
        assert!(check_measures(&[], &safety, false, on).is_empty());
        for c in [
            MeasureCategory::Industry,
            MeasureCategory::Employment,
            MeasureCategory::PublicWelfarePost,
        ] {
            assert!(check_measures(&[], &[m(c, "2026-01-01")], true, on).is_empty());
        }
    }

    #[test]
    fn in_place_counts_start_and_end_days() {
        let mut fact = m(MeasureCategory::Industry, "2026-01-01");
        fact.end = Some(d("2026-06-30"));
        assert!(!fact.in_place_on(d("2025-12-31")));
        assert!(fact.in_place_on(d("2026-01-01")));
        assert!(fact.in_place_on(d("2026-06-30")));
        assert!(!fact.in_place_on(d("2026-07-01")));
    }
}
