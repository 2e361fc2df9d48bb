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
mod i18n;
mod openapi;
mod pov;
mod ui;

/// What every handler shares: the application and the compiled templates.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) app: App,
    pub(crate) templates: Arc<minijinja::Environment<'static>>,
}

/// The whole web surface: `/api/v1/…`, `/api/openapi.json`, `/api/docs`, the UI pages and
/// `/static/…`. The CLI serves it with `axum::serve`.
pub fn router(app: App) -> Router {
    let state = AppState {
        app,
        templates: Arc::new(ui::templates()),
    };
    Router::new()
        .merge(api::router())
        .merge(ui::router())
        .with_state(state)
        .merge(openapi::docs_router())
}

/// The routes outside the JSON API (pages, static files, API docs) as `(method, path)`.
pub fn page_routes() -> &'static [(&'static str, &'static str)] {
    ui::PAGE_ROUTES
}

/// The OpenAPI document of the JSON API, pretty-printed.
pub fn openapi_json() -> String {
    openapi::document()
}
