//! Projects and assets (append-only event logs with JSON payloads, like cases) and fund plans
//! (versioned rows), issue 9.

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use uplift_app::projects::{
    AssetId, AssetRecord, FundPlanId, NewProject, ProjectFilter, ProjectId, ProjectRecord,
    ProjectStep, ProjectStore,
};
use uplift_app::store::{Scope, StoreError, StoreResult};
use uplift_domain::household::Codebook;
use uplift_domain::income::Money;
use uplift_domain::project::{
    Asset, AssetClass, AssetEvent, BudgetLine, ExpenseUse, FundLevel, FundPlan, Linkage,
    LinkageKind, Operator, ProjectEvent, ProjectKind, ProjectStatus, Proposal, ProposerKind,
};
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_domain::version::{VersionStamp, Versioned};

use crate::Db;
use crate::codec::{self, date_text, instant_text, parse_date};
use crate::registry::{Cell, code_range, insert_rows, reserve_keys, unexpected};

fn field<'v>(v: &'v Value, key: &str) -> anyhow::Result<&'v Value> {
    v.get(key)
        .ok_or_else(|| anyhow!("event field {key} missing"))
}

fn s(v: &Value, key: &str) -> anyhow::Result<String> {
    field(v, key)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("event field {key} is not text"))
}

fn i(v: &Value, key: &str) -> anyhow::Result<i64> {
    field(v, key)?
        .as_i64()
        .ok_or_else(|| anyhow!("event field {key} is not a number"))
}

fn money(v: &Value, key: &str) -> anyhow::Result<Money> {
    Ok(Money::from_fen(i(v, key)?))
}

fn date(v: &Value, key: &str) -> anyhow::Result<chrono::NaiveDate> {
    parse_date(&s(v, key)?)
}

fn code<T: Codebook>(v: &Value, key: &str) -> anyhow::Result<T> {
    codec::code(&s(v, key)?)
}

fn region(v: &Value, key: &str) -> anyhow::Result<RegionCode> {
    RegionCode::parse(&s(v, key)?).map_err(|e| anyhow!("stored region: {e}"))
}

fn shares_json(shares: &[(i64, Money)]) -> Value {
    Value::Array(
        shares
            .iter()
            .map(|(h, m)| json!({"household": h, "fen": m.fen()}))
            .collect(),
    )
}

fn shares_from(v: &Value, key: &str) -> anyhow::Result<Vec<(i64, Money)>> {
    field(v, key)?
        .as_array()
        .ok_or_else(|| anyhow!("{key} is not a list"))?
        .iter()
        .map(|x| Ok((i(x, "household")?, money(x, "fen")?)))
        .collect()
}

fn project_payload(event: &ProjectEvent) -> Value {
    match event {
        ProjectEvent::Proposed(p) => json!({
            "name": p.name, "kind": p.kind.code(), "proposer": p.proposer.code(),
            "department": p.department, "region": p.region.as_str(), "year": p.year,
            "operator": p.operator.code(),
            "budget": p.budget.iter().map(|b| json!({"level": b.level.code(), "fen": b.amount.fen()})).collect::<Vec<_>>(),
            "beneficiary_households": p.beneficiary_households,
            "linkage": p.linkage.iter().map(|l| json!({"kind": l.kind.code(), "households": l.households, "fen": l.amount.fen()})).collect::<Vec<_>>(),
            "uses": p.uses.iter().map(|u| u.code()).collect::<Vec<_>>(),
            "summary": p.summary,
        }),
        ProjectEvent::Reviewed { approve, opinion } => {
            json!({"approve": approve, "opinion": opinion})
        }
        ProjectEvent::Decided {
            approve,
            opinion,
            due_diligence,
        } => json!({"approve": approve, "opinion": opinion, "due_diligence": due_diligence}),
        ProjectEvent::Allocated { plan, amount } => json!({"plan": plan, "fen": amount.fen()}),
        ProjectEvent::Started { on } => json!({"on": date_text(*on)}),
        ProjectEvent::Disbursed {
            plan,
            amount,
            on,
            voucher,
            spent_on,
        } => json!({
            "plan": plan, "fen": amount.fen(), "on": date_text(*on), "voucher": voucher,
            "spent_on": spent_on.code(),
        }),
        ProjectEvent::Accepted { on, opinion } => {
            json!({"on": date_text(*on), "opinion": opinion})
        }
        ProjectEvent::RolledOver { to_year } => json!({"to_year": to_year}),
    }
}

fn b(v: &Value, key: &str) -> anyhow::Result<bool> {
    field(v, key)?
        .as_bool()
        .ok_or_else(|| anyhow!("event field {key} is not a boolean"))
}

fn opt_s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn project_event(name: &str, v: &Value) -> anyhow::Result<ProjectEvent> {
    Ok(match name {
        "proposed" => ProjectEvent::Proposed(Proposal {
            name: s(v, "name")?,
            kind: code::<ProjectKind>(v, "kind")?,
            proposer: code::<ProposerKind>(v, "proposer")?,
            department: opt_s(v, "department"),
            region: region(v, "region")?,
            year: i32::try_from(i(v, "year")?)?,
            operator: code::<Operator>(v, "operator")?,
            budget: field(v, "budget")?
                .as_array()
                .ok_or_else(|| anyhow!("budget is not a list"))?
                .iter()
                .map(|x| {
                    Ok(BudgetLine {
                        level: code::<FundLevel>(x, "level")?,
                        amount: money(x, "fen")?,
                    })
                })
                .collect::<anyhow::Result<_>>()?,
            beneficiary_households: u32::try_from(i(v, "beneficiary_households")?)?,
            linkage: field(v, "linkage")?
                .as_array()
                .ok_or_else(|| anyhow!("linkage is not a list"))?
                .iter()
                .map(|x| {
                    Ok(Linkage {
                        kind: code::<LinkageKind>(x, "kind")?,
                        households: u32::try_from(i(x, "households")?)?,
                        amount: money(x, "fen")?,
                    })
                })
                .collect::<anyhow::Result<_>>()?,
            uses: field(v, "uses")?
                .as_array()
                .ok_or_else(|| anyhow!("uses is not a list"))?
                .iter()
                .map(|x| {
                    codec::code::<ExpenseUse>(x.as_str().ok_or_else(|| anyhow!("use is not text"))?)
                })
                .collect::<anyhow::Result<_>>()?,
            summary: s(v, "summary")?,
        }),
        "reviewed" => ProjectEvent::Reviewed {
            approve: b(v, "approve")?,
            opinion: s(v, "opinion")?,
        },
        "decided" => ProjectEvent::Decided {
            approve: b(v, "approve")?,
            opinion: s(v, "opinion")?,
            due_diligence: opt_s(v, "due_diligence"),
        },
        "allocated" => ProjectEvent::Allocated {
            plan: i(v, "plan")?,
            amount: money(v, "fen")?,
        },
        "started" => ProjectEvent::Started { on: date(v, "on")? },
        "disbursed" => ProjectEvent::Disbursed {
            plan: i(v, "plan")?,
            amount: money(v, "fen")?,
            on: date(v, "on")?,
            voucher: s(v, "voucher")?,
            spent_on: code::<ExpenseUse>(v, "spent_on")?,
        },
        "accepted" => ProjectEvent::Accepted {
            on: date(v, "on")?,
            opinion: s(v, "opinion")?,
        },
        "rolled_over" => ProjectEvent::RolledOver {
            to_year: i32::try_from(i(v, "to_year")?)?,
        },
        other => anyhow::bail!("unknown stored project event {other:?}"),
    })
}

fn asset_payload(event: &AssetEvent) -> Value {
    match event {
        AssetEvent::Registered(a) => json!({
            "name": a.name, "class": a.class.code(), "owner": a.owner, "manager": a.manager,
            "fen": a.value.fen(), "registered_on": date_text(a.registered_on),
            "recipients": shares_json(&a.recipients),
        }),
        AssetEvent::IncomeRecorded { period, amount, on } => {
            json!({"period": period, "fen": amount.fen(), "on": date_text(*on)})
        }
        AssetEvent::Distributed { period, on, shares } => {
            json!({"period": period, "on": date_text(*on), "shares": shares_json(shares)})
        }
    }
}

fn asset_event(name: &str, v: &Value) -> anyhow::Result<AssetEvent> {
    Ok(match name {
        "registered" => AssetEvent::Registered(Asset {
            name: s(v, "name")?,
            class: code::<AssetClass>(v, "class")?,
            owner: s(v, "owner")?,
            manager: s(v, "manager")?,
            value: money(v, "fen")?,
            registered_on: date(v, "registered_on")?,
            recipients: shares_from(v, "recipients")?,
        }),
        "income_recorded" => AssetEvent::IncomeRecorded {
            period: s(v, "period")?,
            amount: money(v, "fen")?,
            on: date(v, "on")?,
        },
        "distributed" => AssetEvent::Distributed {
            period: s(v, "period")?,
            on: date(v, "on")?,
            shares: shares_from(v, "shares")?,
        },
        other => anyhow::bail!("unknown stored asset event {other:?}"),
    })
}

fn event_cells(id: i64, seq: u32, name: &str, payload: Value, stamp: &VersionStamp) -> Vec<Cell> {
    vec![
        Cell::Int(id),
        Cell::Int(i64::from(seq)),
        Cell::Text(name.to_owned()),
        Cell::Text(payload.to_string()),
        Cell::Text(date_text(stamp.valid_from)),
        Cell::Text(instant_text(&stamp.recorded_at)),
        Cell::Text(stamp.actor.clone()),
        Cell::Text(stamp.source.clone()),
        Cell::OptText(stamp.reason.clone()),
    ]
}

const PROJECT_EVENT_COLUMNS: &str = "project_events (project_id, seq, event, payload, valid_from, \
     recorded_at, actor, source, reason)";
const ASSET_EVENT_COLUMNS: &str =
    "asset_events (asset_id, seq, event, payload, valid_from, recorded_at, actor, source, reason)";

/// A scope as a SQL condition on a table aliased `alias` with a `region_code` column: records
/// located inside the scope's region. Helpers' assignments and department clerks see none.
fn scope_sql(scope: &Scope, alias: &str) -> String {
    match scope {
        Scope::Everything => "1 = 1".to_owned(),
        Scope::Region(r) => {
            let (low, high) = code_range(r);
            format!("{alias}.region_code BETWEEN '{low}' AND '{high}'")
        }
        Scope::Assigned(_) | Scope::Nothing => "1 = 0".to_owned(),
    }
}

/// Fund plans belong to a county: a region scope sees the plans of counties inside it, and a
/// township's or village's users see their own county's.
fn plan_scope_sql(scope: &Scope) -> String {
    match scope {
        Scope::Everything => "1 = 1".to_owned(),
        Scope::Region(r) if r.level() > RegionLevel::County => {
            match r.ancestor(RegionLevel::County) {
                Some(county) => format!("p.county_code = '{}'", county.as_str()),
                None => "1 = 0".to_owned(),
            }
        }
        Scope::Region(r) => {
            let (low, high) = code_range(r);
            format!("p.county_code BETWEEN '{low}' AND '{high}'")
        }
        Scope::Assigned(_) | Scope::Nothing => "1 = 0".to_owned(),
    }
}

fn conflict_on_unique(what: String) -> impl FnOnce(StoreError) -> StoreError {
    move |e| match e {
        StoreError::Unexpected(e)
            if e.to_string().contains("UNIQUE") || e.to_string().contains("unique") =>
        {
            StoreError::Conflict(what)
        }
        other => other,
    }
}

fn parse_region(s: &str) -> StoreResult<RegionCode> {
    RegionCode::parse(s).map_err(|e| unexpected(anyhow!("stored region {s}: {e}")))
}

impl Db {
    async fn load_projects(
        &self,
        where_sql: String,
        binds: Vec<String>,
    ) -> StoreResult<Vec<ProjectRecord>> {
        let sql = format!(
            "SELECT p.id, p.county_code, p.region_code, e.event, e.payload, e.valid_from, \
             e.recorded_at, e.actor, e.source, e.reason \
             FROM projects p JOIN project_events e ON e.project_id = p.id \
             WHERE {where_sql} ORDER BY p.id, e.seq"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unexpected)?;
        let mut out: Vec<ProjectRecord> = Vec::new();
        for row in &rows {
            let read = || -> anyhow::Result<(i64, String, String, ProjectEvent, VersionStamp)> {
                let name: String = row.try_get("event")?;
                let payload: String = row.try_get("payload")?;
                let value: Value = serde_json::from_str(&payload).context("stored payload")?;
                Ok((
                    row.try_get("id")?,
                    row.try_get("county_code")?,
                    row.try_get("region_code")?,
                    project_event(&name, &value)?,
                    codec::stamp(row)?,
                ))
            };
            let (id, county, region, event, stamp) = read().map_err(unexpected)?;
            match out.last_mut() {
                Some(last) if last.id.0 == id => last.events.push((event, stamp)),
                _ => out.push(ProjectRecord {
                    id: ProjectId(id),
                    county: parse_region(&county)?,
                    region: parse_region(&region)?,
                    events: vec![(event, stamp)],
                }),
            }
        }
        Ok(out)
    }

    async fn load_assets(
        &self,
        where_sql: String,
        binds: Vec<String>,
    ) -> StoreResult<Vec<AssetRecord>> {
        let sql = format!(
            "SELECT a.id, a.project_id, a.county_code, a.region_code, e.event, e.payload, \
             e.valid_from, e.recorded_at, e.actor, e.source, e.reason \
             FROM project_assets a JOIN asset_events e ON e.asset_id = a.id \
             WHERE {where_sql} ORDER BY a.id, e.seq"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unexpected)?;
        let mut out: Vec<AssetRecord> = Vec::new();
        for row in &rows {
            let read =
                || -> anyhow::Result<(i64, i64, String, String, AssetEvent, VersionStamp)> {
                    let name: String = row.try_get("event")?;
                    let payload: String = row.try_get("payload")?;
                    let value: Value = serde_json::from_str(&payload).context("stored payload")?;
                    Ok((
                        row.try_get("id")?,
                        row.try_get("project_id")?,
                        row.try_get("county_code")?,
                        row.try_get("region_code")?,
                        asset_event(&name, &value)?,
                        codec::stamp(row)?,
                    ))
                };
            let (id, project, county, region, event, stamp) = read().map_err(unexpected)?;
            match out.last_mut() {
                Some(last) if last.id.0 == id => last.events.push((event, stamp)),
                _ => out.push(AssetRecord {
                    id: AssetId(id),
                    project: ProjectId(project),
                    county: parse_region(&county)?,
                    region: parse_region(&region)?,
                    events: vec![(event, stamp)],
                }),
            }
        }
        Ok(out)
    }
}

fn plan_from_row(row: &AnyRow) -> anyhow::Result<(FundPlanId, Versioned<FundPlan>)> {
    Ok((
        FundPlanId(row.try_get("plan_id")?),
        Versioned {
            value: FundPlan {
                county: RegionCode::parse(&row.try_get::<String, _>("county_code")?)
                    .map_err(|e| anyhow!("stored county: {e}"))?,
                year: i32::try_from(row.try_get::<i64, _>("year")?)?,
                level: codec::code::<FundLevel>(&row.try_get::<String, _>("level")?)?,
                name: row.try_get("name")?,
                document: row.try_get("document")?,
                amount: Money::from_fen(row.try_get("amount_fen")?),
            },
            stamp: codec::stamp(row)?,
        },
    ))
}

#[async_trait]
impl ProjectStore for Db {
    async fn create_projects(&self, new: &[NewProject]) -> StoreResult<Vec<ProjectId>> {
        if new.is_empty() {
            return Ok(Vec::new());
        }
        for n in new {
            if !matches!(n.proposed, ProjectEvent::Proposed(_)) {
                return Err(StoreError::Invalid(format!(
                    "a project starts with its proposal, not {}",
                    n.proposed.name()
                )));
            }
        }
        let mut tx = self.begin_write().await?;
        let first = reserve_keys(&mut tx, "projects", new.len()).await?;
        let mut heads = Vec::new();
        let mut events = Vec::new();
        for (k, n) in new.iter().enumerate() {
            let id = first + k as i64;
            heads.push(vec![
                Cell::Int(id),
                Cell::Text(n.county.as_str().to_owned()),
                Cell::Text(n.region.as_str().to_owned()),
                Cell::Int(i64::from(n.year)),
                Cell::Text(ProjectStatus::Proposed.code().to_owned()),
                Cell::Int(1),
                Cell::Text(instant_text(&n.stamp.recorded_at)),
            ]);
            events.push(event_cells(
                id,
                1,
                n.proposed.name(),
                project_payload(&n.proposed),
                &n.stamp,
            ));
        }
        insert_rows(
            self.backend,
            &mut tx,
            "projects (id, county_code, region_code, year, status, version, created_at)",
            7,
            heads,
        )
        .await?;
        insert_rows(self.backend, &mut tx, PROJECT_EVENT_COLUMNS, 9, events).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok((0..new.len())
            .map(|k| ProjectId(first + k as i64))
            .collect())
    }

    async fn append_project_steps(&self, steps: &[ProjectStep]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for step in steps {
            let next = step.expected_version + 1;
            let done = sqlx::query(
                "UPDATE projects SET version = $1, status = $2, year = $3 \
                 WHERE id = $4 AND version = $5",
            )
            .bind(i64::from(next))
            .bind(step.status.code().to_owned())
            .bind(i64::from(step.year))
            .bind(step.project.0)
            .bind(i64::from(step.expected_version))
            .execute(&mut *tx)
            .await
            .map_err(unexpected)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict(format!(
                    "project {} is no longer at version {}; someone acted first",
                    step.project.0, step.expected_version
                )));
            }
            insert_rows(
                self.backend,
                &mut tx,
                PROJECT_EVENT_COLUMNS,
                9,
                vec![event_cells(
                    step.project.0,
                    next,
                    step.event.name(),
                    project_payload(&step.event),
                    &step.stamp,
                )],
            )
            .await
            .map_err(conflict_on_unique(format!(
                "project {}: step {next} was taken first",
                step.project.0
            )))?;
        }
        tx.commit().await.map_err(unexpected)?;
        Ok(())
    }

    async fn project_record(
        &self,
        id: ProjectId,
        scope: &Scope,
    ) -> StoreResult<Option<ProjectRecord>> {
        let sql = format!("p.id = {} AND {}", id.0, scope_sql(scope, "p"));
        Ok(self.load_projects(sql, vec![]).await?.pop())
    }

    async fn list_projects(&self, filter: &ProjectFilter) -> StoreResult<Vec<ProjectRecord>> {
        let mut sql = scope_sql(&filter.scope, "p");
        let mut binds = Vec::new();
        if let Some(region) = &filter.region {
            let (low, high) = code_range(region);
            binds.push(low);
            binds.push(high);
            sql.push_str(" AND p.region_code BETWEEN $1 AND $2");
        }
        if let Some(county) = &filter.county {
            binds.push(county.as_str().to_owned());
            sql.push_str(&format!(" AND p.county_code = ${}", binds.len()));
        }
        if let Some(year) = filter.year {
            sql.push_str(&format!(" AND p.year = {}", i64::from(year)));
        }
        if let Some(status) = filter.status {
            binds.push(status.code().to_owned());
            sql.push_str(&format!(" AND p.status = ${}", binds.len()));
        }
        self.load_projects(sql, binds).await
    }

    async fn save_fund_plans(
        &self,
        plans: &[(Option<FundPlanId>, FundPlan, VersionStamp)],
    ) -> StoreResult<Vec<FundPlanId>> {
        if plans.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let fresh = plans.iter().filter(|p| p.0.is_none()).count();
        let mut next_plan = if fresh > 0 {
            reserve_keys(&mut tx, "fund_plans", fresh).await?
        } else {
            0
        };
        let first_version = reserve_keys(&mut tx, "fund_plan_versions", plans.len()).await?;
        let mut heads = Vec::new();
        let mut versions = Vec::new();
        let mut ids = Vec::new();
        for (k, (id, plan, stamp)) in plans.iter().enumerate() {
            let id = match id {
                Some(id) => {
                    let exists: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM fund_plans WHERE id = $1")
                            .bind(id.0)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(unexpected)?;
                    if exists.is_none() {
                        return Err(StoreError::NotFound(format!("fund plan {}", id.0)));
                    }
                    id.0
                }
                None => {
                    let id = next_plan;
                    next_plan += 1;
                    heads.push(vec![
                        Cell::Int(id),
                        Cell::Text(plan.county.as_str().to_owned()),
                        Cell::Text(instant_text(&stamp.recorded_at)),
                    ]);
                    id
                }
            };
            ids.push(FundPlanId(id));
            versions.push(vec![
                Cell::Int(first_version + k as i64),
                Cell::Int(id),
                Cell::Text(date_text(stamp.valid_from)),
                Cell::Text(instant_text(&stamp.recorded_at)),
                Cell::Text(stamp.actor.clone()),
                Cell::Text(stamp.source.clone()),
                Cell::OptText(stamp.reason.clone()),
                Cell::Text(plan.county.as_str().to_owned()),
                Cell::Int(i64::from(plan.year)),
                Cell::Text(plan.level.code().to_owned()),
                Cell::Text(plan.name.clone()),
                Cell::Text(plan.document.clone()),
                Cell::Int(plan.amount.fen()),
            ]);
        }
        if !heads.is_empty() {
            insert_rows(
                self.backend,
                &mut tx,
                "fund_plans (id, county_code, created_at)",
                3,
                heads,
            )
            .await?;
        }
        insert_rows(
            self.backend,
            &mut tx,
            "fund_plan_versions (version_id, plan_id, valid_from, recorded_at, actor, source, \
             reason, county_code, year, level, name, document, amount_fen)",
            13,
            versions,
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(ids)
    }

    async fn fund_plans(
        &self,
        scope: &Scope,
        county: Option<&RegionCode>,
        year: Option<i32>,
    ) -> StoreResult<Vec<(FundPlanId, Versioned<FundPlan>)>> {
        let mut sql = format!(
            "SELECT * FROM (SELECT v.*, ROW_NUMBER() OVER (PARTITION BY v.plan_id \
             ORDER BY v.version_id DESC) AS rn FROM fund_plan_versions v \
             JOIN fund_plans p ON p.id = v.plan_id WHERE {}) t WHERE rn = 1",
            plan_scope_sql(scope)
        );
        let mut binds = Vec::new();
        if let Some(c) = county {
            binds.push(c.as_str().to_owned());
            sql.push_str(" AND county_code = $1");
        }
        if let Some(y) = year {
            sql.push_str(&format!(" AND year = {}", i64::from(y)));
        }
        sql.push_str(" ORDER BY year, plan_id");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unexpected)?;
        rows.iter()
            .map(plan_from_row)
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }

    async fn register_asset(
        &self,
        project: ProjectId,
        county: &RegionCode,
        region: &RegionCode,
        registered: &AssetEvent,
        stamp: &VersionStamp,
    ) -> StoreResult<AssetId> {
        if !matches!(registered, AssetEvent::Registered(_)) {
            return Err(StoreError::Invalid(
                "an asset starts with its registration".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let id = reserve_keys(&mut tx, "project_assets", 1).await?;
        insert_rows(
            self.backend,
            &mut tx,
            "project_assets (id, project_id, county_code, region_code, version, created_at)",
            6,
            vec![vec![
                Cell::Int(id),
                Cell::Int(project.0),
                Cell::Text(county.as_str().to_owned()),
                Cell::Text(region.as_str().to_owned()),
                Cell::Int(1),
                Cell::Text(instant_text(&stamp.recorded_at)),
            ]],
        )
        .await?;
        insert_rows(
            self.backend,
            &mut tx,
            ASSET_EVENT_COLUMNS,
            9,
            vec![event_cells(
                id,
                1,
                registered.name(),
                asset_payload(registered),
                stamp,
            )],
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(AssetId(id))
    }

    async fn append_asset_event(
        &self,
        asset: AssetId,
        expected_version: u32,
        event: &AssetEvent,
        stamp: &VersionStamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let next = expected_version + 1;
        let done =
            sqlx::query("UPDATE project_assets SET version = $1 WHERE id = $2 AND version = $3")
                .bind(i64::from(next))
                .bind(asset.0)
                .bind(i64::from(expected_version))
                .execute(&mut *tx)
                .await
                .map_err(unexpected)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "asset {} is no longer at version {expected_version}; someone acted first",
                asset.0
            )));
        }
        insert_rows(
            self.backend,
            &mut tx,
            ASSET_EVENT_COLUMNS,
            9,
            vec![event_cells(
                asset.0,
                next,
                event.name(),
                asset_payload(event),
                stamp,
            )],
        )
        .await
        .map_err(conflict_on_unique(format!(
            "asset {}: step {next} was taken first",
            asset.0
        )))?;
        tx.commit().await.map_err(unexpected)?;
        Ok(())
    }

    async fn list_assets(
        &self,
        scope: &Scope,
        county: Option<&RegionCode>,
        project: Option<ProjectId>,
    ) -> StoreResult<Vec<AssetRecord>> {
        let mut sql = scope_sql(scope, "a");
        let mut binds = Vec::new();
        if let Some(c) = county {
            binds.push(c.as_str().to_owned());
            sql.push_str(" AND a.county_code = $1");
        }
        if let Some(p) = project {
            sql.push_str(&format!(" AND a.project_id = {}", p.0));
        }
        self.load_assets(sql, binds).await
    }
}
