//! `GET /api/v1/dashboard`: a region's figures at a point of view, with small cells suppressed
//! for the callers who must not see them. The UI page and the exports read the same view.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use uplift_app::dashboard::{self, Dashboard, DashboardError, Drill, Figure, Unit};
use uplift_domain::household::Codebook;
use uplift_domain::region::{RegionCode, RegionLevel};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::regions::RegionView;
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Query;
use crate::pov::{PointOfView, PointOfViewParams};
use crate::ui::query_string;
use uplift_domain::access::Action;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DashboardParams {
    /// A region code (2, 4, 6, 9 or 12 digits) inside the caller's scope; default the caller's own.
    pub(crate) region: Option<String>,
}

impl From<DashboardError> for ApiError {
    fn from(err: DashboardError) -> ApiError {
        match err {
            DashboardError::UnknownRegion(code) => ApiError::NotFound(format!("region {code}")),
            DashboardError::NoPolicy { .. } => ApiError::Invalid(err.to_string()),
            DashboardError::Store(e) => e.into(),
        }
    }
}

/// One number of a figure.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CellView {
    pub(crate) key: String,
    /// The number; null where it is suppressed for this caller (fewer than `min_cell` households).
    pub(crate) value: Option<i64>,
    /// What to show: the number, or `<k` when suppressed.
    pub(crate) display: String,
    pub(crate) suppressed: bool,
    /// The household list behind the number, when there is one.
    pub(crate) households_href: Option<String>,
}

/// A named set of additive numbers.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FigureView {
    /// `households`, `persons`, `income_bands`, `income_bands_formerly_poor`, `income_net_fen`,
    /// `income_persons`, `health`, `labour`, `quality`.
    pub(crate) id: &'static str,
    /// `tiles`, `donut`, `bar`, `distribution` or `line`.
    pub(crate) chart: &'static str,
    /// `households`, `persons` or `fen`.
    pub(crate) unit: &'static str,
    /// The sum of all cells, suppressed ones included.
    pub(crate) total: i64,
    pub(crate) cells: Vec<CellView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChildView {
    pub(crate) region: RegionView,
    pub(crate) figures: Vec<FigureView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardView {
    pub(crate) region: RegionView,
    /// From the province down to the region.
    pub(crate) path: Vec<RegionView>,
    pub(crate) as_of: String,
    pub(crate) known_at: Option<String>,
    /// The monitoring line in force (yuan per person per year).
    pub(crate) monitoring_line: Option<String>,
    /// k: cells of fewer households are shown as `<k` to callers above village level and in exports.
    pub(crate) min_cell: u32,
    /// Whether this view hides small cells.
    pub(crate) suppressing: bool,
    /// Per-capita net income of formerly poor households by year (yuan).
    pub(crate) formerly_poor_per_capita: Vec<YearAmount>,
    /// Growth of the last year over the one before, in percent with one decimal, when known.
    pub(crate) formerly_poor_growth_percent: Option<String>,
    pub(crate) figures: Vec<FigureView>,
    pub(crate) children: Vec<ChildView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct YearAmount {
    pub(crate) year: String,
    pub(crate) amount: Option<String>,
}

pub(crate) fn chart_name(c: dashboard::Chart) -> &'static str {
    use dashboard::Chart::*;
    match c {
        Tiles => "tiles",
        Donut => "donut",
        Bar => "bar",
        Distribution => "distribution",
        Line => "line",
    }
}

fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Households => "households",
        Unit::Persons => "persons",
        Unit::Fen => "fen",
        Unit::Villages => "villages",
    }
}

/// The household list behind a cell of `region`.
pub(crate) fn households_href(
    region: &RegionCode,
    drill: &Drill,
    pov: &PointOfViewParams,
) -> String {
    format!(
        "/households{}",
        query_string(&[
            ("region", region.prefix()),
            ("type", drill.household_type.map(|t| t.code()).unwrap_or("")),
            ("band", drill.income_band.map(|b| b.code()).unwrap_or("")),
            ("as_of", pov.as_of.as_deref().unwrap_or("")),
            ("known_at", pov.known_at.as_deref().unwrap_or("")),
        ])
    )
}

pub(crate) fn figure_view(
    figure: &Figure,
    region: &RegionCode,
    k: Option<u32>,
    pov: &PointOfViewParams,
    may_drill: bool,
) -> FigureView {
    FigureView {
        id: figure.id,
        chart: chart_name(figure.chart),
        unit: unit_name(figure.unit),
        total: figure.total(),
        cells: figure
            .cells
            .iter()
            .map(|c| {
                let suppressed = k.is_some_and(|k| dashboard::suppressed(c, k));
                CellView {
                    key: c.key.clone(),
                    value: (!suppressed).then_some(c.value),
                    display: match (suppressed, k) {
                        (true, Some(k)) => format!("<{k}"),
                        _ => c.value.to_string(),
                    },
                    suppressed,
                    households_href: c
                        .drill
                        .filter(|_| may_drill)
                        .map(|d| households_href(region, &d, pov)),
                }
            })
            .collect(),
    }
}

/// Whether small cells are hidden from this caller: everyone above village level.
pub(crate) fn suppresses_for(caller: &Caller) -> bool {
    match caller.principal.role {
        None => false,
        Some(uplift_domain::access::Role::Helper) => false,
        Some(_) => caller
            .principal
            .region
            .is_none_or(|r| r.level() != RegionLevel::Village),
    }
}

/// The region asked for, or the caller's own; it must lie inside the caller's region.
pub(crate) fn region_of(caller: &Caller, asked: Option<&str>) -> Result<RegionCode, ApiError> {
    let own = caller.principal.region;
    let region = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => RegionCode::parse(s)
            .map_err(|e| ApiError::parameter("region", format!("region: {e}")))?,
        None => own.ok_or_else(|| ApiError::parameter("region", "region: required".to_owned()))?,
    };
    if let Some(own) = own
        && !own.contains(&region)
    {
        return Err(ApiError::NotFound(format!("region {region} in your scope")));
    }
    Ok(region)
}

/// Reads the dashboard for a caller.
pub(crate) async fn load(
    state: &AppState,
    caller: &Caller,
    region: Option<&str>,
    pov_params: &PointOfViewParams,
) -> Result<(Dashboard, PointOfView), ApiError> {
    caller.require(Action::ReadRegistry)?;
    let region = region_of(caller, region)?;
    let pov = pov_params.parse(state.app.clock.today())?;
    let dash = dashboard::registry_dashboard(&state.app, &region, &caller.scope(), pov.at).await?;
    Ok((dash, pov))
}

/// The view of a dashboard; `suppress` hides small cells.
pub(crate) fn view(
    dash: &Dashboard,
    pov_params: &PointOfViewParams,
    suppress: bool,
    may_drill: bool,
) -> DashboardView {
    let k = suppress.then_some(dash.min_cell);
    let by_year = dashboard::per_capita_by_year(&dash.figures);
    DashboardView {
        region: RegionView::from(&dash.region),
        path: dash.path.iter().map(RegionView::from).collect(),
        as_of: dash.at.as_of.to_string(),
        known_at: dash.at.known_at.map(|t| t.to_rfc3339()),
        monitoring_line: dash.line.map(|m| m.to_string()),
        min_cell: dash.min_cell,
        suppressing: suppress,
        formerly_poor_growth_percent: dashboard::growth_permille(&by_year).map(|p| {
            format!(
                "{}{}.{}",
                if p < 0 { "-" } else { "" },
                p.abs() / 10,
                p.abs() % 10
            )
        }),
        formerly_poor_per_capita: by_year
            .into_iter()
            .map(|(year, amount)| YearAmount {
                year,
                amount: amount.map(|m| m.to_string()),
            })
            .collect(),
        figures: dash
            .figures
            .iter()
            .map(|f| figure_view(f, &dash.region.code, k, pov_params, may_drill))
            .collect(),
        children: dash
            .children
            .iter()
            .map(|(region, figures)| ChildView {
                region: RegionView::from(region),
                figures: figures
                    .iter()
                    .map(|f| figure_view(f, &region.code, k, pov_params, may_drill))
                    .collect(),
            })
            .collect(),
    }
}

/// A region's dashboard: households and persons by type, income against the line, growth of
/// formerly poor households' income, members by health and labour, and data-quality problems,
/// for the region and each child region. Cells of fewer than `min_cell` households are
/// suppressed for callers above village level.
#[utoipa::path(
    get,
    path = "/api/v1/dashboard",
    tag = "dashboard",
    params(DashboardParams, PointOfViewParams),
    responses(
        (status = 422, description = "No policy pack is in force for the region on that date", body = ErrorEnvelope),
        (status = 200, description = "The dashboard", body = DashboardView),
        (status = 400, description = "A malformed parameter", body = ErrorEnvelope),
        (status = 401, description = "Not logged in", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "No such region in the caller's scope", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_dashboard(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<DashboardParams>,
    Query(pov): Query<PointOfViewParams>,
) -> Result<Json<DashboardView>, ApiError> {
    // The API reads the point of view strictly, as its OpenAPI document says.
    pov.parse_strict(state.app.clock.today())?;
    let (dash, _) = load(&state, &caller, params.region.as_deref(), &pov).await?;
    Ok(Json(view(
        &dash,
        &pov,
        suppresses_for(&caller),
        caller.principal.may(Action::ReadRegistry),
    )))
}

/// Narrows a household-list filter by the list's `band=` parameter, measured against the pack in
/// force for the filtered region (else the caller's) on the read's date.
pub(crate) fn apply_band(
    state: &AppState,
    caller: &Caller,
    list: &crate::pov::ListParams,
    filter: &mut uplift_app::store::HouseholdFilter,
    as_of: chrono::NaiveDate,
) -> Result<(), ApiError> {
    let Some(band) = list
        .band
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Ok(());
    };
    let band = dashboard::IncomeBand::parse(band).ok_or_else(|| {
        ApiError::parameter(
            "band",
            format!("band: {band:?} is not below_line, near_line, above_near or no_record"),
        )
    })?;
    let region = filter
        .region
        .or(caller.principal.region)
        .ok_or_else(|| ApiError::parameter("band", "band: needs a region".to_owned()))?;
    let pack = state.app.policy.in_force(&region, as_of).ok_or_else(|| {
        ApiError::Invalid(format!("no policy pack in force for {region} on {as_of}"))
    })?;
    filter.income_band = Some(dashboard::BandFilter {
        band,
        rule: dashboard::BandRule::of(pack),
    });
    Ok(())
}
