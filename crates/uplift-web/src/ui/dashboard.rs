//! `/dashboard`: a region's figures with charts, breadcrumbs and the child regions' table;
//! `/dashboard/export`: the same table as CSV or Excel (small cells always suppressed);
//! `/`: the home page, the caller's own dashboard summary and what needs their action.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uplift_domain::access::Action;
use uplift_domain::household::{Codebook, Health, HouseholdType, Labour};

use crate::AppState;
use crate::api::dashboard::{self as api, CellView, DashboardParams, DashboardView, FigureView};
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::extract::Query;
use crate::i18n::{self, Lang};
use crate::pov::PointOfViewParams;
use crate::ui::charts::{self, Datum};
use crate::ui::households::{past_banner, type_label};
use crate::ui::{Chrome, UiLang, error_page, query_string, render};

/// The label of a cell of a figure.
fn cell_label(figure: &str, key: &str, lang: Lang) -> String {
    let code = |zh: &str| match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => i18n::humanize(key),
    };
    match figure {
        "households" | "persons" => HouseholdType::parse(key)
            .map(|t| type_label(t, lang))
            .unwrap_or_else(|_| key.to_owned()),
        "income_bands" | "income_bands_formerly_poor" => {
            i18n::message(lang, &format!("band_{key}")).to_owned()
        }
        "health" => Health::parse(key)
            .map(|h| code(h.zh()))
            .unwrap_or_else(|_| key.to_owned()),
        "labour" => Labour::parse(key)
            .map(|l| code(l.zh()))
            .unwrap_or_else(|_| key.to_owned()),
        "quality" => i18n::message(lang, &format!("quality_{key}")).to_owned(),
        _ => key.to_owned(),
    }
}

fn figure_title(id: &str, lang: Lang) -> &'static str {
    i18n::message(lang, &format!("fig_{id}"))
}

fn data(f: &FigureView, lang: Lang) -> Vec<Datum> {
    f.cells
        .iter()
        .map(|c| Datum {
            label: cell_label(f.id, &c.key, lang),
            value: c.value,
            text: c.display.clone(),
            href: c.households_href.clone(),
        })
        .collect()
}

#[derive(Serialize)]
struct Section {
    id: &'static str,
    title: &'static str,
    svg: String,
    total: String,
}

#[derive(Serialize)]
struct Tile {
    label: String,
    text: String,
    href: Option<String>,
}

#[derive(Serialize)]
struct Crumb {
    name: String,
    href: String,
}

#[derive(Serialize)]
struct ChildRow {
    name: String,
    href: String,
    cells: Vec<String>,
}

#[derive(Serialize)]
struct DashboardContext {
    #[serde(flatten)]
    chrome: Chrome,
    title: String,
    banner: Option<String>,
    crumbs: Vec<Crumb>,
    region: String,
    as_of: String,
    line_text: String,
    suppress_note: Option<String>,
    tiles: Vec<Tile>,
    sections: Vec<Section>,
    growth_text: Option<String>,
    per_capita: Vec<(String, String)>,
    child_headers: Vec<String>,
    children: Vec<ChildRow>,
    export_csv: String,
    export_xlsx: String,
}

fn figure<'a>(v: &'a [FigureView], id: &str) -> Option<&'a FigureView> {
    v.iter().find(|f| f.id == id)
}

fn cell<'a>(v: &'a [FigureView], id: &str, key: &str) -> Option<&'a CellView> {
    figure(v, id).and_then(|f| f.cells.iter().find(|c| c.key == key))
}

fn tiles(view: &DashboardView, lang: Lang) -> Vec<Tile> {
    let mut tiles = Vec::new();
    for (fig, label_id) in [
        ("households", "tile_households"),
        ("persons", "tile_persons"),
    ] {
        for t in HouseholdType::ALL {
            if let Some(c) = cell(&view.figures, fig, t.code()) {
                tiles.push(Tile {
                    label: format!(
                        "{} · {}",
                        type_label(*t, lang),
                        i18n::message(lang, label_id)
                    ),
                    text: c.display.clone(),
                    href: c.households_href.clone(),
                });
            }
        }
    }
    if let Some(c) = cell(&view.figures, "income_bands", "below_line") {
        tiles.push(Tile {
            label: i18n::message(lang, "tile_below_line").to_owned(),
            text: c.display.clone(),
            href: c.households_href.clone(),
        });
    }
    tiles
}

/// The columns of the child regions' table: `(figure, cell)`.
const CHILD_COLUMNS: [(&str, &str); 7] = [
    ("households", "formerly_poor"),
    ("households", "ordinary"),
    ("persons", "formerly_poor"),
    ("persons", "ordinary"),
    ("income_bands", "below_line"),
    ("income_bands", "near_line"),
    ("income_bands", "no_record"),
];

async fn build(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    params: Result<Query<DashboardParams>, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
) -> Result<Response, ApiError> {
    let Query(params) = params?;
    let Query(pov_params) = pov?;
    let (dash, pov) = api::load(state, caller, params.region.as_deref(), &pov_params).await?;
    let suppress = api::suppresses_for(caller);
    let view = api::view(&dash, &pov_params, suppress, true);
    let lang = ui.lang;
    let as_of = pov_params.as_of.clone().unwrap_or_default();
    let known_at = pov_params.known_at.clone().unwrap_or_default();
    let dash_href = |code: &str| {
        format!(
            "/dashboard{}",
            query_string(&[("region", code), ("as_of", &as_of), ("known_at", &known_at)])
        )
    };
    let own = caller.principal.region;
    let crumbs = dash
        .path
        .iter()
        .filter(|r| own.is_none_or(|o| o.contains(&r.code)))
        .map(|r| Crumb {
            name: r.name.clone(),
            href: dash_href(r.code.prefix()),
        })
        .collect();
    let mut sections = Vec::new();
    for f in &view.figures {
        if matches!(f.id, "income_net_fen" | "income_persons" | "persons") {
            continue;
        }
        let title = figure_title(f.id, lang);
        let d = data(f, lang);
        let svg = match f.chart {
            "donut" => charts::donut(title, &d),
            "distribution" => charts::distribution(title, &d),
            _ => charts::bars(title, &d),
        };
        sections.push(Section {
            id: f.id,
            title,
            svg,
            total: i18n::message(lang, "total_n").replace("{n}", &f.total.to_string()),
        });
    }
    let child_headers = CHILD_COLUMNS
        .iter()
        .map(|(fig, key)| {
            format!(
                "{} · {}",
                cell_label(fig, key, lang),
                figure_title(fig, lang)
            )
        })
        .collect();
    let children = view
        .children
        .iter()
        .zip(&dash.children)
        .map(|(c, (region, _))| ChildRow {
            name: c.region.name.clone(),
            href: dash_href(region.code.prefix()),
            cells: CHILD_COLUMNS
                .iter()
                .map(|(fig, key)| {
                    cell(&c.figures, fig, key)
                        .map(|x| x.display.clone())
                        .unwrap_or_else(|| "0".into())
                })
                .collect(),
        })
        .collect();
    let export = |format: &str| {
        format!(
            "/dashboard/export{}",
            query_string(&[
                ("region", dash.region.code.prefix()),
                ("as_of", &as_of),
                ("known_at", &known_at),
                ("format", format),
            ])
        )
    };
    let ctx = DashboardContext {
        title: format!(
            "{} · {}",
            dash.region.name,
            i18n::message(lang, "dashboard_title")
        ),
        banner: pov.is_past().then(|| past_banner(lang, &pov)),
        crumbs,
        region: dash.region.code.prefix().to_owned(),
        as_of: as_of.clone(),
        line_text: view
            .monitoring_line
            .as_ref()
            .map(|l| i18n::message(lang, "line_in_force").replace("{line}", l))
            .unwrap_or_default(),
        suppress_note: suppress.then(|| {
            i18n::message(lang, "suppress_note").replace("{k}", &dash.min_cell.to_string())
        }),
        tiles: tiles(&view, lang),
        sections,
        growth_text: view
            .formerly_poor_growth_percent
            .as_ref()
            .map(|g| i18n::message(lang, "growth_text").replace("{percent}", g)),
        per_capita: view
            .formerly_poor_per_capita
            .iter()
            .map(|y| {
                (
                    y.year.clone(),
                    y.amount.clone().unwrap_or_else(|| "—".into()),
                )
            })
            .collect(),
        child_headers,
        children,
        export_csv: export("csv"),
        export_xlsx: export("xlsx"),
        chrome: ui.chrome_for(state, caller).await,
    };
    render(state, ui, StatusCode::OK, "dashboard.html", ctx)
}

pub(crate) async fn page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<DashboardParams>, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
) -> Response {
    match build(&state, &ui, &caller, params, pov).await {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExportParams {
    format: Option<String>,
}

/// The table of an export: a header row, then the region and each child, one column per cell.
fn export_table(view: &DashboardView, lang: Lang) -> Vec<Vec<String>> {
    let mut header = vec![
        i18n::message(lang, "col_region_code").to_owned(),
        i18n::message(lang, "col_region").to_owned(),
    ];
    for f in &view.figures {
        for c in &f.cells {
            header.push(format!(
                "{} · {}",
                figure_title(f.id, lang),
                cell_label(f.id, &c.key, lang)
            ));
        }
    }
    let row = |code: &str, name: &str, figures: &[FigureView]| {
        let mut row = vec![code.to_owned(), name.to_owned()];
        for f in &view.figures {
            for c in &f.cells {
                row.push(
                    cell(figures, f.id, &c.key)
                        .map(|x| x.display.clone())
                        .unwrap_or_else(|| "0".into()),
                );
            }
        }
        row
    };
    let mut rows = vec![
        header,
        row(&view.region.code, &view.region.name, &view.figures),
    ];
    for c in &view.children {
        rows.push(row(&c.region.code, &c.region.name, &c.figures));
    }
    rows
}

fn csv_bytes(rows: &[Vec<String>]) -> Result<Vec<u8>, ApiError> {
    // A byte-order mark, so Excel opens the UTF-8 Chinese text correctly.
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for r in rows {
            w.write_record(r)
                .map_err(|e| ApiError::Internal(e.into()))?;
        }
        w.flush().map_err(|e| ApiError::Internal(e.into()))?;
    }
    Ok(out)
}

fn xlsx_bytes(rows: &[Vec<String>]) -> Result<Vec<u8>, ApiError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            let written = match value.parse::<i64>() {
                Ok(n) if c >= 2 && r > 0 => sheet.write_number(r, c, n as f64).map(|_| ()),
                _ if r == 0 => sheet
                    .write_string_with_format(r, c, value, &bold)
                    .map(|_| ()),
                _ => sheet.write_string(r, c, value).map(|_| ()),
            };
            written.map_err(|e| ApiError::Internal(e.into()))?;
        }
    }
    book.save_to_buffer()
        .map_err(|e| ApiError::Internal(e.into()))
}

/// The dashboard table as a file. Small cells are suppressed for every caller: a file travels.
pub(crate) async fn export(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<DashboardParams>, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
    format: Result<Query<ExportParams>, ApiError>,
) -> Response {
    let result = async {
        let Query(params) = params?;
        let Query(pov_params) = pov?;
        let Query(format) = format?;
        let (dash, _) = api::load(&state, &caller, params.region.as_deref(), &pov_params).await?;
        let view = api::view(&dash, &pov_params, true, false);
        let rows = export_table(&view, ui.lang);
        let name = format!("dashboard-{}-{}", dash.region.code.prefix(), dash.at.as_of);
        let (body, content_type, ext) = match format.format.as_deref().unwrap_or("csv") {
            "csv" => (csv_bytes(&rows)?, "text/csv; charset=utf-8", "csv"),
            "xlsx" => (
                xlsx_bytes(&rows)?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            other => {
                return Err(ApiError::parameter(
                    "format",
                    format!("format: {other:?} is not csv or xlsx"),
                ));
            }
        };
        Ok::<Response, ApiError>(
            (
                [
                    (CONTENT_TYPE, content_type.to_owned()),
                    (
                        CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.{ext}\""),
                    ),
                    (CACHE_CONTROL, "no-store".to_owned()),
                ],
                body,
            )
                .into_response(),
        )
    }
    .await;
    match result {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}

#[derive(Serialize)]
struct ActionItem {
    text: String,
    href: String,
}

#[derive(Serialize)]
struct HomeContext {
    #[serde(flatten)]
    chrome: Chrome,
    heading: String,
    tiles: Vec<Tile>,
    actions: Vec<ActionItem>,
    dashboard_href: Option<String>,
    note: Option<String>,
}

/// The home page: the caller's own region at a glance and what needs their action. Later
/// sources (tasks due, open warnings, visits due) add [`ActionItem`]s here.
pub(crate) async fn home(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
) -> Response {
    let lang = ui.lang;
    let result = async {
        let mut tiles = Vec::new();
        let mut actions = Vec::new();
        let mut dashboard_href = None;
        let mut note = None;
        if caller.principal.may(Action::ReadRegistry) && caller.principal.region.is_some() {
            let pov = PointOfViewParams::default();
            let (dash, _) = api::load(&state, &caller, None, &pov).await?;
            let view = api::view(&dash, &pov, api::suppresses_for(&caller), true);
            tiles = tiles_of(&view, lang);
            let region = dash.region.code.prefix().to_owned();
            if let Some(c) = cell(&view.figures, "income_bands", "below_line")
                && c.value != Some(0)
            {
                actions.push(ActionItem {
                    text: i18n::message(lang, "action_below_line").replace("{n}", &c.display),
                    href: c.households_href.clone().unwrap_or_default(),
                });
            }
            if let Some(q) = figure(&view.figures, "quality")
                && q.total > 0
            {
                actions.push(ActionItem {
                    text: i18n::message(lang, "action_quality")
                        .replace("{n}", &q.total.to_string()),
                    href: format!("/dashboard{}#quality", query_string(&[("region", &region)])),
                });
            }
            dashboard_href = Some(format!(
                "/dashboard{}",
                query_string(&[("region", &region)])
            ));
        } else {
            note = Some(i18n::message(lang, "home_no_registry").to_owned());
        }
        for (text, href) in crate::ui::cases::reminders(&state, &caller, lang).await {
            actions.push(ActionItem { text, href });
        }
        for (text, href) in crate::ui::rectify::reminders(&state, &caller, lang).await {
            actions.push(ActionItem { text, href });
        }
        if actions.is_empty() && note.is_none() {
            note = Some(i18n::message(lang, "home_nothing_due").to_owned());
        }
        let ctx = HomeContext {
            heading: i18n::message(lang, "home_title").to_owned(),
            tiles,
            actions,
            dashboard_href,
            note,
            chrome: ui.chrome_for(&state, &caller).await,
        };
        render(&state, &ui, StatusCode::OK, "home.html", ctx)
    }
    .await;
    match result {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}

fn tiles_of(view: &DashboardView, lang: Lang) -> Vec<Tile> {
    tiles(view, lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_of_the_registry_figures_has_a_label_in_both_languages() {
        for lang in [Lang::Zh, Lang::En] {
            for id in uplift_app::dashboard::REGISTRY_FIGURES {
                assert!(!figure_title(id, lang).is_empty());
            }
            for band in uplift_app::dashboard::IncomeBand::ALL {
                assert!(!cell_label("income_bands", band.code(), lang).is_empty());
            }
            for q in ["no_members", "no_head", "several_heads"] {
                assert!(!cell_label("quality", q, lang).is_empty());
            }
        }
        assert_eq!(cell_label("health", "disabled", Lang::Zh), "残疾");
        assert_eq!(cell_label("health", "disabled", Lang::En), "Disabled");
    }
}
