//! The store port: what the use cases need from a database, named after business operations.
//!
//! Every method is one transaction. Implementations live in `uplift-db` (SQLite and PostgreSQL)
//! and pass the same contract suite. Reads take a [`ReadAt`] so that every record kind replays
//! the same bitemporal way (see `uplift_domain::version`).

use async_trait::async_trait;
use chrono::NaiveDate;
use uplift_domain::household::{Household, HouseholdNo, HouseholdType, Person};
use uplift_domain::income::IncomeRecord;
use uplift_domain::region::{Region, RegionCode};
use uplift_domain::version::{ReadAt, VersionStamp, Versioned};

use crate::access::{AuditEvent, ChainedAuditEvent, Session, User};

/// Internal key of a household; household numbers are attributes with history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HouseholdId(pub i64);

/// Internal key of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonId(pub i64);

/// Internal key of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// Internal key of an income record (one household and reference period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncomeId(pub i64);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which records a read may see. Applied inside the store's queries, never only by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The machine's trust (CLI, tests): everything.
    Everything,
    /// Households whose village lies inside this region (at the read's point of view).
    Region(RegionCode),
    /// The households currently assigned to this helper (帮扶联系人), wherever they live.
    Assigned(UserId),
    /// No registry records at all (department clerks).
    Nothing,
}

/// Filters of the household list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdFilter {
    pub scope: Scope,
    /// Narrow to a region inside the scope.
    pub region: Option<RegionCode>,
    pub household_type: Option<HouseholdType>,
    /// A household number, or a member's name or ID number (exact match).
    pub search: Option<String>,
    /// Only households whose latest income record puts them in this band.
    pub income_band: Option<crate::dashboard::BandFilter>,
}

impl HouseholdFilter {
    pub fn everything() -> HouseholdFilter {
        HouseholdFilter {
            scope: Scope::Everything,
            region: None,
            household_type: None,
            search: None,
            income_band: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    pub size: u32,
}

impl Page {
    pub const MAX_SIZE: u32 = 500;

    pub fn new(number: u32, size: u32) -> Page {
        Page {
            number: number.max(1),
            size: size.clamp(1, Self::MAX_SIZE),
        }
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.number - 1) * u64::from(self.size)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: Page,
}

/// One row of the household list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdSummary {
    pub id: HouseholdId,
    pub household: Household,
    pub head_name: Option<String>,
    pub members: u32,
}

/// A member as read at some point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub id: PersonId,
    pub person: Versioned<Person>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeEntry {
    pub id: IncomeId,
    pub income: Versioned<IncomeRecord>,
}

/// Everything the household page shows, at one point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdDetail {
    pub id: HouseholdId,
    pub household: Versioned<Household>,
    /// Members in effect at the point of view, including those who left (with their status).
    pub members: Vec<MemberRecord>,
    pub incomes: Vec<IncomeEntry>,
}

/// One version in a household's history, of any of its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryEntry {
    Household(Versioned<Household>),
    Person(PersonId, Versioned<Person>),
    Income(IncomeId, Versioned<IncomeRecord>),
}

impl HistoryEntry {
    pub fn stamp(&self) -> &VersionStamp {
        match self {
            HistoryEntry::Household(v) => &v.stamp,
            HistoryEntry::Person(_, v) => &v.stamp,
            HistoryEntry::Income(_, v) => &v.stamp,
        }
    }
}

/// A household and its members to register in one go (imports and the generator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHousehold {
    pub household: Household,
    pub members: Vec<Person>,
    pub incomes: Vec<IncomeRecord>,
}

/// Counts of what the registry holds, for `uplift` commands and health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegistryCounts {
    pub regions: u64,
    pub households: u64,
    pub persons: u64,
    pub income_records: u64,
}

#[async_trait]
pub trait Store:
    Send
    + Sync
    + crate::changes::ChangeStore
    + crate::imports::store::ImportStore
    + crate::cases::CaseStore
    + crate::dashboard::DashboardStore
    + crate::feeds::store::FeedStore
    + crate::attachments::AttachmentStore
    + crate::villages::VillageStore
    + crate::campaigns::CampaignStore
    + crate::rectify::store::RectifyStore
    + crate::projects::ProjectStore
{
    /// Which backend this is, for logs and `uplift` output (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;

    /// Inserts or renames regions; returns how many rows were written.
    async fn save_regions(&self, regions: &[Region]) -> StoreResult<u64>;
    async fn region(&self, code: &RegionCode) -> StoreResult<Option<Region>>;
    /// The direct children of a region (the provinces when `parent` is none), by code.
    async fn region_children(&self, parent: Option<&RegionCode>) -> StoreResult<Vec<Region>>;
    /// The region and all its ancestors, from the province down.
    async fn region_path(&self, code: &RegionCode) -> StoreResult<Vec<Region>>;

    /// Registers new households with their members and incomes, all stamped alike, in one
    /// transaction: all or nothing.
    async fn register_households(
        &self,
        batch: &[NewHousehold],
        stamp: &VersionStamp,
    ) -> StoreResult<Vec<HouseholdId>>;

    /// Records a new version of a household's own attributes.
    async fn record_household_version(
        &self,
        id: HouseholdId,
        household: &Household,
        stamp: &VersionStamp,
    ) -> StoreResult<()>;

    /// Records a new version of a member (a change of health, a correction of the ID number, …).
    async fn record_person_version(
        &self,
        household: HouseholdId,
        id: PersonId,
        person: &Person,
        stamp: &VersionStamp,
    ) -> StoreResult<()>;

    async fn list_households(
        &self,
        filter: &HouseholdFilter,
        at: ReadAt,
        page: Page,
    ) -> StoreResult<Paged<HouseholdSummary>>;

    /// A household at a point of view; `None` if it did not exist then or lies outside `scope`.
    async fn household(
        &self,
        id: HouseholdId,
        scope: &Scope,
        at: ReadAt,
    ) -> StoreResult<Option<HouseholdDetail>>;

    /// The household whose number was `no` at the point of view.
    async fn find_household_by_no(
        &self,
        no: &HouseholdNo,
        at: ReadAt,
    ) -> StoreResult<Option<HouseholdId>>;

    /// Every version of every record of a household, oldest recorded first.
    async fn household_history(&self, id: HouseholdId) -> StoreResult<Vec<HistoryEntry>>;

    async fn counts(&self) -> StoreResult<RegistryCounts>;

    /// Adds a user; a taken username is a conflict. The `id` field of `user` is ignored.
    async fn create_user(&self, user: &User) -> StoreResult<UserId>;
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    /// Users whose region lies inside `within` (all users when none), by username.
    async fn list_users(&self, within: Option<&RegionCode>) -> StoreResult<Vec<User>>;
    async fn set_user_disabled(&self, id: UserId, disabled: bool) -> StoreResult<()>;
    async fn set_user_password(&self, id: UserId, password_hash: &str) -> StoreResult<()>;

    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// A live session (not ended, not expired at `now`) and its user; extends its expiry.
    async fn session(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> StoreResult<Option<(Session, User)>>;
    async fn end_session(
        &self,
        token_hash: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> StoreResult<()>;
    async fn end_user_sessions(
        &self,
        user: UserId,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> StoreResult<()>;

    /// Assigns a household to a helper; assigning twice changes nothing.
    async fn assign_helper(
        &self,
        helper: UserId,
        household: HouseholdId,
        at: chrono::DateTime<chrono::FixedOffset>,
        actor: &str,
    ) -> StoreResult<()>;

    /// Appends to the audit log.
    async fn record_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// The whole audit log in id order, with the hash chain.
    async fn audit_chain(&self) -> StoreResult<Vec<ChainedAuditEvent>>;
    /// The number of failed logins of a username, and from a client address, since `since`.
    async fn failed_logins_since(
        &self,
        username: &str,
        client: Option<&str>,
        since: chrono::DateTime<chrono::FixedOffset>,
    ) -> StoreResult<(u64, u64)>;
    /// The newest events first, of targets inside `within` (all when none).
    async fn audit_log(
        &self,
        within: Option<&RegionCode>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>>;

    /// Runs the backend's integrity check; returns its findings (empty when healthy).
    async fn integrity_check(&self) -> StoreResult<Vec<String>>;
}

/// Today in China Standard Time, from the clock port.
pub trait Clock: Send + Sync {
    fn now(&self) -> chrono::DateTime<chrono::FixedOffset>;

    fn today(&self) -> NaiveDate {
        uplift_domain::version::cst_date(&self.now())
    }
}
