//! The store port of feeds, screening runs and warnings (issue 5).

use async_trait::async_trait;
use chrono::NaiveDate;

use uplift_domain::household::{Household, Person};
use uplift_domain::income::IncomeRecord;
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::store::{HouseholdId, Page, Paged, Scope, StoreResult};

/// A feed batch to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeedBatch {
    pub kind: String,
    /// The file name it came from.
    pub source: String,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    /// SHA-256 of the file, hex: the same file twice is one batch.
    pub checksum: String,
    /// Instant text (codec::instant_text form).
    pub imported_at: String,
    pub actor: String,
    pub rows: u64,
    pub matched: u64,
    pub unmatched: u64,
    /// The uploader's region (who may see the batch); `None` for the machine (the CLI).
    pub region: Option<RegionCode>,
    /// The uploader's department (a clerk's upload); `None` for county staff and the CLI.
    pub department: Option<String>,
}

/// Which feed batches a read may see: those of the reader's region (batches with no region are
/// the machine's and seen by all), and only the reader's department's when one is given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedScope {
    pub region: Option<RegionCode>,
    pub department: Option<String>,
}

/// A stored feed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedBatch {
    pub id: i64,
    pub batch: NewFeedBatch,
}

/// One stored feed row. `target` and `data` are the app's encodings (`feeds::encode_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeedRow {
    pub batch: i64,
    pub kind: String,
    pub row: u64,
    pub record_id: Option<String>,
    pub reversal: bool,
    pub target: String,
    pub matched: bool,
    pub data: String,
}

/// A warning raised or refreshed by a run: one open warning per household and risk type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWarning {
    pub household_id: i64,
    pub household_no: String,
    pub village: String,
    pub township: String,
    pub risk_type: String,
    /// Rule codes, comma-separated, sorted.
    pub rules: String,
    /// The explanation (rules with thresholds, evidence, figures, counter-evidence), as text.
    pub explanation: String,
    /// The verification task's due date (village and township, the policy's time limit).
    pub due: NaiveDate,
}

/// A stored warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningRecord {
    pub id: i64,
    pub warning: NewWarning,
    /// `open` or `withdrawn` (no longer hit by a later screening of the household).
    pub state: String,
    pub created_at: String,
    pub updated_at: String,
    pub run_id: i64,
}

/// A screening run's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningRun {
    /// Idempotency key: policy version, reference date and the feed batches screened.
    pub key: String,
    pub as_of: NaiveDate,
    pub mode: String,
    pub started_at: String,
    pub duration_ms: i64,
    /// `RULE=count` per rule, comma-separated.
    pub summary: String,
    /// The inputs: batches, households screened.
    pub inputs: String,
    pub warnings_new: i64,
    pub warnings_updated: i64,
    pub warnings_withdrawn: i64,
}

/// The registry as of a date, read in bulk for screening (one pass per table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotRows {
    /// Every household's version in effect, in id order.
    pub households: Vec<(HouseholdId, Household)>,
    /// Every person's version in effect, with the household it is in on that date, ordered by
    /// household then person (inactive members included: the caller decides).
    pub members: Vec<(HouseholdId, Person)>,
    /// Every income record's version in effect, ordered by household then period start.
    pub incomes: Vec<(HouseholdId, IncomeRecord)>,
}

#[async_trait]
pub trait FeedStore: Send + Sync {
    /// The whole registry as of `at` in three queries (households, members, incomes): the same
    /// content as reading every household with `Store::household`, without a query per household.
    async fn screening_snapshot(&self, at: ReadAt) -> StoreResult<SnapshotRows>;
    async fn feed_batch_by_checksum(&self, checksum: &str) -> StoreResult<Option<FeedBatch>>;
    /// Stores a batch and all its rows in one transaction.
    async fn save_feed_batch(
        &self,
        batch: &NewFeedBatch,
        rows: &[StoredFeedRow],
    ) -> StoreResult<FeedBatch>;
    /// The batches the scope may see, in id order.
    async fn feed_batches(&self, scope: &FeedScope) -> StoreResult<Vec<FeedBatch>>;
    /// One batch, if the scope may see it.
    async fn feed_batch(&self, id: i64, scope: &FeedScope) -> StoreResult<Option<FeedBatch>>;
    /// The rows of one batch that matched nobody, in row order.
    async fn unmatched_feed_rows(&self, batch: i64) -> StoreResult<Vec<StoredFeedRow>>;
    /// Every stored row, in batch and row order.
    async fn feed_rows(&self) -> StoreResult<Vec<StoredFeedRow>>;
    async fn screening_run(&self, key: &str) -> StoreResult<Option<ScreeningRun>>;
    /// Stores a run and its warnings in one transaction: each warning updates the open warning of
    /// its household and risk type, or opens one; open warnings of the `screened` households that
    /// the run did not raise again are withdrawn. Gives the run with its counts filled in.
    async fn record_screening_run(
        &self,
        run: &ScreeningRun,
        warnings: &[NewWarning],
        screened: &[i64],
    ) -> StoreResult<ScreeningRun>;
    /// The warnings the filter's scope may see (applied in the query), newest first.
    async fn warnings(
        &self,
        filter: &WarningFilter,
        page: Page,
    ) -> StoreResult<Paged<WarningRecord>>;
    /// One warning, if the scope may see it.
    async fn warning(&self, id: i64, scope: &Scope) -> StoreResult<Option<WarningRecord>>;
}

/// Filters of the warning list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningFilter {
    pub scope: Scope,
    /// Narrow to households whose village lies in this region.
    pub region: Option<RegionCode>,
    /// A rule code (one of the warning's rules).
    pub rule: Option<String>,
    /// A risk type code.
    pub risk: Option<String>,
    /// `open` or `withdrawn`.
    pub state: Option<String>,
}

impl WarningFilter {
    pub fn everything() -> WarningFilter {
        WarningFilter {
            scope: Scope::Everything,
            region: None,
            rule: None,
            risk: None,
            state: None,
        }
    }
}
