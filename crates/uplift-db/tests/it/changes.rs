//! Contract: typed changes are versions, keep the one-head rule, respect scope, and never let two
//! concurrent edits both win.

use uplift_app::access::Principal;
use uplift_app::changes::{self, Change, ChangeError, ChangeRequest, ChangeStore, Joining};
use uplift_app::store::{HouseholdId, Scope, Store, StoreError};
use uplift_db::Db;
use uplift_domain::household::{Health, HouseholdType, MemberStatus, Relation};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::contract;
use crate::registry::{now, seed};
use crate::support::{app, d, household, income, person};

fn request(household: HouseholdId, change: Change, valid_from: &str) -> ChangeRequest {
    ChangeRequest {
        household,
        change,
        valid_from: d(valid_from),
        reason: "入户核实".into(),
        expected_version: None,
        channel: "cli",
    }
}

async fn members(db: &Db, id: HouseholdId, at: ReadAt) -> Vec<(String, Relation, MemberStatus)> {
    let detail = db
        .household(id, &Scope::Everything, at)
        .await
        .unwrap()
        .unwrap();
    detail
        .members
        .into_iter()
        .map(|m| {
            (
                m.person.value.name,
                m.person.value.relation,
                m.person.value.status,
            )
        })
        .collect()
}

fn at(date: &str) -> ReadAt {
    ReadAt {
        as_of: d(date),
        known_at: None,
    }
}

async fn births_deaths_and_edits_are_dated_versions(db: Db) {
    let (ids, _) = seed(&db).await;
    let app = app(&db);
    let cli = Principal::machine("clerk");
    let baby = person(
        "43102620260301007",
        "李小宝",
        Relation::Grandson,
        Health::Healthy,
    );
    changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::AddMember {
                person: baby,
                joining: Joining::Birth,
            },
            "2026-03-01",
        ),
    )
    .await
    .unwrap();
    let detail = db
        .household(ids[0], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    let head = detail.members[0].id;
    changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::RemoveMember {
                person: detail.members[1].id,
                status: MemberStatus::Died,
            },
            "2026-06-01",
        ),
    )
    .await
    .unwrap();
    let mut ill = detail.members[0].person.value.clone();
    ill.health = Health::SeriousIllness;
    changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::EditMember {
                person: head,
                value: ill,
            },
            "2026-07-01",
        ),
    )
    .await
    .unwrap();

    let before = members(&db, ids[0], at("2026-02-28")).await;
    assert_eq!(before.len(), 3, "{before:?}");
    let after = members(&db, ids[0], now()).await;
    assert_eq!(after.len(), 4);
    assert!(after.contains(&("王秀英".into(), Relation::Spouse, MemberStatus::Died)));
    assert!(after.contains(&("李小宝".into(), Relation::Grandson, MemberStatus::Active)));
    let list = db
        .list_households(
            &uplift_app::store::HouseholdFilter::everything(),
            now(),
            uplift_app::store::Page::new(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(list.items[0].members, 3, "the deceased is not counted");
    let history = db.household_history(ids[0]).await.unwrap();
    assert!(
        history
            .iter()
            .any(|e| e.stamp().source == "cli:remove_member")
    );
    assert!(history.iter().all(|e| e.stamp().reason.is_some()));
}
contract!(births_deaths_and_edits_are_dated_versions);

async fn moves_splits_and_merges_keep_one_head(db: Db) {
    let (ids, villages) = seed(&db).await;
    let app = app(&db);
    let cli = Principal::machine("clerk");
    let detail = db
        .household(ids[0], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    let (head, spouse, son) = (
        detail.members[0].id,
        detail.members[1].id,
        detail.members[2].id,
    );

    // A second head is refused and nothing is written.
    let extra = person("43102619900101008", "冒名", Relation::Head, Health::Healthy);
    let refused = changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::AddMember {
                person: extra,
                joining: Joining::Other,
            },
            "2026-01-01",
        ),
    )
    .await;
    assert!(
        matches!(refused, Err(ChangeError::Invalid(ref m)) if m.contains("2 heads")),
        "{refused:?}"
    );
    assert_eq!(members(&db, ids[0], now()).await.len(), 3);

    // The son splits off into a household of his own.
    let new_household = household("4310260010002", villages[0], HouseholdType::FormerlyPoor);
    let split = changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::Split {
                members: vec![son],
                head: son,
                household: new_household,
            },
            "2026-04-01",
        ),
    )
    .await
    .unwrap();
    let split_id = split.applied.new_households[0];
    assert_eq!(
        members(&db, split_id, now()).await,
        [("李明".into(), Relation::Head, MemberStatus::Active)]
    );
    assert_eq!(members(&db, ids[0], now()).await.len(), 2);
    assert!(members(&db, ids[0], at("2026-03-31")).await.len() == 3);

    // The new head; the former head becomes the spouse's spouse.
    changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::ChangeHead {
                head: spouse,
                former_head_relation: Relation::Spouse,
            },
            "2026-05-01",
        ),
    )
    .await
    .unwrap();
    let heads: Vec<_> = members(&db, ids[0], now())
        .await
        .into_iter()
        .filter(|m| m.1 == Relation::Head)
        .collect();
    assert_eq!(
        heads,
        [("王秀英".into(), Relation::Head, MemberStatus::Active)]
    );

    // The other household merges in.
    changes::apply(
        &app,
        &cli,
        request(ids[0], Change::Merge { from: ids[1] }, "2026-06-01"),
    )
    .await
    .unwrap();
    assert_eq!(members(&db, ids[0], now()).await.len(), 3);
    assert!(members(&db, ids[1], now()).await.is_empty());

    // A transfer to a household with a head keeps the relation given.
    changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::TransferMember {
                person: head,
                to: split_id,
                relation: Relation::Father,
            },
            "2026-07-01",
        ),
    )
    .await
    .unwrap();
    assert!(members(&db, split_id, now()).await.contains(&(
        "李建国".into(),
        Relation::Father,
        MemberStatus::Active
    )));
    assert!(db.integrity_check().await.unwrap().is_empty());
}
contract!(moves_splits_and_merges_keep_one_head);

async fn income_periods_are_recorded_and_corrected(db: Db) {
    let (ids, _) = seed(&db).await;
    let app = app(&db);
    let cli = Principal::machine("clerk");
    changes::apply(
        &app,
        &cli,
        request(
            ids[1],
            Change::RecordIncome {
                id: None,
                record: income(2024, 7_000),
            },
            "2024-12-31",
        ),
    )
    .await
    .unwrap();
    let twice = changes::apply(
        &app,
        &cli,
        request(
            ids[1],
            Change::RecordIncome {
                id: None,
                record: income(2024, 7_000),
            },
            "2024-12-31",
        ),
    )
    .await;
    assert!(matches!(twice, Err(ChangeError::Invalid(_))));
    let detail = db
        .household(ids[1], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    let period = detail
        .incomes
        .iter()
        .find(|e| e.income.value.period_start == d("2024-01-01"))
        .unwrap();
    changes::apply(
        &app,
        &cli,
        request(
            ids[1],
            Change::RecordIncome {
                id: Some(period.id),
                record: income(2024, 7_500),
            },
            "2024-12-31",
        ),
    )
    .await
    .unwrap();
    let detail = db
        .household(ids[1], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    let corrected = detail.incomes.iter().find(|e| e.id == period.id).unwrap();
    assert_eq!(corrected.income.value, income(2024, 7_500));
    assert_eq!(detail.incomes.len(), 2);
}
contract!(income_periods_are_recorded_and_corrected);

async fn a_stale_edit_is_a_conflict_not_an_overwrite(db: Db) {
    let (ids, _) = seed(&db).await;
    let app = app(&db);
    let cli = Principal::machine("clerk");
    let loaded = db.household_version(ids[0]).await.unwrap();
    let detail = db
        .household(ids[0], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    let edit = |health| {
        let mut value = detail.members[2].person.value.clone();
        value.health = health;
        ChangeRequest {
            expected_version: Some(loaded),
            ..request(
                ids[0],
                Change::EditMember {
                    person: detail.members[2].id,
                    value,
                },
                "2026-08-01",
            )
        }
    };
    let first = changes::apply(&app, &cli, edit(Health::ChronicIllness))
        .await
        .unwrap();
    assert!(first.version > loaded);
    let second = changes::apply(&app, &cli, edit(Health::SeriousIllness)).await;
    assert!(
        matches!(second, Err(ChangeError::Store(StoreError::Conflict(_)))),
        "{second:?}"
    );
    let now_health = db
        .household(ids[0], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap()
        .members[2]
        .person
        .value
        .health;
    assert_eq!(now_health, Health::ChronicIllness);

    // Concurrent edits against the same version: exactly one wins.
    let loaded = db.household_version(ids[0]).await.unwrap();
    let attempts = (0..6).map(|i| {
        let app = app.clone();
        let cli = cli.clone();
        let mut value = detail.members[2].person.value.clone();
        value.health = if i % 2 == 0 {
            Health::Healthy
        } else {
            Health::SeriousIllness
        };
        let req = ChangeRequest {
            expected_version: Some(loaded),
            ..request(
                ids[0],
                Change::EditMember {
                    person: detail.members[2].id,
                    value,
                },
                "2026-09-01",
            )
        };
        tokio::spawn(async move { changes::apply(&app, &cli, req).await })
    });
    let mut won = 0;
    for handle in attempts {
        match handle.await.unwrap() {
            Ok(_) => won += 1,
            Err(ChangeError::Store(StoreError::Conflict(_))) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(won, 1);
}
contract!(a_stale_edit_is_a_conflict_not_an_overwrite);

async fn a_village_user_cannot_change_another_village(db: Db) {
    let (ids, villages) = seed(&db).await;
    let app = app(&db);
    let cadre = Principal {
        user: Some(uplift_app::store::UserId(1)),
        name: "cadre".into(),
        role: Some(uplift_domain::access::Role::VillageCadre),
        region: Some(villages[0]),
        department: None,
    };
    let detail = db
        .household(ids[1], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    let mut value = detail.members[0].person.value.clone();
    value.health = Health::Disabled;
    value.disability_grade = Some(2);
    let refused = changes::apply(
        &app,
        &cadre,
        request(
            ids[1],
            Change::EditMember {
                person: detail.members[0].id,
                value,
            },
            "2026-08-01",
        ),
    )
    .await;
    assert!(
        matches!(refused, Err(ChangeError::Store(StoreError::NotFound(_)))),
        "{refused:?}"
    );
    // Nor move a household of its own village out of it.
    let moved = household(
        "4310260010001",
        RegionCode::parse("431026999001").unwrap(),
        HouseholdType::FormerlyPoor,
    );
    let refused = changes::apply(
        &app,
        &cadre,
        request(
            ids[0],
            Change::EditHousehold { household: moved },
            "2026-08-01",
        ),
    )
    .await;
    assert!(
        matches!(refused, Err(ChangeError::Invalid(_))),
        "{refused:?}"
    );
    let auditor = Principal {
        role: Some(uplift_domain::access::Role::Auditor),
        region: Some(
            villages[0]
                .ancestor(uplift_domain::region::RegionLevel::County)
                .unwrap(),
        ),
        ..cadre.clone()
    };
    let denied = changes::apply(
        &app,
        &auditor,
        request(ids[0], Change::Merge { from: ids[1] }, "2026-08-01"),
    )
    .await;
    assert!(matches!(denied, Err(ChangeError::Denied(_))), "{denied:?}");
}
contract!(a_village_user_cannot_change_another_village);

async fn a_change_dated_before_a_later_version_of_its_record_is_refused(db: Db) {
    let (ids, _) = seed(&db).await;
    let app = app(&db);
    let cli = Principal::machine("clerk");
    let detail = db
        .household(ids[0], &Scope::Everything, now())
        .await
        .unwrap()
        .unwrap();
    let head = detail.members[0].id;
    let mut ill = detail.members[0].person.value.clone();
    ill.health = Health::SeriousIllness;
    let edit = |value, date| {
        request(
            ids[0],
            Change::EditMember {
                person: head,
                value,
            },
            date,
        )
    };
    changes::apply(&app, &cli, edit(ill.clone(), "2026-07-01"))
        .await
        .unwrap();
    let version = db.household_version(ids[0]).await.unwrap();

    // Before the head's version of 2026-07-01: refused, naming that date, nothing written.
    let mut disabled = ill.clone();
    disabled.health = Health::Disabled;
    disabled.disability_grade = Some(2);
    let refused = changes::apply(&app, &cli, edit(disabled.clone(), "2026-06-30")).await;
    match &refused {
        Err(ChangeError::BackDated {
            record,
            later,
            effective,
        }) => {
            assert_eq!(*record, changes::RecordRef::Person(head));
            assert_eq!(*later, d("2026-07-01"));
            assert_eq!(*effective, d("2026-06-30"));
        }
        other => panic!("expected a back-dated refusal, got {other:?}"),
    }
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("2026-07-01"), "{message}");
    assert!(message.contains("2026-06-30"), "{message}");
    assert_eq!(db.household_version(ids[0]).await.unwrap(), version);
    let at_june = members(&db, ids[0], at("2026-06-30")).await;
    assert!(at_june.iter().all(|(_, _, s)| *s == MemberStatus::Active));

    // A removal (death) back-dated under a later version is refused the same way.
    let son = detail.members[2].id;
    let mut schooling = detail.members[2].person.value.clone();
    schooling.health = Health::ChronicIllness;
    changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::EditMember {
                person: son,
                value: schooling,
            },
            "2026-07-01",
        ),
    )
    .await
    .unwrap();
    let died = changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::RemoveMember {
                person: son,
                status: MemberStatus::Died,
            },
            "2026-03-01",
        ),
    )
    .await;
    assert!(
        matches!(died, Err(ChangeError::BackDated { later, .. }) if later == d("2026-07-01")),
        "{died:?}"
    );

    // The household's own attributes: seeded 2021-01-01, edited 2026-05-01; 2026-04-01 refused.
    let mut edited = detail.household.value.clone();
    edited.address = Some("新地址 1 号".into());
    changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::EditHousehold {
                household: edited.clone(),
            },
            "2026-05-01",
        ),
    )
    .await
    .unwrap();
    edited.address = Some("新地址 2 号".into());
    let refused = changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::EditHousehold {
                household: edited.clone(),
            },
            "2026-04-01",
        ),
    )
    .await;
    assert!(
        matches!(refused, Err(ChangeError::BackDated { record: changes::RecordRef::Household(h), later, .. })
            if h == ids[0] && later == d("2026-05-01")),
        "{refused:?}"
    );

    // On the later version's own date (a correction) and after it: accepted.
    changes::apply(&app, &cli, edit(disabled.clone(), "2026-07-01"))
        .await
        .unwrap();
    changes::apply(&app, &cli, edit(ill, "2026-08-01"))
        .await
        .unwrap();
    // Another member's record is its own: the spouse has only the seeded 2021 version.
    let mut spouse = detail.members[1].person.value.clone();
    spouse.health = Health::Healthy;
    changes::apply(
        &app,
        &cli,
        request(
            ids[0],
            Change::EditMember {
                person: detail.members[1].id,
                value: spouse,
            },
            "2026-02-01",
        ),
    )
    .await
    .unwrap();
}
contract!(a_change_dated_before_a_later_version_of_its_record_is_refused);
