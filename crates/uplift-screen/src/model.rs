//! The engine's input: a registry snapshot and feed records.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::NaiveDate;
use uplift_domain::household::{Labour, Relation};
use uplift_domain::income::Money;
use uplift_domain::policy::HousingGrade;

/// A fast, non-cryptographic hasher for the engine's own keys (ID numbers, household numbers,
/// indexes): the keys come from the registry and feeds, never from an adversary choosing
/// collisions against a long-lived server table, and SipHash dominated the screening profile.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        // A final avalanche so that the high bits (hashbrown's control bytes) depend on all input.
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z ^ (z >> 33)
    }
}

impl FastHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// An 18-character resident ID number as a fixed key (ASCII bytes, `X` upper-cased).
pub type IdKey = [u8; 18];

/// The key of an ID number, when it has 18 characters; other numbers (20/22 characters for people
/// without an ID) are matched through [`Registry::add_person`]'s key too, truncated never: they
/// simply do not match an 18-byte key and count as unmatched feed rows.
pub fn id_key(s: &str) -> Option<IdKey> {
    let b = s.trim().as_bytes();
    if b.len() != 18 {
        return None;
    }
    let mut k = [0u8; 18];
    for (dst, src) in k.iter_mut().zip(b) {
        *dst = src.to_ascii_uppercase();
    }
    Some(k)
}

/// A 12-digit village code as a number.
pub fn region_key(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The stable codes of the rules the engine knows (policy/README.md `[[rules]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleCode {
    IncomeBelowLine,
    EdgeBandWithRisk,
    IncomeDrop,
    MedicalPerStay,
    Medical12Months,
    MedicalShareOfIncome,
    SevereDisabilityNew,
    SchoolDropout,
    HousingUnsafe,
    WaterInterruption,
    DisasterLoss,
    MainWorkerDeath,
    MainWorkerUnemployed,
    NewSubsistence,
}

impl RuleCode {
    pub const ALL: [RuleCode; 14] = [
        RuleCode::IncomeBelowLine,
        RuleCode::EdgeBandWithRisk,
        RuleCode::IncomeDrop,
        RuleCode::MedicalPerStay,
        RuleCode::Medical12Months,
        RuleCode::MedicalShareOfIncome,
        RuleCode::SevereDisabilityNew,
        RuleCode::SchoolDropout,
        RuleCode::HousingUnsafe,
        RuleCode::WaterInterruption,
        RuleCode::DisasterLoss,
        RuleCode::MainWorkerDeath,
        RuleCode::MainWorkerUnemployed,
        RuleCode::NewSubsistence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleCode::IncomeBelowLine => "INCOME_BELOW_LINE",
            RuleCode::EdgeBandWithRisk => "EDGE_BAND_WITH_RISK",
            RuleCode::IncomeDrop => "INCOME_DROP",
            RuleCode::MedicalPerStay => "MEDICAL_PER_STAY",
            RuleCode::Medical12Months => "MEDICAL_12_MONTHS",
            RuleCode::MedicalShareOfIncome => "MEDICAL_SHARE_OF_INCOME",
            RuleCode::SevereDisabilityNew => "SEVERE_DISABILITY_NEW",
            RuleCode::SchoolDropout => "SCHOOL_DROPOUT",
            RuleCode::HousingUnsafe => "HOUSING_UNSAFE",
            RuleCode::WaterInterruption => "WATER_INTERRUPTION",
            RuleCode::DisasterLoss => "DISASTER_LOSS",
            RuleCode::MainWorkerDeath => "MAIN_WORKER_DEATH",
            RuleCode::MainWorkerUnemployed => "MAIN_WORKER_UNEMPLOYED",
            RuleCode::NewSubsistence => "NEW_SUBSISTENCE",
        }
    }

    pub fn parse(s: &str) -> Option<RuleCode> {
        RuleCode::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The department feeds of formats.md §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedKind {
    Medical,
    CivilAffairs,
    Disability,
    Education,
    Employment,
    Housing,
    Water,
    Disaster,
    CivilRegistry,
    Assets,
}

impl FeedKind {
    pub const ALL: [FeedKind; 10] = [
        FeedKind::Medical,
        FeedKind::CivilAffairs,
        FeedKind::Disability,
        FeedKind::Education,
        FeedKind::Employment,
        FeedKind::Housing,
        FeedKind::Water,
        FeedKind::Disaster,
        FeedKind::CivilRegistry,
        FeedKind::Assets,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FeedKind::Medical => "medical",
            FeedKind::CivilAffairs => "civil_affairs",
            FeedKind::Disability => "disability",
            FeedKind::Education => "education",
            FeedKind::Employment => "employment",
            FeedKind::Housing => "housing",
            FeedKind::Water => "water",
            FeedKind::Disaster => "disaster",
            FeedKind::CivilRegistry => "civil_registry",
            FeedKind::Assets => "assets",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            FeedKind::Medical => "医保结算",
            FeedKind::CivilAffairs => "民政救助",
            FeedKind::Disability => "残联",
            FeedKind::Education => "教育",
            FeedKind::Employment => "人社",
            FeedKind::Housing => "住建",
            FeedKind::Water => "水利",
            FeedKind::Disaster => "应急",
            FeedKind::CivilRegistry => "公安",
            FeedKind::Assets => "资产比对",
        }
    }

    pub fn parse(s: &str) -> Option<FeedKind> {
        FeedKind::ALL
            .into_iter()
            .find(|k| k.key() == s || k.zh() == s)
    }
}

/// Where a feed record came from: the feed, the stored batch and the row in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Evidence {
    pub feed: FeedKind,
    pub batch: i64,
    pub row: u64,
}

/// Whom a feed row names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Person(IdKey),
    Household(String),
    Region(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssistanceKind {
    Subsistence,
    ExtremePoverty,
    NearSubsistence,
    Temporary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EducationStatus {
    Enrolled,
    DroppedOut,
    Suspended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmploymentEvent {
    Unemployed,
    MigrantWork,
    Returned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CivilEvent {
    Death,
    MovedOut,
    MovedIn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    Vehicle,
    CommercialHousing,
    Business,
    PublicPayroll,
}

/// The typed content of one feed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedData {
    Medical {
        settled: NaiveDate,
        total: Money,
        out_of_pocket: Money,
        admitted: Option<NaiveDate>,
    },
    CivilAffairs {
        kind: AssistanceKind,
        start: NaiveDate,
        end: Option<NaiveDate>,
    },
    Disability {
        grade: u8,
        issued: NaiveDate,
    },
    Education {
        status: EducationStatus,
        date: NaiveDate,
    },
    Employment {
        event: EmploymentEvent,
        start: NaiveDate,
        end: Option<NaiveDate>,
    },
    Housing {
        grade: HousingGrade,
        appraised: NaiveDate,
    },
    Water {
        start: NaiveDate,
        end: NaiveDate,
    },
    Disaster {
        /// A risk-type code of domain.md §4.1 (`0201` flood …).
        disaster_type: String,
        loss: Money,
        date: NaiveDate,
    },
    CivilRegistry {
        event: CivilEvent,
        date: NaiveDate,
    },
    Asset {
        kind: AssetKind,
        date: NaiveDate,
    },
}

/// One feed row as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRecord {
    pub evidence: Evidence,
    /// The sending system's key (记录编号); a later copy replaces an earlier one.
    pub record_id: Option<String>,
    /// 记录状态 = 冲销: cancels the record with the same `record_id`.
    pub reversal: bool,
    pub target: Target,
    pub data: FeedData,
}

/// One income record's figures, as the engine needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncomeFacts {
    pub period_end: NaiveDate,
    /// Household net income under the pack's out-of-pocket rule.
    pub net: Money,
}

/// A household of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdFacts {
    /// The caller's key for the household (the store's id).
    pub key: i64,
    pub household_no: String,
    pub region: u64,
    /// 脱贫户: judged with the monitored per-stay medical threshold.
    pub formerly_poor: bool,
    /// Active members.
    pub members: u32,
    /// Income records, in any order.
    pub incomes: Vec<IncomeFacts>,
}

/// A member of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    pub id: IdKey,
    pub household: u32,
    /// The registry's disability grade, if recorded as disabled.
    pub disability_grade: Option<u8>,
    /// The rank under the pack's main-worker rule ([`worker_rank`]); none for a non-worker.
    pub worker_rank: Option<(u8, u8, NaiveDate)>,
}

/// The main-worker rank (`skill-relation-age`, policy/README.md): lower is more the main worker.
/// None for a member who is not able to work (weak, lost or no labour).
pub fn worker_rank(
    labour: Labour,
    relation: Relation,
    birth: Option<NaiveDate>,
) -> Option<(u8, u8, NaiveDate)> {
    let skill = match labour {
        Labour::Skilled => 0,
        Labour::Ordinary => 1,
        _ => return None,
    };
    let rel = match relation {
        Relation::Head => 0,
        Relation::Spouse => 1,
        _ => 2,
    };
    Some((skill, rel, birth.unwrap_or(NaiveDate::MAX)))
}

/// The registry as of the reference date: households, members and lookups.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    pub households: Vec<HouseholdFacts>,
    pub persons: Vec<PersonFacts>,
    by_id: FastMap<IdKey, u32>,
    by_no: FastMap<String, u32>,
    by_region: FastMap<u64, Vec<u32>>,
    main_worker: Vec<Option<u32>>,
}

impl Registry {
    pub fn with_capacity(households: usize, persons: usize) -> Registry {
        Registry {
            households: Vec::with_capacity(households),
            persons: Vec::with_capacity(persons),
            by_id: FastMap::with_capacity_and_hasher(persons, Default::default()),
            by_no: FastMap::with_capacity_and_hasher(households, Default::default()),
            by_region: FastMap::default(),
            main_worker: Vec::with_capacity(households),
        }
    }

    /// Adds a household and gives its index.
    pub fn add_household(&mut self, h: HouseholdFacts) -> u32 {
        let idx = self.households.len() as u32;
        self.by_no.insert(h.household_no.clone(), idx);
        self.by_region.entry(h.region).or_default().push(idx);
        self.households.push(h);
        self.main_worker.push(None);
        idx
    }

    /// Adds a member of household `p.household`. A second person with the same ID replaces the
    /// first in the lookup (the caller passes the registry as of one date, so that is a data error
    /// reported elsewhere).
    pub fn add_person(&mut self, p: PersonFacts) {
        let idx = self.persons.len() as u32;
        let h = p.household as usize;
        if let Some(rank) = p.worker_rank {
            let better = match self.main_worker[h] {
                None => true,
                Some(cur) => {
                    let c = &self.persons[cur as usize];
                    (rank, p.id) < (c.worker_rank.unwrap_or(rank), c.id)
                }
            };
            if better {
                self.main_worker[h] = Some(idx);
            }
        }
        self.by_id.insert(p.id, idx);
        self.persons.push(p);
    }

    pub fn person(&self, id: &IdKey) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    pub fn household_by_no(&self, no: &str) -> Option<u32> {
        self.by_no.get(no.trim()).copied()
    }

    pub fn village(&self, code: u64) -> &[u32] {
        self.by_region.get(&code).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The household's main worker (person index), under the pack's rule.
    pub fn main_worker(&self, household: u32) -> Option<u32> {
        self.main_worker[household as usize]
    }

    /// The households a target names (a village names all of its households).
    pub fn households_of(&self, target: &Target) -> Vec<u32> {
        match target {
            Target::Person(id) => self
                .person(id)
                .map(|p| vec![self.persons[p as usize].household])
                .unwrap_or_default(),
            Target::Household(no) => self.household_by_no(no).into_iter().collect(),
            Target::Region(code) => self.village(*code).to_vec(),
        }
    }

    /// Whether the target names anybody in the registry.
    pub fn matches(&self, target: &Target) -> bool {
        match target {
            Target::Person(id) => self.by_id.contains_key(id),
            Target::Household(no) => self.by_no.contains_key(no.trim()),
            Target::Region(code) => self.by_region.contains_key(code),
        }
    }
}
