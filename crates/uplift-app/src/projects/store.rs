//! The store port of projects, fund plans and assets. `Store` has it as a supertrait.

use async_trait::async_trait;
use uplift_domain::project::{
    AssetEvent, AssetState, FundPlan, Project, ProjectError, ProjectEvent, ProjectStatus,
};
use uplift_domain::region::RegionCode;
use uplift_domain::version::{VersionStamp, Versioned};

use crate::store::{Scope, StoreResult};

/// Internal key of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProjectId(pub i64);

/// Internal key of a fund plan (its versions share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FundPlanId(pub i64);

/// Internal key of a project asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId(pub i64);

/// A project as stored: where it is, its county, and its events in order, each stamped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRecord {
    pub id: ProjectId,
    pub county: RegionCode,
    pub region: RegionCode,
    pub events: Vec<(ProjectEvent, VersionStamp)>,
}

impl ProjectRecord {
    pub fn project(&self) -> Result<Project, ProjectError> {
        Project::fold(self.events.iter().map(|(e, _)| e))
    }
}

/// An asset as stored, with the project that left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRecord {
    pub id: AssetId,
    pub project: ProjectId,
    pub county: RegionCode,
    pub region: RegionCode,
    pub events: Vec<(AssetEvent, VersionStamp)>,
}

impl AssetRecord {
    pub fn state(&self) -> Result<AssetState, ProjectError> {
        AssetState::fold(self.events.iter().map(|(e, _)| e))
    }
}

/// A new project: its proposal (`ProjectEvent::Proposed`) and stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    pub county: RegionCode,
    pub region: RegionCode,
    pub year: i32,
    pub proposed: ProjectEvent,
    pub stamp: VersionStamp,
}

/// One step appended to a project whose log still holds `expected_version` events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectStep {
    pub project: ProjectId,
    pub expected_version: u32,
    pub event: ProjectEvent,
    /// The status and library year after the event.
    pub status: ProjectStatus,
    pub year: i32,
    pub stamp: VersionStamp,
}

/// Which projects a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFilter {
    pub scope: Scope,
    /// Only projects located inside this region.
    pub region: Option<RegionCode>,
    pub county: Option<RegionCode>,
    pub year: Option<i32>,
    pub status: Option<ProjectStatus>,
}

impl ProjectFilter {
    pub fn county(scope: Scope, county: RegionCode) -> ProjectFilter {
        ProjectFilter {
            scope,
            region: None,
            county: Some(county),
            year: None,
            status: None,
        }
    }
}

#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Creates projects, each with its proposal, all or none.
    async fn create_projects(&self, new: &[NewProject]) -> StoreResult<Vec<ProjectId>>;

    /// Appends steps, all or none; a project no longer at its expected version is a
    /// `StoreError::Conflict` and nothing is written.
    async fn append_project_steps(&self, steps: &[ProjectStep]) -> StoreResult<()>;

    /// One project, if it exists and lies in `scope`.
    async fn project_record(
        &self,
        id: ProjectId,
        scope: &Scope,
    ) -> StoreResult<Option<ProjectRecord>>;

    /// Projects in the filter, by id.
    async fn list_projects(&self, filter: &ProjectFilter) -> StoreResult<Vec<ProjectRecord>>;

    /// Records new plans (`id` none) or new versions of plans, all or none.
    async fn save_fund_plans(
        &self,
        plans: &[(Option<FundPlanId>, FundPlan, VersionStamp)],
    ) -> StoreResult<Vec<FundPlanId>>;

    /// The latest version of each plan whose county lies in `scope` (or contains the scope's
    /// region), optionally one county's and one year's.
    async fn fund_plans(
        &self,
        scope: &Scope,
        county: Option<&RegionCode>,
        year: Option<i32>,
    ) -> StoreResult<Vec<(FundPlanId, Versioned<FundPlan>)>>;

    /// Registers an asset of a project with its first event (`AssetEvent::Registered`).
    async fn register_asset(
        &self,
        project: ProjectId,
        county: &RegionCode,
        region: &RegionCode,
        registered: &AssetEvent,
        stamp: &VersionStamp,
    ) -> StoreResult<AssetId>;

    /// Appends an event to an asset still holding `expected_version` events.
    async fn append_asset_event(
        &self,
        asset: AssetId,
        expected_version: u32,
        event: &AssetEvent,
        stamp: &VersionStamp,
    ) -> StoreResult<()>;

    /// Assets of one county (all of them when `county` is none) located in `scope`,
    /// optionally one project's.
    async fn list_assets(
        &self,
        scope: &Scope,
        county: Option<&RegionCode>,
        project: Option<ProjectId>,
    ) -> StoreResult<Vec<AssetRecord>>;
}
