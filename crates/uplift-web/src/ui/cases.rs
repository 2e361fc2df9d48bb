//! The case pages: the queue (`/cases`), one case with its next steps as forms (`/cases/{id}`),
//! a household's assistance page (clue, measures, visits, elimination eligibility) and a
//! helper's visit schedule (`/visits`). Forms post back here; a refused step re-renders the page
//! with the reason beside the form (422), a done one redirects (303).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use uplift_app::cases::{self, CaseId};
use uplift_app::store::{HouseholdDetail, HouseholdId};
use uplift_domain::access::Action;
use uplift_domain::case::{Channel, FundingSource, MeasureCategory, Stage};
use uplift_domain::household::{Codebook, Relation};

use crate::AppState;
use crate::api::cases::{
    ActionBody, CasePath, CaseView, ClueBody, ConditionView, MeasureBody, MeasuresView,
    ProposeBody, VisitBody, case_view, failure, household_in_scope, measures_view,
};
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::extract::{HouseholdPath, Query};
use crate::i18n::Lang;
use crate::ui::pager::{EveryRow, PageParams, Pager, slice};
use crate::ui::{Chrome, UiLang, error_page, render};

type FormResult<T> = Result<axum::Form<T>, axum::extract::rejection::FormRejection>;

fn form<T>(f: FormResult<T>) -> Result<T, ApiError> {
    f.map(|axum::Form(t)| t)
        .map_err(|e| ApiError::Invalid(format!("the form cannot be read: {}", e.body_text())))
}

pub(super) fn done(res: Result<Response, ApiError>, state: &AppState, ui: &UiLang) -> Response {
    match res {
        Ok(r) => r,
        Err(e) => error_page(state, ui, e),
    }
}

fn l<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

#[derive(Serialize)]
struct Option2 {
    code: &'static str,
    label: String,
    selected: bool,
}

fn options<T: Codebook>(lang: Lang, en: impl Fn(T) -> &'static str, pick: &str) -> Vec<Option2> {
    T::ALL
        .iter()
        .map(|v| Option2 {
            code: v.code(),
            label: l(lang, v.zh(), en(*v)).to_owned(),
            selected: v.code() == pick,
        })
        .collect()
}

/// A household as the case pages name it: number, head and village.
#[derive(Serialize)]
struct HouseholdLine {
    id: i64,
    household_no: String,
    head: String,
    village: String,
}

async fn household_line(
    state: &AppState,
    detail: &HouseholdDetail,
    id: HouseholdId,
) -> HouseholdLine {
    let h = &detail.household.value;
    let village = match state.app.store.region(&h.region).await {
        Ok(Some(r)) => r.name,
        _ => h.region.as_str().to_owned(),
    };
    HouseholdLine {
        id: id.0,
        household_no: h.household_no.as_str().to_owned(),
        head: detail
            .members
            .iter()
            .find(|m| m.person.value.relation == Relation::Head && m.person.value.is_active())
            .map(|m| m.person.value.name.clone())
            .unwrap_or_default(),
        village,
    }
}

// ---------------------------------------------------------------- the queue

#[derive(Serialize)]
struct QueueContext {
    #[serde(flatten)]
    chrome: Chrome,
    region: String,
    stages: Vec<Option2>,
    overdue_only: bool,
    rows: Vec<QueueRow>,
    #[serde(flatten)]
    pager: Pager,
}

#[derive(Serialize)]
struct QueueRow {
    id: i64,
    household: Option<HouseholdLine>,
    kind: String,
    channel: String,
    stage: String,
    clue_date: String,
    step_due: String,
    whole_due: String,
    overdue: bool,
    mine: bool,
}

pub(crate) async fn queue(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<crate::api::cases::QueueParams>, ApiError>,
    paging: Result<Query<PageParams>, ApiError>,
    every: Option<axum::Extension<EveryRow>>,
) -> Response {
    let lang = ui.lang;
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let Query(params) = params?;
        let Query(paging) = paging?;
        let (region, stage, overdue) = params.parse()?;
        let page = paging.page()?;
        let views = cases::queue(&state.app, &caller.principal, region, stage, overdue)
            .await
            .map_err(failure)?;
        let total = views.len() as u64;
        // One page of rows is rendered (each reads its household); the export renders all.
        let views = if every.is_some() {
            views
        } else {
            slice(views, page)
        };
        let overdue_text = if overdue { "true" } else { "" };
        let pager = Pager::new(
            lang,
            "/cases",
            &[
                ("region", params.region.as_deref().unwrap_or("")),
                ("stage", params.stage.as_deref().unwrap_or("")),
                ("overdue", overdue_text),
            ],
            &paging,
            page,
            total,
            "total_cases",
        );
        let mut rows = Vec::with_capacity(views.len());
        for v in &views {
            let c = &v.case;
            let household = match household_in_scope(&state, &caller, v.record.household).await {
                Ok(d) => Some(household_line(&state, &d, v.record.household).await),
                Err(_) => None,
            };
            rows.push(QueueRow {
                id: v.record.id.0,
                household,
                kind: l(lang, c.opening.kind.zh(), c.opening.kind.en()).to_owned(),
                channel: l(lang, c.opening.channel.zh(), c.opening.channel.en()).to_owned(),
                stage: l(lang, c.stage.zh(), c.stage.en()).to_owned(),
                clue_date: c.opening.clue_date.to_string(),
                step_due: v.step_due.map(|d| d.to_string()).unwrap_or_default(),
                whole_due: v.whole_due.map(|d| d.to_string()).unwrap_or_default(),
                overdue: v.overdue,
                mine: !v.next.is_empty(),
            });
        }
        let ctx = QueueContext {
            region: params.region.clone().unwrap_or_default(),
            stages: options::<Stage>(lang, Stage::en, params.stage.as_deref().unwrap_or("")),
            overdue_only: overdue,
            rows,
            pager,
            chrome: ui.chrome_for(&state, &caller).await,
        };
        render(&state, &ui, StatusCode::OK, "cases.html", ctx)
    }
    .await;
    done(res, &state, &ui)
}

// ---------------------------------------------------------------- one case

#[derive(Serialize)]
struct CaseContext {
    #[serde(flatten)]
    chrome: Chrome,
    case: CaseView,
    household: HouseholdLine,
    kind: String,
    channel: String,
    stage: String,
    identification: bool,
    /// The forms of the next allowed steps.
    next: Vec<&'static str>,
    error: Option<String>,
    /// The command whose form failed, to show the error beside it.
    failed: String,
    today: String,
    categories: Vec<Option2>,
    risks: Vec<Option2>,
    has_notice: bool,
    has_announcement: bool,
}

async fn case_page(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    id: CaseId,
    error: Option<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let lang = ui.lang;
    let v = cases::get(&state.app, &caller.principal, id)
        .await
        .map_err(failure)?;
    let detail = household_in_scope(state, caller, v.record.household).await?;
    let household = household_line(state, &detail, v.record.household).await;
    let pack = state
        .app
        .policy
        .in_force(&v.record.region, state.app.clock.today());
    let categories = pack
        .map(|p| {
            p.categories
                .iter()
                .map(|c| Option2 {
                    code: leak(&c.code),
                    label: format!("{} {}", c.code, l(lang, &c.zh, &c.en)),
                    selected: false,
                })
                .collect()
        })
        .unwrap_or_default();
    let risks = pack
        .map(|p| {
            p.risk_types
                .iter()
                .map(|r| Option2 {
                    code: leak(&r.code),
                    label: format!("{} {}", r.code, l(lang, &r.zh, &r.en)),
                    selected: false,
                })
                .collect()
        })
        .unwrap_or_default();
    let c = &v.case;
    let (status, error, failed) = match error {
        Some((cmd, e)) => (StatusCode::UNPROCESSABLE_ENTITY, Some(e), cmd),
        None => (StatusCode::OK, None, String::new()),
    };
    let ctx = CaseContext {
        kind: l(lang, c.opening.kind.zh(), c.opening.kind.en()).to_owned(),
        channel: l(lang, c.opening.channel.zh(), c.opening.channel.en()).to_owned(),
        stage: l(lang, c.stage.zh(), c.stage.en()).to_owned(),
        identification: c.opening.kind == uplift_domain::case::CaseKind::Identification,
        next: v.next.clone(),
        has_notice: c.notice.is_some(),
        has_announcement: c.announced_on.is_some(),
        case: case_view(&v),
        household,
        error,
        failed,
        today: state.app.clock.today().to_string(),
        categories,
        risks,
        chrome: ui.chrome_for(state, caller).await,
    };
    render(state, ui, status, "case.html", ctx)
}

/// Codes of the pack live as long as the server; the option lists borrow them.
fn leak(s: &str) -> &'static str {
    // Codes are a handful of short strings per pack; keep one copy of each.
    static CODES: std::sync::OnceLock<std::sync::Mutex<std::collections::BTreeSet<&'static str>>> =
        std::sync::OnceLock::new();
    let mut set = CODES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(found) = set.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

pub(crate) async fn page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<CasePath, ApiError>,
) -> Response {
    let res = async {
        let CasePath(id) = id?;
        case_page(&state, &ui, &caller, id, None).await
    }
    .await;
    done(res, &state, &ui)
}

/// The fields of every step form, as the browser sends them.
#[derive(Deserialize, Default)]
pub(crate) struct ActionForm {
    csrf: Option<String>,
    command: Option<String>,
    version: Option<String>,
    commitment_signed: Option<String>,
    asset_query_authorised: Option<String>,
    adverse_findings: Option<String>,
    findings: Option<String>,
    held_on: Option<String>,
    attendees: Option<String>,
    votes_for: Option<String>,
    votes_against: Option<String>,
    abstentions: Option<String>,
    minutes: Option<String>,
    start: Option<String>,
    text: Option<String>,
    index: Option<String>,
    answer: Option<String>,
    opinion: Option<String>,
    category: Option<String>,
    #[serde(default)]
    risks: Vec<String>,
    elimination_type: Option<String>,
    on: Option<String>,
    entered_by: Option<String>,
    entered_on: Option<String>,
    reason: Option<String>,
}

fn checkbox(v: &Option<String>) -> Option<bool> {
    Some(matches!(v.as_deref(), Some("on" | "true" | "1" | "yes")))
}

fn number<T: std::str::FromStr>(field: &str, v: &Option<String>) -> Result<Option<T>, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::Invalid(format!("{field}: {s:?} is not a whole number"))),
    }
}

impl ActionForm {
    fn body(&self) -> Result<ActionBody, ApiError> {
        let opt = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Ok(ActionBody {
            command: self.command.clone().unwrap_or_default(),
            version: number("version", &self.version)?
                .ok_or_else(|| ApiError::Invalid("version is required".into()))?,
            commitment_signed: checkbox(&self.commitment_signed),
            asset_query_authorised: checkbox(&self.asset_query_authorised),
            adverse_findings: checkbox(&self.adverse_findings),
            findings: opt(&self.findings),
            held_on: opt(&self.held_on),
            attendees: number("attendees", &self.attendees)?,
            votes_for: number("votes_for", &self.votes_for)?,
            votes_against: number("votes_against", &self.votes_against)?,
            abstentions: number("abstentions", &self.abstentions)?,
            minutes: opt(&self.minutes),
            start: opt(&self.start),
            text: opt(&self.text),
            index: number("index", &self.index)?,
            answer: opt(&self.answer),
            opinion: opt(&self.opinion),
            category: opt(&self.category),
            risks: Some(self.risks.clone()),
            elimination_type: opt(&self.elimination_type),
            on: opt(&self.on),
            entered_by: opt(&self.entered_by),
            entered_on: opt(&self.entered_on),
            reason: self.reason.clone(),
        })
    }
}

/// Takes a step from the case page's form.
pub(crate) async fn act(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<CasePath, ApiError>,
    f: Result<axum::extract::RawForm, axum::extract::rejection::RawFormRejection>,
) -> Response {
    let res = async {
        // Several risk checkboxes share one name; serde_urlencoded reads them into a list only
        // through this pairs pass.
        let raw = f.map_err(|e| ApiError::Invalid(e.body_text()))?;
        let f = parse_action_form(&raw.0)?;
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Action::ReadRegistry)?;
        let CasePath(id) = id?;
        cases::get(&state.app, &caller.principal, id)
            .await
            .map_err(failure)?;
        let command = f.command.clone().unwrap_or_default();
        let outcome = match f.body() {
            Ok(body) => crate::api::cases::act(&state, &caller, id, &body)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => Ok(Redirect::to(&format!("/cases/{}", id.0)).into_response()),
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(_))) => {
                let detail = e.view().detail;
                case_page(&state, &ui, &caller, id, Some((command, detail))).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    done(res, &state, &ui)
}

fn parse_action_form(raw: &[u8]) -> Result<ActionForm, ApiError> {
    let mut risks = Vec::new();
    let mut rest = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(raw) {
        if k == "risks" {
            if !v.is_empty() {
                risks.push(v.into_owned());
            }
        } else {
            rest.insert(k.into_owned(), serde_json::Value::String(v.into_owned()));
        }
    }
    let mut f: ActionForm = serde_json::from_value(serde_json::Value::Object(rest))
        .map_err(|e| ApiError::Invalid(format!("the form cannot be read: {e}")))?;
    f.risks = risks;
    Ok(f)
}

// ---------------------------------------------------------------- a household's assistance

#[derive(Serialize)]
struct AssistanceContext {
    #[serde(flatten)]
    chrome: Chrome,
    household: HouseholdLine,
    status: String,
    cases: Vec<CaseLink>,
    measures: MeasuresView,
    visits: Vec<crate::api::cases::VisitView>,
    conditions: Vec<ConditionView>,
    eligible: bool,
    channels: Vec<Option2>,
    categories: Vec<Option2>,
    funding: Vec<Option2>,
    may_open: bool,
    may_assist: bool,
    may_propose: bool,
    error: Option<String>,
    failed: String,
    today: String,
    visitor: String,
}

#[derive(Serialize)]
struct CaseLink {
    id: i64,
    text: String,
    open: bool,
}

pub(super) async fn assistance_page(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    id: HouseholdId,
    error: Option<(&str, String)>,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let lang = ui.lang;
    let p = &caller.principal;
    let detail = household_in_scope(state, caller, id).await?;
    let household = household_line(state, &detail, id).await;
    let status = cases::status(&state.app, p, id).await.map_err(failure)?;
    let case_views = cases::household_cases(&state.app, p, id)
        .await
        .map_err(failure)?;
    let measures = measures_view(state, caller, id).await?;
    let visits = crate::api::documents::visit_views(&state.app, p, id).await?;
    let conditions = cases::eligibility(&state.app, p, id)
        .await
        .map_err(failure)?;
    let (code, error, failed) = match error {
        Some((form, e)) => (StatusCode::UNPROCESSABLE_ENTITY, Some(e), form.to_owned()),
        None => (StatusCode::OK, None, String::new()),
    };
    let ctx = AssistanceContext {
        status: l(lang, status.zh(), status.en()).to_owned(),
        cases: case_views
            .iter()
            .map(|v| CaseLink {
                id: v.record.id.0,
                text: format!(
                    "{} · {} · {}",
                    v.case.opening.clue_date,
                    l(lang, v.case.opening.kind.zh(), v.case.opening.kind.en()),
                    l(lang, v.case.stage.zh(), v.case.stage.en())
                ),
                open: !v.case.stage.is_terminal(),
            })
            .collect(),
        measures,
        visits,
        eligible: !conditions.is_empty() && conditions.iter().all(|c| c.passed),
        conditions: conditions.iter().map(ConditionView::of).collect(),
        channels: options::<Channel>(lang, Channel::en, "cadre_visit"),
        categories: options::<MeasureCategory>(lang, MeasureCategory::en, ""),
        funding: options::<FundingSource>(lang, |f| f.code(), "assistance_funds"),
        may_open: p.may(Action::OpenCase),
        may_assist: p.may(Action::RecordAssistance),
        may_propose: p.may(Action::ProposeElimination),
        household,
        error,
        failed,
        today: state.app.clock.today().to_string(),
        visitor: p.name.clone(),
        chrome: ui.chrome_for(state, caller).await,
    };
    render(state, ui, code, "assistance.html", ctx)
}

pub(crate) async fn assistance(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
) -> Response {
    let res = async {
        let HouseholdPath(id) = id?;
        assistance_page(&state, &ui, &caller, id, None).await
    }
    .await;
    done(res, &state, &ui)
}

/// What a household form posts: the CSRF token and the fields of one of its forms.
#[derive(Deserialize, Default)]
pub(crate) struct HouseholdForm {
    csrf: Option<String>,
    channel: Option<String>,
    clue_date: Option<String>,
    summary: Option<String>,
    risk_hint: Option<String>,
    green_channel: Option<String>,
    category: Option<String>,
    name: Option<String>,
    start: Option<String>,
    end: Option<String>,
    amount: Option<String>,
    funding: Option<String>,
    date: Option<String>,
    visitor: Option<String>,
    income_above_line: Option<String>,
    health_ok: Option<String>,
    schooling_ok: Option<String>,
    work_ok: Option<String>,
    housing_ok: Option<String>,
    water_ok: Option<String>,
    findings: Option<String>,
    problems: Option<String>,
    follow_ups: Option<String>,
}

/// A finding select: `ok` is fine, `problem` a problem, empty not looked at.
fn finding(v: &Option<String>) -> Option<bool> {
    match v.as_deref() {
        Some("ok") => Some(true),
        Some("problem") => Some(false),
        _ => None,
    }
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// Which household form, and the use case it runs.
#[derive(Clone, Copy)]
enum HouseholdAction {
    Clue,
    Measure,
    Visit,
    Propose,
}

impl HouseholdAction {
    fn name(self) -> &'static str {
        match self {
            HouseholdAction::Clue => "clue",
            HouseholdAction::Measure => "measure",
            HouseholdAction::Visit => "visit",
            HouseholdAction::Propose => "propose",
        }
    }

    fn action(self) -> Action {
        match self {
            HouseholdAction::Clue => Action::OpenCase,
            HouseholdAction::Measure | HouseholdAction::Visit => Action::RecordAssistance,
            HouseholdAction::Propose => Action::ProposeElimination,
        }
    }
}

async fn run(
    state: &AppState,
    caller: &Caller,
    id: HouseholdId,
    what: HouseholdAction,
    f: &HouseholdForm,
) -> Result<String, ApiError> {
    let app = &state.app;
    let p = &caller.principal;
    match what {
        HouseholdAction::Clue => {
            let clue = ClueBody {
                channel: s(&f.channel),
                clue_date: s(&f.clue_date),
                summary: s(&f.summary),
                risk_hint: f.risk_hint.clone(),
                green_channel: checkbox(&f.green_channel).unwrap_or(false),
            }
            .clue()?;
            let case = cases::open_clue(app, p, id, clue, "web")
                .await
                .map_err(failure)?;
            Ok(format!("/cases/{}", case.0))
        }
        HouseholdAction::Measure => {
            let m = MeasureBody {
                category: s(&f.category),
                name: s(&f.name),
                start: s(&f.start),
                end: f.end.clone(),
                amount: s(&f.amount),
                funding: s(&f.funding),
                measure_id: None,
            }
            .measure()?;
            cases::record_measure(app, p, id, None, m, "web")
                .await
                .map_err(failure)?;
            Ok(format!("/households/{}/assistance#measures", id.0))
        }
        HouseholdAction::Visit => {
            let v = VisitBody {
                date: s(&f.date),
                visitor: s(&f.visitor),
                income_above_line: finding(&f.income_above_line),
                health_ok: finding(&f.health_ok),
                schooling_ok: finding(&f.schooling_ok),
                work_ok: finding(&f.work_ok),
                housing_ok: finding(&f.housing_ok),
                water_ok: finding(&f.water_ok),
                findings: s(&f.findings),
                problems: s(&f.problems),
                follow_ups: s(&f.follow_ups),
                photo: None,
            }
            .visit()?;
            cases::record_visit(app, p, id, v, "web")
                .await
                .map_err(failure)?;
            Ok(format!("/households/{}/assistance#visits", id.0))
        }
        HouseholdAction::Propose => {
            let body = ProposeBody {
                summary: s(&f.summary),
            };
            let case = cases::propose_elimination(app, p, id, body.summary.trim(), "web")
                .await
                .map_err(failure)?;
            Ok(format!("/cases/{}", case.0))
        }
    }
}

async fn household_post(
    state: AppState,
    ui: UiLang,
    caller: Caller,
    id: Result<HouseholdPath, ApiError>,
    f: FormResult<HouseholdForm>,
    what: HouseholdAction,
) -> Response {
    let res = async {
        let f = form(f)?;
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(what.action())?;
        let HouseholdPath(id) = id?;
        household_in_scope(&state, &caller, id).await?;
        match run(&state, &caller, id, what, &f).await {
            Ok(to) => Ok(Redirect::to(&to).into_response()),
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(_))) => {
                let detail = e.view().detail;
                assistance_page(&state, &ui, &caller, id, Some((what.name(), detail))).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    done(res, &state, &ui)
}

pub(crate) async fn open_clue(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    f: FormResult<HouseholdForm>,
) -> Response {
    household_post(state, ui, caller, id, f, HouseholdAction::Clue).await
}

pub(crate) async fn record_measure(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    f: FormResult<HouseholdForm>,
) -> Response {
    household_post(state, ui, caller, id, f, HouseholdAction::Measure).await
}

pub(crate) async fn record_visit(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    f: FormResult<HouseholdForm>,
) -> Response {
    household_post(state, ui, caller, id, f, HouseholdAction::Visit).await
}

pub(crate) async fn propose(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    f: FormResult<HouseholdForm>,
) -> Response {
    household_post(state, ui, caller, id, f, HouseholdAction::Propose).await
}

// ---------------------------------------------------------------- a helper's visit schedule

#[derive(Serialize)]
struct VisitsContext {
    #[serde(flatten)]
    chrome: Chrome,
    rows: Vec<ScheduleRow>,
    #[serde(flatten)]
    pager: Pager,
}

#[derive(Serialize)]
struct ScheduleRow {
    household: HouseholdLine,
    status: String,
    last_visit: String,
    next_due: String,
    due: bool,
}

/// The caller's households (a helper's assignments; a cadre's village) with the last visit and
/// the next one due a month after it, a page at a time in the household list's order, each page
/// sorted by the date due (the export: every household).
pub(crate) async fn schedule(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    paging: Result<Query<PageParams>, ApiError>,
    every: Option<axum::Extension<EveryRow>>,
) -> Response {
    let lang = ui.lang;
    let res = async {
        caller.require(Action::ReadRegistry)?;
        let Query(paging) = paging?;
        let page = paging.page()?;
        let app = &state.app;
        let today = app.clock.today();
        let filter = uplift_app::store::HouseholdFilter {
            scope: caller.scope(),
            ..uplift_app::store::HouseholdFilter::everything()
        };
        let at = uplift_domain::version::ReadAt::current(today);
        let mut listed = uplift_app::households::list(app, &filter, at, page).await?;
        let total = listed.total;
        if every.is_some() {
            // Every household of the scope, a full page at a time.
            let mut items = Vec::new();
            let mut number = 1;
            loop {
                let chunk = uplift_app::households::list(
                    app,
                    &filter,
                    at,
                    uplift_app::store::Page::new(number, uplift_app::store::Page::MAX_SIZE),
                )
                .await?;
                if chunk.items.is_empty() {
                    break;
                }
                items.extend(chunk.items);
                number += 1;
            }
            listed.items = items;
        }
        let mut rows = Vec::new();
        for h in &listed.items {
            let detail = household_in_scope(&state, &caller, h.id).await?;
            let status = cases::status(app, &caller.principal, h.id)
                .await
                .map_err(failure)?;
            let last = cases::visits(app, &caller.principal, h.id)
                .await
                .map_err(failure)?
                .iter()
                .map(|(_, v)| v.value.date)
                .max();
            let next = last
                .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                .unwrap_or(today);
            rows.push(ScheduleRow {
                household: household_line(&state, &detail, h.id).await,
                status: l(lang, status.zh(), status.en()).to_owned(),
                last_visit: last.map(|d| d.to_string()).unwrap_or_default(),
                next_due: next.to_string(),
                due: next <= today,
            });
        }
        rows.sort_by(|a, b| a.next_due.cmp(&b.next_due));
        let ctx = VisitsContext {
            rows,
            pager: Pager::new(
                lang,
                "/visits",
                &[],
                &paging,
                page,
                total,
                "total_households",
            ),
            chrome: ui.chrome_for(&state, &caller).await,
        };
        render(&state, &ui, StatusCode::OK, "visits.html", ctx)
    }
    .await;
    done(res, &state, &ui)
}

/// The case reminders of the home page: open cases the caller can move on, overdue first.
pub(crate) async fn reminders(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
) -> Vec<(String, String)> {
    let Ok(views) = cases::reminders(&state.app, &caller.principal).await else {
        return Vec::new();
    };
    views
        .iter()
        .take(20)
        .map(|v| {
            let c = &v.case;
            let due = v.step_due.map(|d| d.to_string()).unwrap_or_default();
            let text = match lang {
                Lang::Zh => format!(
                    "{}案件 #{}：{}{}{}",
                    c.opening.kind.zh(),
                    v.record.id.0,
                    c.stage.zh(),
                    if due.is_empty() {
                        String::new()
                    } else {
                        format!("，{due} 前办结")
                    },
                    if v.overdue { "（已逾期）" } else { "" }
                ),
                Lang::En => format!(
                    "{} case #{}: {}{}{}",
                    c.opening.kind.en(),
                    v.record.id.0,
                    c.stage.en(),
                    if due.is_empty() {
                        String::new()
                    } else {
                        format!(", due {due}")
                    },
                    if v.overdue { " (overdue)" } else { "" }
                ),
            };
            (text, format!("/cases/{}", v.record.id.0))
        })
        .collect()
}
