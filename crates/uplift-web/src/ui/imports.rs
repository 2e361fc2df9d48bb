//! `/imports`: upload a registry or income file, see the batch's summary and its issues
//! (filterable by rule and field), download the report; `/households/export.csv|.xlsx`: the
//! household list with its filters, scoped and masked like the page.

use std::collections::BTreeSet;

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use uplift_app::imports::report::report_sheet;
use uplift_app::imports::sheet::Format;
use uplift_app::imports::store::{ImportBatch, ImportBatchId};
use uplift_domain::access::Action;

use crate::AppState;
use crate::api::uploads::{prepare, read_upload};
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::extract::Query;
use crate::i18n::Lang;
use crate::pov::{ListParams, PointOfViewParams};
use crate::ui::{Chrome, UiLang, error_page, query_string, render};

#[derive(Serialize)]
struct ImportsContext {
    #[serde(flatten)]
    chrome: Chrome,
    /// A problem with the upload itself (not with its rows).
    error: Option<String>,
    batch: Option<BatchBox>,
}

#[derive(Serialize)]
struct BatchBox {
    id: i64,
    file_name: String,
    kind: String,
    mode: String,
    status: String,
    actor: String,
    recorded_at: String,
    counts: Vec<(String, u64)>,
    rules: Vec<String>,
    fields: Vec<String>,
    rule: String,
    field: String,
    total_issues: usize,
    issues: Vec<IssueRow>,
    report_query: String,
}

#[derive(Serialize)]
struct IssueRow {
    row: u64,
    column: String,
    field: String,
    rule: String,
    severity: String,
    message: String,
    household_no: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct IssueFilter {
    rule: Option<String>,
    field: Option<String>,
}

/// The most issue rows a page shows; the report holds them all.
const SHOWN: usize = 1000;

fn batch_box(id: i64, batch: &ImportBatch, filter: &IssueFilter, lang: Lang) -> BatchBox {
    let rule = filter.rule.clone().unwrap_or_default();
    let field = filter.field.clone().unwrap_or_default();
    let rules: BTreeSet<String> = batch.issues.iter().map(|i| i.rule.clone()).collect();
    let fields: BTreeSet<String> = batch.issues.iter().map(|i| i.field.clone()).collect();
    let matching: Vec<_> = batch
        .issues
        .iter()
        .filter(|i| rule.is_empty() || i.rule == rule)
        .filter(|i| field.is_empty() || i.field == field)
        .collect();
    let c = batch.counts;
    let zh = lang == Lang::Zh;
    let label = |z: &str, e: &str| if zh { z.to_owned() } else { e.to_owned() };
    BatchBox {
        id,
        file_name: batch.file_name.clone(),
        kind: batch.kind.clone(),
        mode: batch.mode.clone(),
        status: batch.status.clone(),
        actor: batch.actor.clone(),
        recorded_at: batch
            .recorded_at
            .with_timezone(&uplift_domain::version::cst())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        counts: vec![
            (label("读取行数", "Rows read"), c.rows),
            (label("有误行数", "Rows with errors"), c.rejected_rows),
            (label("新增户", "New households"), c.households_new),
            (label("变更户", "Changed households"), c.households_changed),
            (
                label("未变户", "Unchanged households"),
                c.households_unchanged,
            ),
            (label("跳过户", "Skipped households"), c.households_skipped),
            (label("新增成员", "New members"), c.persons_new),
            (label("变更成员", "Changed members"), c.persons_changed),
            (label("新增收入", "New incomes"), c.incomes_new),
            (label("变更收入", "Changed incomes"), c.incomes_changed),
            (label("错误", "Errors"), c.errors),
            (label("警告", "Warnings"), c.warnings),
        ],
        rules: rules.into_iter().collect(),
        fields: fields.into_iter().collect(),
        total_issues: matching.len(),
        issues: matching
            .into_iter()
            .take(SHOWN)
            .map(|i| IssueRow {
                row: i.row,
                column: i.column.clone(),
                field: i.field.clone(),
                rule: i.rule.clone(),
                severity: i.severity.clone(),
                message: if zh {
                    i.message_zh.clone()
                } else {
                    i.message_en.clone()
                },
                household_no: i.household_no.clone(),
            })
            .collect(),
        report_query: query_string(&[("rule", &rule), ("field", &field)]),
        rule,
        field,
    }
}

async fn show(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    status: StatusCode,
    error: Option<String>,
    batch: Option<BatchBox>,
) -> Result<Response, ApiError> {
    let ctx = ImportsContext {
        chrome: ui.chrome_for(state, caller).await,
        error,
        batch,
    };
    render(state, ui, status, "imports.html", ctx)
}

/// The upload form.
pub(crate) async fn form(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
) -> Response {
    let result = async {
        caller.require(Action::ImportRegistry)?;
        show(&state, &ui, &caller, StatusCode::OK, None, None).await
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

/// The upload form again, with the error of a file that could not be imported.
pub(crate) async fn show_error(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    status: StatusCode,
    message: String,
) -> Result<Response, ApiError> {
    show(state, ui, caller, status, Some(message), None).await
}

/// Starts an uploaded import in the background and answers with its progress page
/// (`/imports/jobs/{id}`), which ends on the batch's page.
pub(crate) async fn upload(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = async {
        caller.require(Action::ImportRegistry)?;
        // The token travels in the form; a body that cannot be read carries none.
        let upload = read_upload(multipart)
            .await
            .map_err(|_| caller.check_csrf(None).unwrap_err())?;
        caller.check_csrf(upload.csrf.as_deref())?;
        match prepare(upload) {
            Ok(request) => {
                let job = crate::ui::import_jobs::start(&state, &caller, request);
                Ok(Redirect::to(&format!("/imports/jobs/{job}")).into_response())
            }
            Err(e @ (ApiError::Invalid(_) | ApiError::BadRequest { .. })) => {
                let detail = e.view().detail;
                show(
                    &state,
                    &ui,
                    &caller,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(detail),
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

async fn load(state: &AppState, caller: &Caller, id: &str) -> Result<(i64, ImportBatch), ApiError> {
    caller.require(Action::ImportRegistry)?;
    let n: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("import batch {id:?}")))?;
    let batch = uplift_app::imports::batch(&state.app, &caller.principal, ImportBatchId(n))
        .await
        .map_err(|e| match e {
            uplift_app::imports::ImportFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
            uplift_app::imports::ImportFailure::Store(e) => e.into(),
            other => ApiError::Invalid(other.to_string()),
        })?
        .ok_or_else(|| ApiError::NotFound(format!("import batch {n}")))?;
    Ok((n, batch))
}

/// One batch: its summary and its issues, filtered by rule and field.
pub(crate) async fn batch_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    filter: Result<Query<IssueFilter>, ApiError>,
) -> Response {
    let result = async {
        let (n, batch) = load(&state, &caller, &id).await?;
        let Query(filter) = filter?;
        let b = batch_box(n, &batch, &filter, ui.lang);
        show(&state, &ui, &caller, StatusCode::OK, None, Some(b)).await
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

fn file(format: Format, name: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

async fn report(
    state: AppState,
    ui: UiLang,
    caller: Caller,
    id: String,
    format: Format,
) -> Response {
    let result = async {
        let (n, batch) = load(&state, &caller, &id).await?;
        let bytes = report_sheet(&batch)
            .write(format)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
        Ok::<_, ApiError>(file(
            format,
            format!("import-{n}-report.{}", format.extension()),
            bytes,
        ))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

pub(crate) async fn report_csv(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Response {
    report(state, ui, caller, id, Format::Csv).await
}

pub(crate) async fn report_xlsx(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Response {
    report(state, ui, caller, id, Format::Xlsx).await
}

async fn export(
    state: AppState,
    ui: UiLang,
    caller: Caller,
    list: Result<Query<ListParams>, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
    format: Format,
) -> Response {
    let result = async {
        caller.require(Action::ReadRegistry)?;
        let Query(list) = list?;
        let Query(pov) = pov?;
        let pov = pov.parse(state.app.clock.today())?;
        let mut filter = list.filter(caller.scope())?;
        crate::api::dashboard::apply_band(&state, &caller, &list, &mut filter, pov.at.as_of)?;
        let headers = match ui.lang {
            Lang::Zh => uplift_app::imports::export::HeaderLang::Zh,
            Lang::En => uplift_app::imports::export::HeaderLang::En,
        };
        let sheet = uplift_app::imports::export::export(
            &state.app,
            &caller.principal,
            uplift_app::imports::export::ExportRequest {
                kind: uplift_app::imports::export::ExportKind::Households,
                filter,
                at: pov.at,
                headers,
            },
        )
        .await?;
        let bytes = sheet
            .write(format)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
        Ok::<_, ApiError>(file(
            format,
            format!("households-{}.{}", pov.at.as_of, format.extension()),
            bytes,
        ))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

pub(crate) async fn export_csv(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    list: Result<Query<ListParams>, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
) -> Response {
    export(state, ui, caller, list, pov, Format::Csv).await
}

pub(crate) async fn export_xlsx(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    list: Result<Query<ListParams>, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
) -> Response {
    export(state, ui, caller, list, pov, Format::Xlsx).await
}
