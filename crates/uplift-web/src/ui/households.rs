//! `/households`: the household ledger (台账) with filters, paging and a point of view.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use uplift_app::households;
use uplift_domain::household::{Codebook, HouseholdType};
use uplift_domain::region::Region;

use crate::AppState;
use crate::api::households::village_names;
use crate::auth::PageCaller;
use crate::error::ApiError;
use crate::extract::Query;
use crate::i18n::{self, Lang};
use crate::pov::{ListParams, PointOfViewParams};
use crate::ui::{Chrome, UiLang, error_page, query_string, render};
use uplift_domain::access::Action;

#[derive(Serialize)]
struct ListContext {
    #[serde(flatten)]
    chrome: Chrome,
    /// The same list (every row, not only this page) as Excel and CSV.
    export_xlsx: String,
    export_csv: String,
    region: String,
    household_type: String,
    q: String,
    band: String,
    band_label: String,
    as_of: String,
    known_at: String,
    banner: Option<String>,
    region_path: Vec<RegionLink>,
    subregions: Vec<RegionLink>,
    types: Vec<TypeOption>,
    rows: Vec<Row>,
    total_text: String,
    page_text: String,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Serialize)]
struct RegionLink {
    code: String,
    name: String,
    href: String,
}

#[derive(Serialize)]
struct TypeOption {
    code: &'static str,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct Row {
    href: String,
    household_no: String,
    household_type: String,
    formerly_poor: bool,
    village: String,
    head: String,
    members: u32,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    list: Result<Query<ListParams>, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
) -> Response {
    match build(&state, &ui, &caller, list, pov).await {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}

pub(crate) fn type_label(t: HouseholdType, lang: Lang) -> String {
    match lang {
        Lang::Zh => t.zh().to_owned(),
        Lang::En => i18n::humanize(t.code()),
    }
}

async fn build(
    state: &AppState,
    ui: &UiLang,
    caller: &crate::auth::Caller,
    list: Result<Query<ListParams>, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let scope = caller.scope();
    let Query(list) = list?;
    let Query(pov_params) = pov?;
    let app = &state.app;
    let pov = pov_params.parse(app.clock.today())?;
    let mut filter = list.filter(scope)?;
    crate::api::dashboard::apply_band(state, caller, &list, &mut filter, pov.at.as_of)?;
    let band = list.band.clone().unwrap_or_default();
    let paging = list.page()?;
    let page = households::list(app, &filter, pov.at, paging).await?;
    let villages = village_names(app, &page).await?;
    let t = i18n::table(ui.lang);

    let as_of = pov_params.as_of.clone().unwrap_or_default();
    let known_at = pov_params.known_at.clone().unwrap_or_default();
    let region = filter
        .region
        .map(|c| c.prefix().to_owned())
        .unwrap_or_default();
    let household_type = filter
        .household_type
        .map(|h| h.code().to_owned())
        .unwrap_or_default();
    let q = filter.search.clone().unwrap_or_default();
    let per_page = list.per_page.clone().unwrap_or_default();
    // Links keep every filter and the point of view; `region` and `page` vary.
    let href = |region: &str, page: &str| {
        format!(
            "/households{}",
            query_string(&[
                ("region", region),
                ("type", &household_type),
                ("q", &q),
                ("band", &band),
                ("as_of", &as_of),
                ("known_at", &known_at),
                ("per_page", &per_page),
                ("page", page),
            ])
        )
    };
    let export = |format: &str| {
        format!(
            "/households/export.{format}{}",
            query_string(&[
                ("region", &region),
                ("type", &household_type),
                ("q", &q),
                ("band", &band),
                ("as_of", &as_of),
                ("known_at", &known_at),
            ])
        )
    };
    let link = |r: &Region| RegionLink {
        code: r.code.prefix().to_owned(),
        name: r.name.clone(),
        href: href(r.code.prefix(), ""),
    };
    let (region_path, subregions) = match &filter.region {
        Some(code) => (
            app.store.region_path(code).await?,
            app.store.region_children(Some(code)).await?,
        ),
        None => (Vec::new(), app.store.region_children(None).await?),
    };
    let pov_query = query_string(&[("as_of", &as_of), ("known_at", &known_at)]);
    let rows = page
        .items
        .iter()
        .map(|s| Row {
            href: format!("/households/{}{pov_query}", s.id.0),
            household_no: s.household.household_no.as_str().to_owned(),
            household_type: type_label(s.household.household_type, ui.lang),
            formerly_poor: s.household.household_type == HouseholdType::FormerlyPoor,
            village: villages
                .get(&s.household.region)
                .cloned()
                .unwrap_or_else(|| s.household.region.to_string()),
            head: s.head_name.clone().unwrap_or_default(),
            members: s.members,
        })
        .collect();
    let pages = page.total.div_ceil(u64::from(page.page.size)).max(1);
    let number = u64::from(page.page.number);
    let banner = pov.is_past().then(|| past_banner(ui.lang, &pov));
    let ctx = ListContext {
        export_xlsx: export("xlsx"),
        export_csv: export("csv"),
        banner,
        region_path: region_path.iter().map(link).collect(),
        subregions: subregions.iter().map(link).collect(),
        types: HouseholdType::ALL
            .iter()
            .map(|h| TypeOption {
                code: h.code(),
                label: type_label(*h, ui.lang),
                selected: filter.household_type == Some(*h),
            })
            .collect(),
        rows,
        total_text: t["total_households"].replace("{n}", &page.total.to_string()),
        page_text: t["page_of"]
            .replace("{page}", &number.to_string())
            .replace("{pages}", &pages.to_string()),
        prev_href: (number > 1).then(|| href(&region, &(number - 1).to_string())),
        next_href: (number < pages).then(|| href(&region, &(number + 1).to_string())),
        region,
        household_type,
        q,
        band_label: uplift_app::dashboard::IncomeBand::parse(&band)
            .map(|b| i18n::message(ui.lang, &format!("band_{}", b.code())).to_owned())
            .unwrap_or_default(),
        band,
        as_of,
        known_at,
        chrome: ui.chrome_for(state, caller).await,
    };
    render(state, ui, StatusCode::OK, "households.html", ctx)
}

/// The banner shown when a page reads a past state.
pub(crate) fn past_banner(lang: Lang, pov: &crate::pov::PointOfView) -> String {
    let mut text =
        i18n::message(lang, "banner_past_as_of").replace("{date}", &pov.at.as_of.to_string());
    if let Some(t) = pov.at.known_at {
        let instant = t
            .with_timezone(&uplift_domain::version::cst())
            .format("%Y-%m-%d %H:%M")
            .to_string();
        text.push(' ');
        text.push_str(&i18n::message(lang, "banner_past_known_at").replace("{instant}", &instant));
    }
    text
}
