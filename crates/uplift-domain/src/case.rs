//! A case: one run of the identification procedure (识别程序, domain.md §5.2) or of the
//! elimination procedure (风险消除, domain.md §8.2) for one household.
//!
//! A case is the fold of its events. [`open`] checks a clue and yields the first event; [`apply`]
//! checks a command against the case, the actor's role, today's date and the policy pack, and
//! yields the next event or a typed [`TransitionError`]. Nothing here stores or reads a clock: the
//! store appends the event and the caller passes "today".
//!
//! The steps, in order: clue (a self-declaration first waits for the township to accept it) →
//! household verification with the commitment and authorisation to query assets → information
//! comparison (identification only) → village democratic appraisal → public notice, with
//! objections filed and answered, for at least the pack's days → township review → county
//! approval (category and 1–5 risk types, or the elimination type) → result announcement → entry
//! into the national system. Rejection with a reason is possible at every step before the entry
//! and is a normal, terminal outcome.

pub mod elimination;
pub mod measure;

use chrono::NaiveDate;

use crate::access::{Action, Role};
use crate::calendar::WorkCalendar;
use crate::household::{Codebook, codebook};
use crate::policy::{PolicyPack, TimeLimit};

pub use elimination::{ConditionResult, EliminationFacts, check_elimination};
pub use measure::{
    FundingSource, Measure, MeasureCategory, MeasureFact, MismatchProblem, Visit, check_measures,
};

codebook!(
    /// How the clue was found (domain.md §5.1).
    Channel, "channel" {
        SelfDeclaration = "self_declaration", "农户自主申报";
        CadreVisit = "cadre_visit", "基层干部排查";
        DepartmentWarning = "department_warning", "部门筛查预警";
        ConcentratedScreening = "concentrated_screening", "集中排查";
    }
);

impl Channel {
    pub fn en(self) -> &'static str {
        match self {
            Channel::SelfDeclaration => "Self-declaration",
            Channel::CadreVisit => "Cadre screening visit",
            Channel::DepartmentWarning => "Department warning",
            Channel::ConcentratedScreening => "Concentrated screening",
        }
    }
}

codebook!(
    /// Which procedure a case runs.
    CaseKind, "case_kind" {
        Identification = "identification", "识别认定";
        Elimination = "elimination", "风险消除";
    }
);

impl CaseKind {
    pub fn en(self) -> &'static str {
        match self {
            CaseKind::Identification => "Identification",
            CaseKind::Elimination => "Risk elimination",
        }
    }
}

codebook!(
    /// Where a case stands: the step it waits for, or its outcome.
    Stage, "stage" {
        Declared = "declared", "待乡镇受理";
        Clue = "clue", "待入户核实";
        Verified = "verified", "待信息比对";
        Compared = "compared", "待民主评议";
        Appraised = "appraised", "待公示";
        Notice = "notice", "公示中";
        NoticeClosed = "notice_closed", "待乡镇审核";
        Reviewed = "reviewed", "待县级审定";
        Approved = "approved", "待结果公告";
        Announced = "announced", "待录入系统";
        Entered = "entered", "已录入系统";
        Rejected = "rejected", "不予通过";
    }
);

impl Stage {
    pub fn en(self) -> &'static str {
        match self {
            Stage::Declared => "Awaiting township acceptance",
            Stage::Clue => "Awaiting household verification",
            Stage::Verified => "Awaiting information comparison",
            Stage::Compared => "Awaiting village appraisal",
            Stage::Appraised => "Awaiting public notice",
            Stage::Notice => "Public notice running",
            Stage::NoticeClosed => "Awaiting township review",
            Stage::Reviewed => "Awaiting county approval",
            Stage::Approved => "Awaiting result announcement",
            Stage::Announced => "Awaiting national-system entry",
            Stage::Entered => "Entered in the national system",
            Stage::Rejected => "Rejected",
        }
    }

    /// Whether the case has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, Stage::Entered | Stage::Rejected)
    }

    /// The action a user needs to move a case on from this stage (and to reject it here).
    pub fn action(self) -> Option<Action> {
        Some(match self {
            Stage::Declared => Action::ReviewCase,
            Stage::Clue => Action::VerifyCase,
            Stage::Verified => Action::CompareCase,
            Stage::Compared | Stage::Appraised | Stage::Notice => Action::AppraiseCase,
            Stage::NoticeClosed => Action::ReviewCase,
            Stage::Reviewed => Action::ApproveCase,
            Stage::Approved | Stage::Announced => Action::AnnounceCase,
            Stage::Entered | Stage::Rejected => return None,
        })
    }
}

codebook!(
    /// How a risk was eliminated (domain.md §8.1).
    EliminationType, "elimination_type" {
        Assistance = "assistance", "帮扶消除";
        Natural = "natural", "自然消除";
    }
);

impl EliminationType {
    pub fn en(self) -> &'static str {
        match self {
            EliminationType::Assistance => "Through assistance",
            EliminationType::Natural => "Natural disappearance",
        }
    }
}

/// The most risk types the national system stores per household (domain.md §4.1).
pub const MAX_RISKS: usize = 5;
/// The longest free text of a step (findings, minutes, reasons, objections).
pub const TEXT_MAX: usize = 2000;

/// What opens a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub kind: CaseKind,
    pub channel: Channel,
    /// The date the clue was found (the whole time limit runs from it).
    pub clue_date: NaiveDate,
    pub summary: String,
    /// The risk the clue points at, from the pack's codebook, if known.
    pub risk_hint: Option<String>,
    /// Help first, recognise later (绿色通道), for disaster and accident clues.
    pub green_channel: bool,
    /// Whether the household was eliminated and this clue rolls the elimination back (风险消除回退).
    pub rollback: bool,
    /// For an elimination: the checked conditions (all must pass).
    pub conditions: Vec<ConditionResult>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The household signed the application and commitment (承诺书).
    pub commitment_signed: bool,
    /// The household authorised queries of deposits, vehicles, real estate and businesses.
    pub asset_query_authorised: bool,
    pub findings: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// Whether the departments' data showed assets or income that speak against identification.
    pub adverse_findings: bool,
    pub findings: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appraisal {
    pub held_on: NaiveDate,
    pub attendees: u32,
    pub votes_for: u32,
    pub votes_against: u32,
    pub abstentions: u32,
    pub minutes: String,
}

impl Appraisal {
    /// Passed with more than half of the attendees voting for.
    pub fn passed(&self) -> bool {
        u64::from(self.votes_for) * 2 > u64::from(self.attendees)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objection {
    pub filed_on: NaiveDate,
    pub text: String,
    pub answer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub start: NaiveDate,
    /// The last day of the notice's minimum length; it may close the day after.
    pub last_day: NaiveDate,
    pub objections: Vec<Objection>,
    pub closed_on: Option<NaiveDate>,
}

/// What the county decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Identify {
        category: String,
        risks: Vec<String>,
    },
    Eliminate {
        kind: EliminationType,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalEntry {
    pub entered_by: String,
    pub entered_on: NaiveDate,
}

/// A user's request to move a case on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Accept,
    Verify(Verification),
    Compare(Comparison),
    Appraise(Appraisal),
    PostNotice { start: NaiveDate },
    FileObjection { text: String },
    AnswerObjection { index: usize, answer: String },
    CloseNotice,
    Review { opinion: String },
    Approve(Decision),
    Announce { on: NaiveDate },
    EnterNational(NationalEntry),
    Reject { reason: String },
}

impl Command {
    /// The stable name used in URLs, the CLI and the event log.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Accept => "accept",
            Command::Verify(_) => "verify",
            Command::Compare(_) => "compare",
            Command::Appraise(_) => "appraise",
            Command::PostNotice { .. } => "post_notice",
            Command::FileObjection { .. } => "file_objection",
            Command::AnswerObjection { .. } => "answer_objection",
            Command::CloseNotice => "close_notice",
            Command::Review { .. } => "review",
            Command::Approve(_) => "approve",
            Command::Announce { .. } => "announce",
            Command::EnterNational(_) => "enter_national",
            Command::Reject { .. } => "reject",
        }
    }
}

/// What happened to a case. A case is the fold of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Opened(Opening),
    Accepted,
    Verified(Verification),
    Compared(Comparison),
    Appraised(Appraisal),
    NoticePosted {
        start: NaiveDate,
        last_day: NaiveDate,
    },
    ObjectionFiled {
        filed_on: NaiveDate,
        text: String,
    },
    ObjectionAnswered {
        index: usize,
        answer: String,
    },
    NoticeClosed {
        on: NaiveDate,
    },
    Reviewed {
        opinion: String,
    },
    Approved {
        on: NaiveDate,
        decision: Decision,
    },
    Announced {
        on: NaiveDate,
    },
    EnteredNational(NationalEntry),
    Rejected {
        at: Stage,
        reason: String,
    },
}

impl Event {
    /// The stable name of the event kind.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Opened(_) => "opened",
            Event::Accepted => "accepted",
            Event::Verified(_) => "verified",
            Event::Compared(_) => "compared",
            Event::Appraised(_) => "appraised",
            Event::NoticePosted { .. } => "notice_posted",
            Event::ObjectionFiled { .. } => "objection_filed",
            Event::ObjectionAnswered { .. } => "objection_answered",
            Event::NoticeClosed { .. } => "notice_closed",
            Event::Reviewed { .. } => "reviewed",
            Event::Approved { .. } => "approved",
            Event::Announced { .. } => "announced",
            Event::EnteredNational(_) => "entered_national",
            Event::Rejected { .. } => "rejected",
        }
    }

    pub fn zh(&self) -> &'static str {
        match self {
            Event::Opened(_) => "发现线索",
            Event::Accepted => "乡镇受理",
            Event::Verified(_) => "入户核实",
            Event::Compared(_) => "信息比对",
            Event::Appraised(_) => "民主评议",
            Event::NoticePosted { .. } => "村内公示",
            Event::ObjectionFiled { .. } => "公示异议",
            Event::ObjectionAnswered { .. } => "异议答复",
            Event::NoticeClosed { .. } => "公示结束",
            Event::Reviewed { .. } => "乡镇审核",
            Event::Approved { .. } => "县级审定",
            Event::Announced { .. } => "结果公告",
            Event::EnteredNational(_) => "录入全国系统",
            Event::Rejected { .. } => "不予通过",
        }
    }

    pub fn en(&self) -> &'static str {
        match self {
            Event::Opened(_) => "Clue recorded",
            Event::Accepted => "Accepted by the township",
            Event::Verified(_) => "Household verified",
            Event::Compared(_) => "Information compared",
            Event::Appraised(_) => "Village appraisal",
            Event::NoticePosted { .. } => "Public notice posted",
            Event::ObjectionFiled { .. } => "Objection filed",
            Event::ObjectionAnswered { .. } => "Objection answered",
            Event::NoticeClosed { .. } => "Public notice closed",
            Event::Reviewed { .. } => "Township review",
            Event::Approved { .. } => "County approval",
            Event::Announced { .. } => "Result announced",
            Event::EnteredNational(_) => "Entered in the national system",
            Event::Rejected { .. } => "Rejected",
        }
    }
}

/// Who acts and when, under which policy.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub today: NaiveDate,
    /// The actor's role; `None` is the machine's trust (the command line).
    pub role: Option<Role>,
    pub pack: &'a PolicyPack,
    pub calendar: &'a WorkCalendar,
}

/// Why a command or a clue was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a {role} may not {command} a case at stage {stage}")]
    RoleNotAllowed {
        role: &'static str,
        command: &'static str,
        stage: &'static str,
    },
    #[error("{command} is not possible at stage {stage}")]
    WrongStage {
        command: &'static str,
        stage: &'static str,
    },
    #[error("the case has ended ({stage})")]
    Closed { stage: &'static str },
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} ({date}) must not be after today ({today})")]
    InFuture {
        field: &'static str,
        date: NaiveDate,
        today: NaiveDate,
    },
    #[error("{field} ({date}) must not be before {earliest}")]
    TooEarly {
        field: &'static str,
        date: NaiveDate,
        earliest: NaiveDate,
    },
    #[error(
        "the household must sign the commitment and authorise the asset query before verification ends"
    )]
    CommitmentMissing,
    #[error("the votes ({votes}) exceed the {attendees} attendees, or no one attended")]
    VotesExceedAttendees { votes: u64, attendees: u32 },
    #[error("the public notice runs until {last_day}; it may close from {earliest}")]
    NoticeTooShort {
        last_day: NaiveDate,
        earliest: NaiveDate,
    },
    #[error("objection {index} has not been answered")]
    ObjectionUnanswered { index: usize },
    #[error("there is no objection {index}")]
    NoSuchObjection { index: usize },
    #[error("objection {index} has already been answered")]
    AlreadyAnswered { index: usize },
    #[error("category {0:?} is not in the pack's codebook")]
    UnknownCategory(String),
    #[error("risk type {0:?} is not in the pack's codebook")]
    UnknownRisk(String),
    #[error("risk type {0:?} is given twice")]
    DuplicateRisk(String),
    #[error("between 1 and 5 risk types are needed, found {0}")]
    RiskCount(usize),
    #[error("an {kind} case needs a decision of its own kind")]
    WrongDecision { kind: &'static str },
    #[error("the green channel is for disaster and accident clues only (risk 02, 02xx or 05)")]
    GreenChannelNotAllowed,
    #[error("the household does not meet the elimination conditions: {0}")]
    NotEligible(String),
    #[error("a case opens with a clue, not with {0}")]
    NotAnOpening(&'static str),
}

fn text(field: &'static str, value: &str) -> Result<(), TransitionError> {
    if value.trim().is_empty() {
        return Err(TransitionError::Empty { field });
    }
    if value.chars().count() > TEXT_MAX {
        return Err(TransitionError::TooLong {
            field,
            max: TEXT_MAX,
        });
    }
    Ok(())
}

fn not_future(
    field: &'static str,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<(), TransitionError> {
    if date > today {
        return Err(TransitionError::InFuture { field, date, today });
    }
    Ok(())
}

fn not_before(
    field: &'static str,
    date: NaiveDate,
    earliest: NaiveDate,
) -> Result<(), TransitionError> {
    if date < earliest {
        return Err(TransitionError::TooEarly {
            field,
            date,
            earliest,
        });
    }
    Ok(())
}

/// Whether a risk code is a disaster (02, 02xx) or an accident (05): the green channel's clues.
pub fn is_disaster_or_accident(risk: &str) -> bool {
    risk == "05" || risk.starts_with("02")
}

/// Checks a clue and yields the event that opens a case.
pub fn open(opening: Opening, ctx: &Ctx<'_>) -> Result<Event, TransitionError> {
    if let Some(role) = ctx.role
        && !role.may(Action::OpenCase)
    {
        return Err(TransitionError::RoleNotAllowed {
            role: role.code(),
            command: "open",
            stage: "new",
        });
    }
    text("summary", &opening.summary)?;
    not_future("clue_date", opening.clue_date, ctx.today)?;
    if let Some(risk) = &opening.risk_hint
        && ctx.pack.risk_type(risk).is_none()
    {
        return Err(TransitionError::UnknownRisk(risk.clone()));
    }
    if opening.green_channel
        && !opening
            .risk_hint
            .as_deref()
            .is_some_and(is_disaster_or_accident)
    {
        return Err(TransitionError::GreenChannelNotAllowed);
    }
    if opening.kind == CaseKind::Elimination {
        let failed: Vec<&str> = opening
            .conditions
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.code)
            .collect();
        if opening.conditions.is_empty() {
            return Err(TransitionError::NotEligible(
                "no conditions were checked".into(),
            ));
        }
        if !failed.is_empty() {
            return Err(TransitionError::NotEligible(failed.join(", ")));
        }
    }
    Ok(Event::Opened(opening))
}

/// A case: the fold of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub opening: Opening,
    pub stage: Stage,
    /// The date the current stage began: the clue date, then each step's date.
    pub stage_since: NaiveDate,
    pub accepted: bool,
    pub verification: Option<Verification>,
    pub comparison: Option<Comparison>,
    pub appraisal: Option<Appraisal>,
    pub notice: Option<Notice>,
    pub review: Option<String>,
    pub approval: Option<(NaiveDate, Decision)>,
    pub announced_on: Option<NaiveDate>,
    pub entry: Option<NationalEntry>,
    pub rejection: Option<(Stage, String)>,
    /// How many events the case holds: the version the next event must expect.
    pub version: u32,
}

impl Case {
    /// Folds a case's events, each with the date it was recorded on. The first must open it.
    pub fn fold<'e>(
        events: impl IntoIterator<Item = (&'e Event, NaiveDate)>,
    ) -> Result<Case, TransitionError> {
        let mut events = events.into_iter();
        let Some((first, _)) = events.next() else {
            return Err(TransitionError::NotAnOpening("nothing"));
        };
        let Event::Opened(opening) = first else {
            return Err(TransitionError::NotAnOpening(first.name()));
        };
        let stage = if opening.channel == Channel::SelfDeclaration {
            Stage::Declared
        } else {
            Stage::Clue
        };
        let mut case = Case {
            stage_since: opening.clue_date,
            opening: opening.clone(),
            stage,
            accepted: false,
            verification: None,
            comparison: None,
            appraisal: None,
            notice: None,
            review: None,
            approval: None,
            announced_on: None,
            entry: None,
            rejection: None,
            version: 1,
        };
        for (event, on) in events {
            case.record(event, on);
        }
        Ok(case)
    }

    /// Applies an event (already checked by [`apply`]) recorded on `on`.
    pub fn record(&mut self, event: &Event, on: NaiveDate) {
        self.version += 1;
        let before = self.stage;
        match event {
            Event::Opened(_) => {}
            Event::Accepted => {
                self.accepted = true;
                self.stage = Stage::Clue;
            }
            Event::Verified(v) => {
                self.verification = Some(v.clone());
                self.stage = match self.opening.kind {
                    CaseKind::Identification => Stage::Verified,
                    CaseKind::Elimination => Stage::Compared,
                };
            }
            Event::Compared(c) => {
                self.comparison = Some(c.clone());
                self.stage = Stage::Compared;
            }
            Event::Appraised(a) => {
                self.appraisal = Some(a.clone());
                if a.passed() {
                    self.stage = Stage::Appraised;
                } else {
                    self.stage = Stage::Rejected;
                    self.rejection = Some((
                        Stage::Compared,
                        format!(
                            "民主评议未通过 appraisal not passed: {} for of {} attendees",
                            a.votes_for, a.attendees
                        ),
                    ));
                }
            }
            Event::NoticePosted { start, last_day } => {
                self.notice = Some(Notice {
                    start: *start,
                    last_day: *last_day,
                    objections: Vec::new(),
                    closed_on: None,
                });
                self.stage = Stage::Notice;
            }
            Event::ObjectionFiled { filed_on, text } => {
                if let Some(n) = &mut self.notice {
                    n.objections.push(Objection {
                        filed_on: *filed_on,
                        text: text.clone(),
                        answer: None,
                    });
                }
            }
            Event::ObjectionAnswered { index, answer } => {
                if let Some(o) = self
                    .notice
                    .as_mut()
                    .and_then(|n| n.objections.get_mut(*index))
                {
                    o.answer = Some(answer.clone());
                }
            }
            Event::NoticeClosed { on } => {
                if let Some(n) = &mut self.notice {
                    n.closed_on = Some(*on);
                }
                self.stage = Stage::NoticeClosed;
            }
            Event::Reviewed { opinion } => {
                self.review = Some(opinion.clone());
                self.stage = Stage::Reviewed;
            }
            Event::Approved { on, decision } => {
                self.approval = Some((*on, decision.clone()));
                self.stage = Stage::Approved;
            }
            Event::Announced { on } => {
                self.announced_on = Some(*on);
                self.stage = Stage::Announced;
            }
            Event::EnteredNational(e) => {
                self.entry = Some(e.clone());
                self.stage = Stage::Entered;
            }
            Event::Rejected { at, reason } => {
                self.rejection = Some((*at, reason.clone()));
                self.stage = Stage::Rejected;
            }
        }
        if self.stage != before {
            self.stage_since = on;
        }
    }

    /// The limit of the step the case waits for, if it has one.
    pub fn step_limit(&self, pack: &PolicyPack) -> Option<TimeLimit> {
        let l = &pack.step_limits;
        Some(match self.stage {
            Stage::Declared => l.accept,
            Stage::Clue => l.verification,
            Stage::Verified => l.comparison,
            Stage::Compared => l.appraisal,
            Stage::Appraised => l.notice_posting,
            Stage::NoticeClosed => l.township_review,
            Stage::Reviewed => l.county_approval,
            Stage::Approved => l.announcement,
            Stage::Announced => l.national_entry,
            Stage::Notice | Stage::Entered | Stage::Rejected => return None,
        })
    }

    /// The due date of the step the case waits for.
    pub fn step_due(&self, pack: &PolicyPack, calendar: &WorkCalendar) -> Option<NaiveDate> {
        if self.stage == Stage::Notice {
            // The notice itself may not end early; closing is due the day after its last day.
            return self
                .notice
                .as_ref()
                .map(|n| n.last_day.succ_opt().unwrap_or(n.last_day));
        }
        let limit = self.step_limit(pack)?;
        Some(calendar.due(self.stage_since, limit))
    }

    /// The due date of the whole identification: the pack's limit in calendar days from the clue.
    /// Elimination has no overall limit in the sources (domain.md §8.2).
    pub fn whole_due(&self, pack: &PolicyPack) -> Option<NaiveDate> {
        if self.opening.kind != CaseKind::Identification || self.stage.is_terminal() {
            return None;
        }
        let days = u64::from(pack.identification_limit_days);
        Some(self.opening.clue_date + chrono::Days::new(days))
    }

    /// Whether the case is past its step's or its whole limit on `today`.
    pub fn overdue(&self, today: NaiveDate, pack: &PolicyPack, calendar: &WorkCalendar) -> bool {
        if self.stage.is_terminal() {
            return false;
        }
        let step = self.step_due(pack, calendar).is_some_and(|d| today > d);
        let whole = self.whole_due(pack).is_some_and(|d| today > d);
        step || whole
    }

    /// Whether measures may be recorded for the household on this case before it is identified.
    pub fn assistance_first(&self) -> bool {
        self.opening.green_channel && self.stage != Stage::Rejected
    }

    /// The commands that would be legal next for `role` on `today` (for forms and API hints).
    pub fn next_commands(&self, role: Option<Role>) -> Vec<&'static str> {
        let Some(action) = self.stage.action() else {
            return Vec::new();
        };
        if role.is_some_and(|r| !r.may(action)) {
            return Vec::new();
        }
        let mut names: Vec<&'static str> = match self.stage {
            Stage::Declared => vec!["accept"],
            Stage::Clue => vec!["verify"],
            Stage::Verified => vec!["compare"],
            Stage::Compared => vec!["appraise"],
            Stage::Appraised => vec!["post_notice"],
            Stage::Notice => {
                let mut n = vec!["file_objection"];
                if self
                    .notice
                    .as_ref()
                    .is_some_and(|n| n.objections.iter().any(|o| o.answer.is_none()))
                {
                    n.push("answer_objection");
                }
                n.push("close_notice");
                n
            }
            Stage::NoticeClosed => vec!["review"],
            Stage::Reviewed => vec!["approve"],
            Stage::Approved => vec!["announce"],
            Stage::Announced => vec!["enter_national"],
            Stage::Entered | Stage::Rejected => vec![],
        };
        if self.stage != Stage::Announced {
            names.push("reject");
        }
        names
    }
}

/// Checks `command` against the case and yields the event to record, or why it is refused.
pub fn apply(case: &Case, command: &Command, ctx: &Ctx<'_>) -> Result<Event, TransitionError> {
    let stage = case.stage;
    let name = command.name();
    if stage.is_terminal() {
        return Err(TransitionError::Closed {
            stage: stage.code(),
        });
    }
    let wrong = || TransitionError::WrongStage {
        command: name,
        stage: stage.code(),
    };
    // Filing an objection during the notice is open to whoever keeps the notice.
    let needed = stage.action().ok_or_else(wrong)?;
    if let Some(role) = ctx.role {
        let allowed = match command {
            Command::Reject { .. } => role.may(needed),
            Command::AnswerObjection { .. } => {
                role.may(Action::AppraiseCase) || role.may(Action::ReviewCase)
            }
            _ => role.may(needed),
        };
        if !allowed {
            return Err(TransitionError::RoleNotAllowed {
                role: role.code(),
                command: name,
                stage: stage.code(),
            });
        }
    }
    let today = ctx.today;
    match command {
        Command::Accept => {
            if stage != Stage::Declared {
                return Err(wrong());
            }
            Ok(Event::Accepted)
        }
        Command::Verify(v) => {
            if stage != Stage::Clue {
                return Err(wrong());
            }
            text("findings", &v.findings)?;
            let identification = case.opening.kind == CaseKind::Identification;
            if identification && !(v.commitment_signed && v.asset_query_authorised) {
                return Err(TransitionError::CommitmentMissing);
            }
            Ok(Event::Verified(v.clone()))
        }
        Command::Compare(c) => {
            if stage != Stage::Verified {
                return Err(wrong());
            }
            text("findings", &c.findings)?;
            Ok(Event::Compared(c.clone()))
        }
        Command::Appraise(a) => {
            if stage != Stage::Compared {
                return Err(wrong());
            }
            text("minutes", &a.minutes)?;
            not_future("held_on", a.held_on, today)?;
            not_before("held_on", a.held_on, case.stage_since)?;
            let votes =
                u64::from(a.votes_for) + u64::from(a.votes_against) + u64::from(a.abstentions);
            if a.attendees == 0 || votes > u64::from(a.attendees) {
                return Err(TransitionError::VotesExceedAttendees {
                    votes,
                    attendees: a.attendees,
                });
            }
            Ok(Event::Appraised(a.clone()))
        }
        Command::PostNotice { start } => {
            if stage != Stage::Appraised {
                return Err(wrong());
            }
            not_future("start", *start, today)?;
            let held = case
                .appraisal
                .as_ref()
                .map_or(case.stage_since, |a| a.held_on);
            not_before("start", *start, held)?;
            let last_day = ctx.calendar.notice_last_day(
                *start,
                ctx.pack.notice_days,
                ctx.pack.notice_working_days,
            );
            Ok(Event::NoticePosted {
                start: *start,
                last_day,
            })
        }
        Command::FileObjection { text: t } => {
            if stage != Stage::Notice {
                return Err(wrong());
            }
            text("objection", t)?;
            Ok(Event::ObjectionFiled {
                filed_on: today,
                text: t.clone(),
            })
        }
        Command::AnswerObjection { index, answer } => {
            if stage != Stage::Notice {
                return Err(wrong());
            }
            text("answer", answer)?;
            let objection = case
                .notice
                .as_ref()
                .and_then(|n| n.objections.get(*index))
                .ok_or(TransitionError::NoSuchObjection { index: *index })?;
            if objection.answer.is_some() {
                return Err(TransitionError::AlreadyAnswered { index: *index });
            }
            Ok(Event::ObjectionAnswered {
                index: *index,
                answer: answer.clone(),
            })
        }
        Command::CloseNotice => {
            if stage != Stage::Notice {
                return Err(wrong());
            }
            let notice = case.notice.as_ref().ok_or_else(wrong)?;
            let earliest = notice.last_day.succ_opt().unwrap_or(notice.last_day);
            if today < earliest {
                return Err(TransitionError::NoticeTooShort {
                    last_day: notice.last_day,
                    earliest,
                });
            }
            if let Some(index) = notice.objections.iter().position(|o| o.answer.is_none()) {
                return Err(TransitionError::ObjectionUnanswered { index });
            }
            Ok(Event::NoticeClosed { on: today })
        }
        Command::Review { opinion } => {
            if stage != Stage::NoticeClosed {
                return Err(wrong());
            }
            text("opinion", opinion)?;
            Ok(Event::Reviewed {
                opinion: opinion.clone(),
            })
        }
        Command::Approve(decision) => {
            if stage != Stage::Reviewed {
                return Err(wrong());
            }
            check_decision(case.opening.kind, decision, ctx.pack)?;
            Ok(Event::Approved {
                on: today,
                decision: decision.clone(),
            })
        }
        Command::Announce { on } => {
            if stage != Stage::Approved {
                return Err(wrong());
            }
            not_future("on", *on, today)?;
            not_before("on", *on, case.stage_since)?;
            Ok(Event::Announced { on: *on })
        }
        Command::EnterNational(e) => {
            if stage != Stage::Announced {
                return Err(wrong());
            }
            text("entered_by", &e.entered_by)?;
            not_future("entered_on", e.entered_on, today)?;
            not_before("entered_on", e.entered_on, case.stage_since)?;
            Ok(Event::EnteredNational(e.clone()))
        }
        Command::Reject { reason } => {
            // Once announced, the result stands; only the entry is left.
            if stage == Stage::Announced {
                return Err(wrong());
            }
            text("reason", reason)?;
            Ok(Event::Rejected {
                at: stage,
                reason: reason.clone(),
            })
        }
    }
}

fn check_decision(
    kind: CaseKind,
    decision: &Decision,
    pack: &PolicyPack,
) -> Result<(), TransitionError> {
    match (kind, decision) {
        (CaseKind::Identification, Decision::Identify { category, risks }) => {
            if pack.category(category).is_none() {
                return Err(TransitionError::UnknownCategory(category.clone()));
            }
            if risks.is_empty() || risks.len() > MAX_RISKS {
                return Err(TransitionError::RiskCount(risks.len()));
            }
            for (i, risk) in risks.iter().enumerate() {
                if pack.risk_type(risk).is_none() {
                    return Err(TransitionError::UnknownRisk(risk.clone()));
                }
                if risks[..i].contains(risk) {
                    return Err(TransitionError::DuplicateRisk(risk.clone()));
                }
            }
            Ok(())
        }
        (CaseKind::Elimination, Decision::Eliminate { .. }) => Ok(()),
        (kind, _) => Err(TransitionError::WrongDecision { kind: kind.code() }),
    }
}

/// Where a household stands, from its cases in the order they were opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitoringStatus {
    /// Never identified (or every identification was rejected).
    NotMonitored,
    /// Identified and under assistance since the approval date.
    Monitored {
        identified_on: NaiveDate,
        category: String,
        risks: Vec<String>,
    },
    /// Risk eliminated; still in the registry under watch.
    Eliminated {
        identified_on: NaiveDate,
        eliminated_on: NaiveDate,
        kind: EliminationType,
    },
    /// Eliminated, then a new clue rolled the elimination back (风险消除回退): monitored again.
    RolledBack {
        identified_on: NaiveDate,
        eliminated_on: NaiveDate,
    },
}

impl MonitoringStatus {
    pub fn code(&self) -> &'static str {
        match self {
            MonitoringStatus::NotMonitored => "not_monitored",
            MonitoringStatus::Monitored { .. } => "monitored",
            MonitoringStatus::Eliminated { .. } => "eliminated",
            MonitoringStatus::RolledBack { .. } => "rolled_back",
        }
    }

    pub fn zh(&self) -> &'static str {
        match self {
            MonitoringStatus::NotMonitored => "未纳入监测",
            MonitoringStatus::Monitored { .. } => "监测帮扶中",
            MonitoringStatus::Eliminated { .. } => "已消除风险",
            MonitoringStatus::RolledBack { .. } => "风险消除回退",
        }
    }

    pub fn en(&self) -> &'static str {
        match self {
            MonitoringStatus::NotMonitored => "Not monitored",
            MonitoringStatus::Monitored { .. } => "Monitored, under assistance",
            MonitoringStatus::Eliminated { .. } => "Risk eliminated",
            MonitoringStatus::RolledBack { .. } => "Elimination rolled back",
        }
    }

    /// The date of the identification in force, if any.
    pub fn identified_on(&self) -> Option<NaiveDate> {
        match self {
            MonitoringStatus::NotMonitored => None,
            MonitoringStatus::Monitored { identified_on, .. }
            | MonitoringStatus::Eliminated { identified_on, .. }
            | MonitoringStatus::RolledBack { identified_on, .. } => Some(*identified_on),
        }
    }
}

/// The household's status from its cases, oldest first. An identification counts from its
/// county approval once it is approved; an elimination counts once approved; an open rollback clue
/// puts an eliminated household back under monitoring at once.
pub fn monitoring_status(cases: &[Case]) -> MonitoringStatus {
    let mut status = MonitoringStatus::NotMonitored;
    for case in cases {
        let approved = case
            .approval
            .as_ref()
            .filter(|_| case.stage != Stage::Rejected);
        match (&status, approved) {
            (_, Some((on, Decision::Identify { category, risks }))) => {
                status = MonitoringStatus::Monitored {
                    identified_on: *on,
                    category: category.clone(),
                    risks: risks.clone(),
                };
            }
            (
                MonitoringStatus::Monitored { identified_on, .. }
                | MonitoringStatus::RolledBack { identified_on, .. },
                Some((on, Decision::Eliminate { kind })),
            ) => {
                status = MonitoringStatus::Eliminated {
                    identified_on: *identified_on,
                    eliminated_on: *on,
                    kind: *kind,
                };
            }
            (
                MonitoringStatus::Eliminated {
                    identified_on,
                    eliminated_on,
                    ..
                },
                None,
            ) if case.opening.rollback && case.stage != Stage::Rejected => {
                status = MonitoringStatus::RolledBack {
                    identified_on: *identified_on,
                    eliminated_on: *eliminated_on,
                };
            }
            _ => {}
        }
    }
    status
}

#[cfg(test)]
mod tests;
