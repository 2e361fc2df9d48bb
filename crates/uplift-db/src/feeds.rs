//! Feeds, screening runs and warnings (issue 5).

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::Row;
use sqlx::any::AnyRow;
use uplift_app::feeds::store::{
    FeedBatch, FeedScope, FeedStore, NewFeedBatch, NewWarning, ScreeningRun, SnapshotRows,
    StoredFeedRow, WarningFilter, WarningRecord,
};
use uplift_app::store::HouseholdId;
use uplift_app::store::{Page, Paged, Scope, StoreError, StoreResult};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::Db;
use crate::cipher::FieldCipher;
use crate::codec::{self, date_text, known_at_text};
use crate::registry::{
    Cell, LATEST_FIRST, code_range, effective_region, household_from_row, income_from_row,
    insert_rows, person_from_row, reserve_keys, unexpected,
};

const BATCH_COLS: &str = "id, kind, source, period_from, period_to, checksum, imported_at, actor, row_count, matched, unmatched, region_code, department";

fn batch_from_row(row: &AnyRow) -> anyhow::Result<FeedBatch> {
    let opt_date = |s: Option<String>| s.map(|s| codec::parse_date(&s)).transpose();
    Ok(FeedBatch {
        id: row.try_get("id")?,
        batch: NewFeedBatch {
            kind: row.try_get("kind")?,
            source: row.try_get("source")?,
            period_from: opt_date(row.try_get("period_from")?)?,
            period_to: opt_date(row.try_get("period_to")?)?,
            checksum: row.try_get("checksum")?,
            imported_at: row.try_get("imported_at")?,
            actor: row.try_get("actor")?,
            rows: row.try_get::<i64, _>("row_count")? as u64,
            matched: row.try_get::<i64, _>("matched")? as u64,
            unmatched: row.try_get::<i64, _>("unmatched")? as u64,
            region: row
                .try_get::<Option<String>, _>("region_code")?
                .map(|c| RegionCode::parse(&c))
                .transpose()?,
            department: row.try_get("department")?,
        },
    })
}

fn run_from_row(row: &AnyRow) -> anyhow::Result<ScreeningRun> {
    Ok(ScreeningRun {
        key: row.try_get("run_key")?,
        as_of: codec::parse_date(&row.try_get::<String, _>("as_of")?)?,
        mode: row.try_get("mode")?,
        started_at: row.try_get("started_at")?,
        duration_ms: row.try_get("duration_ms")?,
        summary: row.try_get("summary")?,
        inputs: row.try_get("inputs")?,
        warnings_new: row.try_get("warnings_new")?,
        warnings_updated: row.try_get("warnings_updated")?,
        warnings_withdrawn: row.try_get("warnings_withdrawn")?,
    })
}

fn warning_from_row(row: &AnyRow) -> anyhow::Result<WarningRecord> {
    Ok(WarningRecord {
        id: row.try_get("id")?,
        warning: NewWarning {
            household_id: row.try_get("household_id")?,
            household_no: row.try_get("household_no")?,
            village: row.try_get("village_code")?,
            township: row.try_get("township_code")?,
            risk_type: row.try_get("risk_type")?,
            rules: row.try_get("rules")?,
            explanation: row.try_get("explanation")?,
            due: codec::parse_date(&row.try_get::<String, _>("due_date")?)?,
        },
        state: row.try_get("state")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        run_id: row.try_get("run_id")?,
    })
}

#[async_trait]
impl FeedStore for Db {
    async fn screening_snapshot(&self, at: ReadAt) -> StoreResult<SnapshotRows> {
        let as_of = date_text(at.as_of);
        let known = known_at_text(at.known_at);
        let current = |table: &str, key: &str, order: &str| {
            format!(
                "SELECT * FROM (SELECT v.*, ROW_NUMBER() OVER (PARTITION BY {key} {LATEST_FIRST}) AS rn \
                 FROM {table} v WHERE valid_from <= $1 AND recorded_at <= $2) cur WHERE rn = 1 ORDER BY {order}"
            )
        };
        let fetch = |sql: String| {
            let (as_of, known) = (as_of.clone(), known.clone());
            async move {
                sqlx::query(AssertSqlSafe(sql))
                    .bind(as_of)
                    .bind(known)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(unexpected)
            }
        };
        let rows = fetch(current(
            "household_versions",
            "household_id",
            "household_id",
        ))
        .await?;
        let households = rows
            .iter()
            .map(|r| {
                Ok((
                    HouseholdId(r.try_get("household_id")?),
                    household_from_row(r)?,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)?;
        let rows = fetch(current(
            "person_versions",
            "person_id",
            "household_id, person_id",
        ))
        .await?;
        let members = rows
            .iter()
            .map(|r| {
                Ok((
                    HouseholdId(r.try_get("household_id")?),
                    person_from_row(&self.cipher, r)?,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)?;
        let rows = fetch(current(
            "income_versions",
            "income_id",
            "household_id, period_start DESC, income_id",
        ))
        .await?;
        let incomes = rows
            .iter()
            .map(|r| Ok((HouseholdId(r.try_get("household_id")?), income_from_row(r)?)))
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)?;
        Ok(SnapshotRows {
            households,
            members,
            incomes,
        })
    }

    async fn feed_batch_by_checksum(&self, checksum: &str) -> StoreResult<Option<FeedBatch>> {
        let sql = format!("SELECT {BATCH_COLS} FROM feed_batches WHERE checksum = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(checksum.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected)?;
        row.map(|r| batch_from_row(&r))
            .transpose()
            .map_err(unexpected)
    }

    async fn save_feed_batch(
        &self,
        batch: &NewFeedBatch,
        rows: &[StoredFeedRow],
    ) -> StoreResult<FeedBatch> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM feed_batches WHERE checksum = $1")
                .bind(batch.checksum.clone())
                .fetch_optional(&mut *tx)
                .await
                .map_err(unexpected)?;
        if let Some(id) = exists {
            return Err(StoreError::Conflict(format!(
                "feed batch {id} already holds this file (checksum {})",
                batch.checksum
            )));
        }
        let id = reserve_keys(&mut tx, "feed_batches", 1).await?;
        let n = |v: u64| Cell::Int(v as i64);
        insert_rows(
            self.backend,
            &mut tx,
            &format!("feed_batches ({BATCH_COLS})"),
            13,
            vec![vec![
                Cell::Int(id),
                Cell::Text(batch.kind.clone()),
                Cell::Text(batch.source.clone()),
                Cell::OptText(batch.period_from.map(date_text)),
                Cell::OptText(batch.period_to.map(date_text)),
                Cell::Text(batch.checksum.clone()),
                Cell::Text(batch.imported_at.clone()),
                Cell::Text(batch.actor.clone()),
                n(batch.rows),
                n(batch.matched),
                n(batch.unmatched),
                Cell::OptText(batch.region.map(|r| r.as_str().to_owned())),
                Cell::OptText(batch.department.clone()),
            ]],
        )
        .await?;
        let cells = rows
            .iter()
            .map(|r| {
                let (target, lookup) = self.cipher.feed_target_columns(&r.target);
                vec![
                    Cell::Int(id),
                    Cell::Text(r.kind.clone()),
                    Cell::Int(r.row as i64),
                    Cell::OptText(r.record_id.clone()),
                    Cell::Int(i64::from(r.reversal)),
                    Cell::Text(target),
                    Cell::Int(i64::from(r.matched)),
                    Cell::Text(r.data.clone()),
                    Cell::Text(lookup),
                ]
            })
            .collect();
        insert_rows(
            self.backend,
            &mut tx,
            "feed_rows (batch_id, kind, row_no, record_id, reversal, target, matched, data, target_lookup)",
            9,
            cells,
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(FeedBatch {
            id,
            batch: batch.clone(),
        })
    }

    async fn feed_batches(&self, scope: &FeedScope) -> StoreResult<Vec<FeedBatch>> {
        let (cond, binds) = feed_scope_sql(scope, 1);
        let sql = format!("SELECT {BATCH_COLS} FROM feed_batches WHERE {cond} ORDER BY id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unexpected)?;
        rows.iter()
            .map(batch_from_row)
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }

    async fn feed_batch(&self, id: i64, scope: &FeedScope) -> StoreResult<Option<FeedBatch>> {
        let (cond, binds) = feed_scope_sql(scope, 2);
        let sql = format!("SELECT {BATCH_COLS} FROM feed_batches WHERE id = $1 AND {cond}");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        for b in binds {
            q = q.bind(b);
        }
        let row = q.fetch_optional(&self.pool).await.map_err(unexpected)?;
        row.map(|r| batch_from_row(&r))
            .transpose()
            .map_err(unexpected)
    }

    async fn unmatched_feed_rows(&self, batch: i64) -> StoreResult<Vec<StoredFeedRow>> {
        let rows = sqlx::query(
            "SELECT batch_id, kind, row_no, record_id, reversal, target, matched, data \
             FROM feed_rows WHERE batch_id = $1 AND matched = 0 ORDER BY row_no",
        )
        .bind(batch)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        rows.iter()
            .map(|r| stored_row(&self.cipher, r))
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }

    async fn feed_rows(&self) -> StoreResult<Vec<StoredFeedRow>> {
        let rows = sqlx::query(
            "SELECT batch_id, kind, row_no, record_id, reversal, target, matched, data \
             FROM feed_rows ORDER BY batch_id, row_no",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        rows.iter()
            .map(|r| stored_row(&self.cipher, r))
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }

    async fn screening_run(&self, key: &str) -> StoreResult<Option<ScreeningRun>> {
        let row = sqlx::query("SELECT * FROM screening_runs WHERE run_key = $1")
            .bind(key.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected)?;
        row.map(|r| run_from_row(&r))
            .transpose()
            .map_err(unexpected)
    }

    async fn record_screening_run(
        &self,
        run: &ScreeningRun,
        warnings: &[NewWarning],
        screened: &[i64],
    ) -> StoreResult<ScreeningRun> {
        let mut tx = self.begin_write().await?;
        let run_id = reserve_keys(&mut tx, "screening_runs", 1).await?;
        let now = run.started_at.clone();
        let mut out = run.clone();
        let (mut new, mut updated, mut withdrawn) = (0i64, 0i64, 0i64);
        // The run row first (warnings refer to it); counts are set at the end, same transaction.
        sqlx::query(
            "INSERT INTO screening_runs (id, run_key, as_of, mode, started_at, duration_ms, summary, inputs, \
             warnings_new, warnings_updated, warnings_withdrawn) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, 0)",
        )
        .bind(run_id)
        .bind(run.key.clone())
        .bind(date_text(run.as_of))
        .bind(run.mode.clone())
        .bind(run.started_at.clone())
        .bind(run.duration_ms)
        .bind(run.summary.clone())
        .bind(run.inputs.clone())
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.message().to_lowercase().contains("unique") => {
                StoreError::Conflict(format!("screening run {} already recorded", run.key))
            }
            _ => unexpected(e),
        })?;
        let mut raised: std::collections::HashSet<(i64, &str)> = std::collections::HashSet::new();
        for w in warnings {
            raised.insert((w.household_id, w.risk_type.as_str()));
            let changed = sqlx::query(
                "UPDATE warnings SET rules = $1, explanation = $2, updated_at = $3, run_id = $4 \
                 WHERE household_id = $5 AND risk_type = $6 AND state = 'open'",
            )
            .bind(w.rules.clone())
            .bind(w.explanation.clone())
            .bind(now.clone())
            .bind(run_id)
            .bind(w.household_id)
            .bind(w.risk_type.clone())
            .execute(&mut *tx)
            .await
            .map_err(unexpected)?
            .rows_affected();
            if changed > 0 {
                updated += 1;
                continue;
            }
            let id = reserve_keys(&mut tx, "warnings", 1).await?;
            insert_rows(
                self.backend,
                &mut tx,
                "warnings (id, household_id, household_no, village_code, township_code, risk_type, rules, \
                 explanation, state, due_date, created_at, updated_at, run_id)",
                13,
                vec![vec![
                    Cell::Int(id),
                    Cell::Int(w.household_id),
                    Cell::Text(w.household_no.clone()),
                    Cell::Text(w.village.clone()),
                    Cell::Text(w.township.clone()),
                    Cell::Text(w.risk_type.clone()),
                    Cell::Text(w.rules.clone()),
                    Cell::Text(w.explanation.clone()),
                    Cell::Text("open".into()),
                    Cell::Text(date_text(w.due)),
                    Cell::Text(now.clone()),
                    Cell::Text(now.clone()),
                    Cell::Int(run_id),
                ]],
            )
            .await?;
            new += 1;
        }
        for &h in screened {
            let open: Vec<(i64, String)> = sqlx::query(
                "SELECT id, risk_type FROM warnings WHERE household_id = $1 AND state = 'open'",
            )
            .bind(h)
            .fetch_all(&mut *tx)
            .await
            .map_err(unexpected)?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("risk_type")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(unexpected)?;
            for (id, risk) in open {
                if !raised.contains(&(h, risk.as_str())) {
                    sqlx::query(
                        "UPDATE warnings SET state = 'withdrawn', updated_at = $1, run_id = $2 WHERE id = $3",
                    )
                    .bind(now.clone())
                    .bind(run_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unexpected)?;
                    withdrawn += 1;
                }
            }
        }
        sqlx::query(
            "UPDATE screening_runs SET warnings_new = $1, warnings_updated = $2, warnings_withdrawn = $3 WHERE id = $4",
        )
        .bind(new)
        .bind(updated)
        .bind(withdrawn)
        .bind(run_id)
        .execute(&mut *tx)
        .await
        .map_err(unexpected)?;
        tx.commit().await.map_err(unexpected)?;
        out.warnings_new = new;
        out.warnings_updated = updated;
        out.warnings_withdrawn = withdrawn;
        Ok(out)
    }

    async fn warnings(
        &self,
        filter: &WarningFilter,
        page: Page,
    ) -> StoreResult<Paged<WarningRecord>> {
        let empty = Paged {
            items: Vec::new(),
            total: 0,
            page,
        };
        let Some((cond, binds)) = warning_conditions(filter) else {
            return Ok(empty);
        };
        let count_sql = format!("SELECT COUNT(*) FROM warnings WHERE {cond}");
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let total = q.fetch_one(&self.pool).await.map_err(unexpected)?;
        // Page figures are integers of ours, not user input.
        let sql = format!(
            "SELECT * FROM warnings WHERE {cond} ORDER BY id DESC LIMIT {} OFFSET {}",
            page.size,
            page.offset()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unexpected)?;
        let items = rows
            .iter()
            .map(warning_from_row)
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)?;
        Ok(Paged {
            items,
            total: total as u64,
            page,
        })
    }

    async fn warning(&self, id: i64, scope: &Scope) -> StoreResult<Option<WarningRecord>> {
        let filter = WarningFilter {
            scope: scope.clone(),
            ..WarningFilter::everything()
        };
        let Some((cond, binds)) = warning_conditions(&filter) else {
            return Ok(None);
        };
        let sql = format!("SELECT * FROM warnings WHERE {cond} AND id = {id}");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let row = q.fetch_optional(&self.pool).await.map_err(unexpected)?;
        row.map(|r| warning_from_row(&r))
            .transpose()
            .map_err(unexpected)
    }
}

fn stored_row(cipher: &FieldCipher, r: &AnyRow) -> anyhow::Result<StoredFeedRow> {
    Ok(StoredFeedRow {
        batch: r.try_get("batch_id")?,
        kind: r.try_get("kind")?,
        row: r.try_get::<i64, _>("row_no")? as u64,
        record_id: r.try_get("record_id")?,
        reversal: r.try_get::<i64, _>("reversal")? != 0,
        target: cipher.open_feed_target(&r.try_get::<String, _>("target")?)?,
        matched: r.try_get::<i64, _>("matched")? != 0,
        data: r.try_get("data")?,
    })
}

/// The batch scope as SQL, with its text binds numbered from `first`.
fn feed_scope_sql(scope: &FeedScope, first: usize) -> (String, Vec<String>) {
    let mut cond = String::from("1 = 1");
    let mut binds = Vec::new();
    if let Some(r) = &scope.region {
        let (low, high) = code_range(r);
        binds.push(low);
        binds.push(high);
        let n = first + binds.len() - 1;
        cond.push_str(&format!(
            " AND (region_code IS NULL OR region_code BETWEEN ${} AND ${n})",
            n - 1
        ));
    }
    if let Some(d) = &scope.department {
        binds.push(d.clone());
        cond.push_str(&format!(" AND department = ${}", first + binds.len() - 1));
    }
    (cond, binds)
}

/// The warning filter as SQL conditions with text binds from `$1`; `None` when the scope and the
/// region filter leave nothing to see.
fn warning_conditions(filter: &WarningFilter) -> Option<(String, Vec<String>)> {
    let region = effective_region(&filter.scope, filter.region.as_ref())?;
    let mut cond = String::from("1 = 1");
    let mut binds: Vec<String> = Vec::new();
    if let Some(r) = region {
        let (low, high) = code_range(&r);
        binds.push(low);
        binds.push(high);
        cond.push_str(" AND village_code BETWEEN $1 AND $2");
    }
    if let Scope::Assigned(user) = filter.scope {
        // The key is an integer of ours, not user input.
        cond.push_str(&format!(
            " AND household_id IN (SELECT household_id FROM helper_assignments WHERE user_id = {})",
            user.0
        ));
    }
    if let Some(rule) = &filter.rule {
        binds.push(format!("%,{rule},%"));
        cond.push_str(&format!(" AND (',' || rules || ',') LIKE ${}", binds.len()));
    }
    if let Some(risk) = &filter.risk {
        binds.push(risk.clone());
        cond.push_str(&format!(" AND risk_type = ${}", binds.len()));
    }
    if let Some(state) = &filter.state {
        binds.push(state.clone());
        cond.push_str(&format!(" AND state = ${}", binds.len()));
    }
    Some((cond, binds))
}
