//! Contract: the monthly bulletin (通报). A township's figures add up to its row in its county's
//! bulletin, the county's rows (with its own level) add up to the county's total, and the county's
//! total is its row in the city's bulletin — over a synthetic registry with data-quality errors,
//! open identification cases and problems answered for at county, township and village level.

use uplift_app::access::Principal;
use uplift_app::cases::CaseStore;
use uplift_app::rectify;
use uplift_app::rectify::bulletin::{self, Bulletin, Counts};
use uplift_app::store::{HouseholdFilter, Page, Store};
use uplift_db::Db;
use uplift_domain::case::{CaseKind, Channel, Event, Opening};
use uplift_domain::rectify::{Assignment, FixKind, ProblemFacts};
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_domain::version::ReadAt;

use crate::contract;
use crate::dashboard::synth_app;
use crate::support::{d, stamp};

fn sum_rows(b: &Bulletin) -> Counts {
    let mut total = Counts::default();
    for r in &b.rows {
        total.add(&r.counts);
    }
    total
}

fn facts(title: &str, affected: RegionCode) -> ProblemFacts {
    ProblemFacts {
        source: "assessment".into(),
        source_ref: String::new(),
        area: "work".into(),
        title: title.into(),
        description: "反馈问题".into(),
        found_on: d("2026-06-01"),
        region: RegionCode::parse("431026").unwrap(),
        affected_regions: vec![affected],
        households: vec![],
        fix_kind: FixKind::LongTerm,
    }
}

fn assignment(region: RegionCode, deadline: &str) -> Assignment {
    Assignment {
        responsible_region: region,
        lead_unit: "牵头单位".into(),
        responsible_units: vec![],
        responsible_person: "责任人".into(),
        measures: "措施".into(),
        deadline: d(deadline),
    }
}

async fn a_townships_bulletin_adds_up_to_its_county(db: Db) {
    let app = synth_app(&db, 300).await;
    let machine = Principal::machine("test");
    let county = RegionCode::parse("431026").unwrap();
    let city = RegionCode::parse("4310").unwrap();

    // Open identification cases on a few households, from a clue found on 1 June (overdue by
    // 30 June) and on 29 June (not yet).
    let listed = db
        .list_households(
            &HouseholdFilter::everything(),
            ReadAt::current(d("2026-06-30")),
            Page::new(1, 12),
        )
        .await
        .unwrap();
    for (i, h) in listed.items.iter().enumerate() {
        let clue = if i % 3 == 0 {
            "2026-06-29"
        } else {
            "2026-06-01"
        };
        let opened = Event::Opened(Opening {
            kind: CaseKind::Identification,
            channel: Channel::CadreVisit,
            clue_date: d(clue),
            summary: "排查发现".into(),
            risk_hint: None,
            green_channel: false,
            rollback: false,
            conditions: vec![],
        });
        db.open_case(
            h.id,
            &h.household.region,
            &opened,
            &stamp(clue, "2026-06-26T10:00:00+08:00"),
        )
        .await
        .unwrap();
    }

    // Problems answered for at the county itself, at a township and at a village.
    let village = listed.items[0].household.region;
    let township = village.ancestor(RegionLevel::Township).unwrap();
    let at_county = rectify::record(
        &app,
        &machine,
        facts("县级问题", county),
        Some(assignment(county, "2026-06-20")),
        "test",
    )
    .await;
    // The deadline lies before today (30 June): refused; assigned with a later one.
    assert!(at_county.is_err());
    rectify::record(
        &app,
        &machine,
        facts("县级问题", county),
        Some(assignment(county, "2026-07-31")),
        "test",
    )
    .await
    .unwrap();
    rectify::record(
        &app,
        &machine,
        facts("乡镇问题", township),
        Some(assignment(township, "2026-07-31")),
        "test",
    )
    .await
    .unwrap();
    rectify::record(
        &app,
        &machine,
        facts("村级问题", village),
        Some(assignment(village, "2026-07-31")),
        "test",
    )
    .await
    .unwrap();
    rectify::record(&app, &machine, facts("待交办", village), None, "test")
        .await
        .unwrap();

    let county_b = bulletin::bulletin(&app, &machine, county, "2026-06")
        .await
        .unwrap();
    assert_eq!(county_b.as_of, d("2026-06-30"));
    let t = county_b.total;
    assert_eq!(t.households, 300);
    assert!(t.quality_findings > 0 && t.quality_households > 0, "{t:?}");
    assert_eq!(t.open_identifications, 12);
    assert_eq!(t.overdue_identifications, 8);
    assert_eq!(t.problems, 4);
    // The county's own row holds the county-level problem and the one not yet assigned (it
    // stays with the level that filed it).
    let own = county_b.rows.last().unwrap();
    assert!(own.own_level);
    assert_eq!(own.counts.problems, 2);
    assert_eq!(own.counts.households, 0);
    assert_eq!(sum_rows(&county_b), t, "county rows = county total");

    // The city's row of the county is the county's total.
    let city_b = bulletin::bulletin(&app, &machine, city, "2026-06")
        .await
        .unwrap();
    let county_row = city_b.rows.iter().find(|r| r.region == county).unwrap();
    assert_eq!(county_row.counts, t, "city row = county total");
    assert_eq!(sum_rows(&city_b), city_b.total);

    // Each township's bulletin (its villages, ranked) adds up to its row in the county's.
    let mut seen = 0;
    for row in county_b.rows.iter().filter(|r| !r.own_level) {
        if row.counts == Counts::default() {
            continue;
        }
        seen += 1;
        let tb = bulletin::bulletin(&app, &machine, row.region, "2026-06")
            .await
            .unwrap();
        assert_eq!(tb.total, row.counts, "township {}", row.region);
        assert_eq!(sum_rows(&tb), tb.total, "township {}", row.region);
    }
    assert!(seen >= 2, "{seen} townships with data");

    // Ranks: 1 is best, the overall rank is a competition rank over the rows.
    let ranked: Vec<u32> = county_b
        .rows
        .iter()
        .filter(|r| !r.own_level)
        .map(|r| r.rank)
        .collect();
    assert_eq!(ranked[0], 1);
    assert!(ranked.windows(2).all(|w| w[0] <= w[1]));

    // The sheet has one row per sub-region, the own level and the total.
    let sheet = bulletin::sheet(&county_b);
    assert_eq!(sheet.rows.len(), county_b.rows.len() + 1);
    assert!(sheet.to_xlsx().unwrap().starts_with(b"PK"));

    // A township reviewer may not read another township's bulletin, nor the county's.
    let reviewer = Principal {
        user: Some(uplift_app::store::UserId(1)),
        name: "t".into(),
        role: Some(uplift_domain::access::Role::TownshipReviewer),
        region: Some(township),
        department: None,
    };
    assert!(
        bulletin::bulletin(&app, &reviewer, county, "2026-06")
            .await
            .is_err()
    );
    assert!(
        bulletin::bulletin(&app, &reviewer, township, "2026-06")
            .await
            .is_ok()
    );
    assert!(
        bulletin::bulletin(&app, &machine, county, "2026-13")
            .await
            .is_err()
    );
}
contract!(a_townships_bulletin_adds_up_to_its_county);
