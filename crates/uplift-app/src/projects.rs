//! Use cases of the project library, fund plans, assets and the fund-to-household trace
//! (domain.md §9; issue 9).
//!
//! Every use case checks the principal's action (role) and reads through the principal's scope,
//! so a project outside the user's area is refused as if it did not exist. The domain
//! (`uplift_domain::project`) decides every transition; the store appends each step as an event
//! under optimistic concurrency, and each write is also written to the audit log.

pub mod import;
pub mod store;
pub mod trace;

use chrono::NaiveDate;
use uplift_domain::access::Action;
use uplift_domain::household::Codebook as _;
use uplift_domain::income::Money;
use uplift_domain::policy::PolicyPack;
use uplift_domain::project::{
    Asset, AssetClass, AssetEvent, FundLevel, FundPlan, Project, ProjectError, ProjectEvent,
    ProjectKind, Proposal, ShareCheck, check_asset, check_plan, check_proposal, due_diligence,
};
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_domain::version::{ReadAt, Versioned};

use crate::App;
use crate::access::{self, AccessDenied, Principal};
use crate::households;
use crate::store::{HouseholdId, Scope, StoreError};
pub use store::{
    AssetId, AssetRecord, FundPlanId, NewProject, ProjectFilter, ProjectId, ProjectRecord,
    ProjectStep, ProjectStore,
};

/// Why a project use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectFailure {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error(transparent)]
    Rule(#[from] ProjectError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no policy pack is in force for {region} on {on}")]
    NoPolicy { region: RegionCode, on: NaiveDate },
    #[error("invalid: {0}")]
    Invalid(String),
    /// The arrangement would put the industry share below the pack's floor; nothing was saved.
    /// Saving needs an explicit confirmation.
    #[error(
        "the industry share of {county} {year} would fall to {}% (floor {}%): confirm to save anyway",
        share.percent_text().unwrap_or_default(),
        share.floor_percent.unwrap_or(0)
    )]
    ShareBelowFloor {
        county: RegionCode,
        year: i32,
        share: ShareCheck,
    },
}

pub type ProjectResult<T> = Result<T, ProjectFailure>;

/// A project with what the screens show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectView {
    pub record: ProjectRecord,
    pub project: Project,
    pub due_diligence: &'static str,
    /// Steps the viewing principal could take next.
    pub next: Vec<&'static str>,
}

pub(crate) fn pack_for<'a>(
    app: &'a App,
    region: &RegionCode,
    on: NaiveDate,
) -> ProjectResult<&'a PolicyPack> {
    app.policy
        .in_force(region, on)
        .ok_or(ProjectFailure::NoPolicy {
            region: *region,
            on,
        })
}

/// The pack that governs a county's fund year: the last in force in that year, so a 2025
/// plan reads 衔接资金 and a 2026 plan 常态化帮扶资金.
pub fn pack_of_year<'a>(
    app: &'a App,
    county: &RegionCode,
    year: i32,
) -> ProjectResult<&'a PolicyPack> {
    let on = NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| ProjectFailure::Invalid(format!("year {year} is out of range")))?;
    pack_for(app, county, on)
}

fn county_of(region: &RegionCode) -> ProjectResult<RegionCode> {
    region
        .ancestor(RegionLevel::County)
        .ok_or_else(|| ProjectFailure::Invalid(format!("{region} lies in no county")))
}

/// Whether the principal's own region covers `region` (machine: always).
fn covers(by: &Principal, region: &RegionCode) -> bool {
    match (by.role, by.region) {
        (None, _) => true,
        (Some(_), Some(own)) => own.contains(region),
        (Some(_), None) => false,
    }
}

fn view(app: &App, by: &Principal, record: ProjectRecord) -> ProjectResult<ProjectView> {
    let project = record.project()?;
    let pack = pack_for(app, &record.region, app.clock.today())?;
    Ok(ProjectView {
        due_diligence: due_diligence(&project.proposal, &pack.projects).zh(),
        next: project.next_steps(by.role),
        project,
        record,
    })
}

async fn audit(
    app: &App,
    by: &Principal,
    action: &str,
    target: String,
    region: RegionCode,
    reason: Option<String>,
) -> ProjectResult<()> {
    access::audit(app, by, action, &target, Some(region), reason).await?;
    Ok(())
}

/// Checks one proposal for the principal and builds its record.
async fn new_project(
    app: &App,
    by: &Principal,
    proposal: Proposal,
    source: &str,
) -> ProjectResult<NewProject> {
    by.require(Action::ProposeProject)?;
    check_proposal(&proposal)?;
    let event = ProjectEvent::Proposed(proposal.clone());
    if let Some(role) = by.role
        && !event.allowed(role, None)
    {
        return Err(ProjectError::Role {
            role: role.code(),
            step: "proposed",
        }
        .into());
    }
    if !covers(by, &proposal.region) {
        return Err(ProjectFailure::Store(StoreError::NotFound(format!(
            "region {}",
            proposal.region
        ))));
    }
    if app.store.region(&proposal.region).await?.is_none() {
        return Err(ProjectFailure::Invalid(format!(
            "region {} is not in the region tree",
            proposal.region
        )));
    }
    let county = county_of(&proposal.region)?;
    let today = app.clock.today();
    pack_for(app, &proposal.region, today)?;
    Ok(NewProject {
        county,
        region: proposal.region,
        year: proposal.year,
        proposed: event,
        stamp: app.stamp(&by.name, source, today, None),
    })
}

/// A village (or township, or the county for a department) proposes a project.
pub async fn propose(
    app: &App,
    by: &Principal,
    proposal: Proposal,
    source: &str,
) -> ProjectResult<ProjectId> {
    let ids = propose_many(app, by, vec![proposal], source).await?;
    Ok(ids[0])
}

/// Proposes several projects, all or none (the import of a project list).
pub async fn propose_many(
    app: &App,
    by: &Principal,
    proposals: Vec<Proposal>,
    source: &str,
) -> ProjectResult<Vec<ProjectId>> {
    let mut new = Vec::with_capacity(proposals.len());
    for p in proposals {
        new.push(new_project(app, by, p, source).await?);
    }
    let ids = app.store.create_projects(&new).await?;
    for (id, n) in ids.iter().zip(&new) {
        audit(
            app,
            by,
            "project_proposed",
            format!("project:{}", id.0),
            n.region,
            None,
        )
        .await?;
    }
    Ok(ids)
}

/// One project as the principal may see it.
pub async fn get(app: &App, by: &Principal, id: ProjectId) -> ProjectResult<ProjectView> {
    by.require(Action::ReadRegistry)?;
    let record = app
        .store
        .project_record(id, &by.scope())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("project {}", id.0)))?;
    view(app, by, record)
}

/// Projects in the principal's scope.
pub async fn list(
    app: &App,
    by: &Principal,
    mut filter: ProjectFilter,
) -> ProjectResult<Vec<ProjectView>> {
    by.require(Action::ReadRegistry)?;
    filter.scope = by.scope();
    let records = app.store.list_projects(&filter).await?;
    records.into_iter().map(|r| view(app, by, r)).collect()
}

fn action_of(event: &ProjectEvent) -> Action {
    match event {
        ProjectEvent::Proposed(_) => Action::ProposeProject,
        ProjectEvent::Reviewed { .. } => Action::ReviewProject,
        ProjectEvent::Decided { .. } => Action::DecideProject,
        _ => Action::ManageFunds,
    }
}

/// Takes one step of a project (review, decision, start, acceptance, roll-over). Allocations
/// go through [`allocate`] (share check) and payments through [`disburse`].
pub async fn step(
    app: &App,
    by: &Principal,
    id: ProjectId,
    event: ProjectEvent,
    on: NaiveDate,
    source: &str,
) -> ProjectResult<ProjectView> {
    if matches!(
        event,
        ProjectEvent::Proposed(_) | ProjectEvent::Allocated { .. } | ProjectEvent::Disbursed { .. }
    ) {
        return Err(ProjectFailure::Invalid(format!(
            "step {} has its own use case",
            event.name()
        )));
    }
    by.require(action_of(&event))?;
    let record = app
        .store
        .project_record(id, &by.scope())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("project {}", id.0)))?;
    let before = record.project()?;
    let pack = pack_for(app, &record.region, app.clock.today())?;
    let after = before.apply(&event, by.role, &pack.projects)?;
    let step = ProjectStep {
        project: id,
        expected_version: record.events.len() as u32,
        status: after.status,
        year: after.year,
        stamp: app.stamp(&by.name, source, on, None),
        event: event.clone(),
    };
    app.store.append_project_steps(&[step]).await?;
    audit(
        app,
        by,
        &format!("project_{}", event.name()),
        format!("project:{}", id.0),
        record.region,
        None,
    )
    .await?;
    get(app, by, id).await
}

/// Records a payment of a project from a plan it was allocated money from.
pub async fn disburse(
    app: &App,
    by: &Principal,
    id: ProjectId,
    event: ProjectEvent,
    source: &str,
) -> ProjectResult<ProjectView> {
    let ProjectEvent::Disbursed { on, .. } = &event else {
        return Err(ProjectFailure::Invalid("expected a payment".into()));
    };
    let on = *on;
    by.require(Action::ManageFunds)?;
    let record = app
        .store
        .project_record(id, &by.scope())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("project {}", id.0)))?;
    let pack = pack_for(app, &record.region, app.clock.today())?;
    let after = record.project()?.apply(&event, by.role, &pack.projects)?;
    app.store
        .append_project_steps(&[ProjectStep {
            project: id,
            expected_version: record.events.len() as u32,
            status: after.status,
            year: after.year,
            stamp: app.stamp(&by.name, source, on, None),
            event,
        }])
        .await?;
    audit(
        app,
        by,
        "project_disbursed",
        format!("project:{}", id.0),
        record.region,
        None,
    )
    .await?;
    get(app, by, id).await
}

/// Saves new fund plans (or new versions of existing ones), all or none.
pub async fn save_plans(
    app: &App,
    by: &Principal,
    plans: Vec<(Option<FundPlanId>, FundPlan)>,
    source: &str,
) -> ProjectResult<Vec<FundPlanId>> {
    by.require(Action::ManageFunds)?;
    let today = app.clock.today();
    let mut rows = Vec::with_capacity(plans.len());
    for (id, plan) in plans {
        check_plan(&plan)?;
        if !covers(by, &plan.county) {
            return Err(StoreError::NotFound(format!("county {}", plan.county)).into());
        }
        if let Some(id) = id
            && !plan_exists(app, id).await?
        {
            return Err(StoreError::NotFound(format!("fund plan {}", id.0)).into());
        }
        pack_of_year(app, &plan.county, plan.year)?;
        rows.push((id, plan, app.stamp(&by.name, source, today, None)));
    }
    let ids = app.store.save_fund_plans(&rows).await?;
    for (id, (_, plan, _)) in ids.iter().zip(&rows) {
        audit(
            app,
            by,
            "fund_plan_saved",
            format!("fund_plan:{}", id.0),
            plan.county,
            None,
        )
        .await?;
    }
    Ok(ids)
}

async fn plan_exists(app: &App, id: FundPlanId) -> ProjectResult<bool> {
    Ok(app
        .store
        .fund_plans(&Scope::Everything, None, None)
        .await?
        .iter()
        .any(|(p, _)| *p == id))
}

/// Fund plans in the principal's scope.
pub async fn plans(
    app: &App,
    by: &Principal,
    county: Option<&RegionCode>,
    year: Option<i32>,
) -> ProjectResult<Vec<(FundPlanId, Versioned<FundPlan>)>> {
    by.require(Action::ReadRegistry)?;
    Ok(app.store.fund_plans(&by.scope(), county, year).await?)
}

/// One allocation of an arrangement: money of a plan for a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub project: ProjectId,
    pub plan: FundPlanId,
    pub amount: Money,
}

/// What an arrangement does to the industry share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationOutcome {
    pub county: RegionCode,
    pub year: i32,
    pub before: ShareCheck,
    pub after: ShareCheck,
    /// Whether it was written (false for a dry run).
    pub saved: bool,
}

/// The industry share of a county's allocations in a year (domain.md §9.2), from the stored
/// projects plus `extra` (kind, amount) allocations not yet saved.
async fn share_of(
    app: &App,
    county: &RegionCode,
    year: i32,
    extra: &[(ProjectKind, Money)],
) -> ProjectResult<ShareCheck> {
    let pack = pack_of_year(app, county, year)?;
    let plans: Vec<FundPlanId> = app
        .store
        .fund_plans(&Scope::Everything, Some(county), Some(year))
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let projects = app
        .store
        .list_projects(&ProjectFilter::county(Scope::Everything, *county))
        .await?;
    let (mut industry, mut total) = (Money::ZERO, Money::ZERO);
    for record in &projects {
        let p = record.project()?;
        for (plan, amount) in &p.allocations {
            if plans.contains(&FundPlanId(*plan)) {
                total = total + *amount;
                if p.proposal.kind == ProjectKind::Industry {
                    industry = industry + *amount;
                }
            }
        }
    }
    for (kind, amount) in extra {
        total = total + *amount;
        if *kind == ProjectKind::Industry {
            industry = industry + *amount;
        }
    }
    Ok(ShareCheck::new(industry, total, pack.industry_share))
}

/// The live industry share of a county's year, for the county page.
pub async fn industry_share(
    app: &App,
    by: &Principal,
    county: &RegionCode,
    year: i32,
) -> ProjectResult<ShareCheck> {
    by.require(Action::ReadRegistry)?;
    if !matches!(by.scope(), Scope::Everything) && !covers(by, county) {
        let inside = by.region.is_some_and(|r| county.contains(&r));
        if !inside {
            return Err(StoreError::NotFound(format!("county {county}")).into());
        }
    }
    share_of(app, county, year, &[]).await
}

/// Allocates plan money to projects (the annual plan's arrangement), all or none, in one
/// county and year. If the industry share after it would be below the pack's floor, nothing is
/// saved and [`ProjectFailure::ShareBelowFloor`] asks for a confirmation (`confirm`), which is
/// then kept in the audit log. `dry_run` reports the share without saving.
pub async fn allocate(
    app: &App,
    by: &Principal,
    allocations: &[Allocation],
    confirm: bool,
    dry_run: bool,
    source: &str,
) -> ProjectResult<AllocationOutcome> {
    by.require(Action::ManageFunds)?;
    let first = allocations
        .first()
        .ok_or_else(|| ProjectFailure::Invalid("no allocations".into()))?;
    let scope = by.scope();
    let all_plans = app.store.fund_plans(&scope, None, None).await?;
    let plan_of = |id: FundPlanId| {
        all_plans
            .iter()
            .find(|(p, _)| *p == id)
            .map(|(_, v)| v.value.clone())
            .ok_or_else(|| StoreError::NotFound(format!("fund plan {}", id.0)))
    };
    let first_plan = plan_of(first.plan)?;
    let (county, year) = (first_plan.county, first_plan.year);
    let pack = pack_of_year(app, &county, year)?;
    // Fold every allocation onto its project, in order, so two lines for one project add up.
    let mut states: Vec<(ProjectRecord, Project, Vec<ProjectEvent>)> = Vec::new();
    let mut extra = Vec::new();
    let mut per_plan: Vec<(FundPlanId, Money)> = Vec::new();
    for a in allocations {
        let plan = plan_of(a.plan)?;
        if plan.county != county || plan.year != year {
            return Err(ProjectFailure::Invalid(
                "an arrangement covers the plans of one county and one year".into(),
            ));
        }
        let idx = match states.iter().position(|(r, _, _)| r.id == a.project) {
            Some(i) => i,
            None => {
                let record = app
                    .store
                    .project_record(a.project, &scope)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("project {}", a.project.0)))?;
                if record.county != county {
                    return Err(ProjectFailure::Invalid(format!(
                        "project {} is not in county {county}",
                        a.project.0
                    )));
                }
                let project = record.project()?;
                states.push((record, project, Vec::new()));
                states.len() - 1
            }
        };
        let event = ProjectEvent::Allocated {
            plan: a.plan.0,
            amount: a.amount,
        };
        let (_, project, events) = &mut states[idx];
        if project.year != year {
            return Err(ProjectFailure::Invalid(format!(
                "project {} is in the {} library, the plan is for {year}",
                a.project.0, project.year
            )));
        }
        *project = project.apply(&event, by.role, &pack.projects)?;
        events.push(event);
        extra.push((project.proposal.kind, a.amount));
        match per_plan.iter_mut().find(|(p, _)| *p == a.plan) {
            Some((_, m)) => *m = *m + a.amount,
            None => per_plan.push((a.plan, a.amount)),
        }
    }
    // A plan cannot be arranged beyond its amount.
    let stored = app
        .store
        .list_projects(&ProjectFilter::county(Scope::Everything, county))
        .await?;
    for (plan_id, adding) in &per_plan {
        let plan = plan_of(*plan_id)?;
        let mut used = *adding;
        for r in &stored {
            used = used + r.project()?.allocated_from(plan_id.0);
        }
        if used > plan.amount {
            return Err(ProjectFailure::Invalid(format!(
                "plan {} ({}) would be arranged {used} yuan, more than its {} yuan",
                plan_id.0, plan.name, plan.amount
            )));
        }
    }
    let before = share_of(app, &county, year, &[]).await?;
    let after = share_of(app, &county, year, &extra).await?;
    if after.below_floor() && !confirm {
        return Err(ProjectFailure::ShareBelowFloor {
            county,
            year,
            share: after,
        });
    }
    if dry_run {
        return Ok(AllocationOutcome {
            county,
            year,
            before,
            after,
            saved: false,
        });
    }
    let today = app.clock.today();
    let mut steps = Vec::new();
    for (record, project, events) in &states {
        for (version, event) in (record.events.len() as u32..).zip(events.iter()) {
            steps.push(ProjectStep {
                project: record.id,
                expected_version: version,
                event: event.clone(),
                status: project.status,
                year: project.year,
                stamp: app.stamp(&by.name, source, today, None),
            });
        }
    }
    app.store.append_project_steps(&steps).await?;
    let reason = after.below_floor().then(|| {
        format!(
            "industry share {}% below the floor {}%, confirmed",
            after.percent_text().unwrap_or_default(),
            after.floor_percent.unwrap_or(0)
        )
    });
    for (record, _, _) in &states {
        audit(
            app,
            by,
            "project_allocated",
            format!("project:{}", record.id.0),
            record.region,
            reason.clone(),
        )
        .await?;
    }
    Ok(AllocationOutcome {
        county,
        year,
        before,
        after,
        saved: true,
    })
}

/// Registers an asset left by an accepted project. Household assets name their recipients,
/// who must live in the project's county.
pub async fn register_asset(
    app: &App,
    by: &Principal,
    project: ProjectId,
    asset: Asset,
    source: &str,
) -> ProjectResult<AssetId> {
    by.require(Action::ManageFunds)?;
    check_asset(&asset)?;
    let record = app
        .store
        .project_record(project, &by.scope())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("project {}", project.0)))?;
    let p = record.project()?;
    if p.accepted.is_none() {
        return Err(ProjectFailure::Invalid(format!(
            "project {} is not accepted yet; assets are registered after acceptance",
            project.0
        )));
    }
    for (h, _) in &asset.recipients {
        household_in_county(app, HouseholdId(*h), &record.county).await?;
    }
    let stamp = app.stamp(&by.name, source, asset.registered_on, None);
    let id = app
        .store
        .register_asset(
            project,
            &record.county,
            &record.region,
            &AssetEvent::Registered(asset),
            &stamp,
        )
        .await?;
    audit(
        app,
        by,
        "asset_registered",
        format!("asset:{}", id.0),
        record.region,
        None,
    )
    .await?;
    Ok(id)
}

async fn household_in_county(
    app: &App,
    household: HouseholdId,
    county: &RegionCode,
) -> ProjectResult<()> {
    let today = app.clock.today();
    households::get(
        app,
        household,
        &Scope::Region(*county),
        ReadAt::current(today),
    )
    .await
    .map_err(|_| {
        ProjectFailure::Invalid(format!(
            "household {} is not a household of county {county}",
            household.0
        ))
    })?;
    Ok(())
}

/// Assets in the principal's scope.
pub async fn assets(
    app: &App,
    by: &Principal,
    county: Option<&RegionCode>,
    project: Option<ProjectId>,
) -> ProjectResult<Vec<AssetRecord>> {
    by.require(Action::ReadRegistry)?;
    Ok(app.store.list_assets(&by.scope(), county, project).await?)
}

/// Records asset income or its distribution to households (of the asset's county).
pub async fn asset_step(
    app: &App,
    by: &Principal,
    asset: AssetId,
    event: AssetEvent,
    source: &str,
) -> ProjectResult<AssetRecord> {
    by.require(Action::ManageFunds)?;
    let record = app
        .store
        .list_assets(&by.scope(), None, None)
        .await?
        .into_iter()
        .find(|a| a.id == asset)
        .ok_or_else(|| StoreError::NotFound(format!("asset {}", asset.0)))?;
    let state = record.state()?;
    state.next(&event)?;
    let on = match &event {
        AssetEvent::Registered(_) => {
            return Err(ProjectFailure::Invalid(
                "the asset is already registered".into(),
            ));
        }
        AssetEvent::IncomeRecorded { on, .. } => *on,
        AssetEvent::Distributed { on, shares, .. } => {
            if state.asset.class == AssetClass::PublicWelfare {
                return Err(ProjectFailure::Invalid(
                    "public-welfare assets produce no income to distribute".into(),
                ));
            }
            for (h, _) in shares {
                household_in_county(app, HouseholdId(*h), &record.county).await?;
            }
            *on
        }
    };
    app.store
        .append_asset_event(
            asset,
            record.events.len() as u32,
            &event,
            &app.stamp(&by.name, source, on, None),
        )
        .await?;
    audit(
        app,
        by,
        &format!("asset_{}", event.name()),
        format!("asset:{}", asset.0),
        record.region,
        None,
    )
    .await?;
    app.store
        .list_assets(&Scope::Everything, None, Some(record.project))
        .await?
        .into_iter()
        .find(|a| a.id == asset)
        .ok_or_else(|| StoreError::NotFound(format!("asset {}", asset.0)).into())
}

/// Totals of a county's plans in a year, per level, with what was arranged and paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanUsage {
    pub id: FundPlanId,
    pub plan: FundPlan,
    pub allocated: Money,
    pub paid: Money,
}

/// The plans of a county and year with their arrangement and payments.
pub async fn plan_usage(
    app: &App,
    by: &Principal,
    county: &RegionCode,
    year: i32,
) -> ProjectResult<Vec<PlanUsage>> {
    let plans = plans(app, by, Some(county), Some(year)).await?;
    let projects = app
        .store
        .list_projects(&ProjectFilter::county(Scope::Everything, *county))
        .await?;
    let mut folded = Vec::new();
    for r in &projects {
        folded.push(r.project()?);
    }
    Ok(plans
        .into_iter()
        .map(|(id, v)| PlanUsage {
            allocated: folded.iter().map(|p| p.allocated_from(id.0)).sum(),
            paid: folded.iter().map(|p| p.paid_from(id.0)).sum(),
            id,
            plan: v.value,
        })
        .collect())
}

/// The sum of plans per level, in the order central, provincial, city, county.
pub fn totals_by_level(usage: &[PlanUsage]) -> Vec<(FundLevel, Money, Money, Money)> {
    FundLevel::ALL
        .iter()
        .map(|l| {
            let of = usage.iter().filter(|u| u.plan.level == *l);
            let (mut amount, mut allocated, mut paid) = (Money::ZERO, Money::ZERO, Money::ZERO);
            for u in of {
                amount = amount + u.plan.amount;
                allocated = allocated + u.allocated;
                paid = paid + u.paid;
            }
            (*l, amount, allocated, paid)
        })
        .collect()
}
