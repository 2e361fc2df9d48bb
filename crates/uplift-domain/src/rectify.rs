//! The rectification ledger (问题整改台账, domain.md §10): problems fed back by an assessment or
//! evaluation (考核评估), an inspection (督导/暗访) or a data-quality push, each assigned to a
//! lead unit and responsible units with measures and a deadline, reported on with evidence, and
//! closed (销号) only after sign-off at the level above the responsible region.
//!
//! A problem is the fold of its events. [`record`] checks a new problem against the pack's
//! codebooks; [`apply`] checks a command against the problem's state, the actor's role and
//! region, and today's date, and yields the next event or a typed [`RectifyError`]. Nothing here
//! stores or reads a clock.
//!
//! States: recorded (待交办) → assigned (整改中) → submitted (待审核销号) → closed (已销号).
//! A rejected sign-off sends a submitted problem back to assigned; a problem that reappears
//! reopens from closed to assigned. Progress reports keep a problem assigned.

use chrono::NaiveDate;

use crate::access::{Action, Role};
use crate::household::{Codebook, codebook};
use crate::policy::Category;
use crate::region::{RegionCode, RegionLevel};

codebook!(
    /// Where a problem stands.
    ProblemState, "rectification_state" {
        Recorded = "recorded", "待交办";
        Assigned = "assigned", "整改中";
        Submitted = "submitted", "待审核销号";
        Closed = "closed", "已销号";
    }
);

impl ProblemState {
    pub fn en(self) -> &'static str {
        match self {
            ProblemState::Recorded => "Awaiting assignment",
            ProblemState::Assigned => "Being rectified",
            ProblemState::Submitted => "Awaiting sign-off",
            ProblemState::Closed => "Closed",
        }
    }
}

codebook!(
    /// Fixed on the spot (立行立改) or a long-term item.
    FixKind, "fix_kind" {
        Immediate = "immediate", "立行立改";
        LongTerm = "long_term", "长期整改";
    }
);

impl FixKind {
    pub fn en(self) -> &'static str {
        match self {
            FixKind::Immediate => "Fix on the spot",
            FixKind::LongTerm => "Long-term",
        }
    }
}

/// The pack's rules of the rectification ledger (`[rectification]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RectificationRules {
    /// The areas a problem concerns (责任落实、政策落实、工作落实、成效巩固).
    pub areas: Vec<Category>,
    /// Where problems come from (考核评估, 督导, 暗访, 数据质量 …).
    pub sources: Vec<Category>,
    /// A fix-on-the-spot problem's deadline is at most this many days after its assignment.
    pub immediate_max_days: u16,
    /// An open problem with no step for more than this many days is stalled.
    pub stall_days: u16,
}

impl RectificationRules {
    pub fn area(&self, code: &str) -> Option<&Category> {
        self.areas.iter().find(|c| c.code == code)
    }

    pub fn source(&self, code: &str) -> Option<&Category> {
        self.sources.iter().find(|c| c.code == code)
    }
}

/// The longest free text of a problem (description, measures, reports, opinions).
pub const TEXT_MAX: usize = 4000;
/// The longest name (title, units, person).
pub const NAME_MAX: usize = 200;
/// The most regions, households or units one problem lists.
pub const LIST_MAX: usize = 500;

/// What a problem is, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemFacts {
    /// Source code from the pack (`assessment`, `inspection`, …).
    pub source: String,
    /// The feedback document or batch it came from (e.g. 2025 年考核评估反馈问题清单), may be empty.
    pub source_ref: String,
    /// Area code from the pack.
    pub area: String,
    pub title: String,
    pub description: String,
    pub found_on: NaiveDate,
    /// The region the problem is filed under (the ledger it belongs to).
    pub region: RegionCode,
    /// The regions affected, inside `region` (at least one; `region` itself is allowed).
    pub affected_regions: Vec<RegionCode>,
    /// Household numbers affected, where there are any.
    pub households: Vec<String>,
    pub fix_kind: FixKind,
}

/// Who rectifies what by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The region whose units answer for the problem; sign-off is at the level above it.
    pub responsible_region: RegionCode,
    pub lead_unit: String,
    pub responsible_units: Vec<String>,
    pub responsible_person: String,
    pub measures: String,
    pub deadline: NaiveDate,
}

/// One piece of evidence as the domain sees it (the bytes live in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

/// The most evidence files one report carries.
pub const EVIDENCE_MAX: usize = 20;
/// The largest evidence file, in bytes: the attachments facility's limit.
pub const EVIDENCE_MAX_BYTES: u64 = crate::attachment::MAX_ATTACHMENT_BYTES as u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub text: String,
    pub evidence: Vec<Evidence>,
}

/// A user's request to move a problem on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Assign(Assignment),
    Report(Progress),
    Submit { summary: String },
    SignOff { opinion: String },
    RejectSignOff { reason: String },
    Reopen { reason: String },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Assign(_) => "assign",
            Command::Report(_) => "report",
            Command::Submit { .. } => "submit",
            Command::SignOff { .. } => "sign_off",
            Command::RejectSignOff { .. } => "reject_sign_off",
            Command::Reopen { .. } => "reopen",
        }
    }

    /// The action a role needs for this command.
    pub fn action(&self) -> Action {
        match self {
            Command::Assign(_) => Action::ManageRectification,
            Command::Report(_) | Command::Submit { .. } => Action::ReportRectification,
            Command::SignOff { .. } | Command::RejectSignOff { .. } | Command::Reopen { .. } => {
                Action::SignOffRectification
            }
        }
    }
}

/// Every command name, for parsers and tests.
pub const COMMANDS: &[&str] = &[
    "assign",
    "report",
    "submit",
    "sign_off",
    "reject_sign_off",
    "reopen",
];

/// What happened to a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Recorded(ProblemFacts),
    Assigned(Assignment),
    Reported(Progress),
    Submitted { summary: String },
    SignedOff { opinion: String },
    SignOffRejected { reason: String },
    Reopened { reason: String },
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::Recorded(_) => "recorded",
            Event::Assigned(_) => "assigned",
            Event::Reported(_) => "reported",
            Event::Submitted { .. } => "submitted",
            Event::SignedOff { .. } => "signed_off",
            Event::SignOffRejected { .. } => "sign_off_rejected",
            Event::Reopened { .. } => "reopened",
        }
    }

    pub fn zh(&self) -> &'static str {
        match self {
            Event::Recorded(_) => "登记问题",
            Event::Assigned(_) => "交办整改",
            Event::Reported(_) => "报告进展",
            Event::Submitted { .. } => "申请销号",
            Event::SignedOff { .. } => "审核销号",
            Event::SignOffRejected { .. } => "退回整改",
            Event::Reopened { .. } => "问题反弹重新整改",
        }
    }

    pub fn en(&self) -> &'static str {
        match self {
            Event::Recorded(_) => "Problem recorded",
            Event::Assigned(_) => "Assigned",
            Event::Reported(_) => "Progress reported",
            Event::Submitted { .. } => "Submitted for sign-off",
            Event::SignedOff { .. } => "Signed off and closed",
            Event::SignOffRejected { .. } => "Sign-off rejected",
            Event::Reopened { .. } => "Reopened",
        }
    }
}

/// Who acts and when.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub today: NaiveDate,
    /// The actor's role and region; `None` is the machine's trust (the command line).
    pub actor: Option<(Role, RegionCode)>,
    pub rules: &'a RectificationRules,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RectifyError {
    #[error("a {role} may not {command} a problem")]
    RoleNotAllowed {
        role: &'static str,
        command: &'static str,
    },
    #[error("a user of region {actor} may not {command} a problem of region {region}")]
    RegionNotAllowed {
        actor: RegionCode,
        command: &'static str,
        region: RegionCode,
    },
    #[error(
        "sign-off is at the level above the responsible region {region} ({expected}); a user of {actor} may not {command}"
    )]
    NotLevelAbove {
        actor: RegionCode,
        region: RegionCode,
        expected: &'static str,
        command: &'static str,
    },
    #[error("{command} is not possible when the problem is {state}")]
    WrongState {
        command: &'static str,
        state: &'static str,
    },
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} lists more than {max} entries")]
    TooMany { field: &'static str, max: usize },
    #[error("{field} ({date}) must not be after today ({today})")]
    InFuture {
        field: &'static str,
        date: NaiveDate,
        today: NaiveDate,
    },
    #[error("the deadline ({deadline}) must not be before today ({today})")]
    DeadlinePassed {
        deadline: NaiveDate,
        today: NaiveDate,
    },
    #[error(
        "a fix on the spot (立行立改) is due within {max_days} days, by {latest}; found {deadline}"
    )]
    ImmediateTooLate {
        deadline: NaiveDate,
        latest: NaiveDate,
        max_days: u16,
    },
    #[error("area {0:?} is not in the pack's rectification codebook")]
    UnknownArea(String),
    #[error("source {0:?} is not in the pack's rectification codebook")]
    UnknownSource(String),
    #[error("affected region {affected} is not inside {region}")]
    OutsideRegion {
        affected: RegionCode,
        region: RegionCode,
    },
    #[error("the responsible region {0} has no level above it to sign off")]
    NoLevelAbove(RegionCode),
    #[error(
        "a problem is submitted for sign-off only with evidence reported since it was assigned or reopened"
    )]
    NoEvidence,
    #[error("evidence file {name:?}: {problem}")]
    BadEvidence { name: String, problem: String },
    #[error("a problem begins with its record, not with {0}")]
    NotARecord(&'static str),
}

fn text(field: &'static str, value: &str, max: usize) -> Result<(), RectifyError> {
    if value.trim().is_empty() {
        return Err(RectifyError::Empty { field });
    }
    if value.chars().count() > max {
        return Err(RectifyError::TooLong { field, max });
    }
    Ok(())
}

fn list<T>(field: &'static str, values: &[T]) -> Result<(), RectifyError> {
    if values.len() > LIST_MAX {
        return Err(RectifyError::TooMany {
            field,
            max: LIST_MAX,
        });
    }
    Ok(())
}

fn role_allowed(ctx: &Ctx<'_>, action: Action, command: &'static str) -> Result<(), RectifyError> {
    if let Some((role, _)) = ctx.actor
        && !role.may(action)
    {
        return Err(RectifyError::RoleNotAllowed {
            role: role.code(),
            command,
        });
    }
    Ok(())
}

fn region_allowed(
    ctx: &Ctx<'_>,
    region: &RegionCode,
    command: &'static str,
) -> Result<(), RectifyError> {
    if let Some((_, actor)) = ctx.actor
        && !actor.contains(region)
    {
        return Err(RectifyError::RegionNotAllowed {
            actor,
            command,
            region: *region,
        });
    }
    Ok(())
}

/// The level that signs off a problem answered for at `level`.
pub fn sign_off_level(level: RegionLevel) -> Option<RegionLevel> {
    use RegionLevel::*;
    match level {
        Province => None,
        City => Some(Province),
        County => Some(City),
        Township => Some(County),
        Village => Some(Township),
    }
}

/// Checks a new problem and yields the event that records it.
pub fn record(facts: ProblemFacts, ctx: &Ctx<'_>) -> Result<Event, RectifyError> {
    role_allowed(ctx, Action::ManageRectification, "record")?;
    region_allowed(ctx, &facts.region, "record")?;
    if ctx.rules.source(&facts.source).is_none() {
        return Err(RectifyError::UnknownSource(facts.source));
    }
    if ctx.rules.area(&facts.area).is_none() {
        return Err(RectifyError::UnknownArea(facts.area));
    }
    text("title", &facts.title, NAME_MAX)?;
    text("description", &facts.description, TEXT_MAX)?;
    if facts.source_ref.chars().count() > NAME_MAX {
        return Err(RectifyError::TooLong {
            field: "source_ref",
            max: NAME_MAX,
        });
    }
    if facts.found_on > ctx.today {
        return Err(RectifyError::InFuture {
            field: "found_on",
            date: facts.found_on,
            today: ctx.today,
        });
    }
    if facts.affected_regions.is_empty() {
        return Err(RectifyError::Empty {
            field: "affected_regions",
        });
    }
    list("affected_regions", &facts.affected_regions)?;
    list("households", &facts.households)?;
    for affected in &facts.affected_regions {
        if !facts.region.contains(affected) {
            return Err(RectifyError::OutsideRegion {
                affected: *affected,
                region: facts.region,
            });
        }
    }
    for h in &facts.households {
        text("households", h, NAME_MAX)?;
    }
    Ok(Event::Recorded(facts))
}

/// A problem: the fold of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub facts: ProblemFacts,
    pub state: ProblemState,
    pub assignment: Option<Assignment>,
    /// The date of the latest event (what "stalled" counts from).
    pub last_step: NaiveDate,
    /// Evidence files reported since the problem was last assigned or reopened.
    pub evidence_since: usize,
    pub reports: usize,
    pub rejections: u32,
    pub reopenings: u32,
    pub closed_on: Option<NaiveDate>,
    /// How many events the problem holds: the version the next event must expect.
    pub version: u32,
}

impl Problem {
    /// Folds a problem's events, each with the date it happened on. The first must record it.
    pub fn fold<'e>(
        events: impl IntoIterator<Item = (&'e Event, NaiveDate)>,
    ) -> Result<Problem, RectifyError> {
        let mut events = events.into_iter();
        let Some((first, on)) = events.next() else {
            return Err(RectifyError::NotARecord("nothing"));
        };
        let Event::Recorded(facts) = first else {
            return Err(RectifyError::NotARecord(first.name()));
        };
        let mut p = Problem {
            facts: facts.clone(),
            state: ProblemState::Recorded,
            assignment: None,
            last_step: on,
            evidence_since: 0,
            reports: 0,
            rejections: 0,
            reopenings: 0,
            closed_on: None,
            version: 1,
        };
        for (event, on) in events {
            p.record(event, on);
        }
        Ok(p)
    }

    /// Applies an event (already checked by [`apply`]) that happened on `on`.
    pub fn record(&mut self, event: &Event, on: NaiveDate) {
        self.version += 1;
        self.last_step = on;
        match event {
            Event::Recorded(_) => {}
            Event::Assigned(a) => {
                self.assignment = Some(a.clone());
                self.state = ProblemState::Assigned;
                self.evidence_since = 0;
            }
            Event::Reported(p) => {
                self.reports += 1;
                self.evidence_since += p.evidence.len();
            }
            Event::Submitted { .. } => self.state = ProblemState::Submitted,
            Event::SignedOff { .. } => {
                self.state = ProblemState::Closed;
                self.closed_on = Some(on);
            }
            Event::SignOffRejected { .. } => {
                self.rejections += 1;
                self.state = ProblemState::Assigned;
            }
            Event::Reopened { .. } => {
                self.reopenings += 1;
                self.state = ProblemState::Assigned;
                self.closed_on = None;
                self.evidence_since = 0;
            }
        }
    }

    /// The region whose users answer for the problem now: the responsible region once assigned.
    pub fn responsible_region(&self) -> RegionCode {
        self.assignment
            .as_ref()
            .map_or(self.facts.region, |a| a.responsible_region)
    }

    pub fn deadline(&self) -> Option<NaiveDate> {
        self.assignment.as_ref().map(|a| a.deadline)
    }

    /// Past its deadline while still being rectified (a submitted problem waits on the level above).
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.state == ProblemState::Assigned && self.deadline().is_some_and(|d| d < today)
    }

    /// Open (not closed, not awaiting sign-off) with no step for more than the pack's days.
    pub fn stalled(&self, today: NaiveDate, rules: &RectificationRules) -> bool {
        matches!(self.state, ProblemState::Recorded | ProblemState::Assigned)
            && (today - self.last_step).num_days() > i64::from(rules.stall_days)
    }

    /// The commands the role could take next (its region is checked apart).
    pub fn next_commands(&self, role: Option<Role>) -> Vec<&'static str> {
        let names: &[&'static str] = match self.state {
            ProblemState::Recorded => &["assign"],
            ProblemState::Assigned => &["assign", "report", "submit"],
            ProblemState::Submitted => &["sign_off", "reject_sign_off"],
            ProblemState::Closed => &["reopen"],
        };
        names
            .iter()
            .copied()
            .filter(|n| {
                let action = match *n {
                    "assign" => Action::ManageRectification,
                    "report" | "submit" => Action::ReportRectification,
                    _ => Action::SignOffRectification,
                };
                role.is_none_or(|r| r.may(action))
            })
            .collect()
    }
}

fn check_evidence(evidence: &[Evidence]) -> Result<(), RectifyError> {
    if evidence.len() > EVIDENCE_MAX {
        return Err(RectifyError::TooMany {
            field: "evidence",
            max: EVIDENCE_MAX,
        });
    }
    for e in evidence {
        let bad = |problem: &str| RectifyError::BadEvidence {
            name: e.file_name.clone(),
            problem: problem.to_owned(),
        };
        if e.file_name.trim().is_empty() || e.file_name.chars().count() > NAME_MAX {
            return Err(bad("the file name must be 1 to 200 characters"));
        }
        if e.size == 0 {
            return Err(bad("the file is empty"));
        }
        if e.size > EVIDENCE_MAX_BYTES {
            return Err(bad("the file is larger than the attachment limit"));
        }
    }
    Ok(())
}

/// Checks `command` against the problem and yields the event to append.
pub fn apply(problem: &Problem, command: Command, ctx: &Ctx<'_>) -> Result<Event, RectifyError> {
    let name = command.name();
    role_allowed(ctx, command.action(), name)?;
    let legal = matches!(
        (problem.state, &command),
        (
            ProblemState::Recorded | ProblemState::Assigned,
            Command::Assign(_)
        ) | (
            ProblemState::Assigned,
            Command::Report(_) | Command::Submit { .. }
        ) | (
            ProblemState::Submitted,
            Command::SignOff { .. } | Command::RejectSignOff { .. }
        ) | (ProblemState::Closed, Command::Reopen { .. })
    );
    if !legal {
        return Err(RectifyError::WrongState {
            command: name,
            state: problem.state.code(),
        });
    }
    // Sign-off, its rejection and reopening belong to the level above the responsible region.
    if matches!(command.action(), Action::SignOffRectification) {
        let region = problem.responsible_region();
        let expected = sign_off_level(region.level()).ok_or(RectifyError::NoLevelAbove(region))?;
        if let Some((_, actor)) = ctx.actor
            && (actor.level() != expected || !actor.contains(&region))
        {
            return Err(RectifyError::NotLevelAbove {
                actor,
                region,
                expected: expected.as_str(),
                command: name,
            });
        }
    } else if let Command::Assign(a) = &command {
        region_allowed(ctx, &problem.facts.region, name)?;
        region_allowed(ctx, &a.responsible_region, name)?;
    } else {
        region_allowed(ctx, &problem.responsible_region(), name)?;
    }
    match command {
        Command::Assign(a) => {
            if !problem.facts.region.contains(&a.responsible_region) {
                return Err(RectifyError::OutsideRegion {
                    affected: a.responsible_region,
                    region: problem.facts.region,
                });
            }
            if sign_off_level(a.responsible_region.level()).is_none() {
                return Err(RectifyError::NoLevelAbove(a.responsible_region));
            }
            text("lead_unit", &a.lead_unit, NAME_MAX)?;
            text("responsible_person", &a.responsible_person, NAME_MAX)?;
            text("measures", &a.measures, TEXT_MAX)?;
            list("responsible_units", &a.responsible_units)?;
            for u in &a.responsible_units {
                text("responsible_units", u, NAME_MAX)?;
            }
            if a.deadline < ctx.today {
                return Err(RectifyError::DeadlinePassed {
                    deadline: a.deadline,
                    today: ctx.today,
                });
            }
            if problem.facts.fix_kind == FixKind::Immediate {
                let latest =
                    ctx.today + chrono::Duration::days(i64::from(ctx.rules.immediate_max_days));
                if a.deadline > latest {
                    return Err(RectifyError::ImmediateTooLate {
                        deadline: a.deadline,
                        latest,
                        max_days: ctx.rules.immediate_max_days,
                    });
                }
            }
            Ok(Event::Assigned(a))
        }
        Command::Report(p) => {
            text("text", &p.text, TEXT_MAX)?;
            check_evidence(&p.evidence)?;
            Ok(Event::Reported(p))
        }
        Command::Submit { summary } => {
            text("summary", &summary, TEXT_MAX)?;
            if problem.evidence_since == 0 {
                return Err(RectifyError::NoEvidence);
            }
            Ok(Event::Submitted { summary })
        }
        Command::SignOff { opinion } => {
            text("opinion", &opinion, TEXT_MAX)?;
            Ok(Event::SignedOff { opinion })
        }
        Command::RejectSignOff { reason } => {
            text("reason", &reason, TEXT_MAX)?;
            Ok(Event::SignOffRejected { reason })
        }
        Command::Reopen { reason } => {
            text("reason", &reason, TEXT_MAX)?;
            Ok(Event::Reopened { reason })
        }
    }
}

/// Which roles may take the rectification and responsibility actions. `None` for the other
/// actions, which `Role::may` decides itself.
pub fn role_may(role: Role, action: Action) -> Option<bool> {
    use Role::*;
    Some(match action {
        Action::ReadRectification => !matches!(role, Helper | DepartmentClerk),
        Action::ManageRectification => {
            matches!(role, TownshipReviewer | CountyOfficer | CountyAdmin)
        }
        Action::ReportRectification => matches!(
            role,
            VillageCadre | TownshipReviewer | CountyOfficer | CountyAdmin
        ),
        // The level above signs off: a township for its villages, a county for its townships, a
        // city for its counties, a province for its cities.
        Action::SignOffRectification => matches!(
            role,
            TownshipReviewer | CountyOfficer | CountyAdmin | CityViewer | ProvinceViewer
        ),
        Action::ManageResponsibility => matches!(
            role,
            TownshipReviewer | CountyOfficer | CountyAdmin | CityViewer | ProvinceViewer
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
