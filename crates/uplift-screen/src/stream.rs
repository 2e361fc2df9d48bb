//! The streaming path of the engine: the same rules as [`crate::screen`], decided per (household,
//! rule) over flat arrays, with feed rows folded in one at a time and never kept.
//!
//! Memory is the registry's (flat per-person and per-household arrays, two open-addressing key
//! tables) plus, per feed, one 8-byte key per distinct `record_id` (exact de-duplication: the
//! latest copy of a record wins, a reversal cancels it). Feed rows arrive **latest first** within
//! each feed (by batch, then row, descending), so the first copy of a `record_id` the tally sees is
//! the live one and every later-seen copy is dropped without undoing anything.
//!
//! Keys are `u64`s: an 18-character resident ID of 17 digits and a check character packs into one
//! exactly ([`pack_id`]), a code (household number, `record_id`) of up to 12 characters `0-9A-Z`
//! or of 13–18 digits packs exactly too ([`pack_code`]); anything else is interned ([`Interner`]),
//! so two keys are equal exactly when the texts are.
//!
//! The parity with [`crate::screen`] on the (household, rule) set is a property test
//! (`uplift-app/tests/stream_parity.rs`) and the bench's `--check-general`.

use std::sync::Mutex;

use chrono::{Days, Months, NaiveDate};
use uplift_domain::income::Money;
use uplift_domain::policy::{HousingGrade, PolicyPack};

use crate::model::{
    AssistanceKind, CivilEvent, EducationStatus, EmploymentEvent, FastMap, FeedData, FeedKind,
    FeedRecord, Registry, RuleCode, Target,
};

/// Interned keys have the top bit set; packed keys never do.
const INTERNED: u64 = 1 << 63;
/// An empty slot of a key table: never a packed key nor a plausible interned one.
const EMPTY: u64 = u64::MAX;

/// An 18-character resident ID of 17 digits and a check character (`0-9`, `X`) as a number.
pub fn pack_id(id: &[u8; 18]) -> Option<u64> {
    let mut v: u64 = 0;
    for &c in &id[..17] {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    let check = match id[17] {
        c @ b'0'..=b'9' => c - b'0',
        b'X' => 10,
        _ => return None,
    };
    Some(v * 11 + u64::from(check))
}

/// The number of codes of 1 to 12 characters in bijective base 36: the first tier of [`pack_code`].
const TIER1: u64 = {
    let mut sum = 0u64;
    let mut p = 1u64;
    let mut l = 0;
    while l < 12 {
        p *= 36;
        sum += p;
        l += 1;
    }
    sum + 1
};

fn digit36(c: u8) -> Option<u64> {
    match c {
        b'0'..=b'9' => Some(u64::from(c - b'0') + 1),
        b'A'..=b'Z' => Some(u64::from(c - b'A') + 11),
        _ => None,
    }
}

/// A code as a number, exactly (distinct texts give distinct numbers): up to 12 characters of
/// `0-9A-Z` in bijective base 36, or 13 to 18 digits in bijective base 10 above those.
pub fn pack_code(b: &[u8]) -> Option<u64> {
    if b.len() <= 12 {
        let mut v = 0u64;
        for &c in b {
            v = v * 36 + digit36(c)?;
        }
        return Some(v);
    }
    if b.len() <= 18 {
        let mut v = 0u64;
        for &c in b {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u64::from(c - b'0') + 1;
        }
        return Some(TIER1 + v);
    }
    None
}

fn unpack_code(k: u64) -> String {
    let (mut v, base, digits): (u64, u64, &[u8]) = if k < TIER1 {
        (k, 36, b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    } else {
        (k - TIER1, 10, b"0123456789")
    };
    let mut out = Vec::new();
    while v > 0 {
        v -= 1;
        out.push(digits[(v % base) as usize]);
        v /= base;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Keys for texts that do not pack: each distinct text gets the next number (top bit set).
/// Shared by reader threads; rare by construction, so one lock is enough.
#[derive(Default)]
pub struct Interner {
    inner: Mutex<Interned>,
}

/// The interned texts: by text, and by number.
type Interned = (FastMap<Box<[u8]>, u64>, Vec<Box<[u8]>>);

impl Interner {
    fn intern(&self, b: &[u8]) -> u64 {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&k) = g.0.get(b) {
            return k;
        }
        let k = INTERNED | g.1.len() as u64;
        g.0.insert(b.into(), k);
        g.1.push(b.into());
        k
    }

    fn find(&self, b: &[u8]) -> Option<u64> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0.get(b).copied()
    }

    /// The key of a resident ID (upper-cased, 18 bytes), interning it when it does not pack.
    pub fn id(&self, id: &[u8; 18]) -> u64 {
        pack_id(id).unwrap_or_else(|| self.intern(id))
    }

    /// The key of a resident ID if it can name anybody: packed, or interned before.
    pub fn find_id(&self, id: &[u8; 18]) -> Option<u64> {
        pack_id(id).or_else(|| self.find(id))
    }

    /// The key of a code (household number, record id), interning it when it does not pack.
    pub fn code(&self, b: &[u8]) -> u64 {
        pack_code(b).unwrap_or_else(|| self.intern(b))
    }

    /// The key of a code if it can name anything: packed, or interned before.
    pub fn find_code(&self, b: &[u8]) -> Option<u64> {
        pack_code(b).or_else(|| self.find(b))
    }

    /// The text of a code's key.
    pub fn code_text(&self, k: u64) -> String {
        if k & INTERNED == 0 {
            return unpack_code(k);
        }
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.1.get((k & !INTERNED) as usize)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }
}

#[inline]
fn mix(k: u64) -> u64 {
    let mut z = k ^ (k >> 31);
    z = z.wrapping_mul(0x7fb5_d329_728e_a185);
    z ^= z >> 27;
    z = z.wrapping_mul(0x81da_def4_bc2d_d44d);
    z ^ (z >> 33)
}

#[inline]
fn home(k: u64, cap: usize) -> usize {
    ((u128::from(mix(k)) * cap as u128) >> 64) as usize
}

/// An open-addressing map from a key to a `u32` (linear probing, any capacity).
#[derive(Debug, Clone)]
pub struct KeyMap {
    keys: Vec<u64>,
    vals: Vec<u32>,
    len: usize,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::with_capacity(0)
    }
}

impl KeyMap {
    pub fn with_capacity(n: usize) -> KeyMap {
        let cap = (n + n / 2).max(16);
        KeyMap {
            keys: vec![EMPTY; cap],
            vals: vec![0; cap],
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Inserts or replaces.
    pub fn insert(&mut self, k: u64, v: u32) {
        if (self.len + 1) * 10 > self.keys.len() * 8 {
            self.grow();
        }
        let cap = self.keys.len();
        let mut i = home(k, cap);
        loop {
            let s = self.keys[i];
            if s == k {
                self.vals[i] = v;
                return;
            }
            if s == EMPTY {
                self.keys[i] = k;
                self.vals[i] = v;
                self.len += 1;
                return;
            }
            i += 1;
            if i == cap {
                i = 0;
            }
        }
    }

    #[inline]
    pub fn get(&self, k: u64) -> Option<u32> {
        let cap = self.keys.len();
        let mut i = home(k, cap);
        loop {
            let s = self.keys[i];
            if s == k {
                return Some(self.vals[i]);
            }
            if s == EMPTY {
                return None;
            }
            i += 1;
            if i == cap {
                i = 0;
            }
        }
    }

    /// Touches the key's home slot, so that a later [`KeyMap::get`] finds it in cache.
    #[inline]
    pub fn touch(&self, k: u64) -> u64 {
        self.keys[home(k, self.keys.len())]
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, KeyMap::with_capacity(self.keys.len().max(16) * 2));
        for (k, v) in old.keys.into_iter().zip(old.vals) {
            if k != EMPTY {
                self.insert(k, v);
            }
        }
    }
}

/// An open-addressing set of keys (the `record_id`s seen), sized up front and grown when full.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<u64>,
    len: usize,
}

impl KeySet {
    pub fn with_capacity(n: usize) -> KeySet {
        KeySet {
            keys: vec![EMPTY; (n + n / 3).max(16)],
            len: 0,
        }
    }

    /// Whether the key was new.
    #[inline]
    pub fn insert(&mut self, k: u64) -> bool {
        if (self.len + 1) * 10 > self.keys.len() * 8 {
            let old = std::mem::replace(self, KeySet::with_capacity(self.keys.len() * 2));
            for k in old.keys.into_iter().filter(|&k| k != EMPTY) {
                self.insert(k);
            }
        }
        let cap = self.keys.len();
        let mut i = home(k, cap);
        loop {
            let s = self.keys[i];
            if s == k {
                return false;
            }
            if s == EMPTY {
                self.keys[i] = k;
                self.len += 1;
                return true;
            }
            i += 1;
            if i == cap {
                i = 0;
            }
        }
    }

    #[inline]
    pub fn touch(&self, k: u64) -> u64 {
        self.keys[home(k, self.keys.len())]
    }
}

const NONE32: u32 = u32::MAX;

/// One income record kept per household: the period's end (days) and the net income in fen.
#[derive(Debug, Clone, Copy)]
struct Income {
    end: i32,
    net: i64,
}

const NO_INCOME: Income = Income {
    end: i32::MIN,
    net: 0,
};

fn days(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce()
}

/// The main-worker rank as one number (lower is more the main worker), see [`crate::worker_rank`].
fn rank_key(rank: (u8, u8, NaiveDate)) -> u64 {
    (u64::from(rank.0) << 40)
        | (u64::from(rank.1) << 32)
        | u64::from((i64::from(days(rank.2)) + (1i64 << 31)) as u32)
}

/// The registry, flat: what [`crate::Registry`] holds, as arrays indexed by person and household.
#[derive(Debug, Default)]
pub struct FlatRegistry {
    persons: KeyMap,
    person_household: Vec<u32>,
    /// Disability grade, `u16::MAX` when none is recorded.
    person_grade: Vec<u16>,
    by_no: KeyMap,
    household_no: Vec<u64>,
    region: Vec<u64>,
    formerly_poor: Vec<bool>,
    members: Vec<u32>,
    main_worker: Vec<u32>,
    main_rank: Vec<(u64, [u8; 18])>,
    incomes: Incomes,
    by_village: FastMap<u64, Vec<u32>>,
}

/// The latest two income records per household that end on or before the reference date, ties
/// to the later record (what a stable sort by period end leaves last).
#[derive(Debug, Default)]
pub struct Incomes {
    current: Vec<Income>,
    previous: Vec<Income>,
    as_of: i32,
}

impl Incomes {
    /// An income record of household `h`.
    pub fn add(&mut self, h: u32, period_end: NaiveDate, net: i64) {
        let end = days(period_end);
        if end > self.as_of {
            return;
        }
        let hi = h as usize;
        let rec = Income { end, net };
        if end >= self.current[hi].end {
            self.previous[hi] = self.current[hi];
            self.current[hi] = rec;
        } else if end >= self.previous[hi].end {
            self.previous[hi] = rec;
        }
    }
}

impl FlatRegistry {
    /// An empty registry whose income records count when they end on or before `as_of`.
    pub fn new(as_of: NaiveDate, households: usize, persons: usize) -> FlatRegistry {
        FlatRegistry {
            persons: KeyMap::with_capacity(persons),
            person_household: Vec::with_capacity(persons),
            person_grade: Vec::with_capacity(persons),
            by_no: KeyMap::with_capacity(households),
            household_no: Vec::with_capacity(households),
            region: Vec::with_capacity(households),
            formerly_poor: Vec::with_capacity(households),
            members: Vec::with_capacity(households),
            main_worker: Vec::with_capacity(households),
            main_rank: Vec::with_capacity(households),
            incomes: Incomes {
                current: Vec::with_capacity(households),
                previous: Vec::with_capacity(households),
                as_of: days(as_of),
            },
            by_village: FastMap::default(),
        }
    }

    pub fn households(&self) -> usize {
        self.household_no.len()
    }

    pub fn persons(&self) -> usize {
        self.person_household.len()
    }

    /// The household with this number's key.
    #[inline]
    pub fn household_by_no(&self, no: u64) -> Option<u32> {
        self.by_no.get(no)
    }

    /// The person with this ID's key.
    #[inline]
    pub fn person(&self, id: u64) -> Option<u32> {
        self.persons.get(id)
    }

    /// Touches the person's slot (a prefetch for [`FlatRegistry::person`]).
    #[inline]
    pub fn touch_person(&self, id: u64) -> u64 {
        self.persons.touch(id)
    }

    pub fn household_of(&self, person: u32) -> u32 {
        self.person_household[person as usize]
    }

    pub fn household_key(&self, h: u32) -> u64 {
        self.household_no[h as usize]
    }

    pub fn has_village(&self, code: u64) -> bool {
        self.by_village.contains_key(&code)
    }

    /// Adds a household (with no members yet) and gives its index.
    pub fn add_household(&mut self, no: u64, region: u64, formerly_poor: bool) -> u32 {
        let h = self.household_no.len() as u32;
        self.by_no.insert(no, h);
        self.household_no.push(no);
        self.region.push(region);
        self.formerly_poor.push(formerly_poor);
        self.members.push(0);
        self.main_worker.push(NONE32);
        self.main_rank.push((u64::MAX, [0xFF; 18]));
        self.incomes.current.push(NO_INCOME);
        self.incomes.previous.push(NO_INCOME);
        self.by_village.entry(region).or_default().push(h);
        h
    }

    /// Counts a member of the household (with or without a matchable ID).
    pub fn add_member(&mut self, h: u32) {
        self.members[h as usize] += 1;
    }

    /// Adds a person with a matchable ID to household `h`; a second person with the same ID
    /// replaces the first in the lookup, as in [`crate::Registry::add_person`].
    pub fn add_person(
        &mut self,
        h: u32,
        key: u64,
        id: &[u8; 18],
        grade: Option<u8>,
        rank: Option<(u8, u8, NaiveDate)>,
    ) {
        let p = self.person_household.len() as u32;
        if let Some(rank) = rank {
            let r = (rank_key(rank), *id);
            let hi = h as usize;
            if self.main_worker[hi] == NONE32 || r < self.main_rank[hi] {
                self.main_worker[hi] = p;
                self.main_rank[hi] = r;
            }
        }
        self.persons.insert(key, p);
        self.person_household.push(h);
        self.person_grade.push(grade.map_or(u16::MAX, u16::from));
    }

    /// An income record of household `h`; kept when it ends on or before the reference date.
    /// The latest two are kept, ties to the later record (a stable sort by period end).
    pub fn add_income(&mut self, h: u32, period_end: NaiveDate, net: i64) {
        self.incomes.add(h, period_end, net);
    }

    /// Lends the income records out, so that readers can look households up while one thread
    /// adds records; give them back with [`FlatRegistry::set_incomes`].
    pub fn take_incomes(&mut self) -> Incomes {
        std::mem::take(&mut self.incomes)
    }

    pub fn set_incomes(&mut self, incomes: Incomes) {
        self.incomes = incomes;
    }

    /// Frees what only loading needed.
    pub fn finish_loading(&mut self) {
        debug_assert!(
            FeedKind::ALL
                .iter()
                .enumerate()
                .all(|(i, &k)| k as usize == i)
        );
        self.main_rank = Vec::new();
    }

    fn grade(&self, p: u32) -> Option<u8> {
        u8::try_from(self.person_grade[p as usize]).ok()
    }
}

/// Whom a feed row names, resolved against the [`FlatRegistry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// A person, with their household (resolved by whoever makes the row, so that the fold
    /// does not chase it).
    Person(u32, u32),
    Household(u32),
    Village(u64),
    /// Names nobody in the registry.
    Nobody,
}

/// The part of a feed row the rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Medical {
        settled: NaiveDate,
        out_of_pocket: i64,
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
        loss: i64,
        date: NaiveDate,
    },
    CivilRegistry {
        event: CivilEvent,
        date: NaiveDate,
    },
    Asset {
        date: NaiveDate,
    },
}

/// One feed row for [`Tally::offer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub feed: FeedKind,
    /// `(batch << 40) | row`: the order of copies (the evidence order of [`crate::Evidence`]).
    pub position: u64,
    /// The key of the `record_id`, if any.
    pub record: Option<u64>,
    pub reversal: bool,
    pub who: Who,
    pub event: Event,
}

impl Offer {
    pub fn position(batch: i64, row: u64) -> u64 {
        ((batch as u64) << 40) | (row & ((1 << 40) - 1))
    }
}

const F_DISABILITY: u16 = 1;
const F_DEATH: u16 = 2;
const F_UNEMPLOYED: u16 = 4;
const F_ASSISTANCE: u16 = 8;
const F_DISASTER: u16 = 16;
const F_ASSET: u16 = 32;

/// The running state of a streaming screen: per-household sums and flags, the latest education
/// record per person and housing appraisal per household, and the `record_id`s seen per feed.
pub struct Tally<'r> {
    registry: &'r FlatRegistry,
    as_of: NaiveDate,
    lookback_start: NaiveDate,
    new_start: NaiveDate,
    year_first: NaiveDate,
    severe_max_grade: u8,
    seen: Vec<Option<KeySet>>,
    /// Per household, the out-of-pocket sum and the largest single amount in the lookback:
    /// side by side, so that a medical row touches one cache line.
    medical: Vec<[i64; 2]>,
    flags: Vec<u16>,
    water_days: FastMap<u32, i64>,
    village_water: FastMap<u64, i64>,
    disaster_sum: FastMap<u32, i64>,
    education: FastMap<u32, (NaiveDate, u64, EducationStatus)>,
    housing: FastMap<u32, (NaiveDate, u64, HousingGrade)>,
    /// Live feed rows that name nobody in the registry.
    pub unmatched: u64,
    /// Live feed rows offered (after de-duplication).
    pub live: u64,
}

impl<'r> Tally<'r> {
    pub fn new(registry: &'r FlatRegistry, pack: &PolicyPack, as_of: NaiveDate) -> Tally<'r> {
        let s = &pack.screening;
        let n = registry.households();
        Tally {
            registry,
            as_of,
            lookback_start: as_of
                .checked_sub_months(Months::new(u32::from(s.medical_lookback_months)))
                .unwrap_or(NaiveDate::MIN),
            new_start: as_of
                .checked_sub_days(Days::new(u64::from(s.new_event_days)))
                .unwrap_or(NaiveDate::MIN),
            year_first: as_of
                .checked_sub_days(Days::new(364))
                .unwrap_or(NaiveDate::MIN),
            severe_max_grade: s.severe_disability_max_grade,
            seen: (0..FeedKind::ALL.len()).map(|_| None).collect(),
            medical: vec![[0; 2]; n],
            flags: vec![0; n],
            water_days: FastMap::default(),
            village_water: FastMap::default(),
            disaster_sum: FastMap::default(),
            education: FastMap::default(),
            housing: FastMap::default(),
            unmatched: 0,
            live: 0,
        }
    }

    /// The feed's place in [`FeedKind::ALL`] (its declaration order).
    #[inline]
    fn feed_index(kind: FeedKind) -> usize {
        kind as usize
    }

    /// Sizes the set of `record_id`s of a feed for about `rows` rows (optional: it grows).
    pub fn expect(&mut self, kind: FeedKind, rows: usize) {
        let slot = &mut self.seen[Self::feed_index(kind)];
        if slot.is_none() {
            *slot = Some(KeySet::with_capacity(rows));
        }
    }

    /// Frees the set of `record_id`s of a feed whose rows have all been offered.
    pub fn done_with(&mut self, kind: FeedKind) {
        self.seen[Self::feed_index(kind)] = Some(KeySet::with_capacity(0));
    }

    /// Touches the memory [`Tally::offer`] will read for this row (a prefetch).
    #[inline]
    pub fn touch(&self, o: &Offer) -> u64 {
        let mut t = 0;
        if let (Some(k), Some(Some(set))) = (o.record, self.seen.get(Self::feed_index(o.feed))) {
            t ^= set.touch(k);
        }
        if let Who::Person(_, h) | Who::Household(h) = o.who {
            t ^= self.medical[h as usize][0] as u64;
        }
        t
    }

    /// Folds one feed row in. Within a feed, rows must come latest first (by batch, then row,
    /// descending): the first copy of a `record_id` seen is the live one.
    #[inline]
    pub fn offer(&mut self, o: &Offer) {
        if let Some(k) = o.record {
            let set = self.seen[Self::feed_index(o.feed)]
                .get_or_insert_with(|| KeySet::with_capacity(1024));
            if !set.insert(k) {
                return;
            }
        }
        if o.reversal {
            return;
        }
        self.live += 1;
        let reg = self.registry;
        let (person, one, village): (Option<u32>, u32, Option<u64>) = match o.who {
            Who::Person(p, h) => (Some(p), h, None),
            Who::Household(h) => (None, h, None),
            Who::Village(code) => {
                if !reg.has_village(code) {
                    self.unmatched += 1;
                    return;
                }
                (None, NONE32, Some(code))
            }
            Who::Nobody => {
                self.unmatched += 1;
                return;
            }
        };
        if let (Some(code), Event::Water { start, end }) = (village, o.event) {
            let from = start.max(self.year_first);
            let to = end.min(self.as_of);
            if to >= from {
                *self.village_water.entry(code).or_default() += (to - from).num_days() + 1;
            }
            return;
        }
        match village {
            None => self.apply(person, one, o),
            Some(code) => {
                let hs = reg.by_village.get(&code).map(Vec::as_slice).unwrap_or(&[]);
                for &h in hs {
                    self.apply(None, h, o);
                }
            }
        }
    }

    #[inline]
    fn apply(&mut self, person: Option<u32>, h: u32, o: &Offer) {
        let hi = h as usize;
        let as_of = self.as_of;
        let in_lookback = |d: NaiveDate| d > self.lookback_start && d <= as_of;
        let is_new = |d: NaiveDate| d > self.new_start && d <= as_of;
        let main = |p: Option<u32>| p.is_some_and(|p| self.registry.main_worker[hi] == p);
        match o.event {
            Event::Medical {
                settled,
                out_of_pocket,
            } => {
                if in_lookback(settled) {
                    let m = &mut self.medical[hi];
                    m[0] += out_of_pocket;
                    m[1] = m[1].max(out_of_pocket);
                }
            }
            Event::Disability { grade, issued } => {
                let known = person
                    .and_then(|p| self.registry.grade(p))
                    .is_some_and(|g| g <= grade);
                if grade <= self.severe_max_grade && is_new(issued) && !known {
                    self.flags[hi] |= F_DISABILITY;
                }
            }
            Event::Education { status, date } => {
                if let Some(p) = person
                    && date <= as_of
                {
                    let e = self
                        .education
                        .entry(p)
                        .or_insert((NaiveDate::MIN, 0, status));
                    if (e.0, e.1) < (date, o.position) {
                        *e = (date, o.position, status);
                    }
                }
            }
            Event::Housing { grade, appraised } => {
                if appraised <= as_of {
                    let e = self.housing.entry(h).or_insert((NaiveDate::MIN, 0, grade));
                    if (e.0, e.1) < (appraised, o.position) {
                        *e = (appraised, o.position, grade);
                    }
                }
            }
            Event::Water { start, end } => {
                let from = start.max(self.year_first);
                let to = end.min(as_of);
                if to >= from {
                    *self.water_days.entry(h).or_default() += (to - from).num_days() + 1;
                }
            }
            Event::Disaster { loss, date } => {
                if in_lookback(date) {
                    *self.disaster_sum.entry(h).or_default() += loss;
                    self.flags[hi] |= F_DISASTER;
                }
            }
            Event::CivilRegistry { event, date } => {
                if event == CivilEvent::Death && is_new(date) && main(person) {
                    self.flags[hi] |= F_DEATH;
                }
            }
            Event::Employment { event, start, end } => {
                if event == EmploymentEvent::Unemployed
                    && start <= as_of
                    && end.is_none_or(|e| e > as_of)
                    && main(person)
                {
                    self.flags[hi] |= F_UNEMPLOYED;
                }
            }
            Event::CivilAffairs { kind, start, end } => {
                if matches!(
                    kind,
                    AssistanceKind::Subsistence | AssistanceKind::ExtremePoverty
                ) && is_new(start)
                    && end.is_none_or(|e| e > as_of)
                {
                    self.flags[hi] |= F_ASSISTANCE;
                }
            }
            Event::Asset { date } => {
                if date <= as_of {
                    self.flags[hi] |= F_ASSET;
                }
            }
        }
    }

    /// The shard that folds a row when the fold is split in `shards` [`Tally`]s: by its
    /// `record_id`, so that every copy of a record meets the same de-duplication set (rows
    /// without one need none: by their position).
    #[inline]
    pub fn shard_of(o: &Offer, shards: usize) -> usize {
        if shards <= 1 {
            return 0;
        }
        let k = o.record.unwrap_or(o.position ^ ((o.feed as u64) << 56));
        ((u128::from(mix(k ^ 0x9e37_79b9_7f4a_7c15)) * shards as u128) >> 64) as usize
    }

    /// Adds another shard's tally into this one. Every shard saw the rows of its own
    /// `record_id`s latest first, so each de-duplicated exactly; what is left to combine is
    /// order-free: sums add, maxima and flags combine, the latest education record and
    /// housing appraisal win by (date, position).
    pub fn merge(&mut self, other: Tally<'_>) {
        for (a, b) in self.medical.iter_mut().zip(&other.medical) {
            a[0] += b[0];
            a[1] = a[1].max(b[1]);
        }
        for (a, b) in self.flags.iter_mut().zip(&other.flags) {
            *a |= *b;
        }
        for (h, d) in other.water_days {
            *self.water_days.entry(h).or_default() += d;
        }
        for (v, d) in other.village_water {
            *self.village_water.entry(v).or_default() += d;
        }
        for (h, l) in other.disaster_sum {
            *self.disaster_sum.entry(h).or_default() += l;
        }
        for (p, e) in other.education {
            let mine = self.education.entry(p).or_insert(e);
            if (mine.0, mine.1) < (e.0, e.1) {
                *mine = e;
            }
        }
        for (h, e) in other.housing {
            let mine = self.housing.entry(h).or_insert(e);
            if (mine.0, mine.1) < (e.0, e.1) {
                *mine = e;
            }
        }
        self.unmatched += other.unmatched;
        self.live += other.live;
    }

    /// The (household, rule) warnings, sorted by household then rule: the pairs of the
    /// findings [`crate::screen`] gives on the same registry and feed rows.
    pub fn finish(self, pack: &PolicyPack) -> Vec<(u32, RuleCode)> {
        let s = &pack.screening;
        let reg = self.registry;
        let mut enabled = [false; RuleCode::ALL.len()];
        for (i, code) in RuleCode::ALL.iter().enumerate() {
            enabled[i] = pack
                .rules
                .iter()
                .any(|r| r.enabled && r.code == code.as_str());
        }
        let on = |r: RuleCode| enabled[r as usize];
        let line = pack.monitoring_line.fen();
        let edge = pack.edge_band_line().fen();
        let drop_pct = i64::from(s.income_drop_percent);
        let med_pct = i64::from(s.medical_percent_of_household_income);
        let dis_pct = i64::from(s.disaster_loss_percent_of_income);
        let focus = s.medical_focus_total.fen();
        let (stay_poor, stay_other) = (
            s.medical_per_stay_monitored.fen(),
            s.medical_per_stay_other.fen(),
        );
        let mut dropout = vec![false; reg.households()];
        for (&p, &(d, _, status)) in &self.education {
            if status == EducationStatus::DroppedOut && d > self.new_start && d <= self.as_of {
                dropout[reg.household_of(p) as usize] = true;
            }
        }
        let mut out = Vec::new();
        let mut hits: Vec<RuleCode> = Vec::with_capacity(16);
        for (hi, &dropped_out) in dropout.iter().enumerate() {
            hits.clear();
            let h = hi as u32;
            let fire = |r: RuleCode, hits: &mut Vec<RuleCode>| {
                if on(r) {
                    hits.push(r);
                }
            };
            let cur = reg.incomes.current[hi];
            let prev = reg.incomes.previous[hi];
            let annual = (cur.end != i32::MIN).then_some(cur.net);
            let per_capita = annual
                .and_then(|net| Money::from_fen(net).per_capita(reg.members[hi]))
                .map(Money::fen);
            if per_capita.is_some_and(|pc| pc < line) {
                fire(RuleCode::IncomeBelowLine, &mut hits);
            }
            if let Some(c) = annual
                && prev.end != i32::MIN
            {
                let p = prev.net;
                if p > 0 && (p - c) * 100 > drop_pct * p {
                    fire(RuleCode::IncomeDrop, &mut hits);
                }
            }
            let per_stay = if reg.formerly_poor[hi] {
                stay_poor
            } else {
                stay_other
            };
            let [sum, max] = self.medical[hi];
            if max > 0 && max > per_stay {
                fire(RuleCode::MedicalPerStay, &mut hits);
            }
            if sum > focus {
                fire(RuleCode::Medical12Months, &mut hits);
            }
            if let Some(net) = annual
                && sum > 0
                && sum * 100 > med_pct * net.max(0)
            {
                fire(RuleCode::MedicalShareOfIncome, &mut hits);
            }
            let flags = self.flags[hi];
            if flags & F_DISABILITY != 0 {
                fire(RuleCode::SevereDisabilityNew, &mut hits);
            }
            if dropped_out {
                fire(RuleCode::SchoolDropout, &mut hits);
            }
            if let Some((_, _, grade)) = self.housing.get(&h)
                && s.housing_unsafe_grades.contains(grade)
            {
                fire(RuleCode::HousingUnsafe, &mut hits);
            }
            let water = self.water_days.get(&h).copied().unwrap_or(0)
                + self
                    .village_water
                    .get(&reg.region[hi])
                    .copied()
                    .unwrap_or(0);
            if water > i64::from(s.water_interruption_days) {
                fire(RuleCode::WaterInterruption, &mut hits);
            }
            if flags & F_DISASTER != 0 {
                let loss = self.disaster_sum.get(&h).copied().unwrap_or(0);
                let by_amount = loss > s.disaster_loss_min.fen();
                let by_share = annual.is_some_and(|net| loss * 100 > dis_pct * net.max(0));
                if by_amount || by_share {
                    fire(RuleCode::DisasterLoss, &mut hits);
                }
            }
            if flags & F_DEATH != 0 {
                fire(RuleCode::MainWorkerDeath, &mut hits);
            }
            if flags & F_UNEMPLOYED != 0 {
                fire(RuleCode::MainWorkerUnemployed, &mut hits);
            }
            if flags & F_ASSISTANCE != 0 {
                fire(RuleCode::NewSubsistence, &mut hits);
            }
            if let Some(pc) = per_capita
                && pc >= line
                && pc < edge
                && hits.iter().any(|&r| r != RuleCode::IncomeDrop)
            {
                fire(RuleCode::EdgeBandWithRisk, &mut hits);
            }
            hits.sort_unstable();
            out.extend(hits.iter().map(|&r| (h, r)));
        }
        out
    }
}

/// The streaming path over the general engine's inputs: the (household, rule) pairs and the
/// count of live rows naming nobody. Household indexes are the [`Registry`]'s. What
/// [`crate::screen`] gives on the same inputs, by construction of both and by the parity tests.
pub fn screen_flat(
    registry: &Registry,
    records: &[FeedRecord],
    pack: &PolicyPack,
    as_of: NaiveDate,
) -> (Vec<(u32, RuleCode)>, u64) {
    screen_flat_sharded(registry, records, pack, as_of, 1)
}

/// [`screen_flat`] with the fold split in `shards` tallies ([`Tally::shard_of`]) merged at the
/// end, as the bench's folding threads do: the result does not depend on `shards`.
pub fn screen_flat_sharded(
    registry: &Registry,
    records: &[FeedRecord],
    pack: &PolicyPack,
    as_of: NaiveDate,
    shards: usize,
) -> (Vec<(u32, RuleCode)>, u64) {
    let shards = shards.max(1);
    let keys = Interner::default();
    let mut flat = FlatRegistry::new(as_of, registry.households.len(), registry.persons.len());
    for h in &registry.households {
        let i = flat.add_household(
            keys.code(h.household_no.as_bytes()),
            h.region,
            h.formerly_poor,
        );
        for _ in 0..h.members {
            flat.add_member(i);
        }
        for inc in &h.incomes {
            flat.add_income(i, inc.period_end, inc.net.fen());
        }
    }
    for p in &registry.persons {
        flat.add_person(
            p.household,
            keys.id(&p.id),
            &p.id,
            p.disability_grade,
            p.worker_rank,
        );
    }
    flat.finish_loading();
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| {
        let e = records[i].evidence;
        (e.feed, std::cmp::Reverse((e.batch, e.row)))
    });
    let mut tallies: Vec<Tally> = (0..shards)
        .map(|_| Tally::new(&flat, pack, as_of))
        .collect();
    for i in order {
        let r = &records[i];
        let who = match &r.target {
            Target::Person(id) => keys
                .find_id(id)
                .and_then(|k| flat.person(k))
                .map_or(Who::Nobody, |p| Who::Person(p, flat.household_of(p))),
            Target::Household(no) => keys
                .find_code(no.trim().as_bytes())
                .and_then(|k| flat.household_by_no(k))
                .map_or(Who::Nobody, Who::Household),
            Target::Region(code) => Who::Village(*code),
        };
        let event = match &r.data {
            FeedData::Medical {
                settled,
                out_of_pocket,
                ..
            } => Event::Medical {
                settled: *settled,
                out_of_pocket: out_of_pocket.fen(),
            },
            FeedData::CivilAffairs { kind, start, end } => Event::CivilAffairs {
                kind: *kind,
                start: *start,
                end: *end,
            },
            FeedData::Disability { grade, issued } => Event::Disability {
                grade: *grade,
                issued: *issued,
            },
            FeedData::Education { status, date } => Event::Education {
                status: *status,
                date: *date,
            },
            FeedData::Employment { event, start, end } => Event::Employment {
                event: *event,
                start: *start,
                end: *end,
            },
            FeedData::Housing { grade, appraised } => Event::Housing {
                grade: *grade,
                appraised: *appraised,
            },
            FeedData::Water { start, end } => Event::Water {
                start: *start,
                end: *end,
            },
            FeedData::Disaster { loss, date, .. } => Event::Disaster {
                loss: loss.fen(),
                date: *date,
            },
            FeedData::CivilRegistry { event, date } => Event::CivilRegistry {
                event: *event,
                date: *date,
            },
            FeedData::Asset { date, .. } => Event::Asset { date: *date },
        };
        let offer = Offer {
            feed: r.evidence.feed,
            position: Offer::position(r.evidence.batch, r.evidence.row),
            record: r.record_id.as_ref().map(|id| keys.code(id.as_bytes())),
            reversal: r.reversal,
            who,
            event,
        };
        tallies[Tally::shard_of(&offer, shards)].offer(&offer);
    }
    let mut rest = tallies.into_iter();
    let mut tally = rest.next().expect("at least one shard");
    for t in rest {
        tally.merge(t);
    }
    let unmatched = tally.unmatched;
    (tally.finish(pack), unmatched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_pack_exactly_and_back() {
        for s in [
            "",
            "0",
            "9",
            "A",
            "Z",
            "00",
            "M0000000123",
            "ZZZZZZZZZZZZ",
            "0000000000000",
            "4310260000000001",
            "999999999999999999",
        ] {
            let k = pack_code(s.as_bytes()).unwrap();
            assert_eq!(unpack_code(k), s, "{s}");
            assert_eq!(k & INTERNED, 0);
        }
        assert_ne!(pack_code(b"0"), pack_code(b"00"));
        assert_ne!(pack_code(b"000000000000"), pack_code(b"0000000000000"));
        assert_eq!(pack_code(b"m1"), None);
        assert_eq!(pack_code(b"1234567890123456789"), None);
        assert_eq!(pack_code(b"ABCDEFGHIJKLM"), None);
    }

    #[test]
    fn ids_pack_exactly_and_others_are_interned() {
        let a = pack_id(b"43102619400101001X").unwrap();
        let b = pack_id(b"431026194001010019").unwrap();
        assert_ne!(a, b);
        assert!(a > b, "X sorts after 9");
        assert_eq!(pack_id(b"43102619400101001x"), None);
        let i = Interner::default();
        let k = i.id(b"A3102619400101001X");
        assert_eq!(i.find_id(b"A3102619400101001X"), Some(k));
        assert_eq!(i.find_id(b"B3102619400101001X"), None);
        assert_ne!(i.code(b"lower-case"), i.code(b"LOWER-CASE"));
        assert_eq!(i.code_text(i.code(b"lower-case")), "lower-case");
    }

    #[test]
    fn key_tables_grow_and_keep_every_key() {
        let mut m = KeyMap::with_capacity(4);
        let mut s = KeySet::with_capacity(4);
        for k in 0..10_000u64 {
            m.insert(k * 7, k as u32);
            assert!(s.insert(k * 7));
        }
        m.insert(7, 99);
        for k in 0..10_000u64 {
            assert!(!s.insert(k * 7));
            let want = if k == 1 { 99 } else { k as u32 };
            assert_eq!(m.get(k * 7), Some(want));
        }
        assert_eq!(m.get(3), None);
        assert_eq!(m.len(), 10_000);
    }

    #[test]
    fn incomes_keep_the_latest_two_ties_to_the_later() {
        let d = |y| NaiveDate::from_ymd_opt(y, 12, 31).unwrap();
        let mut r = FlatRegistry::new(d(2025), 1, 0);
        let h = r.add_household(1, 431026100200, false);
        r.add_income(h, d(2026), 1); // after the reference date
        r.add_income(h, d(2024), 2);
        r.add_income(h, d(2025), 3);
        r.add_income(h, d(2023), 4);
        r.add_income(h, d(2025), 5);
        assert_eq!(r.incomes.current[0].net, 5);
        assert_eq!(r.incomes.previous[0].net, 3);
    }
}
