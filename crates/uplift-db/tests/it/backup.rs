//! Contract: snapshots are consistent and restore exactly, into either backend.

use uplift_app::store::Store;
use uplift_db::{Backend, Db};

use crate::contract;
use crate::registry::seed;
use crate::support::another;

async fn populate(db: &Db) {
    let (ids, villages) = seed(db).await;
    let user = uplift_app::access::User {
        id: uplift_app::store::UserId(0),
        username: "cadre".into(),
        display_name: "村干部 张".into(),
        role: uplift_domain::access::Role::VillageCadre,
        region: villages[0],
        department: None,
        password_hash: "$argon2id$x".into(),
        disabled: false,
    };
    let uid = db.create_user(&user).await.unwrap();
    db.assign_helper(
        uid,
        ids[0],
        crate::support::t("2026-01-01T00:00:00+08:00"),
        "admin",
    )
    .await
    .unwrap();
}

async fn a_snapshot_restores_to_identical_tables(db: Db) {
    populate(&db).await;
    let mut snapshot = Vec::new();
    let written = db.backup(&mut snapshot).await.unwrap();
    assert!(
        written
            .iter()
            .any(|t| t.table == "person_versions" && t.rows == 4),
        "{written:?}"
    );

    let (copy, guard) = another(db.backend()).await;
    let restored = copy.restore(&mut snapshot.as_slice()).await.unwrap();
    assert_eq!(restored, written);
    assert_eq!(copy.digests().await.unwrap(), db.digests().await.unwrap());
    assert_eq!(copy.counts().await.unwrap(), db.counts().await.unwrap());
    assert!(copy.integrity_check().await.unwrap().is_empty());
    // A second restore over data is refused and changes nothing.
    let again = copy.restore(&mut snapshot.as_slice()).await;
    assert!(
        again
            .unwrap_err()
            .to_string()
            .contains("needs an empty database")
    );
    assert_eq!(copy.digests().await.unwrap(), written);
    copy.close().await;
    guard.drop_now().await;
}
contract!(a_snapshot_restores_to_identical_tables);

async fn a_broken_snapshot_restores_nothing(db: Db) {
    populate(&db).await;
    let mut snapshot = Vec::new();
    db.backup(&mut snapshot).await.unwrap();
    let text = String::from_utf8(snapshot).unwrap();
    let cut = &text[..text.len() * 2 / 3];
    let (copy, guard) = another(db.backend()).await;
    let before = copy.digests().await.unwrap();
    assert!(copy.restore(&mut cut.as_bytes()).await.is_err());
    assert_eq!(copy.digests().await.unwrap(), before);
    copy.close().await;
    guard.drop_now().await;
}
contract!(a_broken_snapshot_restores_nothing);

#[tokio::test]
async fn a_sqlite_snapshot_moves_into_postgres_and_back() {
    let (sqlite, sqlite_guard) = another(Backend::Sqlite).await;
    populate(&sqlite).await;
    let mut snapshot = Vec::new();
    let written = sqlite.backup(&mut snapshot).await.unwrap();
    let (pg, pg_guard) = another(Backend::Postgres).await;
    assert_eq!(pg.restore(&mut snapshot.as_slice()).await.unwrap(), written);
    assert_eq!(pg.digests().await.unwrap(), written);
    let mut back = Vec::new();
    pg.backup(&mut back).await.unwrap();
    let (sqlite2, guard2) = another(Backend::Sqlite).await;
    sqlite2.restore(&mut back.as_slice()).await.unwrap();
    assert_eq!(sqlite2.digests().await.unwrap(), written);
    for db in [&sqlite, &pg, &sqlite2] {
        db.close().await;
    }
    pg_guard.drop_now().await;
    sqlite_guard.drop_now().await;
    guard2.drop_now().await;
}
