//! Contract: ID numbers and phones encrypted at rest (SM4-GCM and AES-256-GCM), still found by ID
//! number, never readable without the right key.

use uplift_app::imports::store::ImportStore;
use uplift_app::store::{HouseholdFilter, NewHousehold, Page, Scope, Store};
use uplift_db::{Algorithm, DataKey, Db, EncryptionState};
use uplift_domain::household::{Health, HouseholdType, Relation};
use uplift_domain::resident_id::ResidentId;

use crate::contract;
use crate::registry::{now, seed};
use crate::support::{household, income, person, stamp};

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const OTHER: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

async fn snapshot(db: &Db) -> String {
    let mut out = Vec::new();
    db.backup(&mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

async fn all_ids(db: &Db) -> Vec<String> {
    let mut ids = Vec::new();
    let list = db
        .list_households(&HouseholdFilter::everything(), now(), Page::new(1, 50))
        .await
        .unwrap();
    for h in list.items {
        let detail = db
            .household(h.id, &Scope::Everything, now())
            .await
            .unwrap()
            .unwrap();
        for m in detail.members {
            ids.push(m.person.value.id_number.as_str().to_owned());
        }
    }
    ids
}

async fn encrypts_with(db: Db, algorithm: Algorithm) {
    let (households, _) = seed(&db).await;
    let ids = all_ids(&db).await;
    assert_eq!(ids.len(), 4);
    let plain = snapshot(&db).await;
    assert!(ids.iter().all(|id| plain.contains(id.as_str())));
    assert!(plain.contains("13812345678"));

    // A key for a plain database is refused: it would protect nothing.
    let key = DataKey::parse(KEY).unwrap();
    let err = db.clone().unlock(Some(&key)).await.unwrap_err().to_string();
    assert!(err.contains("uplift encrypt"), "{err}");

    let (db, report) = db
        .encrypt_fields(algorithm, &key, "contract")
        .await
        .unwrap();
    assert_eq!(report.person_versions, 4);
    assert_eq!(
        db.encryption_state().await.unwrap(),
        EncryptionState::Encrypted { algorithm }
    );
    // Writes after encryption are sealed too.
    db.register_households(
        &[NewHousehold {
            household: household(
                "4310260010099",
                crate::support::villages(&crate::support::rucheng_regions())[0],
                HouseholdType::Ordinary,
            ),
            members: vec![person(
                "43102619800101005",
                "赵六",
                Relation::Head,
                Health::Healthy,
            )],
            incomes: vec![income(2025, 12_000)],
        }],
        &stamp("2022-01-01", "2022-01-05T10:00:00+08:00"),
    )
    .await
    .unwrap();
    let ids = all_ids(&db).await;
    assert_eq!(ids.len(), 5);

    // The stored bytes (every table, as a snapshot reads them) hold no ID number and no phone.
    let stored = snapshot(&db).await;
    for id in &ids {
        assert!(!stored.contains(id.as_str()), "{id} stored in plain text");
    }
    assert!(!stored.contains("13812345678"));
    assert!(stored.contains(&format!("enc:{}:", algorithm.name())));

    // Reads decrypt; search by ID number finds the household through the lookup key.
    let detail = db
        .household(households[0], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        detail.members[0].person.value.phone.as_deref(),
        Some("13812345678")
    );
    let wanted = detail.members[1].person.value.id_number.clone();
    let mut search = HouseholdFilter::everything();
    search.search = Some(wanted.as_str().to_ascii_lowercase());
    let found = db
        .list_households(&search, now(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(
        found.items.iter().map(|h| h.id).collect::<Vec<_>>(),
        [households[0]]
    );
    let unknown = ResidentId::from_stored(&ids[4]).unwrap();
    let held = db
        .households_of_id_numbers(&[wanted.clone(), unknown], now())
        .await
        .unwrap();
    assert_eq!(held.len(), 2);
    assert!(
        held.iter()
            .any(|(id, no)| *id == wanted && no.as_str() == "4310260010001")
    );

    // Without the key, or with another, the database refuses to open.
    let err = db.clone().unlock(None).await.unwrap_err().to_string();
    assert!(
        err.contains("UPLIFT_DATA_KEY") && err.contains(algorithm.name()),
        "{err}"
    );
    let other = DataKey::parse(OTHER).unwrap();
    let err = db
        .clone()
        .unlock(Some(&other))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not match"), "{err}");
    let reopened = db.clone().unlock(Some(&key)).await.unwrap();
    assert_eq!(all_ids(&reopened).await, ids);

    // Encrypting twice is refused; the encryption itself is audited.
    assert!(
        db.clone()
            .encrypt_fields(algorithm, &key, "contract")
            .await
            .is_err()
    );
    let chain = db.audit_chain().await.unwrap();
    assert!(chain.iter().any(|e| e.event.action == "encrypt_fields"));
}

async fn sm4_gcm_at_rest(db: Db) {
    encrypts_with(db, Algorithm::Sm4Gcm).await;
}
contract!(sm4_gcm_at_rest);

async fn aes_256_gcm_at_rest(db: Db) {
    encrypts_with(db, Algorithm::Aes256Gcm).await;
}
contract!(aes_256_gcm_at_rest);

async fn a_plain_database_opens_without_a_key(db: Db) {
    seed(&db).await;
    assert_eq!(db.encryption_state().await.unwrap(), EncryptionState::Plain);
    let db = db.unlock(None).await.unwrap();
    assert_eq!(all_ids(&db).await.len(), 4);
}
contract!(a_plain_database_opens_without_a_key);
