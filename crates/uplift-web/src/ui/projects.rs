//! The project and fund pages (issue 9): the project library (`/projects`), one project with its
//! next steps and assets as forms (`/projects/{id}`), the county's fund page with the live
//! industry share and the arrangement form that warns before a plan breaks the floor
//! (`/funds`), a fund's trace (`/funds/plans/{id}`), a household's trace
//! (`/households/{id}/trace`), the asset ledger (`/assets`) and the printable public notice
//! (`/funds/notice`). Every ledger page answers `?format=csv` or `?format=xlsx` with the ledger.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use uplift_app::imports::sheet::{Format, Sheet};
use uplift_app::projects::trace::{self, Disclosure};
use uplift_app::projects::{self, FundPlanId, ProjectFailure, ProjectId};
use uplift_domain::access::Action;
use uplift_domain::household::Codebook;
use uplift_domain::project::{
    AssetClass, ExpenseUse, FundLevel, Operator, ProjectKind, ProjectStatus, ProposerKind,
};
use uplift_domain::region::RegionCode;

use crate::AppState;
use crate::api::projects::{
    AllocationBody, AllocationLineBody, AssetBody, AssetEventBody, AssetView, BudgetBody,
    FundTraceView, FundYearView, HouseholdTraceView, IdPath, LinkageBody, PlanBody,
    ProjectListParams, ProjectStepBody, ProjectView, ProposalBody, RegionParams, ShareBody,
    ShareView, asset_view, county_for, failure, filter_of, fund_trace_view, fund_year,
    household_trace_view, project_view, share_view, take_step,
};
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::extract::{HouseholdPath, Query};
use crate::i18n::{Lang, humanize};
use crate::ui::{Chrome, UiLang, error_page, render};

type FormResult<T> = Result<axum::Form<T>, axum::extract::rejection::FormRejection>;

fn form<T>(f: FormResult<T>) -> Result<T, ApiError> {
    f.map(|axum::Form(t)| t)
        .map_err(|e| ApiError::Invalid(format!("the form cannot be read: {}", e.body_text())))
}

fn done(res: Result<Response, ApiError>, state: &AppState, ui: &UiLang) -> Response {
    res.unwrap_or_else(|e| error_page(state, ui, e))
}

#[derive(Serialize)]
struct Choice {
    code: &'static str,
    label: String,
}

fn choices<T: Codebook>(lang: Lang) -> Vec<Choice> {
    T::ALL
        .iter()
        .map(|v| Choice {
            code: v.code(),
            label: match lang {
                Lang::Zh => v.zh().to_owned(),
                Lang::En => humanize(v.code()),
            },
        })
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct FormatParam {
    format: Option<String>,
}

fn ledger_format(p: &Result<Query<FormatParam>, ApiError>) -> Option<Format> {
    p.as_ref()
        .ok()
        .and_then(|Query(f)| f.format.as_deref())
        .and_then(Format::parse)
}

/// A ledger as a download (formula injection neutralised by the sheet writer).
fn download(sheet: &Sheet, format: Format, name: &str) -> Result<Response, ApiError> {
    let bytes = sheet
        .write(format)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{}\"", format.extension()),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

// ------------------------------------------------------------------ the library

#[derive(Serialize)]
struct LibraryContext {
    #[serde(flatten)]
    chrome: Chrome,
    region: String,
    year: String,
    rows: Vec<ProjectView>,
    may_propose: bool,
    kinds: Vec<Choice>,
    proposers: Vec<Choice>,
    operators: Vec<Choice>,
    statuses: Vec<Choice>,
    uses: Vec<Choice>,
    this_year: i32,
    query: String,
}

pub(crate) async fn library(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<ProjectListParams>, ApiError>,
    format: Result<Query<FormatParam>, ApiError>,
) -> Response {
    let lang = ui.lang;
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let Query(params) = params?;
        let filter = filter_of(&params, &caller)?;
        let views = projects::list(&state.app, &caller.principal, filter)
            .await
            .map_err(failure)?;
        if let Some(f) = ledger_format(&format) {
            return download(&trace::project_ledger(&views), f, "project-library");
        }
        let region = params.region.clone().unwrap_or_default();
        let year = params.year.map(|y| y.to_string()).unwrap_or_default();
        let ctx = LibraryContext {
            query: crate::ui::query_string(&[("region", &region), ("year", &year)]),
            region,
            year,
            rows: views.iter().map(project_view).collect(),
            may_propose: caller.principal.may(Action::ProposeProject),
            kinds: choices::<ProjectKind>(lang),
            proposers: choices::<ProposerKind>(lang),
            operators: choices::<Operator>(lang),
            statuses: choices::<ProjectStatus>(lang),
            uses: choices::<ExpenseUse>(lang)
                .into_iter()
                .filter(|c| ExpenseUse::parse(c.code).is_ok_and(|u| !u.forbidden()))
                .collect(),
            this_year: chrono::Datelike::year(&state.app.clock.today()),
            chrome: ui.chrome_for(&state, &caller).await,
        };
        render(&state, &ui, StatusCode::OK, "projects.html", ctx)
    }
    .await;
    done(res, &state, &ui)
}

#[derive(Deserialize)]
pub(crate) struct ProposeForm {
    csrf: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    proposer: Option<String>,
    department: Option<String>,
    region_code: Option<String>,
    year: Option<String>,
    operator: Option<String>,
    central_yuan: Option<String>,
    provincial_yuan: Option<String>,
    city_yuan: Option<String>,
    county_yuan: Option<String>,
    beneficiary_households: Option<String>,
    linkage_kind: Option<String>,
    linkage_households: Option<String>,
    linkage_yuan: Option<String>,
    uses: Option<String>,
    summary: Option<String>,
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn number<T: std::str::FromStr>(field: &str, v: &Option<String>) -> Result<Option<T>, ApiError> {
    filled(v)
        .map(|s| {
            s.parse::<T>()
                .map_err(|_| ApiError::Invalid(format!("{field}: {s:?} is not a whole number")))
        })
        .transpose()
}

impl ProposeForm {
    fn body(&self) -> Result<ProposalBody, ApiError> {
        let mut budget = Vec::new();
        for (level, v) in [
            (FundLevel::Central, &self.central_yuan),
            (FundLevel::Provincial, &self.provincial_yuan),
            (FundLevel::City, &self.city_yuan),
            (FundLevel::County, &self.county_yuan),
        ] {
            if let Some(a) = filled(v) {
                budget.push(BudgetBody {
                    level: level.code().to_owned(),
                    amount_yuan: a.to_owned(),
                });
            }
        }
        let mut linkage = Vec::new();
        if let Some(kind) = filled(&self.linkage_kind) {
            linkage.push(LinkageBody {
                kind: kind.to_owned(),
                households: number("linkage_households", &self.linkage_households)?.unwrap_or(0),
                amount_yuan: filled(&self.linkage_yuan).unwrap_or("0").to_owned(),
            });
        }
        Ok(ProposalBody {
            name: self.name.clone(),
            kind: self.kind.clone(),
            proposer: self.proposer.clone(),
            department: self.department.clone(),
            region_code: self.region_code.clone(),
            year: number("year", &self.year)?,
            operator: self.operator.clone(),
            budget,
            beneficiary_households: number("beneficiary_households", &self.beneficiary_households)?,
            linkage,
            uses: filled(&self.uses)
                .map(|u| {
                    u.split([',', '，', '、', ' '])
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            summary: self.summary.clone().unwrap_or_default(),
        })
    }
}

pub(crate) async fn propose(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    f: FormResult<ProposeForm>,
) -> Response {
    let res = async {
        let f = form(f)?;
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Action::ProposeProject)?;
        let proposal = f.body()?.proposal()?;
        let id = projects::propose(&state.app, &caller.principal, proposal, "web")
            .await
            .map_err(failure)?;
        Ok(Redirect::to(&format!("/projects/{}", id.0)).into_response())
    }
    .await;
    done(res, &state, &ui)
}

// ------------------------------------------------------------------ one project

#[derive(Serialize)]
struct ProjectContext {
    #[serde(flatten)]
    chrome: Chrome,
    project: ProjectView,
    kind: String,
    status: String,
    assets: Vec<AssetView>,
    next: Vec<&'static str>,
    may_manage: bool,
    classes: Vec<Choice>,
    uses: Vec<Choice>,
    error: Option<String>,
}

async fn project_page(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    id: ProjectId,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = ui.lang;
    let v = projects::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    let assets = projects::assets(&state.app, &caller.principal, None, Some(id))
        .await
        .map_err(failure)?;
    let label = |zh: &'static str, code: &'static str| match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => humanize(code),
    };
    let ctx = ProjectContext {
        kind: label(v.project.proposal.kind.zh(), v.project.proposal.kind.code()),
        status: label(v.project.status.zh(), v.project.status.code()),
        project: project_view(&v),
        assets: assets.iter().map(asset_view).collect::<Result<_, _>>()?,
        next: v.next.clone(),
        may_manage: caller.principal.may(Action::ManageFunds),
        classes: choices::<AssetClass>(lang),
        uses: choices::<ExpenseUse>(lang)
            .into_iter()
            .filter(|c| ExpenseUse::parse(c.code).is_ok_and(|u| !u.forbidden()))
            .collect(),
        error,
        chrome: ui.chrome_for(state, caller).await,
    };
    let status = if ctx.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(state, ui, status, "project.html", ctx)
}

pub(crate) async fn page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<IdPath, ApiError>,
) -> Response {
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let IdPath(id) = id?;
        project_page(&state, &ui, &caller, ProjectId(id), None).await
    }
    .await;
    done(res, &state, &ui)
}

/// Every form of the project page: its steps, asset registration, income and distribution.
#[derive(Deserialize, Default)]
pub(crate) struct ActionForm {
    csrf: Option<String>,
    command: Option<String>,
    approve: Option<String>,
    opinion: Option<String>,
    due_diligence: Option<String>,
    on: Option<String>,
    to_year: Option<String>,
    plan_id: Option<String>,
    amount_yuan: Option<String>,
    voucher: Option<String>,
    spent_on: Option<String>,
    name: Option<String>,
    class: Option<String>,
    owner: Option<String>,
    manager: Option<String>,
    asset_id: Option<String>,
    period: Option<String>,
    /// `HOUSEHOLD_ID:YUAN` per line or comma.
    shares: Option<String>,
}

fn share_lines(text: &str) -> Result<Vec<ShareBody>, ApiError> {
    text.split(['\n', ',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (h, a) = s.split_once(':').ok_or_else(|| {
                ApiError::Invalid(format!("shares: {s:?} is not HOUSEHOLD_ID:YUAN"))
            })?;
            Ok(ShareBody {
                household_id: h.trim().parse().map_err(|_| {
                    ApiError::Invalid(format!("shares: {h:?} is not a household id"))
                })?,
                amount_yuan: a.trim().to_owned(),
            })
        })
        .collect()
}

async fn act_form(
    state: &AppState,
    caller: &Caller,
    id: ProjectId,
    f: &ActionForm,
) -> Result<(), ApiError> {
    let command = f.command.clone().unwrap_or_default();
    match command.as_str() {
        "register_asset" => {
            caller.require(Action::ManageFunds)?;
            let body = AssetBody {
                name: f.name.clone(),
                class: f.class.clone(),
                owner: f.owner.clone(),
                manager: f.manager.clone(),
                value_yuan: f.amount_yuan.clone(),
                registered_on: f.on.clone(),
                recipients: share_lines(f.shares.as_deref().unwrap_or(""))?,
            };
            projects::register_asset(&state.app, &caller.principal, id, body.asset()?, "web")
                .await
                .map_err(failure)?;
        }
        "asset_income" | "asset_distribution" => {
            caller.require(Action::ManageFunds)?;
            let asset_id = number::<i64>("asset_id", &f.asset_id)?
                .ok_or_else(|| ApiError::Invalid("asset_id is required".into()))?;
            let body = AssetEventBody {
                asset_id,
                kind: if command == "asset_income" {
                    "income"
                } else {
                    "distribution"
                }
                .into(),
                period: f.period.clone().unwrap_or_default(),
                on: f.on.clone().unwrap_or_default(),
                amount_yuan: f.amount_yuan.clone(),
                shares: share_lines(f.shares.as_deref().unwrap_or(""))?,
            };
            let assets = projects::assets(&state.app, &caller.principal, None, Some(id))
                .await
                .map_err(failure)?;
            if !assets.iter().any(|a| a.id.0 == asset_id) {
                return Err(ApiError::NotFound(format!("asset {asset_id}")));
            }
            projects::asset_step(
                &state.app,
                &caller.principal,
                uplift_app::projects::AssetId(asset_id),
                body.event()?,
                "web",
            )
            .await
            .map_err(failure)?;
        }
        _ => {
            let body = ProjectStepBody {
                command,
                approve: Some(f.approve.as_deref() != Some("false")),
                opinion: f.opinion.clone(),
                due_diligence: f.due_diligence.clone(),
                on: f.on.clone(),
                to_year: number("to_year", &f.to_year)?,
                plan_id: number("plan_id", &f.plan_id)?,
                amount_yuan: f.amount_yuan.clone(),
                voucher: f.voucher.clone(),
                spent_on: f.spent_on.clone(),
            };
            take_step(state, caller, id, &body).await?;
        }
    }
    Ok(())
}

pub(crate) async fn act(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<IdPath, ApiError>,
    f: FormResult<ActionForm>,
) -> Response {
    let res = async {
        let f = form(f)?;
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Action::ReadRegistry)?;
        let IdPath(id) = id?;
        let id = ProjectId(id);
        projects::get(&state.app, &caller.principal, id)
            .await
            .map_err(failure)?;
        match act_form(&state, &caller, id, &f).await {
            Ok(()) => Ok(Redirect::to(&format!("/projects/{}", id.0)).into_response()),
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(_))) => {
                let detail = e.view().detail;
                project_page(&state, &ui, &caller, id, Some(detail)).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    done(res, &state, &ui)
}

// ------------------------------------------------------------------ the county's funds

#[derive(Serialize)]
struct FundsContext {
    #[serde(flatten)]
    chrome: Chrome,
    region: String,
    fund: FundYearView,
    levels: Vec<Choice>,
    may_manage: bool,
    /// Set when an arrangement was refused for the industry floor: the share it would give,
    /// and the lines to resend with the confirmation.
    warning: Option<ShareView>,
    pending: String,
    error: Option<String>,
    query: String,
}

#[allow(clippy::too_many_arguments)]
async fn funds_page(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    county: RegionCode,
    year: i32,
    warning: Option<ShareView>,
    pending: String,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let (fund, _) = fund_year(state, caller, county, year).await?;
    let status = if warning.is_some() {
        StatusCode::CONFLICT
    } else if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let region = county.to_string();
    let ctx = FundsContext {
        query: crate::ui::query_string(&[("region", &region), ("year", &year.to_string())]),
        region,
        fund,
        levels: choices::<FundLevel>(ui.lang),
        may_manage: caller.principal.may(Action::ManageFunds),
        warning,
        pending,
        error,
        chrome: ui.chrome_for(state, caller).await,
    };
    render(state, ui, status, "funds.html", ctx)
}

fn year_of(state: &AppState, year: Option<i32>) -> i32 {
    year.unwrap_or_else(|| chrono::Datelike::year(&state.app.clock.today()))
}

fn region_or_own(caller: &Caller, region: &Option<String>) -> String {
    match region.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => r.to_owned(),
        None => caller
            .principal
            .region
            .map(|r| r.to_string())
            .unwrap_or_default(),
    }
}

pub(crate) async fn funds(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<RegionParams>, ApiError>,
    format: Result<Query<FormatParam>, ApiError>,
) -> Response {
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let Query(params) = params?;
        let county = county_for(&caller, &region_or_own(&caller, &params.region))?;
        let year = year_of(&state, params.year);
        if let Some(f) = ledger_format(&format) {
            let (fund, usage) = fund_year(&state, &caller, county, year).await?;
            return download(
                &trace::plan_ledger(&usage, &fund.term_zh),
                f,
                &format!("fund-plans-{county}-{year}"),
            );
        }
        funds_page(
            &state,
            &ui,
            &caller,
            county,
            year,
            None,
            String::new(),
            None,
        )
        .await
    }
    .await;
    done(res, &state, &ui)
}

#[derive(Deserialize)]
pub(crate) struct AllocationForm {
    csrf: Option<String>,
    region: Option<String>,
    year: Option<String>,
    /// `PROJECT:PLAN:YUAN` per line.
    lines: Option<String>,
    confirm: Option<String>,
}

fn allocation_lines(text: &str) -> Result<Vec<AllocationLineBody>, ApiError> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let parts: Vec<&str> = s.split(':').map(str::trim).collect();
            let [p, plan, amount] = parts.as_slice() else {
                return Err(ApiError::Invalid(format!(
                    "lines: {s:?} is not PROJECT:PLAN:YUAN"
                )));
            };
            let id = |f: &str, v: &str| {
                v.parse::<i64>()
                    .map_err(|_| ApiError::Invalid(format!("lines: {f} {v:?} is not an id")))
            };
            Ok(AllocationLineBody {
                project_id: id("project", p)?,
                plan_id: id("plan", plan)?,
                amount_yuan: (*amount).to_owned(),
            })
        })
        .collect()
}

pub(crate) async fn allocate(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    f: FormResult<AllocationForm>,
) -> Response {
    let res = async {
        let f = form(f)?;
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Action::ManageFunds)?;
        let county = county_for(&caller, &region_or_own(&caller, &f.region))?;
        let year = year_of(&state, number("year", &f.year)?);
        let text = f.lines.clone().unwrap_or_default();
        let body = AllocationBody {
            lines: allocation_lines(&text)?,
            confirm: f.confirm.as_deref() == Some("true"),
            dry_run: false,
        };
        let lines = body.lines()?;
        match projects::allocate(
            &state.app,
            &caller.principal,
            &lines,
            body.confirm,
            false,
            "web",
        )
        .await
        {
            Ok(_) => {
                Ok(Redirect::to(&format!("/funds?region={county}&year={year}")).into_response())
            }
            Err(ProjectFailure::ShareBelowFloor { share, .. }) => {
                funds_page(
                    &state,
                    &ui,
                    &caller,
                    county,
                    year,
                    Some(share_view(&share)),
                    text,
                    None,
                )
                .await
            }
            Err(e) => match failure(e) {
                e @ (ApiError::Invalid(_) | ApiError::Conflict(_)) => {
                    let detail = e.view().detail;
                    funds_page(&state, &ui, &caller, county, year, None, text, Some(detail)).await
                }
                e => Err(e),
            },
        }
    }
    .await;
    done(res, &state, &ui)
}

#[derive(Deserialize)]
pub(crate) struct PlanForm {
    csrf: Option<String>,
    region: Option<String>,
    year: Option<String>,
    level: Option<String>,
    name: Option<String>,
    document: Option<String>,
    amount_yuan: Option<String>,
}

pub(crate) async fn add_plan(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    f: FormResult<PlanForm>,
) -> Response {
    let res = async {
        let f = form(f)?;
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Action::ManageFunds)?;
        let county = county_for(&caller, &region_or_own(&caller, &f.region))?;
        let year = number::<i32>("year", &f.year)?
            .ok_or_else(|| ApiError::Invalid("year is required".into()))?;
        let body = PlanBody {
            county_code: county.to_string(),
            year,
            level: f.level.clone().unwrap_or_default(),
            name: f.name.clone().unwrap_or_default(),
            document: f.document.clone().unwrap_or_default(),
            amount_yuan: f.amount_yuan.clone().unwrap_or_default(),
        };
        let plan = body.plan()?;
        projects::save_plans(&state.app, &caller.principal, vec![(None, plan)], "web")
            .await
            .map_err(failure)?;
        Ok(Redirect::to(&format!("/funds?region={county}&year={year}")).into_response())
    }
    .await;
    done(res, &state, &ui)
}

// ------------------------------------------------------------------ traces and ledgers

#[derive(Serialize)]
struct FundTraceContext {
    #[serde(flatten)]
    chrome: Chrome,
    trace: FundTraceView,
    level: String,
}

pub(crate) async fn fund_trace(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<IdPath, ApiError>,
    format: Result<Query<FormatParam>, ApiError>,
) -> Response {
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let IdPath(id) = id?;
        let t = trace::fund_trace(&state.app, &caller.principal, FundPlanId(id))
            .await
            .map_err(failure)?;
        if let Some(f) = ledger_format(&format) {
            return download(&trace::fund_ledger(&t), f, &format!("fund-trace-{id}"));
        }
        let ctx = FundTraceContext {
            level: match ui.lang {
                Lang::Zh => t.plan.level.zh().to_owned(),
                Lang::En => humanize(t.plan.level.code()),
            },
            trace: fund_trace_view(&t),
            chrome: ui.chrome_for(&state, &caller).await,
        };
        render(&state, &ui, StatusCode::OK, "fund_trace.html", ctx)
    }
    .await;
    done(res, &state, &ui)
}

#[derive(Serialize)]
struct HouseholdTraceContext {
    #[serde(flatten)]
    chrome: Chrome,
    trace: HouseholdTraceView,
}

pub(crate) async fn household_trace(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    format: Result<Query<FormatParam>, ApiError>,
) -> Response {
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let HouseholdPath(id) = id?;
        let t = trace::household_trace(&state.app, &caller.principal, id)
            .await
            .map_err(failure)?;
        if let Some(f) = ledger_format(&format) {
            return download(
                &trace::household_ledger(&t),
                f,
                &format!("household-trace-{}", t.household_no),
            );
        }
        let ctx = HouseholdTraceContext {
            trace: household_trace_view(&t),
            chrome: ui.chrome_for(&state, &caller).await,
        };
        render(&state, &ui, StatusCode::OK, "household_trace.html", ctx)
    }
    .await;
    done(res, &state, &ui)
}

#[derive(Serialize)]
struct AssetsContext {
    #[serde(flatten)]
    chrome: Chrome,
    region: String,
    rows: Vec<AssetView>,
}

pub(crate) async fn assets(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<RegionParams>, ApiError>,
    format: Result<Query<FormatParam>, ApiError>,
) -> Response {
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let Query(params) = params?;
        let county = county_for(&caller, &region_or_own(&caller, &params.region))?;
        let records = projects::assets(&state.app, &caller.principal, Some(&county), None)
            .await
            .map_err(failure)?;
        if let Some(f) = ledger_format(&format) {
            let sheet = trace::asset_ledger(&records).map_err(failure)?;
            return download(&sheet, f, &format!("assets-{county}"));
        }
        let ctx = AssetsContext {
            region: county.to_string(),
            rows: records.iter().map(asset_view).collect::<Result<_, _>>()?,
            chrome: ui.chrome_for(&state, &caller).await,
        };
        render(&state, &ui, StatusCode::OK, "assets.html", ctx)
    }
    .await;
    done(res, &state, &ui)
}

// ------------------------------------------------------------------ the public notice

#[derive(Serialize)]
struct NoticePlan {
    level: &'static str,
    name: String,
    document: String,
    amount: String,
}

#[derive(Serialize)]
struct NoticeProject {
    name: String,
    kind: &'static str,
    region: String,
    amount: String,
    linkage: String,
}

#[derive(Serialize)]
struct NoticeContext {
    county_name: String,
    year: i32,
    term_zh: String,
    term_en: String,
    supervision_phone: String,
    plans: Vec<NoticePlan>,
    projects: Vec<NoticeProject>,
    total: String,
    share: String,
    published_on: String,
}

/// The public notice (公告公示) of a county's annual fund plan and project arrangements, as a
/// standalone printable HTML page (the CLI writes the same page to a file).
pub fn notice_html(d: &Disclosure) -> anyhow::Result<String> {
    let env = crate::ui::templates();
    let ctx = NoticeContext {
        county_name: d.county_name.clone(),
        year: d.year,
        term_zh: d.term_zh.clone(),
        term_en: d.term_en.clone(),
        supervision_phone: d.supervision_phone.clone(),
        plans: d
            .plans
            .iter()
            .map(|u| NoticePlan {
                level: u.plan.level.zh(),
                name: u.plan.name.clone(),
                document: u.plan.document.clone(),
                amount: u.plan.amount.to_string(),
            })
            .collect(),
        projects: d
            .projects
            .iter()
            .map(|(name, kind, region, amount, linkage)| NoticeProject {
                name: name.clone(),
                kind: kind.zh(),
                region: region.to_string(),
                amount: amount.to_string(),
                linkage: linkage.clone(),
            })
            .collect(),
        total: d.total.to_string(),
        share: d.share.clone().unwrap_or_else(|| "—".to_owned()),
        published_on: d.published_on.to_string(),
    };
    Ok(env
        .get_template("notice.html")?
        .render(minijinja::value::Serde(ctx))?)
}

/// The same notice as an A4 PDF (uplift-pdf, CJK font).
pub fn notice_pdf(d: &Disclosure) -> Result<Vec<u8>, uplift_pdf::PdfError> {
    use uplift_pdf::{Block, Document};
    let title = format!(
        "{}{}年{}计划及项目安排公告",
        d.county_name, d.year, d.term_zh
    );
    let mut plan_rows: Vec<Vec<String>> = d
        .plans
        .iter()
        .map(|u| {
            vec![
                u.plan.level.zh().to_owned(),
                u.plan.name.clone(),
                u.plan.document.clone(),
                u.plan.amount.to_string(),
            ]
        })
        .collect();
    plan_rows.push(vec![
        "合计 Total".to_owned(),
        String::new(),
        String::new(),
        d.total.to_string(),
    ]);
    let doc = Document {
        title,
        subtitle: Some(format!(
            "Public notice: {}, {} plan of {} and project arrangements",
            d.county_name, d.year, d.term_en
        )),
        blocks: vec![
            Block::Paragraph(format!(
                "根据资金项目公告公示制度，现将本县{}年度{}计划及项目安排情况公告如下，接受社会监督。",
                d.year, d.term_zh
            )),
            Block::Heading("一、资金计划 Fund plan".to_owned()),
            Block::Table {
                header: vec![
                    "资金级次 Level".into(),
                    "资金名称 Name".into(),
                    "指标文号 Document".into(),
                    "金额（元）Amount".into(),
                ],
                rows: plan_rows,
            },
            Block::KeyValues(vec![(
                "用于产业发展的比重 Industry share".to_owned(),
                format!("{}%", d.share.clone().unwrap_or_else(|| "—".to_owned())),
            )]),
            Block::Heading("二、项目安排 Project arrangements".to_owned()),
            Block::Table {
                header: vec![
                    "项目名称 Project".into(),
                    "类型 Type".into(),
                    "地点 Place".into(),
                    "安排资金（元）Arranged".into(),
                    "联农带农 Linkage".into(),
                ],
                rows: d
                    .projects
                    .iter()
                    .map(|(name, kind, region, amount, linkage)| {
                        vec![
                            name.clone(),
                            kind.zh().to_owned(),
                            region.to_string(),
                            amount.to_string(),
                            linkage.clone(),
                        ]
                    })
                    .collect(),
            },
            Block::KeyValues(vec![(
                "监督举报电话 Supervision phone".to_owned(),
                d.supervision_phone.clone(),
            )]),
            Block::Signature(format!("{}\n{}", d.county_name, d.published_on)),
        ],
    };
    uplift_pdf::render(&doc)
}

pub(crate) async fn notice_pdf_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<RegionParams>, ApiError>,
) -> Response {
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let Query(params) = params?;
        let county = county_for(&caller, &region_or_own(&caller, &params.region))?;
        let year = year_of(&state, params.year);
        let d = trace::disclosure(&state.app, &caller.principal, &county, year)
            .await
            .map_err(failure)?;
        let bytes = notice_pdf(&d).map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
        Ok((
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"notice-{county}-{year}.pdf\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response())
    }
    .await;
    done(res, &state, &ui)
}

pub(crate) async fn notice(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<RegionParams>, ApiError>,
) -> Response {
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let Query(params) = params?;
        let county = county_for(&caller, &region_or_own(&caller, &params.region))?;
        let year = year_of(&state, params.year);
        let d = trace::disclosure(&state.app, &caller.principal, &county, year)
            .await
            .map_err(failure)?;
        let html = notice_html(&d).map_err(ApiError::Internal)?;
        Ok((
            [(header::CACHE_CONTROL, "no-store")],
            axum::response::Html(html),
        )
            .into_response())
    }
    .await;
    done(res, &state, &ui)
}
