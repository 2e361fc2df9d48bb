//! The money side of revitalization (domain.md §9): the project library (项目库), fund plans
//! and their industry share, forbidden uses, project assets (项目资产) and the distribution of
//! their income to households.
//!
//! A project is an event log: village applies → township reviews → county decides (村申报、
//! 乡审核、县审定), then it is placed in the annual plan by allocations, started, paid out and
//! accepted, or rolled over to next year. [`Project::apply`] is the one state machine; every
//! step names the role that may take it. An asset is an event log too: registered, income
//! recorded, income distributed to households.

use chrono::NaiveDate;

use crate::access::Role;
use crate::household::Codebook;
use crate::household::codebook;
use crate::income::Money;
use crate::policy::{IndustryShare, PolicyPack, ProjectRules};
use crate::region::{RegionCode, RegionLevel};

codebook!(
    /// 项目类型.
    ProjectKind, "project_kind" {
        Industry = "industry", "产业发展";
        Employment = "employment", "就业帮扶";
        Infrastructure = "infrastructure", "基础设施";
        LivingEnvironment = "living_environment", "人居环境";
        PublicService = "public_service", "公共服务";
        Other = "other", "其他";
    }
);

codebook!(
    /// Who proposes a project (domain.md §9.3).
    ProposerKind, "proposer" {
        Village = "village", "村申报";
        Township = "township", "乡镇申报";
        Department = "department", "部门申报";
    }
);

codebook!(
    /// 资金级次: the level of government a fund comes from.
    FundLevel, "fund_level" {
        Central = "central", "中央";
        Provincial = "provincial", "省级";
        City = "city", "市级";
        County = "county", "县级";
    }
);

codebook!(
    /// 联农带农 methods (domain.md §9.5).
    LinkageKind, "linkage" {
        Jobs = "jobs", "吸纳就业";
        Dividends = "dividends", "收益分红";
        Purchases = "purchases", "订单收购";
        LandRent = "land_rent", "土地流转";
    }
);

codebook!(
    /// Who will run the project; decides the due-diligence threshold (domain.md §9.3).
    Operator, "operator" {
        Collective = "collective", "村集体";
        Cooperative = "cooperative", "合作社或家庭农场";
        Enterprise = "enterprise", "龙头企业";
        Households = "households", "农户";
        Government = "government", "政府部门";
    }
);

codebook!(
    /// 项目状态.
    ProjectStatus, "project_status" {
        Proposed = "proposed", "已申报";
        Reviewed = "reviewed", "乡镇已审核";
        Approved = "approved", "县级已审定";
        InPlan = "in_plan", "已纳入年度计划";
        UnderWay = "under_way", "实施中";
        Accepted = "accepted", "已验收";
        RolledOver = "rolled_over", "结转下年";
        Rejected = "rejected", "未通过";
    }
);

codebook!(
    /// What money is spent on. The forbidden ones are the list of domain.md §9.1.
    ExpenseUse, "expense_use" {
        Production = "production", "生产发展（种养加、设施、农资）";
        Infrastructure = "infrastructure", "小型公益性基础设施";
        LivingEnvironment = "living_environment", "人居环境整治";
        Training = "training", "技能培训";
        InterestSubsidy = "interest_subsidy", "小额信贷贴息";
        PublicPosts = "public_posts", "公益性岗位补贴";
        Workshops = "workshops", "帮扶车间与以工代赈";
        Awards = "awards", "带贫奖补";
        Relocation = "relocation", "易地搬迁后续扶持";
        AdministrativeExpenses = "administrative_expenses", "行政事业单位基本支出";
        Bonuses = "bonuses", "奖金、津贴和福利";
        EnterpriseLosses = "enterprise_losses", "弥补企业亏损";
        BuildingsHalls = "buildings_halls", "修建楼堂馆所";
        DebtRepayment = "debt_repayment", "弥补预算缺口和偿还债务";
        LargeConstruction = "large_construction", "大中型基本建设";
        VehiclesEquipment = "vehicles_equipment", "购置车辆和通讯设备";
        UrbanInfrastructure = "urban_infrastructure", "城市基础设施建设";
        GuaranteeDeposits = "guarantee_deposits", "企业担保金";
        NonAgricultural = "non_agricultural", "非农领域";
        Unrelated = "unrelated", "与巩固衔接无关的支出";
    }
);

impl ExpenseUse {
    /// Whether the funds may not be spent on this (domain.md §9.1 [S41][S46]).
    pub fn forbidden(self) -> bool {
        use ExpenseUse::*;
        matches!(
            self,
            AdministrativeExpenses
                | Bonuses
                | EnterpriseLosses
                | BuildingsHalls
                | DebtRepayment
                | LargeConstruction
                | VehiclesEquipment
                | UrbanInfrastructure
                | GuaranteeDeposits
                | NonAgricultural
                | Unrelated
        )
    }
}

codebook!(
    /// 资产类别 (domain.md §9.4).
    AssetClass, "asset_class" {
        Operating = "operating", "经营性资产";
        PublicWelfare = "public_welfare", "公益性资产";
        Household = "household", "到户类资产";
    }
);

/// One funding source of a project's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine {
    pub level: FundLevel,
    pub amount: Money,
}

/// One line of the farmer-linkage plan: how many households, and the yearly amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linkage {
    pub kind: LinkageKind,
    pub households: u32,
    pub amount: Money,
}

/// A project as proposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub name: String,
    pub kind: ProjectKind,
    pub proposer: ProposerKind,
    /// The department, for department proposals.
    pub department: Option<String>,
    /// Where it is: a village, a township (cross-village) or the county (cross-township).
    pub region: RegionCode,
    pub year: i32,
    pub operator: Operator,
    pub budget: Vec<BudgetLine>,
    /// Expected beneficiaries, households.
    pub beneficiary_households: u32,
    pub linkage: Vec<Linkage>,
    pub uses: Vec<ExpenseUse>,
    pub summary: String,
}

impl Proposal {
    pub fn budget_total(&self) -> Money {
        self.budget.iter().map(|b| b.amount).sum()
    }
}

/// How far a project must be examined before the county decides (domain.md §9.3, Sichuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueDiligence {
    None,
    County,
    /// Joint city–county due diligence.
    CityCounty,
}

impl DueDiligence {
    pub fn code(self) -> &'static str {
        match self {
            DueDiligence::None => "none",
            DueDiligence::County => "county",
            DueDiligence::CityCounty => "city_county",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            DueDiligence::None => "无需尽职调查",
            DueDiligence::County => "县级尽职调查",
            DueDiligence::CityCounty => "市县联合尽职调查",
        }
    }
}

/// The due diligence a proposal needs under the pack's thresholds.
pub fn due_diligence(proposal: &Proposal, rules: &ProjectRules) -> DueDiligence {
    let total = proposal.budget_total();
    if total >= rules.joint_due_diligence {
        return DueDiligence::CityCounty;
    }
    let threshold = match proposal.operator {
        Operator::Cooperative => Some(rules.due_diligence_cooperative),
        Operator::Enterprise => Some(rules.due_diligence_enterprise),
        _ => None,
    };
    match threshold {
        Some(t) if total >= t => DueDiligence::County,
        _ => DueDiligence::None,
    }
}

/// One step of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectEvent {
    Proposed(Proposal),
    /// Township review (乡审核).
    Reviewed {
        approve: bool,
        opinion: String,
    },
    /// County decision (县审定); `due_diligence` is the report reference when one was needed.
    Decided {
        approve: bool,
        opinion: String,
        due_diligence: Option<String>,
    },
    /// Money of a fund plan arranged for the project (places it in the annual plan).
    Allocated {
        plan: i64,
        amount: Money,
    },
    Started {
        on: NaiveDate,
    },
    /// Money paid out, with the voucher (凭证号).
    Disbursed {
        plan: i64,
        amount: Money,
        on: NaiveDate,
        voucher: String,
        spent_on: ExpenseUse,
    },
    /// Completion acceptance (竣工验收).
    Accepted {
        on: NaiveDate,
        opinion: String,
    },
    /// Unfunded at year end: rolled into next year's library.
    RolledOver {
        to_year: i32,
    },
}

impl ProjectEvent {
    pub fn name(&self) -> &'static str {
        match self {
            ProjectEvent::Proposed(_) => "proposed",
            ProjectEvent::Reviewed { .. } => "reviewed",
            ProjectEvent::Decided { .. } => "decided",
            ProjectEvent::Allocated { .. } => "allocated",
            ProjectEvent::Started { .. } => "started",
            ProjectEvent::Disbursed { .. } => "disbursed",
            ProjectEvent::Accepted { .. } => "accepted",
            ProjectEvent::RolledOver { .. } => "rolled_over",
        }
    }

    /// The role that takes this step (the machine, role none, takes any).
    pub fn allowed(&self, role: Role, proposal: Option<&Proposal>) -> bool {
        let county = matches!(role, Role::CountyOfficer | Role::CountyAdmin);
        match self {
            ProjectEvent::Proposed(p) => match p.proposer {
                ProposerKind::Village => role == Role::VillageCadre || county,
                ProposerKind::Township => role == Role::TownshipReviewer || county,
                ProposerKind::Department => county,
            },
            ProjectEvent::Reviewed { .. } => {
                role == Role::TownshipReviewer
                    || (county && proposal.is_some_and(|p| p.proposer == ProposerKind::Village))
            }
            _ => county,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    #[error("invalid proposal: {0}")]
    Invalid(String),
    #[error("a {role} may not take the step {step}")]
    Role {
        role: &'static str,
        step: &'static str,
    },
    #[error("step {step} is not possible when the project is {status}")]
    Status {
        step: &'static str,
        status: &'static str,
    },
    #[error("the funds may not be spent on {0} (domain.md §9.1)")]
    ForbiddenUse(&'static str),
    #[error("{needed} is required before the county decides; give the report reference")]
    DueDiligenceMissing { needed: &'static str },
    #[error("allocations of {allocated} yuan would exceed the budget of {budget} yuan")]
    OverBudget { allocated: Money, budget: Money },
    #[error(
        "payments of {paid} yuan from plan {plan} would exceed its allocation of {allocated} yuan"
    )]
    OverAllocation {
        plan: i64,
        paid: Money,
        allocated: Money,
    },
    #[error("a project log must start with its proposal")]
    NoProposal,
}

/// A project folded from its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub proposal: Proposal,
    pub status: ProjectStatus,
    /// The year it is in the library for (moves on when rolled over).
    pub year: i32,
    pub approved: bool,
    /// Allocations and payments, per fund plan.
    pub allocations: Vec<(i64, Money)>,
    pub disbursements: Vec<(i64, Money, NaiveDate, String, ExpenseUse)>,
    pub started: Option<NaiveDate>,
    pub accepted: Option<NaiveDate>,
}

/// Checks a proposal's own fields.
pub fn check_proposal(p: &Proposal) -> Result<(), ProjectError> {
    let invalid = |m: &str| Err(ProjectError::Invalid(m.to_owned()));
    if p.name.trim().is_empty() {
        return invalid("the name is empty");
    }
    if p.budget.is_empty() || p.budget.iter().any(|b| b.amount.fen() <= 0) {
        return invalid("the budget needs at least one funding source with a positive amount");
    }
    if p.linkage.iter().any(|l| l.amount.fen() < 0) {
        return invalid("a linkage amount is negative");
    }
    let level_ok = match p.proposer {
        ProposerKind::Village => p.region.level() == RegionLevel::Village,
        ProposerKind::Township => {
            matches!(
                p.region.level(),
                RegionLevel::Township | RegionLevel::Village
            )
        }
        ProposerKind::Department => p.region.level() >= RegionLevel::County,
    };
    if !level_ok {
        return invalid("the place does not fit the proposer (a village proposes in its village)");
    }
    if p.proposer == ProposerKind::Department
        && p.department.as_deref().is_none_or(|d| d.trim().is_empty())
    {
        return invalid("a department proposal names its department");
    }
    if !(2000..=2100).contains(&p.year) {
        return invalid("the year is out of range");
    }
    if let Some(u) = p.uses.iter().find(|u| u.forbidden()) {
        return Err(ProjectError::ForbiddenUse(u.zh()));
    }
    Ok(())
}

impl Project {
    /// Folds a log; the first event must be the proposal.
    pub fn fold<'a>(
        events: impl IntoIterator<Item = &'a ProjectEvent>,
    ) -> Result<Project, ProjectError> {
        let mut events = events.into_iter();
        let Some(ProjectEvent::Proposed(p)) = events.next() else {
            return Err(ProjectError::NoProposal);
        };
        let mut project = Project::new(p.clone());
        for e in events {
            project = project.next(e)?;
        }
        Ok(project)
    }

    pub fn new(proposal: Proposal) -> Project {
        Project {
            year: proposal.year,
            proposal,
            status: ProjectStatus::Proposed,
            approved: false,
            allocations: Vec::new(),
            disbursements: Vec::new(),
            started: None,
            accepted: None,
        }
    }

    pub fn allocated(&self) -> Money {
        self.allocations.iter().map(|a| a.1).sum()
    }

    pub fn allocated_from(&self, plan: i64) -> Money {
        self.allocations
            .iter()
            .filter(|a| a.0 == plan)
            .map(|a| a.1)
            .sum()
    }

    pub fn paid(&self) -> Money {
        self.disbursements.iter().map(|d| d.1).sum()
    }

    pub fn paid_from(&self, plan: i64) -> Money {
        self.disbursements
            .iter()
            .filter(|d| d.0 == plan)
            .map(|d| d.1)
            .sum()
    }

    /// The state after `event`, without checking who acts (stored logs replay with this).
    pub fn next(&self, event: &ProjectEvent) -> Result<Project, ProjectError> {
        use ProjectStatus as S;
        let mut p = self.clone();
        let refuse = || ProjectError::Status {
            step: event.name(),
            status: self.status.code(),
        };
        match event {
            ProjectEvent::Proposed(_) => return Err(refuse()),
            ProjectEvent::Reviewed { approve, .. } => {
                if self.status != S::Proposed || self.proposal.proposer != ProposerKind::Village {
                    return Err(refuse());
                }
                p.status = if *approve { S::Reviewed } else { S::Rejected };
            }
            ProjectEvent::Decided { approve, .. } => {
                let ready = match self.status {
                    S::Reviewed => true,
                    S::Proposed => self.proposal.proposer != ProposerKind::Village,
                    S::RolledOver => !self.approved,
                    _ => false,
                };
                if !ready {
                    return Err(refuse());
                }
                p.approved = *approve;
                p.status = if *approve { S::Approved } else { S::Rejected };
            }
            ProjectEvent::Allocated { plan, amount } => {
                let ok = matches!(self.status, S::Approved | S::InPlan)
                    || (self.status == S::RolledOver && self.approved);
                if !ok {
                    return Err(refuse());
                }
                if amount.fen() <= 0 {
                    return Err(ProjectError::Invalid(
                        "an allocation must be positive".into(),
                    ));
                }
                let allocated = self.allocated() + *amount;
                let budget = self.proposal.budget_total();
                if allocated > budget {
                    return Err(ProjectError::OverBudget { allocated, budget });
                }
                p.allocations.push((*plan, *amount));
                p.status = S::InPlan;
            }
            ProjectEvent::Started { on } => {
                if self.status != S::InPlan {
                    return Err(refuse());
                }
                p.started = Some(*on);
                p.status = S::UnderWay;
            }
            ProjectEvent::Disbursed {
                plan,
                amount,
                on,
                voucher,
                spent_on,
            } => {
                if !matches!(self.status, S::UnderWay | S::Accepted) {
                    return Err(refuse());
                }
                if spent_on.forbidden() {
                    return Err(ProjectError::ForbiddenUse(spent_on.zh()));
                }
                if amount.fen() <= 0 || voucher.trim().is_empty() {
                    return Err(ProjectError::Invalid(
                        "a payment needs a positive amount and a voucher number".into(),
                    ));
                }
                let paid = self.paid_from(*plan) + *amount;
                let allocated = self.allocated_from(*plan);
                if paid > allocated {
                    return Err(ProjectError::OverAllocation {
                        plan: *plan,
                        paid,
                        allocated,
                    });
                }
                p.disbursements
                    .push((*plan, *amount, *on, voucher.clone(), *spent_on));
            }
            ProjectEvent::Accepted { on, .. } => {
                if self.status != S::UnderWay {
                    return Err(refuse());
                }
                p.accepted = Some(*on);
                p.status = S::Accepted;
            }
            ProjectEvent::RolledOver { to_year } => {
                let ok = matches!(
                    self.status,
                    S::Proposed | S::Reviewed | S::Approved | S::RolledOver
                );
                if !ok || *to_year <= self.year {
                    return Err(refuse());
                }
                p.year = *to_year;
                p.status = S::RolledOver;
            }
        }
        Ok(p)
    }

    /// The checked step: the role, the due diligence the pack asks for, then the transition.
    pub fn apply(
        &self,
        event: &ProjectEvent,
        role: Option<Role>,
        rules: &ProjectRules,
    ) -> Result<Project, ProjectError> {
        if let Some(role) = role
            && !event.allowed(role, Some(&self.proposal))
        {
            return Err(ProjectError::Role {
                role: role.code(),
                step: event.name(),
            });
        }
        if let ProjectEvent::Decided {
            approve: true,
            due_diligence: report,
            ..
        } = event
        {
            let needed = due_diligence(&self.proposal, rules);
            if needed != DueDiligence::None && report.as_deref().is_none_or(|r| r.trim().is_empty())
            {
                return Err(ProjectError::DueDiligenceMissing {
                    needed: needed.zh(),
                });
            }
        }
        self.next(event)
    }

    /// The steps the role could take next (for the screens).
    pub fn next_steps(&self, role: Option<Role>) -> Vec<&'static str> {
        use ProjectStatus as S;
        let candidates: &[&'static str] = match self.status {
            S::Proposed if self.proposal.proposer == ProposerKind::Village => {
                &["review", "roll_over"]
            }
            S::Proposed => &["decide", "roll_over"],
            S::Reviewed => &["decide", "roll_over"],
            S::Approved => &["allocate", "roll_over"],
            S::InPlan => &["allocate", "start"],
            S::UnderWay => &["disburse", "accept"],
            S::Accepted => &["disburse", "register_asset"],
            S::RolledOver if self.approved => &["allocate", "roll_over"],
            S::RolledOver => &["decide", "roll_over"],
            S::Rejected => &[],
        };
        let county = role.is_none_or(|r| matches!(r, Role::CountyOfficer | Role::CountyAdmin));
        candidates
            .iter()
            .copied()
            .filter(|s| match *s {
                "review" => county || role == Some(Role::TownshipReviewer),
                _ => county,
            })
            .collect()
    }
}

/// Industry share of the allocations of one county and year (domain.md §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareCheck {
    pub industry: Money,
    pub total: Money,
    /// The floor in percent, if the pack sets one for this county.
    pub floor_percent: Option<u8>,
}

impl ShareCheck {
    pub fn new(industry: Money, total: Money, rule: IndustryShare) -> ShareCheck {
        let floor_percent = match rule {
            IndustryShare::MinPercent(p) => Some(p),
            IndustryShare::StableAtProvincialLevel { county_percent } => county_percent,
        };
        ShareCheck {
            industry,
            total,
            floor_percent,
        }
    }

    /// The share in hundredths of a percent, rounded down (so 59.995% shows 59.99%).
    pub fn basis_points(&self) -> Option<i64> {
        let total = self.total.fen();
        (total > 0).then(|| (i128::from(self.industry.fen()) * 10_000 / i128::from(total)) as i64)
    }

    /// `"60.00"`, or none when nothing is allocated yet.
    pub fn percent_text(&self) -> Option<String> {
        self.basis_points()
            .map(|bp| format!("{}.{:02}", bp / 100, bp % 100))
    }

    /// Whether the share is below the floor: exact, industry × 100 < floor × total.
    pub fn below_floor(&self) -> bool {
        match self.floor_percent {
            Some(floor) if self.total.fen() > 0 => {
                i128::from(self.industry.fen()) * 100
                    < i128::from(floor) * i128::from(self.total.fen())
            }
            _ => false,
        }
    }
}

/// An annual fund plan (年度资金计划) of one level for one county: the budget indicator
/// document (指标文号) and the amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundPlan {
    pub county: RegionCode,
    pub year: i32,
    pub level: FundLevel,
    pub name: String,
    pub document: String,
    pub amount: Money,
}

/// Checks a plan's own fields.
pub fn check_plan(p: &FundPlan) -> Result<(), ProjectError> {
    if p.county.level() != RegionLevel::County {
        return Err(ProjectError::Invalid(format!(
            "a fund plan belongs to a county, found {}",
            p.county
        )));
    }
    if p.name.trim().is_empty() || p.amount.fen() <= 0 || !(2000..=2100).contains(&p.year) {
        return Err(ProjectError::Invalid(
            "a fund plan needs a name, a year and a positive amount".into(),
        ));
    }
    Ok(())
}

/// A project asset as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub name: String,
    pub class: AssetClass,
    /// 所有权人, e.g. the village collective.
    pub owner: String,
    /// 经营管护主体.
    pub manager: String,
    pub value: Money,
    pub registered_on: NaiveDate,
    /// For household assets: the households that received them, with the value each got.
    pub recipients: Vec<(i64, Money)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetEvent {
    Registered(Asset),
    /// Income the asset produced in a period (e.g. `2026`, `2026-H1`).
    IncomeRecorded {
        period: String,
        amount: Money,
        on: NaiveDate,
    },
    /// Income distributed to households (household id, amount).
    Distributed {
        period: String,
        on: NaiveDate,
        shares: Vec<(i64, Money)>,
    },
}

impl AssetEvent {
    pub fn name(&self) -> &'static str {
        match self {
            AssetEvent::Registered(_) => "registered",
            AssetEvent::IncomeRecorded { .. } => "income_recorded",
            AssetEvent::Distributed { .. } => "distributed",
        }
    }
}

/// An asset folded from its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetState {
    pub asset: Asset,
    pub income: Vec<(String, Money, NaiveDate)>,
    pub distributions: Vec<(String, NaiveDate, i64, Money)>,
}

impl AssetState {
    pub fn fold<'a>(
        events: impl IntoIterator<Item = &'a AssetEvent>,
    ) -> Result<AssetState, ProjectError> {
        let mut events = events.into_iter();
        let Some(AssetEvent::Registered(a)) = events.next() else {
            return Err(ProjectError::Invalid(
                "an asset log starts with its registration".into(),
            ));
        };
        let mut state = AssetState {
            asset: a.clone(),
            income: Vec::new(),
            distributions: Vec::new(),
        };
        for e in events {
            state = state.next(e)?;
        }
        Ok(state)
    }

    pub fn income_total(&self) -> Money {
        self.income.iter().map(|i| i.1).sum()
    }

    pub fn distributed_total(&self) -> Money {
        self.distributions.iter().map(|d| d.3).sum()
    }

    pub fn next(&self, event: &AssetEvent) -> Result<AssetState, ProjectError> {
        let mut s = self.clone();
        match event {
            AssetEvent::Registered(_) => {
                return Err(ProjectError::Invalid(
                    "the asset is already registered".into(),
                ));
            }
            AssetEvent::IncomeRecorded { period, amount, on } => {
                if amount.fen() <= 0 || period.trim().is_empty() {
                    return Err(ProjectError::Invalid(
                        "income needs a period and a positive amount".into(),
                    ));
                }
                s.income.push((period.clone(), *amount, *on));
            }
            AssetEvent::Distributed { period, on, shares } => {
                if shares.is_empty() || shares.iter().any(|x| x.1.fen() <= 0) {
                    return Err(ProjectError::Invalid(
                        "a distribution names households with positive amounts".into(),
                    ));
                }
                let total: Money = shares.iter().map(|x| x.1).sum();
                let left = self.income_total() - self.distributed_total();
                if total > left {
                    return Err(ProjectError::Invalid(format!(
                        "distributing {total} yuan exceeds the {left} yuan of income not yet distributed"
                    )));
                }
                for (h, m) in shares {
                    s.distributions.push((period.clone(), *on, *h, *m));
                }
            }
        }
        Ok(s)
    }
}

/// Checks an asset before registration.
pub fn check_asset(a: &Asset) -> Result<(), ProjectError> {
    if a.name.trim().is_empty() || a.owner.trim().is_empty() || a.manager.trim().is_empty() {
        return Err(ProjectError::Invalid(
            "an asset needs a name, an owner and a manager".into(),
        ));
    }
    if a.value.fen() < 0 {
        return Err(ProjectError::Invalid("an asset's value is negative".into()));
    }
    if a.class != AssetClass::Household && !a.recipients.is_empty() {
        return Err(ProjectError::Invalid(
            "only household assets (到户类) name recipient households".into(),
        ));
    }
    Ok(())
}

/// The fund terms of the pack in force (衔接资金 until 2025, 常态化帮扶资金 from 2026).
pub fn fund_terms(pack: &PolicyPack) -> (&str, &str) {
    (&pack.projects.fund_term_zh, &pack.projects.fund_term_en)
}

#[cfg(test)]
mod tests;
