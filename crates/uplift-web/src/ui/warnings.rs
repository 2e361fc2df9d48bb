//! `/warnings` (the inbox, one warning's explanation, the CSV export) and `/feeds` (upload a
//! department feed; the matched/unmatched summary and the unmatched rows).

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use uplift_app::feeds::FeedKind;
use uplift_app::feeds::screening::{
    ImportOutcome, all_warnings, export_csv, export_rows, overdue, risk_name,
};
use uplift_domain::access::Action;
use uplift_domain::household::Codebook;

use crate::AppState;
use crate::api::warnings::{
    WarningParams, feed_scope, import_upload, load_warning, read_upload, rule_details,
};
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::extract::Query;
use crate::i18n::{self, Lang};
use crate::ui::{Chrome, UiLang, error_page, query_string, render};

#[derive(Serialize)]
struct ListContext {
    #[serde(flatten)]
    chrome: Chrome,
    region: String,
    risk: String,
    state: String,
    rules: Vec<Opt>,
    rows: Vec<Row>,
    total_text: String,
    page_text: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    export_href: String,
}

#[derive(Serialize)]
struct Opt {
    code: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct Row {
    href: String,
    household_no: String,
    village: String,
    risk: String,
    rules: String,
    state: String,
    overdue: bool,
    due: String,
}

fn state_label(state: &str, lang: Lang) -> String {
    match state {
        "open" => i18n::message(lang, "state_open").to_owned(),
        "withdrawn" => i18n::message(lang, "state_withdrawn").to_owned(),
        other => other.to_owned(),
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<WarningParams>, ApiError>,
) -> Response {
    match build_list(&state, &ui, &caller, params).await {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}

async fn build_list(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    params: Result<Query<WarningParams>, ApiError>,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let Query(params) = params?;
    let filter = params.filter(caller.scope())?;
    let page = params.page()?;
    let app = &state.app;
    let listed = app.store.warnings(&filter, page).await?;
    let today = app.clock.today();
    let t = i18n::table(ui.lang);
    let region = filter
        .region
        .map(|r| r.prefix().to_owned())
        .unwrap_or_default();
    let risk = filter.risk.clone().unwrap_or_default();
    let st = filter.state.clone().unwrap_or_default();
    let rule = filter.rule.clone().unwrap_or_default();
    let per_page = params.per_page.clone().unwrap_or_default();
    let href = |base: &str, page: &str| {
        format!(
            "{base}{}",
            query_string(&[
                ("region", &region),
                ("rule", &rule),
                ("risk", &risk),
                ("state", &st),
                ("per_page", &per_page),
                ("page", page),
            ])
        )
    };
    let rows = listed
        .items
        .iter()
        .map(|w| Row {
            href: format!("/warnings/{}", w.id),
            household_no: w.warning.household_no.clone(),
            village: w.warning.village.clone(),
            risk: format!("{} {}", w.warning.risk_type, risk_name(app, w, today)),
            rules: w.warning.rules.replace(',', ", "),
            state: state_label(&w.state, ui.lang),
            overdue: overdue(w, today),
            due: w.warning.due.to_string(),
        })
        .collect();
    let pages = listed.total.div_ceil(u64::from(page.size)).max(1);
    let number = u64::from(page.number);
    let rules = uplift_app::feeds::RuleCode::ALL
        .iter()
        .map(|r| Opt {
            code: r.as_str().to_owned(),
            label: r.as_str().to_owned(),
            selected: r.as_str() == rule,
        })
        .collect();
    let ctx = ListContext {
        chrome: ui.chrome_for(state, caller).await,
        region: region.clone(),
        risk: risk.clone(),
        state: st.clone(),
        rules,
        rows,
        total_text: t["total_warnings"].replace("{n}", &listed.total.to_string()),
        page_text: t["page_of"]
            .replace("{page}", &number.to_string())
            .replace("{pages}", &pages.to_string()),
        prev_href: (number > 1).then(|| href("/warnings", &(number - 1).to_string())),
        next_href: (number < pages).then(|| href("/warnings", &(number + 1).to_string())),
        export_href: href("/warnings/export.csv", ""),
    };
    render(state, ui, StatusCode::OK, "warnings.html", ctx)
}

/// The filtered list as CSV (one row per warning and rule), like `uplift export warnings`.
pub(crate) async fn export(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<WarningParams>, ApiError>,
) -> Response {
    let built = async {
        caller.require(Action::ReadRegistry)?;
        let Query(params) = params?;
        let filter = params.filter(caller.scope())?;
        let warnings = all_warnings(&state.app, &filter)
            .await
            .map_err(crate::api::warnings::feed_error)?;
        let rows = export_rows(&state.app, &warnings, state.app.clock.today());
        Ok::<_, ApiError>(export_csv(&rows))
    };
    match built.await {
        Ok(text) => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8"),
                (CONTENT_DISPOSITION, "attachment; filename=\"warnings.csv\""),
                (CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        Err(err) => error_page(&state, &ui, err),
    }
}

#[derive(Serialize)]
struct DetailContext {
    #[serde(flatten)]
    chrome: Chrome,
    household_no: String,
    household_href: String,
    village: String,
    risk: String,
    state: String,
    overdue: bool,
    due: String,
    updated_at: String,
    rules: Vec<Opt>,
    lines: Vec<String>,
}

pub(crate) async fn detail(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> Response {
    let built = async {
        caller.require(Action::ReadRegistry)?;
        let app = &state.app;
        let w = load_warning(app, &caller, &raw).await?;
        let today = app.clock.today();
        let rules = rule_details(app, &w)
            .into_iter()
            .map(|r| Opt {
                label: match ui.lang {
                    Lang::Zh => r.zh,
                    Lang::En => r.en,
                },
                code: r.code,
                selected: false,
            })
            .collect();
        let ctx = DetailContext {
            chrome: ui.chrome_for(&state, &caller).await,
            household_no: w.warning.household_no.clone(),
            household_href: format!("/households/{}", w.warning.household_id),
            village: w.warning.village.clone(),
            risk: format!("{} {}", w.warning.risk_type, risk_name(app, &w, today)),
            state: state_label(&w.state, ui.lang),
            overdue: overdue(&w, today),
            due: w.warning.due.to_string(),
            updated_at: w.updated_at.clone(),
            rules,
            lines: w
                .warning
                .explanation
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        render(&state, &ui, StatusCode::OK, "warning.html", ctx)
    };
    match built.await {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}

#[derive(Serialize)]
struct FeedsContext {
    #[serde(flatten)]
    chrome: Chrome,
    may_upload: bool,
    csrf: String,
    kinds: Vec<Opt>,
    result: Option<ResultView>,
    batches: Vec<BatchRow>,
}

#[derive(Serialize)]
struct ResultView {
    title: String,
    summary: String,
    unmatched: Vec<UnmatchedRow>,
}

#[derive(Serialize)]
struct UnmatchedRow {
    row: u64,
    target: String,
}

#[derive(Serialize)]
struct BatchRow {
    id: i64,
    kind: String,
    source: String,
    period: String,
    rows: u64,
    matched: u64,
    unmatched: u64,
}

async fn feeds_page(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    result: Option<&ImportOutcome>,
) -> Result<Response, ApiError> {
    let app = &state.app;
    let batches = app.store.feed_batches(&feed_scope(caller)).await?;
    let t = i18n::table(ui.lang);
    let kind_label = |k: FeedKind| match ui.lang {
        Lang::Zh => k.zh().to_owned(),
        Lang::En => i18n::humanize(k.key()),
    };
    let p = &caller.principal;
    let county = p.may(Action::ImportRegistry);
    let kinds = FeedKind::ALL
        .into_iter()
        .filter(|k| county || p.department.is_some_and(|d| d.code() == k.key()))
        .map(|k| Opt {
            code: k.key().to_owned(),
            label: kind_label(k),
            selected: false,
        })
        .collect::<Vec<_>>();
    let result = result.map(|out| {
        let b = &out.batch.batch;
        ResultView {
            title: if out.already {
                t["feed_already"].to_owned()
            } else {
                format!("{} #{}", t["feed_imported"], out.batch.id)
            },
            summary: t["feed_summary"]
                .replace("{n}", &b.rows.to_string())
                .replace("{matched}", &b.matched.to_string())
                .replace("{unmatched}", &b.unmatched.to_string()),
            unmatched: out
                .unmatched
                .iter()
                .map(|(row, target)| UnmatchedRow {
                    row: *row,
                    target: target.clone(),
                })
                .collect(),
        }
    });
    let ctx = FeedsContext {
        chrome: ui.chrome_for(state, caller).await,
        may_upload: !kinds.is_empty() && (county || p.may(Action::UploadFeed)),
        csrf: caller.csrf_token.clone(),
        kinds,
        result,
        batches: batches
            .iter()
            .map(|b| BatchRow {
                id: b.id,
                kind: FeedKind::parse(&b.batch.kind)
                    .map(kind_label)
                    .unwrap_or_else(|| b.batch.kind.clone()),
                source: b.batch.source.clone(),
                period: match (b.batch.period_from, b.batch.period_to) {
                    (Some(f), Some(t)) => format!("{f} – {t}"),
                    _ => String::new(),
                },
                rows: b.batch.rows,
                matched: b.batch.matched,
                unmatched: b.batch.unmatched,
            })
            .collect(),
    };
    render(state, ui, StatusCode::OK, "feeds.html", ctx)
}

pub(crate) async fn feeds(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
) -> Response {
    let built = async {
        caller.require(Action::ReadFeedSummary)?;
        feeds_page(&state, &ui, &caller, None).await
    };
    match built.await {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}

pub(crate) async fn upload(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    form: Multipart,
) -> Response {
    let built = async {
        let mut up = read_upload(form).await?;
        caller.check_csrf(up.csrf.take().as_deref())?;
        if !caller.principal.may(Action::ImportRegistry) {
            caller.require(Action::UploadFeed)?;
        }
        let out = import_upload(&state.app, &caller, up).await?;
        feeds_page(&state, &ui, &caller, Some(&out)).await
    };
    match built.await {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}
