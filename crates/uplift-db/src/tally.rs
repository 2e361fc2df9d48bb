//! Dashboard tallies maintained per village (migration 0015).
//!
//! `village_tallies` holds each village's registry tallies as a step function of the as-of date,
//! for everything known now: one row per date from which they change, the state as text. Triggers
//! on the three version tables list the households a write touches in `tally_dirty`, in the
//! writing transaction, whatever the path (typed changes, imports, synth, restore).
//! [`Db::settle_tallies`] recomputes the villages those households have ever been in, from their
//! versions, and empties the list; [`Db::maintained_tallies`] settles, then reads one row per
//! village. A county or city dashboard thus sums a few thousand village rows, and the first view
//! after a write recomputes only the villages it touched. A read with a past point of knowledge
//! or a helper's scope is computed live (`dashboard.rs`); a contract test holds the two equal.
//!
//! The state keeps what the income band needs per household (net income with and without
//! out-of-pocket costs, members), so the band rule of the pack in force is applied at read time.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};
use uplift_app::dashboard::{BandRule, Tally};
use uplift_app::store::StoreResult;
use uplift_domain::region::RegionCode;

use crate::codec::date_text;
use crate::registry::unexpected;
use crate::tally_cache::{ParsedState, revision};
use crate::{Backend, Db};

/// Tables derived from the registry: rebuilt, never backed up.
pub(crate) const DERIVED_TABLES: [&str; 2] = ["village_tallies", "tally_dirty"];

/// Villages recomputed per round of queries.
const VILLAGES_PER_ROUND: usize = 200;

/// What a settle did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettleReport {
    /// Households that were marked for recomputation.
    pub households: u64,
    /// Villages recomputed.
    pub villages: u64,
    /// Rows (village, date) written.
    pub rows: u64,
}

/// One stored version: its record, its stamp and its payload.
struct Version<T> {
    id: i64,
    valid_from: String,
    recorded_at: String,
    version_id: i64,
    data: T,
}

struct HouseholdData {
    village: String,
    kind: String,
}

struct PersonData {
    household: i64,
    active: bool,
    head: bool,
    health: String,
    labour: String,
}

struct IncomeData {
    household: i64,
    start: String,
    end: String,
    /// Net income without deducting out-of-pocket medical costs.
    gross: i64,
    oop: i64,
}

/// Versions grouped per record, each group in stamp order (oldest first).
struct Timeline<T> {
    groups: Vec<Vec<Version<T>>>,
}

impl<T> Timeline<T> {
    fn new(mut versions: Vec<Version<T>>) -> Timeline<T> {
        versions.sort_by(|a, b| {
            (a.id, &a.valid_from, &a.recorded_at, a.version_id).cmp(&(
                b.id,
                &b.valid_from,
                &b.recorded_at,
                b.version_id,
            ))
        });
        let mut groups: Vec<Vec<Version<T>>> = Vec::new();
        for v in versions {
            match groups.last_mut() {
                Some(g) if g[0].id == v.id => g.push(v),
                _ => groups.push(vec![v]),
            }
        }
        Timeline { groups }
    }

    /// Each record's version in effect on `day` (latest `valid_from ≤ day`, ties to the latest
    /// recorded, then the largest version id: the order of every registry read).
    fn at<'a>(&'a self, day: &'a str) -> impl Iterator<Item = (i64, &'a T)> + 'a {
        self.groups.iter().filter_map(move |g| {
            let n = g.partition_point(|v| v.valid_from.as_str() <= day);
            n.checked_sub(1).map(|i| (g[i].id, &g[i].data))
        })
    }

    fn dates(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flatten().map(|v| v.valid_from.as_str())
    }
}

/// One household in effect on a day, with what its tallies need.
#[derive(Default)]
struct Household<'a> {
    village: &'a str,
    kind: &'a str,
    members: i64,
    heads: i64,
    health: BTreeMap<&'a str, i64>,
    labour: BTreeMap<&'a str, i64>,
    /// (period end, period start, gross, oop)
    incomes: Vec<(&'a str, &'a str, i64, i64)>,
}

/// What a household's income band needs: the latest record's net income without deducting
/// out-of-pocket costs, those costs, and the members.
type BandInput = (i64, i64, i64);

/// A village's tallies on one day.
#[derive(Default)]
struct VillageState {
    /// (household type, measure, key) → (value, households)
    counts: BTreeMap<(String, &'static str, String), (i64, i64)>,
    /// Per household: its type and, when it has members and an income record, the latest
    /// record's (gross, oop) and its members.
    bands: Vec<(String, Option<BandInput>)>,
}

impl VillageState {
    fn add(&mut self, kind: &str, measure: &'static str, key: &str, value: i64) {
        let e = self
            .counts
            .entry((kind.to_owned(), measure, key.to_owned()))
            .or_default();
        e.0 += value;
        e.1 += 1;
    }

    fn add_household(&mut self, h: &Household<'_>) {
        let kind = h.kind;
        self.add(kind, "households", "", 1);
        if h.members > 0 {
            self.add(kind, "persons", "", h.members);
            for (k, n) in &h.health {
                self.add(kind, "health", k, *n);
            }
            for (k, n) in &h.labour {
                self.add(kind, "labour", k, *n);
            }
        }
        let quality = if h.members == 0 {
            Some("no_members")
        } else if h.heads == 0 {
            Some("no_head")
        } else if h.heads > 1 {
            Some("several_heads")
        } else {
            None
        };
        if let Some(q) = quality {
            self.add(kind, "quality", q, 1);
        }
        let mut years: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for (end, _, gross, oop) in &h.incomes {
            let y = years.entry(end.get(..4).unwrap_or(end)).or_default();
            y.0 += gross;
            y.1 += oop;
        }
        for (year, (gross, oop)) in years {
            self.add(kind, "income_gross_fen", year, gross);
            self.add(kind, "income_oop_fen", year, oop);
            if h.members > 0 {
                self.add(kind, "income_persons", year, h.members);
            }
        }
        let latest = h
            .incomes
            .iter()
            .max_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)))
            .filter(|_| h.members > 0)
            .map(|(_, _, gross, oop)| (*gross, *oop, h.members));
        self.bands.push((kind.to_owned(), latest));
    }

    /// The text stored in `village_tallies.state`: one line per count (`c`) and per household
    /// band input (`b`), tab-separated.
    fn encode(mut self) -> String {
        self.bands.sort();
        let mut s = String::new();
        for ((kind, measure, key), (value, hh)) in &self.counts {
            let _ = writeln!(s, "c\t{kind}\t{measure}\t{key}\t{value}\t{hh}");
        }
        for (kind, input) in &self.bands {
            match input {
                Some((gross, oop, n)) => {
                    let _ = writeln!(s, "b\t{kind}\t{gross}\t{oop}\t{n}");
                }
                None => {
                    let _ = writeln!(s, "b\t{kind}");
                }
            }
        }
        s
    }
}

/// The tallies of the villages in `villages`, per day from which they change: for each village,
/// `(valid_from, state)` in date order, consecutive equal states merged, an empty state where the
/// village's households are all gone.
fn village_timelines(
    villages: &[String],
    households: &Timeline<HouseholdData>,
    persons: &Timeline<PersonData>,
    incomes: &Timeline<IncomeData>,
) -> BTreeMap<String, Vec<(String, String)>> {
    let mut days: Vec<&str> = households
        .dates()
        .chain(persons.dates())
        .chain(incomes.dates())
        .collect();
    days.sort_unstable();
    days.dedup();
    let wanted: std::collections::HashSet<&str> = villages.iter().map(String::as_str).collect();
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for day in days {
        let mut in_effect: HashMap<i64, Household<'_>> = HashMap::new();
        for (id, h) in households.at(day) {
            if wanted.contains(h.village.as_str()) {
                in_effect.insert(
                    id,
                    Household {
                        village: &h.village,
                        kind: &h.kind,
                        ..Household::default()
                    },
                );
            }
        }
        for (_, p) in persons.at(day) {
            if !p.active {
                continue;
            }
            if let Some(h) = in_effect.get_mut(&p.household) {
                h.members += 1;
                h.heads += i64::from(p.head);
                *h.health.entry(&p.health).or_default() += 1;
                *h.labour.entry(&p.labour).or_default() += 1;
            }
        }
        for (_, i) in incomes.at(day) {
            if let Some(h) = in_effect.get_mut(&i.household) {
                h.incomes.push((&i.end, &i.start, i.gross, i.oop));
            }
        }
        let mut states: BTreeMap<&str, VillageState> = BTreeMap::new();
        for h in in_effect.values() {
            states.entry(h.village).or_default().add_household(h);
        }
        for village in villages {
            let state = states
                .remove(village.as_str())
                .map(VillageState::encode)
                .unwrap_or_default();
            let timeline = out.entry(village.clone()).or_default();
            let same = match timeline.last() {
                Some((_, last)) => *last == state,
                None => state.is_empty(),
            };
            if !same {
                timeline.push((day.to_owned(), state));
            }
        }
    }
    out
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn stamp<T>(row: &AnyRow, data: T) -> anyhow::Result<Version<T>> {
    Ok(Version {
        id: row.try_get(0)?,
        valid_from: row.try_get(1)?,
        recorded_at: row.try_get(2)?,
        version_id: row.try_get(3)?,
        data,
    })
}

impl Db {
    /// Recomputes the villages of every household the registry's triggers marked since the last
    /// settle, in one transaction that holds the registry's write lock (no write lands halfway).
    /// Called before every maintained read; the bench and tests may call it to time it.
    pub async fn settle_tallies(&self) -> StoreResult<SettleReport> {
        let pending: Option<i64> =
            sqlx::query_scalar("SELECT household_id FROM tally_dirty LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(unexpected)?;
        if pending.is_none() {
            return Ok(SettleReport::default());
        }
        let mut tx = self
            .pool
            .begin_with(self.backend.begin_write())
            .await
            .map_err(unexpected)?;
        let report = self.settle_in(&mut tx).await.map_err(unexpected)?;
        tx.commit().await.map_err(unexpected)?;
        Ok(report)
    }

    async fn settle_in(&self, tx: &mut Transaction<'static, Any>) -> anyhow::Result<SettleReport> {
        if self.backend == Backend::Postgres {
            // Every registry write updates this row (migration 0010) and holds it to commit.
            sqlx::query("SELECT epoch FROM registry_epoch WHERE id = 1 FOR UPDATE")
                .execute(&mut **tx)
                .await?;
        }
        let households: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tally_dirty")
            .fetch_one(&mut **tx)
            .await?;
        if households == 0 {
            return Ok(SettleReport::default());
        }
        let villages: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT region_code FROM household_versions \
             WHERE household_id IN (SELECT household_id FROM tally_dirty) ORDER BY region_code",
        )
        .fetch_all(&mut **tx)
        .await?;
        let mut report = SettleReport {
            households: households as u64,
            villages: villages.len() as u64,
            rows: 0,
        };
        for round in villages.chunks(VILLAGES_PER_ROUND) {
            report.rows += self.recompute(tx, round).await?;
        }
        sqlx::query("DELETE FROM tally_dirty")
            .execute(&mut **tx)
            .await?;
        Ok(report)
    }

    /// Recomputes and rewrites the timelines of these villages; the rows written.
    async fn recompute(
        &self,
        tx: &mut Transaction<'static, Any>,
        villages: &[String],
    ) -> anyhow::Result<u64> {
        let list = placeholders(1, villages.len());
        let ever =
            format!("SELECT household_id FROM household_versions WHERE region_code IN ({list})");
        let bind_all = |sql: String| {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for v in villages {
                q = q.bind(v.clone());
            }
            q
        };
        let rows = bind_all(format!(
            "SELECT household_id, valid_from, recorded_at, version_id, region_code, household_type \
             FROM household_versions WHERE household_id IN ({ever})"
        ))
        .fetch_all(&mut **tx)
        .await?;
        let households = Timeline::new(
            rows.iter()
                .map(|r| {
                    stamp(
                        r,
                        HouseholdData {
                            village: r.try_get(4)?,
                            kind: r.try_get(5)?,
                        },
                    )
                })
                .collect::<anyhow::Result<_>>()?,
        );
        let rows = bind_all(format!(
            "SELECT person_id, valid_from, recorded_at, version_id, household_id, status, relation, \
               health, labour FROM person_versions WHERE person_id IN \
             (SELECT person_id FROM person_versions WHERE household_id IN ({ever}))"
        ))
        .fetch_all(&mut **tx)
        .await?;
        let persons = Timeline::new(
            rows.iter()
                .map(|r| {
                    let status: String = r.try_get(5)?;
                    let relation: String = r.try_get(6)?;
                    stamp(
                        r,
                        PersonData {
                            household: r.try_get(4)?,
                            active: status == "active",
                            head: relation == "head",
                            health: r.try_get(7)?,
                            labour: r.try_get(8)?,
                        },
                    )
                })
                .collect::<anyhow::Result<_>>()?,
        );
        let rows = bind_all(format!(
            "SELECT income_id, valid_from, recorded_at, version_id, household_id, period_start, \
               period_end, \
               CAST(wage_fen + business_fen + property_fen + transfer_fen - production_costs_fen AS BIGINT), \
               CAST(COALESCE(compliant_oop_fen, 0) AS BIGINT) \
             FROM income_versions WHERE income_id IN \
             (SELECT income_id FROM income_versions WHERE household_id IN ({ever}))"
        ))
        .fetch_all(&mut **tx)
        .await?;
        let incomes = Timeline::new(
            rows.iter()
                .map(|r| {
                    stamp(
                        r,
                        IncomeData {
                            household: r.try_get(4)?,
                            start: r.try_get(5)?,
                            end: r.try_get(6)?,
                            gross: r.try_get(7)?,
                            oop: r.try_get(8)?,
                        },
                    )
                })
                .collect::<anyhow::Result<_>>()?,
        );
        let timelines = village_timelines(villages, &households, &persons, &incomes);
        bind_all(format!(
            "DELETE FROM village_tallies WHERE village IN ({list})"
        ))
        .execute(&mut **tx)
        .await?;
        let rows: Vec<(&String, &String, &String)> = timelines
            .iter()
            .flat_map(|(v, t)| t.iter().map(move |(day, state)| (v, day, state)))
            .collect();
        for chunk in rows.chunks(300) {
            let sql = format!(
                "INSERT INTO village_tallies (village, valid_from, state, revision) VALUES {}",
                crate::registry::values_placeholders(self.backend, chunk.len(), 4)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (v, day, state) in chunk {
                q = q
                    .bind((*v).clone())
                    .bind((*day).clone())
                    .bind((*state).clone())
                    .bind(revision(state));
            }
            q.execute(&mut **tx).await?;
        }
        Ok(rows.len() as u64)
    }

    /// The registry tallies of villages `low..=high` as of `as_of` (everything known now), from
    /// the maintained village rows, settled first. Lists the rows in effect with their revisions
    /// and reads only the states the in-process cache does not hold (`tally_cache.rs`).
    pub(crate) async fn maintained_tallies(
        &self,
        low: &str,
        high: &str,
        as_of: chrono::NaiveDate,
        rule: &BandRule,
    ) -> StoreResult<Vec<Tally>> {
        self.settle_tallies().await?;
        let heads = sqlx::query(
            "SELECT village, valid_from, revision FROM village_tallies t \
             WHERE village BETWEEN $1 AND $2 AND valid_from = \
               (SELECT MAX(valid_from) FROM village_tallies u \
                WHERE u.village = t.village AND u.valid_from <= $3)",
        )
        .bind(low)
        .bind(high)
        .bind(date_text(as_of))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        let mut rows: Vec<(RegionCode, Option<Arc<ParsedState>>)> = Vec::with_capacity(heads.len());
        let mut missing: Vec<(String, String, usize)> = Vec::new();
        for row in heads {
            let village: String = row.try_get(0).map_err(unexpected)?;
            let valid_from: String = row.try_get(1).map_err(unexpected)?;
            let rev: i64 = row.try_get(2).map_err(unexpected)?;
            let code = RegionCode::parse(&village).map_err(unexpected)?;
            let held = self.tally_cache.get(&village, &valid_from, rev);
            if held.is_none() {
                missing.push((village, valid_from, rows.len()));
            }
            rows.push((code, held));
        }
        for chunk in missing.chunks(VILLAGES_PER_ROUND) {
            // Every (village, date) of the chunk, and some others of the same villages and
            // dates, filtered here: one query a round instead of one per row.
            let villages = placeholders(1, chunk.len());
            let dates = placeholders(1 + chunk.len(), chunk.len());
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "SELECT village, valid_from, revision, state FROM village_tallies \
                 WHERE village IN ({villages}) AND valid_from IN ({dates})"
            )));
            for (v, _, _) in chunk {
                q = q.bind(v.clone());
            }
            for (_, day, _) in chunk {
                q = q.bind(day.clone());
            }
            let found = q.fetch_all(&self.pool).await.map_err(unexpected)?;
            let wanted: HashMap<(&str, &str), usize> = chunk
                .iter()
                .map(|(v, day, i)| ((v.as_str(), day.as_str()), *i))
                .collect();
            for row in found {
                let village: String = row.try_get(0).map_err(unexpected)?;
                let valid_from: String = row.try_get(1).map_err(unexpected)?;
                let Some(&i) = wanted.get(&(village.as_str(), valid_from.as_str())) else {
                    continue;
                };
                let rev: i64 = row.try_get(2).map_err(unexpected)?;
                let state: String = row.try_get(3).map_err(unexpected)?;
                let parsed = Arc::new(ParsedState::parse(rows[i].0, &state).map_err(unexpected)?);
                self.tally_cache
                    .put(village, valid_from, rev, Arc::clone(&parsed));
                rows[i].1 = Some(parsed);
            }
        }
        let mut out = Vec::new();
        for (village, parsed) in &rows {
            // A row settled away between the two reads: read again from the start.
            let Some(parsed) = parsed else {
                return Box::pin(self.maintained_tallies(low, high, as_of, rule)).await;
            };
            parsed.tallies(*village, rule, &mut out);
        }
        Ok(out)
    }

    /// Rows held by the in-process cache of parsed village tallies.
    pub fn cached_tally_rows(&self) -> usize {
        self.tally_cache.len()
    }

    /// A handle on the same database with an empty tally cache of its own: what another
    /// process (a CLI import while `serve` runs) holds.
    pub fn with_own_tally_cache(&self) -> Db {
        Db {
            tally_cache: Arc::default(),
            ..self.clone()
        }
    }
}
