//! The JSON API under `/api/v1`: one module per resource, each with its handlers, their
//! `#[utoipa::path]` and their `*View` types.

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::error::{api_method_not_allowed, api_not_found};

pub(crate) mod audit;
pub(crate) mod health;
pub(crate) mod households;
pub(crate) mod regions;
pub(crate) mod session;
pub(crate) mod warnings;

pub(crate) fn router() -> Router<AppState> {
    let v1 = Router::new()
        .route("/health", get(health::health))
        .route("/households", get(households::list_households))
        .route("/households/{id}", get(households::find_household))
        .route(
            "/households/{id}/history",
            get(households::household_history),
        )
        .route(
            "/households/{id}/unmask",
            post(households::unmask_household),
        )
        .route("/regions", get(regions::list_regions))
        .route(
            "/session",
            get(session::current)
                .post(session::login)
                .delete(session::logout),
        )
        .route("/audit", get(audit::audit_log))
        .route("/warnings", get(warnings::list_warnings))
        .route("/warnings/{id}", get(warnings::find_warning))
        .route("/screening-runs", post(warnings::run_screening_api))
        .route(
            "/feeds",
            get(warnings::list_feeds).post(warnings::upload_feed).layer(
                axum::extract::DefaultBodyLimit::max(warnings::MAX_UPLOAD + 65_536),
            ),
        )
        .method_not_allowed_fallback(api_method_not_allowed);
    let api = Router::new()
        .nest("/v1", v1)
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed);
    Router::new().nest("/api", api)
}
