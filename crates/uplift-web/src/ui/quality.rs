//! `/quality?region=…`: the data-quality rules over the stored registry of a region — counts by
//! rule, drill-down to the households, and the ledger (台账) as .xlsx or .csv.
//!
//! Findings of the rules that reveal health (illness, disability) are counted for everyone but
//! listed only to roles that see health plainly.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uplift_app::imports::sheet::Format;
use uplift_app::quality::{
    ILLNESS_WITHOUT_OUT_OF_POCKET, NO_MAJOR_ILLNESS_INSURANCE, S_DISABILITY_LABOUR, S_GRADE_HEALTH,
    Severity,
};
use uplift_app::quality_survey::{self, Survey, SurveyError};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::AppState;
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::extract::Query;
use crate::i18n::Lang;
use crate::ui::{Chrome, UiLang, error_page, query_string, render};

/// Rules whose findings tell a member's health.
const HEALTH_RULES: &[&str] = &[
    S_DISABILITY_LABOUR,
    S_GRADE_HEALTH,
    NO_MAJOR_ILLNESS_INSURANCE,
    ILLNESS_WITHOUT_OUT_OF_POCKET,
];

#[derive(Debug, Default, Deserialize)]
pub(crate) struct QualityParams {
    region: Option<String>,
    rule: Option<String>,
}

#[derive(Serialize)]
struct QualityContext {
    #[serde(flatten)]
    chrome: Chrome,
    region: String,
    region_name: String,
    households: u64,
    rules: Vec<RuleRow>,
    rule: String,
    rule_name: String,
    drill: Vec<DrillRow>,
    withheld: bool,
    ledger_query: String,
}

#[derive(Serialize)]
struct RuleRow {
    code: &'static str,
    national: &'static str,
    name: &'static str,
    severity: &'static str,
    households: u64,
    href: String,
}

#[derive(Serialize)]
struct DrillRow {
    household_no: String,
    href: String,
    message: String,
}

fn failure(e: SurveyError) -> ApiError {
    match e {
        SurveyError::Denied(d) => ApiError::Forbidden(d.to_string()),
        SurveyError::Store(e) => e.into(),
    }
}

fn region_of(params: &QualityParams) -> Result<Option<RegionCode>, ApiError> {
    match params.region.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) => RegionCode::parse(r)
            .map(Some)
            .map_err(|e| ApiError::parameter("region", e.to_string())),
    }
}

/// The survey as the caller may see it: health findings withheld unless health is plain.
async fn run(
    state: &AppState,
    caller: &Caller,
    params: &QualityParams,
) -> Result<(Survey, bool), ApiError> {
    let region = region_of(params)?;
    let at = ReadAt::current(state.app.clock.today());
    let mut survey = quality_survey::survey(&state.app, &caller.principal, region, at)
        .await
        .map_err(failure)?;
    let withheld = !caller.masking(false).health;
    if withheld {
        survey
            .findings
            .retain(|f| !HEALTH_RULES.contains(&f.finding.rule));
    }
    Ok((survey, withheld))
}

pub(crate) async fn page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<QualityParams>, ApiError>,
) -> Response {
    let result = async {
        let Query(params) = params?;
        let (survey, withheld) = run(&state, &caller, &params).await?;
        let zh = ui.lang == Lang::Zh;
        let region = params.region.clone().unwrap_or_default();
        let region_name = match region_of(&params)? {
            Some(code) => state
                .app
                .store
                .region(&code)
                .await?
                .map(|r| r.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let rule = params.rule.clone().unwrap_or_default();
        let rules = survey
            .counts
            .iter()
            .map(|(r, n)| RuleRow {
                code: r.code,
                national: r.national.unwrap_or(""),
                name: if zh { r.name_zh } else { r.name_en },
                severity: match r.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                households: *n,
                href: format!(
                    "/quality{}",
                    query_string(&[("region", &region), ("rule", r.code)])
                ),
            })
            .collect();
        let rule_name = uplift_app::quality::find_rule(&rule)
            .map(|r| if zh { r.name_zh } else { r.name_en })
            .unwrap_or("")
            .to_owned();
        let drill = survey
            .findings
            .iter()
            .filter(|f| !rule.is_empty() && f.finding.rule == rule)
            .take(2000)
            .map(|f| DrillRow {
                household_no: f.finding.household_no.clone(),
                href: format!("/households/{}", f.household.0),
                message: if zh {
                    f.finding.message_zh.clone()
                } else {
                    f.finding.message_en.clone()
                },
            })
            .collect();
        let ctx = QualityContext {
            chrome: ui.chrome_for(&state, &caller).await,
            ledger_query: query_string(&[("region", &region)]),
            region,
            region_name,
            households: survey.households,
            rules,
            rule,
            rule_name,
            drill,
            withheld,
        };
        render(&state, &ui, StatusCode::OK, "quality.html", ctx)
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

async fn ledger(
    state: AppState,
    ui: UiLang,
    caller: Caller,
    params: Result<Query<QualityParams>, ApiError>,
    format: Format,
) -> Response {
    let result = async {
        let Query(params) = params?;
        let (survey, _) = run(&state, &caller, &params).await?;
        let sheet = quality_survey::ledger(&survey, ui.lang == Lang::En);
        let bytes = sheet
            .write(format)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
        let region = params.region.clone().unwrap_or_else(|| "all".to_owned());
        let name = format!(
            "quality-ledger-{}-{}.{}",
            region.trim(),
            state.app.clock.today(),
            format.extension()
        );
        Ok::<_, ApiError>(
            (
                [
                    (header::CONTENT_TYPE, format.content_type().to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
                bytes,
            )
                .into_response(),
        )
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

pub(crate) async fn ledger_csv(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<QualityParams>, ApiError>,
) -> Response {
    ledger(state, ui, caller, params, Format::Csv).await
}

pub(crate) async fn ledger_xlsx(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<QualityParams>, ApiError>,
) -> Response {
    ledger(state, ui, caller, params, Format::Xlsx).await
}
