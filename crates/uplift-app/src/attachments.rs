//! Attachments: files owned by a record (`owner_kind`, `owner_id`), such as a visit's photos.
//!
//! The facility is generic: the store keeps the bytes with their name, type, size, SHA-256, who
//! uploaded them and when; attachments are never changed after upload. Who may read or add an
//! attachment is decided by the owner's use case (a visit's photos by the visit's household
//! scope), which is why the store's reads take no scope: call them only through a use case that
//! has checked the owner.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};
use uplift_domain::access::Action;
use uplift_domain::attachment::{self, AttachmentError, ContentType, MAX_ATTACHMENT_BYTES};
use uplift_domain::case::Visit;
use uplift_domain::version::VersionStamp;

use crate::App;
use crate::access::Principal;
use crate::cases::{self, CaseFailure, CaseResult, VisitId};
use crate::store::{HouseholdId, StoreError, StoreResult};

/// Internal key of an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttachmentId(pub i64);

/// The owner kind of a visit's photos.
pub const VISIT: &str = "visit";

/// An attachment about to be stored, already checked (see [`prepare`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub owner_kind: String,
    pub owner_id: i64,
    pub filename: String,
    pub content_type: ContentType,
    pub content: Vec<u8>,
    /// Lowercase hex SHA-256 of `content`.
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<FixedOffset>,
}

/// What is known of a stored attachment, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: AttachmentId,
    pub owner_kind: String,
    pub owner_id: i64,
    pub filename: String,
    pub content_type: ContentType,
    pub size: u64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub meta: AttachmentMeta,
    pub content: Vec<u8>,
}

#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Stores the attachments in one transaction: all or none.
    async fn save_attachments(&self, items: &[NewAttachment]) -> StoreResult<Vec<AttachmentId>>;

    /// One attachment with its bytes. The store checks the stored SHA-256 against the bytes.
    async fn attachment(&self, id: AttachmentId) -> StoreResult<Option<Attachment>>;

    /// The attachments of one owner, in upload order.
    async fn attachments_of(
        &self,
        owner_kind: &str,
        owner_id: i64,
    ) -> StoreResult<Vec<AttachmentMeta>>;

    /// Records a visit and its photos in one transaction; each photo's `owner_id` is replaced
    /// by the new visit's id (owner kind [`VISIT`]).
    async fn record_visit_with_photos(
        &self,
        household: HouseholdId,
        visit: &Visit,
        stamp: &VersionStamp,
        photos: &[NewAttachment],
    ) -> StoreResult<(VisitId, Vec<AttachmentId>)>;
}

/// A file as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub filename: String,
    /// The type the sender declared, if any.
    pub declared_type: Option<String>,
    pub bytes: Vec<u8>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks an upload (name, size, type) and readies it for the store.
pub fn prepare(
    owner_kind: &str,
    owner_id: i64,
    upload: Upload,
    uploaded_by: &str,
    uploaded_at: DateTime<FixedOffset>,
) -> Result<NewAttachment, AttachmentError> {
    attachment::check_owner_kind(owner_kind)?;
    let filename = attachment::clean_filename(&upload.filename)?;
    let content_type = attachment::check(
        &filename,
        upload.declared_type.as_deref(),
        &upload.bytes,
        MAX_ATTACHMENT_BYTES,
    )?;
    Ok(NewAttachment {
        owner_kind: owner_kind.to_owned(),
        owner_id,
        filename,
        content_type,
        sha256: sha256_hex(&upload.bytes),
        content: upload.bytes,
        uploaded_by: uploaded_by.to_owned(),
        uploaded_at,
    })
}

impl From<AttachmentError> for CaseFailure {
    fn from(e: AttachmentError) -> CaseFailure {
        CaseFailure::Invalid(e.to_string())
    }
}

/// Records a visit with its photos (JPEG or PNG only). Nothing is written if a photo is refused.
pub async fn record_visit_with_photos(
    app: &App,
    by: &Principal,
    household: HouseholdId,
    visit: Visit,
    photos: Vec<Upload>,
    source: &str,
) -> CaseResult<(VisitId, Vec<AttachmentId>)> {
    by.require(Action::RecordAssistance)?;
    // Reading the visits checks the household lies in the principal's scope.
    cases::visits(app, by, household).await?;
    visit
        .check(app.clock.today())
        .map_err(CaseFailure::Invalid)?;
    let now = app.clock.now();
    let mut ready = Vec::with_capacity(photos.len());
    for photo in photos {
        let a = prepare(VISIT, 0, photo, &by.name, now)?;
        if !a.content_type.is_image() {
            return Err(CaseFailure::Invalid(format!(
                "{}: a visit photo must be a JPEG or PNG image, not {}",
                a.filename, a.content_type
            )));
        }
        ready.push(a);
    }
    let stamp = app.stamp(&by.name, source, visit.date, None);
    Ok(app
        .store
        .record_visit_with_photos(household, &visit, &stamp, &ready)
        .await?)
}

/// The photos of the household's visits, by visit (the household must be in scope).
pub async fn visit_photos(
    app: &App,
    by: &Principal,
    household: HouseholdId,
) -> CaseResult<Vec<(VisitId, Vec<AttachmentMeta>)>> {
    let visits = cases::visits(app, by, household).await?;
    let mut out = Vec::with_capacity(visits.len());
    for (id, _) in visits {
        out.push((id, app.store.attachments_of(VISIT, id.0).await?));
    }
    Ok(out)
}

/// One photo of one of the household's visits; not found unless it belongs to a visit of a
/// household in the principal's scope.
pub async fn visit_photo(
    app: &App,
    by: &Principal,
    household: HouseholdId,
    id: AttachmentId,
) -> CaseResult<Attachment> {
    let visits = cases::visits(app, by, household).await?;
    let not_found = || CaseFailure::Store(StoreError::NotFound(format!("photo {}", id.0)));
    let a = app.store.attachment(id).await?.ok_or_else(not_found)?;
    let owned = a.meta.owner_kind == VISIT && visits.iter().any(|(v, _)| v.0 == a.meta.owner_id);
    if !owned {
        return Err(not_found());
    }
    Ok(a)
}
