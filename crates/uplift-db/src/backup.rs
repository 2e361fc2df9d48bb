//! Consistent online snapshots that restore into either backend.
//!
//! A snapshot is JSON lines: one header line (format, backend, migrations), then per table a
//! `{"table": …, "columns": […]}` line followed by one array per row. It is read inside one
//! snapshot transaction (WAL on SQLite, REPEATABLE READ on PostgreSQL), so it is consistent while
//! the server keeps writing. Tables come in creation order, so every row's foreign keys point at
//! rows restored before it. Restore runs in one transaction into a freshly migrated database: it
//! is all or nothing.

use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::{Backend, Db};

const FORMAT: &str = "uplift-snapshot-1";

/// Row count and content hash of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub table: String,
    pub rows: u64,
    /// SHA-256 over the rows in column order, sorted.
    pub sha256: String,
}

fn cell_value(row: &AnyRow, i: usize) -> serde_json::Value {
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return v.map_or(serde_json::Value::Null, serde_json::Value::from);
    }
    match row.try_get::<Option<String>, _>(i) {
        Ok(v) => v.map_or(serde_json::Value::Null, serde_json::Value::from),
        Err(_) => serde_json::Value::Null,
    }
}

fn ident(name: &str) -> anyhow::Result<&str> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(name)
    } else {
        bail!("unexpected table or column name {name:?}")
    }
}

impl Db {
    /// The application's tables in creation order.
    async fn tables(&self, tx: &mut Transaction<'static, Any>) -> anyhow::Result<Vec<String>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            }
            Backend::Postgres => {
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.oid"
            }
        };
        let names: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut **tx).await?;
        // Derived tables are rebuilt from the registry (the version tables' triggers mark every
        // restored household for it), never copied.
        Ok(names
            .into_iter()
            .filter(|n| !crate::tally::DERIVED_TABLES.contains(&n.as_str()))
            .collect())
    }

    /// A table's columns in order, and whether each holds integers.
    async fn columns(
        &self,
        tx: &mut Transaction<'static, Any>,
        table: &str,
    ) -> anyhow::Result<Vec<(String, bool)>> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
            Backend::Postgres => {
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
            }
        };
        let rows: Vec<(String, String)> = sqlx::query_as(sql)
            .bind(table.to_owned())
            .fetch_all(&mut **tx)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(name, ty)| {
                let is_int = ty.to_ascii_uppercase().contains("INT");
                (name, is_int)
            })
            .collect())
    }

    async fn begin_snapshot(&self) -> anyhow::Result<Transaction<'static, Any>> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        Ok(self.pool.begin_with(begin).await?)
    }

    /// Writes a consistent snapshot of every table; returns the digests of what was written.
    pub async fn backup(&self, out: &mut dyn Write) -> anyhow::Result<Vec<TableDigest>> {
        let mut tx = self.begin_snapshot().await?;
        let tables = self.tables(&mut tx).await?;
        let migrations: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *tx)
                .await?;
        let header = serde_json::json!({
            "format": FORMAT, "backend": self.backend.name(), "migrations": migrations,
        });
        writeln!(out, "{header}")?;
        let mut digests = Vec::new();
        for table in &tables {
            let columns: Vec<String> = self
                .columns(&mut tx, table)
                .await?
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            let list = columns
                .iter()
                .map(|c| ident(c).map(str::to_owned))
                .collect::<anyhow::Result<Vec<_>>>()?
                .join(", ");
            let mut rows = Vec::new();
            let sql = format!("SELECT {list} FROM {}", ident(table)?);
            let mut stream = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *tx);
            while let Some(row) = stream.try_next().await? {
                let values: Vec<serde_json::Value> =
                    (0..columns.len()).map(|i| cell_value(&row, i)).collect();
                rows.push(serde_json::Value::Array(values));
            }
            drop(stream);
            writeln!(
                out,
                "{}",
                serde_json::json!({"table": table, "columns": columns, "rows": rows.len()})
            )?;
            for row in &rows {
                writeln!(out, "{row}")?;
            }
            digests.push(digest(table, &rows));
        }
        tx.commit().await?;
        Ok(digests)
    }

    /// Row counts and content hashes of every table, read in one snapshot.
    pub async fn digests(&self) -> anyhow::Result<Vec<TableDigest>> {
        let mut sink = std::io::sink();
        self.backup(&mut sink).await
    }

    /// Restores a snapshot into this database, which must be freshly migrated to the same
    /// migrations and hold no households and no users. All or nothing.
    pub async fn restore(&self, input: &mut dyn BufRead) -> anyhow::Result<Vec<TableDigest>> {
        self.restore_expecting(input, None).await
    }

    /// [`Db::restore`], refusing (and writing nothing) unless every table read from the
    /// snapshot has the row count and hash `expected` gives for it.
    pub async fn restore_expecting(
        &self,
        input: &mut dyn BufRead,
        expected: Option<&[TableDigest]>,
    ) -> anyhow::Result<Vec<TableDigest>> {
        let mut lines = input.lines();
        let header: serde_json::Value =
            serde_json::from_str(&lines.next().context("the snapshot is empty")??)
                .context("the snapshot's first line is not its header")?;
        if header["format"] != FORMAT {
            bail!("not an Uplift snapshot (format {})", header["format"]);
        }
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        let ours: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *tx)
                .await?;
        let theirs: Vec<i64> = serde_json::from_value(header["migrations"].clone())?;
        if ours != theirs {
            bail!(
                "the snapshot has migrations {theirs:?} but this database has {ours:?}; migrate both to the same version first"
            );
        }
        for table in ["households", "users"] {
            let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 {
                bail!("restore needs an empty database, but {table} holds {n} rows");
            }
        }
        let tables = self.tables(&mut tx).await?;
        for table in tables.iter().rev() {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {}", ident(table)?)))
                .execute(&mut *tx)
                .await?;
        }
        let mut digests = Vec::new();
        let mut line_no = 1;
        while let Some(line) = lines.next() {
            line_no += 1;
            let table_header: serde_json::Value = serde_json::from_str(&line?)
                .with_context(|| format!("snapshot line {line_no} is not JSON"))?;
            let table = table_header["table"]
                .as_str()
                .with_context(|| format!("snapshot line {line_no}: a table header was expected"))?
                .to_owned();
            if !tables.contains(&table) {
                bail!("snapshot line {line_no}: table {table} does not exist here");
            }
            let columns: Vec<String> = serde_json::from_value(table_header["columns"].clone())?;
            let here = self.columns(&mut tx, &table).await?;
            let integer: Vec<bool> = columns
                .iter()
                .map(|c| {
                    here.iter()
                        .find(|(name, _)| name == c)
                        .map(|(_, is_int)| *is_int)
                        .with_context(|| format!("table {table} has no column {c} here"))
                })
                .collect::<anyhow::Result<_>>()?;
            let n = table_header["rows"].as_u64().unwrap_or(0);
            let mut rows = Vec::with_capacity(n as usize);
            for _ in 0..n {
                line_no += 1;
                let line = lines
                    .next()
                    .with_context(|| format!("the snapshot ends inside table {table}"))??;
                let row: serde_json::Value = serde_json::from_str(&line)
                    .with_context(|| format!("snapshot line {line_no} is not JSON"))?;
                rows.push(row);
            }
            insert_json_rows(self.backend, &mut tx, &table, &columns, &integer, &rows).await?;
            digests.push(digest(&table, &rows));
        }
        if let Some(expected) = expected {
            for want in expected {
                match digests.iter().find(|d| d.table == want.table) {
                    Some(got) if got == want => {}
                    Some(got) => bail!(
                        "table {} differs from its manifest: {} rows {} read, {} rows {} expected; nothing was written",
                        want.table,
                        got.rows,
                        got.sha256,
                        want.rows,
                        want.sha256
                    ),
                    None => bail!(
                        "table {} is missing from the snapshot; nothing was written",
                        want.table
                    ),
                }
            }
        }
        tx.commit().await?;
        Ok(digests)
    }
}

async fn insert_json_rows(
    backend: Backend,
    tx: &mut Transaction<'static, Any>,
    table: &str,
    columns: &[String],
    integer: &[bool],
    rows: &[serde_json::Value],
) -> anyhow::Result<()> {
    if rows.is_empty() || columns.is_empty() {
        return Ok(());
    }
    let names = columns
        .iter()
        .map(|c| ident(c).map(str::to_owned))
        .collect::<anyhow::Result<Vec<_>>>()?
        .join(", ");
    let per_statement = (30_000 / columns.len()).max(1);
    for chunk in rows.chunks(per_statement) {
        let placeholders =
            crate::registry::values_placeholders(backend, chunk.len(), columns.len());
        let sql = format!(
            "INSERT INTO {} ({names}) VALUES {placeholders}",
            ident(table)?
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            let cells = row.as_array().context("a snapshot row must be an array")?;
            if cells.len() != columns.len() {
                bail!(
                    "a row of {table} has {} values for {} columns",
                    cells.len(),
                    columns.len()
                );
            }
            for (cell, is_int) in cells.iter().zip(integer) {
                q = match cell {
                    serde_json::Value::Null if *is_int => q.bind(None::<i64>),
                    serde_json::Value::Null => q.bind(None::<String>),
                    serde_json::Value::Number(n) => {
                        q.bind(n.as_i64().context("a non-integer number")?)
                    }
                    serde_json::Value::String(s) => q.bind(s.clone()),
                    other => bail!("unexpected value {other} in {table}"),
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn digest(table: &str, rows: &[serde_json::Value]) -> TableDigest {
    let mut lines: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    lines.sort();
    let mut hasher = Sha256::new();
    for line in &lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    TableDigest {
        table: table.to_owned(),
        rows: rows.len() as u64,
        sha256: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    }
}
