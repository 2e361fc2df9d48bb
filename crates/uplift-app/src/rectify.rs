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
use uplift_domain::access::{Action, Role};
use uplift_domain::household::{Codebook as _, HouseholdNo};
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
    // Evidence goes through the attachment checks (JPEG, PNG or PDF by its bytes, the size
    // limit, a clean name) and is stored as attachments with the step.
    let now = app.clock.now();
    let (command, files) = match command {
        Command::Report(mut progress) => {
            let mut files = Vec::new();
            for u in uploads {
                let file = crate::attachments::prepare(
                    store::EVIDENCE,
                    id.0,
                    crate::attachments::Upload {
                        filename: u.file_name,
                        declared_type: Some(u.content_type),
                        bytes: u.bytes,
                    },
                    &by.name,
                    now,
                )
                .map_err(|e| RectifyFailure::Invalid(e.to_string()))?;
                progress.evidence.push(Evidence {
                    file_name: file.filename.clone(),
                    content_type: file.content_type.mime().to_owned(),
                    size: file.content.len() as u64,
                    sha256: file.sha256.clone(),
                });
                files.push(file);
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

/// The bytes of one evidence file (the `index`th of the report at step `seq`), if the principal
/// may see the problem. The problem's attachments are in upload order, so the file is the one
/// after every file of the earlier reports; its SHA-256 must be the one the report recorded.
pub async fn evidence(
    app: &App,
    by: &Principal,
    id: ProblemId,
    seq: u32,
    index: u32,
) -> RectifyResult<EvidenceFile> {
    let v = get(app, by, id).await?;
    let missing = || {
        RectifyFailure::Store(StoreError::NotFound(format!(
            "evidence {seq}/{index} of problem {}",
            id.0
        )))
    };
    let mut before = 0usize;
    let mut wanted = None;
    for (i, (event, _)) in v.record.events.iter().enumerate() {
        let Event::Reported(p) = event else { continue };
        if i as u32 + 1 == seq {
            wanted = p
                .evidence
                .get(index as usize)
                .map(|e| (before + index as usize, e));
            break;
        }
        before += p.evidence.len();
    }
    let (ordinal, meta) = wanted.ok_or_else(missing)?;
    let stored = app.store.attachments_of(store::EVIDENCE, id.0).await?;
    let attachment = stored.get(ordinal).ok_or_else(missing)?;
    let file = app
        .store
        .attachment(attachment.id)
        .await?
        .ok_or_else(missing)?;
    if file.meta.sha256 != meta.sha256 {
        return Err(RectifyFailure::Store(StoreError::Unexpected(
            anyhow::anyhow!(
                "evidence {seq}/{index} of problem {} does not match its report",
                id.0
            ),
        )));
    }
    Ok(EvidenceFile {
        meta: meta.clone(),
        bytes: file.content,
    })
}

/// The codebook name of a code, in Chinese and English, or the code itself.
pub fn names(list: &[uplift_domain::policy::Category], code: &str) -> (String, String) {
    list.iter()
        .find(|c| c.code == code)
        .map(|c| (c.zh.clone(), c.en.clone()))
        .unwrap_or_else(|| (code.to_owned(), code.to_owned()))
}

/// The ledger (台账) as a sheet: one row per problem with its assignment and state, codebook
/// names in Chinese (or English with `en`).
pub fn ledger_sheet(app: &App, views: &[ProblemView], en: bool) -> crate::imports::sheet::Sheet {
    let headers = [
        "编号 id",
        "状态 state",
        "问题来源 source",
        "反馈文件 source_ref",
        "问题领域 area",
        "问题标题 title",
        "问题描述 description",
        "发现日期 found_on",
        "所属区划代码 region",
        "涉及区划代码 affected_regions",
        "涉及户编号 households",
        "整改类型 fix_kind",
        "责任区划代码 responsible_region",
        "牵头单位 lead_unit",
        "责任单位 responsible_units",
        "责任人 responsible_person",
        "整改措施 measures",
        "整改时限 deadline",
        "逾期 overdue",
        "停滞 stalled",
    ];
    let today = app.clock.today();
    let pick = |(zh, en_name): (String, String)| if en { en_name } else { zh };
    let join = |v: &[RegionCode]| {
        v.iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(";")
    };
    let rows = views
        .iter()
        .map(|v| {
            let p = &v.problem;
            let f = &p.facts;
            let rules = rules_for(app, &f.region, today).ok();
            let named = |list: Option<&[uplift_domain::policy::Category]>, code: &str| {
                pick(
                    list.map(|l| names(l, code))
                        .unwrap_or_else(|| (code.to_owned(), code.to_owned())),
                )
            };
            let a = p.assignment.as_ref();
            let yes = |b: bool| if b { "是 yes" } else { "" }.to_owned();
            vec![
                v.record.id.0.to_string(),
                if en { p.state.en() } else { p.state.zh() }.to_owned(),
                named(rules.map(|r| r.sources.as_slice()), &f.source),
                f.source_ref.clone(),
                named(rules.map(|r| r.areas.as_slice()), &f.area),
                f.title.clone(),
                f.description.clone(),
                f.found_on.to_string(),
                f.region.to_string(),
                join(&f.affected_regions),
                f.households.join(";"),
                if en { f.fix_kind.en() } else { f.fix_kind.zh() }.to_owned(),
                a.map(|a| a.responsible_region.to_string())
                    .unwrap_or_default(),
                a.map(|a| a.lead_unit.clone()).unwrap_or_default(),
                a.map(|a| a.responsible_units.join(";")).unwrap_or_default(),
                a.map(|a| a.responsible_person.clone()).unwrap_or_default(),
                a.map(|a| a.measures.clone()).unwrap_or_default(),
                a.map(|a| a.deadline.to_string()).unwrap_or_default(),
                yes(v.overdue),
                yes(v.stalled),
            ]
        })
        .collect();
    crate::imports::sheet::Sheet {
        name: "问题整改台账 ledger".to_owned(),
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        note: None,
    }
}
