//! Early warning (issue 5): `GET /api/v1/warnings…` (the inbox and one warning's explanation),
//! `POST /api/v1/screening-runs`, and the department feeds `GET|POST /api/v1/feeds`.
//!
//! Warnings are registry reads (`ReadRegistry`, scoped in the store's query). Running a screening
//! is a county task (`ImportRegistry`). Feeds: a department clerk uploads and sees only their own
//! department's feeds of their region; county staff upload any kind.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uplift_app::App;
use uplift_app::feeds::FeedKind;
use uplift_app::feeds::screening::{
    FeedUseCaseError, ImportOutcome, ScreenMode, Uploader, import_parsed, overdue, risk_name,
    run_screening,
};
use uplift_app::feeds::store::{FeedBatch, FeedScope, WarningFilter, WarningRecord};
use uplift_app::store::Scope;
use uplift_domain::access::Action;
use uplift_domain::household::Codebook;
use uplift_domain::region::RegionCode;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Query;

pub(crate) fn feed_error(err: FeedUseCaseError) -> ApiError {
    match err {
        FeedUseCaseError::Feed(e) => ApiError::Invalid(e.to_string()),
        FeedUseCaseError::Store(e) => e.into(),
        e @ FeedUseCaseError::NoPolicy(..) => ApiError::Invalid(e.to_string()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct WarningParams {
    /// A region code (2, 4, 6, 9 or 12 digits): only warnings of villages inside it.
    #[param(pattern = r"^$|^[0-9]{2}(?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3}(?:[0-9]{3})?)?)?)?$")]
    pub(crate) region: Option<String>,
    /// A rule code (`MEDICAL_PER_STAY`…).
    #[param(pattern = r"^$|^[A-Z0-9_]{1,40}$")]
    pub(crate) rule: Option<String>,
    /// A risk type code of the codebook (`01`…).
    #[param(pattern = r"^$|^[0-9]{2,4}$")]
    pub(crate) risk: Option<String>,
    /// `open` or `withdrawn`.
    #[param(pattern = r"^(|open|withdrawn)$")]
    pub(crate) state: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<String>, pattern = r"^$|^[1-9][0-9]{0,5}$")]
    pub(crate) page: Option<String>,
    /// Rows per page, 1–500; default 50.
    #[param(value_type = Option<String>, pattern = r"^$|^([1-9][0-9]?|[1-4][0-9]{2}|500)$")]
    pub(crate) per_page: Option<String>,
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl WarningParams {
    pub(crate) fn filter(&self, scope: Scope) -> Result<WarningFilter, ApiError> {
        let region = present(&self.region)
            .map(|s| {
                RegionCode::parse(s)
                    .map_err(|e| ApiError::parameter("region", format!("region: {e}")))
            })
            .transpose()?;
        let rule = present(&self.rule)
            .map(|s| {
                uplift_app::feeds::RuleCode::parse(s)
                    .map(|r| r.as_str().to_owned())
                    .ok_or_else(|| ApiError::parameter("rule", format!("rule: unknown {s:?}")))
            })
            .transpose()?;
        let risk = present(&self.risk)
            .map(|s| {
                if (2..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(s.to_owned())
                } else {
                    Err(ApiError::parameter(
                        "risk",
                        format!("risk: {s:?} is not a risk type code"),
                    ))
                }
            })
            .transpose()?;
        let state = present(&self.state)
            .map(|s| match s {
                "open" | "withdrawn" => Ok(s.to_owned()),
                _ => Err(ApiError::parameter(
                    "state",
                    format!("state: {s:?} is not open or withdrawn"),
                )),
            })
            .transpose()?;
        Ok(WarningFilter {
            scope,
            region,
            rule,
            risk,
            state,
        })
    }

    pub(crate) fn page(&self) -> Result<uplift_app::store::Page, ApiError> {
        crate::pov::ListParams {
            region: None,
            household_type: None,
            q: None,
            band: None,
            page: self.page.clone(),
            per_page: self.per_page.clone(),
        }
        .page()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WarningListView {
    pub(crate) items: Vec<WarningSummaryView>,
    /// Warnings matching the filters, over all pages.
    pub(crate) total: u64,
    pub(crate) page: u32,
    pub(crate) per_page: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WarningSummaryView {
    pub(crate) id: i64,
    pub(crate) household_id: i64,
    pub(crate) household_no: String,
    pub(crate) village_code: String,
    /// The codebook risk type the warning maps to.
    pub(crate) risk_type: RiskView,
    /// The rule codes that raised it.
    pub(crate) rules: Vec<String>,
    /// `open` or `withdrawn`.
    pub(crate) state: String,
    /// The verification task's due date (the policy's time limit).
    #[schema(format = Date)]
    pub(crate) due: String,
    /// Open and past its due date.
    pub(crate) overdue: bool,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RiskView {
    pub(crate) code: String,
    pub(crate) zh: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RuleView {
    pub(crate) code: String,
    pub(crate) zh: String,
    pub(crate) en: String,
}

/// One warning with its explanation: the rules with their thresholds, the evidence rows (feed,
/// batch, row), the household's figures and counter-evidence, as recorded by the run.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WarningView {
    #[serde(flatten)]
    pub(crate) summary: WarningSummaryView,
    pub(crate) rule_details: Vec<RuleView>,
    /// The explanation, one line per item (zh / en).
    pub(crate) explanation: Vec<String>,
    pub(crate) run_id: i64,
}

pub(crate) fn summary(app: &App, w: &WarningRecord) -> WarningSummaryView {
    let today = app.clock.today();
    WarningSummaryView {
        id: w.id,
        household_id: w.warning.household_id,
        household_no: w.warning.household_no.clone(),
        village_code: w.warning.village.clone(),
        risk_type: RiskView {
            code: w.warning.risk_type.clone(),
            zh: risk_name(app, w, today),
        },
        rules: w.warning.rules.split(',').map(str::to_owned).collect(),
        state: w.state.clone(),
        due: w.warning.due.to_string(),
        overdue: overdue(w, today),
        created_at: w.created_at.clone(),
        updated_at: w.updated_at.clone(),
    }
}

pub(crate) fn rule_details(app: &App, w: &WarningRecord) -> Vec<RuleView> {
    let pack = RegionCode::parse(&w.warning.village)
        .ok()
        .and_then(|r| app.policy.in_force(&r, app.clock.today()));
    w.warning
        .rules
        .split(',')
        .map(|code| {
            let def = pack.and_then(|p| p.rules.iter().find(|r| r.code == code));
            RuleView {
                code: code.to_owned(),
                zh: def.map(|d| d.zh.clone()).unwrap_or_default(),
                en: def.map(|d| d.en.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

/// The warnings inside the caller's scope, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/warnings",
    tag = "warnings",
    params(WarningParams),
    responses(
        (status = 200, description = "Warnings, newest first", body = WarningListView),
        (status = 400, description = "A malformed filter", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_warnings(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<WarningParams>,
) -> Result<Json<WarningListView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let filter = params.filter(caller.scope())?;
    let page = params.page()?;
    let app = &state.app;
    let listed = app.store.warnings(&filter, page).await?;
    Ok(Json(WarningListView {
        items: listed.items.iter().map(|w| summary(app, w)).collect(),
        total: listed.total,
        page: listed.page.number,
        per_page: listed.page.size,
    }))
}

/// One warning inside the caller's scope, with its explanation.
#[utoipa::path(
    get,
    path = "/api/v1/warnings/{id}",
    tag = "warnings",
    params(("id" = i64, Path, description = "The warning's id")),
    responses(
        (status = 200, description = "The warning and its explanation", body = WarningView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "No such warning in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn find_warning(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> Result<Json<WarningView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let w = load_warning(&state.app, &caller, &raw).await?;
    Ok(Json(warning_view(&state.app, &w)))
}

pub(crate) async fn load_warning(
    app: &App,
    caller: &Caller,
    raw: &str,
) -> Result<WarningRecord, ApiError> {
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("warning {raw:?}")))?;
    app.store
        .warning(id, &caller.scope())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("warning {id}")))
}

pub(crate) fn warning_view(app: &App, w: &WarningRecord) -> WarningView {
    WarningView {
        summary: summary(app, w),
        rule_details: rule_details(app, w),
        explanation: w
            .warning
            .explanation
            .lines()
            .map(|l| l.trim_end().to_owned())
            .filter(|l| !l.is_empty())
            .collect(),
        run_id: w.run_id,
    }
}

/// What to screen: `as_of` defaults to today (China Standard Time); without `batches`, every
/// household against every feed (batch mode), else only the households those batches name.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ScreeningRequest {
    #[schema(format = Date)]
    pub(crate) as_of: Option<String>,
    pub(crate) batches: Option<Vec<i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScreeningRunView {
    /// The run had been done before (same batches, policy and date): nothing was written.
    pub(crate) already: bool,
    pub(crate) key: String,
    #[schema(format = Date)]
    pub(crate) as_of: String,
    pub(crate) mode: String,
    pub(crate) duration_ms: i64,
    /// `RULE=count` per rule.
    pub(crate) summary: String,
    pub(crate) inputs: String,
    pub(crate) warnings_new: i64,
    pub(crate) warnings_updated: i64,
    pub(crate) warnings_withdrawn: i64,
}

/// Runs a screening (county officer or admin).
#[utoipa::path(
    post,
    path = "/api/v1/screening-runs",
    tag = "warnings",
    request_body(content = Option<ScreeningRequest>, description = "Optional; an empty body screens everything as of today"),
    responses(
        (status = 200, description = "The run's summary", body = ScreeningRunView),
        (status = 400, description = "A malformed body", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not run a screening, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 422, description = "No policy pack in force for a household's region", body = ErrorEnvelope),
    )
)]
pub(crate) async fn run_screening_api(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Json<ScreeningRunView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ImportRegistry)?;
    let req: ScreeningRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ScreeningRequest::default()
    } else {
        let bad = |detail: String| ApiError::BadRequest {
            parameter: None,
            detail: format!("the body is not a screening request: {detail}"),
        };
        // Only an object: serde would also read a struct from an array.
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| bad(e.to_string()))?;
        if !value.is_object() {
            return Err(bad("a JSON object is expected".to_owned()));
        }
        serde_json::from_value(value).map_err(|e| bad(e.to_string()))?
    };
    let app = &state.app;
    let as_of = match req.as_of.as_deref() {
        None => app.clock.today(),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ApiError::parameter("as_of", format!("as_of: {s:?} is not a date")))?,
    };
    let mode = match req.batches {
        None => ScreenMode::Batch,
        Some(b) if b.is_empty() => ScreenMode::Batch,
        Some(b) => ScreenMode::Incremental(b),
    };
    let out = run_screening(app, as_of, mode).await.map_err(feed_error)?;
    let r = out.run;
    Ok(Json(ScreeningRunView {
        already: out.already,
        key: r.key,
        as_of: r.as_of.to_string(),
        mode: r.mode,
        duration_ms: r.duration_ms,
        summary: r.summary,
        inputs: r.inputs,
        warnings_new: r.warnings_new,
        warnings_updated: r.warnings_updated,
        warnings_withdrawn: r.warnings_withdrawn,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedBatchView {
    pub(crate) id: i64,
    /// The feed (`medical`, `civil_affairs`…).
    pub(crate) kind: String,
    pub(crate) kind_zh: String,
    pub(crate) source: String,
    #[schema(format = Date)]
    pub(crate) period_from: Option<String>,
    #[schema(format = Date)]
    pub(crate) period_to: Option<String>,
    pub(crate) imported_at: String,
    pub(crate) rows: u64,
    pub(crate) matched: u64,
    pub(crate) unmatched: u64,
    pub(crate) department: Option<String>,
    pub(crate) region_code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedListView {
    pub(crate) items: Vec<FeedBatchView>,
}

pub(crate) fn batch_view(b: &FeedBatch) -> FeedBatchView {
    FeedBatchView {
        id: b.id,
        kind: b.batch.kind.clone(),
        kind_zh: FeedKind::parse(&b.batch.kind)
            .map(|k| k.zh().to_owned())
            .unwrap_or_default(),
        source: b.batch.source.clone(),
        period_from: b.batch.period_from.map(|d| d.to_string()),
        period_to: b.batch.period_to.map(|d| d.to_string()),
        imported_at: b.batch.imported_at.clone(),
        rows: b.batch.rows,
        matched: b.batch.matched,
        unmatched: b.batch.unmatched,
        department: b.batch.department.clone(),
        region_code: b.batch.region.map(|r| r.as_str().to_owned()),
    }
}

/// The batches a caller may see: a clerk only their department's of their region.
pub(crate) fn feed_scope(caller: &Caller) -> FeedScope {
    let p = &caller.principal;
    FeedScope {
        region: p.region,
        department: p.department.map(|d| d.code().to_owned()),
    }
}

/// The feed batches the caller may see, with matched and unmatched counts.
#[utoipa::path(
    get,
    path = "/api/v1/feeds",
    tag = "feeds",
    responses(
        (status = 200, description = "Feed batches, oldest first", body = FeedListView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read feed summaries", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_feeds(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<FeedListView>, ApiError> {
    caller.require(Action::ReadFeedSummary)?;
    let batches = state.app.store.feed_batches(&feed_scope(&caller)).await?;
    Ok(Json(FeedListView {
        items: batches.iter().map(batch_view).collect(),
    }))
}

/// Checks that the caller may upload a feed of `kind`: county staff any kind, a department clerk
/// only their own department's.
pub(crate) fn may_upload(caller: &Caller, kind: FeedKind) -> Result<(), ApiError> {
    if caller.principal.may(Action::ImportRegistry) {
        return Ok(());
    }
    caller.require(Action::UploadFeed)?;
    match caller.principal.department {
        Some(d) if d.code() == kind.key() => Ok(()),
        _ => Err(ApiError::Forbidden(format!(
            "a clerk uploads only their own department's feed, not {}",
            kind.key()
        ))),
    }
}

/// An upload: the feed kind and the file, read from a multipart form (`csrf` may be a field).
pub(crate) struct Upload {
    pub(crate) kind: Option<String>,
    pub(crate) file_name: Option<String>,
    pub(crate) bytes: Option<Vec<u8>>,
    pub(crate) csrf: Option<String>,
}

/// The largest feed file accepted through the web (bigger ones go through `uplift feeds import`).
pub(crate) const MAX_UPLOAD: usize = 64 * 1024 * 1024;

pub(crate) async fn read_upload(mut form: Multipart) -> Result<Upload, ApiError> {
    let bad = |detail: String| ApiError::BadRequest {
        parameter: None,
        detail,
    };
    let mut up = Upload {
        kind: None,
        file_name: None,
        bytes: None,
        csrf: None,
    };
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("the form cannot be read: {e}")))?
    {
        match field.name().unwrap_or("") {
            "kind" => up.kind = Some(field.text().await.map_err(|e| bad(e.to_string()))?),
            "csrf" => up.csrf = Some(field.text().await.map_err(|e| bad(e.to_string()))?),
            "file" => {
                up.file_name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|e| bad(e.to_string()))?;
                if bytes.len() > MAX_UPLOAD {
                    return Err(bad("the file is larger than 64 MiB".into()));
                }
                up.bytes = Some(bytes.to_vec());
            }
            _ => {}
        }
    }
    Ok(up)
}

/// Parses and imports an upload for the caller (after the CSRF check).
pub(crate) async fn import_upload(
    app: &App,
    caller: &Caller,
    up: Upload,
) -> Result<ImportOutcome, ApiError> {
    let kind_text = up
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::parameter("kind", "kind: the feed kind is missing".into()))?;
    let kind = FeedKind::parse(kind_text)
        .ok_or_else(|| ApiError::parameter("kind", format!("kind: unknown feed {kind_text:?}")))?;
    may_upload(caller, kind)?;
    let bytes = up
        .bytes
        .ok_or_else(|| ApiError::parameter("file", "file: no file was sent".into()))?;
    let name = up.file_name.unwrap_or_else(|| "upload.csv".into());
    let parsed = uplift_app::feeds::parse_feed(kind, &name, bytes)
        .map_err(|e| feed_error(FeedUseCaseError::Feed(e)))?;
    let p = &caller.principal;
    let uploader = Uploader {
        name: p.name.clone(),
        region: p.region,
        department: p.department.map(|d| d.code().to_owned()),
    };
    import_parsed(app, parsed, &uploader)
        .await
        .map_err(feed_error)
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedImportView {
    pub(crate) batch: FeedBatchView,
    /// The same file had been imported before: nothing was written.
    pub(crate) already: bool,
    /// Rows that name nobody in the registry: the row number and the identifying cell.
    pub(crate) unmatched: Vec<UnmatchedView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UnmatchedView {
    pub(crate) row: u64,
    pub(crate) target: String,
}

/// Uploads a department feed (multipart: `kind` and `file`, .csv or .xlsx).
#[utoipa::path(
    post,
    path = "/api/v1/feeds",
    tag = "feeds",
    request_body(content_type = "multipart/form-data", description = "`kind` (medical, civil_affairs…) and `file`"),
    responses(
        (status = 200, description = "The batch with its matched and unmatched rows", body = FeedImportView),
        (status = 400, description = "A malformed form or unknown kind", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "Not the caller's department, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 422, description = "The file has errors (each named by row, column and field); nothing was imported", body = ErrorEnvelope),
    )
)]
pub(crate) async fn upload_feed(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: axum::http::HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<FeedImportView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    if !caller.principal.may(Action::ImportRegistry) {
        caller.require(Action::UploadFeed)?;
    }
    let form = form.map_err(|e| ApiError::BadRequest {
        parameter: Some("file".to_owned()),
        detail: format!(
            "a multipart/form-data body with kind and file is needed: {}",
            e.body_text()
        ),
    })?;
    let up = read_upload(form).await?;
    let out = import_upload(&state.app, &caller, up).await?;
    Ok(Json(import_view(&out)))
}

pub(crate) fn import_view(out: &ImportOutcome) -> FeedImportView {
    FeedImportView {
        batch: batch_view(&out.batch),
        already: out.already,
        unmatched: out
            .unmatched
            .iter()
            .map(|(row, target)| UnmatchedView {
                row: *row,
                target: target.clone(),
            })
            .collect(),
    }
}
