//! Typed changes: a plan of new versions, guarded by the households' versions, in one transaction.

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::AssertSqlSafe;
use sqlx::{Any, Transaction};
use uplift_app::changes::{Applied, ChangePlan, ChangeStore, HouseholdRef, RecordRef, Write};
use uplift_app::store::{HouseholdId, PersonId, StoreError, StoreResult};
use uplift_domain::version::VersionStamp;

use crate::Db;
use crate::codec::{instant_text, parse_date};
use crate::registry::{
    Cell, HOUSEHOLD_VERSION_COLUMNS, INCOME_VERSION_COLUMNS, PERSON_VERSION_COLUMNS,
    PERSON_VERSION_WIDTH, household_cells, income_cells, insert_rows, person_cells, reserve_keys,
    unexpected,
};

/// The largest version id of the household's own rows, its incomes, and every version of every
/// person who was ever a member.
const VERSION_SQL: &str = "SELECT MAX(v) FROM ( \
     SELECT MAX(version_id) AS v FROM household_versions WHERE household_id = $1 \
     UNION ALL SELECT MAX(version_id) FROM income_versions WHERE household_id = $1 \
     UNION ALL SELECT MAX(version_id) FROM person_versions WHERE person_id IN \
       (SELECT person_id FROM person_versions WHERE household_id = $1)) versions";

async fn version_in(tx: &mut Transaction<'static, Any>, id: HouseholdId) -> StoreResult<i64> {
    let v: Option<i64> = sqlx::query_scalar(VERSION_SQL)
        .bind(id.0)
        .fetch_one(&mut **tx)
        .await
        .map_err(unexpected)?;
    v.ok_or_else(|| StoreError::NotFound(format!("household {}", id.0)))
}

#[async_trait]
impl ChangeStore for Db {
    async fn household_version(&self, id: HouseholdId) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(unexpected)?;
        let v = version_in(&mut tx, id).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(v)
    }

    async fn apply_changes(&self, plan: &ChangePlan, stamp: &VersionStamp) -> StoreResult<Applied> {
        let mut tx = self.begin_write().await?;
        // Lock the guarded households' rows (PostgreSQL) before reading their versions, so two
        // concurrent changes cannot both pass the check; SQLite's writer lock already does.
        for (id, expected) in &plan.guards {
            sqlx::query("UPDATE households SET created_at = created_at WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(unexpected)?;
            let current = version_in(&mut tx, *id).await?;
            if current != *expected {
                return Err(StoreError::Conflict(format!(
                    "household {} was changed by someone else since it was loaded \
                     (version {expected}, now {current}); reload it and try again",
                    id.0
                )));
            }
        }
        let created = instant_text(&stamp.recorded_at);
        let first_household = reserve_keys(&mut tx, "households", plan.new_households).await?;
        let new_households: Vec<HouseholdId> = (0..plan.new_households)
            .map(|i| HouseholdId(first_household + i as i64))
            .collect();
        let resolve = |r: &HouseholdRef| match r {
            HouseholdRef::Existing(id) => id.0,
            HouseholdRef::New(i) => new_households[*i].0,
        };
        let n_new_persons = plan
            .writes
            .iter()
            .filter(|w| matches!(w, Write::NewPerson { .. }))
            .count();
        let n_new_incomes = plan
            .writes
            .iter()
            .filter(|w| matches!(w, Write::NewIncome { .. }))
            .count();
        let mut person_key = reserve_keys(&mut tx, "persons", n_new_persons).await?;
        let mut income_key = reserve_keys(&mut tx, "incomes", n_new_incomes).await?;
        let mut version = reserve_keys(&mut tx, "versions", plan.writes.len()).await?;
        let mut next_version = || {
            version += 1;
            version - 1
        };
        let households: Vec<Vec<Cell>> = new_households
            .iter()
            .map(|h| vec![Cell::Int(h.0), Cell::Text(created.clone())])
            .collect();
        insert_rows(
            self.backend,
            &mut tx,
            "households (id, created_at)",
            2,
            households,
        )
        .await?;
        let mut new_persons = Vec::new();
        let (mut hv, mut persons, mut pv, mut incomes, mut iv) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for write in &plan.writes {
            match write {
                Write::Household { target, household } => {
                    hv.push(household_cells(
                        next_version(),
                        resolve(target),
                        household,
                        stamp,
                    ));
                }
                Write::NewPerson { household, person } => {
                    persons.push(vec![Cell::Int(person_key), Cell::Text(created.clone())]);
                    pv.push(person_cells(
                        &self.cipher,
                        next_version(),
                        person_key,
                        resolve(household),
                        person,
                        stamp,
                    ));
                    new_persons.push(PersonId(person_key));
                    person_key += 1;
                }
                Write::Person {
                    household,
                    id,
                    person,
                } => {
                    pv.push(person_cells(
                        &self.cipher,
                        next_version(),
                        id.0,
                        resolve(household),
                        person,
                        stamp,
                    ));
                }
                Write::NewIncome { household, record } => {
                    incomes.push(vec![
                        Cell::Int(income_key),
                        Cell::Int(resolve(household)),
                        Cell::Text(created.clone()),
                    ]);
                    iv.push(income_cells(
                        next_version(),
                        income_key,
                        resolve(household),
                        record,
                        stamp,
                    ));
                    income_key += 1;
                }
                Write::Income {
                    household,
                    id,
                    record,
                } => {
                    iv.push(income_cells(
                        next_version(),
                        id.0,
                        resolve(household),
                        record,
                        stamp,
                    ));
                }
            }
        }
        insert_rows(self.backend, &mut tx, HOUSEHOLD_VERSION_COLUMNS, 11, hv).await?;
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
            pv,
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
        insert_rows(self.backend, &mut tx, INCOME_VERSION_COLUMNS, 16, iv).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(Applied {
            new_households,
            new_persons,
        })
    }

    async fn latest_valid_from(
        &self,
        records: &[RecordRef],
    ) -> StoreResult<Vec<Option<NaiveDate>>> {
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let (table, key, id) = match r {
                RecordRef::Household(id) => ("household_versions", "household_id", id.0),
                RecordRef::Person(id) => ("person_versions", "person_id", id.0),
                RecordRef::Income(id) => ("income_versions", "income_id", id.0),
            };
            let latest: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT MAX(valid_from) FROM {table} WHERE {key} = $1"
            )))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(unexpected)?;
            out.push(
                latest
                    .as_deref()
                    .map(parse_date)
                    .transpose()
                    .map_err(unexpected)?,
            );
        }
        Ok(out)
    }
}
