//! Contract: attachments keep their bytes, name, type, size and SHA-256; a visit and its photos
//! are written together or not at all.

use uplift_app::attachments::{AttachmentId, AttachmentStore, NewAttachment, VISIT, sha256_hex};
use uplift_app::cases::CaseStore;
use uplift_db::Db;
use uplift_domain::attachment::ContentType;
use uplift_domain::case::Visit;

use crate::contract;
use crate::registry::seed;
use crate::support::{d, stamp, t};

fn jpeg(tail: &[u8]) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.extend_from_slice(tail);
    // Every byte value, so base64 round trips are tested on all of them.
    b.extend(0..=255u8);
    b
}

fn new(kind: &str, owner: i64, name: &str, content: Vec<u8>) -> NewAttachment {
    NewAttachment {
        owner_kind: kind.into(),
        owner_id: owner,
        filename: name.into(),
        content_type: ContentType::Jpeg,
        sha256: sha256_hex(&content),
        content,
        uploaded_by: "帮扶人 赵".into(),
        uploaded_at: t("2026-04-10T15:00:00.123456+08:00"),
    }
}

fn visit() -> Visit {
    Visit {
        date: d("2026-04-10"),
        visitor: "帮扶人 赵".into(),
        income_above_line: Some(true),
        health_ok: Some(true),
        schooling_ok: None,
        work_ok: Some(true),
        housing_ok: Some(true),
        water_ok: Some(true),
        findings: "务工稳定".into(),
        problems: "".into(),
        follow_ups: "".into(),
        photo: None,
    }
}

async fn attachments_round_trip_by_owner(db: Db) {
    let a = new("rectification_item", 7, "整改前.jpg", jpeg(b"one"));
    let b = new("rectification_item", 7, "整改后.jpg", jpeg(b"two"));
    let other = new("rectification_item", 8, "x.jpg", jpeg(b"three"));
    let ids = db.save_attachments(&[a.clone(), b.clone()]).await.unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1]);
    db.save_attachments(&[other]).await.unwrap();
    assert!(db.save_attachments(&[]).await.unwrap().is_empty());

    let got = db.attachment(ids[1]).await.unwrap().unwrap();
    assert_eq!(got.content, b.content);
    assert_eq!(got.meta.filename, "整改后.jpg");
    assert_eq!(got.meta.content_type, ContentType::Jpeg);
    assert_eq!(got.meta.size, b.content.len() as u64);
    assert_eq!(got.meta.sha256, b.sha256);
    assert_eq!(got.meta.uploaded_by, "帮扶人 赵");
    assert_eq!(got.meta.uploaded_at, b.uploaded_at);
    assert_eq!(
        (got.meta.owner_kind.as_str(), got.meta.owner_id),
        ("rectification_item", 7)
    );

    let of = db.attachments_of("rectification_item", 7).await.unwrap();
    assert_eq!(
        of.iter().map(|m| m.filename.as_str()).collect::<Vec<_>>(),
        ["整改前.jpg", "整改后.jpg"]
    );
    assert!(db.attachments_of("visit", 7).await.unwrap().is_empty());
    assert!(
        db.attachment(AttachmentId(999_999))
            .await
            .unwrap()
            .is_none()
    );
}
contract!(attachments_round_trip_by_owner);

async fn a_visit_and_its_photos_are_written_together(db: Db) {
    let (households, _) = seed(&db).await;
    let h = households[0];
    let photos = [
        new("ignored", 0, "a.jpg", jpeg(b"a")),
        new("ignored", 0, "b.jpg", jpeg(b"b")),
    ];
    let (visit_id, ids) = db
        .record_visit_with_photos(
            h,
            &visit(),
            &stamp("2026-04-10", "2026-04-10T15:00:00+08:00"),
            &photos,
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let visits = db.visits(h).await.unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].0, visit_id);
    let of = db.attachments_of(VISIT, visit_id.0).await.unwrap();
    assert_eq!(of.iter().map(|m| m.id).collect::<Vec<_>>(), ids);
    assert_eq!(
        db.attachment(ids[0]).await.unwrap().unwrap().content,
        photos[0].content
    );

    // A visit the database refuses (its household does not exist) takes its photos with it.
    let before = db
        .attachments_of(VISIT, visit_id.0 + 1)
        .await
        .unwrap()
        .len();
    let missing = uplift_app::store::HouseholdId(987_654);
    let err = db
        .record_visit_with_photos(
            missing,
            &visit(),
            &stamp("2026-04-11", "2026-04-11T15:00:00+08:00"),
            &photos,
        )
        .await;
    assert!(err.is_err(), "a visit of a missing household is refused");
    assert_eq!(
        db.attachments_of(VISIT, visit_id.0 + 1)
            .await
            .unwrap()
            .len(),
        before
    );
    assert_eq!(db.visits(h).await.unwrap().len(), 1);
    assert_eq!(
        db.attachment(AttachmentId(ids[1].0 + 1)).await.unwrap(),
        None
    );
}
contract!(a_visit_and_its_photos_are_written_together);
