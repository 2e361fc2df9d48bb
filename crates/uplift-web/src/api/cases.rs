//! `/api/v1/cases…` and the case routes of a household: clues, the identification and
//! elimination steps, measures, visits, the measure check, elimination eligibility and the
//! household timeline (domain.md §5, §7, §8). The pages of `ui::cases` share the views and the
//! body parsing here, so a form and a JSON call are checked alike.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uplift_app::cases::{self, CaseFailure, CaseId, CaseView as AppCaseView, Clue};
use uplift_domain::access::Action;
use uplift_domain::case::{
    Appraisal, Channel, Command, Comparison, ConditionResult, Decision, EliminationType, Event,
    FundingSource, Measure, MeasureCategory, MismatchProblem, NationalEntry, Stage,
    TransitionError, Verification, Visit,
};
use uplift_domain::household::Codebook;
use uplift_domain::income::Money;
use uplift_domain::region::RegionCode;
use uplift_domain::version::cst;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::households::CodeView;
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{HouseholdPath, Query};

/// A case failure as an HTTP error: a role that may not take the step is 403, a step the stage
/// does not allow is 409, a bad value is 422.
pub(crate) fn failure(err: CaseFailure) -> ApiError {
    match err {
        CaseFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
        CaseFailure::Transition(t) => match t {
            TransitionError::RoleNotAllowed { .. } => ApiError::Forbidden(t.to_string()),
            TransitionError::WrongStage { .. } | TransitionError::Closed { .. } => {
                ApiError::Conflict(t.to_string())
            }
            other => ApiError::Invalid(other.to_string()),
        },
        CaseFailure::Store(e) => e.into(),
        e @ CaseFailure::NoPolicy { .. } => ApiError::Invalid(e.to_string()),
        CaseFailure::Invalid(detail) => ApiError::Invalid(detail),
    }
}

/// The `{id}` of a case path: a whole number, else 404.
pub(crate) struct CasePath(pub(crate) CaseId);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for CasePath {
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
            .map(|id| CasePath(CaseId(id)))
            .map_err(|_| ApiError::NotFound(format!("case {raw:?}")))
    }
}

/// Refuses a household outside the caller's scope with 404 before a body is read.
pub(crate) async fn household_in_scope(
    state: &AppState,
    caller: &Caller,
    household: uplift_app::store::HouseholdId,
) -> Result<uplift_app::store::HouseholdDetail, ApiError> {
    let now = uplift_domain::version::ReadAt::current(state.app.clock.today());
    Ok(uplift_app::households::get(&state.app, household, &caller.scope(), now).await?)
}

pub(crate) fn parse_date(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::Invalid(format!("{field}: {s:?} is not a date YYYY-MM-DD")))
}

fn need<'a>(field: &str, value: &'a Option<String>) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .ok_or_else(|| ApiError::Invalid(format!("{field} is required")))
}

/// One step of a case as it happened.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StepView {
    /// The event kind: `opened`, `accepted`, `verified`, … `rejected`.
    pub(crate) event: &'static str,
    pub(crate) zh: &'static str,
    pub(crate) en: &'static str,
    /// When it happened.
    #[schema(format = Date)]
    pub(crate) date: String,
    /// When Uplift recorded it (China Standard Time).
    pub(crate) recorded_at: String,
    pub(crate) actor: String,
    /// What was recorded with it: findings, votes, minutes, opinions, decisions, reasons.
    pub(crate) detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ObjectionView {
    pub(crate) index: usize,
    #[schema(format = Date)]
    pub(crate) filed_on: String,
    pub(crate) text: String,
    pub(crate) answer: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NoticeView {
    #[schema(format = Date)]
    pub(crate) start: String,
    /// The last day of the notice's minimum length.
    #[schema(format = Date)]
    pub(crate) last_day: String,
    pub(crate) closed_on: Option<String>,
    pub(crate) objections: Vec<ObjectionView>,
}

/// One elimination condition, checked with the pack's parameters.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConditionView {
    pub(crate) code: &'static str,
    pub(crate) passed: bool,
    pub(crate) detail_zh: String,
    pub(crate) detail_en: String,
}

impl ConditionView {
    pub(crate) fn of(c: &ConditionResult) -> ConditionView {
        ConditionView {
            code: c.code,
            passed: c.passed,
            detail_zh: c.detail_zh.clone(),
            detail_en: c.detail_en.clone(),
        }
    }
}

/// A case: its household, clue and channel, every step with who and when, and what may follow.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CaseView {
    pub(crate) id: i64,
    pub(crate) household_id: i64,
    /// The 12-digit code of the village the case was opened in.
    pub(crate) region_code: String,
    /// `identification` or `elimination`.
    pub(crate) kind: CodeView,
    pub(crate) channel: CodeView,
    pub(crate) stage: CodeView,
    #[schema(format = Date)]
    pub(crate) clue_date: String,
    pub(crate) summary: String,
    pub(crate) risk_hint: Option<String>,
    pub(crate) green_channel: bool,
    /// Whether this clue rolled back an elimination.
    pub(crate) rollback: bool,
    /// The due date of the step the case waits for.
    pub(crate) step_due: Option<String>,
    /// The due date of the whole identification.
    pub(crate) whole_due: Option<String>,
    pub(crate) overdue: bool,
    /// The version the next action must send.
    pub(crate) version: u32,
    /// The commands the caller may take next.
    pub(crate) next: Vec<&'static str>,
    pub(crate) steps: Vec<StepView>,
    pub(crate) notice: Option<NoticeView>,
    /// The county's category and risk types, or the elimination type.
    pub(crate) decision: Option<String>,
    pub(crate) rejection: Option<String>,
    /// For an elimination: the conditions checked when it was proposed.
    pub(crate) conditions: Vec<ConditionView>,
}

/// What an event recorded, in a line.
pub(crate) fn event_detail(event: &Event) -> String {
    match event {
        Event::Opened(o) => format!("{} · {}", o.channel.zh(), o.summary),
        Event::Accepted => String::new(),
        Event::Verified(v) => format!(
            "承诺书 commitment {} · 授权查询 asset query {} · {}",
            yes(v.commitment_signed),
            yes(v.asset_query_authorised),
            v.findings
        ),
        Event::Compared(c) => format!(
            "{} · {}",
            if c.adverse_findings {
                "发现不符 adverse findings"
            } else {
                "未见不符 no adverse findings"
            },
            c.findings
        ),
        Event::Appraised(a) => format!(
            "{} · 到会 {} · 赞成 {} · 反对 {} · 弃权 {} · {}",
            a.held_on, a.attendees, a.votes_for, a.votes_against, a.abstentions, a.minutes
        ),
        Event::NoticePosted { start, last_day } => format!("{start} – {last_day}"),
        Event::ObjectionFiled { filed_on, text } => format!("{filed_on} · {text}"),
        Event::ObjectionAnswered { index, answer } => format!("#{} · {answer}", index + 1),
        Event::NoticeClosed { on } => on.to_string(),
        Event::Reviewed { opinion } => opinion.clone(),
        Event::Approved { on, decision } => format!("{on} · {}", decision_text(decision)),
        Event::Announced { on } => on.to_string(),
        Event::EnteredNational(e) => format!("{} · {}", e.entered_on, e.entered_by),
        Event::Rejected { at, reason } => format!("{} · {reason}", at.zh()),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "是 yes" } else { "否 no" }
}

pub(crate) fn decision_text(d: &Decision) -> String {
    match d {
        Decision::Identify { category, risks } => {
            format!("{category} · {}", risks.join(","))
        }
        Decision::Eliminate { kind } => format!("{} {}", kind.zh(), kind.en()),
    }
}

pub(crate) fn case_view(v: &AppCaseView) -> CaseView {
    let c = &v.case;
    CaseView {
        id: v.record.id.0,
        household_id: v.record.household.0,
        region_code: v.record.region.as_str().to_owned(),
        kind: CodeView::of(c.opening.kind),
        channel: CodeView::of(c.opening.channel),
        stage: CodeView::of(c.stage),
        clue_date: c.opening.clue_date.to_string(),
        summary: c.opening.summary.clone(),
        risk_hint: c.opening.risk_hint.clone(),
        green_channel: c.opening.green_channel,
        rollback: c.opening.rollback,
        step_due: v.step_due.map(|d| d.to_string()),
        whole_due: v.whole_due.map(|d| d.to_string()),
        overdue: v.overdue,
        version: c.version,
        next: v.next.clone(),
        steps: v
            .record
            .events
            .iter()
            .map(|(e, s)| StepView {
                event: e.name(),
                zh: e.zh(),
                en: e.en(),
                date: s.valid_from.to_string(),
                recorded_at: s
                    .recorded_at
                    .with_timezone(&cst())
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                actor: s.actor.clone(),
                detail: event_detail(e),
            })
            .collect(),
        notice: c.notice.as_ref().map(|n| NoticeView {
            start: n.start.to_string(),
            last_day: n.last_day.to_string(),
            closed_on: n.closed_on.map(|d| d.to_string()),
            objections: n
                .objections
                .iter()
                .enumerate()
                .map(|(i, o)| ObjectionView {
                    index: i,
                    filed_on: o.filed_on.to_string(),
                    text: o.text.clone(),
                    answer: o.answer.clone(),
                })
                .collect(),
        }),
        decision: c.approval.as_ref().map(|(_, d)| decision_text(d)),
        rejection: c
            .rejection
            .as_ref()
            .map(|(at, reason)| format!("{} · {reason}", at.zh())),
        conditions: c.opening.conditions.iter().map(ConditionView::of).collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CaseListView {
    pub(crate) items: Vec<CaseView>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct QueueParams {
    /// A region code (2–12 digits) inside the caller's scope.
    pub(crate) region: Option<String>,
    /// A stage code: `declared`, `clue`, `verified`, `compared`, `appraised`, `notice`,
    /// `notice_closed`, `reviewed`, `approved`, `announced`, `entered`, `rejected`.
    pub(crate) stage: Option<String>,
    /// `true` for overdue cases only.
    pub(crate) overdue: Option<bool>,
}

impl QueueParams {
    pub(crate) fn parse(&self) -> Result<(Option<RegionCode>, Option<Stage>, bool), ApiError> {
        let region = match self.region.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => Some(
                RegionCode::parse(s).map_err(|e| ApiError::parameter("region", e.to_string()))?,
            ),
            None => None,
        };
        let stage = match self.stage.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => {
                Some(Stage::parse(s).map_err(|e| ApiError::parameter("stage", e.to_string()))?)
            }
            None => None,
        };
        Ok((region, stage, self.overdue.unwrap_or(false)))
    }
}

/// The cases queue in the caller's scope, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    params(QueueParams),
    responses(
        (status = 200, description = "The cases", body = CaseListView),
        (status = 400, description = "A malformed query parameter", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read cases", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_cases(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<QueueParams>,
) -> Result<Json<CaseListView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let (region, stage, overdue) = params.parse()?;
    let views = cases::queue(&state.app, &caller.principal, region, stage, overdue)
        .await
        .map_err(failure)?;
    Ok(Json(CaseListView {
        items: views.iter().map(case_view).collect(),
    }))
}

/// One case.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    responses(
        (status = 200, description = "The case", body = CaseView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read cases", body = ErrorEnvelope),
        (status = 404, description = "No such case in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn find_case(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CasePath(id): CasePath,
) -> Result<Json<CaseView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let v = cases::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    Ok(Json(case_view(&v)))
}

/// A clue that opens a case on a household.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ClueBody {
    /// `self_declaration` (routed to the township to accept), `cadre_visit`,
    /// `department_warning` or `concentrated_screening`.
    pub(crate) channel: String,
    /// The date the clue was found.
    #[schema(format = Date)]
    pub(crate) clue_date: String,
    pub(crate) summary: String,
    /// A risk type code of the pack (`01`, `0201`, …), if known.
    pub(crate) risk_hint: Option<String>,
    /// Help first, recognise later: disaster and accident clues only.
    #[serde(default)]
    pub(crate) green_channel: bool,
}

impl ClueBody {
    pub(crate) fn clue(&self) -> Result<Clue, ApiError> {
        Ok(Clue {
            channel: Channel::parse(&self.channel)
                .map_err(|e| ApiError::Invalid(format!("channel: {e}")))?,
            clue_date: parse_date("clue_date", &self.clue_date)?,
            summary: self.summary.trim().to_owned(),
            risk_hint: self
                .risk_hint
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            green_channel: self.green_channel,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedView {
    pub(crate) id: i64,
}

/// Records a clue and opens an identification case (a clue on an eliminated household rolls
/// the elimination back).
#[utoipa::path(
    post,
    path = "/api/v1/households/{id}/cases",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = ClueBody,
    responses(
        (status = 201, description = "The case was opened", body = CreatedView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not open cases, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
        (status = 409, description = "The household already has an open case", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn open_case(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
    headers: HeaderMap,
    body: Result<Json<ClueBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::OpenCase)?;
    household_in_scope(&state, &caller, household).await?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let clue = body.clue()?;
    let id = cases::open_clue(&state.app, &caller.principal, household, clue, "api")
        .await
        .map_err(failure)?;
    Ok((StatusCode::CREATED, Json(CreatedView { id: id.0 })))
}

/// One step on a case. `command` names it; the other fields are those the step needs:
///
/// - `accept` (township accepts a self-declaration);
/// - `verify`: `commitment_signed`, `asset_query_authorised`, `findings`;
/// - `compare`: `adverse_findings`, `findings`;
/// - `appraise`: `held_on`, `attendees`, `votes_for`, `votes_against`, `abstentions`, `minutes`;
/// - `post_notice`: `start`; `file_objection`: `text`; `answer_objection`: `index`, `answer`;
///   `close_notice`;
/// - `review`: `opinion`;
/// - `approve`: `category` and `risks` (identification) or `elimination_type` (elimination);
/// - `announce`: `on`; `enter_national`: `entered_by`, `entered_on`;
/// - `reject`: `reason`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ActionBody {
    pub(crate) command: String,
    /// The case version the caller saw; a newer one refuses the step with 409.
    pub(crate) version: u32,
    pub(crate) commitment_signed: Option<bool>,
    pub(crate) asset_query_authorised: Option<bool>,
    pub(crate) adverse_findings: Option<bool>,
    pub(crate) findings: Option<String>,
    #[schema(format = Date)]
    pub(crate) held_on: Option<String>,
    pub(crate) attendees: Option<u32>,
    pub(crate) votes_for: Option<u32>,
    pub(crate) votes_against: Option<u32>,
    pub(crate) abstentions: Option<u32>,
    pub(crate) minutes: Option<String>,
    #[schema(format = Date)]
    pub(crate) start: Option<String>,
    pub(crate) text: Option<String>,
    /// The objection's index, from 0.
    pub(crate) index: Option<usize>,
    pub(crate) answer: Option<String>,
    pub(crate) opinion: Option<String>,
    /// The category code of the pack (`edge`, `unstable`, `sudden`, …).
    pub(crate) category: Option<String>,
    /// 1–5 risk type codes of the pack.
    pub(crate) risks: Option<Vec<String>>,
    /// `assistance` or `natural`.
    pub(crate) elimination_type: Option<String>,
    #[schema(format = Date)]
    pub(crate) on: Option<String>,
    pub(crate) entered_by: Option<String>,
    #[schema(format = Date)]
    pub(crate) entered_on: Option<String>,
    pub(crate) reason: Option<String>,
}

impl ActionBody {
    pub(crate) fn command(&self) -> Result<Command, ApiError> {
        let text = |field: &str, v: &Option<String>| need(field, v).map(str::to_owned);
        let date =
            |field: &str, v: &Option<String>| need(field, v).and_then(|s| parse_date(field, s));
        let count = |field: &str, v: Option<u32>| {
            v.ok_or_else(|| ApiError::Invalid(format!("{field} is required")))
        };
        Ok(match self.command.as_str() {
            "accept" => Command::Accept,
            "verify" => Command::Verify(Verification {
                commitment_signed: self.commitment_signed.unwrap_or(false),
                asset_query_authorised: self.asset_query_authorised.unwrap_or(false),
                findings: text("findings", &self.findings)?,
            }),
            "compare" => Command::Compare(Comparison {
                adverse_findings: self.adverse_findings.unwrap_or(false),
                findings: text("findings", &self.findings)?,
            }),
            "appraise" => Command::Appraise(Appraisal {
                held_on: date("held_on", &self.held_on)?,
                attendees: count("attendees", self.attendees)?,
                votes_for: count("votes_for", self.votes_for)?,
                votes_against: self.votes_against.unwrap_or(0),
                abstentions: self.abstentions.unwrap_or(0),
                minutes: text("minutes", &self.minutes)?,
            }),
            "post_notice" => Command::PostNotice {
                start: date("start", &self.start)?,
            },
            "file_objection" => Command::FileObjection {
                text: text("text", &self.text)?,
            },
            "answer_objection" => Command::AnswerObjection {
                index: self
                    .index
                    .ok_or_else(|| ApiError::Invalid("index is required".into()))?,
                answer: text("answer", &self.answer)?,
            },
            "close_notice" => Command::CloseNotice,
            "review" => Command::Review {
                opinion: text("opinion", &self.opinion)?,
            },
            "approve" => match &self.elimination_type {
                Some(kind) => Command::Approve(Decision::Eliminate {
                    kind: EliminationType::parse(kind)
                        .map_err(|e| ApiError::Invalid(format!("elimination_type: {e}")))?,
                }),
                None => Command::Approve(Decision::Identify {
                    category: text("category", &self.category)?,
                    risks: self.risks.clone().unwrap_or_default(),
                }),
            },
            "announce" => Command::Announce {
                on: date("on", &self.on)?,
            },
            "enter_national" => Command::EnterNational(NationalEntry {
                entered_by: text("entered_by", &self.entered_by)?,
                entered_on: date("entered_on", &self.entered_on)?,
            }),
            "reject" => Command::Reject {
                reason: self.reason.clone().unwrap_or_default(),
            },
            other => {
                return Err(ApiError::Invalid(format!(
                    "command: {other:?} is not one of accept, verify, compare, appraise, \
                     post_notice, file_objection, answer_objection, close_notice, review, \
                     approve, announce, enter_national, reject"
                )));
            }
        })
    }
}

/// Takes one step on a case; the caller's role and region are checked.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/actions",
    tag = "cases",
    params(("id" = i64, Path, description = "The case id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = ActionBody,
    responses(
        (status = 200, description = "The case after the step", body = CaseView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not take this step, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such case in the caller's scope", body = ErrorEnvelope),
        (status = 409, description = "The stage does not allow the step, or someone acted first", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn act_on_case(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CasePath(id): CasePath,
    headers: HeaderMap,
    body: Result<Json<ActionBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<CaseView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ReadRegistry)?;
    cases::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let v = act(&state, &caller, id, &body).await?;
    Ok(Json(case_view(&v)))
}

/// Takes the step of a body: the case is found in scope first, so a case outside it is 404
/// whatever the body says.
pub(crate) async fn act(
    state: &AppState,
    caller: &Caller,
    id: CaseId,
    body: &ActionBody,
) -> Result<AppCaseView, ApiError> {
    cases::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    let command = body.command()?;
    cases::act(
        &state.app,
        &caller.principal,
        id,
        body.version,
        command,
        "api",
    )
    .await
    .map_err(failure)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ProposeBody {
    pub(crate) summary: String,
}

/// Proposes the household for risk elimination; every condition must pass.
#[utoipa::path(
    post,
    path = "/api/v1/households/{id}/elimination",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = ProposeBody,
    responses(
        (status = 201, description = "The elimination case was opened", body = CreatedView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not propose, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
        (status = 409, description = "The household has an open case", body = ErrorEnvelope),
        (status = 422, description = "A condition fails, or the summary is empty", body = ErrorEnvelope),
    )
)]
pub(crate) async fn propose_elimination(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
    headers: HeaderMap,
    body: Result<Json<ProposeBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ProposeElimination)?;
    household_in_scope(&state, &caller, household).await?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let id = cases::propose_elimination(
        &state.app,
        &caller.principal,
        household,
        body.summary.trim(),
        "api",
    )
    .await
    .map_err(failure)?;
    Ok((StatusCode::CREATED, Json(CreatedView { id: id.0 })))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EligibilityView {
    /// Whether every condition passes.
    pub(crate) eligible: bool,
    pub(crate) conditions: Vec<ConditionView>,
}

/// Checks every elimination condition for the household today.
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}/eligibility",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id")),
    responses(
        (status = 200, description = "Each condition, passed or failed", body = EligibilityView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn eligibility(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
) -> Result<Json<EligibilityView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let conditions = cases::eligibility(&state.app, &caller.principal, household)
        .await
        .map_err(failure)?;
    Ok(Json(EligibilityView {
        eligible: !conditions.is_empty() && conditions.iter().all(|c| c.passed),
        conditions: conditions.iter().map(ConditionView::of).collect(),
    }))
}

/// A measure; the amount is yuan with up to two decimals.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct MeasureBody {
    /// A measure category code (`industry`, `employment`, `housing`, `water`, …).
    pub(crate) category: String,
    pub(crate) name: String,
    #[schema(format = Date)]
    pub(crate) start: String,
    #[schema(format = Date)]
    pub(crate) end: Option<String>,
    pub(crate) amount: String,
    /// A funding source code (`assistance_funds`, `credit`, `household`, `none`, …).
    pub(crate) funding: String,
    /// The measure to record a new version of; none for a new measure.
    pub(crate) measure_id: Option<i64>,
}

impl MeasureBody {
    pub(crate) fn measure(&self) -> Result<Measure, ApiError> {
        Ok(Measure {
            category: MeasureCategory::parse(&self.category)
                .map_err(|e| ApiError::Invalid(format!("category: {e}")))?,
            name: self.name.trim().to_owned(),
            start: parse_date("start", &self.start)?,
            end: match self.end.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => Some(parse_date("end", s)?),
                None => None,
            },
            amount: Money::parse(self.amount.trim())
                .map_err(|e| ApiError::Invalid(format!("amount: {e}")))?,
            funding: FundingSource::parse(&self.funding)
                .map_err(|e| ApiError::Invalid(format!("funding: {e}")))?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MeasureView {
    pub(crate) id: i64,
    pub(crate) category: CodeView,
    pub(crate) name: String,
    #[schema(format = Date)]
    pub(crate) start: String,
    pub(crate) end: Option<String>,
    pub(crate) amount: String,
    pub(crate) funding: CodeView,
    pub(crate) recorded_by: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProblemView {
    pub(crate) code: &'static str,
    pub(crate) detail_zh: String,
    pub(crate) detail_en: String,
}

impl ProblemView {
    pub(crate) fn of(p: &MismatchProblem) -> ProblemView {
        ProblemView {
            code: p.code,
            detail_zh: p.detail_zh.clone(),
            detail_en: p.detail_en.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MeasuresView {
    pub(crate) items: Vec<MeasureView>,
    /// Where the measures do not match the household's risks; empty when they do.
    pub(crate) problems: Vec<ProblemView>,
}

/// The household's measures and whether they match its risks.
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}/measures",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id")),
    responses(
        (status = 200, description = "The measures and the measure check", body = MeasuresView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_measures(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
) -> Result<Json<MeasuresView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    Ok(Json(measures_view(&state, &caller, household).await?))
}

pub(crate) async fn measures_view(
    state: &AppState,
    caller: &Caller,
    household: uplift_app::store::HouseholdId,
) -> Result<MeasuresView, ApiError> {
    let items = cases::measures(&state.app, &caller.principal, household)
        .await
        .map_err(failure)?;
    let problems = cases::measure_check(&state.app, &caller.principal, household)
        .await
        .map_err(failure)?;
    Ok(MeasuresView {
        items: items
            .iter()
            .map(|(id, m)| MeasureView {
                id: id.0,
                category: CodeView::of(m.value.category),
                name: m.value.name.clone(),
                start: m.value.start.to_string(),
                end: m.value.end.map(|d| d.to_string()),
                amount: m.value.amount.to_string(),
                funding: CodeView::of(m.value.funding),
                recorded_by: m.stamp.actor.clone(),
            })
            .collect(),
        problems: problems.iter().map(ProblemView::of).collect(),
    })
}

/// Records a measure (or a new version of one).
#[utoipa::path(
    post,
    path = "/api/v1/households/{id}/measures",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = MeasureBody,
    responses(
        (status = 201, description = "The measure was recorded", body = CreatedView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not record assistance, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "A field is wrong, or the household is not identified", body = ErrorEnvelope),
    )
)]
pub(crate) async fn record_measure(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
    headers: HeaderMap,
    body: Result<Json<MeasureBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::RecordAssistance)?;
    household_in_scope(&state, &caller, household).await?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let measure = body.measure()?;
    let id = cases::record_measure(
        &state.app,
        &caller.principal,
        household,
        body.measure_id.map(uplift_app::cases::MeasureId),
        measure,
        "api",
    )
    .await
    .map_err(failure)?;
    Ok((StatusCode::CREATED, Json(CreatedView { id: id.0 })))
}

/// A visit and its findings; `true` is fine, `false` a problem, none not looked at.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct VisitBody {
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) visitor: String,
    pub(crate) income_above_line: Option<bool>,
    pub(crate) health_ok: Option<bool>,
    pub(crate) schooling_ok: Option<bool>,
    pub(crate) work_ok: Option<bool>,
    pub(crate) housing_ok: Option<bool>,
    pub(crate) water_ok: Option<bool>,
    pub(crate) findings: String,
    #[serde(default)]
    pub(crate) problems: String,
    #[serde(default)]
    pub(crate) follow_ups: String,
    /// A reference to a photo kept elsewhere, if any.
    pub(crate) photo: Option<String>,
}

impl VisitBody {
    pub(crate) fn visit(&self) -> Result<Visit, ApiError> {
        Ok(Visit {
            date: parse_date("date", &self.date)?,
            visitor: self.visitor.trim().to_owned(),
            income_above_line: self.income_above_line,
            health_ok: self.health_ok,
            schooling_ok: self.schooling_ok,
            work_ok: self.work_ok,
            housing_ok: self.housing_ok,
            water_ok: self.water_ok,
            findings: self.findings.trim().to_owned(),
            problems: self.problems.trim().to_owned(),
            follow_ups: self.follow_ups.trim().to_owned(),
            photo: self
                .photo
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VisitView {
    pub(crate) id: i64,
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) visitor: String,
    pub(crate) income_above_line: Option<bool>,
    pub(crate) health_ok: Option<bool>,
    pub(crate) schooling_ok: Option<bool>,
    pub(crate) work_ok: Option<bool>,
    pub(crate) housing_ok: Option<bool>,
    pub(crate) water_ok: Option<bool>,
    pub(crate) findings: String,
    pub(crate) problems: String,
    pub(crate) follow_ups: String,
    /// The visit's photos, served by `GET /api/v1/households/{id}/photos/{photo}`.
    pub(crate) photos: Vec<crate::api::documents::PhotoView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VisitListView {
    pub(crate) items: Vec<VisitView>,
}

/// The household's visits, by date.
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}/visits",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id")),
    responses(
        (status = 200, description = "The visits", body = VisitListView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_visits(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
) -> Result<Json<VisitListView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let items =
        crate::api::documents::visit_views(&state.app, &caller.principal, household).await?;
    Ok(Json(VisitListView { items }))
}

/// Records a visit (a helper: to their own households only).
#[utoipa::path(
    post,
    path = "/api/v1/households/{id}/visits",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = VisitBody,
    responses(
        (status = 201, description = "The visit was recorded", body = CreatedView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not record visits, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "A field is wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn record_visit(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
    headers: HeaderMap,
    body: Result<Json<VisitBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::RecordAssistance)?;
    household_in_scope(&state, &caller, household).await?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let visit = body.visit()?;
    let id = cases::record_visit(&state.app, &caller.principal, household, visit, "api")
        .await
        .map_err(failure)?;
    Ok((StatusCode::CREATED, Json(CreatedView { id: id.0 })))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TimelineEntryView {
    #[schema(format = Date)]
    pub(crate) date: String,
    /// `case`, `measure` or `visit`.
    pub(crate) kind: &'static str,
    pub(crate) title_zh: String,
    pub(crate) title_en: String,
    /// The detail with codebook labels in Chinese; user text as written.
    pub(crate) detail: String,
    /// The same with codebook labels in English.
    pub(crate) detail_en: String,
    pub(crate) actor: String,
    pub(crate) case_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TimelineView {
    /// The household's standing: `not_monitored`, `monitored`, `eliminated` or `rolled_back`.
    pub(crate) status: String,
    pub(crate) items: Vec<TimelineEntryView>,
}

/// Clues, steps, measures, visits and elimination of a household, by date.
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}/timeline",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id")),
    responses(
        (status = 200, description = "The timeline", body = TimelineView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn timeline(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
) -> Result<Json<TimelineView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let items = cases::timeline(&state.app, &caller.principal, household)
        .await
        .map_err(failure)?;
    let status = cases::status(&state.app, &caller.principal, household)
        .await
        .map_err(failure)?;
    Ok(Json(TimelineView {
        status: status.code().to_owned(),
        items: items
            .into_iter()
            .map(|e| TimelineEntryView {
                date: e.date.to_string(),
                kind: e.kind,
                title_zh: e.title_zh,
                title_en: e.title_en,
                detail: e.detail,
                detail_en: e.detail_en,
                actor: e.actor,
                case_id: e.case.map(|c| c.0),
            })
            .collect(),
    }))
}
