//! Concentrated screening campaigns (集中排查, domain.md §5.1, §10) and the sampling of assessors.
//!
//! A campaign's scope is either every household or the "eight must-visit" groups (八必访),
//! selected by the pack's `[[must_visit]]` rules over the registry. A rule is a conjunction of
//! conditions on the household, its active members and its latest income records; a household is
//! on the list when any rule matches, and the list says which rules matched. The rules are data;
//! this module only evaluates them.

use crate::household::{
    Codebook, Health, Household, HouseholdType, Labour, MemberStatus, Person, Schooling,
};
use crate::income::{IncomeRecord, Money};
use crate::policy::OutOfPocketRule;

/// One condition of a must-visit rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The household's type is one of these.
    HouseholdType(Vec<HouseholdType>),
    /// Some active member's health is one of these.
    MemberHealth(Vec<Health>),
    /// Some active member holds a disability grade at or below this (1 is the most severe).
    DisabilityMaxGrade(u8),
    /// At least `min_members` active members are schooling in one of these stages.
    MemberSchooling {
        schooling: Vec<Schooling>,
        min_members: u8,
    },
    /// Every active member's labour is one of these.
    AllMembersLabour(Vec<Labour>),
    /// At most this many active members (1: a person living alone).
    MaxActiveMembers(u8),
    /// The latest income record's per-capita net income is below this percentage of the line.
    IncomeBelowLinePercent(u16),
    /// The latest household net income fell by at least this percentage from the record before.
    IncomeDropPercent(u8),
    /// Wages make up at least this percentage of the latest record's gross income.
    WageSharePercent(u8),
}

/// A must-visit group of the pack (`[[must_visit]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MustVisitRule {
    pub code: String,
    pub zh: String,
    pub en: String,
    /// All must hold; never empty (the loader refuses an empty rule).
    pub conditions: Vec<Condition>,
}

/// What the rules read of one household.
#[derive(Debug, Clone, Copy)]
pub struct HouseholdFacts<'a> {
    pub household: &'a Household,
    /// Its members (any status; only active ones count).
    pub members: &'a [Person],
    /// Its income records, newest period first.
    pub incomes: &'a [IncomeRecord],
}

/// What the income conditions need from the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncomeRule {
    pub line: Money,
    pub out_of_pocket: OutOfPocketRule,
}

impl Condition {
    pub fn holds(&self, facts: &HouseholdFacts<'_>, income: IncomeRule) -> bool {
        let active = || {
            facts
                .members
                .iter()
                .filter(|p| p.status == MemberStatus::Active)
        };
        match self {
            Condition::HouseholdType(types) => types.contains(&facts.household.household_type),
            Condition::MemberHealth(health) => active().any(|p| health.contains(&p.health)),
            Condition::DisabilityMaxGrade(max) => {
                active().any(|p| p.disability_grade.is_some_and(|g| g >= 1 && g <= *max))
            }
            Condition::MemberSchooling {
                schooling,
                min_members,
            } => {
                let n = active()
                    .filter(|p| p.schooling.is_some_and(|s| schooling.contains(&s)))
                    .count();
                n >= usize::from(*min_members)
            }
            Condition::AllMembersLabour(labour) => {
                let mut any = false;
                for p in active() {
                    any = true;
                    if !labour.contains(&p.labour) {
                        return false;
                    }
                }
                any
            }
            Condition::MaxActiveMembers(max) => {
                let n = active().count();
                n >= 1 && n <= usize::from(*max)
            }
            Condition::IncomeBelowLinePercent(percent) => {
                let n = u32::try_from(active().count()).unwrap_or(u32::MAX);
                facts
                    .incomes
                    .first()
                    .and_then(|r| r.per_capita_net(n, income.out_of_pocket))
                    .is_some_and(|pc| pc.fen() * 100 < income.line.fen() * i64::from(*percent))
            }
            Condition::IncomeDropPercent(percent) => match facts.incomes {
                [latest, previous, ..] => {
                    let (now, before) = (
                        latest.net(income.out_of_pocket).fen(),
                        previous.net(income.out_of_pocket).fen(),
                    );
                    before > 0 && (before - now) * 100 >= before * i64::from(*percent)
                }
                _ => false,
            },
            Condition::WageSharePercent(percent) => facts.incomes.first().is_some_and(|r| {
                let gross = r.gross().fen();
                gross > 0 && r.wage.fen() * 100 >= gross * i64::from(*percent)
            }),
        }
    }

    /// The condition in the pack's words (`member_health = ["serious_illness"]`).
    pub fn describe(&self) -> String {
        fn codes<T: Codebook>(items: &[T]) -> String {
            let quoted: Vec<String> = items.iter().map(|i| format!("{:?}", i.code())).collect();
            format!("[{}]", quoted.join(", "))
        }
        match self {
            Condition::HouseholdType(t) => format!("household_type = {}", codes(t)),
            Condition::MemberHealth(h) => format!("member_health = {}", codes(h)),
            Condition::DisabilityMaxGrade(g) => format!("disability_max_grade = {g}"),
            Condition::MemberSchooling {
                schooling,
                min_members,
            } => format!(
                "member_schooling = {}, min_schooling_members = {min_members}",
                codes(schooling)
            ),
            Condition::AllMembersLabour(l) => format!("all_members_labour = {}", codes(l)),
            Condition::MaxActiveMembers(n) => format!("max_active_members = {n}"),
            Condition::IncomeBelowLinePercent(p) => format!("income_below_line_percent = {p}"),
            Condition::IncomeDropPercent(p) => format!("income_drop_percent = {p}"),
            Condition::WageSharePercent(p) => format!("wage_share_percent = {p}"),
        }
    }
}

impl MustVisitRule {
    pub fn matches(&self, facts: &HouseholdFacts<'_>, income: IncomeRule) -> bool {
        !self.conditions.is_empty() && self.conditions.iter().all(|c| c.holds(facts, income))
    }
}

/// The codes of the rules a household matches, in the pack's order.
pub fn must_visit_groups<'r>(
    rules: &'r [MustVisitRule],
    facts: &HouseholdFacts<'_>,
    income: IncomeRule,
) -> Vec<&'r str> {
    rules
        .iter()
        .filter(|r| r.matches(facts, income))
        .map(|r| r.code.as_str())
        .collect()
}

/// The scope of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignScope {
    /// Every household of the county (全面排查).
    AllHouseholds,
    /// The households any must-visit rule selects (八必访).
    MustVisit,
}

impl CampaignScope {
    pub const ALL: [CampaignScope; 2] = [CampaignScope::AllHouseholds, CampaignScope::MustVisit];

    pub fn code(self) -> &'static str {
        match self {
            CampaignScope::AllHouseholds => "all_households",
            CampaignScope::MustVisit => "must_visit",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignScope> {
        CampaignScope::ALL.into_iter().find(|c| c.code() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            CampaignScope::AllHouseholds => "全体农户",
            CampaignScope::MustVisit => "八必访对象",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            CampaignScope::AllHouseholds => "Every household",
            CampaignScope::MustVisit => "Eight must-visit groups",
        }
    }
}

/// What a campaign visit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VisitOutcome {
    /// Visited; no risk of a return to poverty found.
    NoRisk,
    /// A risk was found: the visit records a clue (and opens a case).
    RiskFound,
    /// Nobody at home or moved away: not covered.
    NotReached,
}

impl VisitOutcome {
    pub const ALL: [VisitOutcome; 3] = [
        VisitOutcome::NoRisk,
        VisitOutcome::RiskFound,
        VisitOutcome::NotReached,
    ];

    pub fn code(self) -> &'static str {
        match self {
            VisitOutcome::NoRisk => "no_risk",
            VisitOutcome::RiskFound => "risk_found",
            VisitOutcome::NotReached => "not_reached",
        }
    }

    pub fn parse(s: &str) -> Option<VisitOutcome> {
        VisitOutcome::ALL.into_iter().find(|c| c.code() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            VisitOutcome::NoRisk => "未发现风险",
            VisitOutcome::RiskFound => "发现风险",
            VisitOutcome::NotReached => "未入户",
        }
    }

    /// Whether the household counts as covered.
    pub fn covers(self) -> bool {
        !matches!(self, VisitOutcome::NotReached)
    }
}

/// Parameters of the assessors' sample (`[sampling]`, domain.md §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplingRules {
    /// Villages drawn per county.
    pub villages_per_county: u32,
    /// Households drawn per county, from the drawn villages.
    pub households_per_county: u32,
    /// What the household sample is stratified by: `none`, `household_type` or `category`
    /// (the monitoring category of identified households, the household type otherwise).
    pub stratify_by: Stratification,
    /// Each non-empty stratum gets at least this many (if it has them).
    pub min_per_stratum: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stratification {
    None,
    HouseholdType,
    Category,
}

impl Stratification {
    pub const ALL: [Stratification; 3] = [
        Stratification::None,
        Stratification::HouseholdType,
        Stratification::Category,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Stratification::None => "none",
            Stratification::HouseholdType => "household_type",
            Stratification::Category => "category",
        }
    }

    pub fn parse(s: &str) -> Option<Stratification> {
        Stratification::ALL.into_iter().find(|c| c.key() == s)
    }
}

/// Splits `total` draws over strata of the given sizes in proportion to their size (largest
/// remainder), giving each non-empty stratum at least `min_each` when it has that many, and never
/// more than a stratum holds. The result sums to `min(total, Σ sizes)`.
pub fn allocate(sizes: &[u64], total: u64, min_each: u64) -> Vec<u64> {
    let population: u64 = sizes.iter().sum();
    let total = total.min(population);
    if total == 0 {
        return vec![0; sizes.len()];
    }
    let mut out: Vec<u64> = sizes.iter().map(|&s| s.min(min_each)).collect();
    let floor: u64 = out.iter().sum();
    if floor >= total {
        // The minimums alone reach the total: proportional shares of the minimums, trimmed.
        let mut out = vec![0; sizes.len()];
        let mut left = total;
        for (i, &s) in sizes.iter().enumerate() {
            let take = s.min(min_each).min(left);
            out[i] = take;
            left -= take;
        }
        return out;
    }
    // Proportional shares of the whole total, at least the minimum, capped by the size.
    let mut remainders: Vec<(u64, usize)> = Vec::new();
    for (i, &s) in sizes.iter().enumerate() {
        let exact = u128::from(s) * u128::from(total);
        let share = u64::try_from(exact / u128::from(population)).unwrap_or(u64::MAX);
        let rem = u64::try_from(exact % u128::from(population)).unwrap_or(0);
        out[i] = out[i].max(share).min(s);
        remainders.push((rem, i));
    }
    let mut assigned: u64 = out.iter().sum();
    // Too many (the minimums pushed past the total): take back from the largest strata.
    while assigned > total {
        let Some(i) = (0..sizes.len())
            .filter(|&i| out[i] > sizes[i].min(min_each))
            .max_by_key(|&i| (out[i], std::cmp::Reverse(i)))
        else {
            break;
        };
        out[i] -= 1;
        assigned -= 1;
    }
    // Too few: the largest remainders first, then any stratum with room.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let order: Vec<usize> = remainders
        .iter()
        .map(|&(_, i)| i)
        .chain(0..sizes.len())
        .collect();
    let mut k = 0;
    while assigned < total && k < order.len() * 2 {
        let i = order[k % order.len()];
        if out[i] < sizes[i] {
            out[i] += 1;
            assigned += 1;
        }
        k += 1;
    }
    while assigned < total {
        let Some(i) = (0..sizes.len()).find(|&i| out[i] < sizes[i]) else {
            break;
        };
        out[i] += 1;
        assigned += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::household::{HouseholdNo, Relation};
    use crate::region::RegionCode;
    use crate::resident_id::ResidentId;
    use chrono::NaiveDate;

    fn person(health: Health, labour: Labour, schooling: Option<Schooling>) -> Person {
        Person {
            name: "张三".into(),
            id_number: ResidentId::from_stored("43102619800101001X12").unwrap(),
            relation: Relation::Head,
            sex: None,
            birth_date: None,
            education: None,
            schooling,
            health,
            disability_grade: None,
            labour,
            major_illness_insurance: None,
            phone: None,
            status: MemberStatus::Active,
        }
    }

    fn income(wage: i64, business: i64) -> IncomeRecord {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        IncomeRecord {
            period_start: d("2025-01-01"),
            period_end: d("2025-12-31"),
            wage: Money::from_yuan(wage),
            business: Money::from_yuan(business),
            property: Money::from_yuan(0),
            transfer: Money::from_yuan(0),
            production_costs: Money::from_yuan(0),
            compliant_out_of_pocket: None,
        }
    }

    fn household(t: HouseholdType) -> Household {
        Household::new(
            HouseholdNo::parse("4310261002010001").unwrap(),
            t,
            RegionCode::parse("431026100201").unwrap(),
            None,
        )
        .unwrap()
    }

    const RULE: IncomeRule = IncomeRule {
        line: Money::ZERO,
        out_of_pocket: OutOfPocketRule::Deduct,
    };

    #[test]
    fn each_condition_reads_the_registry() {
        let h = household(HouseholdType::FormerlyPoor);
        let ill = person(Health::SeriousIllness, Labour::Lost, None);
        let pupil = person(
            Health::Healthy,
            Labour::None,
            Some(Schooling::SeniorSecondary),
        );
        let mut left = person(Health::Disabled, Labour::Ordinary, None);
        left.status = MemberStatus::MovedOut;
        left.disability_grade = Some(1);
        let members = [ill, pupil.clone(), pupil, left];
        // Two members left (3 active): 9000 / 3 = 3000 per head, below 150% of 8000.
        let incomes = [income(6000, 3000), income(20000, 0)];
        let facts = HouseholdFacts {
            household: &h,
            members: &members,
            incomes: &incomes,
        };
        let table: Vec<(Condition, bool)> = vec![
            (
                Condition::HouseholdType(vec![HouseholdType::FormerlyPoor]),
                true,
            ),
            (
                Condition::HouseholdType(vec![HouseholdType::Ordinary]),
                false,
            ),
            (Condition::MemberHealth(vec![Health::SeriousIllness]), true),
            (Condition::MemberHealth(vec![Health::Disabled]), false),
            // The disabled member moved out.
            (Condition::DisabilityMaxGrade(2), false),
            (
                Condition::MemberSchooling {
                    schooling: vec![Schooling::SeniorSecondary],
                    min_members: 2,
                },
                true,
            ),
            (
                Condition::MemberSchooling {
                    schooling: vec![Schooling::SeniorSecondary],
                    min_members: 3,
                },
                false,
            ),
            (
                Condition::AllMembersLabour(vec![Labour::Lost, Labour::None]),
                true,
            ),
            (Condition::AllMembersLabour(vec![Labour::Lost]), false),
            (Condition::MaxActiveMembers(1), false),
            (Condition::MaxActiveMembers(3), true),
            (Condition::IncomeBelowLinePercent(150), true),
            // 3000 per head is not below 30% of 8000 (2400).
            (Condition::IncomeBelowLinePercent(30), false),
            // 20000 → 9000: a drop of 55%.
            (Condition::IncomeDropPercent(55), true),
            (Condition::IncomeDropPercent(56), false),
            // 6000 of 9000 gross: 66.7%.
            (Condition::WageSharePercent(66), true),
            (Condition::WageSharePercent(67), false),
        ];
        for (condition, expected) in table {
            let rule = IncomeRule {
                line: Money::from_yuan(8000),
                ..RULE
            };
            assert_eq!(condition.holds(&facts, rule), expected, "{condition:?}");
        }
    }

    #[test]
    fn a_rule_is_a_conjunction_and_a_list_the_union() {
        let h = household(HouseholdType::Ordinary);
        let members = [person(Health::ChronicIllness, Labour::Weak, None)];
        let facts = HouseholdFacts {
            household: &h,
            members: &members,
            incomes: &[],
        };
        let rule = |code: &str, conditions| MustVisitRule {
            code: code.into(),
            zh: code.into(),
            en: code.into(),
            conditions,
        };
        let rules = [
            rule(
                "illness",
                vec![Condition::MemberHealth(vec![Health::ChronicIllness])],
            ),
            rule(
                "alone_poor",
                vec![
                    Condition::MaxActiveMembers(1),
                    Condition::HouseholdType(vec![HouseholdType::FormerlyPoor]),
                ],
            ),
            rule("alone", vec![Condition::MaxActiveMembers(1)]),
            rule("empty", vec![]),
        ];
        assert_eq!(
            must_visit_groups(&rules, &facts, RULE),
            ["illness", "alone"]
        );
    }

    #[test]
    fn allocation_is_proportional_and_sums_to_the_total() {
        assert_eq!(allocate(&[600, 300, 100], 100, 0), vec![60, 30, 10]);
        assert_eq!(allocate(&[1, 1, 1], 2, 0).iter().sum::<u64>(), 2);
        // A small stratum keeps its minimum; the rest is shared in proportion.
        let a = allocate(&[970, 30, 0], 100, 5);
        assert_eq!(a.iter().sum::<u64>(), 100);
        assert!(a[1] >= 5 && a[2] == 0, "{a:?}");
        // Fewer households than asked: all of them.
        assert_eq!(allocate(&[3, 4], 300, 0), vec![3, 4]);
        assert_eq!(allocate(&[], 300, 0), Vec::<u64>::new());
        // Remainders: 2/3 of 10 = 6.67, 1/3 = 3.33.
        assert_eq!(allocate(&[200, 100], 10, 0), vec![7, 3]);
    }
}
