//! HTTP for Uplift: the JSON API under `/api/v1` (described by OpenAPI), the server-rendered web
//! UI (zh-CN first, English switchable) and the static assets it needs.
//!
//! This is the only crate that knows HTTP, JSON and HTML. Handlers extract, call one use case of
//! `uplift-app`, and convert the result into a `*View`; nothing here is fetched from elsewhere at
//! run time, so a page works on a village office's weak link with no CDN.

#![forbid(unsafe_code)]

use std::sync::Arc;

use axum::Router;
use uplift_app::App;

mod api;
mod auth;
mod error;
mod extract;
pub mod forms;
#[doc(hidden)]
pub mod fuzzing;
mod i18n;
mod openapi;
mod pov;
mod ui;

/// What every handler shares: the application and the compiled templates.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) app: App,
    pub(crate) templates: Arc<minijinja::Environment<'static>>,
    /// Imports running in the background for the upload page.
    pub(crate) import_jobs: ui::import_jobs::Jobs,
}

/// The whole web surface: `/api/v1/…`, `/api/openapi.json`, `/api/docs`, the UI pages and
/// `/static/…`. The CLI serves it with `axum::serve`.
pub fn router(app: App) -> Router {
    let state = AppState {
        app,
        templates: Arc::new(ui::templates()),
        import_jobs: Default::default(),
    };
    Router::new()
        .merge(api::router())
        .merge(ui::router())
        .with_state(state)
        .merge(openapi::docs_router())
        .layer(axum::middleware::from_fn(security_headers))
}

/// Security headers on every answer: a content security policy that allows only Uplift's own
/// files (Swagger UI also needs its inline styles), no framing, no MIME sniffing, and no
/// referrer to other sites.
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    use axum::http::header::{
        CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    };
    let docs = request.uri().path().starts_with("/api/docs");
    let mut response = next.run(request).await;
    let csp = if docs {
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
         script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    } else {
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// The routes outside the JSON API (pages, static files, API docs) as `(method, path)`.
pub fn page_routes() -> &'static [(&'static str, &'static str)] {
    ui::PAGE_ROUTES
}

/// The printable public notice (公告公示) of a county's fund plan and project arrangements.
pub fn notice_html(d: &uplift_app::projects::trace::Disclosure) -> anyhow::Result<String> {
    ui::projects::notice_html(d)
}

/// The same notice as an A4 PDF.
pub fn notice_pdf(d: &uplift_app::projects::trace::Disclosure) -> anyhow::Result<Vec<u8>> {
    Ok(ui::projects::notice_pdf(d)?)
}

/// The OpenAPI document of the JSON API, pretty-printed.
pub fn openapi_json() -> String {
    openapi::document()
}

/// Reads a case step written as the API's action body (`{"command": "verify", …}`, the
/// `version` optional), so the CLI takes steps exactly as `POST /api/v1/cases/{id}/actions`
/// reads them.
pub fn parse_case_command(
    mut body: serde_json::Value,
) -> Result<uplift_domain::case::Command, String> {
    if let Some(obj) = body.as_object_mut() {
        obj.entry("version").or_insert(serde_json::json!(0));
    }
    let body: api::cases::ActionBody =
        serde_json::from_value(body).map_err(|e| format!("the step cannot be read: {e}"))?;
    body.command().map_err(|e| e.view().detail)
}

/// What a case event recorded, in a line (as the case page and the API show it).
pub fn case_event_detail(event: &uplift_domain::case::Event) -> String {
    api::cases::event_detail(event)
}
