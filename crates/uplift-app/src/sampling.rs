//! The assessors' sample (issue 10 item 4; domain.md §10): a reproducible random draw of villages
//! and households per county, the way third-party evaluation samples (about 10 villages and 300
//! households per county, the pack's `[sampling]`).
//!
//! The draw is a pure function of the registry as of a date, the pack and a seed: villages with
//! households, ordered by code, are shuffled by a `ChaCha8Rng` seeded from the seed and the
//! county code, and the first `villages_per_county` taken; the households of those villages,
//! ordered by household number, are split into strata (the monitoring category of identified
//! households, or the household type), the total is allocated to strata in proportion to their
//! size ([`uplift_domain::campaign::allocate`]) and each stratum is shuffled by the same generator
//! in stratum order. Nothing depends on internal keys, so the same registry in another database
//! gives the same sample.

use std::collections::{BTreeMap, BTreeSet};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uplift_domain::access::Action;
use uplift_domain::campaign::{SamplingRules, Stratification, allocate};
use uplift_domain::case::MonitoringStatus;
use uplift_domain::household::{Codebook, MemberStatus};
use uplift_domain::region::{Region, RegionCode, RegionLevel};
use uplift_domain::version::ReadAt;

use crate::App;
use crate::access::{AccessDenied, AuditEvent, Principal};
use crate::campaigns::{county_registry, head_name};
use crate::cases::CaseFilter;
use crate::imports::sheet::Sheet;
use crate::store::{HouseholdId, Scope, StoreError};
use crate::villages::require_region;

#[derive(Debug, thiserror::Error)]
pub enum SampleFailure {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// One drawn household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampledHousehold {
    pub household: HouseholdId,
    pub household_no: String,
    pub village: RegionCode,
    pub head_name: Option<String>,
    pub members: u32,
    pub stratum: String,
}

/// A stratum: its size among the drawn villages' households and how many were drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stratum {
    pub key: String,
    pub population: u64,
    pub drawn: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub county: Region,
    pub seed: u64,
    pub as_of: chrono::NaiveDate,
    pub rules: SamplingRules,
    pub villages: Vec<Region>,
    pub households: Vec<SampledHousehold>,
    pub strata: Vec<Stratum>,
}

/// What the draw reads of one household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub household: HouseholdId,
    pub household_no: String,
    pub village: RegionCode,
    pub head_name: Option<String>,
    pub members: u32,
    pub stratum: String,
}

fn rng_for(seed: u64, county: &RegionCode) -> ChaCha8Rng {
    // Mix the county into the seed so one seed draws independent samples per county.
    let county_number: u64 = county.prefix().parse().unwrap_or(0);
    ChaCha8Rng::seed_from_u64(seed ^ county_number.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn shuffle<T>(rng: &mut ChaCha8Rng, items: &mut [T]) {
    // Fisher–Yates from the end; the same generator state gives the same order.
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

/// The draw itself, pure: villages (by code) and candidates (any order) in, sample out.
pub fn draw_from(
    seed: u64,
    county: &RegionCode,
    rules: &SamplingRules,
    villages: &[Region],
    candidates: &[Candidate],
) -> (Vec<Region>, Vec<Candidate>, Vec<Stratum>) {
    let mut rng = rng_for(seed, county);
    let with_households: BTreeSet<RegionCode> = candidates.iter().map(|c| c.village).collect();
    let mut pool: Vec<Region> = villages
        .iter()
        .filter(|v| with_households.contains(&v.code))
        .cloned()
        .collect();
    pool.sort_by_key(|v| v.code);
    shuffle(&mut rng, &mut pool);
    pool.truncate(rules.villages_per_county as usize);
    pool.sort_by_key(|v| v.code);
    let chosen: BTreeSet<RegionCode> = pool.iter().map(|v| v.code).collect();
    let mut strata: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    for c in candidates.iter().filter(|c| chosen.contains(&c.village)) {
        strata.entry(c.stratum.clone()).or_default().push(c.clone());
    }
    for members in strata.values_mut() {
        members.sort_by(|a, b| a.household_no.cmp(&b.household_no));
    }
    let sizes: Vec<u64> = strata.values().map(|m| m.len() as u64).collect();
    let shares = allocate(
        &sizes,
        u64::from(rules.households_per_county),
        u64::from(rules.min_per_stratum),
    );
    let mut drawn = Vec::new();
    let mut summary = Vec::new();
    for ((key, members), take) in strata.iter_mut().zip(shares) {
        shuffle(&mut rng, members);
        summary.push(Stratum {
            key: key.clone(),
            population: members.len() as u64,
            drawn: take,
        });
        drawn.extend(members.iter().take(take as usize).cloned());
    }
    drawn.sort_by(|a, b| (a.village, &a.household_no).cmp(&(b.village, &b.household_no)));
    (pool, drawn, summary)
}

/// Draws the sample of a county as of a date. The draw is written to the audit log (seed and
/// size), so an assessor's sample can be re-drawn and checked.
pub async fn draw(
    app: &App,
    by: &Principal,
    county: &RegionCode,
    seed: u64,
    as_of: chrono::NaiveDate,
) -> Result<Sample, SampleFailure> {
    by.require(Action::DrawSample)?;
    if county.level() != RegionLevel::County {
        return Err(SampleFailure::Invalid(format!(
            "a sample is drawn per county; {} is not a county code",
            county.as_str()
        )));
    }
    require_region(by, county)?;
    let region = app
        .store
        .region(county)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("county {}", county.as_str())))?;
    let pack = app.policy.in_force(county, as_of).ok_or_else(|| {
        SampleFailure::Invalid(format!(
            "no policy pack is in force for {county} on {as_of}"
        ))
    })?;
    let rules = pack.sampling.clone().ok_or_else(|| {
        SampleFailure::Invalid(format!(
            "the pack {} {} sets no [sampling]",
            pack.name_en, pack.year
        ))
    })?;
    let registry = county_registry(app, county, ReadAt::current(as_of)).await?;
    let categories: BTreeMap<HouseholdId, String> = if rules.stratify_by == Stratification::Category
    {
        let cases = app
            .store
            .list_cases(&CaseFilter {
                scope: Scope::Everything,
                region: Some(*county),
                stage: None,
                household: None,
            })
            .await?;
        let mut per_household: BTreeMap<HouseholdId, Vec<uplift_domain::case::Case>> =
            BTreeMap::new();
        for r in cases {
            if let Ok(c) = r.case() {
                per_household.entry(r.household).or_default().push(c);
            }
        }
        per_household
            .into_iter()
            .filter_map(
                |(h, cases)| match uplift_domain::case::monitoring_status(&cases) {
                    MonitoringStatus::Monitored { category, .. } => Some((h, category)),
                    MonitoringStatus::RolledBack { .. } => Some((h, "rolled_back".to_owned())),
                    _ => None,
                },
            )
            .collect()
    } else {
        BTreeMap::new()
    };
    let candidates: Vec<Candidate> = registry
        .households
        .iter()
        .filter_map(|(id, h, members, _)| {
            let active = members
                .iter()
                .filter(|p| p.status == MemberStatus::Active)
                .count() as u32;
            (active > 0).then(|| Candidate {
                household: *id,
                household_no: h.household_no.as_str().to_owned(),
                village: h.region,
                head_name: head_name(members),
                members: active,
                stratum: match rules.stratify_by {
                    Stratification::None => "all".to_owned(),
                    Stratification::HouseholdType => h.household_type.code().to_owned(),
                    Stratification::Category => categories
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| h.household_type.code().to_owned()),
                },
            })
        })
        .collect();
    let villages = crate::villages::villages_under(app, county).await?;
    let (villages, drawn, strata) = draw_from(seed, county, &rules, &villages, &candidates);
    app.store
        .record_audit(&AuditEvent {
            at: app.clock.now(),
            actor: by.name.clone(),
            action: "sample_draw".into(),
            target: format!("county:{} seed:{seed} as_of:{as_of}", county.prefix()),
            region: Some(*county),
            reason: Some(format!(
                "{} villages, {} households",
                villages.len(),
                drawn.len()
            )),
            client: None,
        })
        .await?;
    Ok(Sample {
        county: region,
        seed,
        as_of,
        rules,
        villages,
        households: drawn
            .into_iter()
            .map(|c| SampledHousehold {
                household: c.household,
                household_no: c.household_no,
                village: c.village,
                head_name: c.head_name,
                members: c.members,
                stratum: c.stratum,
            })
            .collect(),
        strata,
    })
}

/// The visit forms of a sample as a sheet: one row per household with the blank columns the
/// assessor fills in (two no-worries and three guarantees, drinking water, income, problems).
pub fn visit_forms(sample: &Sample) -> Sheet {
    let names: BTreeMap<RegionCode, &str> = sample
        .villages
        .iter()
        .map(|v| (v.code, v.name.as_str()))
        .collect();
    let rows = sample
        .households
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut row = vec![
                (i + 1).to_string(),
                sample.county.name.clone(),
                h.village.as_str().to_owned(),
                names
                    .get(&h.village)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                h.household_no.clone(),
                h.head_name.clone().unwrap_or_default(),
                h.members.to_string(),
                h.stratum.clone(),
            ];
            row.extend(std::iter::repeat_n(String::new(), FORM_BLANKS.len()));
            row
        })
        .collect();
    let mut headers: Vec<String> = [
        "序号",
        "县",
        "村代码",
        "村名称",
        "户编号",
        "户主",
        "在户人数",
        "分层",
    ]
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    headers.extend(FORM_BLANKS.iter().map(|h| (*h).to_owned()));
    Sheet {
        name: "评估抽样入户表".into(),
        headers,
        rows,
        note: Some(format!(
            "county {} seed {} as of {}",
            sample.county.code.prefix(),
            sample.seed,
            sample.as_of
        )),
    }
}

/// The columns the assessor fills in on the visit form.
pub const FORM_BLANKS: [&str; 10] = [
    "入户日期",
    "调查员",
    "不愁吃不愁穿",
    "义务教育保障",
    "基本医疗保障",
    "住房安全保障",
    "饮水安全保障",
    "家庭人均纯收入(元)",
    "发现问题",
    "农户签字",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> Region {
        Region {
            code: RegionCode::parse(code).unwrap(),
            name: code.to_owned(),
        }
    }

    fn population() -> (Vec<Region>, Vec<Candidate>) {
        let villages: Vec<Region> = (1..=30)
            .map(|v| region(&format!("431026100{v:03}")))
            .collect();
        let mut candidates = Vec::new();
        for (vi, v) in villages.iter().enumerate() {
            for h in 0..50 {
                // 10% "unstable", 20% "formerly_poor", the rest "ordinary".
                let stratum = match h % 10 {
                    0 => "unstable",
                    1 | 2 => "formerly_poor",
                    _ => "ordinary",
                };
                candidates.push(Candidate {
                    household: HouseholdId((vi * 100 + h) as i64),
                    household_no: format!("{}{h:04}", v.code.as_str()),
                    village: v.code,
                    head_name: None,
                    members: 3,
                    stratum: stratum.to_owned(),
                });
            }
        }
        (villages, candidates)
    }

    fn rules(min: u32) -> SamplingRules {
        SamplingRules {
            villages_per_county: 10,
            households_per_county: 300,
            stratify_by: Stratification::Category,
            min_per_stratum: min,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_sample_and_another_seed_another() {
        let (villages, candidates) = population();
        let county = RegionCode::parse("431026").unwrap();
        let a = draw_from(42, &county, &rules(0), &villages, &candidates);
        let b = draw_from(42, &county, &rules(0), &villages, &candidates);
        assert_eq!(a, b);
        // Input order does not matter.
        let mut reversed = candidates.clone();
        reversed.reverse();
        let c = draw_from(42, &county, &rules(0), &villages, &reversed);
        assert_eq!(a.1, c.1);
        let d = draw_from(43, &county, &rules(0), &villages, &candidates);
        assert_ne!(a.0, d.0);
        assert_eq!(a.0.len(), 10);
        assert_eq!(a.1.len(), 300);
        // Households come only from the drawn villages.
        let chosen: BTreeSet<RegionCode> = a.0.iter().map(|v| v.code).collect();
        assert!(a.1.iter().all(|h| chosen.contains(&h.village)));
        let distinct: BTreeSet<&str> = a.1.iter().map(|h| h.household_no.as_str()).collect();
        assert_eq!(distinct.len(), 300);
    }

    #[test]
    fn strata_are_drawn_in_proportion() {
        let (villages, candidates) = population();
        let county = RegionCode::parse("431026").unwrap();
        let (_, drawn, strata) = draw_from(7, &county, &rules(0), &villages, &candidates);
        let count = |s: &str| drawn.iter().filter(|h| h.stratum == s).count();
        // 500 households in the 10 villages: 50 unstable, 100 formerly poor, 350 ordinary; 300
        // drawn is 60%: 30, 60, 210.
        assert_eq!(count("unstable"), 30);
        assert_eq!(count("formerly_poor"), 60);
        assert_eq!(count("ordinary"), 210);
        let unstable = strata.iter().find(|s| s.key == "unstable").unwrap();
        assert_eq!((unstable.population, unstable.drawn), (50, 30));
    }

    #[test]
    fn a_small_stratum_keeps_its_minimum() {
        let (villages, mut candidates) = population();
        // Only 4 "sudden" households in the county, spread over every village.
        for (i, c) in candidates.iter_mut().enumerate() {
            if i % 375 == 5 {
                c.stratum = "sudden".into();
            }
        }
        let county = RegionCode::parse("431026").unwrap();
        let rules = SamplingRules {
            villages_per_county: 30,
            ..rules(10)
        };
        let (_, drawn, _) = draw_from(1, &county, &rules, &villages, &candidates);
        assert_eq!(drawn.len(), 300);
        assert_eq!(drawn.iter().filter(|h| h.stratum == "sudden").count(), 4);
    }
}
