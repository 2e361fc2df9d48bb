//! The server-rendered web UI: minijinja templates compiled into the binary, auto-escaped,
//! Chinese by default and English by `?lang=en` (remembered in a `lang` cookie).
//!
//! Pages call the same use cases as the API and share its figures (`api::households`). No
//! script and one small stylesheet, so a page loads on a weak phone signal.

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::{self, Lang};

mod cases;
mod changes;
mod charts;
mod dashboard;
mod documents;
mod household;
mod households;
pub(crate) mod import_jobs;
mod imports;
mod list_export;
mod login;
mod pager;
pub(crate) mod projects;
mod quality;
pub(crate) mod rectify;
mod villages;
mod warnings;

const CSS: &str = include_str!("../static/uplift.css");

pub(crate) fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // A missing message id or field fails the render (and the tests) instead of showing blank.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let sources = [
        ("base.html", include_str!("../templates/base.html")),
        (
            "households.html",
            include_str!("../templates/households.html"),
        ),
        (
            "household.html",
            include_str!("../templates/household.html"),
        ),
        ("login.html", include_str!("../templates/login.html")),
        ("projects.html", include_str!("../templates/projects.html")),
        ("project.html", include_str!("../templates/project.html")),
        ("funds.html", include_str!("../templates/funds.html")),
        (
            "fund_trace.html",
            include_str!("../templates/fund_trace.html"),
        ),
        (
            "household_trace.html",
            include_str!("../templates/household_trace.html"),
        ),
        ("assets.html", include_str!("../templates/assets.html")),
        ("notice.html", include_str!("../templates/notice.html")),
        (
            "dashboard.html",
            include_str!("../templates/dashboard.html"),
        ),
        ("home.html", include_str!("../templates/home.html")),
        ("error.html", include_str!("../templates/error.html")),
        ("cases.html", include_str!("../templates/cases.html")),
        ("case.html", include_str!("../templates/case.html")),
        (
            "assistance.html",
            include_str!("../templates/assistance.html"),
        ),
        ("visits.html", include_str!("../templates/visits.html")),
        (
            "household_changes.html",
            include_str!("../templates/household_changes.html"),
        ),
        (
            "household_change.html",
            include_str!("../templates/household_change.html"),
        ),
        ("imports.html", include_str!("../templates/imports.html")),
        (
            "import_job.html",
            include_str!("../templates/import_job.html"),
        ),
        ("quality.html", include_str!("../templates/quality.html")),
        ("warnings.html", include_str!("../templates/warnings.html")),
        ("warning.html", include_str!("../templates/warning.html")),
        ("feeds.html", include_str!("../templates/feeds.html")),
        ("rectify.html", include_str!("../templates/rectify.html")),
        ("problem.html", include_str!("../templates/problem.html")),
        ("bulletin.html", include_str!("../templates/bulletin.html")),
        (
            "responsibility.html",
            include_str!("../templates/responsibility.html"),
        ),
        ("villages.html", include_str!("../templates/villages.html")),
        ("village.html", include_str!("../templates/village.html")),
        (
            "campaigns.html",
            include_str!("../templates/campaigns.html"),
        ),
        ("campaign.html", include_str!("../templates/campaign.html")),
        ("samples.html", include_str!("../templates/samples.html")),
    ];
    for (name, source) in sources {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name} does not compile: {e:#}"));
    }
    env
}

/// Every route of the UI and the docs, `(method, path)`: the authorization test requires a row
/// of `authorization.csv` for each. Keep it in step with [`router`].
pub(crate) const PAGE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/households"),
    ("GET", "/households/{id}"),
    ("POST", "/households/{id}/unmask"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/static/uplift.css"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs/"),
    ("GET", "/dashboard"),
    ("GET", "/dashboard/export"),
    ("GET", "/cases"),
    ("GET", "/cases/{id}"),
    ("POST", "/cases/{id}/actions"),
    ("GET", "/households/{id}/assistance"),
    ("POST", "/households/{id}/cases"),
    ("POST", "/households/{id}/measures"),
    ("POST", "/households/{id}/visits"),
    ("POST", "/households/{id}/elimination"),
    ("GET", "/visits"),
    ("GET", "/cases/{id}/notice.pdf"),
    ("GET", "/cases/{id}/announcement.pdf"),
    ("GET", "/households/{id}/assistance-card.pdf"),
    ("POST", "/households/{id}/visit-uploads"),
    ("GET", "/households/{id}/photos/{photo}"),
    ("POST", "/households/{id}/changes"),
    ("GET", "/imports"),
    ("POST", "/imports"),
    ("GET", "/imports/{id}"),
    ("GET", "/imports/{id}/report.csv"),
    ("GET", "/imports/{id}/report.xlsx"),
    ("GET", "/imports/jobs/{id}"),
    ("GET", "/imports/jobs/{id}/progress"),
    ("GET", "/static/import-progress.js"),
    ("GET", "/households/export.csv"),
    ("GET", "/households/export.xlsx"),
    ("GET", "/quality"),
    ("GET", "/quality/ledger.csv"),
    ("GET", "/quality/ledger.xlsx"),
    ("GET", "/warnings"),
    ("GET", "/warnings/export.csv"),
    ("GET", "/warnings/{id}"),
    ("GET", "/feeds"),
    ("POST", "/feeds"),
    ("GET", "/projects"),
    ("POST", "/projects"),
    ("GET", "/projects/{id}"),
    ("POST", "/projects/{id}/actions"),
    ("GET", "/funds"),
    ("POST", "/funds/allocations"),
    ("POST", "/funds/plans"),
    ("GET", "/funds/plans/{id}"),
    ("GET", "/funds/notice"),
    ("GET", "/funds/notice.pdf"),
    ("GET", "/households/{id}/trace"),
    ("GET", "/assets"),
    ("GET", "/rectify"),
    ("POST", "/rectify"),
    ("POST", "/rectify/import"),
    ("GET", "/rectify/ledger.xlsx"),
    ("GET", "/rectify/{id}"),
    ("POST", "/rectify/{id}/actions"),
    ("GET", "/bulletin"),
    ("GET", "/responsibility"),
    ("POST", "/responsibility"),
    ("POST", "/responsibility/tasks"),
    ("POST", "/responsibility/tasks/{id}/complete"),
    ("GET", "/villages"),
    ("GET", "/villages/export.xlsx"),
    ("GET", "/villages/export.csv"),
    ("GET", "/villages/{region}"),
    ("POST", "/villages/{region}/indicators"),
    ("GET", "/campaigns"),
    ("POST", "/campaigns"),
    ("GET", "/campaigns/{id}"),
    ("GET", "/campaigns/{id}/list.xlsx"),
    ("POST", "/campaigns/{id}/visits"),
    ("GET", "/samples"),
    ("GET", "/samples/forms.xlsx"),
    ("GET", "/samples/forms.csv"),
    ("GET", "/samples/forms.pdf"),
];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::home))
        .route("/dashboard", get(dashboard::page))
        .route("/dashboard/export", get(dashboard::export))
        .route("/households", get(households::page))
        .route("/households/{id}", get(household::page))
        .route(
            "/households/{id}/unmask",
            axum::routing::post(household::unmask),
        )
        .route("/cases", get(cases::queue))
        .route("/cases/{id}", get(cases::page))
        .route("/cases/{id}/actions", axum::routing::post(cases::act))
        .route("/households/{id}/assistance", get(cases::assistance))
        .route(
            "/households/{id}/cases",
            axum::routing::post(cases::open_clue),
        )
        .route(
            "/households/{id}/measures",
            axum::routing::post(cases::record_measure),
        )
        .route(
            "/households/{id}/visits",
            axum::routing::post(cases::record_visit),
        )
        .route(
            "/households/{id}/elimination",
            axum::routing::post(cases::propose),
        )
        .route("/visits", get(cases::schedule))
        .route("/cases/{id}/notice.pdf", get(documents::notice))
        .route("/cases/{id}/announcement.pdf", get(documents::announcement))
        .route("/households/{id}/assistance-card.pdf", get(documents::card))
        .route(
            "/households/{id}/visit-uploads",
            axum::routing::post(documents::upload_visit).layer(
                axum::extract::DefaultBodyLimit::max(crate::api::documents::MAX_VISIT_UPLOAD),
            ),
        )
        .route("/households/{id}/photos/{photo}", get(documents::photo))
        .route(
            "/households/{id}/changes",
            axum::routing::post(changes::post),
        )
        .route(
            "/imports",
            get(imports::form)
                .post(imports::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::api::uploads::MAX_UPLOAD,
                )),
        )
        .route("/imports/{id}", get(imports::batch_page))
        .route("/imports/{id}/report.csv", get(imports::report_csv))
        .route("/imports/{id}/report.xlsx", get(imports::report_xlsx))
        .route("/imports/jobs/{id}", get(import_jobs::page))
        .route("/imports/jobs/{id}/progress", get(import_jobs::progress))
        .route("/static/import-progress.js", get(import_jobs::script))
        .route("/households/export.csv", get(imports::export_csv))
        .route("/households/export.xlsx", get(imports::export_xlsx))
        .route("/quality", get(quality::page))
        .route("/quality/ledger.csv", get(quality::ledger_csv))
        .route("/quality/ledger.xlsx", get(quality::ledger_xlsx))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", axum::routing::post(login::logout))
        .route("/static/uplift.css", get(stylesheet))
        .route("/warnings", get(warnings::list))
        .route("/warnings/export.csv", get(warnings::export))
        .route("/warnings/{id}", get(warnings::detail))
        .route(
            "/feeds",
            get(warnings::feeds).post(warnings::upload).layer(
                axum::extract::DefaultBodyLimit::max(crate::api::warnings::MAX_UPLOAD + 65_536),
            ),
        )
        .route("/projects", get(projects::library).post(projects::propose))
        .route("/projects/{id}", get(projects::page))
        .route("/projects/{id}/actions", axum::routing::post(projects::act))
        .route("/funds", get(projects::funds))
        .route(
            "/funds/allocations",
            axum::routing::post(projects::allocate),
        )
        .route("/funds/plans", axum::routing::post(projects::add_plan))
        .route("/funds/plans/{id}", get(projects::fund_trace))
        .route("/funds/notice", get(projects::notice))
        .route("/funds/notice.pdf", get(projects::notice_pdf_page))
        .route("/households/{id}/trace", get(projects::household_trace))
        .route("/assets", get(projects::assets))
        .merge(rectify_routes())
        .merge(villages::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(list_export::layer))
}

/// The rectification ledger, the responsibility tree and the bulletin (`ui::rectify`).
fn rectify_routes() -> Router<AppState> {
    use axum::routing::post;
    let upload = || axum::extract::DefaultBodyLimit::max(crate::api::rectify::MAX_UPLOAD);
    Router::new()
        .route("/rectify", get(rectify::ledger_page).post(rectify::record))
        .route(
            "/rectify/import",
            post(rectify::import_page).layer(upload()),
        )
        .route("/rectify/ledger.xlsx", get(rectify::ledger_xlsx))
        .route("/rectify/{id}", get(rectify::detail))
        .route("/rectify/{id}/actions", post(rectify::act).layer(upload()))
        .route("/bulletin", get(rectify::bulletin_page))
        .route(
            "/responsibility",
            get(rectify::responsibility).post(rectify::set_secretary),
        )
        .route("/responsibility/tasks", post(rectify::assign_task))
        .route(
            "/responsibility/tasks/{id}/complete",
            post(rectify::complete_task),
        )
}

/// The stylesheet's URL carries a hash of its content, so it can be cached for a year.
fn stylesheet_href() -> String {
    // FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
    let hash = CSS.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("/static/uplift.css?v={:08x}", hash >> 32)
}

async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}

async fn not_found(state: axum::extract::State<AppState>, ui: UiLang) -> Response {
    error_page(&state, &ui, ApiError::NotFound("page".to_owned()))
}

#[derive(Deserialize)]
struct LangParams {
    lang: Option<String>,
}

/// The language of a page and the links that switch it. From `?lang=`, else the `lang`
/// cookie, else Chinese; an explicit `?lang=` is remembered in the cookie.
pub(crate) struct UiLang {
    pub(crate) lang: Lang,
    remember: bool,
    switch_href: String,
}

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let from_query = axum::extract::Query::<LangParams>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.lang)
            .and_then(|s| Lang::parse(&s));
        let from_cookie = parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().strip_prefix("lang="))
            .find_map(Lang::parse);
        let lang = from_query.or(from_cookie).unwrap_or(Lang::Zh);
        let mut pairs: Vec<&str> = parts
            .uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang="))
            .collect();
        let switch = format!("lang={}", lang.other().code());
        pairs.push(&switch);
        let switch_href = format!("{}?{}", parts.uri.path(), pairs.join("&"));
        Ok(UiLang {
            lang,
            remember: from_query.is_some(),
            switch_href,
        })
    }
}

/// What every page's chrome needs.
#[derive(Serialize)]
pub(crate) struct Chrome {
    lang: &'static str,
    lang_tag: &'static str,
    t: std::collections::BTreeMap<&'static str, &'static str>,
    switch_href: String,
    stylesheet: String,
    /// The logged-in user, shown in the header with a logout button.
    user: Option<UserChrome>,
}

#[derive(Serialize)]
pub(crate) struct UserChrome {
    name: String,
    role: String,
    scope: String,
    csrf: String,
}

impl UiLang {
    /// The chrome of a page without a logged-in user (login and error pages).
    pub(crate) fn chrome(&self) -> Chrome {
        Chrome {
            lang: self.lang.code(),
            lang_tag: self.lang.tag(),
            t: i18n::table(self.lang),
            switch_href: self.switch_href.clone(),
            stylesheet: stylesheet_href(),
            user: None,
        }
    }

    /// The chrome of a page, showing who is logged in and the region they answer for.
    pub(crate) async fn chrome_for(&self, state: &AppState, caller: &Caller) -> Chrome {
        let p = &caller.principal;
        let scope = match &p.region {
            Some(code) => match state.app.store.region(code).await {
                Ok(Some(region)) => format!("{} {}", region.name, code.prefix()),
                _ => code.prefix().to_owned(),
            },
            None => String::new(),
        };
        let role = p
            .role
            .map(|r| match self.lang {
                Lang::Zh => uplift_domain::household::Codebook::zh(r).to_owned(),
                Lang::En => i18n::humanize(uplift_domain::household::Codebook::code(r)),
            })
            .unwrap_or_default();
        Chrome {
            user: Some(UserChrome {
                name: p.name.clone(),
                role,
                scope,
                csrf: caller.csrf_token.clone(),
            }),
            ..self.chrome()
        }
    }
}

/// Renders a template into an HTML answer, setting the language cookie when asked to.
pub(crate) fn render<C: Serialize>(
    state: &AppState,
    ui: &UiLang,
    status: StatusCode,
    name: &str,
    ctx: C,
) -> Result<Response, ApiError> {
    let html = state
        .templates
        .get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(ctx)))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("template {name} failed: {e:#}")))?;
    let mut res = (status, Html(html)).into_response();
    // Pages may hold personal data: never store them in shared caches.
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if ui.remember {
        let cookie = format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            ui.lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().insert(SET_COOKIE, v);
        }
    }
    Ok(res)
}

#[derive(Serialize)]
struct ErrorContext {
    #[serde(flatten)]
    chrome: Chrome,
    status: u16,
    message: String,
}

/// The HTML counterpart of the API's error envelope.
pub(crate) fn error_page(state: &AppState, ui: &UiLang, err: ApiError) -> Response {
    let status = err.status();
    let view = err.view();
    let message = match err {
        ApiError::BadRequest { .. } => format!(
            "{}{}",
            i18n::message(ui.lang, "error_bad_request"),
            view.detail
        ),
        ApiError::NotFound(_) => i18n::message(ui.lang, "error_not_found").to_owned(),
        ApiError::Forbidden(_) | ApiError::Unauthorized => {
            i18n::message(ui.lang, "error_forbidden").to_owned()
        }
        _ => i18n::message(ui.lang, "error_internal").to_owned(),
    };
    let ctx = ErrorContext {
        chrome: ui.chrome(),
        status: status.as_u16(),
        message,
    };
    match render(state, ui, status, "error.html", ctx) {
        Ok(res) => res,
        Err(failure) => {
            // The error page itself failed: log why, answer in plain text.
            let _logged = failure.view();
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Percent-encodes a query string from pairs, skipping empty values.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if encoded.is_empty() {
        String::new()
    } else {
        format!("?{}", encoded.join("&"))
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_encoded_and_skip_empty_values() {
        assert_eq!(
            query_string(&[("q", "张 三&"), ("as_of", ""), ("page", "2")]),
            "?q=%E5%BC%A0%20%E4%B8%89%26&page=2"
        );
        assert_eq!(query_string(&[("q", "")]), "");
    }

    #[test]
    fn every_template_compiles() {
        let env = templates();
        for name in [
            "base.html",
            "households.html",
            "household.html",
            "error.html",
            "login.html",
            "dashboard.html",
            "home.html",
            "cases.html",
            "case.html",
            "assistance.html",
            "visits.html",
            "household_changes.html",
            "household_change.html",
            "imports.html",
            "quality.html",
            "warnings.html",
            "warning.html",
            "feeds.html",
        ] {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }
}
