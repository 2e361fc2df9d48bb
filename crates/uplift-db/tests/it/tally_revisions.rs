//! Contract: the in-process cache of parsed village tallies (`tally_cache.rs`, migration 0018)
//! never serves a stale row. After a typed change in one village the city's figure changes at
//! the next read, through this handle and through another handle (another process) whose cache
//! was filled before the change and which did not settle it itself; an as-of replay is unchanged.

use uplift_app::App;
use uplift_app::dashboard::{self, BandRule, DashboardStore, Tally, TallyQuery};
use uplift_app::store::{HouseholdFilter, Page, Scope, Store};
use uplift_db::Db;
use uplift_domain::household::{Codebook, HouseholdType};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::contract;
use crate::dashboard::synth_app;
use crate::support::{d, stamp};

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

/// The city's formerly poor households, from its dashboard.
async fn city_formerly_poor(app: &App, at: ReadAt) -> i64 {
    let city = RegionCode::parse("4310").unwrap();
    let dash = dashboard::registry_dashboard(app, &city, &Scope::Everything, at)
        .await
        .unwrap();
    let figure = dash.figures.iter().find(|f| f.id == "households").unwrap();
    figure
        .cell(HouseholdType::FormerlyPoor.code())
        .map(|c| c.value)
        .unwrap_or(0)
}

async fn assert_city_equals_live(db: &Db, rule: BandRule, at: ReadAt, what: &str) {
    let query = TallyQuery {
        within: RegionCode::parse("4310").unwrap(),
        scope: Scope::Everything,
        at,
        rule,
    };
    let cached = sorted(db.registry_tallies(&query).await.unwrap());
    let live = sorted(db.registry_tallies_live(&query).await.unwrap());
    assert!(!cached.is_empty(), "{what}");
    assert_eq!(cached, live, "{what}");
}

async fn a_typed_change_shows_in_the_city_at_once(db: Db) {
    let app = synth_app(&db, 80).await;
    let county = RegionCode::parse("431026").unwrap();
    let rule = BandRule::of(app.policy.in_force(&county, d("2026-06-30")).unwrap());
    let now = ReadAt::current(d("2026-06-30"));
    let april = ReadAt::current(d("2026-04-30"));
    // Another process: its own cache, filled now, before the changes.
    let other = db.with_own_tally_cache();
    assert_city_equals_live(&other, rule, now, "the other handle, before").await;
    assert!(other.cached_tally_rows() > 0);

    let before = city_formerly_poor(&app, now).await;
    let before_april = city_formerly_poor(&app, april).await;
    assert!(db.cached_tally_rows() > 0, "the first read fills the cache");
    // Answered from the cache: the same figure.
    assert_eq!(city_formerly_poor(&app, now).await, before);

    let list = app
        .store
        .list_households(
            &HouseholdFilter {
                household_type: Some(HouseholdType::Ordinary),
                ..HouseholdFilter::everything()
            },
            now,
            Page::new(1, 2),
        )
        .await
        .unwrap();
    let (first, second) = (&list.items[0], &list.items[1]);

    // A typed change through this handle: the next read settles it and shows it.
    let mut changed = first.household.clone();
    changed.household_type = HouseholdType::FormerlyPoor;
    app.store
        .record_household_version(
            first.id,
            &changed,
            &stamp("2026-05-01", "2026-06-30T09:00:00+08:00"),
        )
        .await
        .unwrap();
    assert_eq!(city_formerly_poor(&app, now).await, before + 1);
    assert_eq!(city_formerly_poor(&app, april).await, before_april);
    assert_city_equals_live(&db, rule, now, "this handle, after the first change").await;
    // The other handle holds the old rows; the settle was done here, not there.
    assert_eq!(db.settle_tallies().await.unwrap().villages, 0);
    assert_city_equals_live(
        &other,
        rule,
        now,
        "the other handle, after the first change",
    )
    .await;

    // A change written and settled by the other handle: this handle's cache must not answer.
    let mut changed = second.household.clone();
    changed.household_type = HouseholdType::FormerlyPoor;
    other
        .record_household_version(
            second.id,
            &changed,
            &stamp("2026-05-01", "2026-06-30T09:30:00+08:00"),
        )
        .await
        .unwrap();
    assert!(other.settle_tallies().await.unwrap().villages >= 1);
    assert_eq!(city_formerly_poor(&app, now).await, before + 2);
    assert_eq!(city_formerly_poor(&app, april).await, before_april);
    assert_city_equals_live(&db, rule, now, "this handle, after the other's change").await;
    assert_city_equals_live(&db, rule, april, "this handle, as of April").await;
}
contract!(a_typed_change_shows_in_the_city_at_once);
