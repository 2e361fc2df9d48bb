//! The trace from fund to household and back (issue 9 item 4), the ledgers (台账) of projects,
//! plans, assets and traces as sheets, and the public notice's content (公告公示).

use chrono::NaiveDate;
use uplift_domain::access::Action;
use uplift_domain::household::Codebook as _;
use uplift_domain::income::Money;
use uplift_domain::project::{AssetClass, AssetEvent, FundPlan, Project, ProjectKind};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use super::{
    AssetId, FundPlanId, PlanUsage, ProjectFailure, ProjectFilter, ProjectId, ProjectResult,
    pack_of_year, plan_usage,
};
use crate::App;
use crate::access::Principal;
use crate::households;
use crate::imports::sheet::Sheet;
use crate::store::{HouseholdId, Scope, StoreError};

/// One thing that reached a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceLine {
    /// `measure`, `household_asset` or `distribution`.
    pub kind: &'static str,
    pub date: NaiveDate,
    pub project: Option<(ProjectId, String)>,
    pub asset: Option<(AssetId, String)>,
    /// The funds behind it: plan names (for measures, the measure's funding source).
    pub funds: String,
    pub what: String,
    pub amount: Money,
}

impl TraceLine {
    pub fn kind_zh(&self) -> &'static str {
        match self.kind {
            "measure" => "帮扶措施",
            "household_asset" => "到户类资产",
            _ => "资产收益分配",
        }
    }
}

/// Everything that reached one household, with amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdTrace {
    pub household: HouseholdId,
    pub household_no: String,
    pub lines: Vec<TraceLine>,
    /// The distinct projects behind the lines.
    pub projects: Vec<(ProjectId, String, ProjectKind)>,
    pub total: Money,
}

fn plan_names(
    project: &Project,
    plans: &[(FundPlanId, uplift_domain::version::Versioned<FundPlan>)],
) -> String {
    let mut names: Vec<String> = Vec::new();
    for (plan, _) in &project.allocations {
        if let Some((_, v)) = plans.iter().find(|(id, _)| id.0 == *plan) {
            let name = format!("{}·{}", v.value.level.zh(), v.value.name);
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names.join("；")
}

/// The household's trace: measures, household assets and asset income it received.
pub async fn household_trace(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> ProjectResult<HouseholdTrace> {
    by.require(Action::ReadRegistry)?;
    let today = app.clock.today();
    let detail = households::get(app, household, &by.scope(), ReadAt::current(today)).await?;
    let county = super::county_of(&detail.household.value.region)?;
    let mut lines = Vec::new();
    for (_, m) in app
        .store
        .measures(household, ReadAt::current(today))
        .await?
    {
        let m = m.value;
        lines.push(TraceLine {
            kind: "measure",
            date: m.start,
            project: None,
            asset: None,
            funds: m.funding.zh().to_owned(),
            what: format!("{}：{}", m.category.zh(), m.name),
            amount: m.amount,
        });
    }
    let plans = app
        .store
        .fund_plans(&Scope::Everything, Some(&county), None)
        .await?;
    let projects = app
        .store
        .list_projects(&ProjectFilter::county(Scope::Everything, county))
        .await?;
    let mut reached: Vec<(ProjectId, String, ProjectKind)> = Vec::new();
    for asset in app
        .store
        .list_assets(&Scope::Everything, Some(&county), None)
        .await?
    {
        let Some(record) = projects.iter().find(|p| p.id == asset.project) else {
            continue;
        };
        let project = record.project()?;
        let funds = plan_names(&project, &plans);
        let state = asset.state()?;
        let mut hit = false;
        for (h, value) in &state.asset.recipients {
            if *h == household.0 {
                hit = true;
                lines.push(TraceLine {
                    kind: "household_asset",
                    date: state.asset.registered_on,
                    project: Some((record.id, project.proposal.name.clone())),
                    asset: Some((asset.id, state.asset.name.clone())),
                    funds: funds.clone(),
                    what: format!("{}：{}", AssetClass::Household.zh(), state.asset.name),
                    amount: *value,
                });
            }
        }
        for (period, on, h, amount) in &state.distributions {
            if *h == household.0 {
                hit = true;
                lines.push(TraceLine {
                    kind: "distribution",
                    date: *on,
                    project: Some((record.id, project.proposal.name.clone())),
                    asset: Some((asset.id, state.asset.name.clone())),
                    funds: funds.clone(),
                    what: format!("{} 收益分配 {period}", state.asset.name),
                    amount: *amount,
                });
            }
        }
        if hit && !reached.iter().any(|r| r.0 == record.id) {
            reached.push((
                record.id,
                project.proposal.name.clone(),
                project.proposal.kind,
            ));
        }
    }
    lines.sort_by(|a, b| a.date.cmp(&b.date).then(a.kind.cmp(b.kind)));
    Ok(HouseholdTrace {
        household,
        household_no: detail.household.value.household_no.as_str().to_owned(),
        total: lines.iter().map(|l| l.amount).sum(),
        lines,
        projects: reached,
    })
}

/// A project one fund reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundProjectLine {
    pub id: ProjectId,
    pub name: String,
    pub kind: ProjectKind,
    pub region: RegionCode,
    pub status: &'static str,
    pub allocated: Money,
    pub paid: Money,
}

/// A household one fund reached (through an asset of a project it funded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundHouseholdLine {
    pub household: HouseholdId,
    pub household_no: String,
    pub village: RegionCode,
    pub project: String,
    pub asset: String,
    pub kind: &'static str,
    pub date: NaiveDate,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundTrace {
    pub id: FundPlanId,
    pub plan: FundPlan,
    pub term_zh: String,
    pub term_en: String,
    pub projects: Vec<FundProjectLine>,
    pub households: Vec<FundHouseholdLine>,
    /// Households reached outside the reader's area (counted, not shown).
    pub hidden_households: usize,
}

/// Every project and household one fund plan reached.
pub async fn fund_trace(app: &App, by: &Principal, id: FundPlanId) -> ProjectResult<FundTrace> {
    by.require(Action::ReadRegistry)?;
    let (_, plan) = app
        .store
        .fund_plans(&by.scope(), None, None)
        .await?
        .into_iter()
        .find(|(p, _)| *p == id)
        .ok_or_else(|| StoreError::NotFound(format!("fund plan {}", id.0)))?;
    let plan = plan.value;
    let pack = pack_of_year(app, &plan.county, plan.year)?;
    let projects = app
        .store
        .list_projects(&ProjectFilter::county(Scope::Everything, plan.county))
        .await?;
    let assets = app
        .store
        .list_assets(&Scope::Everything, Some(&plan.county), None)
        .await?;
    let today = app.clock.today();
    let scope = by.scope();
    let mut lines = Vec::new();
    let mut households_out = Vec::new();
    let mut hidden = 0;
    for record in &projects {
        let p = record.project()?;
        let allocated = p.allocated_from(id.0);
        if allocated == Money::ZERO {
            continue;
        }
        lines.push(FundProjectLine {
            id: record.id,
            name: p.proposal.name.clone(),
            kind: p.proposal.kind,
            region: record.region,
            status: p.status.zh(),
            allocated,
            paid: p.paid_from(id.0),
        });
        for asset in assets.iter().filter(|a| a.project == record.id) {
            let state = asset.state()?;
            let mut reached: Vec<(i64, &'static str, NaiveDate, Money)> = state
                .asset
                .recipients
                .iter()
                .map(|(h, m)| (*h, "household_asset", state.asset.registered_on, *m))
                .collect();
            reached.extend(
                state
                    .distributions
                    .iter()
                    .map(|(_, on, h, m)| (*h, "distribution", *on, *m)),
            );
            for (h, kind, date, amount) in reached {
                match households::get(app, HouseholdId(h), &scope, ReadAt::current(today)).await {
                    Ok(d) => households_out.push(FundHouseholdLine {
                        household: HouseholdId(h),
                        household_no: d.household.value.household_no.as_str().to_owned(),
                        village: d.household.value.region,
                        project: p.proposal.name.clone(),
                        asset: state.asset.name.clone(),
                        kind,
                        date,
                        amount,
                    }),
                    Err(StoreError::NotFound(_)) => hidden += 1,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(FundTrace {
        id,
        term_zh: pack.projects.fund_term_zh.clone(),
        term_en: pack.projects.fund_term_en.clone(),
        plan,
        projects: lines,
        households: households_out,
        hidden_households: hidden,
    })
}

fn h(zh: &str, en: &str) -> String {
    format!("{zh} {en}")
}

/// The household trace as a ledger.
pub fn household_ledger(t: &HouseholdTrace) -> Sheet {
    Sheet {
        name: "户帮扶台账 household".to_owned(),
        headers: vec![
            h("户编号", "household_no"),
            h("类别", "kind"),
            h("日期", "date"),
            h("项目", "project"),
            h("资产", "asset"),
            h("资金来源", "funds"),
            h("内容", "what"),
            h("金额(元)", "amount_yuan"),
        ],
        rows: t
            .lines
            .iter()
            .map(|l| {
                vec![
                    t.household_no.clone(),
                    l.kind_zh().to_owned(),
                    l.date.to_string(),
                    l.project.as_ref().map(|p| p.1.clone()).unwrap_or_default(),
                    l.asset.as_ref().map(|a| a.1.clone()).unwrap_or_default(),
                    l.funds.clone(),
                    l.what.clone(),
                    l.amount.to_string(),
                ]
            })
            .collect(),
        note: None,
    }
}

/// The fund trace as a ledger: its projects, then the households they reached.
pub fn fund_ledger(t: &FundTrace) -> Sheet {
    let mut rows: Vec<Vec<String>> = t
        .projects
        .iter()
        .map(|p| {
            vec![
                "项目 project".to_owned(),
                p.id.0.to_string(),
                p.name.clone(),
                p.kind.zh().to_owned(),
                p.region.to_string(),
                p.status.to_owned(),
                p.allocated.to_string(),
                p.paid.to_string(),
                String::new(),
            ]
        })
        .collect();
    rows.extend(t.households.iter().map(|x| {
        vec![
            "农户 household".to_owned(),
            x.household_no.clone(),
            x.project.clone(),
            x.asset.clone(),
            x.village.to_string(),
            if x.kind == "distribution" {
                "资产收益分配"
            } else {
                "到户类资产"
            }
            .to_owned(),
            String::new(),
            String::new(),
            x.amount.to_string(),
        ]
    }));
    Sheet {
        name: "资金流向台账 fund".to_owned(),
        headers: vec![
            h("类别", "row"),
            h("编号", "id"),
            h("项目", "project"),
            h("类型/资产", "kind_or_asset"),
            h("地点", "region"),
            h("状态", "status"),
            h("安排金额(元)", "allocated_yuan"),
            h("支付金额(元)", "paid_yuan"),
            h("到户金额(元)", "household_yuan"),
        ],
        rows,
        note: Some(format!(
            "{} {} · {} {}",
            t.plan.year,
            t.term_zh,
            t.plan.level.zh(),
            t.plan.name
        )),
    }
}

/// The project library as a ledger.
pub fn project_ledger(views: &[super::ProjectView]) -> Sheet {
    Sheet {
        name: "项目库台账 projects".to_owned(),
        headers: vec![
            h("项目编号", "id"),
            h("年度", "year"),
            h("项目名称", "name"),
            h("项目类型", "kind"),
            h("申报主体", "proposer"),
            h("地点", "region"),
            h("预算(元)", "budget_yuan"),
            h("受益户数", "beneficiary_households"),
            h("联农带农", "linkage"),
            h("状态", "status"),
            h("已安排(元)", "allocated_yuan"),
            h("已支付(元)", "paid_yuan"),
        ],
        rows: views
            .iter()
            .map(|v| {
                let p = &v.project;
                vec![
                    v.record.id.0.to_string(),
                    p.year.to_string(),
                    p.proposal.name.clone(),
                    p.proposal.kind.zh().to_owned(),
                    p.proposal.proposer.zh().to_owned(),
                    v.record.region.to_string(),
                    p.proposal.budget_total().to_string(),
                    p.proposal.beneficiary_households.to_string(),
                    p.proposal
                        .linkage
                        .iter()
                        .map(|l| format!("{} {}户 {}元", l.kind.zh(), l.households, l.amount))
                        .collect::<Vec<_>>()
                        .join("；"),
                    p.status.zh().to_owned(),
                    p.allocated().to_string(),
                    p.paid().to_string(),
                ]
            })
            .collect(),
        note: None,
    }
}

/// The fund plans of a year as a ledger.
pub fn plan_ledger(usage: &[PlanUsage], term_zh: &str) -> Sheet {
    Sheet {
        name: "资金计划台账 plans".to_owned(),
        headers: vec![
            h("计划编号", "id"),
            h("年度", "year"),
            h("资金级次", "level"),
            h("资金名称", "name"),
            h("指标文号", "document"),
            h("金额(元)", "amount_yuan"),
            h("已安排(元)", "allocated_yuan"),
            h("已支付(元)", "paid_yuan"),
        ],
        rows: usage
            .iter()
            .map(|u| {
                vec![
                    u.id.0.to_string(),
                    u.plan.year.to_string(),
                    u.plan.level.zh().to_owned(),
                    u.plan.name.clone(),
                    u.plan.document.clone(),
                    u.plan.amount.to_string(),
                    u.allocated.to_string(),
                    u.paid.to_string(),
                ]
            })
            .collect(),
        note: Some(term_zh.to_owned()),
    }
}

/// The assets as a ledger (one row per asset, with income and distribution totals).
pub fn asset_ledger(assets: &[super::AssetRecord]) -> ProjectResult<Sheet> {
    let mut rows = Vec::new();
    for a in assets {
        let s = a.state()?;
        rows.push(vec![
            a.id.0.to_string(),
            a.project.0.to_string(),
            s.asset.name.clone(),
            s.asset.class.zh().to_owned(),
            s.asset.owner.clone(),
            s.asset.manager.clone(),
            a.region.to_string(),
            s.asset.value.to_string(),
            s.income_total().to_string(),
            s.distributed_total().to_string(),
        ]);
    }
    Ok(Sheet {
        name: "项目资产台账 assets".to_owned(),
        headers: vec![
            h("资产编号", "id"),
            h("项目编号", "project"),
            h("资产名称", "name"),
            h("资产类别", "class"),
            h("所有权人", "owner"),
            h("经营管护主体", "manager"),
            h("地点", "region"),
            h("价值(元)", "value_yuan"),
            h("累计收益(元)", "income_yuan"),
            h("已分配(元)", "distributed_yuan"),
        ],
        rows,
        note: None,
    })
}

/// The content of a public notice of a county's annual fund plan and project arrangements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub county: RegionCode,
    pub county_name: String,
    pub year: i32,
    pub term_zh: String,
    pub term_en: String,
    pub supervision_phone: String,
    pub plans: Vec<PlanUsage>,
    pub total: Money,
    /// Projects arranged in the plan: name, kind, place, amount arranged, linkage summary.
    pub projects: Vec<(String, ProjectKind, RegionCode, Money, String)>,
    pub share: Option<String>,
    pub published_on: NaiveDate,
}

/// Builds the notice (公告公示) of a county's year: plans, arranged projects, supervision phone.
pub async fn disclosure(
    app: &App,
    by: &Principal,
    county: &RegionCode,
    year: i32,
) -> ProjectResult<Disclosure> {
    let usage = plan_usage(app, by, county, year).await?;
    let pack = pack_of_year(app, county, year)?;
    let county_name = app
        .store
        .region(county)
        .await?
        .map(|r| r.name)
        .ok_or_else(|| ProjectFailure::Invalid(format!("county {county} is unknown")))?;
    let projects = app
        .store
        .list_projects(&ProjectFilter::county(Scope::Everything, *county))
        .await?;
    let mut arranged = Vec::new();
    for r in &projects {
        let p = r.project()?;
        let amount: Money = usage.iter().map(|u| p.allocated_from(u.id.0)).sum();
        if amount > Money::ZERO {
            let linkage = p
                .proposal
                .linkage
                .iter()
                .map(|l| format!("{}{}户", l.kind.zh(), l.households))
                .collect::<Vec<_>>()
                .join("，");
            arranged.push((
                p.proposal.name.clone(),
                p.proposal.kind,
                r.region,
                amount,
                linkage,
            ));
        }
    }
    let share = super::share_of(app, county, year, &[]).await?;
    Ok(Disclosure {
        county: *county,
        county_name,
        year,
        term_zh: pack.projects.fund_term_zh.clone(),
        term_en: pack.projects.fund_term_en.clone(),
        supervision_phone: pack.projects.supervision_phone.clone(),
        total: usage.iter().map(|u| u.plan.amount).sum(),
        plans: usage,
        projects: arranged,
        share: share.percent_text(),
        published_on: app.clock.today(),
    })
}

/// The payments of a project as ledger rows are part of the project view; an asset's events
/// (income and distributions) as text lines, for the screens.
pub fn asset_lines(record: &super::AssetRecord) -> Vec<(NaiveDate, String, Money)> {
    record
        .events
        .iter()
        .map(|(e, _)| match e {
            AssetEvent::Registered(a) => (a.registered_on, "登记 registered".to_owned(), a.value),
            AssetEvent::IncomeRecorded { period, amount, on } => {
                (*on, format!("收益 income {period}"), *amount)
            }
            AssetEvent::Distributed { period, on, shares } => (
                *on,
                format!("分配 distributed {period} ({} 户)", shares.len()),
                shares.iter().map(|s| s.1).sum(),
            ),
        })
        .collect()
}
