//! The store port of cases, measures and visits. `Store` has it as a supertrait.

use async_trait::async_trait;
use uplift_domain::case::{Case, Event, Measure, Stage, TransitionError, Visit};
use uplift_domain::region::RegionCode;
use uplift_domain::version::{ReadAt, VersionStamp, Versioned};

use crate::store::{HouseholdId, Scope, StoreResult};

/// Internal key of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(pub i64);

/// Internal key of a measure (its versions share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeasureId(pub i64);

/// Internal key of a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VisitId(pub i64);

/// A case as stored: its household, the village it was opened in, and its events in order,
/// each stamped (valid_from is the date it happened, recorded_at when Uplift recorded it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    pub id: CaseId,
    pub household: HouseholdId,
    pub region: RegionCode,
    pub events: Vec<(Event, VersionStamp)>,
}

impl CaseRecord {
    /// The case folded from its events.
    pub fn case(&self) -> Result<Case, TransitionError> {
        Case::fold(self.events.iter().map(|(e, s)| (e, s.valid_from)))
    }
}

/// Which cases a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFilter {
    pub scope: Scope,
    pub region: Option<RegionCode>,
    pub stage: Option<Stage>,
    pub household: Option<HouseholdId>,
}

#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Opens a case with its first event (`Event::Opened`).
    async fn open_case(
        &self,
        household: HouseholdId,
        region: &RegionCode,
        opened: &Event,
        stamp: &VersionStamp,
    ) -> StoreResult<CaseId>;

    /// Appends an event if the case still holds `expected_version` events; otherwise
    /// `StoreError::Conflict` and nothing is written. `stage` is the stage after the event.
    async fn append_case_event(
        &self,
        case: CaseId,
        expected_version: u32,
        event: &Event,
        stage: Stage,
        stamp: &VersionStamp,
    ) -> StoreResult<()>;

    /// One case, if it exists and lies in `scope`.
    async fn case_record(&self, case: CaseId, scope: &Scope) -> StoreResult<Option<CaseRecord>>;

    /// Cases in the filter's scope, oldest first.
    async fn list_cases(&self, filter: &CaseFilter) -> StoreResult<Vec<CaseRecord>>;

    /// Records a new measure (`id` none) or a new version of one.
    async fn save_measure(
        &self,
        household: HouseholdId,
        id: Option<MeasureId>,
        measure: &Measure,
        stamp: &VersionStamp,
    ) -> StoreResult<MeasureId>;

    /// The household's measures at a point of view.
    async fn measures(
        &self,
        household: HouseholdId,
        at: ReadAt,
    ) -> StoreResult<Vec<(MeasureId, Versioned<Measure>)>>;

    async fn record_visit(
        &self,
        household: HouseholdId,
        visit: &Visit,
        stamp: &VersionStamp,
    ) -> StoreResult<VisitId>;

    /// The household's visits, by date.
    async fn visits(&self, household: HouseholdId)
    -> StoreResult<Vec<(VisitId, Versioned<Visit>)>>;
}
