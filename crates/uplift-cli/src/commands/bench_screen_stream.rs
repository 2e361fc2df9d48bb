//! Uplift's streaming path for `uplift bench screen`: the files are read in large byte pieces by
//! every core at once, split into lines and fields by hand (`memchr`, no per-row allocation), and
//! folded into `uplift_screen::stream`'s flat registry and tally, so memory is the registry's plus
//! one 8-byte key per distinct `record_id`, never the feed rows.
//!
//! Pieces are parsed in parallel and consumed in a fixed order by one thread: the registry and
//! the income file in file order (first appearance makes a household, the later of two income
//! records with the same period end wins), each feed latest first (its files by batch, then the
//! pieces and their rows from the end), which is what the tally's de-duplication needs.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate};
use uplift_domain::household::{Labour, Relation};
use uplift_domain::policy::{HousingGrade, OutOfPocketRule, PolicyPack};
use uplift_screen::stream::{Event, FlatRegistry, Interner, Offer, Tally, Who};
use uplift_screen::{
    AssetKind, AssistanceKind, CivilEvent, EducationStatus, EmploymentEvent, FeedKind, RuleCode,
    region_key, worker_rank,
};

/// Bytes per piece.
const PIECE: u64 = 8 << 20;
/// Pieces parsed ahead of the consumer, at most.
const AHEAD: usize = 6;

/// A field that does not parse: where, and which.
#[derive(Debug)]
pub struct BadAt {
    pub offset: u64,
    pub field: String,
}

fn bad_at(offset: u64, field: &str) -> BadAt {
    BadAt {
        offset,
        field: field.to_owned(),
    }
}

/// A CSV file: its header's column names and the byte pieces of its data lines.
pub struct Csv {
    pub name: String,
    path: PathBuf,
    file: File,
    columns: Vec<Vec<u8>>,
    pub pieces: Vec<(u64, u64)>,
    header_end: u64,
    /// Estimated data lines (from the first 64 KiB).
    pub estimated_rows: u64,
}

impl Csv {
    pub fn open(dir: &Path, name: &str) -> anyhow::Result<Csv> {
        let path = dir.join(name);
        let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let len = file.metadata()?.len();
        let mut head = vec![0u8; 65_536.min(len as usize)];
        file.read_exact_at(&mut head, 0)
            .with_context(|| format!("reading {}", path.display()))?;
        let nl = match memchr::memchr(b'\n', &head) {
            Some(nl) => nl,
            // A header without a line end, and nothing else.
            None if head.len() as u64 == len && !head.is_empty() => head.len(),
            None => bail!("{name}: row 1: no header line"),
        };
        let mut header = &head[..nl];
        header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(header);
        header = header.strip_suffix(b"\r").unwrap_or(header);
        let columns = split_fields(header).map(<[u8]>::to_vec).collect();
        let header_end = (nl as u64 + 1).min(len);
        let rest = head.get(nl + 1..).unwrap_or(&[]);
        let lines = memchr::memchr_iter(b'\n', rest).count().max(1) as u64;
        let avg = (rest.len() as u64 / lines).max(8);
        let mut pieces = Vec::new();
        let mut start = header_end;
        let mut probe = vec![0u8; 4096];
        while start < len {
            let mut end = (start + PIECE).min(len);
            // Move the end past the next newline.
            while end < len {
                let n = probe.len().min((len - end) as usize);
                file.read_exact_at(&mut probe[..n], end)?;
                if let Some(i) = memchr::memchr(b'\n', &probe[..n]) {
                    end += i as u64 + 1;
                    break;
                }
                end += n as u64;
            }
            pieces.push((start, end));
            start = end;
        }
        Ok(Csv {
            name: name.to_owned(),
            path,
            file,
            columns,
            pieces,
            header_end,
            estimated_rows: (len.saturating_sub(header_end)) / avg + 1,
        })
    }

    /// Where each column of a line goes when a reader picks the named columns (at most
    /// [`MAX_PICK`]): `slots[c]` is the index in `names` of column `c`'s name, or [`SKIP`].
    pub fn cols(&self, names: &[&str]) -> Vec<u8> {
        self.columns
            .iter()
            .map(|c| {
                names
                    .iter()
                    .take(MAX_PICK)
                    .position(|n| n.as_bytes() == c.as_slice())
                    .map_or(SKIP, |j| j as u8)
            })
            .collect()
    }

    /// Every column (the first [`MAX_PICK`]).
    fn all_cols(&self) -> Vec<u8> {
        (0..self.columns.len())
            .map(|c| if c < MAX_PICK { c as u8 } else { SKIP })
            .collect()
    }

    pub fn read(&self, piece: usize, buf: &mut Vec<u8>) -> Result<u64, BadAt> {
        let (start, end) = self.pieces[piece];
        buf.resize((end - start) as usize, 0);
        self.file
            .read_exact_at(buf, start)
            .map_err(|e| bad_at(start, &format!("(read error: {e})")))?;
        Ok(start)
    }

    /// The error for a field at a byte offset, with its row (the header is row 1).
    pub fn error(&self, bad: BadAt) -> anyhow::Error {
        let row = self.row_at(bad.offset).unwrap_or(0);
        anyhow::anyhow!("{}: row {row}: field {} is not valid", self.name, bad.field)
    }

    fn row_at(&self, offset: u64) -> anyhow::Result<u64> {
        let mut f = File::open(&self.path)?;
        let mut rows = 1u64;
        let mut seen = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        use std::io::Read;
        while seen < offset {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let take = (n as u64).min(offset - seen) as usize;
            rows += memchr::memchr_iter(b'\n', &buf[..take]).count() as u64;
            seen += n as u64;
        }
        Ok(rows.max(if offset >= self.header_end { 2 } else { 1 }))
    }
}

fn split_fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&c| c == b',')
}

/// The lines of a piece: (offset of the line in the file, the line without its end).
fn lines(buf: &[u8], base: u64) -> impl Iterator<Item = (u64, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        loop {
            if at >= buf.len() {
                return None;
            }
            let end = memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |i| at + i);
            let mut line = &buf[at..end];
            let off = base + at as u64;
            at = end + 1;
            line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() {
                return Some((off, line));
            }
        }
    })
}

/// Columns a reader picks from a line, at most.
const MAX_PICK: usize = 10;
/// A column no reader picks.
const SKIP: u8 = u8::MAX;

/// The picked fields of one line, without allocating: `f[j]` is the field of the j-th name the
/// reader asked for (empty when the file lacks that column).
pub struct Fields<'a> {
    f: [&'a [u8]; MAX_PICK],
}

impl<'a> Fields<'a> {
    #[inline]
    fn at(&self, j: usize) -> &'a [u8] {
        self.f[j]
    }
}

/// The fields of one line: plain fields by hand, a line with a quote through the csv crate
/// (quoted commas and doubled quotes, into `owned`; a quoted line break is refused).
/// `slots[c]` is where column `c` goes ([`SKIP`] for none).
fn fields<'a>(
    line: &'a [u8],
    off: u64,
    slots: &[u8],
    owned: &'a mut Vec<Vec<u8>>,
) -> Result<Fields<'a>, BadAt> {
    let mut out = Fields { f: [b""; MAX_PICK] };
    let mut n = 0usize;
    let mut put = |out: &mut Fields<'a>, b: &'a [u8]| {
        if let Some(&s) = slots.get(n)
            && s != SKIP
        {
            out.f[usize::from(s)] = b;
        }
        n += 1;
    };
    if memchr::memchr(b'"', line).is_none() {
        for b in split_fields(line) {
            put(&mut out, b);
        }
    } else {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line);
        let mut rec = csv::ByteRecord::new();
        match r.read_byte_record(&mut rec) {
            Ok(true) => {}
            _ => return Err(bad_at(off, "(a quoted field)")),
        }
        *owned = rec.iter().map(<[u8]>::to_vec).collect();
        for b in owned.iter() {
            put(&mut out, b);
        }
    }
    if n != slots.len() {
        return Err(bad_at(
            off,
            &format!("(the row has {n} fields, the header {})", slots.len()),
        ));
    }
    Ok(out)
}

/// `YYYY-MM-DD`.
pub fn date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let n = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(n(&b[0..4])? as i32, n(&b[5..7])?, n(&b[8..10])?)
}

/// Yuan with up to two decimals, to fen.
pub fn fen(b: &[u8]) -> Option<i64> {
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(p) => (&b[..p], &b[p + 1..]),
        None => (b, &b""[..]),
    };
    if int.is_empty() || frac.len() > 2 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in int {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    let mut f = 0;
    for (i, &c) in frac.iter().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        f += i64::from(c - b'0') * if i == 0 { 10 } else { 1 };
    }
    v.checked_mul(100)?.checked_add(f)
}

/// An 18-character ID number, trimmed and upper-cased.
pub fn id18(b: &[u8]) -> Option<[u8; 18]> {
    let b = b.trim_ascii();
    if b.len() != 18 {
        return None;
    }
    let mut k = [0u8; 18];
    for (d, s) in k.iter_mut().zip(b) {
        *d = s.to_ascii_uppercase();
    }
    Some(k)
}

/// The birth date in an ID number (`YYYYMMDD` at 7–14), as the general path reads it.
fn birth(id: &[u8; 18]) -> Option<NaiveDate> {
    let b = &id[6..14];
    if b.iter().all(u8::is_ascii_digit) {
        let n = |s: &[u8]| s.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'));
        return NaiveDate::from_ymd_opt(n(&b[0..4]) as i32, n(&b[4..6]), n(&b[6..8]));
    }
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y%m%d").ok())
}

/// Runs `produce` for jobs `0..jobs` on every core, at most [`AHEAD`] ahead of `consume`,
/// which sees the results in job order on the calling thread. Stops at the first error.
pub fn ordered<T: Send>(
    jobs: usize,
    produce: impl Fn(usize, &mut Vec<u8>) -> Result<T, BadAt> + Sync,
    mut consume: impl FnMut(usize, Result<T, BadAt>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    struct State<T> {
        ready: BTreeMap<usize, Result<T, BadAt>>,
        next: usize,
        consumed: usize,
        stop: bool,
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let state = Mutex::new(State {
        ready: BTreeMap::new(),
        next: 0,
        consumed: 0,
        stop: false,
    });
    let cv = Condvar::new();
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = Vec::new();
                loop {
                    let i = {
                        let mut g = lock();
                        while !g.stop && g.next < jobs && g.next >= g.consumed + AHEAD {
                            g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
                        }
                        if g.stop || g.next >= jobs {
                            return;
                        }
                        g.next += 1;
                        g.next - 1
                    };
                    let r = produce(i, &mut buf);
                    lock().ready.insert(i, r);
                    cv.notify_all();
                }
            });
        }
        let mut result = Ok(());
        for i in 0..jobs {
            let r = {
                let mut g = lock();
                loop {
                    if let Some(r) = g.ready.remove(&i) {
                        g.consumed = i + 1;
                        break r;
                    }
                    g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
                }
            };
            cv.notify_all();
            if let Err(e) = consume(i, r) {
                result = Err(e);
                break;
            }
        }
        lock().stop = true;
        cv.notify_all();
        result
    })
}

/// Like [`ordered`], but each job's result comes in one part per state, and each state is
/// folded by a thread of its own: `consume(state s, job, part s)` sees the jobs in order, and
/// the states' threads run side by side. Producers stay at most [`AHEAD`] jobs ahead of the
/// slowest state. Stops at the first error (a bad piece is reported once, by `error`).
pub fn ordered_sharded<T: Send, S: Send>(
    jobs: usize,
    states: &mut [S],
    produce: impl Fn(usize, &mut Vec<u8>) -> Result<Vec<T>, BadAt> + Sync,
    error: impl Fn(usize, BadAt) -> anyhow::Error + Sync,
    consume: impl Fn(&mut S, usize, T) -> anyhow::Result<()> + Sync,
) -> anyhow::Result<()> {
    /// A produced job: the parts not yet taken, or the error no state has reported yet.
    enum Slot<T> {
        Parts(Vec<Option<T>>, usize),
        Failed(Option<BadAt>),
    }
    struct State<T> {
        ready: BTreeMap<usize, Slot<T>>,
        next: usize,
        /// Per state, the next job it needs.
        consumed: Vec<usize>,
        stop: bool,
        error: Option<anyhow::Error>,
    }
    let shards = states.len();
    if shards == 0 {
        return Ok(());
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let state = Mutex::new(State {
        ready: BTreeMap::new(),
        next: 0,
        consumed: vec![0; shards],
        stop: false,
        error: None,
    });
    let cv = Condvar::new();
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    let fail = |e: anyhow::Error| {
        let mut g = lock();
        g.stop = true;
        if g.error.is_none() {
            g.error = Some(e);
        }
        drop(g);
        cv.notify_all();
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = Vec::new();
                loop {
                    let i = {
                        let mut g = lock();
                        loop {
                            let slowest = g.consumed.iter().copied().min().unwrap_or(0);
                            if g.stop || g.next >= jobs || g.next < slowest + AHEAD {
                                break;
                            }
                            g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
                        }
                        if g.stop || g.next >= jobs {
                            return;
                        }
                        g.next += 1;
                        g.next - 1
                    };
                    let slot = match produce(i, &mut buf) {
                        Ok(parts) => {
                            debug_assert_eq!(parts.len(), shards);
                            Slot::Parts(parts.into_iter().map(Some).collect(), shards)
                        }
                        Err(bad) => Slot::Failed(Some(bad)),
                    };
                    lock().ready.insert(i, slot);
                    cv.notify_all();
                }
            });
        }
        for (k, st) in states.iter_mut().enumerate() {
            let (lock, cv, fail, error, consume) = (&lock, &cv, &fail, &error, &consume);
            s.spawn(move || {
                for j in 0..jobs {
                    let part = {
                        let mut g = lock();
                        loop {
                            if g.stop {
                                return;
                            }
                            if let Some(slot) = g.ready.get_mut(&j) {
                                match slot {
                                    Slot::Parts(parts, left) => {
                                        let part = parts[k].take();
                                        *left -= 1;
                                        if *left == 0 {
                                            g.ready.remove(&j);
                                        }
                                        g.consumed[k] = j + 1;
                                        break part;
                                    }
                                    Slot::Failed(bad) => {
                                        let bad = bad.take();
                                        drop(g);
                                        if let Some(bad) = bad {
                                            fail(error(j, bad));
                                        }
                                        return;
                                    }
                                }
                            }
                            g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
                        }
                    };
                    cv.notify_all();
                    if let Some(part) = part
                        && let Err(e) = consume(st, j, part)
                    {
                        fail(e);
                        return;
                    }
                }
            });
        }
    });
    match state.into_inner().unwrap_or_else(|e| e.into_inner()).error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// The registry export and the income file.

enum Grade {
    None,
    Some(u8),
    Bad,
}

struct RegRow {
    offset: u64,
    no_trimmed: u64,
    no: u64,
    region: Option<u64>,
    formerly_poor: bool,
    id: Option<(u64, [u8; 18])>,
    grade: Grade,
    rank: Option<(u8, u8, NaiveDate)>,
}

fn registry_piece(
    csv: &Csv,
    cols: &[u8],
    keys: &Interner,
    piece: usize,
    buf: &mut Vec<u8>,
) -> Result<Vec<RegRow>, BadAt> {
    let base = csv.read(piece, buf)?;
    let mut out = Vec::with_capacity(buf.len() / 80);
    for (off, line) in lines(buf, base) {
        let mut owned = Vec::new();
        let f = fields(line, off, cols, &mut owned)?;
        let g = |i: usize| f.at(i);
        let no = g(0);
        let typ = g(1);
        let id = id18(g(3));
        let (grade, rank) = match id {
            None => (Grade::None, None),
            Some(id) => {
                let relation = match g(4) {
                    b"head" => Relation::Head,
                    b"spouse" => Relation::Spouse,
                    _ => Relation::Other,
                };
                let labour = match g(5) {
                    b"skilled" => Labour::Skilled,
                    b"ordinary" => Labour::Ordinary,
                    _ => Labour::Weak,
                };
                let grade = match g(6) {
                    b"" => Grade::None,
                    b => std::str::from_utf8(b)
                        .ok()
                        .and_then(|s| s.parse::<u8>().ok())
                        .map_or(Grade::Bad, Grade::Some),
                };
                (grade, worker_rank(labour, relation, birth(&id)))
            }
        };
        out.push(RegRow {
            offset: off,
            no_trimmed: keys.code(no.trim_ascii()),
            no: keys.code(no),
            region: std::str::from_utf8(g(2)).ok().and_then(region_key),
            formerly_poor: typ == b"formerly_poor" || typ == "脱贫户".as_bytes(),
            id: id.map(|id| (keys.id(&id), id)),
            grade,
            rank,
        });
    }
    Ok(out)
}

struct IncomeRow {
    offset: u64,
    household: Option<u32>,
    figures: Result<(NaiveDate, i64), &'static str>,
}

fn income_piece(
    csv: &Csv,
    cols: &[u8],
    keys: &Interner,
    registry: &FlatRegistry,
    deduct: bool,
    piece: usize,
    buf: &mut Vec<u8>,
) -> Result<Vec<IncomeRow>, BadAt> {
    let base = csv.read(piece, buf)?;
    let mut out = Vec::with_capacity(buf.len() / 80);
    for (off, line) in lines(buf, base) {
        let mut owned = Vec::new();
        let f = fields(line, off, cols, &mut owned)?;
        let g = |i: usize| f.at(i);
        let household = keys
            .find_code(g(0).trim_ascii())
            .and_then(|k| registry.household_by_no(k));
        let figures = (|| {
            let end = date(g(1)).ok_or("period_end")?;
            let mut net = 0i64;
            for (i, name) in [
                (2, "wage_income"),
                (3, "business_income"),
                (4, "property_income"),
                (5, "transfer_income"),
            ] {
                net += fen(g(i)).ok_or(name)?;
            }
            net -= fen(g(6)).ok_or("production_costs")?;
            if deduct && !g(7).is_empty() {
                net -= fen(g(7)).ok_or("compliant_out_of_pocket")?;
            }
            Ok((end, net))
        })();
        out.push(IncomeRow {
            offset: off,
            household,
            figures,
        });
    }
    Ok(out)
}

/// The registry export and the income file into a [`FlatRegistry`].
pub fn load_registry(
    dir: &Path,
    pack: &PolicyPack,
    as_of: NaiveDate,
    keys: &Interner,
) -> anyhow::Result<FlatRegistry> {
    let csv = Csv::open(dir, "registry.csv")?;
    let cols = csv.cols(&[
        "household_no",
        "household_type",
        "region_code",
        "id_number",
        "relation",
        "labour",
        "disability_grade",
    ]);
    let persons = csv.estimated_rows as usize;
    let mut reg = FlatRegistry::new(as_of, persons / 3 + 16, persons + 16);
    ordered(
        csv.pieces.len(),
        |i, buf| registry_piece(&csv, &cols, keys, i, buf),
        |_, rows| {
            let rows = rows.map_err(|e| csv.error(e))?;
            const LEAD: usize = 12;
            for (i, r) in rows.iter().enumerate() {
                if let Some((k, _)) = rows.get(i + LEAD).and_then(|r| r.id.as_ref()) {
                    std::hint::black_box(reg.touch_person(*k));
                }
                let h = match reg.household_by_no(r.no_trimmed) {
                    Some(h) => h,
                    None => {
                        let region = r
                            .region
                            .ok_or_else(|| csv.error(bad_at(r.offset, "region_code")))?;
                        reg.add_household(r.no, region, r.formerly_poor)
                    }
                };
                reg.add_member(h);
                let Some((key, id)) = r.id else {
                    continue;
                };
                let grade = match &r.grade {
                    Grade::None => None,
                    Grade::Some(g) => Some(*g),
                    Grade::Bad => return Err(csv.error(bad_at(r.offset, "disability_grade"))),
                };
                reg.add_person(h, key, &id, grade, r.rank);
            }
            Ok(())
        },
    )?;
    reg.finish_loading();

    let csv = Csv::open(dir, "income.csv")?;
    let cols = csv.cols(&[
        "household_no",
        "period_end",
        "wage_income",
        "business_income",
        "property_income",
        "transfer_income",
        "production_costs",
        "compliant_out_of_pocket",
    ]);
    let deduct = pack.out_of_pocket == OutOfPocketRule::Deduct;
    let mut incomes = reg.take_incomes();
    {
        let reg = &reg;
        ordered(
            csv.pieces.len(),
            |i, buf| income_piece(&csv, &cols, keys, reg, deduct, i, buf),
            |_, rows| {
                for r in rows.map_err(|e| csv.error(e))? {
                    let Some(h) = r.household else { continue };
                    let (end, net) = r.figures.map_err(|f| csv.error(bad_at(r.offset, f)))?;
                    incomes.add(h, end, net);
                }
                Ok(())
            },
        )?;
    }
    reg.set_incomes(incomes);
    Ok(reg)
}

// ---------------------------------------------------------------------------------------------
// Feeds.

/// The columns of each feed the benchmark reads, in the order its readers expect them.
pub(super) fn feed_columns(kind: FeedKind) -> &'static [&'static str] {
    match kind {
        FeedKind::Medical => &[
            "id_number",
            "settlement_date",
            "total_cost",
            "compliant_out_of_pocket",
        ],
        FeedKind::CivilAffairs => &["id_number", "assistance_type", "start_date", "end_date"],
        FeedKind::Disability => &["id_number", "disability_grade", "issued_date"],
        FeedKind::Education => &["id_number", "status", "date"],
        FeedKind::Employment => &["id_number", "event", "start_date", "end_date"],
        FeedKind::Housing => &["household_no", "grade", "appraisal_date"],
        FeedKind::Water => &["region_code", "interruption_start", "interruption_end"],
        FeedKind::Disaster => &["household_no", "disaster_type", "loss_amount", "date"],
        FeedKind::CivilRegistry => &["id_number", "event", "date"],
        FeedKind::Assets => &["id_number", "asset_type", "date"],
    }
}

enum WhoKey {
    Person(u64),
    Unknown,
    Household(u64),
    Village(u64),
}

#[allow(clippy::too_many_arguments)]
fn feed_piece(
    csv: &Csv,
    cols: &[u8],
    kind: FeedKind,
    batch: i64,
    keys: &Interner,
    registry: &FlatRegistry,
    piece: usize,
    buf: &mut Vec<u8>,
) -> Result<Vec<Offer>, BadAt> {
    let base = csv.read(piece, buf)?;
    let mut out: Vec<Offer> = Vec::with_capacity(buf.len() / 60);
    let mut whos: Vec<WhoKey> = Vec::with_capacity(buf.len() / 60);
    for (off, line) in lines(buf, base) {
        let mut owned = Vec::new();
        let f = fields(line, off, cols, &mut owned)?;
        let g = |i: usize| f.at(i + 2);
        let bad = |name: &str| bad_at(off, name);
        let d = |i: usize, name: &str| date(g(i)).ok_or_else(|| bad(name));
        let od = |i: usize, name: &str| match g(i) {
            b"" => Ok(None),
            b => date(b).map(Some).ok_or_else(|| bad(name)),
        };
        let money = |i: usize, name: &str| fen(g(i)).ok_or_else(|| bad(name));
        let person = || {
            id18(g(0))
                .map(|id| keys.find_id(&id).map_or(WhoKey::Unknown, WhoKey::Person))
                .ok_or_else(|| bad("id_number"))
        };
        let household = || {
            keys.find_code(g(0).trim_ascii())
                .map_or(WhoKey::Unknown, WhoKey::Household)
        };
        let (who, event) = match kind {
            FeedKind::Medical => {
                let who = person()?;
                let settled = d(1, "settlement_date")?;
                money(2, "total_cost")?;
                (
                    who,
                    Event::Medical {
                        settled,
                        out_of_pocket: money(3, "compliant_out_of_pocket")?,
                    },
                )
            }
            FeedKind::CivilAffairs => (
                person()?,
                Event::CivilAffairs {
                    kind: match g(1) {
                        b"subsistence" => AssistanceKind::Subsistence,
                        b"extreme_poverty" => AssistanceKind::ExtremePoverty,
                        b"near_subsistence" => AssistanceKind::NearSubsistence,
                        b"temporary" => AssistanceKind::Temporary,
                        _ => return Err(bad("assistance_type")),
                    },
                    start: d(2, "start_date")?,
                    end: od(3, "end_date")?,
                },
            ),
            FeedKind::Disability => (
                person()?,
                Event::Disability {
                    grade: match g(1) {
                        [c @ b'1'..=b'4'] => c - b'0',
                        _ => return Err(bad("disability_grade")),
                    },
                    issued: d(2, "issued_date")?,
                },
            ),
            FeedKind::Education => (
                person()?,
                Event::Education {
                    status: match g(1) {
                        b"enrolled" => EducationStatus::Enrolled,
                        b"dropped_out" => EducationStatus::DroppedOut,
                        b"suspended" => EducationStatus::Suspended,
                        _ => return Err(bad("status")),
                    },
                    date: d(2, "date")?,
                },
            ),
            FeedKind::Employment => (
                person()?,
                Event::Employment {
                    event: match g(1) {
                        b"unemployed" => EmploymentEvent::Unemployed,
                        b"migrant_work" => EmploymentEvent::MigrantWork,
                        b"returned" => EmploymentEvent::Returned,
                        _ => return Err(bad("event")),
                    },
                    start: d(2, "start_date")?,
                    end: od(3, "end_date")?,
                },
            ),
            FeedKind::Housing => (
                household(),
                Event::Housing {
                    grade: std::str::from_utf8(g(1))
                        .ok()
                        .and_then(HousingGrade::parse)
                        .ok_or_else(|| bad("grade"))?,
                    appraised: d(2, "appraisal_date")?,
                },
            ),
            FeedKind::Water => (
                WhoKey::Village(
                    std::str::from_utf8(g(0))
                        .ok()
                        .and_then(region_key)
                        .ok_or_else(|| bad("region_code"))?,
                ),
                Event::Water {
                    start: d(1, "interruption_start")?,
                    end: d(2, "interruption_end")?,
                },
            ),
            FeedKind::Disaster => (
                household(),
                Event::Disaster {
                    loss: money(2, "loss_amount")?,
                    date: d(3, "date")?,
                },
            ),
            FeedKind::CivilRegistry => (
                person()?,
                Event::CivilRegistry {
                    event: match g(1) {
                        b"death" => CivilEvent::Death,
                        b"moved_out" => CivilEvent::MovedOut,
                        b"moved_in" => CivilEvent::MovedIn,
                        _ => return Err(bad("event")),
                    },
                    date: d(2, "date")?,
                },
            ),
            FeedKind::Assets => (
                person()?,
                Event::Asset {
                    date: {
                        match g(1) {
                            b"vehicle"
                            | b"commercial_housing"
                            | b"business"
                            | b"public_payroll" => {}
                            _ => return Err(bad("asset_type")),
                        }
                        let _: Option<AssetKind> = None;
                        d(2, "date")?
                    },
                },
            ),
        };
        let status = f.at(1);
        let reversal = match status {
            b"" | b"normal" => false,
            b"reversed" => true,
            s if s == "冲销".as_bytes() => true,
            s if s == "正常".as_bytes() => false,
            _ => return Err(bad("record_status")),
        };
        let rid = f.at(0);
        out.push(Offer {
            feed: kind,
            position: Offer::position(batch, off),
            record: (!rid.is_empty()).then(|| keys.code(rid)),
            reversal,
            who: Who::Nobody,
            event,
        });
        whos.push(who);
    }
    // Resolve whom each row names, a group of rows at a time: first touch every row's slot of
    // the person table (independent loads, so the cache misses overlap), then look the persons
    // up, then their households.
    const GROUP: usize = 32;
    let mut persons = [u32::MAX; GROUP];
    for (rows, keys) in out.chunks_mut(GROUP).zip(whos.chunks(GROUP)) {
        let mut t = 0u64;
        for w in keys {
            if let WhoKey::Person(k) = w {
                t ^= registry.touch_person(*k);
            }
        }
        std::hint::black_box(t);
        for (p, w) in persons.iter_mut().zip(keys) {
            *p = match w {
                WhoKey::Person(k) => registry.person(*k).unwrap_or(u32::MAX),
                _ => u32::MAX,
            };
        }
        for ((row, w), &p) in rows.iter_mut().zip(keys).zip(&persons) {
            row.who = match w {
                WhoKey::Person(_) if p != u32::MAX => Who::Person(p, registry.household_of(p)),
                WhoKey::Person(_) | WhoKey::Unknown => Who::Nobody,
                WhoKey::Household(k) => registry
                    .household_by_no(*k)
                    .map_or(Who::Nobody, Who::Household),
                WhoKey::Village(code) => Who::Village(*code),
            };
        }
    }
    Ok(out)
}

/// The feed files, in batch order (batch = position + 1), with their feed.
pub type FeedFiles<'a> = &'a [(&'a str, FeedKind)];

/// What the streaming screen gives: the (household, rule) pairs, the live feed rows and those
/// that name nobody.
pub struct Screened {
    pub pairs: Vec<(u32, RuleCode)>,
    pub live: u64,
    pub unmatched: u64,
}

/// The folding threads [`screen_feeds_sharded`] gets by default: one per core.
pub fn default_shards() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(8))
}

/// Screens the feed files against the registry, with the fold split in `shards` tallies (one
/// per core: [`default_shards`]), each on a thread of its own: the
/// rows of one `record_id` always go to the same one ([`Tally::shard_of`]), each sees its rows
/// latest first, and the tallies are merged at the end, so the result does not depend on
/// `shards`.
pub fn screen_feeds_sharded(
    dir: &Path,
    files: FeedFiles<'_>,
    registry: &FlatRegistry,
    keys: &Interner,
    pack: &PolicyPack,
    as_of: NaiveDate,
    shards: usize,
) -> anyhow::Result<Screened> {
    let shards = shards.max(1);
    let csvs: Vec<Csv> = files
        .iter()
        .map(|(f, _)| Csv::open(dir, f))
        .collect::<anyhow::Result<_>>()?;
    let cols: Vec<Vec<u8>> = files
        .iter()
        .zip(&csvs)
        .map(|((_, kind), csv)| {
            let mut names = vec!["record_id", "record_status"];
            names.extend_from_slice(feed_columns(*kind));
            csv.cols(&names)
        })
        .collect();
    // The jobs: per feed, its files latest batch first, each file's pieces from the end.
    let mut jobs: Vec<(usize, usize)> = Vec::new();
    let mut last_of_feed: Vec<Option<FeedKind>> = Vec::new();
    let mut first_of_feed: Vec<Option<(FeedKind, u64)>> = Vec::new();
    for kind in FeedKind::ALL {
        let mine: Vec<usize> = (0..files.len())
            .rev()
            .filter(|&i| files[i].1 == kind)
            .collect();
        let rows: u64 = mine.iter().map(|&i| csvs[i].estimated_rows).sum();
        let start = jobs.len();
        for &fi in &mine {
            for p in (0..csvs[fi].pieces.len()).rev() {
                jobs.push((fi, p));
                first_of_feed.push(None);
                last_of_feed.push(None);
            }
        }
        if jobs.len() > start {
            first_of_feed[start] = Some((kind, rows));
            let n = jobs.len();
            last_of_feed[n - 1] = Some(kind);
        }
    }
    let mut tallies: Vec<Tally> = (0..shards)
        .map(|_| Tally::new(registry, pack, as_of))
        .collect();
    ordered_sharded(
        jobs.len(),
        &mut tallies,
        |j, buf| {
            let (fi, p) = jobs[j];
            let rows = feed_piece(
                &csvs[fi],
                &cols[fi],
                files[fi].1,
                fi as i64 + 1,
                keys,
                registry,
                p,
                buf,
            )?;
            if shards == 1 {
                return Ok(vec![rows]);
            }
            let mut parts: Vec<Vec<Offer>> = (0..shards)
                .map(|_| Vec::with_capacity(rows.len() / shards + 64))
                .collect();
            for r in rows {
                parts[Tally::shard_of(&r, shards)].push(r);
            }
            Ok(parts)
        },
        |j, bad| csvs[jobs[j].0].error(bad),
        |tally, j, rows| {
            if let Some((kind, n)) = first_of_feed[j] {
                tally.expect(kind, n as usize / shards + 1);
            }
            // Latest first, a group of rows at a time: touch what each row of the group will
            // read (independent loads: the misses overlap), then fold the group.
            const GROUP: usize = 32;
            for group in rows.rchunks(GROUP) {
                let mut t = 0u64;
                for r in group {
                    t ^= tally.touch(r);
                }
                std::hint::black_box(t);
                for r in group.iter().rev() {
                    tally.offer(r);
                }
            }
            if let Some(kind) = last_of_feed[j] {
                tally.done_with(kind);
            }
            Ok(())
        },
    )?;
    let mut rest = tallies.into_iter();
    let mut tally = rest.next().context("no tally")?;
    for t in rest {
        tally.merge(t);
    }
    let (live, unmatched) = (tally.live, tally.unmatched);
    Ok(Screened {
        pairs: tally.finish(pack),
        live,
        unmatched,
    })
}

/// Reads and parses every file with the same pieces and splitter, building nothing: the floor
/// under the end-to-end time. Gives the rows read.
pub fn parse_only(dir: &Path, files: &[&str]) -> anyhow::Result<u64> {
    let csvs: Vec<Csv> = files
        .iter()
        .map(|f| Csv::open(dir, f))
        .collect::<anyhow::Result<_>>()?;
    let jobs: Vec<(usize, usize)> = csvs
        .iter()
        .enumerate()
        .flat_map(|(fi, c)| (0..c.pieces.len()).map(move |p| (fi, p)))
        .collect();
    let mut rows = 0u64;
    let mut sink = 0i64;
    ordered(
        jobs.len(),
        |j, buf| {
            let (fi, p) = jobs[j];
            let csv = &csvs[fi];
            let base = csv.read(p, buf)?;
            let (mut n, mut s) = (0u64, 0i64);
            let cols = csv.all_cols();
            for (off, line) in lines(buf, base) {
                let mut owned = Vec::new();
                let f = fields(line, off, &cols, &mut owned)?;
                n += 1;
                for field in f.f {
                    if let Some(d) = date(field) {
                        s = s.wrapping_add(i64::from(d.ordinal()));
                    } else if let Some(k) = id18(field) {
                        s = s.wrapping_add(i64::from(k[17]));
                    } else if let Some(v) = fen(field) {
                        s = s.wrapping_add(v);
                    }
                }
            }
            Ok((n, s))
        },
        |j, r| {
            let (n, s) = r.map_err(|e| csvs[jobs[j].0].error(e))?;
            rows += n;
            sink = sink.wrapping_add(s);
            Ok(())
        },
    )?;
    std::hint::black_box(sink);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack() -> PolicyPack {
        let book = uplift_app::policy::shipped().unwrap();
        let region = uplift_domain::region::RegionCode::parse("431026103201").unwrap();
        book.in_force(&region, as_of()).unwrap().clone()
    }

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
    }

    #[test]
    fn fields_are_split_by_hand_and_quoted_ones_through_csv() {
        let slots = [0, SKIP, 1];
        let mut owned = Vec::new();
        let f = fields(b"a,b,c", 0, &slots, &mut owned).unwrap();
        assert_eq!((f.at(0), f.at(1)), (&b"a"[..], &b"c"[..]));
        let mut owned = Vec::new();
        let f = fields(br#""x,1",b,"say ""hi""""#, 0, &slots, &mut owned).unwrap();
        assert_eq!((f.at(0), f.at(1)), (&b"x,1"[..], &br#"say "hi""#[..]));
        let mut owned = Vec::new();
        let e = fields(b"a,b", 7, &slots, &mut owned).err().unwrap();
        assert_eq!(e.offset, 7);
        assert!(e.field.contains("2 fields"), "{}", e.field);
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn registry(dir: &Path) {
        write(
            dir,
            "registry.csv",
            "household_no,household_type,region_code,id_number,relation,labour,disability_grade\n\
             4310261032010001,ordinary,431026103201,43102619800101001X,head,ordinary,\n\
             4310261032010001,ordinary,431026103201,431026198001010021,spouse,weak,\n",
        );
        write(
            dir,
            "income.csv",
            "household_no,period_end,wage_income,business_income,property_income,transfer_income,production_costs,compliant_out_of_pocket\r\n\
             4310261032010001,2025-12-31,2000.00,0,0,0,0,\r\n",
        );
    }

    #[test]
    fn a_bad_field_is_named_with_its_file_and_row() {
        let dir = tempfile::tempdir().unwrap();
        registry(dir.path());
        write(
            dir.path(),
            "medical_1.csv",
            "id_number,settlement_date,total_cost,compliant_out_of_pocket,record_id,record_status\n\
             43102619800101001X,2026-01-05,100.00,50.00,M1,normal\n\
             \n\
             43102619800101001X,2026-13-05,100.00,50.00,M2,normal\n",
        );
        let keys = Interner::default();
        let reg = load_registry(dir.path(), &pack(), as_of(), &keys).unwrap();
        let files = [("medical_1.csv", FeedKind::Medical)];
        let err = screen_feeds_sharded(dir.path(), &files, &reg, &keys, &pack(), as_of(), 2)
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "medical_1.csv: row 4: field settlement_date is not valid"
        );
    }

    #[test]
    fn the_result_does_not_depend_on_the_number_of_folding_threads() {
        let dir = tempfile::tempdir().unwrap();
        super::super::bench_screen::generate(dir.path(), 3_000, 40_000, 7).unwrap();
        let keys = Interner::default();
        let reg = load_registry(dir.path(), &pack(), as_of(), &keys).unwrap();
        let files = super::super::bench_screen::FEED_FILES;
        let run = |shards| {
            let s = screen_feeds_sharded(dir.path(), &files, &reg, &keys, &pack(), as_of(), shards)
                .unwrap();
            (s.pairs, s.live, s.unmatched)
        };
        let one = run(1);
        assert!(one.0.len() > 100, "{}", one.0.len());
        assert!(one.2 > 0);
        for shards in [2, 3, 4, 7] {
            assert_eq!(run(shards), one, "{shards} shards");
        }
    }

    #[test]
    fn a_later_copy_wins_and_a_reversal_cancels_across_files() {
        let dir = tempfile::tempdir().unwrap();
        registry(dir.path());
        let head = "id_number,settlement_date,total_cost,compliant_out_of_pocket,record_id,record_status\n";
        // 60,000 yuan out of pocket: above every medical threshold, alone.
        write(
            dir.path(),
            "m1.csv",
            &format!(
                "{head}43102619800101001X,2026-01-05,1.00,60000.00,M1,\n\
                 43102619800101001X,2026-01-06,1.00,60000.00,M2,\n\
                 99999919800101001X,2026-01-06,1.00,1.00,M3,\n"
            ),
        );
        write(
            dir.path(),
            "m2.csv",
            &format!(
                "{head}43102619800101001X,2026-01-05,1.00,1.00,M1,normal\n\
                 43102619800101001X,2026-01-06,1.00,60000.00,M2,reversed\n"
            ),
        );
        let keys = Interner::default();
        let reg = load_registry(dir.path(), &pack(), as_of(), &keys).unwrap();
        let both = [("m1.csv", FeedKind::Medical), ("m2.csv", FeedKind::Medical)];
        let s = screen_feeds_sharded(dir.path(), &both, &reg, &keys, &pack(), as_of(), 2).unwrap();
        assert!(
            !s.pairs
                .iter()
                .any(|(_, r)| r.as_str().starts_with("MEDICAL")),
            "{:?}",
            s.pairs
        );
        assert_eq!((s.live, s.unmatched), (2, 1));
        let first = [("m1.csv", FeedKind::Medical)];
        let s = screen_feeds_sharded(dir.path(), &first, &reg, &keys, &pack(), as_of(), 3).unwrap();
        assert!(
            s.pairs.contains(&(0, RuleCode::Medical12Months)),
            "{:?}",
            s.pairs
        );
    }
}
