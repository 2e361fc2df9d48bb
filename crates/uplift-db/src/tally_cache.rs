//! An in-process cache of parsed `village_tallies` rows, keyed by each row's revision
//! (migration 0018).
//!
//! A county or city dashboard reads one row per village. Reading and parsing every row's state
//! (one line per household for the income bands) on every request was most of a city's time, so
//! a read now lists only `(village, valid_from, revision)` of the rows in effect and fetches the
//! state of the rows this cache does not hold at that revision. The revision is a digest of the
//! state, written with the row by the settle (`tally.rs`), so a settle in another process (a CLI
//! import while `serve` runs) is seen by the next read of every process: nothing here is
//! invalidated by hand. A row recomputed to the same state keeps its revision and its entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uplift_app::dashboard::{BandRule, IncomeBand, Tally};
use uplift_domain::household::HouseholdType;
use uplift_domain::region::RegionCode;

use crate::codec;

/// Entries kept before the cache is emptied (a city has 2,420 villages; each entry of a village
/// of ~130 households is ~10 KiB).
const CAPACITY: usize = 16_384;

/// The revision of a state: 64-bit FNV-1a of its text. Stable across builds and platforms; the
/// cache compares what the database says, never recomputes it.
pub(crate) fn revision(state: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in state.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// One village row, parsed once: what every read of it needs, whatever the band rule.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedState {
    /// The counts other than income sums and bands, in the row's order.
    counts: Vec<Tally>,
    /// Per (household type, year): net income before out-of-pocket costs, those costs, and the
    /// households with a record of that year.
    net: Vec<(HouseholdType, String, i64, i64, i64)>,
    /// Households without members or an income record, per household type.
    no_record: Vec<(HouseholdType, i64)>,
    /// Per household with a band input: (type, net before out-of-pocket costs, costs, members).
    bands: Vec<(HouseholdType, i64, i64, i64)>,
}

impl ParsedState {
    /// Parses the text stored in `village_tallies.state` (`VillageState::encode`).
    pub(crate) fn parse(village: RegionCode, state: &str) -> anyhow::Result<ParsedState> {
        let bad = || anyhow::anyhow!("bad village tally line in {village}");
        let mut parsed = ParsedState {
            counts: Vec::new(),
            net: Vec::new(),
            no_record: Vec::new(),
            bands: Vec::new(),
        };
        let mut net: std::collections::BTreeMap<(HouseholdType, String), (i64, i64, i64)> =
            std::collections::BTreeMap::new();
        let mut kinds: Vec<(String, HouseholdType)> = Vec::new();
        let mut kind_of = |code: &str| -> anyhow::Result<HouseholdType> {
            if let Some((_, k)) = kinds.iter().find(|(c, _)| c == code) {
                return Ok(*k);
            }
            let k = codec::code::<HouseholdType>(code)?;
            kinds.push((code.to_owned(), k));
            Ok(k)
        };
        for line in state.lines() {
            let mut f = line.split('\t');
            match f.next() {
                Some("c") => {
                    let kind = kind_of(f.next().ok_or_else(bad)?)?;
                    let measure = f.next().ok_or_else(bad)?;
                    let key = f.next().ok_or_else(bad)?;
                    let value: i64 = f.next().ok_or_else(bad)?.parse()?;
                    let households: i64 = f.next().ok_or_else(bad)?.parse()?;
                    match measure {
                        "income_gross_fen" => {
                            let e = net.entry((kind, key.to_owned())).or_default();
                            e.0 += value;
                            e.2 = households;
                        }
                        "income_oop_fen" => {
                            net.entry((kind, key.to_owned())).or_default().1 += value
                        }
                        _ => parsed.counts.push(Tally {
                            village,
                            household_type: kind,
                            measure: measure.to_owned(),
                            key: key.to_owned(),
                            value,
                            households,
                        }),
                    }
                }
                Some("b") => {
                    let kind = kind_of(f.next().ok_or_else(bad)?)?;
                    match f.next() {
                        None => match parsed.no_record.iter_mut().find(|(k, _)| *k == kind) {
                            Some((_, n)) => *n += 1,
                            None => parsed.no_record.push((kind, 1)),
                        },
                        Some(gross) => {
                            let gross: i64 = gross.parse()?;
                            let oop: i64 = f.next().ok_or_else(bad)?.parse()?;
                            let n: i64 = f.next().ok_or_else(bad)?.parse()?;
                            parsed.bands.push((kind, gross, oop, n));
                        }
                    }
                }
                _ => return Err(bad()),
            }
        }
        parsed.net = net
            .into_iter()
            .map(|((kind, year), (gross, oop, hh))| (kind, year, gross, oop, hh))
            .collect();
        Ok(parsed)
    }

    /// Adds this village's tallies under `rule` to `out`: the counts, the net income per year,
    /// then the bands, each in (household type, key) order.
    pub(crate) fn tallies(&self, village: RegionCode, rule: &BandRule, out: &mut Vec<Tally>) {
        out.extend(self.counts.iter().cloned());
        for (kind, year, gross, oop, households) in &self.net {
            out.push(Tally {
                village,
                household_type: *kind,
                measure: "income_net_fen".to_owned(),
                key: year.clone(),
                value: if rule.deduct_out_of_pocket {
                    gross - oop
                } else {
                    *gross
                },
                households: *households,
            });
        }
        // (type, band) → households; a handful of cells.
        let mut bands: Vec<((HouseholdType, IncomeBand), i64)> = self
            .no_record
            .iter()
            .map(|(k, n)| ((*k, IncomeBand::NoRecord), *n))
            .collect();
        for (kind, gross, oop, n) in &self.bands {
            let band = band_of(rule, *gross, *oop, *n);
            match bands.iter_mut().find(|(key, _)| *key == (*kind, band)) {
                Some((_, count)) => *count += 1,
                None => bands.push(((*kind, band), 1)),
            }
        }
        bands.sort();
        for ((kind, band), n) in bands {
            out.push(Tally {
                village,
                household_type: kind,
                measure: "band".to_owned(),
                key: band.code().to_owned(),
                value: n,
                households: n,
            });
        }
    }
}

/// A household's band: the same test as the live SQL, round(net / n) < L ⟺ 2·net + n < 2·n·L.
fn band_of(rule: &BandRule, gross: i64, oop: i64, n: i64) -> IncomeBand {
    let net = if rule.deduct_out_of_pocket {
        gross - oop
    } else {
        gross
    };
    if 2 * net + n < 2 * n * rule.line.fen() {
        IncomeBand::BelowLine
    } else if 2 * net + n < 2 * n * rule.near_line.fen() {
        IncomeBand::NearLine
    } else {
        IncomeBand::AboveNear
    }
}

type Entry = (i64, Arc<ParsedState>);

/// The parsed rows, by (village, valid_from), each with the revision it was parsed at.
#[derive(Default)]
pub(crate) struct TallyCache {
    rows: Mutex<HashMap<(String, String), Entry>>,
}

impl std::fmt::Debug for TallyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.rows.lock().map(|r| r.len()).unwrap_or(0);
        write!(f, "TallyCache({n} rows)")
    }
}

impl TallyCache {
    /// The row parsed at `revision`, if held.
    pub(crate) fn get(
        &self,
        village: &str,
        valid_from: &str,
        revision: i64,
    ) -> Option<Arc<ParsedState>> {
        let rows = self.rows.lock().ok()?;
        // A tuple of borrowed strings cannot look up owned keys; the key is short.
        rows.get(&(village.to_owned(), valid_from.to_owned()))
            .filter(|(r, _)| *r == revision)
            .map(|(_, p)| Arc::clone(p))
    }

    pub(crate) fn put(
        &self,
        village: String,
        valid_from: String,
        revision: i64,
        parsed: Arc<ParsedState>,
    ) {
        if let Ok(mut rows) = self.rows.lock() {
            if rows.len() >= CAPACITY {
                rows.clear();
            }
            rows.insert((village, valid_from), (revision, parsed));
        }
    }

    /// Rows held (for tests and the bench).
    pub(crate) fn len(&self) -> usize {
        self.rows.lock().map(|r| r.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uplift_domain::household::Codebook;
    use uplift_domain::income::Money;

    fn rule(deduct: bool) -> BandRule {
        BandRule {
            line: Money::from_yuan(7_000),
            near_line: Money::from_yuan(10_500),
            deduct_out_of_pocket: deduct,
        }
    }

    #[test]
    fn a_parsed_row_gives_counts_net_income_and_bands_under_each_rule() {
        let village = RegionCode::parse("431026100201").unwrap();
        let fp = HouseholdType::FormerlyPoor.code();
        let state = format!(
            "c\t{fp}\thouseholds\t\t3\t3\nc\t{fp}\tincome_gross_fen\t2025\t2000000\t2\n\
             c\t{fp}\tincome_oop_fen\t2025\t900000\t2\n\
             b\t{fp}\t1500000\t0\t2\nb\t{fp}\t1500000\t900000\t1\nb\t{fp}\n"
        );
        let parsed = ParsedState::parse(village, &state).unwrap();
        let cell = |out: &[Tally], measure: &str, key: &str| {
            out.iter()
                .find(|t| t.measure == measure && t.key == key)
                .map(|t| t.value)
        };
        let mut plain = Vec::new();
        parsed.tallies(village, &rule(false), &mut plain);
        assert_eq!(cell(&plain, "households", ""), Some(3));
        assert_eq!(cell(&plain, "income_net_fen", "2025"), Some(2_000_000));
        // 15,000 yuan over 2 is 7,500 (near the line); over 1 it is above 1.5 L.
        assert_eq!(cell(&plain, "band", "near_line"), Some(1));
        assert_eq!(cell(&plain, "band", "above_near"), Some(1));
        assert_eq!(cell(&plain, "band", "no_record"), Some(1));
        let mut deducting = Vec::new();
        parsed.tallies(village, &rule(true), &mut deducting);
        assert_eq!(cell(&deducting, "income_net_fen", "2025"), Some(1_100_000));
        // 6,000 yuan for one person is below the line once costs are deducted.
        assert_eq!(cell(&deducting, "band", "below_line"), Some(1));
        assert_eq!(cell(&deducting, "band", "near_line"), Some(1));
        assert!(ParsedState::parse(village, "x\tnonsense").is_err());
    }

    #[test]
    fn the_cache_answers_only_at_the_revision_it_holds() {
        let village = RegionCode::parse("431026100201").unwrap();
        let cache = TallyCache::default();
        let parsed = Arc::new(ParsedState::parse(village, "").unwrap());
        cache.put("v".into(), "2021-01-01".into(), 7, parsed);
        assert!(cache.get("v", "2021-01-01", 7).is_some());
        assert!(cache.get("v", "2021-01-01", 8).is_none());
        assert!(cache.get("v", "2021-01-02", 7).is_none());
        assert_eq!(cache.len(), 1);
        assert_ne!(revision("a"), revision("b"));
        assert_eq!(revision("c\tx"), revision("c\tx"));
    }
}
