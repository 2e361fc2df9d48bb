//! The rectification ledger (问题整改台账), the five-level responsibility tree and the monthly
//! bulletin (通报) under `/api/v1`: problems, their steps and evidence, problem-list imports,
//! tasks assigned down the tree, secretaries and units, and the bulletin as JSON, .xlsx or .csv.
//! The pages in `ui::rectify` share these views.

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uplift_app::import::table::{FileKind, Table};
use uplift_app::imports::sheet::{Format, Sheet};
use uplift_app::rectify::bulletin::{self, Bulletin, INDICATORS};
use uplift_app::rectify::import::{ImportOutcome, import};
use uplift_app::rectify::responsibility::{self, TaskView as AppTaskView};
use uplift_app::rectify::store::{NewTask, Responsibility};
use uplift_app::rectify::{
    self, ProblemId, ProblemView as AppProblemView, RectifyFailure, TaskId, Upload,
};
use uplift_domain::access::Action;
use uplift_domain::household::Codebook;
use uplift_domain::rectify::{
    Assignment, Command, Event, FixKind, ProblemFacts, ProblemState, Progress, RectifyError,
};
use uplift_domain::region::{RegionCode, RegionLevel};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Query;

/// The largest upload (a problem list, or a report's evidence files).
pub(crate) const MAX_UPLOAD: usize = 64 * 1024 * 1024;

pub(crate) fn failure(err: RectifyFailure) -> ApiError {
    match err {
        RectifyFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
        RectifyFailure::Rule(e) => match e {
            RectifyError::RoleNotAllowed { .. }
            | RectifyError::RegionNotAllowed { .. }
            | RectifyError::NotLevelAbove { .. } => ApiError::Forbidden(e.to_string()),
            RectifyError::WrongState { .. } => ApiError::Conflict(e.to_string()),
            other => ApiError::Invalid(other.to_string()),
        },
        RectifyFailure::Store(e) => e.into(),
        e @ RectifyFailure::NoPolicy { .. } => ApiError::Invalid(e.to_string()),
        RectifyFailure::Invalid(detail) => ApiError::Invalid(detail),
    }
}

pub(crate) fn region_param(name: &str, s: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(s.trim()).map_err(|e| ApiError::parameter(name, e.to_string()))
}

fn date_field(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::Invalid(format!("{field}: {s:?} is not a date YYYY-MM-DD")))
}

fn id_param(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::NotFound(format!("{raw:?}")))
}

// ---------------------------------------------------------------------------------------------
// Views.

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EvidenceView {
    pub(crate) index: u32,
    pub(crate) file_name: String,
    pub(crate) content_type: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    /// Where the file is served (API).
    pub(crate) href: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProblemEventView {
    pub(crate) seq: u32,
    /// `recorded`, `assigned`, `reported`, `submitted`, `signed_off`, `sign_off_rejected`, `reopened`.
    pub(crate) event: &'static str,
    pub(crate) zh: &'static str,
    pub(crate) en: &'static str,
    pub(crate) on: String,
    pub(crate) actor: String,
    pub(crate) recorded_at: String,
    /// The step's text: measures, progress, summary, opinion or reason.
    pub(crate) detail: String,
    pub(crate) evidence: Vec<EvidenceView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RectificationProblemView)]
pub(crate) struct ProblemView {
    pub(crate) id: i64,
    /// `recorded`, `assigned`, `submitted` or `closed`.
    pub(crate) state: &'static str,
    pub(crate) state_zh: &'static str,
    pub(crate) state_en: &'static str,
    pub(crate) source: String,
    pub(crate) source_zh: String,
    pub(crate) source_en: String,
    pub(crate) source_ref: String,
    pub(crate) area: String,
    pub(crate) area_zh: String,
    pub(crate) area_en: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) found_on: String,
    pub(crate) region: String,
    pub(crate) affected_regions: Vec<String>,
    pub(crate) households: Vec<String>,
    /// `immediate` (立行立改) or `long_term`.
    pub(crate) fix_kind: &'static str,
    pub(crate) fix_kind_zh: &'static str,
    pub(crate) responsible_region: Option<String>,
    pub(crate) lead_unit: Option<String>,
    pub(crate) responsible_units: Vec<String>,
    pub(crate) responsible_person: Option<String>,
    pub(crate) measures: Option<String>,
    pub(crate) deadline: Option<String>,
    pub(crate) overdue: bool,
    pub(crate) stalled: bool,
    /// The number of steps: the version the next step expects.
    pub(crate) version: u32,
    /// The commands the caller's role could take next.
    pub(crate) next: Vec<&'static str>,
    pub(crate) events: Vec<ProblemEventView>,
}

pub(crate) fn problem_view(state: &AppState, v: &AppProblemView) -> ProblemView {
    let p = &v.problem;
    let f = &p.facts;
    let today = state.app.clock.today();
    let rules = rectify::rules_for(&state.app, &f.region, today).ok();
    let (source_zh, source_en) = rules
        .map(|r| rectify::names(&r.sources, &f.source))
        .unwrap_or_else(|| (f.source.clone(), f.source.clone()));
    let (area_zh, area_en) = rules
        .map(|r| rectify::names(&r.areas, &f.area))
        .unwrap_or_else(|| (f.area.clone(), f.area.clone()));
    let a = p.assignment.as_ref();
    let id = v.record.id.0;
    let events = v
        .record
        .events
        .iter()
        .enumerate()
        .map(|(i, (e, s))| {
            let seq = i as u32 + 1;
            let (detail, evidence) = match e {
                Event::Recorded(f) => (f.description.clone(), vec![]),
                Event::Assigned(a) => (
                    format!(
                        "{} · {} · {} · {}",
                        a.responsible_region, a.lead_unit, a.responsible_person, a.measures
                    ),
                    vec![],
                ),
                Event::Reported(p) => (
                    p.text.clone(),
                    p.evidence
                        .iter()
                        .enumerate()
                        .map(|(k, e)| EvidenceView {
                            index: k as u32,
                            file_name: e.file_name.clone(),
                            content_type: e.content_type.clone(),
                            size: e.size,
                            sha256: e.sha256.clone(),
                            href: format!("/api/v1/problems/{id}/evidence?seq={seq}&index={k}"),
                        })
                        .collect(),
                ),
                Event::Submitted { summary } => (summary.clone(), vec![]),
                Event::SignedOff { opinion } => (opinion.clone(), vec![]),
                Event::SignOffRejected { reason } | Event::Reopened { reason } => {
                    (reason.clone(), vec![])
                }
            };
            ProblemEventView {
                seq,
                event: e.name(),
                zh: e.zh(),
                en: e.en(),
                on: s.valid_from.to_string(),
                actor: s.actor.clone(),
                recorded_at: s.recorded_at.to_rfc3339(),
                detail,
                evidence,
            }
        })
        .collect();
    ProblemView {
        id,
        state: p.state.code(),
        state_zh: p.state.zh(),
        state_en: p.state.en(),
        source: f.source.clone(),
        source_zh,
        source_en,
        source_ref: f.source_ref.clone(),
        area: f.area.clone(),
        area_zh,
        area_en,
        title: f.title.clone(),
        description: f.description.clone(),
        found_on: f.found_on.to_string(),
        region: f.region.to_string(),
        affected_regions: f.affected_regions.iter().map(|r| r.to_string()).collect(),
        households: f.households.clone(),
        fix_kind: f.fix_kind.code(),
        fix_kind_zh: f.fix_kind.zh(),
        responsible_region: a.map(|a| a.responsible_region.to_string()),
        lead_unit: a.map(|a| a.lead_unit.clone()),
        responsible_units: a.map(|a| a.responsible_units.clone()).unwrap_or_default(),
        responsible_person: a.map(|a| a.responsible_person.clone()),
        measures: a.map(|a| a.measures.clone()),
        deadline: a.map(|a| a.deadline.to_string()),
        overdue: v.overdue,
        stalled: v.stalled,
        version: p.version,
        next: v.next.clone(),
        events,
    }
}

// ---------------------------------------------------------------------------------------------
// Problems.

#[derive(Debug, Default, Deserialize, IntoParams)]
pub(crate) struct ProblemParams {
    /// Problems filed in or answered for inside this region.
    region: Option<String>,
    /// `recorded`, `assigned`, `submitted` or `closed`.
    state: Option<String>,
}

pub(crate) async fn list_problems_for(
    state: &AppState,
    caller: &Caller,
    region: Option<&str>,
    problem_state: Option<&str>,
) -> Result<Vec<AppProblemView>, ApiError> {
    caller.require(Action::ReadRectification)?;
    let region = match region.map(str::trim) {
        None | Some("") => None,
        Some(r) => Some(region_param("region", r)?),
    };
    let problem_state = match problem_state.map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            ProblemState::ALL
                .iter()
                .copied()
                .find(|x| x.code() == s)
                .ok_or_else(|| {
                    ApiError::parameter(
                        "state",
                        format!("recorded, assigned, submitted or closed, found {s:?}"),
                    )
                })?,
        ),
    };
    rectify::list(&state.app, &caller.principal, region, problem_state)
        .await
        .map_err(failure)
}

/// The ledger: problems in the caller's scope, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/problems",
    tag = "rectification",
    params(ProblemParams),
    responses(
        (status = 200, description = "The problems", body = [ProblemView]),
        (status = 400, description = "A parameter is wrong", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the ledger", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_problems(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    params: Result<Query<ProblemParams>, ApiError>,
) -> Result<Json<Vec<ProblemView>>, ApiError> {
    caller.require(Action::ReadRectification)?;
    let Query(params) = params?;
    let views = list_problems_for(
        &state,
        &caller,
        params.region.as_deref(),
        params.state.as_deref(),
    )
    .await?;
    Ok(Json(
        views.iter().map(|v| problem_view(&state, v)).collect(),
    ))
}

/// A problem as entered: what, where, and optionally its assignment.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ProblemBody {
    pub(crate) source: String,
    #[serde(default)]
    pub(crate) source_ref: String,
    pub(crate) area: String,
    pub(crate) title: String,
    pub(crate) description: String,
    /// YYYY-MM-DD.
    pub(crate) found_on: String,
    pub(crate) region: String,
    pub(crate) affected_regions: Vec<String>,
    #[serde(default)]
    pub(crate) households: Vec<String>,
    /// `immediate` (立行立改) or `long_term`.
    pub(crate) fix_kind: String,
    pub(crate) assignment: Option<AssignmentBody>,
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
pub(crate) struct AssignmentBody {
    pub(crate) responsible_region: String,
    pub(crate) lead_unit: String,
    #[serde(default)]
    pub(crate) responsible_units: Vec<String>,
    pub(crate) responsible_person: String,
    pub(crate) measures: String,
    /// YYYY-MM-DD.
    pub(crate) deadline: String,
}

impl AssignmentBody {
    pub(crate) fn assignment(&self) -> Result<Assignment, ApiError> {
        Ok(Assignment {
            responsible_region: region_param("responsible_region", &self.responsible_region)
                .map_err(|e| ApiError::Invalid(e.view().detail))?,
            lead_unit: self.lead_unit.clone(),
            responsible_units: self.responsible_units.clone(),
            responsible_person: self.responsible_person.clone(),
            measures: self.measures.clone(),
            deadline: date_field("deadline", &self.deadline)?,
        })
    }
}

impl ProblemBody {
    pub(crate) fn facts(&self) -> Result<(ProblemFacts, Option<Assignment>), ApiError> {
        let region = |name: &str, s: &str| {
            RegionCode::parse(s.trim()).map_err(|e| ApiError::Invalid(format!("{name}: {e}")))
        };
        let fix_kind = FixKind::ALL
            .iter()
            .copied()
            .find(|k| k.code() == self.fix_kind.trim())
            .ok_or_else(|| {
                ApiError::Invalid(format!(
                    "fix_kind: immediate or long_term, found {:?}",
                    self.fix_kind
                ))
            })?;
        let facts = ProblemFacts {
            source: self.source.trim().to_owned(),
            source_ref: self.source_ref.trim().to_owned(),
            area: self.area.trim().to_owned(),
            title: self.title.trim().to_owned(),
            description: self.description.trim().to_owned(),
            found_on: date_field("found_on", &self.found_on)?,
            region: region("region", &self.region)?,
            affected_regions: self
                .affected_regions
                .iter()
                .map(|r| region("affected_regions", r))
                .collect::<Result<_, _>>()?,
            households: self
                .households
                .iter()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .collect(),
            fix_kind,
        };
        let assignment = self
            .assignment
            .as_ref()
            .map(AssignmentBody::assignment)
            .transpose()?;
        Ok((facts, assignment))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedProblem {
    pub(crate) id: i64,
}

/// Records a problem (optionally assigned at once).
#[utoipa::path(
    post,
    path = "/api/v1/problems",
    tag = "rectification",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = ProblemBody,
    responses(
        (status = 201, description = "The problem was recorded", body = CreatedProblem),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role or region may not record it, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn record_problem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Result<Json<ProblemBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedProblem>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ManageRectification)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let (facts, assignment) = body.facts()?;
    let id = rectify::record(&state.app, &caller.principal, facts, assignment, "api")
        .await
        .map_err(failure)?;
    Ok((StatusCode::CREATED, Json(CreatedProblem { id: id.0 })))
}

/// One problem with its steps and evidence.
#[utoipa::path(
    get,
    path = "/api/v1/problems/{id}",
    tag = "rectification",
    params(("id" = i64, Path, description = "The problem id")),
    responses(
        (status = 200, description = "The problem", body = ProblemView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the ledger", body = ErrorEnvelope),
        (status = 404, description = "No such problem in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn find_problem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> Result<Json<ProblemView>, ApiError> {
    caller.require(Action::ReadRectification)?;
    let id = ProblemId(id_param(&raw)?);
    let v = rectify::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    Ok(Json(problem_view(&state, &v)))
}

/// A step on a problem. Which fields count depends on `command`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ProblemActionBody {
    /// `assign`, `report`, `submit`, `sign_off`, `reject_sign_off` or `reopen`.
    pub(crate) command: String,
    /// For `assign`.
    pub(crate) assignment: Option<AssignmentBody>,
    /// The progress of a `report`, the summary of a `submit`, the opinion of a `sign_off`, the
    /// reason of a `reject_sign_off` or a `reopen`.
    #[serde(default)]
    pub(crate) text: String,
}

impl ProblemActionBody {
    pub(crate) fn command(&self) -> Result<Command, ApiError> {
        let text = self.text.trim().to_owned();
        Ok(match self.command.trim() {
            "assign" => Command::Assign(
                self.assignment
                    .as_ref()
                    .ok_or_else(|| ApiError::Invalid("assignment is required".into()))?
                    .assignment()?,
            ),
            "report" => Command::Report(Progress {
                text,
                evidence: vec![],
            }),
            "submit" => Command::Submit { summary: text },
            "sign_off" => Command::SignOff { opinion: text },
            "reject_sign_off" => Command::RejectSignOff { reason: text },
            "reopen" => Command::Reopen { reason: text },
            other => {
                return Err(ApiError::Invalid(format!(
                    "command: {other:?} is not one of assign, report, submit, sign_off, \
                     reject_sign_off, reopen"
                )));
            }
        })
    }
}

/// Takes a step on a problem; the caller's role and region are checked (sign-off, rejection
/// and reopening at the level above the responsible region).
#[utoipa::path(
    post,
    path = "/api/v1/problems/{id}/actions",
    tag = "rectification",
    params(("id" = i64, Path, description = "The problem id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = ProblemActionBody,
    responses(
        (status = 200, description = "The problem after the step", body = ProblemView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role or region may not take the step, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such problem in the caller's scope", body = ErrorEnvelope),
        (status = 409, description = "The problem's state does not allow the step, or someone acted first", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn act_on_problem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Result<Json<ProblemActionBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ProblemView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ReadRectification)?;
    let id = ProblemId(id_param(&raw)?);
    rectify::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let command = body.command()?;
    let v = rectify::act(&state.app, &caller.principal, id, command, vec![], "api")
        .await
        .map_err(failure)?;
    Ok(Json(problem_view(&state, &v)))
}

/// The multipart body of a progress report (documentation only).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct ReportForm {
    /// The progress made.
    text: String,
    /// Evidence files and photos, one part each.
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
}

/// A multipart body read into fields and files.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) files: Vec<(String, Upload)>,
}

impl Parts {
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads every part; files are parts with a file name (empty file inputs are skipped).
pub(crate) async fn read_parts(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Parts, ApiError> {
    let mut multipart = multipart.map_err(|e| ApiError::BadRequest {
        parameter: None,
        detail: format!("the body must be multipart/form-data: {}", e.body_text()),
    })?;
    let bad = |e: axum::extract::multipart::MultipartError| ApiError::BadRequest {
        parameter: None,
        detail: format!("the upload cannot be read: {}", e.body_text()),
    };
    let mut parts = Parts::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let bytes = field.bytes().await.map_err(bad)?.to_vec();
                let file_name = file_name
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or("upload")
                    .to_owned();
                if file_name.is_empty() && bytes.is_empty() {
                    continue;
                }
                parts.files.push((
                    name,
                    Upload {
                        file_name,
                        content_type,
                        bytes,
                    },
                ));
            }
            None => {
                let text = field.text().await.map_err(bad)?;
                parts.fields.push((name, text));
            }
        }
    }
    Ok(parts)
}

/// Reports progress with evidence files and photos (multipart: `text`, then `files` parts).
#[utoipa::path(
    post,
    path = "/api/v1/problems/{id}/reports",
    tag = "rectification",
    params(("id" = i64, Path, description = "The problem id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body(content = ReportForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The problem after the report", body = ProblemView),
        (status = 400, description = "The body is not a readable multipart upload", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role or region may not report, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such problem in the caller's scope", body = ErrorEnvelope),
        (status = 409, description = "The problem is not being rectified", body = ErrorEnvelope),
        (status = 422, description = "The text is empty, or a file is empty or too large", body = ErrorEnvelope),
    )
)]
pub(crate) async fn report_progress(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<ProblemView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ReportRectification)?;
    let id = ProblemId(id_param(&raw)?);
    rectify::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    let parts = read_parts(multipart).await?;
    let text = parts.field("text").unwrap_or("").trim().to_owned();
    let uploads = parts.files.into_iter().map(|(_, u)| u).collect();
    let v = rectify::act(
        &state.app,
        &caller.principal,
        id,
        Command::Report(Progress {
            text,
            evidence: vec![],
        }),
        uploads,
        "api",
    )
    .await
    .map_err(failure)?;
    Ok(Json(problem_view(&state, &v)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub(crate) struct EvidenceParams {
    /// The step (1-based) of the progress report.
    seq: Option<u32>,
    /// The file's place in the report (0-based).
    index: Option<u32>,
}

pub(crate) async fn evidence_response(
    state: &AppState,
    caller: &Caller,
    id: ProblemId,
    seq: Option<u32>,
    index: Option<u32>,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRectification)?;
    rectify::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    let seq = seq.ok_or_else(|| ApiError::parameter("seq", "required".into()))?;
    let index = index.ok_or_else(|| ApiError::parameter("index", "required".into()))?;
    let file = rectify::evidence(&state.app, &caller.principal, id, seq, index)
        .await
        .map_err(failure)?;
    // Only images are shown inline; anything else downloads, so no upload runs as a page.
    let inline = matches!(
        file.meta.content_type.as_str(),
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    );
    let content_type = if inline {
        file.meta.content_type.clone()
    } else {
        "application/octet-stream".to_owned()
    };
    let name: String = file
        .meta
        .file_name
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        percent(&name)
    );
    Ok((
        [
            (CONTENT_TYPE, content_type),
            (CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
        ],
        file.bytes,
    )
        .into_response())
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One evidence file of a progress report.
#[utoipa::path(
    get,
    path = "/api/v1/problems/{id}/evidence",
    tag = "rectification",
    params(("id" = i64, Path, description = "The problem id"), EvidenceParams),
    responses(
        (status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 400, description = "seq or index is missing", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the ledger", body = ErrorEnvelope),
        (status = 404, description = "No such problem in the caller's scope, or no such file", body = ErrorEnvelope),
    )
)]
pub(crate) async fn evidence(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    params: Result<Query<EvidenceParams>, ApiError>,
) -> Response {
    let result = async {
        caller.require(Action::ReadRectification)?;
        let id = ProblemId(id_param(&raw)?);
        let Query(params) = params?;
        evidence_response(&state, &caller, id, params.seq, params.index).await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ImportIssueView {
    pub(crate) row: u64,
    pub(crate) column: String,
    pub(crate) field: String,
    pub(crate) rule: String,
    pub(crate) message_zh: String,
    pub(crate) message_en: String,
    pub(crate) value: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProblemImportView {
    pub(crate) file: String,
    pub(crate) rows: u64,
    /// The ids of the recorded problems (none when any row has an issue, or on a dry run).
    pub(crate) recorded: Vec<i64>,
    pub(crate) issues: Vec<ImportIssueView>,
}

pub(crate) fn import_view(file: &str, o: &ImportOutcome) -> ProblemImportView {
    ProblemImportView {
        file: file.to_owned(),
        rows: o.rows,
        recorded: o.recorded.iter().map(|p| p.0).collect(),
        issues: o
            .issues
            .iter()
            .map(|i| ImportIssueView {
                row: i.row,
                column: i.column.clone(),
                field: i.field.to_owned(),
                rule: i.rule.to_owned(),
                message_zh: i.message_zh.clone(),
                message_en: i.message_en.clone(),
                value: i.value.clone(),
            })
            .collect(),
    }
}

/// The multipart body of a problem-list import (documentation only).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct ProblemImportForm {
    /// `true` to check only.
    dry_run: Option<String>,
    /// The .xlsx or .csv problem list (问题清单).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Runs an import of uploaded parts for the caller.
pub(crate) async fn run_import(
    state: &AppState,
    caller: &Caller,
    parts: Parts,
) -> Result<(String, ImportOutcome), ApiError> {
    let dry_run = matches!(parts.field("dry_run"), Some("true" | "1" | "on"));
    let Some((_, upload)) = parts.files.into_iter().find(|(n, _)| n == "file") else {
        return Err(ApiError::parameter("file", "no file was uploaded".into()));
    };
    let kind = FileKind::from_name(&upload.file_name).ok_or_else(|| {
        ApiError::Invalid(format!(
            "{}: only .xlsx and .csv are read",
            upload.file_name
        ))
    })?;
    let mut table = Table::from_bytes(&upload.file_name, kind, upload.bytes)
        .map_err(|e| ApiError::Invalid(format!("{} · {e}", e.message_zh())))?;
    let outcome = import(&state.app, &caller.principal, &mut table, dry_run, "api")
        .await
        .map_err(failure)?;
    Ok((upload.file_name, outcome))
}

/// Imports a problem list: all or nothing; every issue names its row, column and field.
#[utoipa::path(
    post,
    path = "/api/v1/problems/import",
    tag = "rectification",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body(content = ProblemImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The outcome: recorded ids, or the issues that stopped it", body = ProblemImportView),
        (status = 400, description = "The body is not a readable multipart upload, or has no file", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not import problems, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 422, description = "The file cannot be read as a table or lacks required columns", body = ErrorEnvelope),
    )
)]
pub(crate) async fn import_problems(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<ProblemImportView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ManageRectification)?;
    let parts = read_parts(multipart).await?;
    let (file, outcome) = run_import(&state, &caller, parts).await?;
    Ok(Json(import_view(&file, &outcome)))
}

// ---------------------------------------------------------------------------------------------
// Bulletin.

#[derive(Debug, Default, Deserialize, IntoParams)]
pub(crate) struct BulletinParams {
    /// The region whose sub-regions are ranked (default: the caller's).
    pub(crate) region: Option<String>,
    /// `YYYY-MM` (default: this month).
    pub(crate) month: Option<String>,
    /// `json` (default), `xlsx`, `csv` or `pdf`.
    pub(crate) format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CountsView {
    pub(crate) households: u64,
    pub(crate) quality_households: u64,
    pub(crate) quality_findings: u64,
    pub(crate) open_identifications: u64,
    pub(crate) overdue_identifications: u64,
    pub(crate) open_warnings: u64,
    pub(crate) unhandled_warnings: u64,
    pub(crate) identified: u64,
    pub(crate) eliminated: u64,
    pub(crate) problems: u64,
    pub(crate) problems_closed: u64,
    pub(crate) problems_overdue: u64,
    pub(crate) task_targets: u64,
    pub(crate) task_targets_done: u64,
    /// Per thousand: eliminated of identified; closed of problems; quality households of households.
    pub(crate) elimination_permille: Option<u64>,
    pub(crate) rectification_permille: Option<u64>,
    pub(crate) quality_permille: Option<u64>,
}

fn counts_view(c: &bulletin::Counts) -> CountsView {
    CountsView {
        households: c.households,
        quality_households: c.quality_households,
        quality_findings: c.quality_findings,
        open_identifications: c.open_identifications,
        overdue_identifications: c.overdue_identifications,
        open_warnings: c.open_warnings,
        unhandled_warnings: c.unhandled_warnings,
        identified: c.identified,
        eliminated: c.eliminated,
        problems: c.problems,
        problems_closed: c.problems_closed,
        problems_overdue: c.problems_overdue,
        task_targets: c.task_targets,
        task_targets_done: c.task_targets_done,
        elimination_permille: c.elimination_permille(),
        rectification_permille: c.rectification_permille(),
        quality_permille: c.quality_permille(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BulletinRowView {
    pub(crate) region: String,
    pub(crate) name: String,
    /// The row of records filed at the bulletin's region itself (本级); not ranked.
    pub(crate) own_level: bool,
    /// Overall rank (1 is best; 0 for the own level).
    pub(crate) rank: u32,
    /// Rank per indicator, in the order of `indicators`.
    pub(crate) ranks: Vec<u32>,
    pub(crate) counts: CountsView,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BulletinView {
    pub(crate) region: String,
    pub(crate) name: String,
    pub(crate) month: String,
    pub(crate) as_of: String,
    /// The ranked indicators: `overdue_identifications`, `unhandled_warnings`,
    /// `elimination_rate`, `rectification_progress`, `quality_rate`.
    pub(crate) indicators: Vec<&'static str>,
    pub(crate) rows: Vec<BulletinRowView>,
    pub(crate) total: CountsView,
}

pub(crate) fn bulletin_view(b: &Bulletin) -> BulletinView {
    BulletinView {
        region: b.region.code.to_string(),
        name: b.region.name.clone(),
        month: b.month.clone(),
        as_of: b.as_of.to_string(),
        indicators: INDICATORS.iter().map(|(c, _, _)| *c).collect(),
        rows: b
            .rows
            .iter()
            .map(|r| BulletinRowView {
                region: r.region.to_string(),
                name: r.name.clone(),
                own_level: r.own_level,
                rank: r.rank,
                ranks: r.ranks.to_vec(),
                counts: counts_view(&r.counts),
            })
            .collect(),
        total: counts_view(&b.total),
    }
}

/// Computes the bulletin a caller asks for.
pub(crate) async fn compute_bulletin(
    state: &AppState,
    caller: &Caller,
    region: Option<&str>,
    month: Option<&str>,
) -> Result<Bulletin, ApiError> {
    caller.require(Action::ReadRectification)?;
    let region = match region.map(str::trim) {
        Some(r) if !r.is_empty() => region_param("region", r)?,
        _ => caller
            .principal
            .region
            .ok_or_else(|| ApiError::parameter("region", "required".into()))?,
    };
    let month = match month.map(str::trim) {
        Some(m) if !m.is_empty() => m.to_owned(),
        _ => bulletin::month_of(state.app.clock.today()),
    };
    if bulletin::month_end(&month).is_none() {
        return Err(ApiError::parameter(
            "month",
            format!("YYYY-MM, found {month:?}"),
        ));
    }
    bulletin::bulletin(&state.app, &caller.principal, region, &month)
        .await
        .map_err(failure)
}

pub(crate) fn sheet_response(sheet: &Sheet, format: Format, name: &str) -> Response {
    match sheet.write(format) {
        Ok(bytes) => (
            [
                (CONTENT_TYPE, format.content_type().to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.{}\"", format.extension()),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => ApiError::Internal(anyhow::anyhow!(e.to_string())).into_response(),
    }
}

/// The monthly bulletin (通报) of a region: its sub-regions ranked on five indicators.
#[utoipa::path(
    get,
    path = "/api/v1/bulletin",
    tag = "rectification",
    params(BulletinParams),
    responses(
        (status = 200, description = "The bulletin (JSON, or .xlsx/.csv/.pdf with `format`)", body = BulletinView),
        (status = 400, description = "A parameter is wrong", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read bulletins", body = ErrorEnvelope),
        (status = 404, description = "No such region in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "The region has no sub-regions", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_bulletin(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    params: Result<Query<BulletinParams>, ApiError>,
) -> Response {
    let result = async {
        caller.require(Action::ReadRectification)?;
        let Query(params) = params?;
        let wanted = params.format.as_deref().map(str::trim).unwrap_or("");
        let pdf = wanted == "pdf";
        let format = match wanted {
            "" | "json" | "pdf" => None,
            f => Some(Format::parse(f).ok_or_else(|| {
                ApiError::parameter("format", format!("json, xlsx, csv or pdf, found {f:?}"))
            })?),
        };
        let b = compute_bulletin(
            &state,
            &caller,
            params.region.as_deref(),
            params.month.as_deref(),
        )
        .await?;
        let name = format!("bulletin-{}-{}", b.region.code.prefix(), b.month);
        if pdf {
            let bytes = uplift_pdf::render(&bulletin::document(&b))
                .map_err(|e| ApiError::Internal(anyhow::anyhow!(e.to_string())))?;
            return Ok((
                [
                    (CONTENT_TYPE, "application/pdf".to_owned()),
                    (
                        CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.pdf\""),
                    ),
                ],
                bytes,
            )
                .into_response());
        }
        Ok::<_, ApiError>(match format {
            None => Json(bulletin_view(&b)).into_response(),
            Some(f) => sheet_response(&bulletin::sheet(&b), f, &name),
        })
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

// ---------------------------------------------------------------------------------------------
// Tasks and responsibility.

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RollupView {
    pub(crate) region: String,
    pub(crate) done: u64,
    pub(crate) total: u64,
    pub(crate) overdue: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TaskLevelView {
    /// `province`, `city`, `county`, `township` or `village`.
    pub(crate) level: &'static str,
    pub(crate) regions: Vec<RollupView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TaskTargetView {
    pub(crate) region: String,
    pub(crate) completed_on: Option<String>,
    pub(crate) note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TaskView {
    pub(crate) id: i64,
    pub(crate) region: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) target_level: &'static str,
    pub(crate) deadline: String,
    pub(crate) assigned_by: String,
    pub(crate) assigned_on: String,
    /// Completion rolled up at each level from the task's region to its targets.
    pub(crate) levels: Vec<TaskLevelView>,
    pub(crate) targets: Vec<TaskTargetView>,
}

pub(crate) fn task_view(t: &AppTaskView, within: Option<&RegionCode>) -> TaskView {
    let r = &t.record;
    TaskView {
        id: r.id.0,
        region: r.task.region.to_string(),
        title: r.task.title.clone(),
        description: r.task.description.clone(),
        target_level: r.task.target_level.as_str(),
        deadline: r.task.deadline.to_string(),
        assigned_by: r.stamp.actor.clone(),
        assigned_on: r.stamp.valid_from.to_string(),
        levels: t
            .levels
            .iter()
            .map(|(l, rs)| TaskLevelView {
                level: l.as_str(),
                regions: rs
                    .iter()
                    .map(|x| RollupView {
                        region: x.region.to_string(),
                        done: x.done,
                        total: x.total,
                        overdue: x.overdue,
                    })
                    .collect(),
            })
            .collect(),
        targets: r
            .targets
            .iter()
            .filter(|x| within.is_none_or(|w| w.contains(&x.region) || x.region.contains(w)))
            .map(|x| TaskTargetView {
                region: x.region.to_string(),
                completed_on: x.completed_on.map(|d| d.to_string()),
                note: x.note.clone(),
            })
            .collect(),
    }
}

/// Tasks the caller sees: its region's, and those assigned down to it, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/tasks",
    tag = "rectification",
    responses(
        (status = 200, description = "The tasks with completion rolled up", body = [TaskView]),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read tasks", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_tasks(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<TaskView>>, ApiError> {
    caller.require(Action::ReadRectification)?;
    let tasks = responsibility::tasks(&state.app, &caller.principal)
        .await
        .map_err(failure)?;
    let within = caller.principal.region;
    Ok(Json(
        tasks
            .iter()
            .map(|t| task_view(t, within.as_ref()))
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct TaskBody {
    /// The assigning region (default: the caller's).
    pub(crate) region: Option<String>,
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) description: String,
    /// `city`, `county`, `township` or `village`: every region of this level under `region`.
    pub(crate) target_level: String,
    /// YYYY-MM-DD.
    pub(crate) deadline: String,
}

impl TaskBody {
    pub(crate) fn task(&self, caller: &Caller) -> Result<NewTask, ApiError> {
        let region = match self.region.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => {
                RegionCode::parse(r).map_err(|e| ApiError::Invalid(format!("region: {e}")))?
            }
            _ => caller
                .principal
                .region
                .ok_or_else(|| ApiError::Invalid("region is required".into()))?,
        };
        let target_level = RegionLevel::parse(self.target_level.trim()).ok_or_else(|| {
            ApiError::Invalid(format!(
                "target_level: city, county, township or village, found {:?}",
                self.target_level
            ))
        })?;
        Ok(NewTask {
            region,
            title: self.title.trim().to_owned(),
            description: self.description.trim().to_owned(),
            target_level,
            deadline: date_field("deadline", &self.deadline)?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedTask {
    pub(crate) id: i64,
}

/// Assigns a task down the tree to every region of a level.
#[utoipa::path(
    post,
    path = "/api/v1/tasks",
    tag = "rectification",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = TaskBody,
    responses(
        (status = 201, description = "The task was assigned", body = CreatedTask),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role or region may not assign it, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn assign_task(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Result<Json<TaskBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedTask>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ManageResponsibility)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let task = body.task(&caller)?;
    let id = responsibility::assign_task(&state.app, &caller.principal, task, "api")
        .await
        .map_err(failure)?;
    Ok((StatusCode::CREATED, Json(CreatedTask { id: id.0 })))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct CompletionBody {
    /// The target region completing the task.
    pub(crate) region: String,
    /// YYYY-MM-DD; absent or empty withdraws an earlier completion.
    pub(crate) completed_on: Option<String>,
    #[serde(default)]
    pub(crate) note: String,
}

/// Records a target region's completion of a task (or withdraws it).
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{id}/completions",
    tag = "rectification",
    params(("id" = i64, Path, description = "The task id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = CompletionBody,
    responses(
        (status = 204, description = "Recorded"),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role or region may not complete it, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such task or target in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn complete_task(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Result<Json<CompletionBody>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ReportRectification)?;
    let id = TaskId(id_param(&raw)?);
    responsibility::task(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let region = RegionCode::parse(body.region.trim())
        .map_err(|e| ApiError::Invalid(format!("region: {e}")))?;
    let completed_on = match body.completed_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => Some(date_field("completed_on", d)?),
    };
    responsibility::complete_task(
        &state.app,
        &caller.principal,
        id,
        &region,
        completed_on,
        body.note.trim(),
        "api",
    )
    .await
    .map_err(failure)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResponsibilityView {
    pub(crate) region: String,
    pub(crate) name: String,
    pub(crate) level: &'static str,
    pub(crate) secretary: Option<String>,
    pub(crate) units: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TreeView {
    pub(crate) node: ResponsibilityView,
    pub(crate) children: Vec<ResponsibilityView>,
}

fn node_view(n: &responsibility::TreeNode) -> ResponsibilityView {
    ResponsibilityView {
        region: n.region.code.to_string(),
        name: n.region.name.clone(),
        level: n.region.level().as_str(),
        secretary: n.responsibility.as_ref().map(|r| r.secretary.clone()),
        units: n
            .responsibility
            .as_ref()
            .map(|r| r.units.clone())
            .unwrap_or_default(),
    }
}

pub(crate) async fn tree_for(
    state: &AppState,
    caller: &Caller,
    region: Option<&str>,
) -> Result<TreeView, ApiError> {
    caller.require(Action::ReadRectification)?;
    let region = match region.map(str::trim) {
        Some(r) if !r.is_empty() => Some(region_param("region", r)?),
        _ => None,
    };
    let (node, children) = responsibility::tree(&state.app, &caller.principal, region)
        .await
        .map_err(failure)?;
    Ok(TreeView {
        node: node_view(&node),
        children: children.iter().map(node_view).collect(),
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub(crate) struct TreeParams {
    /// The region (default: the caller's).
    region: Option<String>,
}

/// A region's secretary and units, and its sub-regions' (五级书记).
#[utoipa::path(
    get,
    path = "/api/v1/responsibility",
    tag = "rectification",
    params(TreeParams),
    responses(
        (status = 200, description = "The region and its sub-regions", body = TreeView),
        (status = 400, description = "A parameter is wrong", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the tree", body = ErrorEnvelope),
        (status = 404, description = "No such region in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_responsibility(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    params: Result<Query<TreeParams>, ApiError>,
) -> Result<Json<TreeView>, ApiError> {
    caller.require(Action::ReadRectification)?;
    let Query(params) = params?;
    Ok(Json(
        tree_for(&state, &caller, params.region.as_deref()).await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ResponsibilityBody {
    pub(crate) region: String,
    pub(crate) secretary: String,
    #[serde(default)]
    pub(crate) units: Vec<String>,
}

/// Names a region's responsible secretary and work units (a new version).
#[utoipa::path(
    post,
    path = "/api/v1/responsibility",
    tag = "rectification",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = ResponsibilityBody,
    responses(
        (status = 204, description = "Recorded"),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role or region may not name them, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such region", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn set_responsibility(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Result<Json<ResponsibilityBody>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ManageResponsibility)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let region = RegionCode::parse(body.region.trim())
        .map_err(|e| ApiError::Invalid(format!("region: {e}")))?;
    responsibility::set_responsibility(
        &state.app,
        &caller.principal,
        Responsibility {
            region,
            secretary: body.secretary.trim().to_owned(),
            units: body
                .units
                .iter()
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty())
                .collect(),
        },
        "api",
    )
    .await
    .map_err(failure)?;
    Ok(StatusCode::NO_CONTENT)
}
