//! Pages of village profiles (`/villages…`, the living-environment section of the five-level
//! dashboards), concentrated screening campaigns (`/campaigns…`) and the assessors' sample
//! (`/samples…`, visit forms as .xlsx, .csv and PDF).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use uplift_app::campaigns::{self, CampaignId};
use uplift_app::imports::sheet::{Format, Sheet};
use uplift_app::sampling;
use uplift_app::store::HouseholdId;
use uplift_app::villages::{self, NewReading};
use uplift_domain::access::Action;
use uplift_domain::campaign::CampaignScope;
use uplift_domain::version::ReadAt;
use uplift_domain::village::Reading;

use crate::AppState;
use crate::api::villages::{
    RollupParams, SampleParams, campaign_error, code_param, date_param, load_rollup, load_sample,
    new_campaign, outcome_of, region_filter, village_error,
};
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::extract::Query;
use crate::i18n::Lang;
use crate::ui::{Chrome, UiLang, error_page, query_string, render};

type FormResult<T> = Result<axum::Form<T>, axum::extract::rejection::FormRejection>;

fn form<T>(f: FormResult<T>) -> Result<T, ApiError> {
    f.map(|axum::Form(t)| t)
        .map_err(|e| ApiError::Invalid(format!("the form cannot be read: {}", e.body_text())))
}

fn done(res: Result<Response, ApiError>, state: &AppState, ui: &UiLang) -> Response {
    res.unwrap_or_else(|e| error_page(state, ui, e))
}

fn l(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn permille(pm: Option<i64>) -> String {
    pm.map(|p| format!("{}.{}%", p / 10, p % 10))
        .unwrap_or_else(|| "—".into())
}

fn download(sheet: &Sheet, format: Format, name: &str) -> Result<Response, ApiError> {
    let bytes = sheet
        .write(format)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e.0)))?;
    Ok(attachment(
        format.content_type(),
        &format!("{name}.{}", format.extension()),
        bytes,
    ))
}

fn attachment(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

// ------------------------------------------------------------------ the roll-up of a region

#[derive(Serialize)]
struct RollupContext {
    #[serde(flatten)]
    chrome: Chrome,
    region: String,
    region_name: String,
    as_of: String,
    indicators: Vec<IndicatorCol>,
    total: Vec<TotalCell>,
    children: Vec<ChildRow>,
    gaps: Vec<GapRow>,
    export_query: String,
    is_village: bool,
}

#[derive(Serialize)]
struct IndicatorCol {
    code: String,
    name: String,
    target: String,
}

#[derive(Serialize)]
struct TotalCell {
    met: i64,
    gap: i64,
    unrecorded: i64,
    coverage: String,
}

#[derive(Serialize)]
struct ChildRow {
    name: String,
    href: String,
    cells: Vec<TotalCell>,
}

#[derive(Serialize)]
struct GapRow {
    name: String,
    href: String,
    missed: String,
}

fn cell(t: &villages::IndicatorTotals) -> TotalCell {
    TotalCell {
        met: t.met,
        gap: t.gap,
        unrecorded: t.unrecorded,
        coverage: if t.share_base > 0 {
            permille(t.permille())
        } else {
            String::new()
        },
    }
}

pub(crate) async fn rollup_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<RollupParams>, ApiError>,
) -> Response {
    let res = async {
        let Query(params) = params?;
        let r = load_rollup(&state, &caller, &params).await?;
        let lang = ui.lang;
        let names: Vec<String> = r.indicators.iter().map(|i| l(lang, &i.zh, &i.en)).collect();
        let region = r.dashboard.region.code.as_str().to_owned();
        let ctx = RollupContext {
            chrome: ui.chrome_for(&state, &caller).await,
            is_village: r.dashboard.region.code.level()
                == uplift_domain::region::RegionLevel::Village,
            export_query: query_string(&[
                ("region", &region),
                ("as_of", &r.dashboard.at.as_of.to_string()),
            ]),
            region,
            region_name: r.dashboard.region.name.clone(),
            as_of: r.dashboard.at.as_of.to_string(),
            indicators: r
                .indicators
                .iter()
                .zip(&names)
                .map(|(i, n)| IndicatorCol {
                    code: i.code.clone(),
                    name: n.clone(),
                    target: i.target_text(lang == Lang::En),
                })
                .collect(),
            total: r.totals.iter().map(cell).collect(),
            children: r
                .children
                .iter()
                .map(|(c, t)| ChildRow {
                    name: c.name.clone(),
                    href: format!("/villages{}", query_string(&[("region", c.code.as_str())])),
                    cells: t.iter().map(cell).collect(),
                })
                .collect(),
            gaps: r
                .gaps
                .iter()
                .map(|(v, missed)| GapRow {
                    name: v.name.clone(),
                    href: format!("/villages/{}", v.code.as_str()),
                    missed: missed
                        .iter()
                        .map(|code| {
                            r.indicators
                                .iter()
                                .position(|i| &i.code == code)
                                .map_or(code.clone(), |k| names[k].clone())
                        })
                        .collect::<Vec<_>>()
                        .join("、"),
                })
                .collect(),
        };
        render(&state, &ui, StatusCode::OK, "villages.html", ctx)
    }
    .await;
    done(res, &state, &ui)
}

async fn export(
    state: AppState,
    caller: Caller,
    params: Result<Query<RollupParams>, ApiError>,
    format: Format,
) -> Result<Response, ApiError> {
    let Query(params) = params?;
    caller.require(Action::ReadRegistry)?;
    let region = crate::api::dashboard::region_of(&caller, params.region.as_deref())?;
    let as_of = date_param("as_of", params.as_of.as_deref(), state.app.clock.today())?;
    let sheet = villages::export(
        &state.app,
        &caller.principal,
        &region,
        ReadAt::current(as_of),
    )
    .await
    .map_err(village_error)?;
    download(
        &sheet,
        format,
        &format!("village-profiles-{}-{as_of}", region.prefix()),
    )
}

pub(crate) async fn export_xlsx(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<RollupParams>, ApiError>,
) -> Response {
    let res = export(state.clone(), caller, params, Format::Xlsx).await;
    done(res, &state, &ui)
}

pub(crate) async fn export_csv(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<RollupParams>, ApiError>,
) -> Response {
    let res = export(state.clone(), caller, params, Format::Csv).await;
    done(res, &state, &ui)
}

// ------------------------------------------------------------------ one village's profile

#[derive(Serialize)]
struct ProfileContext {
    #[serde(flatten)]
    chrome: Chrome,
    village: String,
    name: String,
    township_href: String,
    as_of: String,
    rows: Vec<ProfileLine>,
    history: Vec<HistoryLine>,
    may_edit: bool,
    options: Vec<IndicatorCol>,
    today: String,
    error: String,
}

#[derive(Serialize)]
struct ProfileLine {
    group: String,
    name: String,
    reading: String,
    target: String,
    status: &'static str,
    date: String,
    project: String,
    note: String,
}

#[derive(Serialize)]
struct HistoryLine {
    indicator: String,
    reading: String,
    date: String,
    project: String,
    recorded: String,
}

fn group_name(lang: Lang, group: &str) -> String {
    match group {
        "living_environment" => l(lang, "人居环境", "Living environment"),
        "infrastructure" => l(lang, "基础设施", "Infrastructure"),
        "public_services" => l(lang, "公共服务", "Public services"),
        other => other.to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ProfileParams {
    as_of: Option<String>,
}

async fn profile_page_of(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    region: &str,
    as_of: Option<&str>,
    error: String,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let village = code_param("region", region)?;
    let lang = ui.lang;
    let en = lang == Lang::En;
    let today = state.app.clock.today();
    let as_of = date_param("as_of", as_of, today)?;
    let p = villages::profile(
        &state.app,
        &caller.principal,
        &village,
        ReadAt::current(as_of),
    )
    .await
    .map_err(village_error)?;
    let history = villages::history(&state.app, &caller.principal, &village)
        .await
        .map_err(village_error)?;
    let name_of = |code: &str| {
        p.rows
            .iter()
            .find(|r| r.indicator.code == code)
            .map_or(code.to_owned(), |r| {
                l(lang, &r.indicator.zh, &r.indicator.en)
            })
    };
    let rows = p
        .rows
        .iter()
        .map(|r| ProfileLine {
            group: group_name(lang, &r.indicator.group),
            name: l(lang, &r.indicator.zh, &r.indicator.en),
            reading: r
                .reading
                .as_ref()
                .map(|v| r.indicator.reading_text(v.value.reading, en))
                .unwrap_or_else(|| "—".into()),
            target: r.indicator.target_text(en),
            status: match (r.meets, &r.reading) {
                (Some(true), _) => "met",
                (Some(false), _) => "gap",
                (None, None) => "unrecorded",
                (None, Some(_)) => "none",
            },
            date: r
                .reading
                .as_ref()
                .map(|v| v.stamp.valid_from.to_string())
                .unwrap_or_default(),
            project: r
                .reading
                .as_ref()
                .and_then(|v| v.value.project.clone())
                .unwrap_or_default(),
            note: r
                .reading
                .as_ref()
                .and_then(|v| v.value.note.clone())
                .unwrap_or_default(),
        })
        .collect();
    let history = history
        .iter()
        .map(|v| HistoryLine {
            indicator: name_of(&v.value.indicator),
            reading: p
                .rows
                .iter()
                .find(|r| r.indicator.code == v.value.indicator)
                .map_or(v.value.reading.value.to_string(), |r| {
                    r.indicator.reading_text(v.value.reading, en)
                }),
            date: v.stamp.valid_from.to_string(),
            project: v.value.project.clone().unwrap_or_default(),
            recorded: format!(
                "{} · {}",
                v.stamp.recorded_at.format("%Y-%m-%d %H:%M"),
                v.stamp.actor
            ),
        })
        .collect();
    let township = village
        .parent()
        .map(|t| format!("/villages{}", query_string(&[("region", t.as_str())])))
        .unwrap_or_default();
    let ctx = ProfileContext {
        chrome: ui.chrome_for(state, caller).await,
        village: village.as_str().to_owned(),
        name: p.village.name.clone(),
        township_href: township,
        as_of: as_of.to_string(),
        rows,
        history,
        may_edit: caller.principal.may(Action::EditVillageProfile),
        options: p
            .rows
            .iter()
            .map(|r| IndicatorCol {
                code: r.indicator.code.clone(),
                name: l(lang, &r.indicator.zh, &r.indicator.en),
                target: r.indicator.kind.key().to_owned(),
            })
            .collect(),
        today: today.to_string(),
        error,
    };
    let status = if ctx.error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(state, ui, status, "village.html", ctx)
}

pub(crate) async fn profile_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(region): Path<String>,
    params: Result<Query<ProfileParams>, ApiError>,
) -> Response {
    let res = async {
        let Query(params) = params?;
        profile_page_of(
            &state,
            &ui,
            &caller,
            &region,
            params.as_of.as_deref(),
            String::new(),
        )
        .await
    }
    .await;
    done(res, &state, &ui)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReadingForm {
    csrf: Option<String>,
    indicator: Option<String>,
    date: Option<String>,
    value: Option<String>,
    base: Option<String>,
    project: Option<String>,
    note: Option<String>,
}

fn whole(field: &str, s: Option<&str>) -> Result<Option<i64>, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::Invalid(format!("{field}: {s:?} is not a whole number"))),
    }
}

pub(crate) async fn record(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(region): Path<String>,
    f: FormResult<ReadingForm>,
) -> Response {
    let res = async {
        let f = form(f)?;
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Action::EditVillageProfile)?;
        let village = code_param("region", &region)?;
        villages::require_region(&caller.principal, &village)?;
        let attempt = async {
            let value = whole("value", f.value.as_deref())?
                .ok_or_else(|| ApiError::Invalid("value: required".into()))?;
            let reading = NewReading {
                village,
                indicator: f.indicator.clone().unwrap_or_default(),
                date: date_param("date", f.date.as_deref(), state.app.clock.today())
                    .map_err(|e| ApiError::Invalid(e.view().detail))?,
                reading: Reading {
                    value,
                    base: whole("base", f.base.as_deref())?,
                },
                project: f.project.clone(),
                note: f.note.clone(),
            };
            villages::record(&state.app, &caller.principal, &[reading], "web")
                .await
                .map_err(village_error)
        }
        .await;
        match attempt {
            Ok(_) => Ok(Redirect::to(&format!("/villages/{}", village.as_str())).into_response()),
            Err(e @ ApiError::Invalid(_)) => {
                profile_page_of(&state, &ui, &caller, &region, None, e.view().detail).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    done(res, &state, &ui)
}

// ------------------------------------------------------------------ campaigns

#[derive(Serialize)]
struct CampaignsContext {
    #[serde(flatten)]
    chrome: Chrome,
    campaigns: Vec<CampaignLine>,
    may_open: bool,
    county: String,
    today: String,
    error: String,
}

#[derive(Serialize)]
struct CampaignLine {
    href: String,
    name: String,
    scope: String,
    period: String,
    by: String,
}

fn scope_name(lang: Lang, s: CampaignScope) -> String {
    l(lang, s.zh(), s.en())
}

async fn campaigns_page_of(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    error: String,
) -> Result<Response, ApiError> {
    let list = campaigns::list(&state.app, &caller.principal)
        .await
        .map_err(campaign_error)?;
    let lang = ui.lang;
    let county = caller
        .principal
        .region
        .and_then(|r| r.ancestor(uplift_domain::region::RegionLevel::County))
        .map(|c| c.prefix().to_owned())
        .unwrap_or_default();
    let ctx = CampaignsContext {
        chrome: ui.chrome_for(state, caller).await,
        campaigns: list
            .iter()
            .map(|c| CampaignLine {
                href: format!("/campaigns/{}", c.id.0),
                name: c.campaign.name.clone(),
                scope: scope_name(lang, c.campaign.scope),
                period: format!("{} – {}", c.campaign.start, c.campaign.end),
                by: c.actor.clone(),
            })
            .collect(),
        may_open: caller.principal.may(Action::ManageCampaign),
        county,
        today: state.app.clock.today().to_string(),
        error,
    };
    let status = if ctx.error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(state, ui, status, "campaigns.html", ctx)
}

pub(crate) async fn campaigns_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
) -> Response {
    let res = campaigns_page_of(&state, &ui, &caller, String::new()).await;
    done(res, &state, &ui)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CampaignForm {
    csrf: Option<String>,
    county: Option<String>,
    name: Option<String>,
    scope: Option<String>,
    start: Option<String>,
    end: Option<String>,
}

pub(crate) async fn open_campaign(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    f: FormResult<CampaignForm>,
) -> Response {
    let res = async {
        let f = form(f)?;
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Action::ManageCampaign)?;
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let attempt = async {
            let c = new_campaign(
                &s(&f.county),
                &s(&f.name),
                &s(&f.scope),
                &s(&f.start),
                &s(&f.end),
            )?;
            campaigns::open(&state.app, &caller.principal, c, "web")
                .await
                .map_err(campaign_error)
        }
        .await;
        match attempt {
            Ok((id, _)) => Ok(Redirect::to(&format!("/campaigns/{}", id.0)).into_response()),
            Err(e @ ApiError::Invalid(_)) => {
                campaigns_page_of(&state, &ui, &caller, e.view().detail).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    done(res, &state, &ui)
}

#[derive(Serialize)]
struct CampaignContext {
    #[serde(flatten)]
    chrome: Chrome,
    id: i64,
    name: String,
    scope: String,
    period: String,
    total: ReportLine,
    children: Vec<ReportLine>,
    daily: Vec<DayLine>,
    groups: Vec<GroupLine>,
    list: Vec<ListLine>,
    list_query: String,
    region: String,
    helper: String,
    may_visit: bool,
    today: String,
    error: String,
}

#[derive(Serialize)]
struct ReportLine {
    name: String,
    listed: u64,
    covered: u64,
    coverage: String,
    visits: u64,
    findings: u64,
    cases: u64,
    identified: u64,
    problems: u64,
}

#[derive(Serialize)]
struct DayLine {
    date: String,
    covered: u64,
    percent: u64,
}

#[derive(Serialize)]
struct GroupLine {
    name: String,
    listed: u64,
    covered: u64,
}

#[derive(Serialize)]
struct ListLine {
    id: i64,
    household_no: String,
    href: String,
    village: String,
    head: String,
    helper: String,
    groups: String,
    last: String,
}

fn report_line(name: String, r: &campaigns::ReportRow) -> ReportLine {
    ReportLine {
        name,
        listed: r.listed,
        covered: r.covered,
        coverage: permille(r.coverage_permille().map(|p| p as i64)),
        visits: r.visits,
        findings: r.findings,
        cases: r.cases_opened,
        identified: r.new_identifications,
        problems: r.problems,
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CampaignParams {
    region: Option<String>,
    helper: Option<String>,
}

fn campaign_id(raw: &str) -> Result<CampaignId, ApiError> {
    raw.parse::<i64>()
        .map(CampaignId)
        .map_err(|_| ApiError::NotFound(format!("campaign {raw}")))
}

async fn campaign_page_of(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    id: CampaignId,
    params: &CampaignParams,
    error: String,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let lang = ui.lang;
    let report = campaigns::report(&state.app, &caller.principal, id)
        .await
        .map_err(campaign_error)?;
    let region = region_filter(params.region.as_deref())?;
    let list = campaigns::visit_list(
        &state.app,
        &caller.principal,
        id,
        region,
        params.helper.clone(),
    )
    .await
    .map_err(campaign_error)?;
    let visits = state.app.store.campaign_visits(id).await?;
    let pack = state
        .app
        .policy
        .in_force(&report.record.campaign.county, report.record.campaign.start);
    let group_name = |code: &str| {
        pack.and_then(|p| p.must_visit.iter().find(|g| g.code == code))
            .map_or(code.to_owned(), |g| l(lang, &g.zh, &g.en))
    };
    let mut names = std::collections::HashMap::new();
    for e in &list {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(e.village) {
            let name = state
                .app
                .store
                .region(&e.village)
                .await?
                .map(|r| r.name)
                .unwrap_or_default();
            slot.insert(name);
        }
    }
    let listed = report.total.listed.max(1);
    let ctx = CampaignContext {
        chrome: ui.chrome_for(state, caller).await,
        id: id.0,
        name: report.record.campaign.name.clone(),
        scope: scope_name(lang, report.record.campaign.scope),
        period: format!(
            "{} – {}",
            report.record.campaign.start, report.record.campaign.end
        ),
        total: report_line(l(lang, "合计", "Total"), &report.total),
        children: report
            .children
            .iter()
            .map(|(c, r)| report_line(c.name.clone(), r))
            .collect(),
        daily: report
            .daily
            .iter()
            .map(|(d, n)| DayLine {
                date: d.to_string(),
                covered: *n,
                percent: n * 100 / listed,
            })
            .collect(),
        groups: report
            .by_group
            .iter()
            .map(|(g, (n, c))| GroupLine {
                name: group_name(g),
                listed: *n,
                covered: *c,
            })
            .collect(),
        list: list
            .iter()
            .take(2000)
            .map(|e| {
                let last = visits
                    .iter()
                    .rev()
                    .find(|(v, _)| v.household == e.household);
                ListLine {
                    id: e.household.0,
                    household_no: e.household_no.clone(),
                    href: format!("/households/{}", e.household.0),
                    village: names.get(&e.village).cloned().unwrap_or_default(),
                    head: e.head_name.clone().unwrap_or_default(),
                    helper: e.helper.clone().unwrap_or_default(),
                    groups: e
                        .groups
                        .iter()
                        .map(|g| group_name(g))
                        .collect::<Vec<_>>()
                        .join("、"),
                    last: last
                        .map(|(v, _)| {
                            format!(
                                "{} {}",
                                v.date,
                                l(lang, v.outcome.zh(), &v.outcome.code().replace('_', " "))
                            )
                        })
                        .unwrap_or_default(),
                }
            })
            .collect(),
        list_query: query_string(&[
            ("region", params.region.as_deref().unwrap_or("")),
            ("helper", params.helper.as_deref().unwrap_or("")),
        ]),
        region: params.region.clone().unwrap_or_default(),
        helper: params.helper.clone().unwrap_or_default(),
        may_visit: caller.principal.may(Action::RecordAssistance),
        today: state.app.clock.today().to_string(),
        error,
    };
    let status = if ctx.error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(state, ui, status, "campaign.html", ctx)
}

pub(crate) async fn campaign_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    params: Result<Query<CampaignParams>, ApiError>,
) -> Response {
    let res = async {
        let Query(params) = params?;
        campaign_page_of(
            &state,
            &ui,
            &caller,
            campaign_id(&id)?,
            &params,
            String::new(),
        )
        .await
    }
    .await;
    done(res, &state, &ui)
}

pub(crate) async fn campaign_list_xlsx(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    params: Result<Query<CampaignParams>, ApiError>,
) -> Response {
    let res = async {
        let Query(params) = params?;
        caller.require(Action::ReadRegistry)?;
        let id = campaign_id(&id)?;
        let sheet = campaigns::list_sheet(
            &state.app,
            &caller.principal,
            id,
            region_filter(params.region.as_deref())?,
            params.helper.clone(),
        )
        .await
        .map_err(campaign_error)?;
        download(&sheet, Format::Xlsx, &format!("campaign-{}-list", id.0))
    }
    .await;
    done(res, &state, &ui)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct VisitForm {
    csrf: Option<String>,
    household: Option<String>,
    date: Option<String>,
    outcome: Option<String>,
    note: Option<String>,
    problems: Option<String>,
    risk: Option<String>,
}

pub(crate) async fn record_visit(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    f: FormResult<VisitForm>,
) -> Response {
    let res = async {
        let f = form(f)?;
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Action::RecordAssistance)?;
        let id = campaign_id(&id)?;
        campaigns::get(&state.app, &caller.principal, id)
            .await
            .map_err(campaign_error)?;
        let attempt = async {
            let household = f
                .household
                .as_deref()
                .unwrap_or("")
                .trim()
                .parse::<i64>()
                .map(HouseholdId)
                .map_err(|_| {
                    ApiError::Invalid("household: choose a household of the list".into())
                })?;
            let input = campaigns::VisitInput {
                household,
                date: date_param("date", f.date.as_deref(), state.app.clock.today())
                    .map_err(|e| ApiError::Invalid(e.view().detail))?,
                outcome: outcome_of(f.outcome.as_deref().unwrap_or(""))?,
                problems: f.problems.clone().unwrap_or_default(),
                note: f.note.clone().unwrap_or_default(),
                risk_hint: f.risk.clone(),
            };
            campaigns::record_visit(&state.app, &caller.principal, id, input, "web")
                .await
                .map_err(campaign_error)
        }
        .await;
        match attempt {
            Ok(_) => Ok(Redirect::to(&format!("/campaigns/{}", id.0)).into_response()),
            Err(e @ (ApiError::Invalid(_) | ApiError::NotFound(_))) => {
                campaign_page_of(
                    &state,
                    &ui,
                    &caller,
                    id,
                    &CampaignParams::default(),
                    e.view().detail,
                )
                .await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    done(res, &state, &ui)
}

// ------------------------------------------------------------------ samples

#[derive(Serialize)]
struct SampleContext {
    #[serde(flatten)]
    chrome: Chrome,
    county: String,
    seed: String,
    as_of: String,
    drawn: bool,
    villages: Vec<String>,
    strata: Vec<StratumLine>,
    households: Vec<SampleLine>,
    forms_query: String,
}

#[derive(Serialize)]
struct StratumLine {
    key: String,
    population: u64,
    drawn: u64,
}

#[derive(Serialize)]
struct SampleLine {
    household_no: String,
    village: String,
    head: String,
    members: u32,
    stratum: String,
}

pub(crate) async fn samples_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<SampleParams>, ApiError>,
) -> Response {
    let res = async {
        let Query(params) = params?;
        caller.require(Action::DrawSample)?;
        let county = params
            .county
            .clone()
            .filter(|c| !c.trim().is_empty())
            .or_else(|| {
                caller
                    .principal
                    .region
                    .filter(|r| r.level() == uplift_domain::region::RegionLevel::County)
                    .map(|r| r.prefix().to_owned())
            })
            .unwrap_or_default();
        let drawn = params.seed.is_some() && !county.is_empty();
        let sample = if drawn {
            let p = SampleParams {
                county: Some(county.clone()),
                ..params
            };
            Some((load_sample(&state, &caller, &p).await?, p))
        } else {
            None
        };
        let ctx = match sample {
            Some((s, p)) => {
                let names: std::collections::HashMap<_, _> = s
                    .villages
                    .iter()
                    .map(|v| (v.code, v.name.clone()))
                    .collect();
                SampleContext {
                    chrome: ui.chrome_for(&state, &caller).await,
                    forms_query: query_string(&[
                        ("county", &county),
                        ("seed", &s.seed.to_string()),
                        ("as_of", &s.as_of.to_string()),
                    ]),
                    county,
                    seed: s.seed.to_string(),
                    as_of: p.as_of.clone().unwrap_or_else(|| s.as_of.to_string()),
                    drawn: true,
                    villages: s
                        .villages
                        .iter()
                        .map(|v| format!("{} {}", v.code.as_str(), v.name))
                        .collect(),
                    strata: s
                        .strata
                        .iter()
                        .map(|x| StratumLine {
                            key: x.key.clone(),
                            population: x.population,
                            drawn: x.drawn,
                        })
                        .collect(),
                    households: s
                        .households
                        .iter()
                        .map(|h| SampleLine {
                            household_no: h.household_no.clone(),
                            village: names.get(&h.village).cloned().unwrap_or_default(),
                            head: h.head_name.clone().unwrap_or_default(),
                            members: h.members,
                            stratum: h.stratum.clone(),
                        })
                        .collect(),
                }
            }
            None => SampleContext {
                chrome: ui.chrome_for(&state, &caller).await,
                county,
                seed: String::new(),
                as_of: state.app.clock.today().to_string(),
                drawn: false,
                villages: Vec::new(),
                strata: Vec::new(),
                households: Vec::new(),
                forms_query: String::new(),
            },
        };
        render(&state, &ui, StatusCode::OK, "samples.html", ctx)
    }
    .await;
    done(res, &state, &ui)
}

async fn forms(
    state: &AppState,
    caller: &Caller,
    params: Result<Query<SampleParams>, ApiError>,
    format: Option<Format>,
) -> Result<Response, ApiError> {
    let Query(params) = params?;
    let s = load_sample(state, caller, &params).await?;
    let name = format!(
        "sample-{}-seed{}-{}",
        s.county.code.prefix(),
        s.seed,
        s.as_of
    );
    match format {
        Some(f) => download(&sampling::visit_forms(&s), f, &name),
        None => {
            let doc = crate::forms::sample_document(&s);
            let bytes = uplift_pdf::render(&doc)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!(e.to_string())))?;
            Ok(attachment("application/pdf", &format!("{name}.pdf"), bytes))
        }
    }
}

pub(crate) async fn forms_xlsx(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<SampleParams>, ApiError>,
) -> Response {
    let res = forms(&state, &caller, params, Some(Format::Xlsx)).await;
    done(res, &state, &ui)
}

pub(crate) async fn forms_csv(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<SampleParams>, ApiError>,
) -> Response {
    let res = forms(&state, &caller, params, Some(Format::Csv)).await;
    done(res, &state, &ui)
}

pub(crate) async fn forms_pdf(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<SampleParams>, ApiError>,
) -> Response {
    let res = forms(&state, &caller, params, None).await;
    done(res, &state, &ui)
}

pub(crate) fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/villages", get(rollup_page))
        .route("/villages/export.xlsx", get(export_xlsx))
        .route("/villages/export.csv", get(export_csv))
        .route("/villages/{region}", get(profile_page))
        .route("/villages/{region}/indicators", post(record))
        .route("/campaigns", get(campaigns_page).post(open_campaign))
        .route("/campaigns/{id}", get(campaign_page))
        .route("/campaigns/{id}/list.xlsx", get(campaign_list_xlsx))
        .route("/campaigns/{id}/visits", post(record_visit))
        .route("/samples", get(samples_page))
        .route("/samples/forms.xlsx", get(forms_xlsx))
        .route("/samples/forms.csv", get(forms_csv))
        .route("/samples/forms.pdf", get(forms_pdf))
}
