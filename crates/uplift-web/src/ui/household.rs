//! `/households/{id}`: one household at a point of view — its members, its income against the
//! monitoring line of the policy in force, and the history of every record.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use uplift_app::households;
use uplift_domain::household::{Codebook, Person};
use uplift_domain::version::cst;

use crate::AppState;
use crate::api::households::{
    IncomeFigures, Shown, Standing, active_members, history_items, out_of_pocket_code,
};
use crate::auth::{Caller, Masking, PageCaller};
use crate::error::ApiError;
use crate::extract::{HouseholdPath, Query};
use crate::i18n::{self, Lang};
use crate::pov::PointOfViewParams;
use crate::ui::households::{past_banner, type_label};
use crate::ui::{Chrome, UiLang, error_page, render};
use uplift_domain::access::Action;

#[derive(Serialize)]
struct HouseholdContext {
    #[serde(flatten)]
    chrome: Chrome,
    /// Whether to offer the form that reveals masked fields.
    may_unmask: bool,
    /// Whether masked fields are revealed on this page.
    unmasked: bool,
    id: i64,
    household_no: String,
    household_type: String,
    formerly_poor: bool,
    /// Breadcrumbs by region, each to the household list of that region.
    region_path: Vec<Crumb>,
    address: Option<String>,
    as_of: String,
    known_at: String,
    banner: Option<String>,
    list_href: String,
    members: Vec<MemberRow>,
    policy: Option<PolicyBox>,
    incomes: Vec<IncomeRow>,
    history: Vec<HistoryRow>,
    /// Clues, steps, measures, visits and elimination, by date.
    timeline: Vec<TimelineRow>,
    /// The typed-change forms, for roles that may edit the registry.
    changes: Option<crate::ui::changes::ChangeForms>,
}

#[derive(Serialize)]
struct TimelineRow {
    date: String,
    title: String,
    detail: String,
    actor: String,
    case_id: Option<i64>,
}

#[derive(Serialize)]
struct Crumb {
    name: String,
    href: String,
}

#[derive(Serialize)]
struct MemberRow {
    name: String,
    id_number: String,
    relation: String,
    sex: String,
    age: String,
    health: String,
    disability_grade: String,
    labour: String,
    education: String,
    schooling: String,
    major_illness_insurance: String,
    phone: String,
    status: String,
    active: bool,
}

#[derive(Serialize)]
struct PolicyBox {
    name: String,
    monitoring_line: String,
    edge_band_line: String,
    out_of_pocket: &'static str,
}

#[derive(Serialize)]
struct IncomeRow {
    period: String,
    wage: String,
    business: String,
    property: String,
    transfer: String,
    production_costs: String,
    compliant_out_of_pocket: String,
    gross: String,
    net: String,
    members: u32,
    per_capita_net: String,
    standing: Option<&'static str>,
    standing_label: String,
}

#[derive(Serialize)]
struct HistoryRow {
    kind: &'static str,
    subject: Option<String>,
    valid_from: String,
    recorded_at: String,
    actor: String,
    source: String,
    reason: Option<String>,
    changes: Vec<ChangeRow>,
}

#[derive(Serialize)]
struct ChangeRow {
    label: &'static str,
    value: String,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
) -> Response {
    match build(&state, &ui, &caller, id, pov, false).await {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}

fn label<T: Codebook>(value: T, lang: Lang) -> String {
    match lang {
        Lang::Zh => value.zh().to_owned(),
        Lang::En => i18n::humanize(value.code()),
    }
}

fn yes_no(value: Option<bool>, lang: Lang) -> String {
    match value {
        Some(true) => i18n::message(lang, "yes").to_owned(),
        Some(false) => i18n::message(lang, "no").to_owned(),
        None => String::new(),
    }
}

fn member_row(p: &Person, as_of: chrono::NaiveDate, lang: Lang, masking: &Masking) -> MemberRow {
    let hidden = || i18n::message(lang, "masked_value").to_owned();
    MemberRow {
        name: p.name.clone(),
        id_number: crate::api::households::shown_id_number(p, masking),
        relation: label(p.relation, lang),
        sex: p
            .sex
            .map(|s| match lang {
                Lang::Zh => s.zh().to_owned(),
                Lang::En => i18n::humanize(s.code()),
            })
            .unwrap_or_default(),
        age: p.age_on(as_of).map(|a| a.to_string()).unwrap_or_default(),
        health: if masking.health {
            label(p.health, lang)
        } else {
            hidden()
        },
        disability_grade: p
            .disability_grade
            .filter(|_| masking.health)
            .map(|g| g.to_string())
            .unwrap_or_default(),
        labour: label(p.labour, lang),
        education: p.education.map(|e| label(e, lang)).unwrap_or_default(),
        schooling: p.schooling.map(|s| label(s, lang)).unwrap_or_default(),
        major_illness_insurance: yes_no(p.major_illness_insurance, lang),
        phone: crate::api::households::shown_phone(p, masking).unwrap_or_default(),
        status: label(p.status, lang),
        active: p.is_active(),
    }
}

async fn build(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    id: Result<HouseholdPath, ApiError>,
    pov: Result<Query<PointOfViewParams>, ApiError>,
    unmasked: bool,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let scope = caller.scope();
    let masking = caller.masking(unmasked);
    let HouseholdPath(id) = id?;
    let Query(pov_params) = pov?;
    let app = &state.app;
    let lang = ui.lang;
    let pov = pov_params.parse(app.clock.today())?;
    let detail = households::get(app, id, &scope, pov.at).await?;
    let history = if caller.principal.may(Action::ReadHistory) {
        households::history_after_get(app, id, &scope, pov.at).await?
    } else {
        Vec::new()
    };
    let household = &detail.household.value;
    let region_path = app.store.region_path(&household.region).await?;
    let pack = app.policy.in_force(&household.region, pov.at.as_of);
    let members_counted = active_members(&detail);

    let as_of = pov_params.as_of.clone().unwrap_or_default();
    let known_at = pov
        .at
        .known_at
        .map(|t| t.with_timezone(&cst()).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default();
    let incomes = detail
        .incomes
        .iter()
        .map(|e| {
            let r = &e.income.value;
            let f = IncomeFigures::new(r, members_counted, pack);
            let money = |m: Option<uplift_domain::income::Money>| {
                m.map(|m| m.to_string()).unwrap_or_default()
            };
            IncomeRow {
                period: format!("{} – {}", r.period_start, r.period_end),
                wage: r.wage.to_string(),
                business: r.business.to_string(),
                property: r.property.to_string(),
                transfer: r.transfer.to_string(),
                production_costs: r.production_costs.to_string(),
                compliant_out_of_pocket: money(r.compliant_out_of_pocket),
                gross: r.gross().to_string(),
                net: money(f.net),
                members: f.members,
                per_capita_net: money(f.per_capita),
                standing: f.standing.map(Standing::code),
                standing_label: f
                    .standing
                    .map(|s| i18n::message(lang, &format!("standing_{}", s.code())).to_owned())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let history = history_items(id, &history)
        .into_iter()
        .map(|item| HistoryRow {
            kind: item.kind,
            subject: item.subject.clone(),
            valid_from: item.stamp.valid_from.to_string(),
            recorded_at: item
                .stamp
                .recorded_at
                .with_timezone(&cst())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            actor: item.stamp.actor.clone(),
            source: item.stamp.source.clone(),
            reason: item.stamp.reason.clone(),
            changes: item
                .changes
                .iter()
                .map(|f| ChangeRow {
                    label: i18n::message(lang, &format!("field_{}", f.key)),
                    value: match &f.value {
                        Shown::Text(s) if s.is_empty() => i18n::message(lang, "cleared").to_owned(),
                        shown => shown.in_lang(lang),
                    },
                })
                .collect(),
        })
        .collect();
    let timeline = uplift_app::cases::timeline(app, &caller.principal, id)
        .await
        .map_err(crate::api::cases::failure)?
        .into_iter()
        .map(|e| TimelineRow {
            date: e.date.to_string(),
            title: match lang {
                Lang::Zh => e.title_zh,
                Lang::En => e.title_en,
            },
            detail: match lang {
                Lang::Zh => e.detail,
                Lang::En => e.detail_en,
            },
            actor: e.actor,
            case_id: e.case.map(|c| c.0),
        })
        .collect();
    let ctx = HouseholdContext {
        timeline,
        id: id.0,
        household_no: household.household_no.as_str().to_owned(),
        household_type: type_label(household.household_type, lang),
        formerly_poor: household.household_type
            == uplift_domain::household::HouseholdType::FormerlyPoor,
        region_path: region_path
            .iter()
            .map(|r| Crumb {
                name: r.name.clone(),
                href: format!(
                    "/households{}",
                    crate::ui::query_string(&[
                        ("region", r.code.prefix()),
                        ("as_of", &as_of),
                        ("known_at", &known_at),
                    ])
                ),
            })
            .collect(),
        address: household.address.clone(),
        banner: pov.is_past().then(|| past_banner(lang, &pov)),
        list_href: format!(
            "/households{}",
            crate::ui::query_string(&[
                ("region", household.region.prefix()),
                ("as_of", &as_of),
                ("known_at", &known_at),
            ])
        ),
        as_of: pov.at.as_of.to_string(),
        known_at,
        members: detail
            .members
            .iter()
            .map(|m| member_row(&m.person.value, pov.at.as_of, lang, &masking))
            .collect(),
        policy: pack.map(|p| PolicyBox {
            name: match lang {
                Lang::Zh => p.name_zh.clone(),
                Lang::En => p.name_en.clone(),
            },
            monitoring_line: p.monitoring_line.to_string(),
            edge_band_line: p.edge_band_line().to_string(),
            out_of_pocket: i18n::message(
                lang,
                &format!("out_of_pocket_{}", out_of_pocket_code(p.out_of_pocket)),
            ),
        }),
        incomes,
        history,
        changes: crate::ui::changes::forms(state, caller, &detail, lang).await?,
        may_unmask: masking.may_unmask && !unmasked,
        unmasked,
        chrome: ui.chrome_for(state, caller).await,
    };
    render(state, ui, StatusCode::OK, "household.html", ctx)
}

#[derive(serde::Deserialize)]
pub(crate) struct UnmaskForm {
    csrf: Option<String>,
    reason: Option<String>,
}

/// Shows the household with its masked fields revealed, after recording who looked and why.
pub(crate) async fn unmask(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    form: Result<axum::Form<UnmaskForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let result = async {
        let axum::Form(form) =
            form.map_err(|e| ApiError::Invalid(format!("the form cannot be read: {e}")))?;
        caller.check_csrf(form.csrf.as_deref())?;
        caller.require(Action::Unmask)?;
        let HouseholdPath(household) = id?;
        let today = uplift_domain::version::ReadAt::current(state.app.clock.today());
        let detail = households::get(&state.app, household, &caller.scope(), today).await?;
        uplift_app::access::unmask(
            &state.app,
            &caller.principal,
            household,
            Some(detail.household.value.region),
            form.reason.as_deref().unwrap_or(""),
        )
        .await?;
        let pov = Ok(Query(PointOfViewParams::default()));
        build(
            &state,
            &ui,
            &caller,
            Ok(HouseholdPath(household)),
            pov,
            true,
        )
        .await
    }
    .await;
    match result {
        Ok(res) => res,
        Err(err) => error_page(&state, &ui, err),
    }
}
