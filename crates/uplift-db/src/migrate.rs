//! Migrations: one folder per backend, embedded in the binary, applied in order, each in its own
//! transaction. Applied migrations are never edited (see `migrations/README.md`).

use sqlx::AnyPool;

use crate::Backend;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "registry",
        sqlite: include_str!("../migrations/sqlite/0001_registry.sql"),
        postgres: include_str!("../migrations/postgres/0001_registry.sql"),
    },
    Migration {
        version: 2,
        name: "access",
        sqlite: include_str!("../migrations/sqlite/0002_access.sql"),
        postgres: include_str!("../migrations/postgres/0002_access.sql"),
    },
    Migration {
        version: 3,
        name: "imports",
        sqlite: include_str!("../migrations/sqlite/0003_imports.sql"),
        postgres: include_str!("../migrations/postgres/0003_imports.sql"),
    },
    Migration {
        version: 4,
        name: "feeds",
        sqlite: include_str!("../migrations/sqlite/0004_feeds.sql"),
        postgres: include_str!("../migrations/postgres/0004_feeds.sql"),
    },
    Migration {
        version: 5,
        name: "cases",
        sqlite: include_str!("../migrations/sqlite/0005_cases.sql"),
        postgres: include_str!("../migrations/postgres/0005_cases.sql"),
    },
    Migration {
        version: 7,
        name: "audit_chain",
        sqlite: include_str!("../migrations/sqlite/0007_audit_chain.sql"),
        postgres: include_str!("../migrations/postgres/0007_audit_chain.sql"),
    },
    Migration {
        version: 10,
        name: "registry_epoch",
        sqlite: include_str!("../migrations/sqlite/0010_registry_epoch.sql"),
        postgres: include_str!("../migrations/postgres/0010_registry_epoch.sql"),
    },
    Migration {
        version: 11,
        name: "attachments",
        sqlite: include_str!("../migrations/sqlite/0011_attachments.sql"),
        postgres: include_str!("../migrations/postgres/0011_attachments.sql"),
    },
    Migration {
        version: 12,
        name: "projects",
        sqlite: include_str!("../migrations/sqlite/0012_projects.sql"),
        postgres: include_str!("../migrations/postgres/0012_projects.sql"),
    },
    Migration {
        version: 13,
        name: "villages_campaigns",
        sqlite: include_str!("../migrations/sqlite/0013_villages_campaigns.sql"),
        postgres: include_str!("../migrations/postgres/0013_villages_campaigns.sql"),
    },
    Migration {
        version: 14,
        name: "rectification",
        sqlite: include_str!("../migrations/sqlite/0014_rectification.sql"),
        postgres: include_str!("../migrations/postgres/0014_rectification.sql"),
    },
    Migration {
        version: 15,
        name: "village_tallies",
        sqlite: include_str!("../migrations/sqlite/0015_village_tallies.sql"),
        postgres: include_str!("../migrations/postgres/0015_village_tallies.sql"),
    },
    Migration {
        version: 16,
        name: "field_encryption",
        sqlite: include_str!("../migrations/sqlite/0016_field_encryption.sql"),
        postgres: include_str!("../migrations/postgres/0016_field_encryption.sql"),
    },
    Migration {
        version: 18,
        name: "tally_revisions",
        sqlite: include_str!("../migrations/sqlite/0018_tally_revisions.sql"),
        postgres: include_str!("../migrations/postgres/0018_tally_revisions.sql"),
    },
    Migration {
        version: 20,
        name: "feed_target_lookup",
        sqlite: include_str!("../migrations/sqlite/0020_feed_target_lookup.sql"),
        postgres: include_str!("../migrations/postgres/0020_feed_target_lookup.sql"),
    },
];

/// The names of the migrations this build knows, in order (`0001_registry`, …).
pub fn known() -> Vec<String> {
    MIGRATIONS
        .iter()
        .map(|m| format!("{:04}_{}", m.version, m.name))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<String>,
    pub already: usize,
}

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> anyhow::Result<MigrationReport> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
        .fetch_all(pool)
        .await?;
    let mut report = MigrationReport {
        applied: Vec::new(),
        already: 0,
    };
    for m in MIGRATIONS {
        if done.contains(&m.version) {
            report.already += 1;
            continue;
        }
        let sql = match backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let mut tx = pool.begin_with(backend.begin_write()).await?;
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| anyhow::anyhow!("migration {:04}_{} failed: {e}", m.version, m.name))?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(crate::codec::now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        report.applied.push(format!("{:04}_{}", m.version, m.name));
    }
    Ok(report)
}
