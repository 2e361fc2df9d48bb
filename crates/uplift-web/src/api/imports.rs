//! Exports of the household list (`GET /api/v1/households/export`) and the summaries of import
//! batches (`GET /api/v1/imports/{id}`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uplift_app::imports::export::{ExportFailure, ExportKind, ExportRequest, HeaderLang};
use uplift_app::imports::sheet::Format;
use uplift_app::imports::store::ImportBatchId;
use uplift_domain::access::Action;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Query;
use crate::pov::{ListParams, PointOfViewParams};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportParams {
    /// `csv` (default) or `xlsx`.
    #[param(pattern = r"^(|csv|xlsx)$")]
    pub(crate) format: Option<String>,
    /// `zh` (default) or `en` headers and values.
    #[param(pattern = r"^(|zh|en)$")]
    pub(crate) headers: Option<String>,
}

impl From<ExportFailure> for ApiError {
    fn from(err: ExportFailure) -> ApiError {
        match err {
            ExportFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
            ExportFailure::Store(e) => e.into(),
        }
    }
}

/// The filtered household list as the registry file of formats.md §1 (.csv or .xlsx), scoped to
/// the caller and masked per role (a masked export says so in its ID column and cannot be
/// imported).
#[utoipa::path(
    get,
    path = "/api/v1/households/export",
    tag = "households",
    params(ExportParams, ListParams, PointOfViewParams),
    responses(
        (status = 200, description = "The file", content(
            ("text/csv; charset=utf-8"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        (status = 400, description = "A malformed query parameter", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 422, description = "No policy pack is in force for an income band filter", body = ErrorEnvelope),
    )
)]
pub(crate) async fn export_households(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<ExportParams>,
    Query(list): Query<ListParams>,
    Query(pov): Query<PointOfViewParams>,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let format = match params.format.as_deref() {
        None | Some("") => Format::Csv,
        Some(f) => Format::parse(f)
            .ok_or_else(|| ApiError::parameter("format", format!("csv or xlsx, found {f:?}")))?,
    };
    let headers = match params.headers.as_deref() {
        None | Some("") => HeaderLang::Zh,
        Some(h) => HeaderLang::parse(h)
            .ok_or_else(|| ApiError::parameter("headers", format!("zh or en, found {h:?}")))?,
    };
    let pov = pov.parse_strict(state.app.clock.today())?;
    // An export holds every page; paging parameters are still checked like the list's.
    list.page()?;
    let mut filter = list.filter(caller.scope())?;
    crate::api::dashboard::apply_band(&state, &caller, &list, &mut filter, pov.at.as_of)?;
    let sheet = uplift_app::imports::export::export(
        &state.app,
        &caller.principal,
        ExportRequest {
            kind: ExportKind::Households,
            filter,
            at: pov.at,
            headers,
        },
    )
    .await?;
    let bytes = sheet
        .write(format)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    let name = format!("households-{}.{}", pov.at.as_of, format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ImportBatchView {
    pub(crate) id: i64,
    pub(crate) file_name: String,
    pub(crate) checksum: String,
    pub(crate) kind: String,
    pub(crate) mode: String,
    pub(crate) status: String,
    pub(crate) actor: String,
    pub(crate) recorded_at: String,
    pub(crate) rows: u64,
    pub(crate) rejected_rows: u64,
    pub(crate) households_new: u64,
    pub(crate) households_changed: u64,
    pub(crate) households_unchanged: u64,
    pub(crate) households_skipped: u64,
    pub(crate) persons_new: u64,
    pub(crate) persons_changed: u64,
    pub(crate) incomes_new: u64,
    pub(crate) incomes_changed: u64,
    pub(crate) errors: u64,
    pub(crate) warnings: u64,
    pub(crate) issues: Vec<ImportIssueView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ImportIssueView {
    pub(crate) row: u64,
    pub(crate) column: String,
    pub(crate) field: String,
    pub(crate) rule: String,
    pub(crate) severity: String,
    pub(crate) message_zh: String,
    pub(crate) message_en: String,
    pub(crate) household_no: String,
}

/// The summary and issues of one import batch.
#[utoipa::path(
    get,
    path = "/api/v1/imports/{id}",
    tag = "imports",
    params(("id" = i64, Path, description = "The import batch id")),
    responses(
        (status = 200, description = "The batch", body = ImportBatchView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not import", body = ErrorEnvelope),
        (status = 404, description = "No such batch", body = ErrorEnvelope),
    )
)]
pub(crate) async fn import_batch(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ImportBatchView>, ApiError> {
    caller.require(Action::ImportRegistry)?;
    // Anything but a whole number names no batch that can exist.
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("import batch {id:?}")))?;
    let batch = uplift_app::imports::batch(&state.app, &caller.principal, ImportBatchId(id))
        .await
        .map_err(|e| match e {
            uplift_app::imports::ImportFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
            uplift_app::imports::ImportFailure::Store(e) => e.into(),
            other => ApiError::Invalid(other.to_string()),
        })?
        .ok_or_else(|| ApiError::NotFound(format!("import batch {id}")))?;
    Ok(Json(batch_view(id, batch)))
}

/// The view of a recorded batch.
pub(crate) fn batch_view(
    id: i64,
    batch: uplift_app::imports::store::ImportBatch,
) -> ImportBatchView {
    let c = batch.counts;
    ImportBatchView {
        id,
        file_name: batch.file_name,
        checksum: batch.checksum,
        kind: batch.kind,
        mode: batch.mode,
        status: batch.status,
        actor: batch.actor,
        recorded_at: batch.recorded_at.to_rfc3339(),
        rows: c.rows,
        rejected_rows: c.rejected_rows,
        households_new: c.households_new,
        households_changed: c.households_changed,
        households_unchanged: c.households_unchanged,
        households_skipped: c.households_skipped,
        persons_new: c.persons_new,
        persons_changed: c.persons_changed,
        incomes_new: c.incomes_new,
        incomes_changed: c.incomes_changed,
        errors: c.errors,
        warnings: c.warnings,
        issues: batch
            .issues
            .into_iter()
            .map(|i| ImportIssueView {
                row: i.row,
                column: i.column,
                field: i.field,
                rule: i.rule,
                severity: i.severity,
                message_zh: i.message_zh,
                message_en: i.message_en,
                household_no: i.household_no,
            })
            .collect(),
    }
}
