//! Use cases of the rectification ledger (问题整改台账, domain.md §10).
//!
//! Every use case checks the principal's action (role), reads the problem through the
//! principal's scope, and lets the domain check the command against the problem's state, the
//! actor's role and region (sign-off at the level above the responsible region). Each step is
//! appended as a stamped event under optimistic concurrency, so the ledger is its own history.

pub mod bulletin;
pub mod import;
pub mod responsibility;
pub mod store;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use uplift_domain::access::{Action, Role};
use uplift_domain::household::HouseholdNo;
use uplift_domain::rectify::{
    self, Assignment, Command, Ctx, Event, Evidence, Problem, ProblemFacts, ProblemState,
    RectificationRules, RectifyError,
};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::App;
use crate::access::{AccessDenied, Principal};
use crate::store::{Scope, StoreError};
pub use store::{
    EvidenceFile, ProblemFilter, ProblemId, ProblemRecord, RectifyStore, Responsibility, TaskId,
};

/// Why a rectification use case failed.
#[derive(Debug, thiserror::Error)]
pub enum RectifyFailure {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error(transparent)]
    Rule(#[from] RectifyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no policy pack with a rectification codebook is in force for {region} on {on}")]
    NoPolicy { region: RegionCode, on: NaiveDate },
    #[error("invalid: {0}")]
    Invalid(String),
}

pub type RectifyResult<T> = Result<T, RectifyFailure>;

/// A problem with what the screens show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemView {
    pub record: ProblemRecord,
    pub problem: Problem,
    pub overdue: bool,
    pub stalled: bool,
    /// Commands the viewing principal could take next (its region is checked when it acts).
    pub next: Vec<&'static str>,
}

/// The rectification rules of the pack in force for `region` on `on`.
pub fn rules_for<'a>(
    app: &'a App,
    region: &RegionCode,
    on: NaiveDate,
) -> RectifyResult<&'a RectificationRules> {
    app.policy
        .in_force(region, on)
        .and_then(|p| p.rectification.as_ref())
        .ok_or(RectifyFailure::NoPolicy {
            region: *region,
            on,
        })
}

/// The actor as the domain checks it; `None` is the machine's trust.
fn actor(by: &Principal) -> RectifyResult<Option<(Role, RegionCode)>> {
    match (by.role, by.region) {
        (None, _) => Ok(None),
        (Some(role), Some(region)) => Ok(Some((role, region))),
        (Some(_), None) => Err(RectifyFailure::Denied(AccessDenied {
            who: by.name.clone(),
            action: Action::ReadRectification,
        })),
    }
}

fn view(app: &App, by: &Principal, record: ProblemRecord) -> RectifyResult<ProblemView> {
    let problem = record.problem()?;
    let today = app.clock.today();
    let stalled = rules_for(app, &problem.facts.region, today)
        .map(|r| problem.stalled(today, r))
        .unwrap_or(false);
    Ok(ProblemView {
        overdue: problem.overdue(today),
        stalled,
        next: problem.next_commands(by.role),
        problem,
        record,
    })
}

/// Checks that every household number is well formed and names a household inside the
/// problem's region; returns the first that is not.
async fn check_households(app: &App, facts: &ProblemFacts) -> Result<(), String> {
    let today = app.clock.today();
    for no in &facts.households {
        let parsed = HouseholdNo::parse(no).map_err(|e| format!("household {no}: {e}"))?;
        let id = app
            .store
            .find_household_by_no(&parsed, ReadAt::current(today))
            .await
            .map_err(|e| e.to_string())?;
        let inside = match id {
            Some(id) => app
                .store
                .household(id, &Scope::Region(facts.region), ReadAt::current(today))
                .await
                .map_err(|e| e.to_string())?
                .is_some(),
            None => false,
        };
        if !inside {
            return Err(format!(
                "household {no} is not in the registry of region {}",
                facts.region
            ));
        }
    }
    Ok(())
}

/// Checks a problem (and its assignment, if given) and yields its first events.
pub async fn check_new(
    app: &App,
    by: &Principal,
    facts: ProblemFacts,
    assignment: Option<Assignment>,
) -> RectifyResult<Vec<Event>> {
    let today = app.clock.today();
    let rules = rules_for(app, &facts.region, today)?;
    let ctx = Ctx {
        today,
        actor: actor(by)?,
        rules,
    };
    check_households(app, &facts)
        .await
        .map_err(RectifyFailure::Invalid)?;
    let first = rectify::record(facts, &ctx)?;
    let mut events = vec![first];
    if let Some(a) = assignment {
        let problem = Problem::fold(events.iter().map(|e| (e, today)))?;
        events.push(rectify::apply(&problem, Command::Assign(a), &ctx)?);
    }
    Ok(events)
}

/// Records one problem (optionally assigned at once).
pub async fn record(
    app: &App,
    by: &Principal,
    facts: ProblemFacts,
    assignment: Option<Assignment>,
    source: &str,
) -> RectifyResult<ProblemId> {
    by.require(Action::ManageRectification)?;
    let events = check_new(app, by, facts, assignment).await?;
    let stamp = app.stamp(&by.name, source, app.clock.today(), None);
    let ids = app.store.record_problems(&[events], &stamp).await?;
    ids.into_iter()
        .next()
        .ok_or_else(|| RectifyFailure::Invalid("nothing was recorded".into()))
}

/// One problem as the principal may see it; not found outside the scope.
pub async fn get(app: &App, by: &Principal, id: ProblemId) -> RectifyResult<ProblemView> {
    by.require(Action::ReadRectification)?;
    let record = app
        .store
        .problem_record(id, &by.scope())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("problem {}", id.0)))?;
    view(app, by, record)
}

/// Problems in the principal's scope, narrowed by region and state, oldest first.
pub async fn list(
    app: &App,
    by: &Principal,
    region: Option<RegionCode>,
    state: Option<ProblemState>,
) -> RectifyResult<Vec<ProblemView>> {
    by.require(Action::ReadRectification)?;
    let records = app
        .store
        .list_problems(&ProblemFilter {
            scope: by.scope(),
            region,
            state,
        })
        .await?;
    records.into_iter().map(|r| view(app, by, r)).collect()
}

/// Overdue and stalled problems the principal answers for or signs off (home pages, dashboards).
pub async fn alerts(app: &App, by: &Principal) -> RectifyResult<Vec<ProblemView>> {
    if !by.may(Action::ReadRectification) {
        return Ok(Vec::new());
    }
    Ok(list(app, by, None, None)
        .await?
        .into_iter()
        .filter(|v| v.overdue || v.stalled)
        .collect())
}

/// An evidence file as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Takes a command on a problem. `uploads` are the evidence of a progress report (ignored for
/// other commands, which carry none). Returns the problem after the step.
pub async fn act(
    app: &App,
    by: &Principal,
    id: ProblemId,
    command: Command,
    uploads: Vec<Upload>,
    source: &str,
) -> RectifyResult<ProblemView> {
    by.require(command.action())?;
    let record = app
        .store
        .problem_record(id, &by.scope())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("problem {}", id.0)))?;
    let problem = record.problem()?;
    let today = app.clock.today();
    let rules = rules_for(app, &problem.facts.region, today)?;
    let ctx = Ctx {
        today,
        actor: actor(by)?,
        rules,
    };
    let (command, files) = match command {
        Command::Report(mut progress) => {
            let mut files = Vec::new();
            for u in uploads {
                progress.evidence.push(Evidence {
                    file_name: u.file_name.trim().to_owned(),
                    content_type: u.content_type,
                    size: u.bytes.len() as u64,
                    sha256: hex(&Sha256::digest(&u.bytes)),
                });
                files.push(u.bytes);
            }
            (Command::Report(progress), files)
        }
        other => (other, Vec::new()),
    };
    let event = rectify::apply(&problem, command, &ctx)?;
    let mut after = problem.clone();
    after.record(&event, today);
    let stamp = app.stamp(&by.name, source, today, None);
    app.store
        .append_problem_event(id, problem.version, &event, &after, &files, &stamp)
        .await?;
    get_unchecked(app, by, id).await
}

async fn get_unchecked(app: &App, by: &Principal, id: ProblemId) -> RectifyResult<ProblemView> {
    let record = app
        .store
        .problem_record(id, &Scope::Everything)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("problem {}", id.0)))?;
    view(app, by, record)
}

/// The bytes of one evidence file, if the principal may see the problem.
pub async fn evidence(
    app: &App,
    by: &Principal,
    id: ProblemId,
    seq: u32,
    index: u32,
) -> RectifyResult<EvidenceFile> {
    get(app, by, id).await?;
    app.store
        .evidence_file(id, seq, index)
        .await?
        .ok_or_else(|| {
            RectifyFailure::Store(StoreError::NotFound(format!(
                "evidence {seq}/{index} of problem {}",
                id.0
            )))
        })
}

/// The codebook name of a code, in Chinese and English, or the code itself.
pub fn names(list: &[uplift_domain::policy::Category], code: &str) -> (String, String) {
    list.iter()
        .find(|c| c.code == code)
        .map(|c| (c.zh.clone(), c.en.clone()))
        .unwrap_or_else(|| (code.to_owned(), code.to_owned()))
}
