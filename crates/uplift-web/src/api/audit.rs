//! `GET /api/v1/audit`: the audit log of the caller's region.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Query;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditParams {
    /// How many events, newest first; 1–1000, default 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditView {
    pub(crate) items: Vec<AuditEventView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditEventView {
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) target: String,
    pub(crate) region_code: Option<String>,
    pub(crate) reason: Option<String>,
}

/// The newest audit events of targets inside the caller's region.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "Audit events, newest first", body = AuditView),
        (status = 400, description = "A malformed limit", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the audit log", body = ErrorEnvelope),
    )
)]
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditView>, ApiError> {
    let limit = match params.limit.as_deref() {
        None => 100,
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                ApiError::parameter("limit", format!("limit must be 1–1000, found {s:?}"))
            })?,
    };
    let events = uplift_app::access::audit_log(&state.app, &caller.principal, limit).await?;
    Ok(Json(AuditView {
        items: events
            .into_iter()
            .map(|e| AuditEventView {
                at: e.at.to_rfc3339(),
                actor: e.actor,
                action: e.action,
                target: e.target,
                region_code: e.region.map(|r| r.to_string()),
                reason: e.reason,
            })
            .collect(),
    }))
}
