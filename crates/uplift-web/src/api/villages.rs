//! Village profiles (村情), concentrated screening campaigns (集中排查) and the assessors' sample:
//! `/api/v1/villages…`, `/api/v1/campaigns…`, `/api/v1/samples`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uplift_app::campaigns::{
    self, CampaignFailure, CampaignId, CampaignRecord, CampaignReport, ListEntry, NewCampaign,
    ReportRow, VisitInput,
};
use uplift_app::sampling::{self, Sample, SampleFailure};
use uplift_app::store::HouseholdId;
use uplift_app::villages::{
    self, IndicatorTotals, NewReading, Rollup, VillageFailure, VillageProfile,
};
use uplift_domain::access::Action;
use uplift_domain::campaign::{CampaignScope, VisitOutcome};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;
use uplift_domain::village::Reading;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Query;

pub(crate) fn village_error(e: VillageFailure) -> ApiError {
    match e {
        VillageFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
        VillageFailure::Store(e) => e.into(),
        VillageFailure::Dashboard(uplift_app::dashboard::DashboardError::Store(e)) => e.into(),
        VillageFailure::Dashboard(uplift_app::dashboard::DashboardError::UnknownRegion(r)) => {
            ApiError::NotFound(format!("region {r}"))
        }
        e => ApiError::Invalid(e.to_string()),
    }
}

pub(crate) fn campaign_error(e: CampaignFailure) -> ApiError {
    match e {
        CampaignFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
        CampaignFailure::Store(e) => e.into(),
        CampaignFailure::Case(uplift_app::cases::CaseFailure::Store(e)) => e.into(),
        CampaignFailure::Case(uplift_app::cases::CaseFailure::Denied(d)) => {
            ApiError::Forbidden(d.to_string())
        }
        e => ApiError::Invalid(e.to_string()),
    }
}

pub(crate) fn sample_error(e: SampleFailure) -> ApiError {
    match e {
        SampleFailure::Denied(d) => ApiError::Forbidden(d.to_string()),
        SampleFailure::Store(e) => e.into(),
        SampleFailure::Invalid(m) => ApiError::Invalid(m),
    }
}

pub(crate) fn code_param(name: &str, s: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(s.trim()).map_err(|e| ApiError::parameter(name, format!("{name}: {e}")))
}

pub(crate) fn date_param(
    name: &str,
    s: Option<&str>,
    today: NaiveDate,
) -> Result<NaiveDate, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::parameter(name, format!("{name}: {s:?} is not a date YYYY-MM-DD"))
        }),
    }
}

/// [`date_param`] for the API, where a parameter given empty is a wrong date (pages treat an
/// empty form field as today).
fn strict_date_param(name: &str, s: Option<&str>, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    if s.is_some_and(|s| s.trim().is_empty()) {
        return Err(ApiError::parameter(
            name,
            format!("{name}: an empty value is not a date YYYY-MM-DD"),
        ));
    }
    date_param(name, s, today)
}

/// A point of view of a read: `as_of` only (profiles replay as of a date).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AsOfParams {
    /// Read as of this date (default: today).
    #[param(format = Date)]
    pub(crate) as_of: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReadingView {
    pub(crate) value: i64,
    pub(crate) base: Option<i64>,
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) project: Option<String>,
    pub(crate) note: Option<String>,
    pub(crate) recorded_by: String,
    pub(crate) recorded_at: String,
    /// The reading as text: `412 / 480 (85.8%)`, `yes`, `12`.
    pub(crate) text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IndicatorView {
    pub(crate) code: String,
    pub(crate) zh: String,
    pub(crate) en: String,
    pub(crate) group: String,
    /// `share`, `flag` or `max-count`.
    pub(crate) kind: String,
    pub(crate) target: Option<i64>,
    pub(crate) target_text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProfileRowView {
    pub(crate) indicator: IndicatorView,
    pub(crate) reading: Option<ReadingView>,
    /// Whether the reading meets the target; none without a reading or a target.
    pub(crate) meets: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProfileView {
    pub(crate) village: String,
    pub(crate) name: String,
    #[schema(format = Date)]
    pub(crate) as_of: String,
    pub(crate) rows: Vec<ProfileRowView>,
}

pub(crate) fn indicator_view(
    i: &uplift_domain::village::VillageIndicator,
    en: bool,
) -> IndicatorView {
    IndicatorView {
        code: i.code.clone(),
        zh: i.zh.clone(),
        en: i.en.clone(),
        group: i.group.clone(),
        kind: i.kind.key().to_owned(),
        target: i.target,
        target_text: i.target_text(en),
    }
}

pub(crate) fn profile_view(p: &VillageProfile, en: bool) -> ProfileView {
    ProfileView {
        village: p.village.code.as_str().to_owned(),
        name: p.village.name.clone(),
        as_of: p.at.as_of.to_string(),
        rows: p
            .rows
            .iter()
            .map(|r| ProfileRowView {
                indicator: indicator_view(&r.indicator, en),
                reading: r.reading.as_ref().map(|v| ReadingView {
                    value: v.value.reading.value,
                    base: v.value.reading.base,
                    date: v.stamp.valid_from.to_string(),
                    project: v.value.project.clone(),
                    note: v.value.note.clone(),
                    recorded_by: v.stamp.actor.clone(),
                    recorded_at: v.stamp.recorded_at.to_rfc3339(),
                    text: r.indicator.reading_text(v.value.reading, en),
                }),
                meets: r.meets,
            })
            .collect(),
    }
}

/// A village's living-environment and infrastructure indicators against the pack's targets.
#[utoipa::path(
    get,
    path = "/api/v1/villages/{region}/profile",
    tag = "villages",
    params(("region" = String, Path, description = "The 12-digit village code"), AsOfParams),
    responses(
        (status = 200, description = "The profile", body = ProfileView),
        (status = 400, description = "A parameter is wrong", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "No such village in the caller's region", body = ErrorEnvelope),
        (status = 422, description = "Not a village code, or no pack in force", body = ErrorEnvelope),
    )
)]
pub(crate) async fn village_profile(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(region): Path<String>,
    params: Result<Query<AsOfParams>, ApiError>,
) -> Result<Json<ProfileView>, ApiError> {
    let Query(params) = params?;
    caller.require(Action::ReadRegistry)?;
    let village = code_param("region", &region)?;
    let as_of = strict_date_param("as_of", params.as_of.as_deref(), state.app.clock.today())?;
    let p = villages::profile(
        &state.app,
        &caller.principal,
        &village,
        ReadAt::current(as_of),
    )
    .await
    .map_err(village_error)?;
    Ok(Json(profile_view(&p, false)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ReadingBody {
    /// An indicator code of the pack.
    pub(crate) indicator: String,
    /// The date the reading describes.
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) value: i64,
    /// For a share: the households it is out of.
    pub(crate) base: Option<i64>,
    /// The project (project-library number) that changed the indicator.
    pub(crate) project: Option<String>,
    pub(crate) note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WrittenView {
    pub(crate) written: u64,
}

/// Records readings of a village's indicators (each a new version; all or nothing).
#[utoipa::path(
    post,
    path = "/api/v1/villages/{region}/indicators",
    tag = "villages",
    params(("region" = String, Path, description = "The 12-digit village code"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = Vec<ReadingBody>,
    responses(
        (status = 201, description = "Recorded", body = WrittenView),
        (status = 400, description = "A parameter is wrong", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not record village profiles, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such village in the caller's region", body = ErrorEnvelope),
        (status = 422, description = "A field is wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn record_indicators(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(region): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Vec<ReadingBody>>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<WrittenView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::EditVillageProfile)?;
    let village = code_param("region", &region)?;
    villages::require_region(&caller.principal, &village)?;
    if state.app.store.region(&village).await?.is_none() {
        return Err(ApiError::NotFound(format!("village {village}")));
    }
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let mut readings = Vec::new();
    for r in body {
        readings.push(NewReading {
            village,
            indicator: r.indicator,
            date: crate::api::cases::parse_date("date", &r.date)?,
            reading: Reading {
                value: r.value,
                base: r.base,
            },
            project: r.project,
            note: r.note,
        });
    }
    let n = villages::record(&state.app, &caller.principal, &readings, "api")
        .await
        .map_err(village_error)?;
    Ok((StatusCode::CREATED, Json(WrittenView { written: n })))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RollupParams {
    /// A region code (default: the caller's region).
    #[param(pattern = r"^$|^[0-9]{2}(?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3}(?:[0-9]{3})?)?)?)?$")]
    pub(crate) region: Option<String>,
    #[param(format = Date)]
    pub(crate) as_of: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TotalsView {
    pub(crate) met: i64,
    pub(crate) gap: i64,
    pub(crate) unrecorded: i64,
    pub(crate) share_value: i64,
    pub(crate) share_base: i64,
    /// Σ value / Σ base in per mille, for shares.
    pub(crate) coverage_permille: Option<i64>,
}

impl From<&IndicatorTotals> for TotalsView {
    fn from(t: &IndicatorTotals) -> TotalsView {
        TotalsView {
            met: t.met,
            gap: t.gap,
            unrecorded: t.unrecorded,
            share_value: t.share_value,
            share_base: t.share_base,
            coverage_permille: t.permille(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChildTotalsView {
    pub(crate) region: String,
    pub(crate) name: String,
    /// In the order of `indicators`.
    pub(crate) totals: Vec<TotalsView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GapView {
    pub(crate) village: String,
    pub(crate) name: String,
    pub(crate) indicators: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RollupView {
    pub(crate) region: String,
    pub(crate) name: String,
    #[schema(format = Date)]
    pub(crate) as_of: String,
    pub(crate) indicators: Vec<IndicatorView>,
    pub(crate) totals: Vec<TotalsView>,
    pub(crate) children: Vec<ChildTotalsView>,
    pub(crate) gaps: Vec<GapView>,
}

pub(crate) fn rollup_view(r: &Rollup, en: bool) -> RollupView {
    RollupView {
        region: r.dashboard.region.code.as_str().to_owned(),
        name: r.dashboard.region.name.clone(),
        as_of: r.dashboard.at.as_of.to_string(),
        indicators: r.indicators.iter().map(|i| indicator_view(i, en)).collect(),
        totals: r.totals.iter().map(TotalsView::from).collect(),
        children: r
            .children
            .iter()
            .map(|(c, t)| ChildTotalsView {
                region: c.code.as_str().to_owned(),
                name: c.name.clone(),
                totals: t.iter().map(TotalsView::from).collect(),
            })
            .collect(),
        gaps: r
            .gaps
            .iter()
            .map(|(v, codes)| GapView {
                village: v.code.as_str().to_owned(),
                name: v.name.clone(),
                indicators: codes.clone(),
            })
            .collect(),
    }
}

pub(crate) async fn load_rollup(
    state: &AppState,
    caller: &Caller,
    params: &RollupParams,
) -> Result<Rollup, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let region = crate::api::dashboard::region_of(caller, params.region.as_deref())?;
    let as_of = strict_date_param("as_of", params.as_of.as_deref(), state.app.clock.today())?;
    villages::rollup(
        &state.app,
        &caller.principal,
        &region,
        ReadAt::current(as_of),
    )
    .await
    .map_err(village_error)
}

/// The village indicators of a region rolled up from its villages, per child region, and the
/// villages that miss a target (the five-level dashboards' living-environment section).
#[utoipa::path(
    get,
    path = "/api/v1/villages",
    tag = "villages",
    params(RollupParams),
    responses(
        (status = 200, description = "The roll-up", body = RollupView),
        (status = 400, description = "A parameter is wrong", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "No such region in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "A wrong region, or no policy pack in force on the date", body = ErrorEnvelope),
    )
)]
pub(crate) async fn village_rollup(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    params: Result<Query<RollupParams>, ApiError>,
) -> Result<Json<RollupView>, ApiError> {
    let Query(params) = params?;
    let r = load_rollup(&state, &caller, &params).await?;
    Ok(Json(rollup_view(&r, false)))
}

// ---- campaigns ----

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignView {
    pub(crate) id: i64,
    pub(crate) county: String,
    pub(crate) name: String,
    /// `all_households` or `must_visit`.
    pub(crate) scope: String,
    #[schema(format = Date)]
    pub(crate) start: String,
    #[schema(format = Date)]
    pub(crate) end: String,
    pub(crate) created_at: String,
    pub(crate) created_by: String,
}

pub(crate) fn campaign_view(c: &CampaignRecord) -> CampaignView {
    CampaignView {
        id: c.id.0,
        county: c.campaign.county.prefix().to_owned(),
        name: c.campaign.name.clone(),
        scope: c.campaign.scope.code().to_owned(),
        start: c.campaign.start.to_string(),
        end: c.campaign.end.to_string(),
        created_at: c.created_at.clone(),
        created_by: c.actor.clone(),
    }
}

/// The campaigns of the caller's county.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    tag = "campaigns",
    responses(
        (status = 200, description = "The campaigns, newest first", body = Vec<CampaignView>),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_campaigns(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<CampaignView>>, ApiError> {
    let list = campaigns::list(&state.app, &caller.principal)
        .await
        .map_err(campaign_error)?;
    Ok(Json(list.iter().map(campaign_view).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CampaignBody {
    /// The 6-digit county code.
    pub(crate) county: String,
    pub(crate) name: String,
    /// `all_households` or `must_visit`.
    pub(crate) scope: String,
    #[schema(format = Date)]
    pub(crate) start: String,
    #[schema(format = Date)]
    pub(crate) end: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OpenedView {
    pub(crate) id: i64,
    pub(crate) households: u64,
}

pub(crate) fn new_campaign(
    county: &str,
    name: &str,
    scope: &str,
    start: &str,
    end: &str,
) -> Result<NewCampaign, ApiError> {
    Ok(NewCampaign {
        county: RegionCode::parse(county.trim())
            .map_err(|e| ApiError::Invalid(format!("county: {e}")))?,
        name: name.to_owned(),
        scope: CampaignScope::parse(scope.trim()).ok_or_else(|| {
            ApiError::Invalid(format!(
                "scope: {scope:?} is not all_households or must_visit"
            ))
        })?,
        start: crate::api::cases::parse_date("start", start)?,
        end: crate::api::cases::parse_date("end", end)?,
    })
}

/// Opens a county's campaign and freezes its visit list.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns",
    tag = "campaigns",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = CampaignBody,
    responses(
        (status = 201, description = "Opened", body = OpenedView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not open campaigns, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such county in the caller's region", body = ErrorEnvelope),
        (status = 422, description = "A field is wrong", body = ErrorEnvelope),
    )
)]
pub(crate) async fn open_campaign(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: Result<Json<CampaignBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<OpenedView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::ManageCampaign)?;
    let Json(b) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let c = new_campaign(&b.county, &b.name, &b.scope, &b.start, &b.end)?;
    let (id, n) = campaigns::open(&state.app, &caller.principal, c, "api")
        .await
        .map_err(campaign_error)?;
    Ok((
        StatusCode::CREATED,
        Json(OpenedView {
            id: id.0,
            households: n as u64,
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReportRowView {
    pub(crate) listed: u64,
    pub(crate) covered: u64,
    pub(crate) coverage_permille: Option<u64>,
    pub(crate) visits: u64,
    pub(crate) findings: u64,
    pub(crate) cases_opened: u64,
    pub(crate) new_identifications: u64,
    pub(crate) problems: u64,
}

impl From<&ReportRow> for ReportRowView {
    fn from(r: &ReportRow) -> ReportRowView {
        ReportRowView {
            listed: r.listed,
            covered: r.covered,
            coverage_permille: r.coverage_permille(),
            visits: r.visits,
            findings: r.findings,
            cases_opened: r.cases_opened,
            new_identifications: r.new_identifications,
            problems: r.problems,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegionReportView {
    pub(crate) region: String,
    pub(crate) name: String,
    pub(crate) figures: ReportRowView,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DayView {
    #[schema(format = Date)]
    pub(crate) date: String,
    pub(crate) covered: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReportView {
    pub(crate) campaign: CampaignView,
    pub(crate) region: String,
    pub(crate) total: ReportRowView,
    pub(crate) children: Vec<RegionReportView>,
    pub(crate) daily: Vec<DayView>,
}

pub(crate) fn report_view(r: &CampaignReport) -> ReportView {
    ReportView {
        campaign: campaign_view(&r.record),
        region: r.region.as_str().to_owned(),
        total: ReportRowView::from(&r.total),
        children: r
            .children
            .iter()
            .map(|(c, row)| RegionReportView {
                region: c.code.as_str().to_owned(),
                name: c.name.clone(),
                figures: ReportRowView::from(row),
            })
            .collect(),
        daily: r
            .daily
            .iter()
            .map(|(d, n)| DayView {
                date: d.to_string(),
                covered: *n,
            })
            .collect(),
    }
}

fn campaign_id(raw: &str) -> Result<CampaignId, ApiError> {
    raw.parse::<i64>()
        .map(CampaignId)
        .map_err(|_| ApiError::NotFound(format!("campaign {raw}")))
}

/// A campaign's report: coverage, findings, new identifications and problems by region, and
/// coverage day by day (the caller's part of the list).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The report", body = ReportView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "No such campaign in the caller's region", body = ErrorEnvelope),
    )
)]
pub(crate) async fn campaign_report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let r = campaigns::report(&state.app, &caller.principal, campaign_id(&id)?)
        .await
        .map_err(campaign_error)?;
    Ok(Json(report_view(&r)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// A village or township code inside the campaign's county.
    #[param(pattern = r"^$|^[0-9]{2}(?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3}(?:[0-9]{3})?)?)?)?$")]
    pub(crate) region: Option<String>,
    /// A helper's username.
    pub(crate) helper: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ListEntryView {
    pub(crate) household_id: i64,
    pub(crate) household_no: String,
    pub(crate) village: String,
    pub(crate) head_name: Option<String>,
    pub(crate) helper: Option<String>,
    pub(crate) groups: Vec<String>,
}

pub(crate) fn entry_view(e: &ListEntry) -> ListEntryView {
    ListEntryView {
        household_id: e.household.0,
        household_no: e.household_no.clone(),
        village: e.village.as_str().to_owned(),
        head_name: e.head_name.clone(),
        helper: e.helper.clone(),
        groups: e.groups.clone(),
    }
}

pub(crate) fn region_filter(raw: Option<&str>) -> Result<Option<RegionCode>, ApiError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| code_param("region", s))
        .transpose()
}

/// A campaign's visit list (a helper: their own households; others: their region's part).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/households",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign id"), ListParams),
    responses(
        (status = 200, description = "The list, by village and household number", body = Vec<ListEntryView>),
        (status = 400, description = "A parameter is wrong", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not read the registry", body = ErrorEnvelope),
        (status = 404, description = "No such campaign in the caller's region", body = ErrorEnvelope),
    )
)]
pub(crate) async fn campaign_households(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    params: Result<Query<ListParams>, ApiError>,
) -> Result<Json<Vec<ListEntryView>>, ApiError> {
    let Query(params) = params?;
    caller.require(Action::ReadRegistry)?;
    let list = campaigns::visit_list(
        &state.app,
        &caller.principal,
        campaign_id(&id)?,
        region_filter(params.region.as_deref())?,
        params.helper.clone(),
    )
    .await
    .map_err(campaign_error)?;
    Ok(Json(list.iter().map(entry_view).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CampaignVisitBody {
    pub(crate) household_id: i64,
    #[schema(format = Date)]
    pub(crate) date: String,
    /// `no_risk`, `risk_found` or `not_reached`.
    pub(crate) outcome: String,
    #[serde(default)]
    pub(crate) problems: String,
    /// What was found (required for `risk_found`: it becomes the clue's summary).
    #[serde(default)]
    pub(crate) note: String,
    /// A risk type code of the pack for a finding.
    pub(crate) risk: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VisitRecordedView {
    pub(crate) id: i64,
    /// The case the finding opened (channel 集中排查).
    pub(crate) case_id: Option<i64>,
    pub(crate) case_note: Option<String>,
}

pub(crate) fn outcome_of(s: &str) -> Result<VisitOutcome, ApiError> {
    VisitOutcome::parse(s.trim()).ok_or_else(|| {
        ApiError::Invalid(format!(
            "outcome: {s:?} is not no_risk, risk_found or not_reached"
        ))
    })
}

/// Records a visit against the campaign's list; a finding opens a case through the case
/// workflow (clue channel 集中排查).
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/visits",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = CampaignVisitBody,
    responses(
        (status = 201, description = "Recorded", body = VisitRecordedView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not record visits, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such campaign or household in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "A field is wrong, or the household is not on the list", body = ErrorEnvelope),
    )
)]
pub(crate) async fn record_campaign_visit(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<CampaignVisitBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<VisitRecordedView>), ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::RecordAssistance)?;
    let id = campaign_id(&id)?;
    campaigns::get(&state.app, &caller.principal, id)
        .await
        .map_err(campaign_error)?;
    let Json(b) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let done = campaigns::record_visit(
        &state.app,
        &caller.principal,
        id,
        VisitInput {
            household: HouseholdId(b.household_id),
            date: crate::api::cases::parse_date("date", &b.date)?,
            outcome: outcome_of(&b.outcome)?,
            problems: b.problems,
            note: b.note,
            risk_hint: b.risk,
        },
        "api",
    )
    .await
    .map_err(campaign_error)?;
    Ok((
        StatusCode::CREATED,
        Json(VisitRecordedView {
            id: done.visit,
            case_id: done.case.map(|c| c.0),
            case_note: done.case_note,
        }),
    ))
}

// ---- samples ----

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SampleParams {
    /// The 6-digit county code.
    #[param(pattern = r"^[0-9]{6}$")]
    pub(crate) county: Option<String>,
    /// The seed: the same seed gives the same sample.
    pub(crate) seed: Option<u64>,
    /// The registry date to draw from (default: today).
    #[param(format = Date)]
    pub(crate) as_of: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SampledView {
    pub(crate) household_id: i64,
    pub(crate) household_no: String,
    pub(crate) village: String,
    pub(crate) head_name: Option<String>,
    pub(crate) members: u32,
    pub(crate) stratum: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StratumView {
    pub(crate) key: String,
    pub(crate) population: u64,
    pub(crate) drawn: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SampleView {
    pub(crate) county: String,
    pub(crate) seed: u64,
    #[schema(format = Date)]
    pub(crate) as_of: String,
    pub(crate) villages: Vec<crate::api::regions::RegionView>,
    pub(crate) households: Vec<SampledView>,
    pub(crate) strata: Vec<StratumView>,
}

pub(crate) fn sample_view(s: &Sample) -> SampleView {
    SampleView {
        county: s.county.code.prefix().to_owned(),
        seed: s.seed,
        as_of: s.as_of.to_string(),
        villages: s
            .villages
            .iter()
            .map(crate::api::regions::RegionView::from)
            .collect(),
        households: s
            .households
            .iter()
            .map(|h| SampledView {
                household_id: h.household.0,
                household_no: h.household_no.clone(),
                village: h.village.as_str().to_owned(),
                head_name: h.head_name.clone(),
                members: h.members,
                stratum: h.stratum.clone(),
            })
            .collect(),
        strata: s
            .strata
            .iter()
            .map(|x| StratumView {
                key: x.key.clone(),
                population: x.population,
                drawn: x.drawn,
            })
            .collect(),
    }
}

pub(crate) async fn load_sample(
    state: &AppState,
    caller: &Caller,
    params: &SampleParams,
) -> Result<Sample, ApiError> {
    caller.require(Action::DrawSample)?;
    let county = match params
        .county
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(c) => code_param("county", c)?,
        None => return Err(ApiError::parameter("county", "county: required".into())),
    };
    let seed = params
        .seed
        .ok_or_else(|| ApiError::parameter("seed", "seed: required".into()))?;
    let as_of = strict_date_param("as_of", params.as_of.as_deref(), state.app.clock.today())?;
    sampling::draw(&state.app, &caller.principal, &county, seed, as_of)
        .await
        .map_err(sample_error)
}

/// Draws the assessors' sample of a county: about 10 villages and 300 households (the pack's
/// `[sampling]`), stratified; the same seed gives the same sample. The draw is audited.
#[utoipa::path(
    get,
    path = "/api/v1/samples",
    tag = "samples",
    params(SampleParams),
    responses(
        (status = 200, description = "The sample", body = SampleView),
        (status = 400, description = "A parameter is wrong or missing", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not draw samples", body = ErrorEnvelope),
        (status = 404, description = "No such county in the caller's region", body = ErrorEnvelope),
        (status = 422, description = "Not a county, or the pack sets no sampling", body = ErrorEnvelope),
    )
)]
pub(crate) async fn draw_sample(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    params: Result<Query<SampleParams>, ApiError>,
) -> Result<Json<SampleView>, ApiError> {
    let Query(params) = params?;
    let s = load_sample(&state, &caller, &params).await?;
    Ok(Json(sample_view(&s)))
}
