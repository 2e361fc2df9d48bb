//! The store port of the import and export use cases.

use async_trait::async_trait;
use uplift_domain::household::{Household, HouseholdNo, Person};
use uplift_domain::income::IncomeRecord;
use uplift_domain::resident_id::ResidentId;
use uplift_domain::version::{ReadAt, VersionStamp};

use crate::store::{
    HouseholdDetail, HouseholdFilter, HouseholdId, IncomeId, NewHousehold, PersonId, StoreResult,
};

/// Internal key of an import batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportBatchId(pub i64);

/// Everything one import writes, applied in one transaction by [`ImportStore::apply_import`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportPlan {
    pub new_households: Vec<NewHousehold>,
    pub household_versions: Vec<(HouseholdId, Household)>,
    /// New members of existing households.
    pub new_persons: Vec<(HouseholdId, Person)>,
    pub person_versions: Vec<(HouseholdId, PersonId, Person)>,
    /// New income periods of existing households.
    pub new_incomes: Vec<(HouseholdId, IncomeRecord)>,
    pub income_versions: Vec<(HouseholdId, IncomeId, IncomeRecord)>,
}

impl ImportPlan {
    pub fn is_empty(&self) -> bool {
        self.new_households.is_empty()
            && self.household_versions.is_empty()
            && self.new_persons.is_empty()
            && self.person_versions.is_empty()
            && self.new_incomes.is_empty()
            && self.income_versions.is_empty()
    }
}

/// Counts of one import, as stored with its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportCounts {
    /// Data rows read.
    pub rows: u64,
    /// Rows with an error (a field issue or an error-severity finding).
    pub rejected_rows: u64,
    pub households_new: u64,
    pub households_changed: u64,
    pub households_unchanged: u64,
    /// Households left out (their rows had errors, in `--partial` or a rejected import).
    pub households_skipped: u64,
    pub persons_new: u64,
    pub persons_changed: u64,
    pub persons_unchanged: u64,
    pub incomes_new: u64,
    pub incomes_changed: u64,
    pub incomes_unchanged: u64,
    pub errors: u64,
    pub warnings: u64,
}

/// One line of an import report as stored with its batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIssue {
    pub row: u64,
    pub column: String,
    pub field: String,
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    pub message_zh: String,
    pub message_en: String,
    pub value: String,
    pub household_no: String,
    /// The original row, as one CSV line (empty when the issue has no row).
    pub cells: String,
}

/// The record of one import run (applied, rejected, refused or a dry run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportBatch {
    pub id: Option<ImportBatchId>,
    pub file_name: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub checksum: String,
    /// `households` or `incomes`.
    pub kind: String,
    /// `all_or_nothing`, `partial` or `dry_run`.
    pub mode: String,
    /// `applied`, `rejected`, `refused` or `dry_run`.
    pub status: String,
    pub actor: String,
    pub recorded_at: chrono::DateTime<chrono::FixedOffset>,
    /// The file's header row, as one CSV line.
    pub headers: String,
    pub counts: ImportCounts,
    pub issues: Vec<StoredIssue>,
}

/// What the import and export use cases need from the store.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// For each ID number, the household number of the household where it is an active member
    /// now (everything known). ID numbers held by nobody are left out.
    async fn households_of_id_numbers(
        &self,
        ids: &[ResidentId],
        at: ReadAt,
    ) -> StoreResult<Vec<(ResidentId, HouseholdNo)>>;

    /// The households whose number is one of `nos` at the point of view, whole (every member,
    /// active or not, and every income period), whatever the scope: the use case checks it.
    async fn households_by_numbers(
        &self,
        nos: &[HouseholdNo],
        at: ReadAt,
    ) -> StoreResult<Vec<HouseholdDetail>>;

    /// Writes a whole planned import and records its batch, in one transaction: all or nothing.
    /// An empty plan records only the batch.
    async fn apply_import(
        &self,
        plan: &ImportPlan,
        batch: &ImportBatch,
        stamp: &VersionStamp,
    ) -> StoreResult<ImportBatchId>;

    /// A recorded batch with its issues.
    async fn import_batch(&self, id: ImportBatchId) -> StoreResult<Option<ImportBatch>>;

    /// Every household of the filter (no paging), whole, ordered by household number.
    async fn export_households(
        &self,
        filter: &HouseholdFilter,
        at: ReadAt,
    ) -> StoreResult<Vec<HouseholdDetail>>;
}
