//! The import half of the store: lookups for matching, the atomic write of a planned import
//! with its batch record, and the whole-household reads of exports.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row};
use uplift_app::imports::store::{
    ImportBatch, ImportBatchId, ImportCounts, ImportPlan, ImportStore, StoredIssue,
};
use uplift_app::store::{
    HouseholdDetail, HouseholdFilter, HouseholdId, IncomeEntry, IncomeId, MemberRecord, Page,
    StoreResult,
};
use uplift_domain::household::{HouseholdNo, MemberStatus};
use uplift_domain::resident_id::ResidentId;
use uplift_domain::version::{ReadAt, VersionStamp, Versioned};

use crate::Db;
use crate::codec::{self, date_text, instant_text, known_at_text};
use crate::registry::{
    Cell, LATEST_FIRST, household_from_row, income_from_row, insert_rows, reserve_keys, unexpected,
};
use uplift_domain::household::Codebook;

/// Bound values per `IN (…)` list.
const CHUNK: usize = 500;

/// `$first, $first+1, …` for `n` parameters.
fn params(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn int_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn count(v: u64) -> Cell {
    Cell::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

impl Db {
    /// The current versions of these households (internal keys of ours, not user input).
    async fn current_households(
        &self,
        ids: &[i64],
        at: ReadAt,
    ) -> StoreResult<Vec<(HouseholdId, Versioned<uplift_domain::household::Household>)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT * FROM (SELECT hv.*, ROW_NUMBER() OVER (PARTITION BY household_id {LATEST_FIRST}) AS rn \
                 FROM household_versions hv WHERE household_id IN ({}) AND valid_from <= $1 AND recorded_at <= $2) cur \
                 WHERE rn = 1 ORDER BY household_no, household_id",
                int_list(chunk)
            );
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(date_text(at.as_of))
                .bind(known_at_text(at.known_at))
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected)?;
            for row in &rows {
                let id = HouseholdId(row.try_get("household_id").map_err(unexpected)?);
                let value = household_from_row(row).map_err(unexpected)?;
                let stamp = codec::stamp(row).map_err(unexpected)?;
                out.push((id, Versioned { value, stamp }));
            }
        }
        Ok(out)
    }

    /// Whole households (members and incomes) at a point of view, in the order given.
    async fn details_of(&self, ids: &[i64], at: ReadAt) -> StoreResult<Vec<HouseholdDetail>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let households = self.current_households(chunk, at).await?;
            let mut members: HashMap<HouseholdId, Vec<MemberRecord>> = HashMap::new();
            for (pid, hid, person) in self.members_of(chunk, at).await? {
                members
                    .entry(hid)
                    .or_default()
                    .push(MemberRecord { id: pid, person });
            }
            let sql = format!(
                "SELECT * FROM (SELECT iv.*, ROW_NUMBER() OVER (PARTITION BY income_id {LATEST_FIRST}) AS rn \
                 FROM income_versions iv WHERE household_id IN ({}) AND valid_from <= $1 AND recorded_at <= $2) cur \
                 WHERE rn = 1 ORDER BY household_id, period_start DESC, income_id",
                int_list(chunk)
            );
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(date_text(at.as_of))
                .bind(known_at_text(at.known_at))
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected)?;
            let mut incomes: HashMap<HouseholdId, Vec<IncomeEntry>> = HashMap::new();
            for row in &rows {
                let hid = HouseholdId(row.try_get("household_id").map_err(unexpected)?);
                incomes.entry(hid).or_default().push(IncomeEntry {
                    id: IncomeId(row.try_get("income_id").map_err(unexpected)?),
                    income: Versioned {
                        value: income_from_row(row).map_err(unexpected)?,
                        stamp: codec::stamp(row).map_err(unexpected)?,
                    },
                });
            }
            let mut by_id: HashMap<HouseholdId, _> = households.into_iter().collect();
            for id in chunk {
                let id = HouseholdId(*id);
                if let Some(household) = by_id.remove(&id) {
                    out.push(HouseholdDetail {
                        id,
                        household,
                        members: members.remove(&id).unwrap_or_default(),
                        incomes: incomes.remove(&id).unwrap_or_default(),
                    });
                }
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl ImportStore for Db {
    async fn households_of_id_numbers(
        &self,
        ids: &[ResidentId],
        at: ReadAt,
    ) -> StoreResult<Vec<(ResidentId, HouseholdNo)>> {
        // Matched through the lookup key, so this works when ID numbers are encrypted at rest.
        // Each key computed once (an HMAC when ID numbers are encrypted).
        let keys: Vec<String> = ids
            .iter()
            .map(|id| self.cipher.lookup_key(id.as_str()))
            .collect();
        let by_lookup: HashMap<&str, &ResidentId> =
            keys.iter().map(String::as_str).zip(ids).collect();
        let mut held: Vec<(String, i64)> = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let list = params(3, chunk.len());
            let sql = format!(
                "SELECT id_lookup, household_id FROM (SELECT pv.person_id, pv.id_lookup, pv.household_id, pv.status, \
                 ROW_NUMBER() OVER (PARTITION BY person_id {LATEST_FIRST}) AS rn FROM person_versions pv \
                 WHERE person_id IN (SELECT person_id FROM person_versions WHERE id_lookup IN ({list})) \
                 AND valid_from <= $1 AND recorded_at <= $2) cur \
                 WHERE rn = 1 AND status = '{}' AND id_lookup IN ({list})",
                MemberStatus::Active.code()
            );
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(date_text(at.as_of))
                .bind(known_at_text(at.known_at));
            for key in chunk {
                q = q.bind(key.clone());
            }
            for row in q.fetch_all(&self.pool).await.map_err(unexpected)? {
                held.push((
                    row.try_get("id_lookup").map_err(unexpected)?,
                    row.try_get("household_id").map_err(unexpected)?,
                ));
            }
        }
        let mut household_ids: Vec<i64> = held.iter().map(|(_, h)| *h).collect();
        household_ids.sort_unstable();
        household_ids.dedup();
        let numbers: HashMap<i64, HouseholdNo> = self
            .current_households(&household_ids, at)
            .await?
            .into_iter()
            .map(|(id, h)| (id.0, h.value.household_no))
            .collect();
        Ok(held
            .into_iter()
            .filter_map(|(key, h)| {
                Some((
                    (*by_lookup.get(key.as_str())?).clone(),
                    numbers.get(&h)?.clone(),
                ))
            })
            .collect())
    }

    async fn households_by_numbers(
        &self,
        nos: &[HouseholdNo],
        at: ReadAt,
    ) -> StoreResult<Vec<HouseholdDetail>> {
        let mut ids: Vec<i64> = Vec::new();
        for chunk in nos.chunks(CHUNK) {
            let list = params(3, chunk.len());
            let sql = format!(
                "SELECT household_id FROM (SELECT hv.household_id, hv.household_no, \
                 ROW_NUMBER() OVER (PARTITION BY household_id {LATEST_FIRST}) AS rn FROM household_versions hv \
                 WHERE household_id IN (SELECT household_id FROM household_versions WHERE household_no IN ({list})) \
                 AND valid_from <= $1 AND recorded_at <= $2) cur \
                 WHERE rn = 1 AND household_no IN ({list})"
            );
            let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
                .bind(date_text(at.as_of))
                .bind(known_at_text(at.known_at));
            for no in chunk {
                q = q.bind(no.as_str().to_owned());
            }
            ids.extend(q.fetch_all(&self.pool).await.map_err(unexpected)?);
        }
        ids.sort_unstable();
        ids.dedup();
        self.details_of(&ids, at).await
    }

    async fn apply_import(
        &self,
        plan: &ImportPlan,
        batch: &ImportBatch,
        stamp: &VersionStamp,
    ) -> StoreResult<ImportBatchId> {
        if let Some(path) = &self.sqlite_file {
            // The fast path: its own connection, blocking; off the executor where there is a
            // multi-threaded one (the server, the CLI), inline on a current-thread runtime.
            let write =
                || crate::import_write::write_sqlite(path, &self.cipher, plan, batch, stamp);
            let id = match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
                Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
                    tokio::task::block_in_place(write)?
                }
                _ => write()?,
            };
            return Ok(ImportBatchId(id));
        }
        let mut tx = self.begin_write().await?;
        let batch_id = reserve_keys(&mut tx, "import_batches", 1).await?;
        crate::import_write::write_plan(self.backend, &self.cipher, &mut tx, plan, stamp).await?;
        let (row, issues) = batch_rows(batch_id, batch);
        insert_rows(self.backend, &mut tx, BATCH_COLUMNS, row.len(), vec![row]).await?;
        crate::import_write::insert_stream(self.backend, &mut tx, ISSUE_COLUMNS, 12, issues)
            .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(ImportBatchId(batch_id))
    }

    async fn import_batch(&self, id: ImportBatchId) -> StoreResult<Option<ImportBatch>> {
        let Some(row) = sqlx::query("SELECT * FROM import_batches WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        let n = |c: &str| -> StoreResult<u64> {
            let v: i64 = row.try_get(c).map_err(unexpected)?;
            Ok(u64::try_from(v).unwrap_or(0))
        };
        let counts = ImportCounts {
            rows: n("rows_read")?,
            rejected_rows: n("rejected_rows")?,
            households_new: n("households_new")?,
            households_changed: n("households_changed")?,
            households_unchanged: n("households_unchanged")?,
            households_skipped: n("households_skipped")?,
            persons_new: n("persons_new")?,
            persons_changed: n("persons_changed")?,
            persons_unchanged: n("persons_unchanged")?,
            incomes_new: n("incomes_new")?,
            incomes_changed: n("incomes_changed")?,
            incomes_unchanged: n("incomes_unchanged")?,
            errors: n("errors")?,
            warnings: n("warnings")?,
        };
        let text = |c: &str| -> StoreResult<String> { row.try_get(c).map_err(unexpected) };
        let issues = sqlx::query("SELECT * FROM import_issues WHERE batch_id = $1 ORDER BY seq")
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(unexpected)?
            .iter()
            .map(|r| -> anyhow::Result<StoredIssue> {
                let row_no: i64 = r.try_get("row_no")?;
                Ok(StoredIssue {
                    row: u64::try_from(row_no).unwrap_or(0),
                    column: r.try_get("column_name")?,
                    field: r.try_get("field")?,
                    rule: r.try_get("rule")?,
                    severity: r.try_get("severity")?,
                    message_zh: r.try_get("message_zh")?,
                    message_en: r.try_get("message_en")?,
                    value: r.try_get("value")?,
                    household_no: r.try_get("household_no")?,
                    cells: r.try_get("cells")?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)?;
        Ok(Some(ImportBatch {
            id: Some(id),
            file_name: text("file_name")?,
            checksum: text("checksum")?,
            kind: text("kind")?,
            mode: text("mode")?,
            status: text("status")?,
            actor: text("actor")?,
            recorded_at: codec::parse_instant(&text("recorded_at")?).map_err(unexpected)?,
            headers: text("headers")?,
            counts,
            issues,
        }))
    }

    async fn export_households(
        &self,
        filter: &HouseholdFilter,
        at: ReadAt,
    ) -> StoreResult<Vec<HouseholdDetail>> {
        use uplift_app::store::Store;
        let mut ids = Vec::new();
        let mut number = 1;
        loop {
            let page = self
                .list_households(filter, at, Page::new(number, Page::MAX_SIZE))
                .await?;
            let done = page.items.len() < Page::MAX_SIZE as usize;
            ids.extend(page.items.iter().map(|s| s.id.0));
            if done {
                break;
            }
            number += 1;
        }
        let mut details = self.details_of(&ids, at).await?;
        details.sort_by(|a, b| {
            (a.household.value.household_no.as_str(), a.id)
                .cmp(&(b.household.value.household_no.as_str(), b.id))
        });
        Ok(details)
    }
}

pub(crate) const BATCH_COLUMNS: &str = "import_batches (id, file_name, checksum, kind, mode, \
     status, actor, recorded_at, headers, rows_read, rejected_rows, households_new, \
     households_changed, households_unchanged, households_skipped, persons_new, persons_changed, \
     persons_unchanged, incomes_new, incomes_changed, incomes_unchanged, errors, warnings)";

pub(crate) const ISSUE_COLUMNS: &str = "import_issues (batch_id, seq, row_no, column_name, \
     field, rule, severity, message_zh, message_en, value, household_no, cells)";

/// The batch's own row and the rows of its issues.
pub(crate) fn batch_rows(
    id: i64,
    batch: &ImportBatch,
) -> (Vec<Cell>, impl Iterator<Item = Vec<Cell>> + '_) {
    let c = &batch.counts;
    let row = vec![
        Cell::Int(id),
        Cell::Text(batch.file_name.clone()),
        Cell::Text(batch.checksum.clone()),
        Cell::Text(batch.kind.clone()),
        Cell::Text(batch.mode.clone()),
        Cell::Text(batch.status.clone()),
        Cell::Text(batch.actor.clone()),
        Cell::Text(instant_text(&batch.recorded_at)),
        Cell::Text(batch.headers.clone()),
        count(c.rows),
        count(c.rejected_rows),
        count(c.households_new),
        count(c.households_changed),
        count(c.households_unchanged),
        count(c.households_skipped),
        count(c.persons_new),
        count(c.persons_changed),
        count(c.persons_unchanged),
        count(c.incomes_new),
        count(c.incomes_changed),
        count(c.incomes_unchanged),
        count(c.errors),
        count(c.warnings),
    ];
    let issues = batch.issues.iter().enumerate().map(move |(seq, i)| {
        vec![
            Cell::Int(id),
            count(seq as u64),
            count(i.row),
            Cell::Text(i.column.clone()),
            Cell::Text(i.field.clone()),
            Cell::Text(i.rule.clone()),
            Cell::Text(i.severity.clone()),
            Cell::Text(i.message_zh.clone()),
            Cell::Text(i.message_en.clone()),
            Cell::Text(i.value.clone()),
            Cell::Text(i.household_no.clone()),
            Cell::Text(i.cells.clone()),
        ]
    });
    (row, issues)
}
