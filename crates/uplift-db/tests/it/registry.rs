//! Contract: regions, registering households, scoped lists, and bitemporal reads.

use uplift_app::store::{HouseholdFilter, NewHousehold, Page, Scope, Store};
use uplift_db::Db;
use uplift_domain::household::{Health, HouseholdNo, HouseholdType, Relation};
use uplift_domain::region::RegionCode;
use uplift_domain::version::{ReadAt, Versioned, resolve};

use crate::contract;
use crate::support::{d, household, income, person, rucheng_regions, sex_of, stamp, t, villages};

/// Two households in two villages of different townships; returns their ids and villages.
pub async fn seed(db: &Db) -> (Vec<uplift_app::store::HouseholdId>, Vec<RegionCode>) {
    let regions = rucheng_regions();
    db.save_regions(&regions).await.unwrap();
    let villages = villages(&regions);
    let (a, b) = (villages[0], *villages.last().unwrap());
    assert_ne!(
        a.ancestor(uplift_domain::region::RegionLevel::Township),
        b.ancestor(uplift_domain::region::RegionLevel::Township)
    );
    let batch = vec![
        NewHousehold {
            household: household("4310260010001", a, HouseholdType::FormerlyPoor),
            members: vec![
                person(
                    "43102619700301001",
                    "李建国",
                    Relation::Head,
                    Health::Healthy,
                ),
                person(
                    "43102619720415002",
                    "王秀英",
                    Relation::Spouse,
                    Health::ChronicIllness,
                ),
                person("43102620050606003", "李明", Relation::Son, Health::Healthy),
            ],
            incomes: vec![income(2024, 15_000), income(2025, 18_000)],
        },
        NewHousehold {
            household: household("4310260020001", b, HouseholdType::Ordinary),
            members: vec![person(
                "43102619600101004",
                "张三",
                Relation::Head,
                Health::Healthy,
            )],
            incomes: vec![income(2025, 9_000)],
        },
    ];
    let ids = db
        .register_households(&batch, &stamp("2021-01-01", "2021-01-05T10:00:00+08:00"))
        .await
        .unwrap();
    (ids, vec![a, b])
}

pub fn now() -> ReadAt {
    ReadAt::current(d("2026-11-25"))
}

async fn regions_form_a_tree(db: Db) {
    let regions = rucheng_regions();
    let written = db.save_regions(&regions).await.unwrap();
    assert_eq!(written as usize, regions.len());
    // Saving again renames nothing and adds nothing.
    db.save_regions(&regions).await.unwrap();
    assert_eq!(db.counts().await.unwrap().regions as usize, regions.len());
    let county = RegionCode::parse("431026").unwrap();
    let townships = db.region_children(Some(&county)).await.unwrap();
    assert!(
        townships.len() > 5,
        "Rucheng has {} townships",
        townships.len()
    );
    let village = villages(&regions)[0];
    let path = db.region_path(&village).await.unwrap();
    let names: Vec<&str> = path.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names[..3], ["湖南省", "郴州市", "汝城县"]);
    assert_eq!(path.len(), 5);
    let provinces = db.region_children(None).await.unwrap();
    assert_eq!(provinces.len(), 1);
}
contract!(regions_form_a_tree);

async fn registered_households_read_back_whole(db: Db) {
    let (ids, villages) = seed(&db).await;
    let detail = db
        .household(ids[0], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.household.value.region, villages[0]);
    assert_eq!(
        detail.household.value.household_no.as_str(),
        "4310260010001"
    );
    assert_eq!(detail.household.stamp.actor, "contract");
    let names: Vec<&str> = detail
        .members
        .iter()
        .map(|m| m.person.value.name.as_str())
        .collect();
    assert_eq!(names, ["李建国", "王秀英", "李明"]);
    let spouse = &detail.members[1].person.value;
    assert_eq!(spouse.health, Health::ChronicIllness);
    assert_eq!(sex_of(spouse), uplift_domain::resident_id::Sex::Female);
    assert_eq!(spouse.phone.as_deref(), Some("13812345678"));
    assert_eq!(detail.incomes.len(), 2);
    assert_eq!(detail.incomes[0].income.value, income(2025, 18_000));
    let counts = db.counts().await.unwrap();
    assert_eq!(
        (counts.households, counts.persons, counts.income_records),
        (2, 4, 3)
    );
    assert_eq!(db.integrity_check().await.unwrap(), Vec::<String>::new());
    let found = db
        .find_household_by_no(&HouseholdNo::parse("4310260020001").unwrap(), now())
        .await
        .unwrap();
    assert_eq!(found, Some(ids[1]));
}
contract!(registered_households_read_back_whole);

async fn a_bad_batch_writes_nothing(db: Db) {
    let (_, villages) = seed(&db).await;
    let before = db.counts().await.unwrap();
    // The second household names a village that is not in the region table.
    let unknown = RegionCode::parse("431026999999").unwrap();
    let batch = vec![
        NewHousehold {
            household: household("4310260030001", villages[0], HouseholdType::Ordinary),
            members: vec![person(
                "43102619800101005",
                "赵六",
                Relation::Head,
                Health::Healthy,
            )],
            incomes: vec![],
        },
        NewHousehold {
            household: household("4310260030002", unknown, HouseholdType::Ordinary),
            members: vec![person(
                "43102619800101006",
                "钱七",
                Relation::Head,
                Health::Healthy,
            )],
            incomes: vec![],
        },
    ];
    let result = db
        .register_households(&batch, &stamp("2022-01-01", "2022-01-01T09:00:00+08:00"))
        .await;
    assert!(result.is_err(), "a batch with an unknown village must fail");
    assert_eq!(db.counts().await.unwrap(), before);
    assert!(db.integrity_check().await.unwrap().is_empty());
}
contract!(a_bad_batch_writes_nothing);

async fn lists_are_scoped_filtered_and_paged(db: Db) {
    let (ids, villages) = seed(&db).await;
    let all = db
        .list_households(&HouseholdFilter::everything(), now(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(all.items[0].head_name.as_deref(), Some("李建国"));
    assert_eq!(all.items[0].members, 3);

    let mut village_scope = HouseholdFilter::everything();
    village_scope.scope = Scope::Region(villages[1]);
    let scoped = db
        .list_households(&village_scope, now(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(
        scoped.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        [ids[1]]
    );

    // A filter outside the scope cannot widen it.
    village_scope.region = Some(villages[0]);
    let outside = db
        .list_households(&village_scope, now(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(outside.total, 0);
    // Nor can reading the other household directly.
    let hidden = db
        .household(ids[0], &Scope::Region(villages[1]), now())
        .await
        .unwrap();
    assert!(hidden.is_none());

    let mut by_type = HouseholdFilter::everything();
    by_type.household_type = Some(HouseholdType::FormerlyPoor);
    let poor = db
        .list_households(&by_type, now(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(
        poor.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        [ids[0]]
    );

    let mut search = HouseholdFilter::everything();
    search.search = Some("张三".into());
    let found = db
        .list_households(&search, now(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(
        found.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        [ids[1]]
    );

    let page2 = db
        .list_households(&HouseholdFilter::everything(), now(), Page::new(2, 1))
        .await
        .unwrap();
    assert_eq!((page2.total, page2.items.len()), (2, 1));
    assert_eq!(page2.items[0].id, ids[1]);
}
contract!(lists_are_scoped_filtered_and_paged);

async fn as_of_and_known_at_replay_history(db: Db) {
    let (ids, _) = seed(&db).await;
    let detail = db
        .household(ids[0], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    let son = detail.members[2].clone();
    let mut ill = son.person.value.clone();
    ill.health = Health::SeriousIllness;
    // Recorded in March: serious illness from 2026-03-01.
    db.record_person_version(
        ids[0],
        son.id,
        &ill,
        &stamp("2026-03-01", "2026-03-02T09:00:00+08:00"),
    )
    .await
    .unwrap();
    // Corrected in April: it began on 2026-02-10.
    db.record_person_version(
        ids[0],
        son.id,
        &ill,
        &stamp("2026-02-10", "2026-04-01T09:00:00+08:00"),
    )
    .await
    .unwrap();

    let (hid, pid) = (ids[0], son.id);
    let health_of_son = |at: ReadAt| health_of(&db, hid, pid, at);
    let as_of = |date: &str| ReadAt {
        as_of: d(date),
        known_at: None,
    };
    let known = |date: &str, instant: &str| ReadAt {
        as_of: d(date),
        known_at: Some(t(instant)),
    };

    assert_eq!(
        health_of_son(as_of("2026-03-01")).await,
        Health::SeriousIllness
    );
    // The view as of the day before still shows the old value.
    assert_eq!(health_of_son(as_of("2026-02-09")).await, Health::Healthy);
    assert_eq!(
        health_of_son(as_of("2026-02-15")).await,
        Health::SeriousIllness
    );
    // Known on 15 March, before the correction: February was still healthy.
    assert_eq!(
        health_of_son(known("2026-02-15", "2026-03-15T00:00:00+08:00")).await,
        Health::Healthy
    );
    assert_eq!(
        health_of_son(known("2026-03-05", "2026-03-15T00:00:00+08:00")).await,
        Health::SeriousIllness
    );
    // Before the household was registered, nothing is known of it.
    let before = db
        .household(
            ids[0],
            &Scope::Everything,
            known("2026-01-01", "2020-12-31T00:00:00+08:00"),
        )
        .await
        .unwrap();
    assert!(before.is_none());

    // The store agrees with the reference resolver of the domain at every probe.
    let history = db.household_history(ids[0]).await.unwrap();
    let versions: Vec<Versioned<_>> = history
        .into_iter()
        .filter_map(|e| match e {
            uplift_app::store::HistoryEntry::Person(pid, v) if pid == son.id => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(versions.len(), 3);
    for date in [
        "2021-06-01",
        "2026-02-09",
        "2026-02-10",
        "2026-02-28",
        "2026-03-01",
        "2026-06-01",
    ] {
        for instant in [
            None,
            Some("2026-03-01T00:00:00+08:00"),
            Some("2026-03-10T00:00:00+08:00"),
            Some("2026-05-01T00:00:00+08:00"),
        ] {
            let at = ReadAt {
                as_of: d(date),
                known_at: instant.map(t),
            };
            let expected = resolve(&versions, at).map(|v| v.value.health);
            assert_eq!(
                Some(health_of_son(at).await),
                expected,
                "{date} known at {instant:?}"
            );
        }
    }
}
contract!(as_of_and_known_at_replay_history);

async fn health_of(
    db: &Db,
    household: uplift_app::store::HouseholdId,
    person: uplift_app::store::PersonId,
    at: ReadAt,
) -> Health {
    let detail = db
        .household(household, &Scope::Everything, at)
        .await
        .unwrap()
        .unwrap();
    detail
        .members
        .into_iter()
        .find(|m| m.id == person)
        .unwrap()
        .person
        .value
        .health
}

async fn household_changes_are_versions(db: Db) {
    let (ids, villages) = seed(&db).await;
    let mut moved = household("4310260010001", villages[1], HouseholdType::FormerlyPoor);
    moved.address = Some("新址".into());
    db.record_household_version(
        ids[0],
        &moved,
        &stamp("2026-06-01", "2026-06-02T09:00:00+08:00"),
    )
    .await
    .unwrap();
    let scope_a = Scope::Region(villages[0]);
    let before = ReadAt {
        as_of: d("2026-05-31"),
        known_at: None,
    };
    assert!(
        db.household(ids[0], &scope_a, before)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        db.household(ids[0], &scope_a, now())
            .await
            .unwrap()
            .is_none()
    );
    let history = db.household_history(ids[0]).await.unwrap();
    // 1 household + 3 persons + 2 incomes at registration, then the move.
    assert_eq!(history.len(), 7);
    assert!(matches!(
        history.last(),
        Some(uplift_app::store::HistoryEntry::Household(_))
    ));
    let missing = db
        .record_household_version(
            uplift_app::store::HouseholdId(999_999),
            &moved,
            &stamp("2026-06-01", "2026-06-02T09:00:00+08:00"),
        )
        .await;
    assert!(matches!(
        missing,
        Err(uplift_app::store::StoreError::NotFound(_))
    ));
}
contract!(household_changes_are_versions);

async fn migrations_are_idempotent(db: Db) {
    let report = db.migrate().await.unwrap();
    assert!(report.applied.is_empty());
    assert_eq!(report.already, uplift_db::known_migrations().len());
    assert!(uplift_db::known_migrations().len() >= 2);
}
contract!(migrations_are_idempotent);
