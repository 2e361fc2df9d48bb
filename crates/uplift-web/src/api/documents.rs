//! Printable documents and visit photos: the public notice and result announcement of a case
//! and a household's assistance card as PDF (`uplift_app::documents`, rendered by
//! `uplift-pdf`), a visit recorded with its photos from a plain multipart form, and the photos
//! served back by Uplift itself (session required, `Cache-Control: no-store`).

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, extract::FromRequestParts};
use serde::{Deserialize, Serialize};
use uplift_app::App;
use uplift_app::access::Principal;
use uplift_app::attachments::{self, AttachmentId, Upload};
use uplift_app::cases::{self, CaseId};
use uplift_app::documents::{self, CaseDocument};
use uplift_app::store::HouseholdId;
use uplift_domain::access::Action;
use uplift_domain::attachment::{MAX_ATTACHMENT_BYTES, human_size};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::cases::{CasePath, VisitBody, VisitView, failure, household_in_scope};
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{HouseholdPath, Query};

/// The body limit of a visit upload: one photo at the limit, the visit's fields and the
/// multipart framing. A larger body is refused with the limit named.
pub(crate) const MAX_VISIT_UPLOAD: usize = MAX_ATTACHMENT_BYTES + 256 * 1024;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DocumentParams {
    /// The supervision (监督) or contact phone printed on the document; a blank line to fill in
    /// by hand when omitted.
    pub(crate) phone: Option<String>,
}

impl DocumentParams {
    fn phone(&self) -> Result<Option<&str>, ApiError> {
        match self.phone.as_deref().map(str::trim) {
            Some(p) if p.chars().count() > 40 || p.chars().any(char::is_control) => {
                Err(ApiError::parameter(
                    "phone",
                    "at most 40 characters, no control characters".into(),
                ))
            }
            Some("") | None => Ok(None),
            Some(p) => Ok(Some(p)),
        }
    }
}

/// Renders off the async threads: subsetting the font takes a while.
async fn render(doc: uplift_pdf::Document) -> Result<Vec<u8>, ApiError> {
    tokio::task::spawn_blocking(move || uplift_pdf::render(&doc))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the PDF renderer stopped: {e}")))?
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))
}

pub(crate) fn pdf_response(bytes: Vec<u8>, filename: &str) -> Response {
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The PDF of one case document, for the API and the pages alike.
pub(crate) async fn case_pdf(
    state: &AppState,
    caller: &Caller,
    id: CaseId,
    which: CaseDocument,
    params: &DocumentParams,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let phone = params.phone()?;
    let doc = documents::case_document(&state.app, &caller.principal, id, which, phone)
        .await
        .map_err(failure)?;
    let bytes = render(doc).await?;
    Ok(pdf_response(
        bytes,
        &format!("case-{}-{}.pdf", id.0, which.key()),
    ))
}

/// The assistance card's PDF, for the API and the pages alike.
pub(crate) async fn card_pdf(
    state: &AppState,
    caller: &Caller,
    household: HouseholdId,
    params: &DocumentParams,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let phone = params.phone()?;
    let doc = documents::assistance_card(&state.app, &caller.principal, household, phone)
        .await
        .map_err(failure)?;
    let bytes = render(doc).await?;
    Ok(pdf_response(
        bytes,
        &format!("household-{}-assistance-card.pdf", household.0),
    ))
}

/// The village public notice (公示) of a case, as PDF: names, village, category, risk types,
/// notice period and supervision phone; never ID numbers, phones, bank or health details.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/notice.pdf",
    tag = "cases",
    params(("id" = i64, Path, description = "The case id"), DocumentParams),
    responses(
        (status = 200, description = "The notice", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "The phone is too long", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read cases", body = ErrorEnvelope),
        (status = 404, description = "No such case in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "The notice has not been posted yet", body = ErrorEnvelope),
    )
)]
pub(crate) async fn notice_pdf(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CasePath(id): CasePath,
    Query(params): Query<DocumentParams>,
) -> Result<Response, ApiError> {
    case_pdf(&state, &caller, id, CaseDocument::Notice, &params).await
}

/// The result announcement (公告) of an approved case, as PDF, in the township's name.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/announcement.pdf",
    tag = "cases",
    params(("id" = i64, Path, description = "The case id"), DocumentParams),
    responses(
        (status = 200, description = "The announcement", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "The phone is too long", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read cases", body = ErrorEnvelope),
        (status = 404, description = "No such case in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "The county has not approved the case yet", body = ErrorEnvelope),
    )
)]
pub(crate) async fn announcement_pdf(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CasePath(id): CasePath,
    Query(params): Query<DocumentParams>,
) -> Result<Response, ApiError> {
    case_pdf(&state, &caller, id, CaseDocument::Announcement, &params).await
}

/// The household's assistance card (明白卡) as PDF: status, helpers, measures and contacts.
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}/assistance-card.pdf",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id"), DocumentParams),
    responses(
        (status = 200, description = "The card", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "The phone is too long", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn assistance_card_pdf(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
    Query(params): Query<DocumentParams>,
) -> Result<Response, ApiError> {
    card_pdf(&state, &caller, household, &params).await
}

// ------------------------------------------------------------------------------ visit photos

/// A stored photo of a visit.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PhotoView {
    pub(crate) id: i64,
    pub(crate) filename: String,
    pub(crate) content_type: &'static str,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) uploaded_by: String,
    pub(crate) uploaded_at: String,
    /// Where the API serves it.
    pub(crate) url: String,
}

/// The household's visits with their photos (the household must be in the principal's scope).
pub(crate) async fn visit_views(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> Result<Vec<VisitView>, ApiError> {
    let visits = cases::visits(app, by, household).await.map_err(failure)?;
    let photos = attachments::visit_photos(app, by, household)
        .await
        .map_err(failure)?;
    Ok(visits
        .iter()
        .map(|(vid, v)| {
            let v = &v.value;
            VisitView {
                id: vid.0,
                date: v.date.to_string(),
                visitor: v.visitor.clone(),
                income_above_line: v.income_above_line,
                health_ok: v.health_ok,
                schooling_ok: v.schooling_ok,
                work_ok: v.work_ok,
                housing_ok: v.housing_ok,
                water_ok: v.water_ok,
                findings: v.findings.clone(),
                problems: v.problems.clone(),
                follow_ups: v.follow_ups.clone(),
                photos: photos
                    .iter()
                    .filter(|(p, _)| p == vid)
                    .flat_map(|(_, list)| list)
                    .map(|m| PhotoView {
                        id: m.id.0,
                        filename: m.filename.clone(),
                        content_type: m.content_type.mime(),
                        size: m.size,
                        sha256: m.sha256.clone(),
                        uploaded_by: m.uploaded_by.clone(),
                        uploaded_at: m.uploaded_at.to_rfc3339(),
                        url: format!("/api/v1/households/{}/photos/{}", household.0, m.id.0),
                    })
                    .collect(),
            }
        })
        .collect())
}

/// A visit and its photos as read from a multipart form (`csrf` may be a field).
#[derive(Debug, Default)]
pub(crate) struct VisitUpload {
    pub(crate) csrf: Option<String>,
    pub(crate) fields: std::collections::BTreeMap<String, String>,
    pub(crate) photos: Vec<Upload>,
}

/// The multipart body of a visit upload (documentation only; the handler reads the parts).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct VisitUploadForm {
    /// `YYYY-MM-DD`.
    date: String,
    visitor: String,
    /// Each finding: `ok`, `problem`, or empty when not looked at.
    income_above_line: Option<String>,
    health_ok: Option<String>,
    schooling_ok: Option<String>,
    work_ok: Option<String>,
    housing_ok: Option<String>,
    water_ok: Option<String>,
    findings: String,
    problems: Option<String>,
    follow_ups: Option<String>,
    /// JPEG or PNG, at most 2 MiB each; the field may repeat or be left empty.
    #[schema(format = Binary)]
    photo: Option<String>,
}

fn too_large() -> ApiError {
    ApiError::Invalid(format!(
        "the upload is larger than the limit of {} per photo; send a smaller photo (for example 1600 pixels on the long side)",
        human_size(MAX_ATTACHMENT_BYTES as u64)
    ))
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::BadRequest {
            parameter: None,
            detail: format!("the upload cannot be read: {}", e.body_text()),
        }
    }
}

/// Reads the form. A photo field left empty (no file chosen) is skipped.
pub(crate) async fn read_visit_upload(
    form: Result<Multipart, MultipartRejection>,
) -> Result<VisitUpload, ApiError> {
    let mut form = form.map_err(|e| ApiError::BadRequest {
        parameter: None,
        detail: format!(
            "a multipart/form-data body with the visit's fields and its photos is needed: {}",
            e.body_text()
        ),
    })?;
    let mut up = VisitUpload::default();
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "photo" {
            let filename = field.file_name().unwrap_or("").to_owned();
            let declared = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(multipart_error)?;
            if filename.is_empty() && bytes.is_empty() {
                continue;
            }
            up.photos.push(Upload {
                filename: if filename.is_empty() {
                    "photo".to_owned()
                } else {
                    filename
                },
                declared_type: declared,
                bytes: bytes.to_vec(),
            });
        } else {
            let text = field.text().await.map_err(multipart_error)?;
            if name == "csrf" {
                up.csrf = Some(text);
            } else {
                up.fields.insert(name, text);
            }
        }
    }
    Ok(up)
}

fn finding(fields: &std::collections::BTreeMap<String, String>, key: &str) -> Option<bool> {
    match fields.get(key).map(String::as_str) {
        Some("ok" | "true" | "yes") => Some(true),
        Some("problem" | "false" | "no") => Some(false),
        _ => None,
    }
}

impl VisitUpload {
    pub(crate) fn body(&self) -> VisitBody {
        let f = |k: &str| self.fields.get(k).cloned().unwrap_or_default();
        VisitBody {
            date: f("date"),
            visitor: f("visitor"),
            income_above_line: finding(&self.fields, "income_above_line"),
            health_ok: finding(&self.fields, "health_ok"),
            schooling_ok: finding(&self.fields, "schooling_ok"),
            work_ok: finding(&self.fields, "work_ok"),
            housing_ok: finding(&self.fields, "housing_ok"),
            water_ok: finding(&self.fields, "water_ok"),
            findings: f("findings"),
            problems: f("problems"),
            follow_ups: f("follow_ups"),
            photo: None,
        }
    }
}

/// What a visit upload created.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VisitUploadView {
    pub(crate) id: i64,
    pub(crate) photos: Vec<i64>,
}

/// Records the visit with its photos; nothing is written when a photo is refused.
pub(crate) async fn save_visit_upload(
    state: &AppState,
    caller: &Caller,
    household: HouseholdId,
    up: VisitUpload,
    source: &str,
) -> Result<VisitUploadView, ApiError> {
    let visit = up.body().visit()?;
    let (id, photos) = attachments::record_visit_with_photos(
        &state.app,
        &caller.principal,
        household,
        visit,
        up.photos,
        source,
    )
    .await
    .map_err(failure)?;
    Ok(VisitUploadView {
        id: id.0,
        photos: photos.iter().map(|p| p.0).collect(),
    })
}

/// Records a visit with photos from a plain multipart form, for phones on a poor signal.
#[utoipa::path(
    post,
    path = "/api/v1/households/{id}/visit-uploads",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body(content = VisitUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The visit and its photos were recorded", body = VisitUploadView),
        (status = 400, description = "The body is not a readable multipart form", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not record visits, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "A field is wrong, or a photo is too large or not JPEG/PNG", body = ErrorEnvelope),
    )
)]
pub(crate) async fn upload_visit(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(household): HouseholdPath,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<VisitUploadView>), ApiError> {
    let header = crate::auth::csrf_token(&headers);
    caller.check_csrf(header)?;
    caller.require(Action::RecordAssistance)?;
    household_in_scope(&state, &caller, household).await?;
    let up = read_visit_upload(form).await?;
    let view = save_visit_upload(&state, &caller, household, up, "api").await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The `{id}` and `{photo}` of a photo path: whole numbers, else 404.
pub(crate) struct PhotoPath(pub(crate) HouseholdId, pub(crate) AttachmentId);

impl<S: Send + Sync> FromRequestParts<S> for PhotoPath {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let (h, p) = axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::parameter("id", r.body_text()))?
            .0;
        match (h.parse::<i64>(), p.parse::<i64>()) {
            (Ok(h), Ok(p)) => Ok(PhotoPath(HouseholdId(h), AttachmentId(p))),
            _ => Err(ApiError::NotFound(format!(
                "photo {p:?} of household {h:?}"
            ))),
        }
    }
}

/// Serves one photo: only to a caller who can read the household, never cached.
pub(crate) async fn photo_response(
    state: &AppState,
    caller: &Caller,
    household: HouseholdId,
    photo: AttachmentId,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let a = attachments::visit_photo(&state.app, &caller.principal, household, photo)
        .await
        .map_err(failure)?;
    let mut res = (StatusCode::OK, a.content).into_response();
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(a.meta.content_type.mime()),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "inline; filename=\"photo-{}.{}\"",
            a.meta.id.0,
            a.meta.content_type.extension()
        ))
        .map_err(|e| ApiError::Internal(e.into()))?,
    );
    Ok(res)
}

/// One photo of one of the household's visits.
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}/photos/{photo}",
    tag = "cases",
    params(("id" = i64, Path, description = "The household id"),
           ("photo" = i64, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "The photo (image/jpeg or image/png), not cacheable", content_type = "image/jpeg", body = Vec<u8>),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 404, description = "No such photo of a household in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn photo(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    path: Result<PhotoPath, ApiError>,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let PhotoPath(household, photo) = path?;
    photo_response(&state, &caller, household, photo).await
}
