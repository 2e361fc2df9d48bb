//! The JSON API under `/api/v1`: one module per resource, each with its handlers, their
//! `#[utoipa::path]` and their `*View` types.

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::error::{api_method_not_allowed, api_not_found};

pub(crate) mod audit;
pub(crate) mod cases;
pub(crate) mod changes;
pub(crate) mod dashboard;
pub(crate) mod documents;
pub(crate) mod health;
pub(crate) mod households;
pub(crate) mod imports;
pub(crate) mod projects;
pub(crate) mod rectify;
pub(crate) mod regions;
pub(crate) mod session;
pub(crate) mod uploads;
pub(crate) mod villages;
pub(crate) mod warnings;

/// The rectification ledger, tasks, secretaries and bulletins (`api::rectify`).
fn rectify_routes() -> Router<AppState> {
    let upload = || axum::extract::DefaultBodyLimit::max(rectify::MAX_UPLOAD);
    Router::new()
        .route(
            "/problems",
            get(rectify::list_problems).post(rectify::record_problem),
        )
        .route(
            "/problems/import",
            post(rectify::import_problems).layer(upload()),
        )
        .route("/problems/{id}", get(rectify::find_problem))
        .route("/problems/{id}/actions", post(rectify::act_on_problem))
        .route(
            "/problems/{id}/reports",
            post(rectify::report_progress).layer(upload()),
        )
        .route("/problems/{id}/evidence", get(rectify::evidence))
        .route("/bulletin", get(rectify::get_bulletin))
        .route(
            "/tasks",
            get(rectify::list_tasks).post(rectify::assign_task),
        )
        .route("/tasks/{id}/completions", post(rectify::complete_task))
        .route(
            "/responsibility",
            get(rectify::get_responsibility).post(rectify::set_responsibility),
        )
}

pub(crate) fn router() -> Router<AppState> {
    let v1 = Router::new()
        .route("/health", get(health::health))
        .route("/households", get(households::list_households))
        .route("/households/{id}", get(households::find_household))
        .route("/households/export", get(imports::export_households))
        .route("/households/{id}/changes", post(changes::post_change))
        .route("/imports/{id}", get(imports::import_batch))
        .route(
            "/imports",
            post(uploads::upload).layer(axum::extract::DefaultBodyLimit::max(uploads::MAX_UPLOAD)),
        )
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
        .route("/dashboard", get(dashboard::get_dashboard))
        .route("/cases", get(cases::list_cases))
        .route("/cases/{id}", get(cases::find_case))
        .route("/cases/{id}/actions", post(cases::act_on_case))
        .route("/households/{id}/cases", post(cases::open_case))
        .route(
            "/households/{id}/elimination",
            post(cases::propose_elimination),
        )
        .route("/households/{id}/eligibility", get(cases::eligibility))
        .route(
            "/households/{id}/measures",
            get(cases::list_measures).post(cases::record_measure),
        )
        .route(
            "/households/{id}/visits",
            get(cases::list_visits).post(cases::record_visit),
        )
        .route("/households/{id}/timeline", get(cases::timeline))
        .route("/cases/{id}/notice.pdf", get(documents::notice_pdf))
        .route(
            "/cases/{id}/announcement.pdf",
            get(documents::announcement_pdf),
        )
        .route(
            "/households/{id}/assistance-card.pdf",
            get(documents::assistance_card_pdf),
        )
        .route(
            "/households/{id}/visit-uploads",
            post(documents::upload_visit).layer(axum::extract::DefaultBodyLimit::max(
                documents::MAX_VISIT_UPLOAD,
            )),
        )
        .route("/households/{id}/photos/{photo}", get(documents::photo))
        .route("/warnings", get(warnings::list_warnings))
        .route("/warnings/{id}", get(warnings::find_warning))
        .route("/screening-runs", post(warnings::run_screening_api))
        .route(
            "/feeds",
            get(warnings::list_feeds).post(warnings::upload_feed).layer(
                axum::extract::DefaultBodyLimit::max(warnings::MAX_UPLOAD + 65_536),
            ),
        )
        .route(
            "/projects",
            get(projects::list_projects).post(projects::propose_project),
        )
        .route("/projects/{id}", get(projects::find_project))
        .route("/projects/{id}/actions", post(projects::act_on_project))
        .route("/projects/{id}/assets", post(projects::register_asset))
        .route("/projects/{id}/asset-events", post(projects::asset_event))
        .route("/assets", get(projects::list_assets))
        .route(
            "/fund-plans",
            get(projects::list_plans).post(projects::add_plan),
        )
        .route("/fund-plans/{id}/trace", get(projects::plan_trace))
        .route("/allocations", post(projects::allocate))
        .route("/households/{id}/trace", get(projects::household_trace))
        .route(
            "/project-imports",
            post(projects::import).layer(axum::extract::DefaultBodyLimit::max(uploads::MAX_UPLOAD)),
        )
        .merge(rectify_routes())
        .route("/villages", get(villages::village_rollup))
        .route("/villages/{region}/profile", get(villages::village_profile))
        .route(
            "/villages/{region}/indicators",
            post(villages::record_indicators),
        )
        .route(
            "/campaigns",
            get(villages::list_campaigns).post(villages::open_campaign),
        )
        .route("/campaigns/{id}", get(villages::campaign_report))
        .route(
            "/campaigns/{id}/households",
            get(villages::campaign_households),
        )
        .route(
            "/campaigns/{id}/visits",
            post(villages::record_campaign_visit),
        )
        .route("/samples", get(villages::draw_sample))
        .method_not_allowed_fallback(api_method_not_allowed);
    let api = Router::new()
        .nest("/v1", v1)
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed);
    Router::new().nest("/api", api)
}
