//! The store port of the rectification ledger and the five-level responsibility tree. `Store`
//! has it as a supertrait.

use async_trait::async_trait;
use chrono::NaiveDate;
use uplift_domain::rectify::{Event, Evidence, Problem, ProblemState, RectifyError};
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_domain::version::VersionStamp;

use crate::store::{Scope, StoreResult};

/// The attachment owner kind of a problem's evidence (the owner id is the problem's).
pub const EVIDENCE: &str = "rectification_evidence";

/// Internal key of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProblemId(pub i64);

/// Internal key of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub i64);

/// A problem as stored: its events in order, each stamped (valid_from is the day it happened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemRecord {
    pub id: ProblemId,
    pub events: Vec<(Event, VersionStamp)>,
}

impl ProblemRecord {
    /// The problem folded from its events.
    pub fn problem(&self) -> Result<Problem, RectifyError> {
        Problem::fold(self.events.iter().map(|(e, s)| (e, s.valid_from)))
    }

    /// The problem as it stood at the end of `on` (events after it left out).
    pub fn problem_on(&self, on: NaiveDate) -> Option<Problem> {
        let events: Vec<_> = self
            .events
            .iter()
            .filter(|(_, s)| s.valid_from <= on)
            .map(|(e, s)| (e, s.valid_from))
            .collect();
        if events.is_empty() {
            return None;
        }
        Problem::fold(events).ok()
    }
}

/// Which problems a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemFilter {
    /// A problem is in scope when its filing region or its responsible region lies in it.
    pub scope: Scope,
    /// Narrow to problems filed in or answered for inside this region.
    pub region: Option<RegionCode>,
    pub state: Option<ProblemState>,
}

/// One evidence file with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub meta: Evidence,
    pub bytes: Vec<u8>,
}

/// A region's responsible secretary and the work units beneath it (五级书记).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responsibility {
    pub region: RegionCode,
    pub secretary: String,
    pub units: Vec<String>,
}

/// A task assigned down the tree: every region at `target_level` under `region` completes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub region: RegionCode,
    pub title: String,
    pub description: String,
    pub target_level: RegionLevel,
    pub deadline: NaiveDate,
}

/// One target region of a task and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTarget {
    pub region: RegionCode,
    pub completed_on: Option<NaiveDate>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    pub id: TaskId,
    pub task: NewTask,
    pub stamp: VersionStamp,
    pub targets: Vec<TaskTarget>,
}

#[async_trait]
pub trait RectifyStore: Send + Sync {
    /// Records problems, each with its first events (`Recorded`, optionally `Assigned`), in one
    /// transaction: all or none.
    async fn record_problems(
        &self,
        problems: &[Vec<Event>],
        stamp: &VersionStamp,
    ) -> StoreResult<Vec<ProblemId>>;

    /// Appends an event if the problem still holds `expected_version` events; otherwise
    /// `StoreError::Conflict` and nothing is written. `files` are a report's evidence, in the
    /// order of its `Evidence` list, stored as attachments (owner kind [`EVIDENCE`], the
    /// problem's id) in the same transaction.
    async fn append_problem_event(
        &self,
        problem: ProblemId,
        expected_version: u32,
        event: &Event,
        after: &Problem,
        files: &[crate::attachments::NewAttachment],
        stamp: &VersionStamp,
    ) -> StoreResult<()>;

    /// One problem, if it exists and lies in `scope`.
    async fn problem_record(
        &self,
        problem: ProblemId,
        scope: &Scope,
    ) -> StoreResult<Option<ProblemRecord>>;

    /// Problems in the filter, oldest first.
    async fn list_problems(&self, filter: &ProblemFilter) -> StoreResult<Vec<ProblemRecord>>;

    /// Records a new version of a region's secretary and units.
    async fn save_responsibility(
        &self,
        responsibility: &Responsibility,
        stamp: &VersionStamp,
    ) -> StoreResult<()>;

    /// The latest version per region inside `within`, by region code.
    async fn responsibilities(
        &self,
        within: &RegionCode,
    ) -> StoreResult<Vec<(Responsibility, VersionStamp)>>;

    /// Creates a task with its target regions.
    async fn create_task(
        &self,
        task: &NewTask,
        targets: &[RegionCode],
        stamp: &VersionStamp,
    ) -> StoreResult<TaskId>;

    /// Tasks whose region or one of whose targets lies in `within` (all for `None`), newest first.
    async fn tasks(&self, within: Option<&RegionCode>) -> StoreResult<Vec<TaskRecord>>;

    /// Records a target's completion (`completed_on`) or its withdrawal (`None`).
    async fn record_task_completion(
        &self,
        task: TaskId,
        region: &RegionCode,
        completed_on: Option<NaiveDate>,
        note: &str,
        stamp: &VersionStamp,
    ) -> StoreResult<()>;
}
