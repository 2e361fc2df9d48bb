//! The dashboard half of the store: registry tallies per village, aggregated in SQL.
//!
//! Computed live from the `*_versions` tables at the read's point of view, with the same
//! window as every registry read (`registry.rs`), so an `as_of` replays the dashboard exactly.
//! Reads of everything known now use the tallies maintained per village instead (`tally.rs`).

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row};
use uplift_app::dashboard::{BandFilter, BandRule, DashboardStore, IncomeBand, Tally, TallyQuery};
use uplift_app::store::{Scope, StoreResult};
use uplift_domain::household::HouseholdType;
use uplift_domain::region::RegionCode;

use crate::Db;
use crate::codec::{self, date_text, known_at_text};
use crate::registry::{code_range, unexpected};

const LATEST_FIRST: &str = "ORDER BY valid_from DESC, recorded_at DESC, version_id DESC";

/// The region a scoped read of `within` may see; `None` when they do not overlap.
fn scoped_range(scope: &Scope, within: &RegionCode) -> Option<(String, String, Option<i64>)> {
    match scope {
        Scope::Nothing => None,
        Scope::Everything => {
            let (low, high) = code_range(within);
            Some((low, high, None))
        }
        Scope::Assigned(user) => {
            let (low, high) = code_range(within);
            Some((low, high, Some(user.0)))
        }
        Scope::Region(s) if s.contains(within) => {
            let (low, high) = code_range(within);
            Some((low, high, None))
        }
        Scope::Region(s) if within.contains(s) => {
            let (low, high) = code_range(s);
            Some((low, high, None))
        }
        Scope::Region(_) => None,
    }
}

/// The common table expressions of a registry read at `$1` (as of) and `$2` (known at) over
/// village codes `$3..$4`: `h` (households in effect), `p` (their active members), `m` (members
/// per household), `i` (income records in effect, with `net`) and `band` (each household's band
/// against the line `$5` and 1.5 × line `$6`).
pub(crate) fn registry_ctes(rule: &BandRule, assigned: Option<i64>) -> String {
    let oop = if rule.deduct_out_of_pocket {
        " - COALESCE(compliant_oop_fen, 0)"
    } else {
        ""
    };
    // The key is an integer of ours, not user input.
    let assigned = assigned
        .map(|u| {
            format!(" AND household_id IN (SELECT household_id FROM helper_assignments WHERE user_id = {u})")
        })
        .unwrap_or_default();
    // Per-capita net income rounds half away from zero (`Money::per_capita`); for n members and
    // a line L in fen, round(net / n) < L exactly when 2·net + n < 2·n·L.
    format!(
        "WITH h AS (SELECT household_id, household_type, region_code FROM \
           (SELECT hv.household_id, hv.household_type, hv.region_code, \
             ROW_NUMBER() OVER (PARTITION BY household_id {LATEST_FIRST}) AS rn \
            FROM household_versions hv WHERE valid_from <= $1 AND recorded_at <= $2 AND household_id IN \
             (SELECT household_id FROM household_versions WHERE region_code BETWEEN $3 AND $4)) x \
          WHERE rn = 1 AND region_code BETWEEN $3 AND $4{assigned}), \
         p AS (SELECT household_id, health, labour, relation FROM \
           (SELECT pv.household_id, pv.health, pv.labour, pv.relation, pv.status, \
             ROW_NUMBER() OVER (PARTITION BY person_id {LATEST_FIRST}) AS rn \
            FROM person_versions pv WHERE valid_from <= $1 AND recorded_at <= $2 AND person_id IN \
             (SELECT person_id FROM person_versions WHERE household_id IN (SELECT household_id FROM h))) y \
          WHERE rn = 1 AND status = 'active' AND household_id IN (SELECT household_id FROM h)), \
         m AS (SELECT household_id, COUNT(*) AS n, \
             SUM(CASE WHEN relation = 'head' THEN 1 ELSE 0 END) AS heads FROM p GROUP BY household_id), \
         i AS (SELECT household_id, period_start, period_end, net FROM \
           (SELECT iv.household_id, iv.period_start, iv.period_end, \
             wage_fen + business_fen + property_fen + transfer_fen - production_costs_fen{oop} AS net, \
             ROW_NUMBER() OVER (PARTITION BY income_id {LATEST_FIRST}) AS rn \
            FROM income_versions iv WHERE valid_from <= $1 AND recorded_at <= $2 \
             AND household_id IN (SELECT household_id FROM h)) z WHERE rn = 1), \
         latest AS (SELECT household_id, net FROM \
           (SELECT household_id, net, ROW_NUMBER() OVER \
             (PARTITION BY household_id ORDER BY period_end DESC, period_start DESC) AS r2 FROM i) w \
          WHERE r2 = 1), \
         band AS (SELECT h.household_id, h.household_type, h.region_code, \
             CASE WHEN latest.net IS NULL OR m.n IS NULL THEN '{no}' \
                  WHEN 2 * latest.net + m.n < 2 * m.n * $5 THEN '{below}' \
                  WHEN 2 * latest.net + m.n < 2 * m.n * $6 THEN '{near}' \
                  ELSE '{above}' END AS band \
           FROM h LEFT JOIN m ON m.household_id = h.household_id \
           LEFT JOIN latest ON latest.household_id = h.household_id)",
        no = IncomeBand::NoRecord.code(),
        below = IncomeBand::BelowLine.code(),
        near = IncomeBand::NearLine.code(),
        above = IncomeBand::AboveNear.code(),
    )
}

/// A condition of the household list (`cur` holds the current household versions, `$1` and
/// `$2` the point of view): the household's latest income record places it in `filter.band`.
/// The line is inlined as integer literals: amounts of the policy pack, not user input.
pub(crate) fn band_condition(filter: &BandFilter) -> String {
    let oop = if filter.rule.deduct_out_of_pocket {
        " - COALESCE(compliant_oop_fen, 0)"
    } else {
        ""
    };
    format!(
        " AND household_id IN (SELECT hh.household_id FROM cur hh \
         LEFT JOIN (SELECT household_id, COUNT(*) AS n FROM \
           (SELECT pv.household_id, pv.status, ROW_NUMBER() OVER (PARTITION BY person_id {LATEST_FIRST}) AS rn \
            FROM person_versions pv WHERE valid_from <= $1 AND recorded_at <= $2 AND person_id IN \
             (SELECT person_id FROM person_versions WHERE household_id IN (SELECT household_id FROM cur))) y \
           WHERE rn = 1 AND status = 'active' GROUP BY household_id) bm ON bm.household_id = hh.household_id \
         LEFT JOIN (SELECT household_id, net FROM (SELECT household_id, net, ROW_NUMBER() OVER \
             (PARTITION BY household_id ORDER BY period_end DESC, period_start DESC) AS r2 FROM \
           (SELECT iv.household_id, period_start, period_end, \
             wage_fen + business_fen + property_fen + transfer_fen - production_costs_fen{oop} AS net, \
             ROW_NUMBER() OVER (PARTITION BY income_id {LATEST_FIRST}) AS rn FROM income_versions iv \
            WHERE valid_from <= $1 AND recorded_at <= $2 AND household_id IN (SELECT household_id FROM cur)) z \
           WHERE rn = 1) w WHERE r2 = 1) bl ON bl.household_id = hh.household_id \
         WHERE hh.rn = 1 AND (CASE WHEN bl.net IS NULL OR bm.n IS NULL THEN '{no}' \
              WHEN 2 * bl.net + bm.n < 2 * bm.n * {line} THEN '{below}' \
              WHEN 2 * bl.net + bm.n < 2 * bm.n * {near} THEN '{near_code}' \
              ELSE '{above}' END) = '{want}')",
        line = filter.rule.line.fen(),
        near = filter.rule.near_line.fen(),
        no = IncomeBand::NoRecord.code(),
        below = IncomeBand::BelowLine.code(),
        near_code = IncomeBand::NearLine.code(),
        above = IncomeBand::AboveNear.code(),
        want = filter.band.code(),
    )
}

impl Db {
    /// The tallies of `query` computed live from the version tables, never from the cache (the
    /// reference the cached answers are tested against).
    pub async fn registry_tallies_live(&self, query: &TallyQuery) -> StoreResult<Vec<Tally>> {
        let Some((low, high, assigned)) = scoped_range(&query.scope, &query.within) else {
            return Ok(Vec::new());
        };
        self.live_tallies(query, low, high, assigned).await
    }

    async fn live_tallies(
        &self,
        query: &TallyQuery,
        low: String,
        high: String,
        assigned: Option<i64>,
    ) -> StoreResult<Vec<Tally>> {
        let ctes = registry_ctes(&query.rule, assigned);
        let sql = format!(
            "{ctes} \
             SELECT region_code AS village, household_type, 'households' AS measure, '' AS k, \
               COUNT(*) AS value, COUNT(*) AS hh FROM h GROUP BY region_code, household_type \
             UNION ALL SELECT h.region_code, h.household_type, 'persons', '', COUNT(*), \
               COUNT(DISTINCT p.household_id) FROM p JOIN h ON h.household_id = p.household_id \
               GROUP BY h.region_code, h.household_type \
             UNION ALL SELECT h.region_code, h.household_type, 'health', p.health, COUNT(*), \
               COUNT(DISTINCT p.household_id) FROM p JOIN h ON h.household_id = p.household_id \
               GROUP BY h.region_code, h.household_type, p.health \
             UNION ALL SELECT h.region_code, h.household_type, 'labour', p.labour, COUNT(*), \
               COUNT(DISTINCT p.household_id) FROM p JOIN h ON h.household_id = p.household_id \
               GROUP BY h.region_code, h.household_type, p.labour \
             UNION ALL SELECT region_code, household_type, 'band', band, COUNT(*), COUNT(*) \
               FROM band GROUP BY region_code, household_type, band \
             UNION ALL SELECT h.region_code, h.household_type, 'quality', \
               CASE WHEN m.n IS NULL THEN 'no_members' WHEN m.heads = 0 THEN 'no_head' \
                    ELSE 'several_heads' END, COUNT(*), COUNT(*) \
               FROM h LEFT JOIN m ON m.household_id = h.household_id \
               WHERE m.n IS NULL OR m.heads <> 1 \
               GROUP BY h.region_code, h.household_type, \
                 CASE WHEN m.n IS NULL THEN 'no_members' WHEN m.heads = 0 THEN 'no_head' \
                      ELSE 'several_heads' END \
             UNION ALL SELECT h.region_code, h.household_type, 'income_net_fen', \
               SUBSTR(i.period_end, 1, 4), CAST(SUM(i.net) AS BIGINT), COUNT(DISTINCT i.household_id) \
               FROM i JOIN h ON h.household_id = i.household_id \
               GROUP BY h.region_code, h.household_type, SUBSTR(i.period_end, 1, 4) \
             UNION ALL SELECT h.region_code, h.household_type, 'income_persons', yr, \
               CAST(SUM(m.n) AS BIGINT), COUNT(*) \
               FROM (SELECT DISTINCT household_id, SUBSTR(period_end, 1, 4) AS yr FROM i) iy \
               JOIN h ON h.household_id = iy.household_id JOIN m ON m.household_id = iy.household_id \
               GROUP BY h.region_code, h.household_type, yr"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(date_text(query.at.as_of))
            .bind(known_at_text(query.at.known_at))
            .bind(low)
            .bind(high)
            .bind(query.rule.line.fen())
            .bind(query.rule.near_line.fen())
            .fetch_all(&self.pool)
            .await
            .map_err(unexpected)?;
        rows.iter()
            .map(|row| -> anyhow::Result<Tally> {
                let village: String = row.try_get(0)?;
                let household_type: String = row.try_get(1)?;
                Ok(Tally {
                    village: RegionCode::parse(&village)?,
                    household_type: codec::code::<HouseholdType>(&household_type)?,
                    measure: row.try_get(2)?,
                    key: row.try_get(3)?,
                    value: row.try_get(4)?,
                    households: row.try_get(5)?,
                })
            })
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }
}

#[async_trait]
impl DashboardStore for Db {
    /// Reads of everything known now over a region come from the tallies maintained per village
    /// (`tally.rs`); past points of knowledge and helpers' scopes are computed live.
    async fn registry_tallies(&self, query: &TallyQuery) -> StoreResult<Vec<Tally>> {
        let Some((low, high, assigned)) = scoped_range(&query.scope, &query.within) else {
            return Ok(Vec::new());
        };
        if assigned.is_some() || query.at.known_at.is_some() {
            return self.live_tallies(query, low, high, assigned).await;
        }
        self.maintained_tallies(&low, &high, query.at.as_of, &query.rule)
            .await
    }
}
