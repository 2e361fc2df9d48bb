//! Attachments: immutable rows with the content as base64 TEXT.

use anyhow::anyhow;
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use uplift_app::attachments::{
    Attachment, AttachmentId, AttachmentMeta, AttachmentStore, NewAttachment, VISIT, sha256_hex,
};
use uplift_app::cases::VisitId;
use uplift_app::store::{HouseholdId, StoreResult};
use uplift_domain::attachment::ContentType;
use uplift_domain::case::Visit;
use uplift_domain::version::VersionStamp;

use crate::codec::{instant_text, parse_instant};
use crate::registry::{Cell, insert_rows, reserve_keys, unexpected};
use crate::{Backend, Db};

const META_COLUMNS: &str =
    "id, owner_kind, owner_id, filename, content_type, size, sha256, uploaded_by, uploaded_at";

pub(crate) async fn insert(
    backend: Backend,
    tx: &mut Transaction<'static, Any>,
    items: &[NewAttachment],
    owner: Option<i64>,
) -> StoreResult<Vec<AttachmentId>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let first = reserve_keys(tx, "attachments", items.len()).await?;
    let mut ids = Vec::with_capacity(items.len());
    let mut rows = Vec::with_capacity(items.len());
    for (i, a) in items.iter().enumerate() {
        let id = first + i64::try_from(i).map_err(unexpected)?;
        ids.push(AttachmentId(id));
        rows.push(vec![
            Cell::Int(id),
            Cell::Text(a.owner_kind.clone()),
            Cell::Int(owner.unwrap_or(a.owner_id)),
            Cell::Text(a.filename.clone()),
            Cell::Text(a.content_type.mime().to_owned()),
            Cell::Int(i64::try_from(a.content.len()).map_err(unexpected)?),
            Cell::Text(a.sha256.clone()),
            Cell::Text(STANDARD.encode(&a.content)),
            Cell::Text(a.uploaded_by.clone()),
            Cell::Text(instant_text(&a.uploaded_at)),
        ]);
    }
    // One row per statement: a row can be megabytes of base64.
    for row in rows {
        insert_rows(
            backend,
            tx,
            "attachments (id, owner_kind, owner_id, filename, content_type, size, sha256, content, \
             uploaded_by, uploaded_at)",
            10,
            vec![row],
        )
        .await?;
    }
    Ok(ids)
}

fn meta(row: &AnyRow) -> anyhow::Result<AttachmentMeta> {
    let mime: String = row.try_get("content_type")?;
    Ok(AttachmentMeta {
        id: AttachmentId(row.try_get("id")?),
        owner_kind: row.try_get("owner_kind")?,
        owner_id: row.try_get("owner_id")?,
        filename: row.try_get("filename")?,
        content_type: ContentType::parse(&mime)
            .ok_or_else(|| anyhow!("bad stored content type {mime:?}"))?,
        size: u64::try_from(row.try_get::<i64, _>("size")?)?,
        sha256: row.try_get("sha256")?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at: parse_instant(&row.try_get::<String, _>("uploaded_at")?)?,
    })
}

#[async_trait]
impl AttachmentStore for Db {
    async fn save_attachments(&self, items: &[NewAttachment]) -> StoreResult<Vec<AttachmentId>> {
        let mut tx = self.begin_write().await?;
        let ids = insert(self.backend, &mut tx, items, None).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(ids)
    }

    async fn attachment(&self, id: AttachmentId) -> StoreResult<Option<Attachment>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {META_COLUMNS}, content FROM attachments WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected)?;
        let Some(row) = row else { return Ok(None) };
        let read = || -> anyhow::Result<Attachment> {
            let meta = meta(&row)?;
            let content = STANDARD.decode(row.try_get::<String, _>("content")?)?;
            if content.len() as u64 != meta.size || sha256_hex(&content) != meta.sha256 {
                return Err(anyhow!(
                    "attachment {} does not match its stored size and SHA-256",
                    id.0
                ));
            }
            Ok(Attachment { meta, content })
        };
        read().map(Some).map_err(unexpected)
    }

    async fn attachments_of(
        &self,
        owner_kind: &str,
        owner_id: i64,
    ) -> StoreResult<Vec<AttachmentMeta>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {META_COLUMNS} FROM attachments WHERE owner_kind = $1 AND owner_id = $2 \
             ORDER BY id"
        )))
        .bind(owner_kind.to_owned())
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        rows.iter()
            .map(meta)
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }

    async fn record_visit_with_photos(
        &self,
        household: HouseholdId,
        visit: &Visit,
        stamp: &VersionStamp,
        photos: &[NewAttachment],
    ) -> StoreResult<(VisitId, Vec<AttachmentId>)> {
        let mut tx = self.begin_write().await?;
        let id = crate::cases::insert_visit(self.backend, &mut tx, household, visit, stamp).await?;
        let photos: Vec<NewAttachment> = photos
            .iter()
            .map(|p| NewAttachment {
                owner_kind: VISIT.to_owned(),
                ..p.clone()
            })
            .collect();
        let ids = insert(self.backend, &mut tx, &photos, Some(id.0)).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok((id, ids))
    }
}
