//! Contract: the tallies maintained per village (migration 0015) equal a from-scratch live
//! computation from the version tables, at every as-of date, after typed changes of every kind
//! (dated in the past, present and future) and after imports; and the first read after a typed
//! change recomputes only the villages it touched.

use uplift_app::App;
use uplift_app::access::Principal;
use uplift_app::changes::{self, Change, ChangeRequest, Joining};
use uplift_app::dashboard::{BandRule, DashboardStore, Tally, TallyQuery};
use uplift_app::imports::{ImportKind, ImportMode, ImportRequest, NoProgress, run_import};
use uplift_app::store::{HouseholdFilter, HouseholdId, HouseholdSummary, Page, Scope, Store};
use uplift_db::Db;
use uplift_domain::household::{Health, HouseholdType, MemberStatus, Relation};
use uplift_domain::income::Money;
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_domain::version::ReadAt;

use crate::contract;
use crate::dashboard::synth_app;
use crate::support::{d, income, person};

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

/// Maintained and live tallies agree for the county, a township, a village and the city, at
/// dates before, on and after the registry's changes, under the pack's rule and a rule that
/// deducts out-of-pocket costs.
async fn assert_maintained_equal_live(db: &Db, app: &App, village: RegionCode, what: &str) {
    let county = RegionCode::parse("431026").unwrap();
    let pack = app.policy.in_force(&county, d("2026-06-30")).unwrap();
    let rule = BandRule::of(pack);
    let deducting = BandRule {
        line: Money::from_yuan(7_000),
        near_line: Money::from_yuan(10_500),
        deduct_out_of_pocket: true,
    };
    let regions = [
        county,
        village.parent().unwrap(),
        village,
        RegionCode::parse("4310").unwrap(),
    ];
    for within in regions {
        for as_of in [
            "2020-12-31",
            "2021-01-01",
            "2022-06-01",
            "2026-03-31",
            "2026-04-15",
            "2026-06-30",
            "2027-01-01",
        ] {
            for rule in [rule, deducting] {
                let query = TallyQuery {
                    within,
                    scope: Scope::Everything,
                    at: ReadAt {
                        as_of: d(as_of),
                        known_at: None,
                    },
                    rule,
                };
                let maintained = sorted(db.registry_tallies(&query).await.unwrap());
                let live = sorted(db.registry_tallies_live(&query).await.unwrap());
                assert_eq!(
                    maintained, live,
                    "{what}: {within} as of {as_of}, deducting {}",
                    rule.deduct_out_of_pocket
                );
            }
        }
    }
}

async fn households(app: &App) -> Vec<HouseholdSummary> {
    app.store
        .list_households(
            &HouseholdFilter::everything(),
            ReadAt::current(d("2026-06-30")),
            Page::new(1, 200),
        )
        .await
        .unwrap()
        .items
}

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

async fn tallies_equal_a_recompute_after_changes_and_imports(db: Db) {
    let app = synth_app(&db, 60).await;
    let list = households(&app).await;
    let first = &list[0];
    // A household of another village, with at least two members.
    let mut other = None;
    for h in &list {
        if h.household.region != first.household.region && h.members >= 2 {
            other = Some(h.clone());
            break;
        }
    }
    let other = other.expect("a household of another village");
    let village = first.household.region;
    assert_maintained_equal_live(&db, &app, village, "after synth").await;
    // Everything is settled now: nothing left to recompute.
    assert_eq!(db.settle_tallies().await.unwrap().villages, 0);

    let cli = Principal::machine("clerk");
    let detail = |id| {
        let db = db.clone();
        async move {
            db.household(id, &Scope::Everything, ReadAt::current(d("2026-06-30")))
                .await
                .unwrap()
                .unwrap()
        }
    };
    // A birth, dated in April.
    let baby = person("43102620260401001", "李新", Relation::Son, Health::Healthy);
    changes::apply(
        &app,
        &cli,
        request(
            first.id,
            Change::AddMember {
                person: baby,
                joining: Joining::Birth,
            },
            "2026-04-01",
        ),
    )
    .await
    .unwrap();
    // The first read after it recomputes the one village it touched.
    let settled = db.settle_tallies().await.unwrap();
    assert_eq!(settled.villages, 1, "{settled:?}");
    assert_maintained_equal_live(&db, &app, village, "after a birth").await;

    // A death, a transfer to another village's household, an income period, a new type.
    let members = detail(other.id).await.members;
    let leaving = members
        .iter()
        .find(|m| m.person.value.relation != Relation::Head)
        .unwrap()
        .id;
    changes::apply(
        &app,
        &cli,
        request(
            other.id,
            Change::TransferMember {
                person: leaving,
                to: first.id,
                relation: Relation::Other,
            },
            "2026-04-15",
        ),
    )
    .await
    .unwrap();
    let settled = db.settle_tallies().await.unwrap();
    assert_eq!(settled.villages, 2, "{settled:?}");
    let members = detail(first.id).await.members;
    let dying = members
        .iter()
        .find(|m| m.person.value.relation != Relation::Head && m.id != leaving)
        .map(|m| m.id);
    if let Some(dying) = dying {
        changes::apply(
            &app,
            &cli,
            request(
                first.id,
                Change::RemoveMember {
                    person: dying,
                    status: MemberStatus::Died,
                },
                "2026-05-10",
            ),
        )
        .await
        .unwrap();
    }
    changes::apply(
        &app,
        &cli,
        request(
            first.id,
            Change::RecordIncome {
                id: None,
                record: income(2026, 3_000),
            },
            "2026-06-01",
        ),
    )
    .await
    .unwrap();
    let mut edited = first.household.clone();
    edited.household_type = HouseholdType::FormerlyPoor;
    changes::apply(
        &app,
        &cli,
        request(
            first.id,
            Change::EditHousehold { household: edited },
            "2022-06-01",
        ),
    )
    .await
    .unwrap();
    // The other household moves to the first one's village, from next year.
    let mut moved = other.household.clone();
    moved.region = village;
    changes::apply(
        &app,
        &cli,
        request(
            other.id,
            Change::EditHousehold { household: moved },
            "2027-01-01",
        ),
    )
    .await
    .unwrap();
    assert_maintained_equal_live(&db, &app, village, "after typed changes").await;
    assert_maintained_equal_live(&db, &app, other.household.region, "the other village").await;

    // An import of new households and their incomes, into the same county.
    let county = RegionCode::parse("431026").unwrap();
    let villages: Vec<_> = app
        .store
        .region_children(Some(&village.parent().unwrap()))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.level() == RegionLevel::Village)
        .collect();
    let pack = app.policy.in_force(&county, d("2026-06-30")).unwrap();
    let config = uplift_app::synth::SynthConfig {
        county,
        households: 12,
        seed: 99,
        today: d("2026-06-30"),
        monitoring_line: pack.monitoring_line,
        with_errors: false,
    };
    let extra = uplift_app::synth::generate(&config, &villages).unwrap();
    for (kind, bytes) in [
        (
            ImportKind::Households,
            uplift_app::synth::registry_csv(&extra, false),
        ),
        (
            ImportKind::Incomes,
            uplift_app::synth::income_csv(&extra, false),
        ),
    ] {
        let batch = run_import(
            &app,
            &cli,
            ImportRequest {
                kind,
                mode: ImportMode::AllOrNothing,
                file_name: "extra.csv".into(),
                bytes: bytes.into_bytes(),
            },
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!(batch.status, "applied", "{:?}", batch.issues);
    }
    assert_maintained_equal_live(&db, &app, villages[0].code, "after imports").await;
}
contract!(tallies_equal_a_recompute_after_changes_and_imports);
