//! `/api/v1/projects…`, `/api/v1/fund-plans…`, `/api/v1/allocations`, `/api/v1/assets`,
//! `/api/v1/households/{id}/trace` and `/api/v1/project-imports` (issue 9): the project
//! library, fund plans with the live industry share, assets, and the fund-to-household trace.
//! The pages of `ui::projects` share the bodies and views here.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use uplift_app::projects::{
    self, Allocation, AssetId, AssetRecord, FundPlanId, PlanUsage, ProjectFailure, ProjectFilter,
    ProjectId, ProjectView as AppProjectView, trace,
};
use uplift_domain::access::Action;
use uplift_domain::household::Codebook;
use uplift_domain::income::Money;
use uplift_domain::project::{
    Asset, AssetClass, AssetEvent, BudgetLine, ExpenseUse, FundLevel, FundPlan, Linkage,
    LinkageKind, Operator, ProjectError, ProjectEvent, ProjectKind, ProjectStatus, Proposal,
    ProposerKind, ShareCheck,
};
use uplift_domain::region::{RegionCode, RegionLevel};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::cases::parse_date;
use crate::api::households::CodeView;
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{HouseholdPath, Query};

/// A project failure as an HTTP error: a role that may not is 403, a step the status does not
/// allow or an arrangement below the industry floor is 409, a bad value is 422.
pub(crate) fn failure(err: ProjectFailure) -> ApiError {
    match err {
        ProjectFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
        ProjectFailure::Rule(e @ ProjectError::Role { .. }) => ApiError::Forbidden(e.to_string()),
        ProjectFailure::Rule(e @ ProjectError::Status { .. }) => ApiError::Conflict(e.to_string()),
        ProjectFailure::Rule(e) => ApiError::Invalid(e.to_string()),
        ProjectFailure::Store(e) => e.into(),
        e @ ProjectFailure::ShareBelowFloor { .. } => ApiError::Conflict(e.to_string()),
        e @ ProjectFailure::NoPolicy { .. } => ApiError::Invalid(e.to_string()),
        ProjectFailure::Invalid(d) => ApiError::Invalid(d),
    }
}

fn money(field: &str, s: &str) -> Result<Money, ApiError> {
    Money::parse(s).map_err(|e| ApiError::Invalid(format!("{field}: {e}")))
}

fn code<T: Codebook>(field: &str, s: &str) -> Result<T, ApiError> {
    T::parse(s).map_err(|e| ApiError::Invalid(format!("{field}: {e}")))
}

fn region(field: &str, s: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(s).map_err(|e| ApiError::Invalid(format!("{field}: {e}")))
}

/// The `{id}` of a project or fund plan path: a whole number, else 404.
pub(crate) struct IdPath(pub(crate) i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::parameter("id", r.body_text()))?
            .0;
        raw.parse::<i64>()
            .map(IdPath)
            .map_err(|_| ApiError::NotFound(format!("{raw:?}")))
    }
}

// ---------------------------------------------------------------------------------------------
// Views

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BudgetView {
    pub(crate) level: CodeView,
    pub(crate) amount_yuan: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LinkageView {
    pub(crate) kind: CodeView,
    pub(crate) households: u32,
    pub(crate) amount_yuan: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProjectStepView {
    /// `proposed`, `reviewed`, `decided`, `allocated`, `started`, `disbursed`, `accepted`,
    /// `rolled_over`.
    pub(crate) event: &'static str,
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) recorded_at: String,
    pub(crate) actor: String,
    pub(crate) detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PaymentView {
    pub(crate) plan_id: i64,
    pub(crate) amount_yuan: String,
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) voucher: String,
    pub(crate) spent_on: CodeView,
}

/// A project of the library with its budget, linkage plan, status and history.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProjectView {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) kind: CodeView,
    pub(crate) proposer: CodeView,
    pub(crate) department: Option<String>,
    pub(crate) region_code: String,
    pub(crate) county_code: String,
    /// The library year (moves on when rolled over).
    pub(crate) year: i32,
    pub(crate) operator: CodeView,
    pub(crate) budget: Vec<BudgetView>,
    pub(crate) budget_total_yuan: String,
    pub(crate) beneficiary_households: u32,
    pub(crate) linkage: Vec<LinkageView>,
    pub(crate) uses: Vec<CodeView>,
    pub(crate) summary: String,
    pub(crate) status: CodeView,
    /// The due diligence the pack asks for before the county decides.
    pub(crate) due_diligence: String,
    pub(crate) allocated_yuan: String,
    pub(crate) paid_yuan: String,
    pub(crate) payments: Vec<PaymentView>,
    /// The steps the caller may take next.
    pub(crate) next: Vec<&'static str>,
    pub(crate) steps: Vec<ProjectStepView>,
}

pub(crate) fn event_detail(e: &ProjectEvent) -> String {
    match e {
        ProjectEvent::Proposed(p) => {
            format!("{} · {} · {} 元", p.proposer.zh(), p.name, p.budget_total())
        }
        ProjectEvent::Reviewed { approve, opinion }
        | ProjectEvent::Decided {
            approve, opinion, ..
        } => {
            format!(
                "{} · {opinion}",
                if *approve {
                    "同意 approved"
                } else {
                    "不同意 rejected"
                }
            )
        }
        ProjectEvent::Allocated { plan, amount } => format!("plan {plan} · {amount} 元"),
        ProjectEvent::Started { on } => on.to_string(),
        ProjectEvent::Disbursed {
            plan,
            amount,
            voucher,
            spent_on,
            ..
        } => {
            format!("plan {plan} · {amount} 元 · {voucher} · {}", spent_on.zh())
        }
        ProjectEvent::Accepted { on, opinion } => format!("{on} · {opinion}"),
        ProjectEvent::RolledOver { to_year } => format!("→ {to_year}"),
    }
}

pub(crate) fn project_view(v: &AppProjectView) -> ProjectView {
    let p = &v.project;
    let q = &p.proposal;
    ProjectView {
        id: v.record.id.0,
        name: q.name.clone(),
        kind: CodeView::of(q.kind),
        proposer: CodeView::of(q.proposer),
        department: q.department.clone(),
        region_code: v.record.region.to_string(),
        county_code: v.record.county.to_string(),
        year: p.year,
        operator: CodeView::of(q.operator),
        budget: q
            .budget
            .iter()
            .map(|b| BudgetView {
                level: CodeView::of(b.level),
                amount_yuan: b.amount.to_string(),
            })
            .collect(),
        budget_total_yuan: q.budget_total().to_string(),
        beneficiary_households: q.beneficiary_households,
        linkage: q
            .linkage
            .iter()
            .map(|l| LinkageView {
                kind: CodeView::of(l.kind),
                households: l.households,
                amount_yuan: l.amount.to_string(),
            })
            .collect(),
        uses: q.uses.iter().map(|u| CodeView::of(*u)).collect(),
        summary: q.summary.clone(),
        status: CodeView::of(p.status),
        due_diligence: v.due_diligence.to_owned(),
        allocated_yuan: p.allocated().to_string(),
        paid_yuan: p.paid().to_string(),
        payments: p
            .disbursements
            .iter()
            .map(|(plan, amount, on, voucher, use_)| PaymentView {
                plan_id: *plan,
                amount_yuan: amount.to_string(),
                date: on.to_string(),
                voucher: voucher.clone(),
                spent_on: CodeView::of(*use_),
            })
            .collect(),
        next: v.next.clone(),
        steps: v
            .record
            .events
            .iter()
            .map(|(e, s)| ProjectStepView {
                event: e.name(),
                date: s.valid_from.to_string(),
                recorded_at: s.recorded_at.to_rfc3339(),
                actor: s.actor.clone(),
                detail: event_detail(e),
            })
            .collect(),
    }
}

/// The industry share of a county's year against the pack's floor.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ShareView {
    pub(crate) industry_yuan: String,
    pub(crate) total_yuan: String,
    /// Percent with two decimals, rounded down; none when nothing is arranged.
    pub(crate) percent: Option<String>,
    pub(crate) floor_percent: Option<u8>,
    pub(crate) below_floor: bool,
}

pub(crate) fn share_view(s: &ShareCheck) -> ShareView {
    ShareView {
        industry_yuan: s.industry.to_string(),
        total_yuan: s.total.to_string(),
        percent: s.percent_text(),
        floor_percent: s.floor_percent,
        below_floor: s.below_floor(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlanView {
    pub(crate) id: i64,
    pub(crate) county_code: String,
    pub(crate) year: i32,
    pub(crate) level: CodeView,
    pub(crate) name: String,
    pub(crate) document: String,
    pub(crate) amount_yuan: String,
    pub(crate) allocated_yuan: String,
    pub(crate) paid_yuan: String,
}

pub(crate) fn plan_view(u: &PlanUsage) -> PlanView {
    PlanView {
        id: u.id.0,
        county_code: u.plan.county.to_string(),
        year: u.plan.year,
        level: CodeView::of(u.plan.level),
        name: u.plan.name.clone(),
        document: u.plan.document.clone(),
        amount_yuan: u.plan.amount.to_string(),
        allocated_yuan: u.allocated.to_string(),
        paid_yuan: u.paid.to_string(),
    }
}

/// A county's fund year: the plans in the regime's term, per level, and the live share.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FundYearView {
    pub(crate) county_code: String,
    pub(crate) year: i32,
    /// 衔接资金 until 2025, 常态化帮扶资金 from 2026 (the pack's `[projects]`).
    pub(crate) term_zh: String,
    pub(crate) term_en: String,
    pub(crate) plans: Vec<PlanView>,
    pub(crate) total_yuan: String,
    pub(crate) share: ShareView,
}

/// The county of a region parameter, visible to the caller (its own area contains it or lies
/// inside it), else 404.
pub(crate) fn county_for(caller: &Caller, region_param: &str) -> Result<RegionCode, ApiError> {
    let r = region("region", region_param)?;
    let county = r.ancestor(RegionLevel::County).ok_or_else(|| {
        ApiError::Invalid("region: expected a county or a place inside one".into())
    })?;
    let visible = match caller.principal.region {
        None => caller.principal.role.is_none(),
        Some(own) => own.contains(&county) || county.contains(&own),
    };
    if visible {
        Ok(county)
    } else {
        Err(ApiError::NotFound(format!("county {county}")))
    }
}

pub(crate) async fn fund_year(
    state: &AppState,
    caller: &Caller,
    county: RegionCode,
    year: i32,
) -> Result<(FundYearView, Vec<PlanUsage>), ApiError> {
    let app = &state.app;
    let by = &caller.principal;
    let pack = projects::pack_of_year(app, &county, year).map_err(failure)?;
    let usage = projects::plan_usage(app, by, &county, year)
        .await
        .map_err(failure)?;
    let share = projects::industry_share(app, by, &county, year)
        .await
        .map_err(failure)?;
    Ok((
        FundYearView {
            county_code: county.to_string(),
            year,
            term_zh: pack.projects.fund_term_zh.clone(),
            term_en: pack.projects.fund_term_en.clone(),
            total_yuan: usage
                .iter()
                .map(|u| u.plan.amount)
                .sum::<Money>()
                .to_string(),
            plans: usage.iter().map(plan_view).collect(),
            share: share_view(&share),
        },
        usage,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AssetLineView {
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) what: String,
    pub(crate) amount_yuan: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AssetView {
    pub(crate) id: i64,
    pub(crate) project_id: i64,
    pub(crate) region_code: String,
    pub(crate) name: String,
    pub(crate) class: CodeView,
    pub(crate) owner: String,
    pub(crate) manager: String,
    pub(crate) value_yuan: String,
    pub(crate) income_yuan: String,
    pub(crate) distributed_yuan: String,
    pub(crate) lines: Vec<AssetLineView>,
}

pub(crate) fn asset_view(a: &AssetRecord) -> Result<AssetView, ApiError> {
    let s = a
        .state()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored asset {}: {e}", a.id.0)))?;
    Ok(AssetView {
        id: a.id.0,
        project_id: a.project.0,
        region_code: a.region.to_string(),
        name: s.asset.name.clone(),
        class: CodeView::of(s.asset.class),
        owner: s.asset.owner.clone(),
        manager: s.asset.manager.clone(),
        value_yuan: s.asset.value.to_string(),
        income_yuan: s.income_total().to_string(),
        distributed_yuan: s.distributed_total().to_string(),
        lines: trace::asset_lines(a)
            .into_iter()
            .map(|(d, what, m)| AssetLineView {
                date: d.to_string(),
                what,
                amount_yuan: m.to_string(),
            })
            .collect(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TraceLineView {
    /// `measure`, `household_asset` or `distribution`.
    pub(crate) kind: &'static str,
    pub(crate) kind_zh: &'static str,
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) project_id: Option<i64>,
    pub(crate) project: Option<String>,
    pub(crate) asset_id: Option<i64>,
    pub(crate) asset: Option<String>,
    pub(crate) funds: String,
    pub(crate) what: String,
    pub(crate) amount_yuan: String,
}

/// Every project, asset, income share and measure that reached a household.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HouseholdTraceView {
    pub(crate) household_id: i64,
    pub(crate) household_no: String,
    pub(crate) projects: Vec<TraceProjectView>,
    pub(crate) lines: Vec<TraceLineView>,
    pub(crate) total_yuan: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TraceProjectView {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) kind: CodeView,
}

pub(crate) fn household_trace_view(t: &trace::HouseholdTrace) -> HouseholdTraceView {
    HouseholdTraceView {
        household_id: t.household.0,
        household_no: t.household_no.clone(),
        projects: t
            .projects
            .iter()
            .map(|(id, name, kind)| TraceProjectView {
                id: id.0,
                name: name.clone(),
                kind: CodeView::of(*kind),
            })
            .collect(),
        lines: t
            .lines
            .iter()
            .map(|l| TraceLineView {
                kind: l.kind,
                kind_zh: l.kind_zh(),
                date: l.date.to_string(),
                project_id: l.project.as_ref().map(|p| p.0.0),
                project: l.project.as_ref().map(|p| p.1.clone()),
                asset_id: l.asset.as_ref().map(|a| a.0.0),
                asset: l.asset.as_ref().map(|a| a.1.clone()),
                funds: l.funds.clone(),
                what: l.what.clone(),
                amount_yuan: l.amount.to_string(),
            })
            .collect(),
        total_yuan: t.total.to_string(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FundProjectView {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) kind: CodeView,
    pub(crate) region_code: String,
    pub(crate) status: String,
    pub(crate) allocated_yuan: String,
    pub(crate) paid_yuan: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FundHouseholdView {
    pub(crate) household_id: i64,
    pub(crate) household_no: String,
    pub(crate) village_code: String,
    pub(crate) project: String,
    pub(crate) asset: String,
    pub(crate) kind: &'static str,
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) amount_yuan: String,
}

/// Every project and household one fund plan reached.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FundTraceView {
    pub(crate) plan: PlanView,
    pub(crate) term_zh: String,
    pub(crate) term_en: String,
    pub(crate) projects: Vec<FundProjectView>,
    pub(crate) households: Vec<FundHouseholdView>,
    /// Households reached outside the caller's area: counted, not listed.
    pub(crate) hidden_households: usize,
}

pub(crate) fn fund_trace_view(t: &trace::FundTrace) -> FundTraceView {
    let allocated: Money = t.projects.iter().map(|p| p.allocated).sum();
    let paid: Money = t.projects.iter().map(|p| p.paid).sum();
    FundTraceView {
        plan: plan_view(&PlanUsage {
            id: t.id,
            plan: t.plan.clone(),
            allocated,
            paid,
        }),
        term_zh: t.term_zh.clone(),
        term_en: t.term_en.clone(),
        projects: t
            .projects
            .iter()
            .map(|p| FundProjectView {
                id: p.id.0,
                name: p.name.clone(),
                kind: CodeView::of(p.kind),
                region_code: p.region.to_string(),
                status: p.status.to_owned(),
                allocated_yuan: p.allocated.to_string(),
                paid_yuan: p.paid.to_string(),
            })
            .collect(),
        households: t
            .households
            .iter()
            .map(|h| FundHouseholdView {
                household_id: h.household.0,
                household_no: h.household_no.clone(),
                village_code: h.village.to_string(),
                project: h.project.clone(),
                asset: h.asset.clone(),
                kind: h.kind,
                date: h.date.to_string(),
                amount_yuan: h.amount.to_string(),
            })
            .collect(),
        hidden_households: t.hidden_households,
    }
}

// ---------------------------------------------------------------------------------------------
// Bodies

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct BudgetBody {
    /// `central`, `provincial`, `city`, `county` (or 中央, 省级, 市级, 县级).
    pub(crate) level: String,
    pub(crate) amount_yuan: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct LinkageBody {
    /// `jobs`, `dividends`, `purchases`, `land_rent`.
    pub(crate) kind: String,
    pub(crate) households: u32,
    pub(crate) amount_yuan: String,
}

/// A project proposal.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ProposalBody {
    pub(crate) name: Option<String>,
    /// industry, employment, infrastructure, living_environment, public_service, other.
    pub(crate) kind: Option<String>,
    /// village, township, department.
    pub(crate) proposer: Option<String>,
    pub(crate) department: Option<String>,
    pub(crate) region_code: Option<String>,
    pub(crate) year: Option<i32>,
    /// collective, cooperative, enterprise, households, government.
    pub(crate) operator: Option<String>,
    #[serde(default)]
    pub(crate) budget: Vec<BudgetBody>,
    pub(crate) beneficiary_households: Option<u32>,
    #[serde(default)]
    pub(crate) linkage: Vec<LinkageBody>,
    /// Expense use codes (production, infrastructure, …).
    #[serde(default)]
    pub(crate) uses: Vec<String>,
    #[serde(default)]
    pub(crate) summary: String,
}

fn need<'a>(field: &str, v: &'a Option<String>) -> Result<&'a str, ApiError> {
    v.as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::Invalid(format!("{field} is required")))
}

impl ProposalBody {
    pub(crate) fn proposal(&self) -> Result<Proposal, ApiError> {
        Ok(Proposal {
            name: need("name", &self.name)?.trim().to_owned(),
            kind: code::<ProjectKind>("kind", need("kind", &self.kind)?)?,
            proposer: code::<ProposerKind>("proposer", need("proposer", &self.proposer)?)?,
            department: self.department.clone().filter(|d| !d.trim().is_empty()),
            region: region("region_code", need("region_code", &self.region_code)?)?,
            year: self
                .year
                .ok_or_else(|| ApiError::Invalid("year is required".into()))?,
            operator: code::<Operator>("operator", need("operator", &self.operator)?)?,
            budget: self
                .budget
                .iter()
                .map(|b| {
                    Ok(BudgetLine {
                        level: code::<FundLevel>("budget.level", &b.level)?,
                        amount: money("budget.amount_yuan", &b.amount_yuan)?,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            beneficiary_households: self
                .beneficiary_households
                .ok_or_else(|| ApiError::Invalid("beneficiary_households is required".into()))?,
            linkage: self
                .linkage
                .iter()
                .map(|l| {
                    Ok(Linkage {
                        kind: code::<LinkageKind>("linkage.kind", &l.kind)?,
                        households: l.households,
                        amount: money("linkage.amount_yuan", &l.amount_yuan)?,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            uses: self
                .uses
                .iter()
                .map(|u| code::<ExpenseUse>("uses", u))
                .collect::<Result<_, ApiError>>()?,
            summary: self.summary.clone(),
        })
    }
}

/// One step of a project: `review`, `decide`, `start`, `accept`, `roll_over` or `disburse`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ProjectStepBody {
    pub(crate) command: String,
    /// For review and decide; default true.
    pub(crate) approve: Option<bool>,
    pub(crate) opinion: Option<String>,
    /// The due-diligence report reference, when the pack asks for one.
    pub(crate) due_diligence: Option<String>,
    /// The date (YYYY-MM-DD) for start, accept and disburse.
    pub(crate) on: Option<String>,
    pub(crate) to_year: Option<i32>,
    pub(crate) plan_id: Option<i64>,
    pub(crate) amount_yuan: Option<String>,
    pub(crate) voucher: Option<String>,
    /// An expense use code; forbidden uses are refused.
    pub(crate) spent_on: Option<String>,
}

impl ProjectStepBody {
    pub(crate) fn event(&self) -> Result<ProjectEvent, ApiError> {
        let on = || parse_date("on", need("on", &self.on)?);
        let opinion = self.opinion.clone().unwrap_or_default();
        let approve = self.approve.unwrap_or(true);
        Ok(match self.command.as_str() {
            "review" => ProjectEvent::Reviewed { approve, opinion },
            "decide" => ProjectEvent::Decided {
                approve,
                opinion,
                due_diligence: self.due_diligence.clone().filter(|d| !d.trim().is_empty()),
            },
            "start" => ProjectEvent::Started { on: on()? },
            "accept" => ProjectEvent::Accepted { on: on()?, opinion },
            "roll_over" => ProjectEvent::RolledOver {
                to_year: self
                    .to_year
                    .ok_or_else(|| ApiError::Invalid("to_year is required".into()))?,
            },
            "disburse" => ProjectEvent::Disbursed {
                plan: self
                    .plan_id
                    .ok_or_else(|| ApiError::Invalid("plan_id is required".into()))?,
                amount: money("amount_yuan", need("amount_yuan", &self.amount_yuan)?)?,
                on: on()?,
                voucher: need("voucher", &self.voucher)?.to_owned(),
                spent_on: code::<ExpenseUse>("spent_on", need("spent_on", &self.spent_on)?)?,
            },
            other => {
                return Err(ApiError::Invalid(format!(
                    "command: {other:?} is not one of review, decide, start, accept, roll_over, disburse"
                )));
            }
        })
    }
}

/// Applies a step body to a project in the caller's scope.
pub(crate) async fn take_step(
    state: &AppState,
    caller: &Caller,
    id: ProjectId,
    body: &ProjectStepBody,
) -> Result<AppProjectView, ApiError> {
    let app = &state.app;
    projects::get(app, &caller.principal, id)
        .await
        .map_err(failure)?;
    let event = body.event()?;
    let today = app.clock.today();
    match &event {
        ProjectEvent::Disbursed { .. } => {
            projects::disburse(app, &caller.principal, id, event, "web").await
        }
        ProjectEvent::Started { on } | ProjectEvent::Accepted { on, .. } => {
            let on = *on;
            projects::step(app, &caller.principal, id, event, on, "web").await
        }
        _ => projects::step(app, &caller.principal, id, event, today, "web").await,
    }
    .map_err(failure)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ShareBody {
    pub(crate) household_id: i64,
    pub(crate) amount_yuan: String,
}

/// An asset a project left.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct AssetBody {
    pub(crate) name: Option<String>,
    /// operating, public_welfare, household.
    pub(crate) class: Option<String>,
    pub(crate) owner: Option<String>,
    pub(crate) manager: Option<String>,
    pub(crate) value_yuan: Option<String>,
    pub(crate) registered_on: Option<String>,
    /// For household assets: the households and the value each received.
    #[serde(default)]
    pub(crate) recipients: Vec<ShareBody>,
}

fn shares(v: &[ShareBody]) -> Result<Vec<(i64, Money)>, ApiError> {
    v.iter()
        .map(|s| Ok((s.household_id, money("amount_yuan", &s.amount_yuan)?)))
        .collect()
}

impl AssetBody {
    pub(crate) fn asset(&self) -> Result<Asset, ApiError> {
        Ok(Asset {
            name: need("name", &self.name)?.to_owned(),
            class: code::<AssetClass>("class", need("class", &self.class)?)?,
            owner: need("owner", &self.owner)?.to_owned(),
            manager: need("manager", &self.manager)?.to_owned(),
            value: money("value_yuan", need("value_yuan", &self.value_yuan)?)?,
            registered_on: parse_date(
                "registered_on",
                need("registered_on", &self.registered_on)?,
            )?,
            recipients: shares(&self.recipients)?,
        })
    }
}

/// Income of an asset (`income`) or its distribution to households (`distribution`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct AssetEventBody {
    pub(crate) asset_id: i64,
    pub(crate) kind: String,
    pub(crate) period: String,
    pub(crate) on: String,
    pub(crate) amount_yuan: Option<String>,
    #[serde(default)]
    pub(crate) shares: Vec<ShareBody>,
}

impl AssetEventBody {
    pub(crate) fn event(&self) -> Result<AssetEvent, ApiError> {
        let on = parse_date("on", &self.on)?;
        Ok(match self.kind.as_str() {
            "income" => AssetEvent::IncomeRecorded {
                period: self.period.clone(),
                amount: money("amount_yuan", need("amount_yuan", &self.amount_yuan)?)?,
                on,
            },
            "distribution" => AssetEvent::Distributed {
                period: self.period.clone(),
                on,
                shares: shares(&self.shares)?,
            },
            other => {
                return Err(ApiError::Invalid(format!(
                    "kind: {other:?} is not one of income, distribution"
                )));
            }
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct PlanBody {
    pub(crate) county_code: String,
    pub(crate) year: i32,
    /// central, provincial, city, county.
    pub(crate) level: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) document: String,
    pub(crate) amount_yuan: String,
}

impl PlanBody {
    pub(crate) fn plan(&self) -> Result<FundPlan, ApiError> {
        Ok(FundPlan {
            county: region("county_code", &self.county_code)?,
            year: self.year,
            level: code::<FundLevel>("level", &self.level)?,
            name: self.name.trim().to_owned(),
            document: self.document.trim().to_owned(),
            amount: money("amount_yuan", &self.amount_yuan)?,
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct AllocationLineBody {
    pub(crate) project_id: i64,
    pub(crate) plan_id: i64,
    pub(crate) amount_yuan: String,
}

/// An arrangement of plan money for projects. If the industry share after it would fall below
/// the pack's floor, the answer is 409 `conflict` and nothing is saved; send `confirm: true`
/// to save anyway (kept in the audit log). `dry_run` only reports the share.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct AllocationBody {
    pub(crate) lines: Vec<AllocationLineBody>,
    #[serde(default)]
    pub(crate) confirm: bool,
    #[serde(default)]
    pub(crate) dry_run: bool,
}

impl AllocationBody {
    pub(crate) fn lines(&self) -> Result<Vec<Allocation>, ApiError> {
        self.lines
            .iter()
            .map(|l| {
                Ok(Allocation {
                    project: ProjectId(l.project_id),
                    plan: FundPlanId(l.plan_id),
                    amount: money("amount_yuan", &l.amount_yuan)?,
                })
            })
            .collect()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AllocationView {
    pub(crate) county_code: String,
    pub(crate) year: i32,
    pub(crate) before: ShareView,
    pub(crate) after: ShareView,
    pub(crate) saved: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ImportIssueView {
    pub(crate) file: String,
    pub(crate) row: u64,
    pub(crate) column: String,
    pub(crate) field: &'static str,
    pub(crate) rule: &'static str,
    pub(crate) message_zh: String,
    pub(crate) message_en: String,
    pub(crate) value: String,
}

/// What an import did: the ids written, or every problem (and nothing written).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProjectImportView {
    pub(crate) file: String,
    pub(crate) rows: u64,
    pub(crate) ids: Vec<i64>,
    pub(crate) issues: Vec<ImportIssueView>,
}

// ---------------------------------------------------------------------------------------------
// Handlers

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct ProjectListParams {
    /// Only projects located inside this region.
    pub(crate) region: Option<String>,
    pub(crate) year: Option<i32>,
    /// A status code (proposed, reviewed, approved, in_plan, under_way, accepted, rolled_over,
    /// rejected).
    pub(crate) status: Option<String>,
}

pub(crate) fn filter_of(p: &ProjectListParams, caller: &Caller) -> Result<ProjectFilter, ApiError> {
    Ok(ProjectFilter {
        scope: caller.scope(),
        region: p
            .region
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|r| region("region", r))
            .transpose()?,
        county: None,
        year: p.year,
        status: p
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| code::<ProjectStatus>("status", s))
            .transpose()?,
    })
}

/// The project library in the caller's scope.
#[utoipa::path(
    get,
    path = "/api/v1/projects",
    tag = "projects",
    params(ProjectListParams),
    responses(
        (status = 200, description = "Projects, by id", body = Vec<ProjectView>),
        (status = 400, description = "The query string cannot be read", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 422, description = "A parameter is wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_projects(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<ProjectListParams>,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let filter = filter_of(&params, &caller)?;
    let views = projects::list(&state.app, &caller.principal, filter)
        .await
        .map_err(failure)?;
    Ok(Json(views.iter().map(project_view).collect()))
}

/// Proposes a project (村申报; a township or the county for a department).
#[utoipa::path(
    post,
    path = "/api/v1/projects",
    tag = "projects",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = ProposalBody,
    responses(
        (status = 201, description = "The project as proposed", body = ProjectView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not propose, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "The place is outside the caller's area", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong, or a use is forbidden", body = ErrorEnvelope),
    )
)]
pub(crate) async fn propose_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Result<Json<ProposalBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ProposeProject)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let proposal = body.proposal()?;
    let id = projects::propose(&state.app, &caller.principal, proposal, "api")
        .await
        .map_err(failure)?;
    let v = projects::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    Ok((StatusCode::CREATED, Json(project_view(&v))))
}

/// One project with its history.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}",
    tag = "projects",
    params(("id" = i64, Path, description = "The project id")),
    responses(
        (status = 200, description = "The project", body = ProjectView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "No such project in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn find_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<ProjectView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let v = projects::get(&state.app, &caller.principal, ProjectId(id))
        .await
        .map_err(failure)?;
    Ok(Json(project_view(&v)))
}

/// Takes one step of a project; the caller's role and region are checked.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/actions",
    tag = "projects",
    params(("id" = i64, Path, description = "The project id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = ProjectStepBody,
    responses(
        (status = 200, description = "The project after the step", body = ProjectView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not take this step, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such project in the caller's scope", body = ErrorEnvelope),
        (status = 409, description = "The status does not allow the step, or someone acted first", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong, or a use is forbidden", body = ErrorEnvelope),
    )
)]
pub(crate) async fn act_on_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Result<Json<ProjectStepBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ProjectView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ReadRegistry)?;
    projects::get(&state.app, &caller.principal, ProjectId(id))
        .await
        .map_err(failure)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let v = take_step(&state, &caller, ProjectId(id), &body).await?;
    Ok(Json(project_view(&v)))
}

/// Registers an asset an accepted project left.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/assets",
    tag = "projects",
    params(("id" = i64, Path, description = "The project id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = AssetBody,
    responses(
        (status = 201, description = "The asset", body = AssetView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not manage funds, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such project in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong, or the project is not accepted", body = ErrorEnvelope),
    )
)]
pub(crate) async fn register_asset(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Result<Json<AssetBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<AssetView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ManageFunds)?;
    projects::get(&state.app, &caller.principal, ProjectId(id))
        .await
        .map_err(failure)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let asset = body.asset()?;
    let aid = projects::register_asset(&state.app, &caller.principal, ProjectId(id), asset, "api")
        .await
        .map_err(failure)?;
    let record = projects::assets(&state.app, &caller.principal, None, Some(ProjectId(id)))
        .await
        .map_err(failure)?
        .into_iter()
        .find(|a| a.id == aid)
        .ok_or_else(|| ApiError::NotFound(format!("asset {}", aid.0)))?;
    Ok((StatusCode::CREATED, Json(asset_view(&record)?)))
}

/// Records an asset's income or distributes it to households (of the project's county).
#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/asset-events",
    tag = "projects",
    params(("id" = i64, Path, description = "The project id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = AssetEventBody,
    responses(
        (status = 200, description = "The asset after the event", body = AssetView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not manage funds, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such project or asset in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "A field is wrong, or more is distributed than earned", body = ErrorEnvelope),
    )
)]
pub(crate) async fn asset_event(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Result<Json<AssetEventBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<AssetView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ManageFunds)?;
    projects::get(&state.app, &caller.principal, ProjectId(id))
        .await
        .map_err(failure)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let assets = projects::assets(&state.app, &caller.principal, None, Some(ProjectId(id)))
        .await
        .map_err(failure)?;
    if !assets.iter().any(|a| a.id.0 == body.asset_id) {
        return Err(ApiError::NotFound(format!("asset {}", body.asset_id)));
    }
    let record = projects::asset_step(
        &state.app,
        &caller.principal,
        AssetId(body.asset_id),
        body.event()?,
        "api",
    )
    .await
    .map_err(failure)?;
    Ok(Json(asset_view(&record)?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct RegionParams {
    /// A county, or a place inside one (its county is meant).
    pub(crate) region: Option<String>,
    /// The fund year (default: this year).
    pub(crate) year: Option<i32>,
}

/// Project assets located in the caller's scope.
#[utoipa::path(
    get,
    path = "/api/v1/assets",
    tag = "projects",
    params(RegionParams),
    responses(
        (status = 200, description = "Assets of the county", body = Vec<AssetView>),
        (status = 400, description = "The query string cannot be read", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "The county is outside the caller's area", body = ErrorEnvelope),
        (status = 422, description = "A wrong region", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_assets(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<RegionParams>,
) -> Result<Json<Vec<AssetView>>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let county = county_for(&caller, params.region.as_deref().unwrap_or(""))?;
    let assets = projects::assets(&state.app, &caller.principal, Some(&county), None)
        .await
        .map_err(failure)?;
    Ok(Json(
        assets.iter().map(asset_view).collect::<Result<_, _>>()?,
    ))
}

/// A county's fund plans of a year in the regime's term, with the live industry share.
#[utoipa::path(
    get,
    path = "/api/v1/fund-plans",
    tag = "funds",
    params(RegionParams),
    responses(
        (status = 200, description = "The county's fund year", body = FundYearView),
        (status = 400, description = "The query string cannot be read", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "The county is outside the caller's area", body = ErrorEnvelope),
        (status = 422, description = "No policy pack for the year, or a wrong region", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_plans(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<RegionParams>,
) -> Result<Json<FundYearView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let county = county_for(&caller, params.region.as_deref().unwrap_or(""))?;
    let year = params
        .year
        .unwrap_or_else(|| chrono::Datelike::year(&state.app.clock.today()));
    Ok(Json(fund_year(&state, &caller, county, year).await?.0))
}

/// Adds a fund plan of a county's year.
#[utoipa::path(
    post,
    path = "/api/v1/fund-plans",
    tag = "funds",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = PlanBody,
    responses(
        (status = 201, description = "The plan", body = PlanView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not manage funds, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "The county is outside the caller's area", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn add_plan(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Result<Json<PlanBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<PlanView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ManageFunds)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let plan = body.plan()?;
    let ids = projects::save_plans(
        &state.app,
        &caller.principal,
        vec![(None, plan.clone())],
        "api",
    )
    .await
    .map_err(failure)?;
    Ok((
        StatusCode::CREATED,
        Json(plan_view(&PlanUsage {
            id: ids[0],
            plan,
            allocated: Money::ZERO,
            paid: Money::ZERO,
        })),
    ))
}

/// Every project and household one fund plan reached.
#[utoipa::path(
    get,
    path = "/api/v1/fund-plans/{id}/trace",
    tag = "funds",
    params(("id" = i64, Path, description = "The fund plan id")),
    responses(
        (status = 200, description = "The fund's trace", body = FundTraceView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "No such plan in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn plan_trace(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath,
) -> Result<Json<FundTraceView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let t = trace::fund_trace(&state.app, &caller.principal, FundPlanId(id))
        .await
        .map_err(failure)?;
    Ok(Json(fund_trace_view(&t)))
}

/// Arranges plan money for projects, checking the industry share before saving.
#[utoipa::path(
    post,
    path = "/api/v1/allocations",
    tag = "funds",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = AllocationBody,
    responses(
        (status = 200, description = "The share before and after; saved unless a dry run", body = AllocationView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not manage funds, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "A project or plan is outside the caller's scope", body = ErrorEnvelope),
        (status = 409, description = "The industry share would fall below the floor (send confirm: true), or a status does not allow it", body = ErrorEnvelope),
        (status = 422, description = "A field is wrong, or a budget or plan would be exceeded", body = ErrorEnvelope),
    )
)]
pub(crate) async fn allocate(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Result<Json<AllocationBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<AllocationView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ManageFunds)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let lines = body.lines()?;
    let out = projects::allocate(
        &state.app,
        &caller.principal,
        &lines,
        body.confirm,
        body.dry_run,
        "api",
    )
    .await
    .map_err(failure)?;
    Ok(Json(AllocationView {
        county_code: out.county.to_string(),
        year: out.year,
        before: share_view(&out.before),
        after: share_view(&out.after),
        saved: out.saved,
    }))
}

/// Every project, asset, income share and measure that reached a household, with amounts.
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}/trace",
    tag = "projects",
    params(("id" = i64, Path, description = "The household id")),
    responses(
        (status = 200, description = "The household's trace", body = HouseholdTraceView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn household_trace(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(id): HouseholdPath,
) -> Result<Json<HouseholdTraceView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let t = trace::household_trace(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    Ok(Json(household_trace_view(&t)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct ImportParams {
    /// `projects` (a project list) or `plans` (fund plans).
    pub(crate) kind: Option<String>,
    /// The file name; its extension (.csv or .xlsx) gives the format.
    pub(crate) file: Option<String>,
}

/// Imports a project list or fund plans from the request body (.csv or .xlsx bytes), all or
/// nothing, with every problem named by file, row, column and field.
#[utoipa::path(
    post,
    path = "/api/v1/project-imports",
    tag = "projects",
    params(ImportParams, ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Every row written", body = ProjectImportView),
        (status = 200, description = "Problems found; nothing written", body = ProjectImportView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not import, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 422, description = "The file cannot be read, or a parameter is missing", body = ErrorEnvelope),
    )
)]
pub(crate) async fn import(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ProjectImportView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    let kind = params.kind.as_deref().unwrap_or("");
    caller.require(if kind == "plans" {
        Action::ManageFunds
    } else {
        Action::ProposeProject
    })?;
    let file = params
        .file
        .as_deref()
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ApiError::Invalid("file (the file name) is required".into()))?;
    let (app, by) = (&state.app, &caller.principal);
    let view = match kind {
        "projects" => {
            let out = projects::import::import_projects(app, by, file, body.to_vec())
                .await
                .map_err(failure)?;
            import_view(
                out.file,
                out.rows,
                out.ids.iter().map(|i| i.0).collect(),
                &out.issues,
            )
        }
        "plans" => {
            let out = projects::import::import_plans(app, by, file, body.to_vec())
                .await
                .map_err(failure)?;
            import_view(
                out.file,
                out.rows,
                out.ids.iter().map(|i| i.0).collect(),
                &out.issues,
            )
        }
        other => {
            return Err(ApiError::Invalid(format!(
                "kind: {other:?} is not one of projects, plans"
            )));
        }
    };
    let status = if view.issues.is_empty() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

fn import_view(
    file: String,
    rows: u64,
    ids: Vec<i64>,
    issues: &[uplift_app::import::ImportIssue],
) -> ProjectImportView {
    ProjectImportView {
        file,
        rows,
        ids,
        issues: issues
            .iter()
            .map(|i| ImportIssueView {
                file: i.file.clone(),
                row: i.row,
                column: i.column.clone(),
                field: i.field,
                rule: i.rule,
                message_zh: i.message_zh.clone(),
                message_en: i.message_en.clone(),
                value: i.value.clone(),
            })
            .collect(),
    }
}
