//! `POST /api/v1/imports`: upload a registry or income file (multipart: `kind`, `mode`, `file`)
//! and get the recorded batch back. The page `/imports` shares [`read_upload`] and [`run`].

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use uplift_app::imports::store::ImportBatch;
use uplift_app::imports::{
    ImportFailure, ImportKind, ImportMode, ImportRequest, NoProgress, Progress,
};
use uplift_domain::access::Action;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::imports::{ImportBatchView, batch_view};
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiError, ErrorEnvelope};

/// The largest file an upload may carry (a registry of a large county as .csv is ~100 MB).
pub(crate) const MAX_UPLOAD: usize = 256 * 1024 * 1024;

/// The multipart body of an upload (documentation only; the handler reads the parts).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct UploadForm {
    /// `households` (the registry file, formats.md §1) or `incomes` (§2).
    kind: String,
    /// `all_or_nothing` (default), `partial` or `dry_run`.
    mode: Option<String>,
    /// The .csv (UTF-8, UTF-8 with BOM, GB18030/GBK) or .xlsx file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// An upload as read from a multipart body.
pub(crate) struct Upload {
    pub(crate) csrf: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) mode: Option<String>,
    pub(crate) file_name: Option<String>,
    pub(crate) bytes: Vec<u8>,
}

/// Reads the parts of an upload; an unreadable body is a 400.
pub(crate) async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Upload, ApiError> {
    let mut multipart = multipart.map_err(|e| ApiError::BadRequest {
        parameter: None,
        detail: format!("the upload must be multipart/form-data: {}", e.body_text()),
    })?;
    let mut upload = Upload {
        csrf: None,
        kind: None,
        mode: None,
        file_name: None,
        bytes: Vec::new(),
    };
    let bad = |e: axum::extract::multipart::MultipartError| ApiError::BadRequest {
        parameter: None,
        detail: format!("the upload cannot be read: {}", e.body_text()),
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "file" => {
                upload.file_name = field.file_name().map(str::to_owned);
                upload.bytes = field.bytes().await.map_err(bad)?.to_vec();
            }
            "csrf" => upload.csrf = Some(field.text().await.map_err(bad)?),
            "kind" => upload.kind = Some(field.text().await.map_err(bad)?),
            "mode" => upload.mode = Some(field.text().await.map_err(bad)?),
            _ => {}
        }
    }
    Ok(upload)
}

fn failure(e: ImportFailure) -> ApiError {
    match e {
        ImportFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
        ImportFailure::Store(e) => e.into(),
        ImportFailure::File(e) => ApiError::Invalid(format!("{} · {}", e.message_zh(), e)),
    }
}

/// Checks the fields of an upload and makes the import request (no file is read yet).
pub(crate) fn prepare(upload: Upload) -> Result<ImportRequest, ApiError> {
    let kind_text = upload.kind.unwrap_or_default();
    let kind = ImportKind::parse(&kind_text).ok_or_else(|| {
        ApiError::parameter(
            "kind",
            format!("households or incomes, found {kind_text:?}"),
        )
    })?;
    let mode_text = upload.mode.unwrap_or_default();
    let mode = ImportMode::parse(&mode_text).ok_or_else(|| {
        ApiError::parameter(
            "mode",
            format!("all_or_nothing, partial or dry_run, found {mode_text:?}"),
        )
    })?;
    let Some(file_name) = upload.file_name.filter(|n| !n.trim().is_empty()) else {
        return Err(ApiError::parameter(
            "file",
            "no file was uploaded".to_owned(),
        ));
    };
    // Only the name counts, never a client's path.
    let file_name = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("upload")
        .to_owned();
    Ok(ImportRequest {
        kind,
        mode,
        file_name,
        bytes: upload.bytes,
    })
}

/// Runs a prepared import for the caller, reporting progress.
pub(crate) async fn run_prepared(
    state: &AppState,
    caller: &Caller,
    request: ImportRequest,
    progress: &dyn Progress,
) -> Result<ImportBatch, ApiError> {
    uplift_app::imports::run_import(&state.app, &caller.principal, request, progress)
        .await
        .map_err(failure)
}

/// Checks the fields and runs the import for the caller.
pub(crate) async fn run(
    state: &AppState,
    caller: &Caller,
    upload: Upload,
) -> Result<ImportBatch, ApiError> {
    run_prepared(state, caller, prepare(upload)?, &NoProgress).await
}

/// Imports an uploaded file: all or nothing by default, `partial` writes the valid households,
/// `dry_run` only checks. The batch is recorded whatever the outcome (`status`).
#[utoipa::path(
    post,
    path = "/api/v1/imports",
    tag = "imports",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The recorded batch: `status` is applied, rejected, refused or dry_run", body = ImportBatchView),
        (status = 400, description = "The body is not a readable multipart upload, or a part is wrong", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not import, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 422, description = "The file cannot be read as a table or lacks required columns; nothing was written", body = ErrorEnvelope),
    )
)]
pub(crate) async fn upload(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = async {
        caller.check_csrf(crate::auth::csrf_token(&headers))?;
        caller.require(Action::ImportRegistry)?;
        let upload = read_upload(multipart).await?;
        let batch = run(&state, &caller, upload).await?;
        let id = batch.id.map(|b| b.0).unwrap_or_default();
        Ok::<_, ApiError>(Json(batch_view(id, batch)))
    }
    .await;
    match result {
        Ok(json) => json.into_response(),
        Err(e) => e.into_response(),
    }
}
