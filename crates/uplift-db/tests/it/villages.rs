//! Contract: village profiles replay bitemporally and roll up; campaign lists built from the
//! pack's must-visit rules hold exactly the matching households; visits, findings and coverage;
//! the assessors' sample is reproducible over the store.

use std::collections::BTreeMap;

use uplift_app::access::Principal;
use uplift_app::campaigns::{self, NewCampaign, VisitInput};
use uplift_app::store::{HouseholdId, NewHousehold, Store};
use uplift_app::villages::{self, IndicatorEntry, NewReading, VillageStore};
use uplift_db::Db;
use uplift_domain::access::Role;
use uplift_domain::campaign::{CampaignScope, VisitOutcome};
use uplift_domain::household::{Health, HouseholdType, Labour, MemberStatus, Relation, Schooling};
use uplift_domain::income::{IncomeRecord, Money};
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_domain::version::{ReadAt, Versioned, resolve};
use uplift_domain::village::Reading;

use crate::contract;
use crate::support::{app, d, household, person, rucheng_regions, stamp, t, villages};

fn who(name: &str, role: Role, region: RegionCode) -> Principal {
    Principal {
        user: None,
        name: name.into(),
        role: Some(role),
        region: Some(region),
        department: None,
    }
}

fn reading(
    village: RegionCode,
    indicator: &str,
    date: &str,
    value: i64,
    base: Option<i64>,
) -> NewReading {
    NewReading {
        village,
        indicator: indicator.into(),
        date: d(date),
        reading: Reading { value, base },
        project: Some("XM-2026-001".into()),
        note: None,
    }
}

async fn village_profiles_replay_and_roll_up(db: Db) {
    let regions = rucheng_regions();
    db.save_regions(&regions).await.unwrap();
    let vs = villages(&regions);
    let (a, b) = (vs[0], *vs.last().unwrap());
    let app = app(&db);
    let county = RegionCode::parse("431026").unwrap();
    let cadre_a = who("cadre_a", Role::VillageCadre, a);
    villages::record(
        &app,
        &cadre_a,
        &[
            reading(a, "sanitary_toilet", "2025-06-30", 300, Some(400)),
            reading(a, "bus_service", "2025-06-30", 0, None),
        ],
        "test",
    )
    .await
    .unwrap();
    // A project raised coverage in 2026.
    villages::record(
        &app,
        &cadre_a,
        &[reading(a, "sanitary_toilet", "2026-05-31", 380, Some(400))],
        "test",
    )
    .await
    .unwrap();
    // Another village's cadre may not record for village a; a helper may not record at all.
    let cadre_b = who("cadre_b", Role::VillageCadre, b);
    let refused = villages::record(
        &app,
        &cadre_b,
        &[reading(a, "bus_service", "2026-05-31", 1, None)],
        "test",
    )
    .await;
    assert!(refused.is_err());
    let helper = who("helper", Role::Helper, county);
    assert!(
        villages::record(
            &app,
            &helper,
            &[reading(a, "bus_service", "2026-05-31", 1, None)],
            "test"
        )
        .await
        .is_err()
    );
    // An unknown indicator or a broken share writes nothing, not even the good reading.
    let county_officer = who("officer", Role::CountyOfficer, county);
    for bad in [
        reading(a, "toilets", "2026-06-01", 1, None),
        reading(a, "sanitary_toilet", "2026-06-01", 500, Some(400)),
    ] {
        let good = reading(b, "bus_service", "2026-06-01", 1, None);
        assert!(
            villages::record(&app, &county_officer, &[good, bad], "test")
                .await
                .is_err()
        );
    }
    assert!(db.village_indicator_history(&b).await.unwrap().is_empty());
    villages::record(
        &app,
        &county_officer,
        &[
            reading(b, "sanitary_toilet", "2026-01-31", 90, Some(100)),
            reading(b, "bus_service", "2026-01-31", 1, None),
        ],
        "test",
    )
    .await
    .unwrap();

    // The store's reads agree with the reference rule at several points of view.
    let history = db.village_indicator_history(&a).await.unwrap();
    assert_eq!(history.len(), 3);
    for as_of in [
        "2025-01-01",
        "2025-06-30",
        "2026-05-30",
        "2026-05-31",
        "2026-11-25",
    ] {
        let at = ReadAt::current(d(as_of));
        let stored = db.village_indicators(&a, at).await.unwrap();
        let mut expected: Vec<Versioned<IndicatorEntry>> = Vec::new();
        for code in ["bus_service", "sanitary_toilet"] {
            let versions: Vec<_> = history
                .iter()
                .filter(|v| v.value.indicator == code)
                .cloned()
                .collect();
            if let Some(v) = resolve(&versions, at) {
                expected.push(v.clone());
            }
        }
        assert_eq!(stored, expected, "as of {as_of}");
    }
    // Known-at before the 2026 reading was recorded hides it.
    let before = ReadAt {
        as_of: d("2026-11-25"),
        known_at: Some(t("2000-01-01T00:00:00+08:00")),
    };
    assert!(db.village_indicators(&a, before).await.unwrap().is_empty());

    // The profile marks gaps against the pack's targets.
    let profile = villages::profile(&app, &county_officer, &a, ReadAt::current(d("2026-11-25")))
        .await
        .unwrap();
    let row = |code: &str| {
        profile
            .rows
            .iter()
            .find(|r| r.indicator.code == code)
            .unwrap()
    };
    assert_eq!(row("sanitary_toilet").meets, Some(true)); // 380/400 = 95% ≥ 85%
    assert_eq!(row("bus_service").meets, Some(false));
    assert_eq!(row("broadband").reading, None);
    assert!(
        villages::profile(&app, &cadre_b, &a, ReadAt::current(d("2026-11-25")))
            .await
            .is_err()
    );

    // The roll-up: the county sums its townships, and the shares sum numerators and bases.
    let at = ReadAt::current(d("2026-11-25"));
    let rollup = villages::rollup(&app, &county_officer, &county, at)
        .await
        .unwrap();
    let idx = |code: &str| {
        rollup
            .indicators
            .iter()
            .position(|i| i.code == code)
            .unwrap()
    };
    let toilets = &rollup.totals[idx("sanitary_toilet")];
    assert_eq!((toilets.share_value, toilets.share_base), (470, 500));
    assert_eq!((toilets.met, toilets.gap), (2, 0));
    let bus = &rollup.totals[idx("bus_service")];
    assert_eq!((bus.met, bus.gap), (1, 1));
    let total_villages = vs.len() as i64;
    assert_eq!(bus.met + bus.gap + bus.unrecorded, total_villages);
    for i in 0..rollup.indicators.len() {
        let sum: i64 = rollup
            .children
            .iter()
            .map(|(_, t)| t[i].met + t[i].gap + t[i].unrecorded)
            .sum();
        let own = &rollup.totals[i];
        assert_eq!(sum, own.met + own.gap + own.unrecorded);
    }
    for (township, totals) in &rollup.children {
        let own = villages::rollup(&app, &county_officer, &township.code, at)
            .await
            .unwrap();
        assert_eq!(&own.totals, totals, "{}", township.name);
    }
    assert_eq!(rollup.gaps.len(), 1);
    assert_eq!(rollup.gaps[0].0.code, a);
    // As of 2025 village a missed the toilet target too.
    let then = villages::rollup(
        &app,
        &county_officer,
        &county,
        ReadAt::current(d("2025-12-31")),
    )
    .await
    .unwrap();
    assert_eq!(then.totals[idx("sanitary_toilet")].gap, 1);

    // The sheet exports what is stored and imports back; a bad row names row, column and field.
    let sheet = villages::export(&app, &county_officer, &a, at)
        .await
        .unwrap();
    let csv = sheet.to_csv().unwrap();
    let n = villages::import(
        &app,
        &county_officer,
        "profile.csv",
        csv,
        "import:profile.csv",
    )
    .await
    .unwrap();
    assert_eq!(n, 2);
    let bad = "村代码,指标代码,日期,数值,户数基数\n431026100201,sanitary_toilet,2026-07-01,5,4\n"
        .replace("431026100201", a.as_str());
    let err = villages::import(
        &app,
        &county_officer,
        "bad.csv",
        bad.into_bytes(),
        "import:bad.csv",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("bad.csv") && err.contains("row 2") && err.contains("column D"),
        "{err}"
    );
}
contract!(village_profiles_replay_and_roll_up);

fn inc(year: i32, wage: i64, business: i64) -> IncomeRecord {
    IncomeRecord {
        period_start: chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
        period_end: chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap(),
        wage: Money::from_yuan(wage),
        business: Money::from_yuan(business),
        property: Money::ZERO,
        transfer: Money::ZERO,
        production_costs: Money::ZERO,
        compliant_out_of_pocket: None,
    }
}

/// A hand-built registry: each household made to match (or just miss) the pack's groups.
/// Returns (household number → id) and the two villages.
async fn hand_built(db: &Db) -> (BTreeMap<String, HouseholdId>, Vec<RegionCode>) {
    let regions = rucheng_regions();
    db.save_regions(&regions).await.unwrap();
    let vs = villages(&regions);
    let (a, b) = (vs[0], *vs.last().unwrap());
    let p = |id: &str, rel: Relation, health: Health| person(id, "成员", rel, health);
    let mut batch = Vec::new();
    let mut add = |no: &str, village, t, members, incomes| {
        batch.push(NewHousehold {
            household: household(no, village, t),
            members,
            incomes,
        })
    };
    // H1: per capita 20000/3 below 150% of the line; a chronic illness: low_income + illness.
    add(
        "4310260010001",
        a,
        HouseholdType::FormerlyPoor,
        vec![
            p("43102619700301001", Relation::Head, Health::Healthy),
            p(
                "43102619720415002",
                Relation::Spouse,
                Health::ChronicIllness,
            ),
            p("43102620050606003", Relation::Son, Health::Healthy),
        ],
        vec![inc(2025, 15_000, 5_000)],
    );
    // H2: alone, ordinary labour, per capita 14000, wages 64%: nothing.
    add(
        "4310260010002",
        a,
        HouseholdType::Ordinary,
        vec![p("43102619600101004", Relation::Head, Health::Healthy)],
        vec![inc(2025, 9_000, 5_000)],
    );
    // H3: a disabled member: disabled.
    let mut disabled = p("43102619650101005", Relation::Spouse, Health::Disabled);
    disabled.disability_grade = Some(2);
    add(
        "4310260010003",
        a,
        HouseholdType::Ordinary,
        vec![
            p("43102619640101006", Relation::Head, Health::Healthy),
            disabled,
        ],
        vec![inc(2025, 20_000, 10_000)],
    );
    // H4: two members in non-compulsory schooling: many_students.
    let mut s1 = p("43102620080101007", Relation::Son, Health::Healthy);
    s1.schooling = Some(Schooling::SeniorSecondary);
    let mut s2 = p("43102620040101008", Relation::Daughter, Health::Healthy);
    s2.schooling = Some(Schooling::University);
    add(
        "4310260020001",
        b,
        HouseholdType::Ordinary,
        vec![
            p("43102619750101009", Relation::Head, Health::Healthy),
            s1,
            s2,
        ],
        vec![inc(2025, 30_000, 20_000)],
    );
    // H5: net 30000 → 15000, a fall of 50%: income_drop only.
    add(
        "4310260020002",
        b,
        HouseholdType::FormerlyPoor,
        vec![p("43102619800101010", Relation::Head, Health::Healthy)],
        vec![inc(2024, 30_000, 0), inc(2025, 10_000, 5_000)],
    );
    // H6: alone without labour, no income record: alone_no_labour.
    let mut lost = p("43102619400101011", Relation::Head, Health::Healthy);
    lost.labour = Labour::Lost;
    add(
        "4310260020003",
        b,
        HouseholdType::Ordinary,
        vec![lost],
        vec![],
    );
    // H7: the disabled member moved out; per capita 40000: nothing.
    let mut gone = p("43102619900101012", Relation::Son, Health::Disabled);
    gone.status = MemberStatus::MovedOut;
    add(
        "4310260020004",
        b,
        HouseholdType::Ordinary,
        vec![
            p("43102619600101013", Relation::Head, Health::Healthy),
            gone,
        ],
        vec![inc(2025, 20_000, 20_000)],
    );
    // H8: nobody left: on no list.
    let mut died = p("43102619300101014", Relation::Head, Health::SeriousIllness);
    died.status = MemberStatus::Died;
    add(
        "4310260020005",
        b,
        HouseholdType::FormerlyPoor,
        vec![died],
        vec![],
    );
    // H9: wages 60000 of 65000 (92%): unstable_wages.
    add(
        "4310260020006",
        b,
        HouseholdType::Ordinary,
        vec![p("43102619850101015", Relation::Head, Health::Healthy)],
        vec![inc(2025, 60_000, 5_000)],
    );
    let ids = db
        .register_households(&batch, &stamp("2021-01-01", "2021-01-05T10:00:00+08:00"))
        .await
        .unwrap();
    let map = batch
        .iter()
        .zip(ids)
        .map(|(h, id)| (h.household.household_no.as_str().to_owned(), id))
        .collect();
    (map, vec![a, b])
}

async fn campaign_lists_hold_exactly_the_matching_households(db: Db) {
    let (ids, vs) = hand_built(&db).await;
    let app = app(&db);
    let county = RegionCode::parse("431026").unwrap();
    let officer = who("officer", Role::CountyOfficer, county);
    let campaign = |scope| NewCampaign {
        county,
        name: "2026年集中排查".into(),
        scope,
        start: d("2026-11-01"),
        end: d("2026-11-30"),
    };
    // Only the county may open; a township may not.
    let township = who(
        "township",
        Role::TownshipReviewer,
        vs[0].ancestor(RegionLevel::Township).unwrap(),
    );
    assert!(
        campaigns::open(&app, &township, campaign(CampaignScope::MustVisit), "test")
            .await
            .is_err()
    );
    let (must, n) = campaigns::open(&app, &officer, campaign(CampaignScope::MustVisit), "test")
        .await
        .unwrap();
    let list = campaigns::visit_list(&app, &officer, must, None, None)
        .await
        .unwrap();
    assert_eq!(n, list.len());
    let got: BTreeMap<String, Vec<String>> = list
        .iter()
        .map(|e| (e.household_no.clone(), e.groups.clone()))
        .collect();
    let expected: BTreeMap<String, Vec<String>> = [
        ("4310260010001", vec!["low_income", "illness"]),
        ("4310260010003", vec!["disabled"]),
        ("4310260020001", vec!["many_students"]),
        ("4310260020002", vec!["income_drop"]),
        ("4310260020003", vec!["alone_no_labour"]),
        ("4310260020006", vec!["unstable_wages"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(got, expected);

    let (all, n_all) = campaigns::open(
        &app,
        &officer,
        campaign(CampaignScope::AllHouseholds),
        "test",
    )
    .await
    .unwrap();
    assert_eq!(n_all, 8, "every household with an active member");
    let all_list = campaigns::visit_list(&app, &officer, all, None, None)
        .await
        .unwrap();
    assert!(all_list.iter().all(|e| e.household_no != "4310260020005"));

    // A village cadre sees their village's part of the list only.
    let cadre_b = who("cadre_b", Role::VillageCadre, vs[1]);
    let theirs = campaigns::visit_list(&app, &cadre_b, must, None, None)
        .await
        .unwrap();
    assert_eq!(theirs.len(), 4);
    assert!(theirs.iter().all(|e| e.village == vs[1]));

    // Visits: a finding opens a case through the case use cases; coverage counts households.
    let h4 = ids["4310260020001"];
    let h5 = ids["4310260020002"];
    let h1 = ids["4310260010001"];
    let visit = |household, date: &str, outcome, note: &str, problems: &str| VisitInput {
        household,
        date: d(date),
        outcome,
        problems: problems.into(),
        note: note.into(),
        risk_hint: None,
    };
    let found = campaigns::record_visit(
        &app,
        &cadre_b,
        must,
        visit(
            h4,
            "2026-11-03",
            VisitOutcome::RiskFound,
            "两子女学费负担重",
            "",
        ),
        "test",
    )
    .await
    .unwrap();
    let case = found.case.expect("a case was opened");
    let record = app
        .store
        .case_record(case, &uplift_app::store::Scope::Everything)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.household, h4);
    campaigns::record_visit(
        &app,
        &cadre_b,
        must,
        visit(h5, "2026-11-05", VisitOutcome::NotReached, "", ""),
        "test",
    )
    .await
    .unwrap();
    campaigns::record_visit(
        &app,
        &cadre_b,
        must,
        visit(h5, "2026-11-06", VisitOutcome::NoRisk, "", "收入信息未更新"),
        "test",
    )
    .await
    .unwrap();
    // Village b's cadre cannot record for village a's household; a visit outside the period fails.
    assert!(
        campaigns::record_visit(
            &app,
            &cadre_b,
            must,
            visit(h1, "2026-11-06", VisitOutcome::NoRisk, "", ""),
            "test"
        )
        .await
        .is_err()
    );
    assert!(
        campaigns::record_visit(
            &app,
            &officer,
            must,
            visit(h1, "2026-10-06", VisitOutcome::NoRisk, "", ""),
            "test"
        )
        .await
        .is_err()
    );
    // A household not on the list (H2) is refused.
    assert!(
        campaigns::record_visit(
            &app,
            &officer,
            must,
            visit(
                ids["4310260010002"],
                "2026-11-06",
                VisitOutcome::NoRisk,
                "",
                ""
            ),
            "test"
        )
        .await
        .is_err()
    );

    let report = campaigns::report(&app, &officer, must).await.unwrap();
    assert_eq!(report.total.listed, 6);
    assert_eq!(report.total.covered, 2);
    assert_eq!(report.total.visits, 3);
    assert_eq!(report.total.findings, 1);
    assert_eq!(report.total.cases_opened, 1);
    assert_eq!(report.total.problems, 1);
    let sum: u64 = report.children.iter().map(|(_, r)| r.listed).sum();
    assert_eq!(sum, 6);
    let day = |s: &str| {
        report
            .daily
            .iter()
            .find(|(d0, _)| *d0 == d(s))
            .map(|(_, n)| *n)
    };
    assert_eq!(day("2026-11-02"), Some(0));
    assert_eq!(day("2026-11-03"), Some(1));
    assert_eq!(day("2026-11-05"), Some(1));
    assert_eq!(day("2026-11-06"), Some(2));
    assert_eq!(report.by_group["many_students"], (1, 1));
    // Another county's officer sees nothing of it.
    let other = who(
        "other",
        Role::CountyOfficer,
        RegionCode::parse("431002").unwrap(),
    );
    assert!(campaigns::report(&app, &other, must).await.is_err());
}
contract!(campaign_lists_hold_exactly_the_matching_households);

async fn samples_are_reproducible_over_the_store(db: Db) {
    let app = crate::dashboard::synth_app(&db, 600).await;
    let county = RegionCode::parse("431026").unwrap();
    let auditor = who("assessor", Role::Auditor, RegionCode::parse("43").unwrap());
    let a = uplift_app::sampling::draw(&app, &auditor, &county, 2026, d("2026-06-30"))
        .await
        .unwrap();
    let b = uplift_app::sampling::draw(&app, &auditor, &county, 2026, d("2026-06-30"))
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.villages.len(), 10);
    let drawn: u64 = a.strata.iter().map(|s| s.drawn).sum();
    assert_eq!(drawn as usize, a.households.len());
    let population: u64 = a.strata.iter().map(|s| s.population).sum();
    assert_eq!(a.households.len() as u64, population.min(300));
    let c = uplift_app::sampling::draw(&app, &auditor, &county, 7, d("2026-06-30"))
        .await
        .unwrap();
    assert_ne!(a.households, c.households);
    // A helper may not draw; a village cadre neither.
    let helper = who("helper", Role::Helper, county);
    assert!(
        uplift_app::sampling::draw(&app, &helper, &county, 1, d("2026-06-30"))
            .await
            .is_err()
    );
    let log = app.store.audit_log(None, 10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "sample_draw" && e.target.contains("seed:2026"))
    );
}
contract!(samples_are_reproducible_over_the_store);
