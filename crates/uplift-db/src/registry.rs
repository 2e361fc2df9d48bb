//! The registry half of the store: regions, households, members and incomes, bitemporally.
//!
//! Every read picks, per record, the version with the latest `valid_from` on or before the
//! read's `as_of` among those recorded by its `known_at`, ties going to the latest recorded: the
//! same rule as `uplift_domain::version::resolve`, as a window function.

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};
use uplift_app::access::{AuditEvent, Session, User};
use uplift_app::store::UserId;
use uplift_app::store::{
    HistoryEntry, HouseholdDetail, HouseholdFilter, HouseholdId, HouseholdSummary, IncomeEntry,
    IncomeId, MemberRecord, NewHousehold, Page, Paged, PersonId, RegistryCounts, Scope, Store,
    StoreError, StoreResult,
};
use uplift_domain::household::{
    Codebook, Household, HouseholdNo, HouseholdType, MemberStatus, Person, Relation,
};
use uplift_domain::income::{IncomeRecord, Money};
use uplift_domain::region::{Region, RegionCode, RegionLevel};
use uplift_domain::resident_id::{ResidentId, Sex};
use uplift_domain::version::{ReadAt, VersionStamp, Versioned};

use crate::cipher::FieldCipher;
use crate::codec::{self, date_text, instant_text, known_at_text};
use crate::{Backend, Db};

/// Rows per multi-row INSERT; keeps the bound parameters under SQLite's limit of 32,766.
const ROWS_PER_INSERT: usize = 500;

pub(crate) const LATEST_FIRST: &str = "ORDER BY valid_from DESC, recorded_at DESC, version_id DESC";

pub(crate) fn unexpected(e: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unexpected(e.into())
}

/// The 12-digit code range `[low, high]` of everything inside a region.
pub(crate) fn code_range(region: &RegionCode) -> (String, String) {
    let prefix = region.prefix();
    (format!("{prefix:0<12}"), format!("{prefix:9<12}"))
}

/// The region a scoped, filtered read may see: `None` when scope and filter do not overlap,
/// `Some(None)` when nothing narrows it.
pub(crate) fn effective_region(
    scope: &Scope,
    filter: Option<&RegionCode>,
) -> Option<Option<RegionCode>> {
    match (scope, filter) {
        (Scope::Nothing, _) => None,
        (Scope::Everything | Scope::Assigned(_), f) => Some(f.copied()),
        (Scope::Region(s), None) => Some(Some(*s)),
        (Scope::Region(s), Some(f)) if s.contains(f) => Some(Some(*f)),
        (Scope::Region(s), Some(f)) if f.contains(s) => Some(Some(*s)),
        (Scope::Region(_), Some(_)) => None,
    }
}

/// `($1, $2, …), ($k, …)` for `rows` rows of `cols` columns; plain `?` for SQLite, whose
/// lookup of numbered parameters by name is quadratic in their count.
pub(crate) fn values_placeholders(backend: Backend, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            match backend {
                Backend::Sqlite => s.push('?'),
                Backend::Postgres => {
                    s.push('$');
                    s.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

/// A value bound into a multi-row INSERT.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

pub(crate) async fn insert_rows(
    backend: Backend,
    tx: &mut Transaction<'static, Any>,
    table_and_columns: &str,
    cols: usize,
    rows: Vec<Vec<Cell>>,
) -> StoreResult<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO {table_and_columns} VALUES {}",
            values_placeholders(backend, chunk.len(), cols)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            debug_assert_eq!(row.len(), cols);
            for cell in row {
                q = match cell {
                    Cell::Int(v) => q.bind(*v),
                    Cell::OptInt(v) => q.bind(*v),
                    Cell::Text(v) => q.bind(v.clone()),
                    Cell::OptText(v) => q.bind(v.clone()),
                };
            }
        }
        q.execute(&mut **tx).await.map_err(unexpected)?;
    }
    Ok(())
}

/// Reserves `n` consecutive keys of a sequence; returns the first.
pub(crate) async fn reserve_keys(
    tx: &mut Transaction<'static, Any>,
    sequence: &str,
    n: usize,
) -> StoreResult<i64> {
    let n = i64::try_from(n).map_err(unexpected)?;
    let next: i64 = sqlx::query_scalar(
        "UPDATE key_sequences SET next_value = next_value + $1 WHERE name = $2 RETURNING next_value",
    )
    .bind(n)
    .bind(sequence.to_owned())
    .fetch_one(&mut **tx)
    .await
    .map_err(unexpected)?;
    Ok(next - n)
}

pub(crate) fn stamp_cells(stamp: &VersionStamp) -> [Cell; 5] {
    [
        Cell::Text(date_text(stamp.valid_from)),
        Cell::Text(instant_text(&stamp.recorded_at)),
        Cell::Text(stamp.actor.clone()),
        Cell::Text(stamp.source.clone()),
        Cell::OptText(stamp.reason.clone()),
    ]
}

pub(crate) const HOUSEHOLD_VERSION_COLUMNS: &str = "household_versions (version_id, household_id, valid_from, \
     recorded_at, actor, source, reason, household_no, household_type, region_code, address)";

pub(crate) fn household_cells(
    version: i64,
    id: i64,
    h: &Household,
    stamp: &VersionStamp,
) -> Vec<Cell> {
    household_cells_stamped(version, id, h, &stamp_cells(stamp))
}

/// [`household_cells`] with the stamp's cells computed once for many rows (imports).
pub(crate) fn household_cells_stamped(
    version: i64,
    id: i64,
    h: &Household,
    stamp: &[Cell; 5],
) -> Vec<Cell> {
    let mut row = Vec::with_capacity(11);
    row.extend([Cell::Int(version), Cell::Int(id)]);
    row.extend(stamp.iter().cloned());
    row.extend([
        Cell::Text(h.household_no.as_str().to_owned()),
        Cell::Text(h.household_type.code().to_owned()),
        Cell::Text(h.region.as_str().to_owned()),
        Cell::OptText(h.address.clone()),
    ]);
    row
}

pub(crate) const PERSON_VERSION_COLUMNS: &str = "person_versions (version_id, person_id, household_id, \
     valid_from, recorded_at, actor, source, reason, name, id_number, relation, sex, birth_date, \
     education, schooling, health, disability_grade, labour, major_illness_insurance, phone, status, \
     id_lookup)";

/// How many columns [`PERSON_VERSION_COLUMNS`] names.
pub(crate) const PERSON_VERSION_WIDTH: usize = 22;

/// A `person_versions` row in [`PERSON_VERSION_COLUMNS`] order; the ID number and phone go
/// through the database's [`FieldCipher`] (encrypted at rest when a data key is configured).
pub(crate) fn person_cells(
    cipher: &FieldCipher,
    version: i64,
    id: i64,
    household: i64,
    p: &Person,
    stamp: &VersionStamp,
) -> Vec<Cell> {
    person_cells_stamped(cipher, version, id, household, p, &stamp_cells(stamp))
}

/// [`person_cells`] with the stamp's cells computed once for many rows (imports).
pub(crate) fn person_cells_stamped(
    cipher: &FieldCipher,
    version: i64,
    id: i64,
    household: i64,
    p: &Person,
    stamp: &[Cell; 5],
) -> Vec<Cell> {
    let mut row = Vec::with_capacity(PERSON_VERSION_WIDTH);
    row.extend([Cell::Int(version), Cell::Int(id), Cell::Int(household)]);
    row.extend(stamp.iter().cloned());
    row.extend(person_values(cipher, p));
    row
}

/// The stored values of a member, in the order of [`PERSON_VERSION_COLUMNS`] after the stamp:
/// the ONE place that turns a person into column values (every write of a member, typed
/// change or import, on either backend, goes through it). The ID number and phone go through
/// the database's [`FieldCipher`].
pub(crate) fn person_values(cipher: &FieldCipher, p: &Person) -> [Cell; 14] {
    let stored = cipher.person_columns(&p.id_number, p.phone.as_deref());
    [
        Cell::Text(p.name.clone()),
        Cell::Text(stored.id_number),
        Cell::Text(p.relation.code().to_owned()),
        Cell::OptText(p.sex.map(|s| s.code().to_owned())),
        Cell::OptText(p.birth_date.map(date_text)),
        Cell::OptText(p.education.map(|e| e.code().to_owned())),
        Cell::OptText(p.schooling.map(|e| e.code().to_owned())),
        Cell::Text(p.health.code().to_owned()),
        Cell::OptInt(p.disability_grade.map(i64::from)),
        Cell::Text(p.labour.code().to_owned()),
        Cell::OptInt(p.major_illness_insurance.map(i64::from)),
        Cell::OptText(stored.phone),
        Cell::Text(p.status.code().to_owned()),
        Cell::Text(stored.id_lookup),
    ]
}

pub(crate) const INCOME_VERSION_COLUMNS: &str = "income_versions (version_id, income_id, household_id, \
     valid_from, recorded_at, actor, source, reason, period_start, period_end, wage_fen, \
     business_fen, property_fen, transfer_fen, production_costs_fen, compliant_oop_fen)";

pub(crate) fn income_cells(
    version: i64,
    id: i64,
    household: i64,
    r: &IncomeRecord,
    stamp: &VersionStamp,
) -> Vec<Cell> {
    income_cells_stamped(version, id, household, r, &stamp_cells(stamp))
}

/// [`income_cells`] with the stamp's cells computed once for many rows (imports); the
/// stamp's `valid_from` is that of the record's own version.
pub(crate) fn income_cells_stamped(
    version: i64,
    id: i64,
    household: i64,
    r: &IncomeRecord,
    stamp: &[Cell; 5],
) -> Vec<Cell> {
    let mut row = Vec::with_capacity(16);
    row.extend([Cell::Int(version), Cell::Int(id), Cell::Int(household)]);
    row.extend(stamp.iter().cloned());
    row.extend([
        Cell::Text(date_text(r.period_start)),
        Cell::Text(date_text(r.period_end)),
        Cell::Int(r.wage.fen()),
        Cell::Int(r.business.fen()),
        Cell::Int(r.property.fen()),
        Cell::Int(r.transfer.fen()),
        Cell::Int(r.production_costs.fen()),
        Cell::OptInt(r.compliant_out_of_pocket.map(Money::fen)),
    ]);
    row
}

pub(crate) fn household_from_row(row: &AnyRow) -> anyhow::Result<Household> {
    let no: String = row.try_get("household_no")?;
    let region: String = row.try_get("region_code")?;
    Ok(Household {
        household_no: HouseholdNo::parse(&no).context("stored household_no")?,
        household_type: codec::code::<HouseholdType>(&row.try_get::<String, _>("household_type")?)?,
        region: RegionCode::parse(&region).context("stored region_code")?,
        address: row.try_get("address")?,
    })
}

pub(crate) fn person_from_row(cipher: &FieldCipher, row: &AnyRow) -> anyhow::Result<Person> {
    let id_number = cipher.open("id_number", &row.try_get::<String, _>("id_number")?)?;
    let sex: Option<String> = row.try_get("sex")?;
    let birth: Option<String> = row.try_get("birth_date")?;
    let grade: Option<i64> = row.try_get("disability_grade")?;
    let insured: Option<i64> = row.try_get("major_illness_insurance")?;
    Ok(Person {
        name: row.try_get("name")?,
        id_number: ResidentId::from_stored(&id_number)
            .with_context(|| format!("bad stored id_number {id_number:?}"))?,
        relation: codec::code::<Relation>(&row.try_get::<String, _>("relation")?)?,
        sex: sex.as_deref().and_then(Sex::parse),
        birth_date: birth.as_deref().map(codec::parse_date).transpose()?,
        education: codec::opt_code(row.try_get("education")?)?,
        schooling: codec::opt_code(row.try_get("schooling")?)?,
        health: codec::code(&row.try_get::<String, _>("health")?)?,
        disability_grade: grade.map(u8::try_from).transpose()?,
        labour: codec::code(&row.try_get::<String, _>("labour")?)?,
        major_illness_insurance: insured.map(|v| v != 0),
        phone: cipher.open_opt("phone", row.try_get("phone")?)?,
        status: codec::code::<MemberStatus>(&row.try_get::<String, _>("status")?)?,
    })
}

pub(crate) fn income_from_row(row: &AnyRow) -> anyhow::Result<IncomeRecord> {
    let fen = |c: &str| -> anyhow::Result<Money> { Ok(Money::from_fen(row.try_get(c)?)) };
    let oop: Option<i64> = row.try_get("compliant_oop_fen")?;
    Ok(IncomeRecord {
        period_start: codec::parse_date(&row.try_get::<String, _>("period_start")?)?,
        period_end: codec::parse_date(&row.try_get::<String, _>("period_end")?)?,
        wage: fen("wage_fen")?,
        business: fen("business_fen")?,
        property: fen("property_fen")?,
        transfer: fen("transfer_fen")?,
        production_costs: fen("production_costs_fen")?,
        compliant_out_of_pocket: oop.map(Money::from_fen),
    })
}

fn region_from_row(row: &AnyRow) -> anyhow::Result<Region> {
    let code: String = row.try_get("code")?;
    Ok(Region {
        code: RegionCode::parse(&code).context("stored region code")?,
        name: row.try_get("name")?,
    })
}

impl Db {
    pub(crate) async fn begin_write(&self) -> StoreResult<Transaction<'static, Any>> {
        self.pool
            .begin_with(self.backend.begin_write())
            .await
            .map_err(unexpected)
    }

    pub(crate) async fn next_version_ids(
        tx: &mut Transaction<'static, Any>,
        n: usize,
    ) -> StoreResult<std::ops::Range<i64>> {
        let first = reserve_keys(tx, "versions", n).await?;
        Ok(first..first + n as i64)
    }

    /// Members in effect at `at` of the given households: person id, household id, row.
    pub(crate) async fn members_of(
        &self,
        households: &[i64],
        at: ReadAt,
    ) -> StoreResult<Vec<(PersonId, HouseholdId, Versioned<Person>)>> {
        if households.is_empty() {
            return Ok(Vec::new());
        }
        // One household (every page) is a bound parameter, so its statement is prepared once
        // per connection; a list is written out (integers of ours, not user input).
        let list = match households {
            [_] => "$3".to_owned(),
            _ => households
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
        };
        let sql = format!(
            "SELECT * FROM (SELECT pv.*, ROW_NUMBER() OVER (PARTITION BY person_id {LATEST_FIRST}) AS rn \
             FROM person_versions pv \
             WHERE person_id IN (SELECT person_id FROM person_versions WHERE household_id IN ({list})) \
               AND valid_from <= $1 AND recorded_at <= $2) cur \
             WHERE rn = 1 AND household_id IN ({list}) ORDER BY household_id, person_id"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(date_text(at.as_of))
            .bind(known_at_text(at.known_at));
        if let [one] = households {
            q = q.bind(*one);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unexpected)?;
        rows.iter()
            .map(|row| -> anyhow::Result<_> {
                Ok((
                    PersonId(row.try_get("person_id")?),
                    HouseholdId(row.try_get("household_id")?),
                    Versioned {
                        value: person_from_row(&self.cipher, row)?,
                        stamp: codec::stamp(row)?,
                    },
                ))
            })
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }
}

#[async_trait]
impl Store for Db {
    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    async fn save_regions(&self, regions: &[Region]) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let upsert = "INSERT INTO regions (code, name, level, parent_code) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name";
        let mut n = 0;
        for r in regions {
            sqlx::query(upsert)
                .bind(r.code.as_str().to_owned())
                .bind(r.name.clone())
                .bind(r.level().as_str())
                .bind(r.code.parent().map(|p| p.as_str().to_owned()))
                .execute(&mut *tx)
                .await
                .map_err(unexpected)?;
            n += 1;
        }
        tx.commit().await.map_err(unexpected)?;
        Ok(n)
    }

    async fn region(&self, code: &RegionCode) -> StoreResult<Option<Region>> {
        let row = sqlx::query("SELECT code, name FROM regions WHERE code = $1")
            .bind(code.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected)?;
        row.as_ref()
            .map(region_from_row)
            .transpose()
            .map_err(unexpected)
    }

    async fn region_children(&self, parent: Option<&RegionCode>) -> StoreResult<Vec<Region>> {
        let rows = match parent {
            Some(p) => {
                sqlx::query("SELECT code, name FROM regions WHERE parent_code = $1 ORDER BY code")
                    .bind(p.as_str().to_owned())
                    .fetch_all(&self.pool)
                    .await
            }
            None => {
                sqlx::query("SELECT code, name FROM regions WHERE level = $1 ORDER BY code")
                    .bind(RegionLevel::Province.as_str())
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(unexpected)?;
        rows.iter()
            .map(region_from_row)
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }

    async fn region_path(&self, code: &RegionCode) -> StoreResult<Vec<Region>> {
        // Every level in one query (a page shows the path on every request).
        let ancestors: Vec<RegionCode> = RegionLevel::ALL
            .into_iter()
            .filter_map(|level| code.ancestor(level))
            .collect();
        if ancestors.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ancestors.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT code, name FROM regions WHERE code IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for a in &ancestors {
            q = q.bind(a.as_str().to_owned());
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unexpected)?;
        let mut found = rows
            .iter()
            .map(region_from_row)
            .collect::<anyhow::Result<Vec<Region>>>()
            .map_err(unexpected)?;
        // Top level first, as the levels run.
        found.sort_by_key(|r| ancestors.iter().position(|a| *a == r.code));
        Ok(found)
    }

    async fn register_households(
        &self,
        batch: &[NewHousehold],
        stamp: &VersionStamp,
    ) -> StoreResult<Vec<HouseholdId>> {
        let n_persons: usize = batch.iter().map(|h| h.members.len()).sum();
        let n_incomes: usize = batch.iter().map(|h| h.incomes.len()).sum();
        let created = instant_text(&stamp.recorded_at);
        let mut tx = self.begin_write().await?;
        let first_household = reserve_keys(&mut tx, "households", batch.len()).await?;
        let first_person = reserve_keys(&mut tx, "persons", n_persons).await?;
        let first_income = reserve_keys(&mut tx, "incomes", n_incomes).await?;
        let mut versions =
            Self::next_version_ids(&mut tx, batch.len() + n_persons + n_incomes).await?;
        let mut next_version = move || versions.next().expect("reserved enough version keys");

        let (mut households, mut household_versions) = (Vec::new(), Vec::new());
        let (mut persons, mut person_versions) = (Vec::new(), Vec::new());
        let (mut incomes, mut income_versions) = (Vec::new(), Vec::new());
        let (mut person_id, mut income_id) = (first_person, first_income);
        let mut ids = Vec::with_capacity(batch.len());
        for (i, new) in batch.iter().enumerate() {
            let hid = first_household + i as i64;
            ids.push(HouseholdId(hid));
            households.push(vec![Cell::Int(hid), Cell::Text(created.clone())]);
            household_versions.push(household_cells(next_version(), hid, &new.household, stamp));
            for p in &new.members {
                persons.push(vec![Cell::Int(person_id), Cell::Text(created.clone())]);
                person_versions.push(person_cells(
                    &self.cipher,
                    next_version(),
                    person_id,
                    hid,
                    p,
                    stamp,
                ));
                person_id += 1;
            }
            for r in &new.incomes {
                incomes.push(vec![
                    Cell::Int(income_id),
                    Cell::Int(hid),
                    Cell::Text(created.clone()),
                ]);
                // An income record takes effect when its period ends.
                let income_stamp = VersionStamp {
                    valid_from: r.period_end,
                    ..stamp.clone()
                };
                income_versions.push(income_cells(
                    next_version(),
                    income_id,
                    hid,
                    r,
                    &income_stamp,
                ));
                income_id += 1;
            }
        }
        insert_rows(
            self.backend,
            &mut tx,
            "households (id, created_at)",
            2,
            households,
        )
        .await?;
        insert_rows(
            self.backend,
            &mut tx,
            HOUSEHOLD_VERSION_COLUMNS,
            11,
            household_versions,
        )
        .await?;
        insert_rows(
            self.backend,
            &mut tx,
            "persons (id, created_at)",
            2,
            persons,
        )
        .await?;
        insert_rows(
            self.backend,
            &mut tx,
            PERSON_VERSION_COLUMNS,
            PERSON_VERSION_WIDTH,
            person_versions,
        )
        .await?;
        insert_rows(
            self.backend,
            &mut tx,
            "incomes (id, household_id, created_at)",
            3,
            incomes,
        )
        .await?;
        insert_rows(
            self.backend,
            &mut tx,
            INCOME_VERSION_COLUMNS,
            16,
            income_versions,
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(ids)
    }

    async fn record_household_version(
        &self,
        id: HouseholdId,
        household: &Household,
        stamp: &VersionStamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM households WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(unexpected)?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("household {}", id.0)));
        }
        let version = reserve_keys(&mut tx, "versions", 1).await?;
        let row = household_cells(version, id.0, household, stamp);
        insert_rows(
            self.backend,
            &mut tx,
            HOUSEHOLD_VERSION_COLUMNS,
            11,
            vec![row],
        )
        .await?;
        tx.commit().await.map_err(unexpected)
    }

    async fn record_person_version(
        &self,
        household: HouseholdId,
        id: PersonId,
        person: &Person,
        stamp: &VersionStamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT person_id FROM person_versions WHERE person_id = $1 AND household_id = $2 LIMIT 1",
        )
        .bind(id.0)
        .bind(household.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unexpected)?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!(
                "person {} in household {}",
                id.0, household.0
            )));
        }
        let version = reserve_keys(&mut tx, "versions", 1).await?;
        let row = person_cells(&self.cipher, version, id.0, household.0, person, stamp);
        insert_rows(
            self.backend,
            &mut tx,
            PERSON_VERSION_COLUMNS,
            PERSON_VERSION_WIDTH,
            vec![row],
        )
        .await?;
        tx.commit().await.map_err(unexpected)
    }

    async fn list_households(
        &self,
        filter: &HouseholdFilter,
        at: ReadAt,
        page: Page,
    ) -> StoreResult<Paged<HouseholdSummary>> {
        let empty = Paged {
            items: Vec::new(),
            total: 0,
            page,
        };
        let Some(region) = effective_region(&filter.scope, filter.region.as_ref()) else {
            return Ok(empty);
        };
        let (low, high) = region
            .as_ref()
            .map(code_range)
            .unwrap_or_else(|| ("000000000000".into(), "999999999999".into()));
        let mut conditions = String::from("rn = 1 AND region_code BETWEEN $3 AND $4");
        let mut binds: Vec<String> = Vec::new();
        if let Scope::Assigned(user) = filter.scope {
            // The key is an integer of ours, not user input.
            conditions.push_str(&format!(
                " AND household_id IN (SELECT household_id FROM helper_assignments WHERE user_id = {})",
                user.0
            ));
        }
        if let Some(t) = filter.household_type {
            binds.push(t.code().to_owned());
            conditions.push_str(&format!(" AND household_type = ${}", 4 + binds.len()));
        }
        if let Some(band) = &filter.income_band {
            conditions.push_str(&crate::dashboard::band_condition(band));
        }
        if let Some(s) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            binds.push(s.to_owned());
            let n = 4 + binds.len();
            // ID numbers are found through their lookup key (the HMAC when encrypted at rest).
            binds.push(self.cipher.lookup_key(&s.to_ascii_uppercase()));
            let m = n + 1;
            conditions.push_str(&format!(
                " AND (household_no = ${n} OR household_id IN \
                 (SELECT household_id FROM person_versions WHERE name = ${n} OR id_lookup = ${m}))"
            ));
        }
        // The versions in effect that lie in the region: a version in the range with no later
        // one (by LATEST_FIRST's order) at the point of view. The region's index finds the
        // candidates and the key index answers "no later one" per household, on both backends
        // (a window over every version of the households made PostgreSQL scan the table).
        // MATERIALIZED: PostgreSQL otherwise walks the household_no index for the ORDER BY.
        let current = "WITH cur AS MATERIALIZED (SELECT hv.*, 1 AS rn FROM household_versions hv \
             WHERE hv.region_code BETWEEN $3 AND $4 AND hv.valid_from <= $1 AND hv.recorded_at <= $2 \
             AND NOT EXISTS (SELECT 1 FROM household_versions later \
               WHERE later.household_id = hv.household_id \
               AND later.valid_from <= $1 AND later.recorded_at <= $2 \
               AND (later.valid_from > hv.valid_from OR (later.valid_from = hv.valid_from \
                 AND (later.recorded_at > hv.recorded_at OR (later.recorded_at = hv.recorded_at \
                   AND later.version_id > hv.version_id))))))";
        let bind_all = |sql: String| {
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(date_text(at.as_of))
                .bind(known_at_text(at.known_at))
                .bind(low.clone())
                .bind(high.clone());
            for b in &binds {
                q = q.bind(b.clone());
            }
            q
        };
        // The page and the total in one pass over the versions (a window count is taken
        // before LIMIT); only a page past the end needs the count on its own.
        let rows = bind_all(format!(
            "{current} SELECT cur.*, COUNT(*) OVER () AS total_rows FROM cur WHERE {conditions} \
             ORDER BY household_no, household_id LIMIT {} OFFSET {}",
            page.size,
            page.offset()
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        let total: i64 = match rows.first() {
            Some(row) => row.try_get("total_rows").map_err(unexpected)?,
            None => bind_all(format!(
                "{current} SELECT COUNT(*) AS n FROM cur WHERE {conditions}"
            ))
            .fetch_one(&self.pool)
            .await
            .map_err(unexpected)?
            .try_get("n")
            .map_err(unexpected)?,
        };
        let mut items = rows
            .iter()
            .map(|row| -> anyhow::Result<HouseholdSummary> {
                Ok(HouseholdSummary {
                    id: HouseholdId(row.try_get("household_id")?),
                    household: household_from_row(row)?,
                    head_name: None,
                    members: 0,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)?;
        let ids: Vec<i64> = items.iter().map(|s| s.id.0).collect();
        for (_, hid, member) in self.members_of(&ids, at).await? {
            let Some(item) = items.iter_mut().find(|s| s.id == hid) else {
                continue;
            };
            if member.value.is_active() {
                item.members += 1;
                if member.value.relation == Relation::Head {
                    item.head_name = Some(member.value.name.clone());
                }
            }
        }
        Ok(Paged {
            items,
            total: u64::try_from(total).unwrap_or(0),
            page,
        })
    }

    async fn household(
        &self,
        id: HouseholdId,
        scope: &Scope,
        at: ReadAt,
    ) -> StoreResult<Option<HouseholdDetail>> {
        let sql = format!(
            "SELECT * FROM household_versions WHERE household_id = $1 AND valid_from <= $2 \
             AND recorded_at <= $3 {LATEST_FIRST} LIMIT 1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .bind(date_text(at.as_of))
            .bind(known_at_text(at.known_at))
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected)?;
        let Some(row) = row else { return Ok(None) };
        let household = Versioned {
            value: household_from_row(&row).map_err(unexpected)?,
            stamp: codec::stamp(&row).map_err(unexpected)?,
        };
        let visible = match scope {
            Scope::Everything => true,
            Scope::Nothing => false,
            Scope::Region(r) => r.contains(&household.value.region),
            Scope::Assigned(user) => sqlx::query_scalar::<_, i64>(
                "SELECT user_id FROM helper_assignments WHERE user_id = $1 AND household_id = $2",
            )
            .bind(user.0)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected)?
            .is_some(),
        };
        if !visible {
            return Ok(None);
        }
        let members = self
            .members_of(&[id.0], at)
            .await?
            .into_iter()
            .map(|(pid, _, person)| MemberRecord { id: pid, person })
            .collect();
        let sql = format!(
            "SELECT * FROM (SELECT iv.*, ROW_NUMBER() OVER (PARTITION BY income_id {LATEST_FIRST}) AS rn \
             FROM income_versions iv WHERE household_id = $1 AND valid_from <= $2 AND recorded_at <= $3) cur \
             WHERE rn = 1 ORDER BY period_start DESC, income_id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .bind(date_text(at.as_of))
            .bind(known_at_text(at.known_at))
            .fetch_all(&self.pool)
            .await
            .map_err(unexpected)?;
        let incomes = rows
            .iter()
            .map(|row| -> anyhow::Result<IncomeEntry> {
                Ok(IncomeEntry {
                    id: IncomeId(row.try_get("income_id")?),
                    income: Versioned {
                        value: income_from_row(row)?,
                        stamp: codec::stamp(row)?,
                    },
                })
            })
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)?;
        Ok(Some(HouseholdDetail {
            id,
            household,
            members,
            incomes,
        }))
    }

    async fn find_household_by_no(
        &self,
        no: &HouseholdNo,
        at: ReadAt,
    ) -> StoreResult<Option<HouseholdId>> {
        let sql = format!(
            "SELECT household_id FROM (SELECT hv.*, ROW_NUMBER() OVER (PARTITION BY household_id {LATEST_FIRST}) AS rn \
             FROM household_versions hv WHERE valid_from <= $2 AND recorded_at <= $3 AND household_id IN \
               (SELECT household_id FROM household_versions WHERE household_no = $1)) cur \
             WHERE rn = 1 AND household_no = $1 ORDER BY household_id LIMIT 1"
        );
        let id: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(no.as_str().to_owned())
            .bind(date_text(at.as_of))
            .bind(known_at_text(at.known_at))
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected)?;
        Ok(id.map(HouseholdId))
    }

    async fn household_history(&self, id: HouseholdId) -> StoreResult<Vec<HistoryEntry>> {
        let mut entries: Vec<(String, i64, HistoryEntry)> = Vec::new();
        let rows = sqlx::query("SELECT * FROM household_versions WHERE household_id = $1")
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(unexpected)?;
        let key = |row: &AnyRow| -> anyhow::Result<(String, i64)> {
            Ok((row.try_get("recorded_at")?, row.try_get("version_id")?))
        };
        for row in &rows {
            let (t, v) = key(row).map_err(unexpected)?;
            let value = household_from_row(row).map_err(unexpected)?;
            let stamp = codec::stamp(row).map_err(unexpected)?;
            entries.push((t, v, HistoryEntry::Household(Versioned { value, stamp })));
        }
        let rows = sqlx::query(
            "SELECT * FROM person_versions WHERE person_id IN \
             (SELECT person_id FROM person_versions WHERE household_id = $1)",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        for row in &rows {
            let (t, v) = key(row).map_err(unexpected)?;
            let pid = PersonId(row.try_get("person_id").map_err(unexpected)?);
            let value = person_from_row(&self.cipher, row).map_err(unexpected)?;
            let stamp = codec::stamp(row).map_err(unexpected)?;
            entries.push((t, v, HistoryEntry::Person(pid, Versioned { value, stamp })));
        }
        let rows = sqlx::query("SELECT * FROM income_versions WHERE household_id = $1")
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(unexpected)?;
        for row in &rows {
            let (t, v) = key(row).map_err(unexpected)?;
            let iid = IncomeId(row.try_get("income_id").map_err(unexpected)?);
            let value = income_from_row(row).map_err(unexpected)?;
            let stamp = codec::stamp(row).map_err(unexpected)?;
            entries.push((t, v, HistoryEntry::Income(iid, Versioned { value, stamp })));
        }
        entries.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        Ok(entries.into_iter().map(|(_, _, e)| e).collect())
    }

    async fn counts(&self) -> StoreResult<RegistryCounts> {
        let count = |table: &'static str| async move {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
                .fetch_one(&self.pool)
                .await
                .map(|n| u64::try_from(n).unwrap_or(0))
                .map_err(unexpected)
        };
        Ok(RegistryCounts {
            regions: count("regions").await?,
            households: count("households").await?,
            persons: count("persons").await?,
            income_records: count("incomes").await?,
        })
    }

    async fn create_user(&self, user: &User) -> StoreResult<UserId> {
        crate::access::create_user(self, user).await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        crate::access::user_by_name(self, username).await
    }

    async fn list_users(&self, within: Option<&RegionCode>) -> StoreResult<Vec<User>> {
        crate::access::list_users(self, within).await
    }

    async fn set_user_disabled(&self, id: UserId, disabled: bool) -> StoreResult<()> {
        crate::access::update_user(self, id, "disabled", Cell::Int(i64::from(disabled))).await
    }

    async fn set_user_password(&self, id: UserId, password_hash: &str) -> StoreResult<()> {
        crate::access::update_user(
            self,
            id,
            "password_hash",
            Cell::Text(password_hash.to_owned()),
        )
        .await
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        crate::access::create_session(self, session).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<FixedOffset>,
    ) -> StoreResult<Option<(Session, User)>> {
        crate::access::session(self, token_hash, now).await
    }

    async fn end_session(&self, token_hash: &str, at: DateTime<FixedOffset>) -> StoreResult<()> {
        crate::access::end_sessions(self, "token_hash", Cell::Text(token_hash.to_owned()), at).await
    }

    async fn end_user_sessions(&self, user: UserId, at: DateTime<FixedOffset>) -> StoreResult<()> {
        crate::access::end_sessions(self, "user_id", Cell::Int(user.0), at).await
    }

    async fn assign_helper(
        &self,
        helper: UserId,
        household: HouseholdId,
        at: DateTime<FixedOffset>,
        actor: &str,
    ) -> StoreResult<()> {
        crate::access::assign_helper(self, helper, household, at, actor).await
    }

    async fn record_audit(&self, event: &AuditEvent) -> StoreResult<()> {
        crate::access::record_audit(self, event).await
    }

    async fn audit_chain(&self) -> StoreResult<Vec<uplift_app::access::ChainedAuditEvent>> {
        crate::access::audit_chain(self).await
    }

    async fn failed_logins_since(
        &self,
        username: &str,
        client: Option<&str>,
        since: DateTime<FixedOffset>,
    ) -> StoreResult<(u64, u64)> {
        crate::access::failed_logins_since(self, username, client, since).await
    }

    async fn audit_log(
        &self,
        within: Option<&RegionCode>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        crate::access::audit_log(self, within, limit).await
    }

    async fn integrity_check(&self) -> StoreResult<Vec<String>> {
        let mut findings = Vec::new();
        if self.backend == Backend::Sqlite {
            let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected)?;
            findings.extend(rows.into_iter().filter(|r| r != "ok"));
            let fk: Vec<AnyRow> = sqlx::query("PRAGMA foreign_key_check")
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected)?;
            if !fk.is_empty() {
                findings.push(format!("{} foreign-key violations", fk.len()));
            }
        }
        // Every key has at least one version: nothing half-registered.
        let checks = [
            (
                "households without a version",
                "SELECT COUNT(*) FROM households h WHERE NOT EXISTS \
                 (SELECT 1 FROM household_versions v WHERE v.household_id = h.id)",
            ),
            (
                "persons without a version",
                "SELECT COUNT(*) FROM persons p WHERE NOT EXISTS \
                 (SELECT 1 FROM person_versions v WHERE v.person_id = p.id)",
            ),
            (
                "income records without a version",
                "SELECT COUNT(*) FROM incomes i WHERE NOT EXISTS \
                 (SELECT 1 FROM income_versions v WHERE v.income_id = i.id)",
            ),
        ];
        for (what, sql) in checks {
            let n: i64 = sqlx::query_scalar(sql)
                .fetch_one(&self.pool)
                .await
                .map_err(unexpected)?;
            if n > 0 {
                findings.push(format!("{n} {what}"));
            }
        }
        Ok(findings)
    }
}
