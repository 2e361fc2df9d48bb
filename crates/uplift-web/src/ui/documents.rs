//! The pages' side of documents and photos: the case documents and the assistance card as PDF,
//! a visit with photos posted from the assistance page's plain multipart form (a refused photo
//! re-renders the page with the reason, 422), and the photos served with the session checked
//! and `Cache-Control: no-store`.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::response::{IntoResponse, Redirect, Response};
use uplift_app::documents::CaseDocument;
use uplift_domain::access::Action;

use crate::AppState;
use crate::api::cases::{CasePath, household_in_scope};
use crate::api::documents::{
    DocumentParams, PhotoPath, card_pdf, case_pdf, photo_response, read_visit_upload,
    save_visit_upload,
};
use crate::auth::PageCaller;
use crate::error::ApiError;
use crate::extract::{HouseholdPath, Query};
use crate::ui::UiLang;
use crate::ui::cases::{assistance_page, done};

pub(crate) async fn notice(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<CasePath, ApiError>,
    Query(params): Query<DocumentParams>,
) -> Response {
    let res = async {
        let CasePath(id) = id?;
        case_pdf(&state, &caller, id, CaseDocument::Notice, &params).await
    }
    .await;
    done(res, &state, &ui)
}

pub(crate) async fn announcement(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<CasePath, ApiError>,
    Query(params): Query<DocumentParams>,
) -> Response {
    let res = async {
        let CasePath(id) = id?;
        case_pdf(&state, &caller, id, CaseDocument::Announcement, &params).await
    }
    .await;
    done(res, &state, &ui)
}

pub(crate) async fn card(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    Query(params): Query<DocumentParams>,
) -> Response {
    let res = async {
        let HouseholdPath(id) = id?;
        card_pdf(&state, &caller, id, &params).await
    }
    .await;
    done(res, &state, &ui)
}

/// The assistance page's visit form (multipart, with an optional photo).
pub(crate) async fn upload_visit(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let res = async {
        let read = read_visit_upload(form).await;
        // The token travels in the form; an unreadable form has none.
        let csrf = read.as_ref().ok().and_then(|u| u.csrf.clone());
        caller.check_csrf(csrf.as_deref())?;
        caller.require(Action::RecordAssistance)?;
        let HouseholdPath(id) = id?;
        household_in_scope(&state, &caller, id).await?;
        let refused = match read {
            Ok(up) => match save_visit_upload(&state, &caller, id, up, "web").await {
                Ok(_) => {
                    return Ok(
                        Redirect::to(&format!("/households/{}/assistance#visits", id.0))
                            .into_response(),
                    );
                }
                Err(e) => e,
            },
            Err(e) => e,
        };
        match refused {
            e @ (ApiError::Invalid(_) | ApiError::BadRequest { .. }) => {
                let detail = e.view().detail;
                assistance_page(&state, &ui, &caller, id, Some(("visit", detail))).await
            }
            e => Err(e),
        }
    }
    .await;
    done(res, &state, &ui)
}

pub(crate) async fn photo(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    path: Result<PhotoPath, ApiError>,
) -> Response {
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let PhotoPath(household, photo) = path?;
        photo_response(&state, &caller, household, photo).await
    }
    .await;
    done(res, &state, &ui)
}
