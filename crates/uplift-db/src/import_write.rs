//! Writing a planned import: the rows of every table, generated lazily from the plan, and the
//! two ways of writing them in one transaction.
//!
//! * **The generic path** (both backends, through sqlx `Any`): multi-row INSERTs of at most 500
//!   rows, taken from the row iterators a chunk at a time, so no table's rows are ever all in
//!   memory at once.
//! * **The SQLite fast path** ([`sqlite_file`]): a registry file of a large county is a million
//!   persons, and sqlx's `Any` driver copies every bound value several times over. For a SQLite
//!   file the import opens its own connection to the same file (rusqlite, the same
//!   libsqlite3 as sqlx's; safe API only) and writes through prepared single-row statements
//!   reused for every row, with a large page cache. It is still ONE `BEGIN IMMEDIATE … COMMIT`
//!   holding the keys, every row and the batch record: a crash (SIGKILL) leaves none or all.
//!
//! Person columns come from [`crate::registry::person_cells`] on both paths: the one function
//! that turns a member into its stored values.

use std::path::{Path, PathBuf};

use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::{Any, Transaction};
use uplift_app::imports::store::{ImportBatch, ImportPlan};
use uplift_app::store::StoreResult;
use uplift_domain::income::IncomeRecord;
use uplift_domain::version::VersionStamp;

use crate::Backend;
use crate::cipher::FieldCipher;
use crate::codec::date_text;
use crate::codec::instant_text;
use crate::registry::{
    Cell, HOUSEHOLD_VERSION_COLUMNS, INCOME_VERSION_COLUMNS, PERSON_VERSION_COLUMNS,
    PERSON_VERSION_WIDTH, household_cells_stamped, income_cells_stamped, insert_rows,
    person_cells_stamped, reserve_keys, stamp_cells, unexpected,
};

pub(crate) const HOUSEHOLD_COLUMNS: &str = "households (id, created_at)";
pub(crate) const PERSON_COLUMNS: &str = "persons (id, created_at)";
pub(crate) const INCOME_COLUMNS: &str = "incomes (id, household_id, created_at)";

/// The first key of each sequence the plan uses, reserved in the writing transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keys {
    pub household: i64,
    pub person: i64,
    pub income: i64,
    pub version: i64,
}

/// How many keys of each sequence a plan needs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Needs {
    pub households: usize,
    pub persons: usize,
    pub incomes: usize,
    pub household_versions: usize,
    pub person_versions: usize,
    pub income_versions: usize,
}

impl Needs {
    pub fn of(plan: &ImportPlan) -> Needs {
        let new_members: usize = plan.new_households.iter().map(|h| h.members.len()).sum();
        let new_incomes: usize = plan.new_households.iter().map(|h| h.incomes.len()).sum();
        let persons = new_members + plan.new_persons.len();
        let incomes = new_incomes + plan.new_incomes.len();
        Needs {
            households: plan.new_households.len(),
            persons,
            incomes,
            household_versions: plan.new_households.len() + plan.household_versions.len(),
            person_versions: persons + plan.person_versions.len(),
            income_versions: incomes + plan.income_versions.len(),
        }
    }

    pub fn versions(&self) -> usize {
        self.household_versions + self.person_versions + self.income_versions
    }
}

/// The rows of every table a plan writes. Keys are handed out in plan order: household
/// versions first, then person versions, then income versions.
pub(crate) struct PlanRows<'a> {
    plan: &'a ImportPlan,
    /// How ID numbers and phones are stored.
    cipher: &'a FieldCipher,
    /// The stamp's cells, formatted once.
    stamp: [Cell; 5],
    keys: Keys,
    needs: Needs,
    created: String,
}

impl<'a> PlanRows<'a> {
    pub fn new(
        plan: &'a ImportPlan,
        cipher: &'a FieldCipher,
        stamp: &'a VersionStamp,
        keys: Keys,
    ) -> PlanRows<'a> {
        PlanRows {
            plan,
            cipher,
            stamp: stamp_cells(stamp),
            keys,
            needs: Needs::of(plan),
            created: instant_text(&stamp.recorded_at),
        }
    }

    fn created(&self) -> Cell {
        Cell::Text(self.created.clone())
    }

    pub fn households(&self) -> impl Iterator<Item = Vec<Cell>> + '_ {
        (0..self.plan.new_households.len())
            .map(move |i| vec![Cell::Int(self.keys.household + i as i64), self.created()])
    }

    pub fn household_versions(&self) -> impl Iterator<Item = Vec<Cell>> + '_ {
        let new = self
            .plan
            .new_households
            .iter()
            .enumerate()
            .map(move |(i, h)| (self.keys.household + i as i64, &h.household));
        let changed = self.plan.household_versions.iter().map(|(id, h)| (id.0, h));
        new.chain(changed).enumerate().map(move |(n, (hid, h))| {
            household_cells_stamped(self.keys.version + n as i64, hid, h, &self.stamp)
        })
    }

    /// New members: `(person id, household id, person)`.
    fn new_members(
        &self,
    ) -> impl Iterator<Item = (i64, i64, &'a uplift_domain::household::Person)> + '_ {
        let plan = self.plan;
        let in_new = plan
            .new_households
            .iter()
            .enumerate()
            .flat_map(move |(i, h)| {
                let hid = self.keys.household + i as i64;
                h.members.iter().map(move |p| (hid, p))
            });
        let in_existing = plan.new_persons.iter().map(|(hid, p)| (hid.0, p));
        in_new
            .chain(in_existing)
            .enumerate()
            .map(move |(n, (hid, p))| (self.keys.person + n as i64, hid, p))
    }

    pub fn persons(&self) -> impl Iterator<Item = Vec<Cell>> + '_ {
        self.new_members()
            .map(move |(pid, _, _)| vec![Cell::Int(pid), self.created()])
    }

    pub fn person_versions(&self) -> impl Iterator<Item = Vec<Cell>> + '_ {
        let first = self.keys.version + self.needs.household_versions as i64;
        let changed = self
            .plan
            .person_versions
            .iter()
            .map(|(hid, pid, p)| (pid.0, hid.0, p));
        self.new_members()
            .chain(changed)
            .enumerate()
            .map(move |(n, (pid, hid, p))| {
                person_cells_stamped(self.cipher, first + n as i64, pid, hid, p, &self.stamp)
            })
    }

    /// New income records: `(income id, household id, record)`.
    fn new_incomes(&self) -> impl Iterator<Item = (i64, i64, &'a IncomeRecord)> + '_ {
        let plan = self.plan;
        let in_new = plan
            .new_households
            .iter()
            .enumerate()
            .flat_map(move |(i, h)| {
                let hid = self.keys.household + i as i64;
                h.incomes.iter().map(move |r| (hid, r))
            });
        let in_existing = plan.new_incomes.iter().map(|(hid, r)| (hid.0, r));
        in_new
            .chain(in_existing)
            .enumerate()
            .map(move |(n, (hid, r))| (self.keys.income + n as i64, hid, r))
    }

    pub fn incomes(&self) -> impl Iterator<Item = Vec<Cell>> + '_ {
        self.new_incomes()
            .map(move |(iid, hid, _)| vec![Cell::Int(iid), Cell::Int(hid), self.created()])
    }

    pub fn income_versions(&self) -> impl Iterator<Item = Vec<Cell>> + '_ {
        let first =
            self.keys.version + (self.needs.household_versions + self.needs.person_versions) as i64;
        let changed = self
            .plan
            .income_versions
            .iter()
            .map(|(hid, iid, r)| (iid.0, hid.0, r));
        self.new_incomes()
            .chain(changed)
            .enumerate()
            .map(move |(n, (iid, hid, r))| {
                let mut stamp = self.stamp.clone();
                stamp[0] = Cell::Text(date_text(r.period_end));
                income_cells_stamped(first + n as i64, iid, hid, r, &stamp)
            })
    }
}

/// Rows per multi-row INSERT of the generic path.
const CHUNK: usize = 500;

/// Inserts an iterator's rows a chunk at a time (generic path).
pub(crate) async fn insert_stream(
    backend: Backend,
    tx: &mut Transaction<'static, Any>,
    table_and_columns: &str,
    cols: usize,
    rows: impl Iterator<Item = Vec<Cell>>,
) -> StoreResult<()> {
    let mut chunk = Vec::with_capacity(CHUNK);
    for row in rows {
        chunk.push(row);
        if chunk.len() == CHUNK {
            insert_rows(
                backend,
                tx,
                table_and_columns,
                cols,
                std::mem::take(&mut chunk),
            )
            .await?;
            chunk.reserve(CHUNK);
        }
    }
    if !chunk.is_empty() {
        insert_rows(backend, tx, table_and_columns, cols, chunk).await?;
    }
    Ok(())
}

/// Reserves the keys of a plan and writes its rows (generic path); returns the batch id.
pub(crate) async fn write_plan(
    backend: Backend,
    cipher: &FieldCipher,
    tx: &mut Transaction<'static, Any>,
    plan: &ImportPlan,
    stamp: &VersionStamp,
) -> StoreResult<()> {
    let needs = Needs::of(plan);
    if needs.versions() == 0 {
        return Ok(());
    }
    let keys = Keys {
        household: reserve_keys(tx, "households", needs.households).await?,
        person: reserve_keys(tx, "persons", needs.persons).await?,
        income: reserve_keys(tx, "incomes", needs.incomes).await?,
        version: reserve_keys(tx, "versions", needs.versions()).await?,
    };
    let rows = PlanRows::new(plan, cipher, stamp, keys);
    insert_stream(backend, tx, HOUSEHOLD_COLUMNS, 2, rows.households()).await?;
    insert_stream(
        backend,
        tx,
        HOUSEHOLD_VERSION_COLUMNS,
        11,
        rows.household_versions(),
    )
    .await?;
    insert_stream(backend, tx, PERSON_COLUMNS, 2, rows.persons()).await?;
    insert_stream(
        backend,
        tx,
        PERSON_VERSION_COLUMNS,
        PERSON_VERSION_WIDTH,
        rows.person_versions(),
    )
    .await?;
    insert_stream(backend, tx, INCOME_COLUMNS, 3, rows.incomes()).await?;
    insert_stream(
        backend,
        tx,
        INCOME_VERSION_COLUMNS,
        16,
        rows.income_versions(),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The SQLite fast path.

/// The file of a `sqlite://` URL, if it is a file (not an in-memory database).
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, q),
        None => (rest, ""),
    };
    if path.is_empty()
        || path == ":memory:"
        || path.starts_with("memory")
        || query.split('&').any(|kv| kv == "mode=memory")
    {
        return None;
    }
    Some(PathBuf::from(path))
}

impl rusqlite::ToSql for Cell {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Cell::Int(v) | Cell::OptInt(Some(v)) => ValueRef::Integer(*v),
            Cell::Text(s) | Cell::OptText(Some(s)) => ValueRef::Text(s.as_bytes()),
            Cell::OptInt(None) | Cell::OptText(None) => ValueRef::Null,
        }))
    }
}

/// Page cache of the import's own connection, in KiB (negative: KiB, SQLite's convention).
const CACHE_KIB: i64 = 192 * 1024;

fn native(e: rusqlite::Error) -> uplift_app::store::StoreError {
    unexpected(anyhow::anyhow!("SQLite import connection: {e}"))
}

/// One INSERT statement for single rows of `cols` columns.
fn insert_sql(table_and_columns: &str, cols: usize) -> String {
    let marks = vec!["?"; cols].join(", ");
    format!("INSERT INTO {table_and_columns} VALUES ({marks})")
}

fn insert_all(
    tx: &rusqlite::Transaction<'_>,
    table_and_columns: &str,
    cols: usize,
    rows: impl Iterator<Item = Vec<Cell>>,
) -> StoreResult<()> {
    let mut statement = tx
        .prepare(&insert_sql(table_and_columns, cols))
        .map_err(native)?;
    for row in rows {
        debug_assert_eq!(row.len(), cols);
        statement
            .execute(rusqlite::params_from_iter(row.iter()))
            .map_err(native)?;
    }
    Ok(())
}

fn reserve(tx: &rusqlite::Transaction<'_>, sequence: &str, n: usize) -> StoreResult<i64> {
    let n = i64::try_from(n).map_err(unexpected)?;
    let next: i64 = tx
        .query_row(
            "UPDATE key_sequences SET next_value = next_value + ?1 WHERE name = ?2 RETURNING next_value",
            rusqlite::params![n, sequence],
            |r| r.get(0),
        )
        .map_err(native)?;
    Ok(next - n)
}

/// Drops, inside the transaction, the triggers on the three version tables that `condition`
/// (SQL over `sqlite_master`'s `name` and `sql`) selects, and returns their stored SQL so they
/// can be created again before the commit.
fn drop_version_triggers(
    tx: &rusqlite::Transaction<'_>,
    condition: &str,
) -> StoreResult<Vec<String>> {
    let found: Vec<(String, String)> = {
        let mut statement = tx
            .prepare(&format!(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' \
                 AND tbl_name IN ('household_versions', 'person_versions', 'income_versions') \
                 AND {condition}"
            ))
            .map_err(native)?;
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(native)?
            .collect::<Result<_, _>>()
            .map_err(native)?
    };
    for (name, _) in &found {
        tx.execute_batch(&format!("DROP TRIGGER \"{}\"", name.replace('"', "\"\"")))
            .map_err(native)?;
    }
    Ok(found.into_iter().map(|(_, sql)| sql).collect())
}

/// The registry epoch's triggers (migration 0010) bump a counter on every row written to the
/// version tables; every row so becomes a statement writing two tables, which makes SQLite keep
/// a statement journal per row. For a bulk write they are dropped inside the transaction, the
/// epoch is bumped once, and they are created again from their own stored SQL before the
/// commit: other connections only ever see them in place (DDL is transactional in SQLite), and
/// the dashboard's cached tallies go stale exactly as with the triggers. Other triggers on these
/// tables are left alone.
struct EpochTriggers(Vec<String>);

impl EpochTriggers {
    fn suspend(tx: &rusqlite::Transaction<'_>) -> StoreResult<EpochTriggers> {
        drop_version_triggers(
            tx,
            "name LIKE '%\\_epoch\\_%' ESCAPE '\\' \
             AND sql LIKE '%UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END'",
        )
        .map(EpochTriggers)
    }

    fn restore(self, tx: &rusqlite::Transaction<'_>) -> StoreResult<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        tx.execute(
            "UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1",
            [],
        )
        .map_err(native)?;
        for sql in &self.0 {
            tx.execute_batch(sql).map_err(native)?;
        }
        Ok(())
    }
}

/// The village-tally triggers (migration 0015) list, per row written to a version table, the
/// households whose tallies must be recomputed; the person and income ones look up every
/// version of the row's record. During a bulk write they are dropped inside the transaction
/// (with the version tables' indexes suspended those look-ups would each scan the table), and
/// after the rows are written ONE set-based statement per table lists exactly the households the
/// triggers would have listed: the household of every household version written, and every
/// household that ever held a person or an income record that got a new version. Then the
/// triggers are created again from their own stored SQL before the commit, so other connections
/// only ever see them in place. Only the AFTER INSERT triggers are suspended (nothing else runs).
struct TallyTriggers(Vec<String>);

/// Lists in `tally_dirty` the households the INSERT triggers would have listed for the version
/// rows `first..=last` (version ids are one sequence across the three tables).
const TALLY_DIRTY_SQL: [&str; 3] = [
    "INSERT OR IGNORE INTO tally_dirty (household_id) \
     SELECT household_id FROM household_versions WHERE version_id BETWEEN ?1 AND ?2",
    "INSERT OR IGNORE INTO tally_dirty (household_id) \
     SELECT household_id FROM person_versions WHERE person_id IN \
     (SELECT person_id FROM person_versions WHERE version_id BETWEEN ?1 AND ?2)",
    "INSERT OR IGNORE INTO tally_dirty (household_id) \
     SELECT household_id FROM income_versions WHERE income_id IN \
     (SELECT income_id FROM income_versions WHERE version_id BETWEEN ?1 AND ?2)",
];

impl TallyTriggers {
    fn suspend(tx: &rusqlite::Transaction<'_>) -> StoreResult<TallyTriggers> {
        drop_version_triggers(
            tx,
            "sql LIKE '%AFTER INSERT ON%' AND sql LIKE '%INTO tally_dirty%'",
        )
        .map(TallyTriggers)
    }

    /// Marks the households of the versions `first..=last` and puts the triggers back.
    fn restore(self, tx: &rusqlite::Transaction<'_>, first: i64, last: i64) -> StoreResult<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        for sql in TALLY_DIRTY_SQL {
            tx.execute(sql, rusqlite::params![first, last])
                .map_err(native)?;
        }
        for sql in &self.0 {
            tx.execute_batch(sql).map_err(native)?;
        }
        Ok(())
    }
}

/// When an import at least doubles a version table (a county's first import), inserting into
/// its secondary indexes row by row (ID numbers and names arrive in random order) costs far
/// more than building them afterwards with one sort. Such a table's indexes are dropped inside
/// the transaction and created again from their own stored SQL before the commit, so no other
/// connection ever sees them missing.
struct Indexes(Vec<String>);

impl Indexes {
    fn suspend(tx: &rusqlite::Transaction<'_>, tables: &[(&str, usize)]) -> StoreResult<Indexes> {
        let mut kept = Vec::new();
        for (table, adding) in tables {
            if *adding == 0 {
                continue;
            }
            let existing: i64 = tx
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .map_err(native)?;
            if (*adding as i64) < existing {
                continue;
            }
            let mut statement = tx
                .prepare(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 \
                     AND sql IS NOT NULL",
                )
                .map_err(native)?;
            let found: Vec<(String, String)> = statement
                .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(native)?
                .collect::<Result<_, _>>()
                .map_err(native)?;
            drop(statement);
            for (name, sql) in found {
                tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
                    .map_err(native)?;
                kept.push(sql);
            }
        }
        Ok(Indexes(kept))
    }

    fn restore(self, tx: &rusqlite::Transaction<'_>) -> StoreResult<()> {
        for sql in &self.0 {
            tx.execute_batch(sql).map_err(native)?;
        }
        Ok(())
    }
}

/// Writes a planned import and its batch record into a SQLite file in one transaction, through
/// a connection of its own; returns the batch id. Blocking: call it off the async executor.
pub(crate) fn write_sqlite(
    path: &Path,
    cipher: &FieldCipher,
    plan: &ImportPlan,
    batch: &ImportBatch,
    stamp: &VersionStamp,
) -> StoreResult<i64> {
    let mut conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(native)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(native)?;
    // The same settings as the pool's connections (lib.rs), plus a large page cache and
    // in-memory temporaries for this one big transaction.
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
         PRAGMA cache_size = -{CACHE_KIB}; PRAGMA temp_store = MEMORY;"
    ))
    .map_err(native)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(native)?;
    let batch_id = reserve(&tx, "import_batches", 1)?;
    let needs = Needs::of(plan);
    if needs.versions() > 0 {
        let epoch = EpochTriggers::suspend(&tx)?;
        let tally = TallyTriggers::suspend(&tx)?;
        let keys = Keys {
            household: reserve(&tx, "households", needs.households)?,
            person: reserve(&tx, "persons", needs.persons)?,
            income: reserve(&tx, "incomes", needs.incomes)?,
            version: reserve(&tx, "versions", needs.versions())?,
        };
        let rows = PlanRows::new(plan, cipher, stamp, keys);
        let indexes = Indexes::suspend(
            &tx,
            &[
                ("household_versions", needs.household_versions),
                ("person_versions", needs.person_versions),
                ("income_versions", needs.income_versions),
            ],
        )?;
        insert_all(&tx, HOUSEHOLD_COLUMNS, 2, rows.households())?;
        insert_all(
            &tx,
            HOUSEHOLD_VERSION_COLUMNS,
            11,
            rows.household_versions(),
        )?;
        insert_all(&tx, PERSON_COLUMNS, 2, rows.persons())?;
        insert_all(
            &tx,
            PERSON_VERSION_COLUMNS,
            PERSON_VERSION_WIDTH,
            rows.person_versions(),
        )?;
        insert_all(&tx, INCOME_COLUMNS, 3, rows.incomes())?;
        insert_all(&tx, INCOME_VERSION_COLUMNS, 16, rows.income_versions())?;
        indexes.restore(&tx)?;
        let last = keys.version + needs.versions() as i64 - 1;
        tally.restore(&tx, keys.version, last)?;
        epoch.restore(&tx)?;
    }
    let (batch_row, issues) = crate::imports::batch_rows(batch_id, batch);
    insert_all(
        &tx,
        crate::imports::BATCH_COLUMNS,
        batch_row.len(),
        std::iter::once(batch_row),
    )?;
    insert_all(&tx, crate::imports::ISSUE_COLUMNS, 12, issues)?;
    tx.commit().map_err(native)?;
    Ok(batch_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file_and_memory_has_none() {
        let cases = [
            ("sqlite://uplift.sqlite", Some("uplift.sqlite")),
            ("sqlite:///tmp/a b.sqlite?mode=rwc", Some("/tmp/a b.sqlite")),
            ("sqlite:data/x.db", Some("data/x.db")),
            ("sqlite::memory:", None),
            ("sqlite://:memory:", None),
            ("sqlite://file.db?mode=memory&cache=shared", None),
            ("postgres://u@h/db", None),
        ];
        for (url, path) in cases {
            assert_eq!(sqlite_file(url), path.map(PathBuf::from), "{url}");
        }
    }
}
