//! The streaming path (`uplift_screen::stream`, what `uplift bench screen` runs) gives the same
//! (household, rule) warnings and the same count of unmatched rows as the general engine
//! (`uplift_screen::screen`, what `uplift screen` runs), on random registries and feed rows with
//! resent and reversed records, persons who moved, unknown targets, and dates on every window's
//! edge. And screening the rows in one batch gives what screening them in k incremental batches
//! gives, through the general engine's incremental path.

use std::collections::{BTreeMap, HashSet};

use chrono::{Days, NaiveDate};
use uplift_domain::household::{Labour, Relation};
use uplift_domain::income::Money;
use uplift_domain::policy::{HousingGrade, PolicyPack};
use uplift_screen::stream::{screen_flat, screen_flat_sharded};
use uplift_screen::{
    AssetKind, AssistanceKind, CivilEvent, EducationStatus, EmploymentEvent, Evidence, FeedData,
    FeedKind, FeedRecord, HouseholdFacts, IncomeFacts, PersonFacts, Registry, RuleCode, Target,
    id_key, screen, screen_households, worker_rank,
};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
}

fn pack() -> &'static PolicyPack {
    static PACK: std::sync::OnceLock<PolicyPack> = std::sync::OnceLock::new();
    PACK.get_or_init(|| {
        let book = uplift_app::policy::shipped().unwrap();
        let region = uplift_domain::region::RegionCode::parse("431026103201").unwrap();
        book.in_force(&region, as_of()).unwrap().clone()
    })
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A date near the reference date: on a window's edge often, anywhere in two years otherwise.
fn near(g: &mut Rng, pack: &PolicyPack) -> NaiveDate {
    let a = as_of();
    let s = &pack.screening;
    let edges = [
        a,
        a + Days::new(1),
        a - Days::new(u64::from(s.new_event_days)),
        a - Days::new(u64::from(s.new_event_days) - 1),
        a.checked_sub_months(chrono::Months::new(u32::from(s.medical_lookback_months)))
            .unwrap(),
        a - Days::new(364),
        a - Days::new(365),
    ];
    if g.chance(40) {
        edges[g.below(edges.len() as u64) as usize]
    } else {
        a - Days::new(g.below(730)) + Days::new(30)
    }
}

fn id_of(n: u64) -> String {
    if n == 7 {
        // Not 17 digits and a check character: interned, not packed.
        return "A3102619800101007X".into();
    }
    let id17 = format!("43102619{:02}0101{:03}", 50 + n % 40, n);
    format!("{id17}{}", uplift_domain::resident_id::check_char(&id17))
}

fn household_no(i: u64) -> String {
    format!("4310261032010{i:03}")
}

const VILLAGES: [u64; 3] = [431026103201, 431026103202, 431026103299];

fn case(seed: u64, pack: &PolicyPack) -> (Registry, Vec<FeedRecord>) {
    let mut g = Rng(seed);
    let mut reg = Registry::default();
    let households = 1 + g.below(12);
    let line = pack.monitoring_line.fen();
    let mut person = 0u64;
    for i in 0..households {
        let members = 1 + g.below(4) as u32;
        let mut incomes = Vec::new();
        for _ in 0..g.below(4) {
            let year = 2024 + g.below(3) as i32;
            let per_capita = line / 2 + g.below(line as u64 * 2) as i64;
            incomes.push(IncomeFacts {
                period_end: NaiveDate::from_ymd_opt(year, 12, 31).unwrap(),
                net: Money::from_fen(per_capita * i64::from(members)),
            });
        }
        let h = reg.add_household(HouseholdFacts {
            key: i as i64,
            household_no: household_no(i),
            region: VILLAGES[g.below(2) as usize],
            formerly_poor: g.chance(30),
            members,
            incomes,
        });
        for m in 0..members {
            // A person now and then appears twice (moved): the later entry wins the lookup.
            let n = if person > 0 && g.chance(5) {
                g.below(person)
            } else {
                person += 1;
                person - 1
            };
            let labour = [Labour::Skilled, Labour::Ordinary, Labour::Weak][g.below(3) as usize];
            let relation = [Relation::Head, Relation::Spouse, Relation::Other][m.min(2) as usize];
            let id = id_key(&id_of(n)).unwrap();
            reg.add_person(PersonFacts {
                id,
                household: h,
                disability_grade: g.chance(20).then(|| 1 + g.below(4) as u8),
                worker_rank: worker_rank(
                    labour,
                    relation,
                    NaiveDate::from_ymd_opt(1950 + g.below(3) as i32, 1, 1),
                ),
            });
        }
    }
    let mut records = Vec::new();
    let rows = g.below(80);
    let mut row = [1u64; 5];
    for _ in 0..rows {
        let feed = FeedKind::ALL[g.below(FeedKind::ALL.len() as u64) as usize];
        let batch = 1 + g.below(4) as i64;
        row[batch as usize] += 1;
        let date = near(&mut g, pack);
        let end = g.chance(50).then(|| near(&mut g, pack));
        let mut target = Target::Person(id_key(&id_of(g.below(person + 3))).unwrap());
        if g.chance(15) {
            target = Target::Household(household_no(g.below(households + 2)));
        } else if g.chance(10) {
            target = Target::Region(VILLAGES[g.below(3) as usize]);
        }
        let data = match feed {
            FeedKind::Medical => FeedData::Medical {
                settled: date,
                total: Money::from_yuan(100),
                out_of_pocket: Money::from_fen(g.below(3_000_000) as i64),
                admitted: None,
            },
            FeedKind::CivilAffairs => FeedData::CivilAffairs {
                kind: [
                    AssistanceKind::Subsistence,
                    AssistanceKind::ExtremePoverty,
                    AssistanceKind::NearSubsistence,
                    AssistanceKind::Temporary,
                ][g.below(4) as usize],
                start: date,
                end,
            },
            FeedKind::Disability => FeedData::Disability {
                grade: 1 + g.below(4) as u8,
                issued: date,
            },
            FeedKind::Education => FeedData::Education {
                status: [
                    EducationStatus::Enrolled,
                    EducationStatus::DroppedOut,
                    EducationStatus::Suspended,
                ][g.below(3) as usize],
                date,
            },
            FeedKind::Employment => FeedData::Employment {
                event: [
                    EmploymentEvent::Unemployed,
                    EmploymentEvent::MigrantWork,
                    EmploymentEvent::Returned,
                ][g.below(3) as usize],
                start: date,
                end,
            },
            FeedKind::Housing => FeedData::Housing {
                grade: [
                    HousingGrade::parse("A").unwrap(),
                    HousingGrade::parse("B").unwrap(),
                    HousingGrade::parse("C").unwrap(),
                    HousingGrade::parse("D").unwrap(),
                ][g.below(4) as usize],
                appraised: date,
            },
            FeedKind::Water => FeedData::Water {
                start: date,
                end: date + Days::new(g.below(90)),
            },
            FeedKind::Disaster => FeedData::Disaster {
                disaster_type: "0201".into(),
                loss: Money::from_fen(g.below(5_000_000) as i64),
                date,
            },
            FeedKind::CivilRegistry => FeedData::CivilRegistry {
                event: [CivilEvent::Death, CivilEvent::MovedOut, CivilEvent::MovedIn]
                    [g.below(3) as usize],
                date,
            },
            FeedKind::Assets => FeedData::Asset {
                kind: AssetKind::Vehicle,
                date,
            },
        };
        records.push(FeedRecord {
            evidence: Evidence {
                feed,
                batch,
                row: row[batch as usize],
            },
            // A small pool of ids per feed: resends and reversals happen often.
            record_id: g.chance(80).then(|| format!("R{}", g.below(6))),
            reversal: g.chance(15),
            target,
            data,
        });
    }
    (reg, records)
}

fn general_pairs(
    reg: &Registry,
    records: &[FeedRecord],
    pack: &PolicyPack,
) -> Vec<(u32, RuleCode)> {
    screen(reg, records, pack, as_of())
        .findings
        .iter()
        .map(|f| (f.household, f.rule))
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    #[test]
    fn streaming_gives_the_general_engines_warnings(seed in proptest::prelude::any::<u64>()) {
        let pack = pack();
        let (reg, records) = case(seed, pack);
        let general = screen(&reg, &records, pack, as_of());
        let want: Vec<(u32, RuleCode)> =
            general.findings.iter().map(|f| (f.household, f.rule)).collect();
        let (got, unmatched) = screen_flat(&reg, &records, pack, as_of());
        proptest::prop_assert_eq!(&got, &want);
        proptest::prop_assert_eq!(unmatched, general.unmatched.len() as u64);
    }

    /// The fold split in any number of shards (by `record_id`, merged at the end: what the
    /// bench's folding threads do) gives what one fold gives.
    #[test]
    fn the_sharded_fold_gives_the_same_warnings(
        seed in proptest::prelude::any::<u64>(),
        shards in 2usize..9,
    ) {
        let pack = pack();
        let (reg, records) = case(seed, pack);
        let one = screen_flat(&reg, &records, pack, as_of());
        let many = screen_flat_sharded(&reg, &records, pack, as_of(), shards);
        proptest::prop_assert_eq!(many, one);
    }

    /// One batch and k incremental batches (each re-screening the households its batch touches
    /// with every row so far) agree, and the streaming path over all rows agrees with both.
    #[test]
    fn one_batch_and_k_incremental_batches_agree(seed in proptest::prelude::any::<u64>()) {
        let pack = pack();
        let (reg, records) = case(seed, pack);
        let mut latest: BTreeMap<u32, Vec<RuleCode>> = BTreeMap::new();
        let mut so_far: Vec<FeedRecord> = Vec::new();
        for batch in 1..=4 {
            so_far.extend(records.iter().filter(|r| r.evidence.batch == batch).cloned());
            let touched: HashSet<u32> =
                uplift_screen::households_touched(&reg, &so_far, |r| r.evidence.batch == batch);
            let result = screen_households(&reg, &so_far, pack, as_of(), Some(&touched));
            for h in &touched {
                latest.insert(*h, Vec::new());
            }
            for f in result.findings {
                latest.entry(f.household).or_default().push(f.rule);
            }
        }
        // Households no batch touched are screened by a first full run (income rules).
        let full = general_pairs(&reg, &records, pack);
        let untouched: Vec<(u32, RuleCode)> =
            full.iter().copied().filter(|(h, _)| !latest.contains_key(h)).collect();
        let mut incremental: Vec<(u32, RuleCode)> = latest
            .into_iter()
            .flat_map(|(h, rules)| rules.into_iter().map(move |r| (h, r)))
            .chain(untouched)
            .collect();
        incremental.sort();
        proptest::prop_assert_eq!(&incremental, &full);
        let (streamed, _) = screen_flat(&reg, &records, pack, as_of());
        proptest::prop_assert_eq!(&streamed, &full);
    }
}

/// The random cases are rich enough: across a few hundred of them, every rule fires and some
/// rows name nobody.
#[test]
fn the_random_cases_exercise_every_rule() {
    let pack = pack();
    let mut fired = std::collections::BTreeSet::new();
    let mut unmatched = 0;
    for seed in 0..300 {
        let (reg, records) = case(seed, pack);
        let (pairs, u) = screen_flat(&reg, &records, pack, as_of());
        fired.extend(pairs.into_iter().map(|(_, r)| r));
        unmatched += u;
    }
    let missing: Vec<_> = RuleCode::ALL
        .iter()
        .filter(|r| !fired.contains(r))
        .collect();
    assert!(missing.is_empty(), "never fired: {missing:?}");
    assert!(unmatched > 0);
}
