//! Concentrated screening campaigns: the campaign head, its frozen visit list and its visits.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use uplift_app::campaigns::{
    CampaignId, CampaignRecord, CampaignStore, CampaignVisit, ListEntry, ListFilter, NewCampaign,
};
use uplift_app::cases::CaseId;
use uplift_app::store::{HouseholdId, StoreResult};
use uplift_domain::campaign::{CampaignScope, VisitOutcome};
use uplift_domain::region::RegionCode;
use uplift_domain::version::VersionStamp;

use crate::Db;
use crate::codec::{self, date_text, instant_text, parse_date};
use crate::registry::{Cell, code_range, insert_rows, reserve_keys, unexpected};

fn campaign_from(row: &AnyRow) -> anyhow::Result<CampaignRecord> {
    let county: String = row.try_get("county_code")?;
    let scope: String = row.try_get("scope")?;
    Ok(CampaignRecord {
        id: CampaignId(row.try_get("id")?),
        campaign: NewCampaign {
            county: RegionCode::parse(&county)?,
            name: row.try_get("name")?,
            scope: CampaignScope::parse(&scope)
                .ok_or_else(|| anyhow::anyhow!("unknown campaign scope {scope:?}"))?,
            start: parse_date(&row.try_get::<String, _>("period_start")?)?,
            end: parse_date(&row.try_get::<String, _>("period_end")?)?,
        },
        created_at: row.try_get("created_at")?,
        actor: row.try_get("actor")?,
    })
}

fn entry_from(row: &AnyRow) -> anyhow::Result<ListEntry> {
    let village: String = row.try_get("village_code")?;
    let groups: String = row.try_get("groups")?;
    Ok(ListEntry {
        household: HouseholdId(row.try_get("household_id")?),
        household_no: row.try_get("household_no")?,
        village: RegionCode::parse(&village)?,
        head_name: row.try_get("head_name")?,
        helper: row.try_get("helper")?,
        groups: groups
            .split(',')
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

#[async_trait]
impl CampaignStore for Db {
    async fn open_campaign(
        &self,
        campaign: &NewCampaign,
        list: &[ListEntry],
        stamp: &VersionStamp,
    ) -> StoreResult<CampaignId> {
        let mut tx = self.begin_write().await?;
        let id = reserve_keys(&mut tx, "campaigns", 1).await?;
        insert_rows(
            self.backend,
            &mut tx,
            "campaigns (id, county_code, name, scope, period_start, period_end, created_at, actor, source)",
            9,
            vec![vec![
                Cell::Int(id),
                Cell::Text(campaign.county.as_str().to_owned()),
                Cell::Text(campaign.name.clone()),
                Cell::Text(campaign.scope.code().to_owned()),
                Cell::Text(date_text(campaign.start)),
                Cell::Text(date_text(campaign.end)),
                Cell::Text(instant_text(&stamp.recorded_at)),
                Cell::Text(stamp.actor.clone()),
                Cell::Text(stamp.source.clone()),
            ]],
        )
        .await?;
        let rows = list
            .iter()
            .map(|e| {
                vec![
                    Cell::Int(id),
                    Cell::Int(e.household.0),
                    Cell::Text(e.village.as_str().to_owned()),
                    Cell::Text(e.household_no.clone()),
                    Cell::OptText(e.head_name.clone()),
                    Cell::OptText(e.helper.clone()),
                    Cell::Text(e.groups.join(",")),
                ]
            })
            .collect();
        insert_rows(
            self.backend,
            &mut tx,
            "campaign_households (campaign_id, household_id, village_code, household_no, head_name, helper, groups)",
            7,
            rows,
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(CampaignId(id))
    }

    async fn campaigns(&self, within: Option<&RegionCode>) -> StoreResult<Vec<CampaignRecord>> {
        let rows = match within {
            None => {
                sqlx::query("SELECT * FROM campaigns ORDER BY id DESC")
                    .fetch_all(&self.pool)
                    .await
            }
            Some(r) => {
                let (low, high) = code_range(r);
                sqlx::query(
                    "SELECT * FROM campaigns WHERE county_code BETWEEN $1 AND $2 ORDER BY id DESC",
                )
                .bind(low)
                .bind(high)
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(unexpected)?;
        rows.iter()
            .map(campaign_from)
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)
    }

    async fn campaign(&self, id: CampaignId) -> StoreResult<Option<CampaignRecord>> {
        let row = sqlx::query("SELECT * FROM campaigns WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected)?;
        row.as_ref()
            .map(campaign_from)
            .transpose()
            .map_err(unexpected)
    }

    async fn campaign_list(
        &self,
        id: CampaignId,
        filter: &ListFilter,
    ) -> StoreResult<Vec<ListEntry>> {
        let mut sql = String::from("SELECT * FROM campaign_households WHERE campaign_id = $1");
        let mut binds: Vec<String> = Vec::new();
        if let Some(r) = &filter.within {
            let (low, high) = code_range(r);
            binds.push(low);
            binds.push(high);
            sql.push_str(" AND village_code BETWEEN $2 AND $3");
        }
        if let Some(h) = &filter.helper {
            binds.push(h.clone());
            sql.push_str(&format!(" AND helper = ${}", binds.len() + 1));
        }
        sql.push_str(" ORDER BY village_code, household_no");
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id.0);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unexpected)?;
        rows.iter()
            .map(entry_from)
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)
    }

    async fn record_campaign_visit(
        &self,
        id: CampaignId,
        visit: &CampaignVisit,
        stamp: &VersionStamp,
    ) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let key = reserve_keys(&mut tx, "campaign_visits", 1).await?;
        insert_rows(
            self.backend,
            &mut tx,
            "campaign_visits (id, campaign_id, household_id, visit_date, outcome, problems, note, \
             case_id, valid_from, recorded_at, actor, source, reason)",
            13,
            vec![vec![
                Cell::Int(key),
                Cell::Int(id.0),
                Cell::Int(visit.household.0),
                Cell::Text(date_text(visit.date)),
                Cell::Text(visit.outcome.code().to_owned()),
                Cell::Text(visit.problems.clone()),
                Cell::Text(visit.note.clone()),
                Cell::OptInt(visit.case.map(|c| c.0)),
                Cell::Text(date_text(stamp.valid_from)),
                Cell::Text(instant_text(&stamp.recorded_at)),
                Cell::Text(stamp.actor.clone()),
                Cell::Text(stamp.source.clone()),
                Cell::OptText(stamp.reason.clone()),
            ]],
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(key)
    }

    async fn campaign_visits(
        &self,
        id: CampaignId,
    ) -> StoreResult<Vec<(CampaignVisit, VersionStamp)>> {
        let rows = sqlx::query(
            "SELECT * FROM campaign_visits WHERE campaign_id = $1 ORDER BY visit_date, id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        rows.iter()
            .map(|row| -> anyhow::Result<_> {
                let outcome: String = row.try_get("outcome")?;
                let case: Option<i64> = row.try_get("case_id")?;
                Ok((
                    CampaignVisit {
                        household: HouseholdId(row.try_get("household_id")?),
                        date: parse_date(&row.try_get::<String, _>("visit_date")?)?,
                        outcome: VisitOutcome::parse(&outcome)
                            .ok_or_else(|| anyhow::anyhow!("unknown outcome {outcome:?}"))?,
                        problems: row.try_get("problems")?,
                        note: row.try_get("note")?,
                        case: case.map(CaseId),
                    },
                    codec::stamp(row)?,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)
    }

    async fn helper_usernames(&self) -> StoreResult<Vec<(HouseholdId, String)>> {
        let rows = sqlx::query(
            "SELECT a.household_id, u.username FROM helper_assignments a \
             JOIN users u ON u.id = a.user_id ORDER BY a.household_id, u.username",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        rows.iter()
            .map(|row| -> anyhow::Result<_> {
                Ok((
                    HouseholdId(row.try_get("household_id")?),
                    row.try_get("username")?,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(unexpected)
    }
}
