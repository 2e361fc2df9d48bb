//! Village profiles: append-only versions of indicator readings, read with the registry's
//! bitemporal window (latest `valid_from` ≤ as-of among those recorded by known-at).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use uplift_app::store::StoreResult;
use uplift_app::villages::{IndicatorEntry, VillageStore};
use uplift_domain::region::RegionCode;
use uplift_domain::version::{ReadAt, Versioned};
use uplift_domain::village::Reading;

use crate::Db;
use crate::codec::{self, date_text, instant_text, known_at_text};
use crate::registry::{Cell, code_range, insert_rows, reserve_keys, unexpected};

fn entry_from(row: &AnyRow) -> anyhow::Result<Versioned<IndicatorEntry>> {
    let village: String = row.try_get("village_code")?;
    Ok(Versioned {
        value: IndicatorEntry {
            village: RegionCode::parse(&village)?,
            indicator: row.try_get("indicator")?,
            reading: Reading {
                value: row.try_get("value")?,
                base: row.try_get("base")?,
            },
            project: row.try_get("project_ref")?,
            note: row.try_get("note")?,
        },
        stamp: codec::stamp(row)?,
    })
}

#[async_trait]
impl VillageStore for Db {
    async fn record_indicators(&self, entries: &[Versioned<IndicatorEntry>]) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let first = reserve_keys(&mut tx, "village_indicator_versions", entries.len()).await?;
        let rows = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                vec![
                    Cell::Int(first + i as i64),
                    Cell::Text(e.value.village.as_str().to_owned()),
                    Cell::Text(e.value.indicator.clone()),
                    Cell::Text(date_text(e.stamp.valid_from)),
                    Cell::Text(instant_text(&e.stamp.recorded_at)),
                    Cell::Text(e.stamp.actor.clone()),
                    Cell::Text(e.stamp.source.clone()),
                    Cell::OptText(e.stamp.reason.clone()),
                    Cell::Int(e.value.reading.value),
                    Cell::OptInt(e.value.reading.base),
                    Cell::OptText(e.value.project.clone()),
                    Cell::OptText(e.value.note.clone()),
                ]
            })
            .collect();
        insert_rows(
            self.backend,
            &mut tx,
            "village_indicator_versions (version_id, village_code, indicator, valid_from, \
             recorded_at, actor, source, reason, value, base, project_ref, note)",
            12,
            rows,
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(entries.len() as u64)
    }

    async fn village_indicators(
        &self,
        within: &RegionCode,
        at: ReadAt,
    ) -> StoreResult<Vec<Versioned<IndicatorEntry>>> {
        let (low, high) = code_range(within);
        let rows = sqlx::query(AssertSqlSafe(
            "SELECT * FROM (SELECT v.*, ROW_NUMBER() OVER (PARTITION BY v.village_code, v.indicator \
             ORDER BY v.valid_from DESC, v.recorded_at DESC, v.version_id DESC) AS rn \
             FROM village_indicator_versions v \
             WHERE v.village_code BETWEEN $1 AND $2 AND v.valid_from <= $3 AND v.recorded_at <= $4) t \
             WHERE rn = 1 ORDER BY village_code, indicator"
                .to_owned(),
        ))
        .bind(low)
        .bind(high)
        .bind(date_text(at.as_of))
        .bind(known_at_text(at.known_at))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        rows.iter()
            .map(entry_from)
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)
    }

    async fn village_indicator_history(
        &self,
        village: &RegionCode,
    ) -> StoreResult<Vec<Versioned<IndicatorEntry>>> {
        let rows = sqlx::query(
            "SELECT * FROM village_indicator_versions WHERE village_code = $1 \
             ORDER BY recorded_at, version_id",
        )
        .bind(village.as_str().to_owned())
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        rows.iter()
            .map(entry_from)
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)
    }
}
