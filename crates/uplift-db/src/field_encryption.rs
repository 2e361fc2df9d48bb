//! Opening a database with its data key, and encrypting a plain database in place.

use std::sync::Arc;

use anyhow::{Context, bail};
use sqlx::Row;
use uplift_app::access::AuditEvent;

use crate::Db;
use crate::cipher::{Algorithm, DataKey, FieldCipher};
use crate::codec::now_text;

/// What the marker row says about a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncryptionState {
    Plain,
    Encrypted { algorithm: Algorithm },
}

/// The result of [`Db::encrypt_fields`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptReport {
    pub algorithm: Algorithm,
    /// Person versions whose ID number and phone were sealed.
    pub person_versions: u64,
    /// Stored feed rows whose target (a person's ID number) was sealed.
    pub feed_rows: u64,
}

impl Db {
    async fn marker(&self) -> anyhow::Result<Option<(Algorithm, String)>> {
        let row = sqlx::query("SELECT algorithm, key_check FROM field_encryption WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .context("reading the field-encryption marker (is the database migrated?)")?;
        row.map(|r| {
            let alg: String = r.try_get("algorithm")?;
            Ok((Algorithm::parse(&alg)?, r.try_get("key_check")?))
        })
        .transpose()
    }

    /// Whether this database keeps ID numbers and phones encrypted.
    pub async fn encryption_state(&self) -> anyhow::Result<EncryptionState> {
        Ok(match self.marker().await? {
            None => EncryptionState::Plain,
            Some((algorithm, _)) => EncryptionState::Encrypted { algorithm },
        })
    }

    /// This database with its field cipher, ready to serve. Refuses an encrypted database
    /// without its key or with another key, and a key for a plain database (so that a key that
    /// was meant to protect data does not silently protect nothing).
    pub async fn unlock(self, key: Option<&DataKey>) -> anyhow::Result<Db> {
        match (self.marker().await?, key) {
            (None, None) => Ok(self),
            (None, Some(_)) => bail!(
                "a data key is configured but this database stores ID numbers and phones in plain \
                 text; encrypt it first with `uplift encrypt --cipher sm4-gcm` (or aes-256-gcm)"
            ),
            (Some((alg, _)), None) => bail!(
                "this database keeps ID numbers and phones encrypted ({}); refusing to start \
                 without the data key: set UPLIFT_DATA_KEY or pass --key-file",
                alg.name()
            ),
            (Some((alg, check)), Some(key)) => {
                if key.check_value() != check {
                    bail!(
                        "the data key does not match this database's ({}); refusing to start",
                        alg.name()
                    );
                }
                Ok(Db {
                    cipher: Arc::new(FieldCipher::new(alg, key)),
                    ..self
                })
            }
        }
    }

    /// Encrypts every ID number and phone of a plain database, writes the marker and returns the
    /// unlocked database. One transaction: on any failure the database stays plain.
    pub async fn encrypt_fields(
        self,
        algorithm: Algorithm,
        key: &DataKey,
        actor: &str,
    ) -> anyhow::Result<(Db, EncryptReport)> {
        if let Some((alg, _)) = self.marker().await? {
            bail!("this database is already encrypted ({})", alg.name());
        }
        let cipher = FieldCipher::new(algorithm, key);
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        sqlx::query(
            "INSERT INTO field_encryption (id, algorithm, key_check, enabled_at, enabled_by) \
             VALUES (1, $1, $2, $3, $4)",
        )
        .bind(algorithm.name().to_owned())
        .bind(key.check_value())
        .bind(now_text())
        .bind(actor.to_owned())
        .execute(&mut *tx)
        .await
        .context("writing the field-encryption marker")?;
        let rows = sqlx::query("SELECT version_id, id_number, phone FROM person_versions")
            .fetch_all(&mut *tx)
            .await?;
        let plain = FieldCipher::plain();
        let mut count = 0u64;
        for row in rows {
            let version: i64 = row.try_get("version_id")?;
            let id: String = row.try_get("id_number")?;
            let id = plain
                .open("id_number", &id)
                .with_context(|| format!("person version {version}"))?;
            let phone: Option<String> = row.try_get("phone")?;
            sqlx::query(
                "UPDATE person_versions SET id_number = $1, id_lookup = $2, phone = $3 \
                 WHERE version_id = $4",
            )
            .bind(cipher.seal("id_number", &id))
            .bind(cipher.lookup_key(&id))
            .bind(phone.map(|p| cipher.seal("phone", &p)))
            .bind(version)
            .execute(&mut *tx)
            .await?;
            count += 1;
        }
        let feed_rows = encrypt_feed_targets(&mut tx, &cipher).await?;
        tx.commit().await.context("committing the encryption")?;
        // Leave no plain copy behind in free pages, the WAL or dead tuples.
        let purge = match self.backend {
            crate::Backend::Sqlite => "VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
            crate::Backend::Postgres => "VACUUM FULL person_versions, feed_rows",
        };
        self.execute_admin(purge).await?;
        crate::access::record_audit(
            &self,
            &AuditEvent {
                at: chrono::Utc::now().with_timezone(&uplift_domain::version::cst()),
                actor: actor.to_owned(),
                action: "encrypt_fields".to_owned(),
                target: format!("database:{}", algorithm.name()),
                region: None,
                reason: Some(format!("{count} person versions, {feed_rows} feed rows")),
                client: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let db = Db {
            cipher: Arc::new(cipher),
            ..self
        };
        Ok((
            db,
            EncryptReport {
                algorithm,
                person_versions: count,
                feed_rows,
            },
        ))
    }
}

/// Seals the ID number of every stored feed row that names a person (`P:` targets) and sets its
/// lookup key, inside the encryption's transaction. Gives the number of rows sealed.
async fn encrypt_feed_targets(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    cipher: &FieldCipher,
) -> anyhow::Result<u64> {
    let rows =
        sqlx::query("SELECT batch_id, row_no, target FROM feed_rows WHERE target LIKE 'P:%'")
            .fetch_all(&mut **tx)
            .await?;
    let plain = FieldCipher::plain();
    let mut count = 0u64;
    for row in rows {
        let batch: i64 = row.try_get("batch_id")?;
        let row_no: i64 = row.try_get("row_no")?;
        let target = plain
            .open_feed_target(&row.try_get::<String, _>("target")?)
            .with_context(|| format!("feed batch {batch} row {row_no}"))?;
        let (sealed, lookup) = cipher.feed_target_columns(&target);
        sqlx::query(
            "UPDATE feed_rows SET target = $1, target_lookup = $2 WHERE batch_id = $3 AND row_no = $4",
        )
        .bind(sealed)
        .bind(lookup)
        .bind(batch)
        .bind(row_no)
        .execute(&mut **tx)
        .await?;
        count += 1;
    }
    Ok(count)
}
