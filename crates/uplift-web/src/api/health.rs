//! `GET /api/v1/health`: whether the server answers, and with which store backend.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthView {
    /// Always `ok` when the server answers.
    pub(crate) status: &'static str,
    /// The store backend: `sqlite` or `postgres`.
    pub(crate) backend: &'static str,
}

/// Liveness and the backend in use.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "health",
    responses((status = 200, description = "The server answers", body = HealthView))
)]
pub(crate) async fn health(State(state): State<AppState>) -> Json<HealthView> {
    Json(HealthView {
        status: "ok",
        backend: state.app.store.backend(),
    })
}
