//! The OpenAPI document of `/api/v1`, served at `/api/openapi.json`, and the Swagger UI at
//! `/api/docs`, whose files are compiled into the binary (`vendored`), so it works offline.

use axum::Router;
use utoipa::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Uplift API",
        description = "防返贫监测 · Uplift: the registry of the dynamic monitoring mechanism to \
                       prevent a return to poverty. Every error answer is \
                       `{\"errors\":[{\"code\",\"detail\"}]}`. Reads take a point of view: \
                       `as_of` (a date) and `known_at` (an instant). Log in with `POST /api/v1/session`; \
                       the answer sets an HttpOnly session cookie and gives the CSRF token that \
                       every changing request sends as `X-CSRF-Token`."
    ),
    paths(
        api::health::health,
        api::households::list_households,
        api::households::find_household,
        api::households::household_history,
        api::households::unmask_household,
        api::regions::list_regions,
        api::session::login,
        api::session::current,
        api::session::logout,
        api::audit::audit_log,
        api::imports::export_households,
        api::imports::import_batch,
        api::dashboard::get_dashboard,
        api::cases::list_cases,
        api::cases::find_case,
        api::cases::act_on_case,
        api::cases::open_case,
        api::cases::propose_elimination,
        api::cases::eligibility,
        api::cases::list_measures,
        api::cases::record_measure,
        api::cases::list_visits,
        api::cases::record_visit,
        api::cases::timeline,
        api::documents::notice_pdf,
        api::documents::announcement_pdf,
        api::documents::assistance_card_pdf,
        api::documents::upload_visit,
        api::documents::photo,
        api::changes::post_change,
        api::uploads::upload,
        api::warnings::list_warnings,
        api::warnings::find_warning,
        api::warnings::run_screening_api,
        api::warnings::list_feeds,
        api::warnings::upload_feed,
        api::projects::list_projects,
        api::projects::propose_project,
        api::projects::find_project,
        api::projects::act_on_project,
        api::projects::register_asset,
        api::projects::asset_event,
        api::projects::list_assets,
        api::projects::list_plans,
        api::projects::add_plan,
        api::projects::plan_trace,
        api::projects::allocate,
        api::projects::household_trace,
        api::projects::import,
        api::rectify::list_problems,
        api::rectify::record_problem,
        api::rectify::find_problem,
        api::rectify::act_on_problem,
        api::rectify::report_progress,
        api::rectify::evidence,
        api::rectify::import_problems,
        api::rectify::get_bulletin,
        api::rectify::list_tasks,
        api::rectify::assign_task,
        api::rectify::complete_task,
        api::rectify::get_responsibility,
        api::rectify::set_responsibility,
        api::villages::village_rollup,
        api::villages::village_profile,
        api::villages::record_indicators,
        api::villages::list_campaigns,
        api::villages::open_campaign,
        api::villages::campaign_report,
        api::villages::campaign_households,
        api::villages::record_campaign_visit,
        api::villages::draw_sample,
    ),
    tags(
        (name = "households", description = "The registry of households, members and incomes"),
        (name = "regions", description = "The administrative division tree"),
        (name = "health", description = "Liveness"),
        (name = "session", description = "Logging in and out; the session cookie and CSRF token"),
        (name = "audit", description = "The audit log"),
        (name = "imports", description = "Registry and income imports and their reports"),
        (name = "dashboard", description = "Five-level dashboards: figures of a region at a point of view"),
        (name = "cases", description = "Identification and elimination cases, measures, visits and the household timeline"),
        (name = "warnings", description = "Early warnings from department feeds (部门筛查预警) and screening runs"),
        (name = "feeds", description = "Department feed uploads (部门数据) with matched and unmatched rows"),
        (name = "projects", description = "The project library (项目库), project assets and the household trace"),
        (name = "funds", description = "Fund plans (衔接资金 / 常态化帮扶资金), allocations with the industry-share check, and the fund trace"),
        (name = "rectification", description = "The rectification ledger (问题整改台账), five-level responsibility (五级书记): tasks, secretaries, and the monthly bulletin (通报)"),
        (name = "villages", description = "Village profiles (村情): living-environment and infrastructure indicators, rolled up by region"),
        (name = "campaigns", description = "Concentrated screening campaigns (集中排查): visit lists, visits, findings and reports"),
        (name = "samples", description = "The assessors' reproducible sample of villages and households (考核评估抽样)"),
    )
)]
struct ApiDoc;

pub(crate) fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}

/// `/api/openapi.json` and `/api/docs`. The validator badge is off: it would call swagger.io.
pub(crate) fn docs_router() -> Router {
    let config = Config::new(["/api/openapi.json"]).validator_url("none");
    Router::from(
        SwaggerUi::new("/api/docs")
            .url("/api/openapi.json", ApiDoc::openapi())
            .config(config),
    )
}
