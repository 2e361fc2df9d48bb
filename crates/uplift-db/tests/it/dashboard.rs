//! Contract: dashboard tallies. A township's numbers add up to its county's, the income bands
//! agree with the domain's per-capita rule, the list's band filter finds the households behind a
//! band, and an `as_of` replays the dashboard.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use uplift_app::App;
use uplift_app::dashboard::{self, BandFilter, BandRule, Figure, IncomeBand};
use uplift_app::store::{Clock, HouseholdFilter, Page, Scope, Store};
use uplift_db::Db;
use uplift_domain::household::HouseholdType;
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_domain::version::ReadAt;

use crate::contract;
use crate::support::{d, stamp, t};

struct FixedClock(DateTime<FixedOffset>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0
    }
}

const COUNTY: &str = "431026";

pub(crate) async fn synth_app(db: &Db, households: u32) -> App {
    let (_, text) = uplift_app::regions::SHIPPED
        .iter()
        .find(|(c, _)| *c == "4310")
        .unwrap();
    let regions = uplift_app::regions::parse_region_csv("4310.csv", text).unwrap();
    db.save_regions(&regions).await.unwrap();
    let app = App::new(
        Arc::new(db.clone()),
        Arc::new(FixedClock(t("2026-06-30T10:00:00+08:00"))),
        uplift_app::policy::shipped().unwrap(),
    );
    let county = RegionCode::parse(COUNTY).unwrap();
    let villages: Vec<_> = regions
        .iter()
        .filter(|r| county.contains(&r.code) && r.level() == RegionLevel::Village)
        .cloned()
        .collect();
    let pack = app.policy.in_force(&county, d("2026-06-30")).unwrap();
    let config = uplift_app::synth::SynthConfig {
        county,
        households,
        seed: 7,
        today: d("2026-06-30"),
        monitoring_line: pack.monitoring_line,
        with_errors: true,
    };
    let synth = uplift_app::synth::generate(&config, &villages).unwrap();
    uplift_app::synth::write(&app, &synth, "test", &mut |_, _| {})
        .await
        .unwrap();
    app
}

fn now() -> ReadAt {
    ReadAt {
        as_of: d("2026-06-30"),
        known_at: None,
    }
}

fn sum(children: &[(uplift_domain::region::Region, Vec<Figure>)]) -> Vec<Figure> {
    let mut total = Vec::new();
    for (_, figures) in children {
        dashboard::merge(&mut total, figures);
    }
    total
}

/// Compares two sets of figures cell by cell.
fn assert_same(a: &[Figure], b: &[Figure], what: &str) {
    for fa in a {
        let fb = b
            .iter()
            .find(|f| f.id == fa.id)
            .unwrap_or_else(|| panic!("{what}: {}", fa.id));
        for c in &fa.cells {
            let other = fb
                .cell(&c.key)
                .map(|x| (x.value, x.households))
                .unwrap_or((0, 0));
            assert_eq!(
                (c.value, c.households),
                other,
                "{what}: {} {}",
                fa.id,
                c.key
            );
        }
        for c in &fb.cells {
            assert!(
                fa.cell(&c.key).is_some() || c.value == 0,
                "{what}: {} {}",
                fa.id,
                c.key
            );
        }
    }
}

fn value(figures: &[Figure], id: &str, key: &str) -> i64 {
    figures
        .iter()
        .find(|f| f.id == id)
        .and_then(|f| f.cell(key))
        .map(|c| c.value)
        .unwrap_or(0)
}

async fn townships_add_up_to_their_county(db: Db) {
    let app = synth_app(&db, 400).await;
    let county = RegionCode::parse(COUNTY).unwrap();
    let dash = dashboard::registry_dashboard(&app, &county, &Scope::Everything, now())
        .await
        .unwrap();
    let households = dash.figures.iter().find(|f| f.id == "households").unwrap();
    assert_eq!(households.total(), 400);
    assert!(value(&dash.figures, "persons", "formerly_poor") > 0);
    assert!(dash.children.len() > 5, "townships of the county");
    assert_same(
        &dash.figures,
        &sum(&dash.children),
        "county = sum of townships",
    );
    // Each township's own dashboard is the county's row of it, and the sum of its villages.
    let mut seen = 0;
    for (township, row) in &dash.children {
        if row.iter().find(|f| f.id == "households").unwrap().total() == 0 {
            continue;
        }
        seen += 1;
        let own = dashboard::registry_dashboard(&app, &township.code, &Scope::Everything, now())
            .await
            .unwrap();
        assert_same(&own.figures, row, "township page = county row");
        assert_same(
            &own.figures,
            &sum(&own.children),
            "township = sum of villages",
        );
        if seen == 1 {
            // And one level down: a village's page is the township's row of it.
            let (village, vrow) = own
                .children
                .iter()
                .find(|(_, f)| f.iter().any(|x| x.id == "households" && x.total() > 0))
                .unwrap();
            let vdash =
                dashboard::registry_dashboard(&app, &village.code, &Scope::Everything, now())
                    .await
                    .unwrap();
            assert!(vdash.children.is_empty());
            assert_same(&vdash.figures, vrow, "village page = township row");
        }
    }
    assert!(seen > 1);
    // The city sums its counties (only one holds households here).
    let city = RegionCode::parse("4310").unwrap();
    let cdash = dashboard::registry_dashboard(&app, &city, &Scope::Everything, now())
        .await
        .unwrap();
    assert_same(&cdash.figures, &dash.figures, "city = its one county");
    // A scope narrows the figures to the region it allows.
    let (township, row) = dash
        .children
        .iter()
        .find(|(_, f)| f.iter().any(|x| x.id == "households" && x.total() > 0))
        .unwrap();
    let scoped = dashboard::registry_dashboard(&app, &county, &Scope::Region(township.code), now())
        .await
        .unwrap();
    assert_same(
        &scoped.figures,
        row,
        "a township's scope sees its township only",
    );
}
contract!(townships_add_up_to_their_county);

async fn bands_follow_the_per_capita_rule(db: Db) {
    let app = synth_app(&db, 150).await;
    let county = RegionCode::parse(COUNTY).unwrap();
    let pack = app
        .policy
        .in_force(&county, d("2026-06-30"))
        .unwrap()
        .clone();
    let dash = dashboard::registry_dashboard(&app, &county, &Scope::Everything, now())
        .await
        .unwrap();
    // Recompute each household's band from the domain's own income rule.
    let list = app
        .store
        .list_households(&HouseholdFilter::everything(), now(), Page::new(1, 500))
        .await
        .unwrap();
    assert_eq!(list.total, 150);
    let mut expected = std::collections::BTreeMap::new();
    let mut formerly_poor_net = std::collections::BTreeMap::new();
    for s in &list.items {
        let detail = app
            .store
            .household(s.id, &Scope::Everything, now())
            .await
            .unwrap()
            .unwrap();
        let members = detail
            .members
            .iter()
            .filter(|m| m.person.value.is_active())
            .count() as u32;
        let latest = detail
            .incomes
            .iter()
            .max_by_key(|i| (i.income.value.period_end, i.income.value.period_start));
        let band =
            match latest.and_then(|i| i.income.value.per_capita_net(members, pack.out_of_pocket)) {
                None => IncomeBand::NoRecord,
                Some(pc) if pc < pack.monitoring_line => IncomeBand::BelowLine,
                Some(pc) if pc < pack.monitoring_line.scale(3, 2) => IncomeBand::NearLine,
                Some(_) => IncomeBand::AboveNear,
            };
        *expected.entry(band).or_insert(0i64) += 1;
        if s.household.household_type == HouseholdType::FormerlyPoor && members > 0 {
            for i in &detail.incomes {
                let year = i.income.value.period_end.format("%Y").to_string();
                *formerly_poor_net.entry(year).or_insert(0i64) +=
                    i.income.value.net(pack.out_of_pocket).fen();
            }
        }
    }
    for band in IncomeBand::ALL {
        let got = value(&dash.figures, "income_bands", band.code());
        assert_eq!(got, expected.get(&band).copied().unwrap_or(0), "{band:?}");
        // The list's band filter finds exactly the households behind the cell.
        let filter = HouseholdFilter {
            income_band: Some(BandFilter {
                band,
                rule: BandRule::of(&pack),
            }),
            region: Some(county),
            ..HouseholdFilter::everything()
        };
        let listed = app
            .store
            .list_households(&filter, now(), Page::new(1, 10))
            .await
            .unwrap();
        assert_eq!(listed.total as i64, got, "list band {band:?}");
    }
    assert!(expected.len() >= 2, "a spread of bands: {expected:?}");
    for (year, net) in &formerly_poor_net {
        assert_eq!(value(&dash.figures, "income_net_fen", year), *net, "{year}");
    }
}
contract!(bands_follow_the_per_capita_rule);

async fn as_of_replays_the_dashboard(db: Db) {
    let app = synth_app(&db, 60).await;
    let county = RegionCode::parse(COUNTY).unwrap();
    let list = app
        .store
        .list_households(
            &HouseholdFilter {
                household_type: Some(HouseholdType::Ordinary),
                ..HouseholdFilter::everything()
            },
            now(),
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
    let at = |as_of: &str, known_at: Option<&str>| ReadAt {
        as_of: d(as_of),
        known_at: known_at.map(t),
    };
    let fp = |dash: &dashboard::Dashboard| value(&dash.figures, "households", "formerly_poor");
    let before =
        dashboard::registry_dashboard(&app, &county, &Scope::Everything, at("2026-04-30", None))
            .await
            .unwrap();
    let after =
        dashboard::registry_dashboard(&app, &county, &Scope::Everything, at("2026-05-01", None))
            .await
            .unwrap();
    let unknown = dashboard::registry_dashboard(
        &app,
        &county,
        &Scope::Everything,
        at("2026-05-01", Some("2026-06-30T12:00:00+08:00")),
    )
    .await
    .unwrap();
    assert_eq!(fp(&after), fp(&before) + 1);
    assert_eq!(fp(&unknown), fp(&before));
    assert_eq!(
        value(&after.figures, "households", "ordinary"),
        value(&before.figures, "households", "ordinary") - 1
    );
    // Before any policy pack was in force there is no line to measure against: said, not guessed.
    let err =
        dashboard::registry_dashboard(&app, &county, &Scope::Everything, at("2000-01-01", None))
            .await
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no policy pack in force for 431026000000 on 2000-01-01"
    );
}
contract!(as_of_replays_the_dashboard);
