//! Versioned policy: one pack per province (optionally per county) and year.
//!
//! A [`PolicyPack`] holds everything that differs by place and year: the monitoring line, the
//! terminology regime, the category and risk-type codebooks, procedure time limits, elimination
//! rules, the industry share of funds and screening thresholds (domain.md §16.1). Packs are data,
//! loaded by `uplift-app`; this module only defines them, checks their invariants and resolves which
//! pack is in force for a region on a date.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::income::Money;
use crate::region::{RegionCode, RegionLevel};

/// How compliant out-of-pocket spending (合规自付支出) counts against income (domain.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfPocketRule {
    /// Subtracted from household net income before dividing by the members.
    Deduct,
    /// Not subtracted; judged beside income as a separate risk signal.
    JudgeBeside,
}

/// Where a pack applies: a whole province, or one county inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PackScope {
    pub province: RegionCode,
    pub county: Option<RegionCode>,
}

impl PackScope {
    /// Whether `region` lies inside this scope.
    pub fn contains(&self, region: &RegionCode) -> bool {
        let inside_county = self.county.is_none_or(|county| county.contains(region));
        self.province.contains(region) && inside_county
    }

    /// The most specific code of the scope: the county if there is one, else the province.
    pub fn code(&self) -> RegionCode {
        self.county.unwrap_or(self.province)
    }
}

/// The terminology regime (domain.md §0): the names of the monitored households and of the funds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminology {
    /// 2021–2025 transition period: 监测对象 and 衔接资金.
    Transition2021,
    /// From 1 January 2026, normalised assistance: 防止返贫致贫对象 and 常态化帮扶资金.
    Normalised2026,
}

impl Terminology {
    pub const ALL: [Terminology; 2] = [Terminology::Transition2021, Terminology::Normalised2026];

    /// The stable key used in policy files: `transition-2021` or `normalised-2026`.
    pub fn key(self) -> &'static str {
        match self {
            Terminology::Transition2021 => "transition-2021",
            Terminology::Normalised2026 => "normalised-2026",
        }
    }

    pub fn parse(s: &str) -> Option<Terminology> {
        Terminology::ALL.into_iter().find(|t| t.key() == s)
    }

    /// The first year the regime applies in.
    pub fn first_year(self) -> i32 {
        match self {
            Terminology::Transition2021 => 2021,
            Terminology::Normalised2026 => 2026,
        }
    }

    /// The last year the regime applies in, if it has ended.
    pub fn last_year(self) -> Option<i32> {
        match self {
            Terminology::Transition2021 => Some(2025),
            Terminology::Normalised2026 => None,
        }
    }

    pub fn object_term_zh(self) -> &'static str {
        match self {
            Terminology::Transition2021 => "监测对象",
            Terminology::Normalised2026 => "防止返贫致贫对象",
        }
    }

    pub fn object_term_en(self) -> &'static str {
        match self {
            Terminology::Transition2021 => "monitoring object",
            Terminology::Normalised2026 => {
                "object for preventing a return to or a fall into poverty"
            }
        }
    }

    pub fn fund_term_zh(self) -> &'static str {
        match self {
            Terminology::Transition2021 => "衔接资金",
            Terminology::Normalised2026 => "常态化帮扶资金",
        }
    }

    pub fn fund_term_en(self) -> &'static str {
        match self {
            Terminology::Transition2021 => "connection funds",
            Terminology::Normalised2026 => "normalised assistance funds",
        }
    }
}

/// A category of monitored household (domain.md §2.1), e.g. 边缘易致贫户.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// A risk type of the codebook (domain.md §4.1). Sub-types such as `0201` (flood) name their parent (`02`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskType {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub parent: Option<String>,
}

/// Preconditions for marking a household's risk eliminated (domain.md §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EliminationRules {
    /// Months from identification before elimination may start (national rule 2_11_002: 6).
    pub min_months_identified: u8,
    /// Measures targeting the risk that must be in place (Anhui [S7]: at least one).
    pub min_measures: u8,
    /// Whether a household with no labour at all may be marked eliminated (national: no, [S7][S9]).
    pub no_labour_household_may_eliminate: bool,
    /// Months income must have been stable above the line (Anhui [S6]: half a year).
    pub min_months_income_stable: u8,
}

/// The unit a time limit is counted in (domain.md §5.2: "15 days", "5 working days", "half a year").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitUnit {
    CalendarDays,
    WorkingDays,
    Months,
}

impl LimitUnit {
    pub const ALL: [LimitUnit; 3] = [
        LimitUnit::CalendarDays,
        LimitUnit::WorkingDays,
        LimitUnit::Months,
    ];

    /// The key used in policy files: `calendar-days`, `working-days` or `months`.
    pub fn key(self) -> &'static str {
        match self {
            LimitUnit::CalendarDays => "calendar-days",
            LimitUnit::WorkingDays => "working-days",
            LimitUnit::Months => "months",
        }
    }

    pub fn parse(s: &str) -> Option<LimitUnit> {
        LimitUnit::ALL.into_iter().find(|u| u.key() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            LimitUnit::CalendarDays => "天",
            LimitUnit::WorkingDays => "个工作日",
            LimitUnit::Months => "个月",
        }
    }
}

/// A time limit: an amount and its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeLimit {
    pub amount: u16,
    pub unit: LimitUnit,
}

impl TimeLimit {
    pub fn calendar_days(amount: u16) -> TimeLimit {
        TimeLimit {
            amount,
            unit: LimitUnit::CalendarDays,
        }
    }

    /// Parses the policy-file form `"<amount> <unit>"`, e.g. `"2 working-days"`.
    pub fn parse(s: &str) -> Option<TimeLimit> {
        let (amount, unit) = s.trim().split_once(' ')?;
        Some(TimeLimit {
            amount: amount.parse().ok()?,
            unit: LimitUnit::parse(unit.trim())?,
        })
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit.key())
    }
}

/// The time limit of each step of identification and elimination, each counted from the end of
/// the step before (domain.md §5.2). The whole procedure's limit is `identification_limit_days`;
/// the public notice's minimum is `notice_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepLimits {
    /// A self-declaration routed to the township is accepted and passed to the village (Anhui: 2 days).
    pub accept: TimeLimit,
    /// Household verification after the clue (Anhui: 2 days; elsewhere 3).
    pub verification: TimeLimit,
    /// Information comparison with the departments (one county: 5 days).
    pub comparison: TimeLimit,
    /// Village democratic appraisal after comparison.
    pub appraisal: TimeLimit,
    /// Posting the public notice after the appraisal.
    pub notice_posting: TimeLimit,
    /// Township review after the notice closes.
    pub township_review: TimeLimit,
    /// County approval after the township review.
    pub county_approval: TimeLimit,
    /// Result announcement after approval (Yunnan 文山: within 5 working days).
    pub announcement: TimeLimit,
    /// Entry into the national system after the announcement.
    pub national_entry: TimeLimit,
}

/// The share of funds to be spent on industrial development (domain.md §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndustryShare {
    /// At least this percent of the funds (2022: 55, 2023: 60).
    MinPercent(u8),
    /// From 2026: "basically stable at the provincial level; counties may differ", with the county figure.
    StableAtProvincialLevel { county_percent: Option<u8> },
}

/// Project and fund rules (domain.md §9): the fund terms of the regime, the supervision phone
/// of public notices, and the due-diligence thresholds of the project library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRules {
    /// 衔接资金 (2021–2025) or 常态化帮扶资金 (from 2026).
    pub fund_term_zh: String,
    pub fund_term_en: String,
    /// The supervision phone printed on public notices (12317 nationally).
    pub supervision_phone: String,
    /// Cooperative or family-farm projects from this amount get county due diligence.
    pub due_diligence_cooperative: Money,
    /// Agribusiness projects from this amount get county due diligence.
    pub due_diligence_enterprise: Money,
    /// Any project from this amount gets joint city–county due diligence.
    pub joint_due_diligence: Money,
}

impl ProjectRules {
    /// The regime's terms with the national phone and Sichuan's thresholds (tests and fixtures).
    pub fn of_regime(terminology: Terminology) -> ProjectRules {
        ProjectRules {
            fund_term_zh: terminology.fund_term_zh().to_owned(),
            fund_term_en: terminology.fund_term_en().to_owned(),
            supervision_phone: "12317".to_owned(),
            due_diligence_cooperative: Money::from_yuan(300_000),
            due_diligence_enterprise: Money::from_yuan(1_000_000),
            joint_due_diligence: Money::from_yuan(5_000_000),
        }
    }
}

/// A housing safety grade appraised by county housing departments (domain.md §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HousingGrade {
    A,
    B,
    C,
    D,
}

impl HousingGrade {
    pub const ALL: [HousingGrade; 4] = [
        HousingGrade::A,
        HousingGrade::B,
        HousingGrade::C,
        HousingGrade::D,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HousingGrade::A => "A",
            HousingGrade::B => "B",
            HousingGrade::C => "C",
            HousingGrade::D => "D",
        }
    }

    pub fn parse(s: &str) -> Option<HousingGrade> {
        HousingGrade::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Thresholds for department-data screening (domain.md §4.4, §6.2). Percentages are whole numbers so no
/// threshold goes through floating point; later rule parameters are added here as fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningThresholds {
    /// Per-capita income below this percent of the line is in the edge band (e.g. 150 = 1.5× line).
    pub edge_band_percent: u16,
    /// A fall in household income of at least this percent year on year raises a warning.
    pub income_drop_percent: u8,
    /// Out-of-pocket cost of one hospital stay above which a monitored household is pushed.
    pub medical_per_stay_monitored: Money,
    /// Out-of-pocket cost of one hospital stay above which another rural household is pushed.
    pub medical_per_stay_other: Money,
    /// How many months back medical burden is summed.
    pub medical_lookback_months: u8,
    /// Medical burden over the lookback above this percent of the local per-capita disposable income.
    pub medical_percent_of_income: u16,
    /// Cumulative medical out-of-pocket spending that marks a focus household in concentrated screening.
    pub medical_focus_total: Money,
    /// Days of supply interruption a year above which drinking water fails supply assurance.
    pub water_interruption_days: u16,
    /// Direct disaster loss as a percent of household annual income that raises a warning.
    pub disaster_loss_percent_of_income: u16,
    /// Housing grades that count as unsafe (危房).
    pub housing_unsafe_grades: Vec<HousingGrade>,
    /// Medical burden over the lookback above this percent of the household's annual net income.
    pub medical_percent_of_household_income: u16,
    /// An event (certificate, dropout, death, new assistance) counts as new for this many days
    /// before the reference date.
    pub new_event_days: u16,
    /// Disability grades up to this one (1 is the most severe) count as severe.
    pub severe_disability_max_grade: u8,
    /// A direct disaster loss of at least this amount raises a warning whatever the income.
    pub disaster_loss_min: Money,
    /// How the household's main worker is chosen.
    pub main_worker: MainWorkerRule,
    /// Calendar days a village and township have to verify a warning.
    pub verification_limit_days: u16,
}

/// How the household's main worker (主要劳动力) is chosen for the labour-loss rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MainWorkerRule {
    /// `skill-relation-age`: among the active members able to work (labour skill 技能劳动力 or
    /// 普通劳动力), a skilled worker before an ordinary one, then the head before the spouse before
    /// the others, then the elder; ties by ID number. The registry holds income per household, not
    /// per person, so earned income cannot rank the members.
    SkillRelationAge,
}

impl MainWorkerRule {
    pub fn key(self) -> &'static str {
        match self {
            MainWorkerRule::SkillRelationAge => "skill-relation-age",
        }
    }

    pub fn parse(s: &str) -> Option<MainWorkerRule> {
        (s == "skill-relation-age").then_some(MainWorkerRule::SkillRelationAge)
    }
}

/// One early-warning rule of the pack (`[[rules]]`): its stable code, its description and the risk
/// type of the codebook a warning maps to. The logic is in `uplift-screen`; the thresholds are in
/// [`ScreeningThresholds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningRule {
    pub code: String,
    pub zh: String,
    pub en: String,
    /// A risk type code of the pack; disaster rules may give the parent (`02`) and the feed's
    /// sub-type (`0201`…) is used when it is in the codebook.
    pub risk_type: String,
    /// Whether the rule runs.
    pub enabled: bool,
}

/// Rules for dashboards and statistical outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardRules {
    /// Cells counting fewer households than this are suppressed (small-cell suppression, k).
    pub min_cell: u32,
}

/// One province's (or county's) policy for one year, as in force from `effective_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPack {
    pub scope: PackScope,
    /// Place name in Chinese, e.g. 湖南省 or 汝城县.
    pub name_zh: String,
    pub name_en: String,
    pub year: i32,
    pub effective_from: NaiveDate,
    /// Monitoring line (监测范围/监测标准), yuan per person per year of per-capita net income.
    pub monitoring_line: Money,
    pub terminology: Terminology,
    pub categories: Vec<Category>,
    pub risk_types: Vec<RiskType>,
    pub out_of_pocket: OutOfPocketRule,
    /// Minimum length of the village public notice (公示), domain.md §5.2.
    pub notice_days: u16,
    /// Whether `notice_days` counts working days rather than calendar days.
    pub notice_working_days: bool,
    /// Calendar days from the clue to completed identification (national Work Guide: 15).
    pub identification_limit_days: u16,
    /// The limit of each step (domain.md §5.2).
    pub step_limits: StepLimits,
    pub elimination: EliminationRules,
    pub industry_share: IndustryShare,
    /// Project library and fund rules (`[projects]`).
    pub projects: ProjectRules,
    pub screening: ScreeningThresholds,
    /// The early-warning rules (`[[rules]]`).
    pub rules: Vec<ScreeningRule>,
    pub dashboard: DashboardRules,
    /// Village living-environment and infrastructure indicators (`[[village_indicators]]`).
    pub village_indicators: Vec<crate::village::VillageIndicator>,
    /// The must-visit groups of concentrated screening (`[[must_visit]]`, 八必访).
    pub must_visit: Vec<crate::campaign::MustVisitRule>,
    /// The assessors' sample (`[sampling]`); none when the pack sets none.
    pub sampling: Option<crate::campaign::SamplingRules>,
    /// Where the values come from, one citation per entry.
    pub sources: Vec<String>,
    /// The rectification ledger's codebooks and limits (`[rectification]`), where the pack has them.
    pub rectification: Option<crate::rectify::RectificationRules>,
}

/// A broken invariant of a pack. Packs are built by a loader, which reports these with the file's key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackProblem {
    #[error("the province code {0} is not a province")]
    NotAProvince(RegionCode),
    #[error("the county code {0} is not a county")]
    NotACounty(RegionCode),
    #[error("county {county} is not inside province {province}")]
    CountyOutsideProvince {
        county: RegionCode,
        province: RegionCode,
    },
    #[error("effective date {effective_from} is not in the pack's year {year}")]
    YearMismatch {
        year: i32,
        effective_from: NaiveDate,
    },
    #[error("terminology {} does not apply in {year}", terminology.key())]
    TerminologyOutOfPeriod { terminology: Terminology, year: i32 },
    #[error("expected a positive amount of yuan, found {0}")]
    LineNotPositive(Money),
    #[error("at least one category is needed")]
    NoCategories,
    #[error("category code {0:?} appears more than once")]
    DuplicateCategory(String),
    #[error("risk type code {0:?} appears more than once")]
    DuplicateRiskType(String),
    #[error(
        "risk type {code:?} names parent {parent:?}, which is not a top-level risk type of the pack"
    )]
    UnknownRiskParent { code: String, parent: String },
    #[error("the public notice must last at least 1 day")]
    NoticeTooShort,
    #[error(
        "the identification limit of {limit_days} days is shorter than the public notice of {notice_days} days"
    )]
    LimitShorterThanNotice { limit_days: u16, notice_days: u16 },
    #[error("{field} must be a percentage from 0 to 100, found {value}")]
    PercentOutOfRange { field: PackField, value: u16 },
    #[error("the edge band must be at least 100 percent of the line, found {0}")]
    EdgeBandBelowLine(u16),
    #[error("{field} must be positive, found {value}")]
    NotPositive { field: PackField, value: i64 },
    #[error("rule {code:?} maps to risk type {risk_type:?}, which is not in the pack's codebook")]
    UnknownRuleRiskType { code: String, risk_type: String },
    #[error("rule code {0:?} appears more than once")]
    DuplicateRule(String),
}

/// A field of [`PolicyPack`], so a loader can map a [`PackProblem`] back to its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackField {
    Province,
    County,
    EffectiveFrom,
    Terminology,
    MonitoringLine,
    Categories,
    RiskTypes,
    NoticeDays,
    IdentificationLimitDays,
    IndustryShare,
    EdgeBandPercent,
    IncomeDropPercent,
    MedicalPerStayMonitored,
    MedicalPerStayOther,
    MedicalLookbackMonths,
    MedicalPercentOfIncome,
    MedicalFocusTotal,
    WaterInterruptionDays,
    DisasterLossPercentOfIncome,
    DashboardMinCell,
    Rules,
}

impl fmt::Display for PackField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl PackProblem {
    /// The field the problem is about.
    pub fn field(&self) -> PackField {
        match self {
            PackProblem::NotAProvince(_) => PackField::Province,
            PackProblem::NotACounty(_) | PackProblem::CountyOutsideProvince { .. } => {
                PackField::County
            }
            PackProblem::YearMismatch { .. } => PackField::EffectiveFrom,
            PackProblem::TerminologyOutOfPeriod { .. } => PackField::Terminology,
            PackProblem::LineNotPositive(_) => PackField::MonitoringLine,
            PackProblem::NoCategories | PackProblem::DuplicateCategory(_) => PackField::Categories,
            PackProblem::DuplicateRiskType(_) | PackProblem::UnknownRiskParent { .. } => {
                PackField::RiskTypes
            }
            PackProblem::NoticeTooShort => PackField::NoticeDays,
            PackProblem::LimitShorterThanNotice { .. } => PackField::IdentificationLimitDays,
            PackProblem::EdgeBandBelowLine(_) => PackField::EdgeBandPercent,
            PackProblem::PercentOutOfRange { field, .. }
            | PackProblem::NotPositive { field, .. } => *field,
            PackProblem::UnknownRuleRiskType { .. } | PackProblem::DuplicateRule(_) => {
                PackField::Rules
            }
        }
    }
}

impl PolicyPack {
    /// Checks the invariants every pack must hold; an empty list means the pack is sound.
    pub fn problems(&self) -> Vec<PackProblem> {
        let mut problems = Vec::new();
        let province = self.scope.province;
        if province.level() != RegionLevel::Province {
            problems.push(PackProblem::NotAProvince(province));
        }
        if let Some(county) = self.scope.county {
            if county.level() != RegionLevel::County {
                problems.push(PackProblem::NotACounty(county));
            }
            if !province.contains(&county) {
                problems.push(PackProblem::CountyOutsideProvince { county, province });
            }
        }
        if self.effective_from.year() != self.year {
            problems.push(PackProblem::YearMismatch {
                year: self.year,
                effective_from: self.effective_from,
            });
        }
        let terminology = self.terminology;
        let too_late = terminology.last_year().is_some_and(|last| self.year > last);
        if self.year < terminology.first_year() || too_late {
            problems.push(PackProblem::TerminologyOutOfPeriod {
                terminology,
                year: self.year,
            });
        }
        if self.monitoring_line <= Money::ZERO {
            problems.push(PackProblem::LineNotPositive(self.monitoring_line));
        }

        if self.categories.is_empty() {
            problems.push(PackProblem::NoCategories);
        }
        for (i, category) in self.categories.iter().enumerate() {
            if self.categories[..i].iter().any(|c| c.code == category.code) {
                problems.push(PackProblem::DuplicateCategory(category.code.clone()));
            }
        }
        for (i, risk) in self.risk_types.iter().enumerate() {
            if self.risk_types[..i].iter().any(|r| r.code == risk.code) {
                problems.push(PackProblem::DuplicateRiskType(risk.code.clone()));
            }
            let Some(parent) = &risk.parent else { continue };
            // Sub-types hang under a top-level type only, as 0201 under 02 (domain.md §4.1).
            let parent_ok = self
                .risk_type(parent)
                .is_some_and(|p| p.parent.is_none() && p.code != risk.code);
            if !parent_ok {
                problems.push(PackProblem::UnknownRiskParent {
                    code: risk.code.clone(),
                    parent: parent.clone(),
                });
            }
        }

        for (i, rule) in self.rules.iter().enumerate() {
            if self.rules[..i].iter().any(|r| r.code == rule.code) {
                problems.push(PackProblem::DuplicateRule(rule.code.clone()));
            }
            if self.risk_type(&rule.risk_type).is_none() {
                problems.push(PackProblem::UnknownRuleRiskType {
                    code: rule.code.clone(),
                    risk_type: rule.risk_type.clone(),
                });
            }
        }

        if self.notice_days == 0 {
            problems.push(PackProblem::NoticeTooShort);
        }
        if self.identification_limit_days < self.notice_days {
            problems.push(PackProblem::LimitShorterThanNotice {
                limit_days: self.identification_limit_days,
                notice_days: self.notice_days,
            });
        }

        let industry_percent = match self.industry_share {
            IndustryShare::MinPercent(p) => Some(p),
            IndustryShare::StableAtProvincialLevel { county_percent } => county_percent,
        };
        let screening = &self.screening;
        let percents = [
            (PackField::IndustryShare, industry_percent.map(u16::from)),
            (
                PackField::IncomeDropPercent,
                Some(u16::from(screening.income_drop_percent)),
            ),
        ];
        for (field, value) in percents {
            if let Some(value) = value.filter(|v| *v > 100) {
                problems.push(PackProblem::PercentOutOfRange { field, value });
            }
        }
        if screening.edge_band_percent < 100 {
            problems.push(PackProblem::EdgeBandBelowLine(screening.edge_band_percent));
        }
        let positives = [
            (
                PackField::MedicalPerStayMonitored,
                screening.medical_per_stay_monitored.fen(),
            ),
            (
                PackField::MedicalPerStayOther,
                screening.medical_per_stay_other.fen(),
            ),
            (
                PackField::MedicalLookbackMonths,
                i64::from(screening.medical_lookback_months),
            ),
            (
                PackField::MedicalPercentOfIncome,
                i64::from(screening.medical_percent_of_income),
            ),
            (
                PackField::MedicalFocusTotal,
                screening.medical_focus_total.fen(),
            ),
            (
                PackField::WaterInterruptionDays,
                i64::from(screening.water_interruption_days),
            ),
            (
                PackField::DisasterLossPercentOfIncome,
                i64::from(screening.disaster_loss_percent_of_income),
            ),
            (
                PackField::DashboardMinCell,
                i64::from(self.dashboard.min_cell),
            ),
        ];
        for (field, value) in positives {
            if value <= 0 {
                problems.push(PackProblem::NotPositive { field, value });
            }
        }
        problems
    }

    /// The risk type with this code, e.g. `01` (因病) or `0201` (洪涝).
    pub fn risk_type(&self, code: &str) -> Option<&RiskType> {
        self.risk_types.iter().find(|r| r.code == code)
    }

    /// The sub-types of a risk type, e.g. the natural-disaster sub-types of `02`.
    pub fn risk_sub_types<'a>(&'a self, parent: &'a str) -> impl Iterator<Item = &'a RiskType> {
        self.risk_types
            .iter()
            .filter(move |r| r.parent.as_deref() == Some(parent))
    }

    /// The category with this code.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The edge of the monitoring band: the line scaled by `screening.edge_band_percent`.
    pub fn edge_band_line(&self) -> Money {
        self.monitoring_line
            .scale(i64::from(self.screening.edge_band_percent), 100)
    }
}

/// A set of packs and the rule choosing the one in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyBook {
    packs: Vec<PolicyPack>,
}

/// Why a set of packs cannot form a book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyBookError {
    #[error("two packs for {scope} take effect on {effective_from}")]
    Duplicate {
        scope: RegionCode,
        effective_from: NaiveDate,
    },
}

impl PolicyBook {
    /// Builds a book; two packs of the same scope may not take effect on the same day.
    pub fn new(packs: Vec<PolicyPack>) -> Result<PolicyBook, PolicyBookError> {
        for (i, pack) in packs.iter().enumerate() {
            let clash = packs[..i]
                .iter()
                .any(|p| p.scope == pack.scope && p.effective_from == pack.effective_from);
            if clash {
                return Err(PolicyBookError::Duplicate {
                    scope: pack.scope.code(),
                    effective_from: pack.effective_from,
                });
            }
        }
        Ok(PolicyBook { packs })
    }

    pub fn packs(&self) -> &[PolicyPack] {
        &self.packs
    }

    pub fn is_empty(&self) -> bool {
        self.packs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.packs.len()
    }

    /// The pack for exactly this scope (province, or province and county) and year.
    pub fn find(&self, scope: &RegionCode, year: i32) -> Option<&PolicyPack> {
        self.packs
            .iter()
            .filter(|p| p.scope.code() == *scope && p.year == year)
            .max_by_key(|p| p.effective_from)
    }

    /// The pack in force for `region` on `on`: among packs whose scope contains the region and whose
    /// `effective_from` is on or before `on`, the latest; on the same date a county pack wins over
    /// its province pack. A county pack of an earlier year does not outlive a newer province pack,
    /// because county packs are overrides merged over the province pack of their own year.
    pub fn in_force(&self, region: &RegionCode, on: NaiveDate) -> Option<&PolicyPack> {
        self.packs
            .iter()
            .filter(|p| p.scope.contains(region) && p.effective_from <= on)
            .max_by_key(|p| (p.effective_from, p.scope.county.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn risk(code: &str, parent: Option<&str>) -> RiskType {
        RiskType {
            code: code.to_owned(),
            zh: String::new(),
            en: String::new(),
            parent: parent.map(str::to_owned),
        }
    }

    fn pack(scope: &str, year: i32, effective_from: NaiveDate) -> PolicyPack {
        let scope = code(scope);
        let county = (scope.level() == RegionLevel::County).then_some(scope);
        PolicyPack {
            scope: PackScope {
                province: scope.ancestor(RegionLevel::Province).unwrap(),
                county,
            },
            name_zh: "湖南省".to_owned(),
            name_en: "Hunan".to_owned(),
            year,
            effective_from,
            monitoring_line: Money::from_yuan(8_000),
            terminology: if year >= 2026 {
                Terminology::Normalised2026
            } else {
                Terminology::Transition2021
            },
            categories: vec![Category {
                code: "marginal".to_owned(),
                zh: "边缘易致贫户".to_owned(),
                en: "Marginal household".to_owned(),
            }],
            risk_types: vec![risk("01", None), risk("02", None), risk("0201", Some("02"))],
            out_of_pocket: OutOfPocketRule::JudgeBeside,
            notice_days: 5,
            notice_working_days: false,
            identification_limit_days: 15,
            step_limits: StepLimits {
                accept: TimeLimit::calendar_days(2),
                verification: TimeLimit::calendar_days(2),
                comparison: TimeLimit::calendar_days(5),
                appraisal: TimeLimit::calendar_days(2),
                notice_posting: TimeLimit::calendar_days(1),
                township_review: TimeLimit::calendar_days(2),
                county_approval: TimeLimit::calendar_days(3),
                announcement: TimeLimit::calendar_days(5),
                national_entry: TimeLimit::calendar_days(5),
            },
            elimination: EliminationRules {
                min_months_identified: 6,
                min_measures: 1,
                no_labour_household_may_eliminate: false,
                min_months_income_stable: 6,
            },
            industry_share: IndustryShare::MinPercent(60),
            projects: ProjectRules::of_regime(if year >= 2026 {
                Terminology::Normalised2026
            } else {
                Terminology::Transition2021
            }),
            screening: ScreeningThresholds {
                edge_band_percent: 150,
                income_drop_percent: 50,
                medical_per_stay_monitored: Money::from_yuan(6_000),
                medical_per_stay_other: Money::from_yuan(10_000),
                medical_lookback_months: 12,
                medical_percent_of_income: 50,
                medical_focus_total: Money::from_yuan(30_000),
                water_interruption_days: 36,
                disaster_loss_percent_of_income: 50,
                housing_unsafe_grades: vec![HousingGrade::C, HousingGrade::D],
                medical_percent_of_household_income: 50,
                new_event_days: 90,
                severe_disability_max_grade: 2,
                disaster_loss_min: Money::from_yuan(20_000),
                main_worker: MainWorkerRule::SkillRelationAge,
                verification_limit_days: 15,
            },
            rules: Vec::new(),
            dashboard: DashboardRules { min_cell: 5 },
            village_indicators: Vec::new(),
            must_visit: Vec::new(),
            sampling: None,
            sources: Vec::new(),
            rectification: None,
        }
    }

    #[test]
    fn a_sound_pack_has_no_problems() {
        let p = pack("43", 2026, date(2026, 1, 1));
        assert_eq!(p.problems(), []);
        assert_eq!(p.edge_band_line(), Money::from_yuan(12_000));
        assert_eq!(p.risk_type("0201").unwrap().parent.as_deref(), Some("02"));
        assert_eq!(p.risk_sub_types("02").count(), 1);
        assert!(p.risk_type("08").is_none());
        assert!(p.category("marginal").is_some());
    }

    #[test]
    fn broken_invariants_are_each_reported_with_their_field() {
        let mut p = pack("431026", 2026, date(2025, 12, 1));
        p.scope.province = code("23");
        p.monitoring_line = Money::from_yuan(-5);
        p.risk_types.push(risk("0299", Some("09")));
        p.risk_types.push(risk("01", None));
        p.notice_days = 20;
        p.terminology = Terminology::Transition2021;
        p.screening.edge_band_percent = 90;
        p.dashboard.min_cell = 0;
        let fields: Vec<PackField> = p.problems().iter().map(PackProblem::field).collect();
        assert_eq!(
            fields,
            [
                PackField::County,
                PackField::EffectiveFrom,
                PackField::Terminology,
                PackField::MonitoringLine,
                PackField::RiskTypes,
                PackField::RiskTypes,
                PackField::IdentificationLimitDays,
                PackField::EdgeBandPercent,
                PackField::DashboardMinCell,
            ]
        );
        assert_eq!(
            PackProblem::LineNotPositive(Money::from_yuan(-5)).to_string(),
            "expected a positive amount of yuan, found -5.00"
        );
    }

    #[test]
    fn terminology_names_objects_and_funds_per_regime() {
        let old = Terminology::parse("transition-2021").unwrap();
        assert_eq!(old.object_term_zh(), "监测对象");
        assert_eq!(old.fund_term_zh(), "衔接资金");
        let new = Terminology::parse("normalised-2026").unwrap();
        assert_eq!(new.object_term_zh(), "防止返贫致贫对象");
        assert_eq!(new.fund_term_zh(), "常态化帮扶资金");
        assert_eq!(Terminology::parse("2026"), None);
    }

    #[test]
    fn the_county_pack_wins_inside_its_county_and_only_there() {
        let book = PolicyBook::new(vec![
            pack("43", 2025, date(2025, 1, 1)),
            pack("43", 2026, date(2026, 1, 1)),
            pack("431026", 2026, date(2026, 1, 1)),
            pack("23", 2026, date(2026, 1, 1)),
        ])
        .unwrap();
        let rucheng_village = code("431026100201");
        let yizhang_village = code("431022100201");
        let on = date(2026, 6, 1);
        let p = book.in_force(&rucheng_village, on).unwrap();
        assert_eq!(p.scope.county, Some(code("431026")));
        let p = book.in_force(&yizhang_village, on).unwrap();
        assert_eq!((p.scope.county, p.year), (None, 2026));
        let p = book.in_force(&rucheng_village, date(2025, 12, 31)).unwrap();
        assert_eq!((p.scope.county, p.year), (None, 2025));
        assert!(
            book.in_force(&rucheng_village, date(2024, 12, 31))
                .is_none()
        );
        assert!(book.in_force(&code("440100"), on).is_none());
        assert_eq!(book.find(&code("431026"), 2026).unwrap().year, 2026);
    }

    #[test]
    fn a_newer_province_pack_outlives_an_older_county_override() {
        let book = PolicyBook::new(vec![
            pack("43", 2026, date(2026, 1, 1)),
            pack("431026", 2026, date(2026, 1, 1)),
            pack("43", 2027, date(2027, 1, 1)),
        ])
        .unwrap();
        let p = book
            .in_force(&code("431026100201"), date(2027, 3, 1))
            .unwrap();
        assert_eq!((p.scope.county, p.year), (None, 2027));
    }

    #[test]
    fn two_packs_for_one_scope_and_day_are_rejected() {
        let err = PolicyBook::new(vec![
            pack("43", 2026, date(2026, 1, 1)),
            pack("43", 2026, date(2026, 1, 1)),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "two packs for 430000000000 take effect on 2026-01-01"
        );
    }
}
