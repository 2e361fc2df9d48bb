//! SQLite and PostgreSQL implementations of the store port.
//!
//! One [`Db`] serves both backends through sqlx's `Any` driver: the SQL is written once, in the
//! common subset (`$n` parameters, window functions, `RETURNING`, only TEXT and 64-bit integer
//! columns), and each backend has its own migrations. Where the two must differ (pragmas,
//! integrity checks, the transaction mode), [`Backend`] says so in one place.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use uplift_app::store::Store;

mod access;
mod attachments;
mod backup;
mod campaigns;
mod cases;
mod changes;
mod cipher;
mod codec;
mod dashboard;
mod documents;
mod feeds;
mod field_encryption;
mod import_write;
mod imports;
mod migrate;
mod projects;
mod rectify;
mod registry;
mod tally;
mod tally_cache;
mod villages;

pub use backup::TableDigest;
pub use cipher::{Algorithm, DataKey, FieldCipher, StoredPersonFields};
pub use field_encryption::{EncryptReport, EncryptionState};
pub use migrate::{MigrationReport, known as known_migrations};
pub use tally::SettleReport;

/// Which database is behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn of_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("database URL must start with sqlite:// or postgres://, found {url:?}")
        }
    }

    /// The statement that opens a write transaction. SQLite takes the write lock at once, so two
    /// writers queue on the busy timeout instead of failing to upgrade a read lock.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }
}

/// A connection pool to one Uplift database.
#[derive(Debug, Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// How ID numbers and phones are stored (plain until [`Db::unlock`] finds a marker).
    pub(crate) cipher: Arc<cipher::FieldCipher>,
    /// The file of a SQLite database (none for PostgreSQL and in-memory SQLite): large imports
    /// write it through a connection of their own (`import_write.rs`).
    pub(crate) sqlite_file: Option<std::path::PathBuf>,
    /// Parsed village tally rows by revision, shared by the clones of this handle (`tally_cache.rs`).
    pub(crate) tally_cache: Arc<tally_cache::TallyCache>,
}

impl Db {
    /// Connects to `sqlite://PATH` (created if missing; WAL, foreign keys on) or `postgres://…`.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let sqlite_file = match backend {
            Backend::Sqlite => import_write::sqlite_file(url),
            Backend::Postgres => None,
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("bad database URL {url:?}"))?
            .disable_statement_logging();
        // SQLite: a writer waiting on the busy timeout holds its connection, so there are
        // enough for readers to go on while a few writers queue.
        let max = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 10,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                             PRAGMA cache_size = -32768;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the {} database", backend.name()))?;
        Ok(Db {
            pool,
            backend,
            cipher: Arc::new(cipher::FieldCipher::plain()),
            sqlite_file,
            tally_cache: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the migrations this database lacks.
    pub async fn migrate(&self) -> anyhow::Result<MigrationReport> {
        migrate::run(&self.pool, self.backend).await
    }

    /// The store port over this database.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.clone())
    }

    /// Runs one administrative statement (`CREATE DATABASE …` for test clusters, `VACUUM`).
    pub async fn execute_admin(&self, sql: &str) -> anyhow::Result<()> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .with_context(|| format!("{sql} failed"))?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
