//! `/api/v1/session`: log in, see who is logged in, log out.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uplift_app::access::{self, Principal};
use uplift_domain::household::Codebook;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::households::CodeView;
use crate::auth::{self, ApiCaller, SESSION_COOKIE};
use crate::error::{ApiError, ErrorEnvelope};

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct LoginBody {
    pub(crate) username: String,
    pub(crate) password: String,
}

/// The logged-in user, their scope, and the CSRF token their requests must carry.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionView {
    pub(crate) username: String,
    pub(crate) role: CodeView,
    /// The 12-digit code of the region the user answers for.
    pub(crate) region_code: Option<String>,
    pub(crate) region_name: Option<String>,
    pub(crate) department: Option<CodeView>,
    /// Send it as `X-CSRF-Token` with every request that changes something.
    pub(crate) csrf_token: String,
}

pub(crate) async fn session_view(
    state: &AppState,
    principal: &Principal,
    csrf_token: &str,
) -> Result<SessionView, ApiError> {
    let region_name = match &principal.region {
        Some(code) => state.app.store.region(code).await?.map(|r| r.name),
        None => None,
    };
    Ok(SessionView {
        username: principal.name.clone(),
        role: principal.role.map(CodeView::of).unwrap_or(CodeView {
            code: "machine",
            zh: "系统",
        }),
        region_code: principal.region.map(|r| r.to_string()),
        region_name,
        department: principal.department.map(|d| CodeView {
            code: d.code(),
            zh: d.zh(),
        }),
        csrf_token: csrf_token.to_owned(),
    })
}

/// Logs in; the answer sets the session cookie.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = SessionView),
        (status = 401, description = "Wrong username or password, or the user is disabled", body = ErrorEnvelope),
        (status = 422, description = "A malformed body", body = ErrorEnvelope),
        (status = 429, description = "Too many failed logins for this account or address", body = ErrorEnvelope),
    )
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    auth::ClientAddr(client): auth::ClientAddr,
    body: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let ticket = access::login(
        &state.app,
        &body.username,
        &body.password,
        client.as_deref(),
    )
    .await?;
    let view = session_view(&state, &ticket.principal, &ticket.csrf_token).await?;
    let max_age = access::SESSION_IDLE.num_seconds();
    Ok(auth::with_cookie(
        Json(view).into_response(),
        auth::set_cookie(SESSION_COOKIE, &ticket.token, max_age),
    ))
}

/// Who is logged in.
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "session",
    responses(
        (status = 200, description = "The session", body = SessionView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
    )
)]
pub(crate) async fn current(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<SessionView>, ApiError> {
    Ok(Json(
        session_view(&state, &caller.principal, &caller.csrf_token).await?,
    ))
}

/// Logs out.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses(
        (status = 204, description = "Logged out; the cookie is cleared"),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The CSRF token is missing or wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    access::logout(&state.app, &caller.session_token).await?;
    Ok(auth::with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        auth::set_cookie(SESSION_COOKIE, "", 0),
    ))
}
