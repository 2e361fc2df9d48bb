//! Contract: the dashboard's maintained tallies (per village, `tally.rs`) always equal the live
//! computation from the version tables, before and after a new version, and past points of
//! knowledge replay exactly.

use uplift_app::dashboard::{BandRule, DashboardStore, Tally, TallyQuery};
use uplift_app::store::{HouseholdFilter, Page, Scope};
use uplift_db::Db;
use uplift_domain::household::HouseholdType;
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::contract;
use crate::dashboard::synth_app;
use crate::support::{d, stamp, t};

fn sorted(mut tallies: Vec<Tally>) -> Vec<Tally> {
    tallies.sort_by_key(|t| {
        (
            t.village,
            format!("{:?}", t.household_type),
            t.measure.clone(),
            t.key.clone(),
        )
    });
    tallies
}

async fn cached_and_live(db: &Db, query: &TallyQuery) -> (Vec<Tally>, Vec<Tally>) {
    let cached = sorted(db.registry_tallies(query).await.unwrap());
    let live = sorted(db.registry_tallies_live(query).await.unwrap());
    (cached, live)
}

fn count(tallies: &[Tally], measure: &str, ty: HouseholdType) -> i64 {
    tallies
        .iter()
        .filter(|t| t.measure == measure && t.household_type == ty)
        .map(|t| t.value)
        .sum()
}

async fn cached_tallies_equal_the_live_computation(db: Db) {
    let app = synth_app(&db, 80).await;
    let county = RegionCode::parse("431026").unwrap();
    let pack = app.policy.in_force(&county, d("2026-06-30")).unwrap();
    let query = |within: RegionCode, at: ReadAt| TallyQuery {
        within,
        scope: Scope::Everything,
        at,
        rule: BandRule::of(pack),
    };
    let now = ReadAt {
        as_of: d("2026-06-30"),
        known_at: None,
    };
    let first = sorted(db.registry_tallies(&query(county, now)).await.unwrap());
    assert!(count(&first, "households", HouseholdType::Ordinary) > 0);
    // Filled, then answered from the cache: the same as computing afresh.
    let (cached, live) = cached_and_live(&db, &query(county, now)).await;
    assert_eq!(cached, first);
    assert_eq!(cached, live);
    // A township is its own entry.
    let township = first[0].village.parent().unwrap();
    let (cached, live) = cached_and_live(&db, &query(township, now)).await;
    assert!(!cached.is_empty());
    assert_eq!(cached, live);

    // A new version makes the entry stale at once.
    let list = app
        .store
        .list_households(
            &HouseholdFilter {
                household_type: Some(HouseholdType::Ordinary),
                ..HouseholdFilter::everything()
            },
            now,
            Page::new(1, 1),
        )
        .await
        .unwrap();
    let target = &list.items[0];
    let mut changed = target.household.clone();
    changed.household_type = HouseholdType::FormerlyPoor;
    app.store
        .record_household_version(
            target.id,
            &changed,
            &stamp("2026-05-01", "2026-07-01T09:00:00+08:00"),
        )
        .await
        .unwrap();
    let (cached, live) = cached_and_live(&db, &query(county, now)).await;
    assert_eq!(cached, live);
    assert_eq!(
        count(&cached, "households", HouseholdType::FormerlyPoor),
        count(&first, "households", HouseholdType::FormerlyPoor) + 1
    );
    let (cached, live) = cached_and_live(&db, &query(township, now)).await;
    assert_eq!(cached, live);

    // Before the change was recorded, the past replays as it was first seen.
    let before = ReadAt {
        as_of: d("2026-06-30"),
        known_at: Some(t("2026-06-30T12:00:00+08:00")),
    };
    let (replayed, live) = cached_and_live(&db, &query(county, before)).await;
    assert_eq!(replayed, live);
    assert_eq!(replayed, first);
    // And an as-of date before the change took effect is its own entry.
    let april = ReadAt {
        as_of: d("2026-04-30"),
        known_at: None,
    };
    let (cached, live) = cached_and_live(&db, &query(county, april)).await;
    assert_eq!(cached, live);
    assert_eq!(
        count(&cached, "households", HouseholdType::FormerlyPoor),
        count(&first, "households", HouseholdType::FormerlyPoor)
    );
}
contract!(cached_tallies_equal_the_live_computation);
