//! Use cases of identification, assistance and elimination (domain.md §5, §7, §8).
//!
//! Every use case checks the principal's action (role) and reads the household through the
//! principal's scope (region, or a helper's assignments), so a user of another village, township
//! or county is refused as if the household did not exist. The domain decides every transition;
//! the store appends each step as an event under optimistic concurrency.

pub mod store;

use chrono::NaiveDate;
use uplift_domain::access::{Action, Role};
use uplift_domain::calendar::WorkCalendar;
use uplift_domain::case::elimination::{EliminationFacts, IncomeEvidence};
use uplift_domain::case::{
    self, Case, CaseKind, Channel, Command, ConditionResult, Ctx, Event, Measure, MismatchProblem,
    MonitoringStatus, Opening, Stage, TransitionError, Visit, check_elimination, check_measures,
    monitoring_status,
};
use uplift_domain::household::{Codebook as _, Labour};
use uplift_domain::policy::PolicyPack;
use uplift_domain::region::RegionCode;
use uplift_domain::version::{ReadAt, VersionStamp, Versioned};

use crate::App;
use crate::access::{AccessDenied, Principal};
use crate::households;
use crate::store::{HouseholdDetail, HouseholdId, Scope, StoreError};
pub use store::{CaseFilter, CaseId, CaseRecord, CaseStore, MeasureId, VisitId};

/// Why a case use case failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseFailure {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no policy pack is in force for {region} on {on}")]
    NoPolicy { region: RegionCode, on: NaiveDate },
    #[error("invalid: {0}")]
    Invalid(String),
}

pub type CaseResult<T> = Result<T, CaseFailure>;

/// A clue as a user reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clue {
    pub channel: Channel,
    pub clue_date: NaiveDate,
    pub summary: String,
    pub risk_hint: Option<String>,
    pub green_channel: bool,
}

/// A case with what the screens show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseView {
    pub record: CaseRecord,
    pub case: Case,
    pub step_due: Option<NaiveDate>,
    pub whole_due: Option<NaiveDate>,
    pub overdue: bool,
    /// Commands the viewing principal could take next.
    pub next: Vec<&'static str>,
}

fn calendar() -> &'static WorkCalendar {
    static CAL: std::sync::OnceLock<WorkCalendar> = std::sync::OnceLock::new();
    CAL.get_or_init(WorkCalendar::shipped)
}

fn pack_for<'a>(app: &'a App, region: &RegionCode, on: NaiveDate) -> CaseResult<&'a PolicyPack> {
    app.policy
        .in_force(region, on)
        .ok_or(CaseFailure::NoPolicy {
            region: *region,
            on,
        })
}

/// The household as the principal may see it now; not found outside the scope.
async fn household_in_scope(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<HouseholdDetail> {
    let today = app.clock.today();
    Ok(households::get(app, household, &by.scope(), ReadAt::current(today)).await?)
}

/// The household as the principal may see it now (role and scope checked); not found outside.
pub async fn household_detail(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<HouseholdDetail> {
    by.require(Action::ReadRegistry)?;
    household_in_scope(app, by, household).await
}

fn stamp(
    app: &App,
    by: &Principal,
    source: &str,
    valid_from: NaiveDate,
    reason: Option<String>,
) -> VersionStamp {
    app.stamp(&by.name, source, valid_from, reason)
}

fn view(app: &App, by: &Principal, record: CaseRecord) -> CaseResult<CaseView> {
    let case = record.case()?;
    let today = app.clock.today();
    let pack = pack_for(app, &record.region, today)?;
    Ok(CaseView {
        step_due: case.step_due(pack, calendar()),
        whole_due: case.whole_due(pack),
        overdue: case.overdue(today, pack, calendar()),
        next: case.next_commands(by.role),
        case,
        record,
    })
}

/// The household's cases, oldest first (unscoped: the caller has checked the household).
async fn cases_of(app: &App, household: HouseholdId) -> CaseResult<Vec<CaseRecord>> {
    Ok(app
        .store
        .list_cases(&CaseFilter {
            scope: Scope::Everything,
            region: None,
            stage: None,
            household: Some(household),
        })
        .await?)
}

/// Where the household stands, from its cases.
pub async fn status(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<MonitoringStatus> {
    by.require(Action::ReadRegistry)?;
    household_in_scope(app, by, household).await?;
    status_unchecked(app, household).await
}

async fn status_unchecked(app: &App, household: HouseholdId) -> CaseResult<MonitoringStatus> {
    let cases = cases_of(app, household)
        .await?
        .iter()
        .map(CaseRecord::case)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(monitoring_status(&cases))
}

/// Records a clue and opens an identification case. A clue on an eliminated household rolls the
/// elimination back (风险消除回退). One household has at most one open case at a time.
pub async fn open_clue(
    app: &App,
    by: &Principal,
    household: HouseholdId,
    clue: Clue,
    source: &str,
) -> CaseResult<CaseId> {
    by.require(Action::OpenCase)?;
    let detail = household_in_scope(app, by, household).await?;
    let region = detail.household.value.region;
    let today = app.clock.today();
    let pack = pack_for(app, &region, today)?;
    refuse_if_open(app, household).await?;
    let status = status_unchecked(app, household).await?;
    let opening = Opening {
        kind: CaseKind::Identification,
        channel: clue.channel,
        clue_date: clue.clue_date,
        summary: clue.summary,
        risk_hint: clue.risk_hint,
        green_channel: clue.green_channel,
        rollback: matches!(status, MonitoringStatus::Eliminated { .. }),
        conditions: Vec::new(),
    };
    let ctx = Ctx {
        today,
        role: by.role,
        pack,
        calendar: calendar(),
    };
    let event = case::open(opening, &ctx)?;
    let stamp = stamp(app, by, source, clue.clue_date, None);
    Ok(app
        .store
        .open_case(household, &region, &event, &stamp)
        .await?)
}

async fn refuse_if_open(app: &App, household: HouseholdId) -> CaseResult<()> {
    for record in cases_of(app, household).await? {
        let case = record.case()?;
        if !case.stage.is_terminal() {
            return Err(CaseFailure::Store(StoreError::Conflict(format!(
                "household {} already has open case {}",
                household.0, record.id.0
            ))));
        }
    }
    Ok(())
}

/// The facts elimination is checked on.
pub async fn elimination_facts(
    app: &App,
    household: HouseholdId,
    detail: &HouseholdDetail,
    pack: &PolicyPack,
) -> CaseResult<EliminationFacts> {
    let today = app.clock.today();
    let status = status_unchecked(app, household).await?;
    let risks = cases_of(app, household)
        .await?
        .iter()
        .filter_map(|r| r.case().ok())
        .filter_map(|c| match c.approval {
            Some((_, case::Decision::Identify { risks, .. })) if c.stage != Stage::Rejected => {
                Some(risks)
            }
            _ => None,
        })
        .next_back()
        .unwrap_or_default();
    let measures = app
        .store
        .measures(household, ReadAt::current(today))
        .await?
        .into_iter()
        .map(|(_, m)| m.value.fact())
        .collect();
    let visits = app
        .store
        .visits(household)
        .await?
        .into_iter()
        .map(|(_, v)| v.value.evidence())
        .collect();
    let active: Vec<_> = detail
        .members
        .iter()
        .filter(|m| m.person.value.is_active())
        .collect();
    let labour: Vec<Labour> = active.iter().map(|m| m.person.value.labour).collect();
    let members = u32::try_from(active.len()).unwrap_or(u32::MAX);
    let income = detail
        .incomes
        .iter()
        .filter_map(|i| {
            let r = &i.income.value;
            Some(IncomeEvidence {
                period_start: r.period_start,
                period_end: r.period_end,
                per_capita_net: r.per_capita_net(members, pack.out_of_pocket)?,
            })
        })
        .collect();
    // Willingness is not in the registry; a member with ordinary or skilled labour counts as able
    // and willing unless a visit says otherwise (domain.md §7.1).
    let able = labour
        .iter()
        .any(|l| matches!(l, Labour::Ordinary | Labour::Skilled));
    Ok(EliminationFacts {
        identified_on: match status {
            MonitoringStatus::Monitored { identified_on, .. }
            | MonitoringStatus::RolledBack { identified_on, .. } => Some(identified_on),
            _ => None,
        },
        risks,
        measures,
        income,
        visits,
        labour,
        able_and_willing_to_work: able,
    })
}

/// Checks every elimination condition for a household now.
pub async fn eligibility(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<Vec<ConditionResult>> {
    by.require(Action::ReadRegistry)?;
    let detail = household_in_scope(app, by, household).await?;
    let today = app.clock.today();
    let pack = pack_for(app, &detail.household.value.region, today)?;
    let facts = elimination_facts(app, household, &detail, pack).await?;
    Ok(check_elimination(&facts, pack, today))
}

/// Whether the household's measures match its risks now.
pub async fn measure_check(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<Vec<MismatchProblem>> {
    by.require(Action::ReadRegistry)?;
    let detail = household_in_scope(app, by, household).await?;
    let today = app.clock.today();
    let pack = pack_for(app, &detail.household.value.region, today)?;
    let facts = elimination_facts(app, household, &detail, pack).await?;
    Ok(check_measures(
        &facts.risks,
        &facts.measures,
        facts.able_and_willing_to_work,
        today,
    ))
}

/// Proposes a monitored household for elimination; every condition must pass.
pub async fn propose_elimination(
    app: &App,
    by: &Principal,
    household: HouseholdId,
    summary: &str,
    source: &str,
) -> CaseResult<CaseId> {
    by.require(Action::ProposeElimination)?;
    let detail = household_in_scope(app, by, household).await?;
    let region = detail.household.value.region;
    let today = app.clock.today();
    let pack = pack_for(app, &region, today)?;
    refuse_if_open(app, household).await?;
    let facts = elimination_facts(app, household, &detail, pack).await?;
    let conditions = check_elimination(&facts, pack, today);
    let opening = Opening {
        kind: CaseKind::Elimination,
        channel: Channel::CadreVisit,
        clue_date: today,
        summary: summary.to_owned(),
        risk_hint: None,
        green_channel: false,
        rollback: false,
        conditions,
    };
    let ctx = Ctx {
        today,
        role: by.role,
        pack,
        calendar: calendar(),
    };
    let event = case::open(opening, &ctx)?;
    let stamp = stamp(app, by, source, today, None);
    Ok(app
        .store
        .open_case(household, &region, &event, &stamp)
        .await?)
}

/// One case as the principal may see it.
pub async fn get(app: &App, by: &Principal, id: CaseId) -> CaseResult<CaseView> {
    by.require(Action::ReadRegistry)?;
    let record = app
        .store
        .case_record(id, &by.scope())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("case {}", id.0)))?;
    view(app, by, record)
}

/// Takes one step on a case. `expected_version` is the version the user saw: if another user
/// acted in between, the step is refused with a conflict and nothing is written.
pub async fn act(
    app: &App,
    by: &Principal,
    id: CaseId,
    expected_version: u32,
    command: Command,
    source: &str,
) -> CaseResult<CaseView> {
    by.require(Action::ReadRegistry)?;
    let record = app
        .store
        .case_record(id, &by.scope())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("case {}", id.0)))?;
    let mut case = record.case()?;
    if case.version != expected_version {
        return Err(StoreError::Conflict(format!(
            "case {} is at version {}, not {expected_version}; reload it",
            id.0, case.version
        ))
        .into());
    }
    let today = app.clock.today();
    let pack = pack_for(app, &record.region, today)?;
    let ctx = Ctx {
        today,
        role: by.role,
        pack,
        calendar: calendar(),
    };
    let event = case::apply(&case, &command, &ctx)?;
    case.record(&event, today);
    let reason = match &event {
        Event::Rejected { reason, .. } => Some(reason.clone()),
        _ => None,
    };
    let stamp = stamp(app, by, source, today, reason);
    app.store
        .append_case_event(id, expected_version, &event, case.stage, &stamp)
        .await?;
    get(app, by, id).await
}

/// The cases queue: in the principal's scope, filtered, oldest first.
pub async fn queue(
    app: &App,
    by: &Principal,
    region: Option<RegionCode>,
    stage: Option<Stage>,
    overdue_only: bool,
) -> CaseResult<Vec<CaseView>> {
    by.require(Action::ReadRegistry)?;
    let records = app
        .store
        .list_cases(&CaseFilter {
            scope: by.scope(),
            region,
            stage,
            household: None,
        })
        .await?;
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let v = view(app, by, record)?;
        if !overdue_only || v.overdue {
            out.push(v);
        }
    }
    Ok(out)
}

/// Open cases the principal can move on now, overdue first: the home page's reminders.
pub async fn reminders(app: &App, by: &Principal) -> CaseResult<Vec<CaseView>> {
    let mut open: Vec<CaseView> = queue(app, by, None, None, false)
        .await?
        .into_iter()
        .filter(|v| !v.case.stage.is_terminal() && !v.next.is_empty())
        .collect();
    open.sort_by_key(|v| (!v.overdue, v.step_due));
    Ok(open)
}

/// The household's cases as the principal may see them.
pub async fn household_cases(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<Vec<CaseView>> {
    by.require(Action::ReadRegistry)?;
    household_in_scope(app, by, household).await?;
    cases_of(app, household)
        .await?
        .into_iter()
        .map(|r| view(app, by, r))
        .collect()
}

/// Records a measure. Only for an identified household, or during a green-channel case (help
/// first, recognise later); measures of an eliminated household keep running, and may be edited.
pub async fn record_measure(
    app: &App,
    by: &Principal,
    household: HouseholdId,
    id: Option<MeasureId>,
    measure: Measure,
    source: &str,
) -> CaseResult<MeasureId> {
    by.require(Action::RecordAssistance)?;
    household_in_scope(app, by, household).await?;
    measure.check().map_err(CaseFailure::Invalid)?;
    let status = status_unchecked(app, household).await?;
    let green = cases_of(app, household)
        .await?
        .iter()
        .filter_map(|r| r.case().ok())
        .any(|c| !c.stage.is_terminal() && c.assistance_first());
    let allowed = match status {
        MonitoringStatus::Monitored { .. } | MonitoringStatus::RolledBack { .. } => true,
        MonitoringStatus::Eliminated { .. } => id.is_some(),
        MonitoringStatus::NotMonitored => green,
    };
    if !allowed {
        return Err(CaseFailure::Invalid(
            "measures are recorded for identified households, or first through the green channel"
                .into(),
        ));
    }
    let stamp = stamp(app, by, source, measure.start, None);
    Ok(app
        .store
        .save_measure(household, id, &measure, &stamp)
        .await?)
}

pub async fn measures(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<Vec<(MeasureId, Versioned<Measure>)>> {
    by.require(Action::ReadRegistry)?;
    household_in_scope(app, by, household).await?;
    let today = app.clock.today();
    Ok(app
        .store
        .measures(household, ReadAt::current(today))
        .await?)
}

/// Records a visit. A helper records visits to their own households only (their scope).
pub async fn record_visit(
    app: &App,
    by: &Principal,
    household: HouseholdId,
    visit: Visit,
    source: &str,
) -> CaseResult<VisitId> {
    by.require(Action::RecordAssistance)?;
    household_in_scope(app, by, household).await?;
    visit
        .check(app.clock.today())
        .map_err(CaseFailure::Invalid)?;
    let stamp = stamp(app, by, source, visit.date, None);
    Ok(app.store.record_visit(household, &visit, &stamp).await?)
}

pub async fn visits(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<Vec<(VisitId, Versioned<Visit>)>> {
    by.require(Action::ReadRegistry)?;
    household_in_scope(app, by, household).await?;
    Ok(app.store.visits(household).await?)
}

/// One line of the household timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub date: NaiveDate,
    /// `case`, `measure`, `visit`.
    pub kind: &'static str,
    pub title_zh: String,
    pub title_en: String,
    pub detail: String,
    /// The detail with codebook labels in English (user text stays as written).
    pub detail_en: String,
    pub actor: String,
    pub case: Option<CaseId>,
}

/// Clues, steps, measures, visits and elimination, by date.
pub async fn timeline(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<Vec<TimelineEntry>> {
    // One scope check for the three reads below (each public reader would check again).
    by.require(Action::ReadRegistry)?;
    household_in_scope(app, by, household).await?;
    let cases = cases_of(app, household)
        .await?
        .into_iter()
        .map(|r| view(app, by, r))
        .collect::<CaseResult<Vec<_>>>()?;
    let mut out = Vec::new();
    for v in &cases {
        let kind = v.case.opening.kind;
        for (event, stamp) in &v.record.events {
            let detail_en = match event {
                Event::Opened(o) => Some(format!(
                    "{} · {}",
                    o.channel.code().replace('_', " "),
                    o.summary
                )),
                Event::Approved {
                    decision: case::Decision::Eliminate { kind },
                    ..
                } => Some(kind.code().replace('_', " ")),
                _ => None,
            };
            let detail = match event {
                Event::Opened(o) => format!("{} · {}", o.channel.zh(), o.summary),
                Event::Rejected { reason, .. } => reason.clone(),
                Event::Approved { decision, .. } => match decision {
                    case::Decision::Identify { category, risks } => {
                        format!("{category} · {}", risks.join(","))
                    }
                    case::Decision::Eliminate { kind } => kind.zh().to_owned(),
                },
                Event::EnteredNational(e) => e.entered_by.clone(),
                Event::Reviewed { opinion } => opinion.clone(),
                _ => String::new(),
            };
            out.push(TimelineEntry {
                date: stamp.valid_from,
                kind: "case",
                title_zh: format!("{}：{}", kind.zh(), event.zh()),
                title_en: format!("{}: {}", kind.en(), event.en()),
                detail_en: detail_en.unwrap_or_else(|| detail.clone()),
                detail,
                actor: stamp.actor.clone(),
                case: Some(v.record.id),
            });
        }
    }
    let today = app.clock.today();
    for (_, m) in app
        .store
        .measures(household, ReadAt::current(today))
        .await?
    {
        let m = &m;
        out.push(TimelineEntry {
            date: m.value.start,
            kind: "measure",
            title_zh: format!("帮扶措施：{}", m.value.category.zh()),
            title_en: format!("Measure: {}", m.value.category.en()),
            detail: format!("{} · {} 元", m.value.name, m.value.amount),
            detail_en: format!("{} · {} yuan", m.value.name, m.value.amount),
            actor: m.stamp.actor.clone(),
            case: None,
        });
    }
    for (_, v) in app.store.visits(household).await? {
        out.push(TimelineEntry {
            date: v.value.date,
            kind: "visit",
            title_zh: "走访".into(),
            title_en: "Visit".into(),
            detail: format!("{} · {}", v.value.visitor, v.value.findings),
            detail_en: format!("{} · {}", v.value.visitor, v.value.findings),
            actor: v.stamp.actor.clone(),
            case: None,
        });
    }
    out.sort_by_key(|e| e.date);
    Ok(out)
}

/// Whether a role is one that takes steps on cases (for menus).
pub fn works_cases(role: Option<Role>) -> bool {
    role.is_none_or(|r| {
        [
            Action::OpenCase,
            Action::VerifyCase,
            Action::ReviewCase,
            Action::ApproveCase,
        ]
        .into_iter()
        .any(|a| r.may(a))
    })
}
