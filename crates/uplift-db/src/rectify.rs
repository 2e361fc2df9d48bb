//! The rectification ledger (problems, their append-only events and evidence files) and the
//! five-level responsibility tree (secretaries and units, tasks, completions).
//!
//! A problem's step is written only if its head still holds the version the caller saw, as for
//! cases. Evidence bytes are stored as hex text (columns are TEXT or integers only).

use std::collections::BTreeMap;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use chrono::NaiveDate;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Row};
use uplift_app::rectify::store::{
    EVIDENCE, NewTask, ProblemFilter, ProblemId, ProblemRecord, RectifyStore, Responsibility,
    TaskId, TaskRecord, TaskTarget,
};
use uplift_app::store::{Scope, StoreError, StoreResult};
use uplift_domain::household::Codebook;
use uplift_domain::rectify::{
    Assignment, Event, Evidence, FixKind, Problem, ProblemFacts, Progress,
};
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_domain::version::VersionStamp;

use crate::Db;
use crate::codec::{self, date_text, instant_text, parse_date};
use crate::registry::{Cell, code_range, insert_rows, reserve_keys, unexpected};

fn s(v: &Value, key: &str) -> anyhow::Result<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("event field {key} missing"))
}

fn strings(v: &Value, key: &str) -> anyhow::Result<Vec<String>> {
    v[key]
        .as_array()
        .ok_or_else(|| anyhow!("event field {key} missing"))?
        .iter()
        .map(|x| x.as_str().map(str::to_owned).context("not text"))
        .collect()
}

fn region(text: &str) -> anyhow::Result<RegionCode> {
    RegionCode::parse(text).map_err(|e| anyhow!("stored region {text:?}: {e}"))
}

fn evidence_json(e: &Evidence) -> Value {
    json!({"file_name": e.file_name, "content_type": e.content_type, "size": e.size, "sha256": e.sha256})
}

fn payload(event: &Event) -> Value {
    match event {
        Event::Recorded(f) => json!({
            "source": f.source, "source_ref": f.source_ref, "area": f.area, "title": f.title,
            "description": f.description, "found_on": date_text(f.found_on),
            "region": f.region.as_str(),
            "affected_regions": f.affected_regions.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "households": f.households, "fix_kind": f.fix_kind.code(),
        }),
        Event::Assigned(a) => json!({
            "responsible_region": a.responsible_region.as_str(), "lead_unit": a.lead_unit,
            "responsible_units": a.responsible_units, "responsible_person": a.responsible_person,
            "measures": a.measures, "deadline": date_text(a.deadline),
        }),
        Event::Reported(p) => json!({
            "text": p.text, "evidence": p.evidence.iter().map(evidence_json).collect::<Vec<_>>(),
        }),
        Event::Submitted { summary } => json!({"summary": summary}),
        Event::SignedOff { opinion } => json!({"opinion": opinion}),
        Event::SignOffRejected { reason } | Event::Reopened { reason } => {
            json!({"reason": reason})
        }
    }
}

fn event_from(name: &str, v: &Value) -> anyhow::Result<Event> {
    Ok(match name {
        "recorded" => Event::Recorded(ProblemFacts {
            source: s(v, "source")?,
            source_ref: s(v, "source_ref")?,
            area: s(v, "area")?,
            title: s(v, "title")?,
            description: s(v, "description")?,
            found_on: parse_date(&s(v, "found_on")?)?,
            region: region(&s(v, "region")?)?,
            affected_regions: strings(v, "affected_regions")?
                .iter()
                .map(|r| region(r))
                .collect::<anyhow::Result<_>>()?,
            households: strings(v, "households")?,
            fix_kind: codec::code::<FixKind>(&s(v, "fix_kind")?)?,
        }),
        "assigned" => Event::Assigned(Assignment {
            responsible_region: region(&s(v, "responsible_region")?)?,
            lead_unit: s(v, "lead_unit")?,
            responsible_units: strings(v, "responsible_units")?,
            responsible_person: s(v, "responsible_person")?,
            measures: s(v, "measures")?,
            deadline: parse_date(&s(v, "deadline")?)?,
        }),
        "reported" => Event::Reported(Progress {
            text: s(v, "text")?,
            evidence: v["evidence"]
                .as_array()
                .ok_or_else(|| anyhow!("event field evidence missing"))?
                .iter()
                .map(|e| {
                    Ok(Evidence {
                        file_name: s(e, "file_name")?,
                        content_type: s(e, "content_type")?,
                        size: e["size"].as_u64().context("evidence size")?,
                        sha256: s(e, "sha256")?,
                    })
                })
                .collect::<anyhow::Result<_>>()?,
        }),
        "submitted" => Event::Submitted {
            summary: s(v, "summary")?,
        },
        "signed_off" => Event::SignedOff {
            opinion: s(v, "opinion")?,
        },
        "sign_off_rejected" => Event::SignOffRejected {
            reason: s(v, "reason")?,
        },
        "reopened" => Event::Reopened {
            reason: s(v, "reason")?,
        },
        other => anyhow::bail!("unknown stored problem event {other:?}"),
    })
}

fn event_row(problem: i64, seq: u32, event: &Event, stamp: &VersionStamp) -> Vec<Cell> {
    vec![
        Cell::Int(problem),
        Cell::Int(i64::from(seq)),
        Cell::Text(event.name().to_owned()),
        Cell::Text(payload(event).to_string()),
        Cell::Text(date_text(stamp.valid_from)),
        Cell::Text(instant_text(&stamp.recorded_at)),
        Cell::Text(stamp.actor.clone()),
        Cell::Text(stamp.source.clone()),
        Cell::OptText(stamp.reason.clone()),
    ]
}

fn stamp_cells(stamp: &VersionStamp) -> [Cell; 5] {
    [
        Cell::Text(date_text(stamp.valid_from)),
        Cell::Text(instant_text(&stamp.recorded_at)),
        Cell::Text(stamp.actor.clone()),
        Cell::Text(stamp.source.clone()),
        Cell::OptText(stamp.reason.clone()),
    ]
}

const EVENT_COLUMNS: &str = "problem_events (problem_id, seq, event, payload, valid_from, recorded_at, actor, source, reason)";

fn head_cells(p: &Problem) -> (Cell, Cell, Cell) {
    (
        Cell::OptText(
            p.assignment
                .as_ref()
                .map(|a| a.responsible_region.as_str().to_owned()),
        ),
        Cell::Text(p.state.code().to_owned()),
        Cell::OptText(p.deadline().map(date_text)),
    )
}

/// A scope as a SQL condition on `problems` aliased `p`: the filing or the responsible region.
fn scope_sql(scope: &Scope) -> String {
    match scope {
        Scope::Everything => "1 = 1".to_owned(),
        Scope::Region(r) => {
            let (low, high) = code_range(r);
            format!(
                "(p.region_code BETWEEN '{low}' AND '{high}' OR p.responsible_region BETWEEN '{low}' AND '{high}')"
            )
        }
        Scope::Assigned(_) | Scope::Nothing => "1 = 0".to_owned(),
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    binds: Vec<String>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for b in binds {
        q = q.bind(b);
    }
    q
}

impl Db {
    async fn load_problems(
        &self,
        where_sql: String,
        binds: Vec<String>,
    ) -> StoreResult<Vec<ProblemRecord>> {
        let sql = format!(
            "SELECT p.id, e.event, e.payload, e.valid_from, e.recorded_at, e.actor, e.source, \
             e.reason FROM problems p JOIN problem_events e ON e.problem_id = p.id \
             WHERE {where_sql} ORDER BY p.id, e.seq"
        );
        let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), binds)
            .fetch_all(&self.pool)
            .await
            .map_err(unexpected)?;
        let mut out: Vec<ProblemRecord> = Vec::new();
        for row in &rows {
            let read = || -> anyhow::Result<(i64, Event, VersionStamp)> {
                let name: String = row.try_get("event")?;
                let payload: String = row.try_get("payload")?;
                let value: Value =
                    serde_json::from_str(&payload).context("stored problem payload")?;
                Ok((
                    row.try_get("id")?,
                    event_from(&name, &value)?,
                    codec::stamp(row)?,
                ))
            };
            let (id, event, stamp) = read().map_err(unexpected)?;
            match out.last_mut() {
                Some(last) if last.id.0 == id => last.events.push((event, stamp)),
                _ => out.push(ProblemRecord {
                    id: ProblemId(id),
                    events: vec![(event, stamp)],
                }),
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl RectifyStore for Db {
    async fn record_problems(
        &self,
        problems: &[Vec<Event>],
        stamp: &VersionStamp,
    ) -> StoreResult<Vec<ProblemId>> {
        let mut heads = Vec::new();
        let mut events = Vec::new();
        let mut tx = self.begin_write().await?;
        let first = reserve_keys(&mut tx, "problems", problems.len()).await?;
        let mut ids = Vec::new();
        for (i, list) in problems.iter().enumerate() {
            let id = first + i as i64;
            let folded = Problem::fold(list.iter().map(|e| (e, stamp.valid_from)))
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let (responsible, state, deadline) = head_cells(&folded);
            heads.push(vec![
                Cell::Int(id),
                Cell::Text(folded.facts.region.as_str().to_owned()),
                responsible,
                state,
                deadline,
                Cell::Int(i64::from(folded.version)),
                Cell::Text(instant_text(&stamp.recorded_at)),
            ]);
            for (seq, e) in list.iter().enumerate() {
                events.push(event_row(id, seq as u32 + 1, e, stamp));
            }
            ids.push(ProblemId(id));
        }
        insert_rows(
            self.backend,
            &mut tx,
            "problems (id, region_code, responsible_region, state, deadline, version, created_at)",
            7,
            heads,
        )
        .await?;
        insert_rows(self.backend, &mut tx, EVENT_COLUMNS, 9, events).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(ids)
    }

    async fn append_problem_event(
        &self,
        problem: ProblemId,
        expected_version: u32,
        event: &Event,
        after: &Problem,
        files: &[uplift_app::attachments::NewAttachment],
        stamp: &VersionStamp,
    ) -> StoreResult<()> {
        let evidence: &[Evidence] = match event {
            Event::Reported(p) => &p.evidence,
            _ => &[],
        };
        if evidence.len() != files.len()
            || evidence.iter().zip(files).any(|(e, f)| {
                e.sha256 != f.sha256 || f.owner_kind != EVIDENCE || f.owner_id != problem.0
            })
        {
            return Err(StoreError::Invalid(format!(
                "the report's {} evidence entries do not match its {} files",
                evidence.len(),
                files.len()
            )));
        }
        let mut tx = self.begin_write().await?;
        let next = expected_version + 1;
        let (responsible, state, deadline) = head_cells(after);
        let text = |c: Cell| match c {
            Cell::OptText(v) => v,
            Cell::Text(v) => Some(v),
            _ => None,
        };
        let done = sqlx::query(
            "UPDATE problems SET version = $1, state = $2, responsible_region = $3, deadline = $4 \
             WHERE id = $5 AND version = $6",
        )
        .bind(i64::from(next))
        .bind(text(state))
        .bind(text(responsible))
        .bind(text(deadline))
        .bind(problem.0)
        .bind(i64::from(expected_version))
        .execute(&mut *tx)
        .await
        .map_err(unexpected)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "problem {} is no longer at version {expected_version}; someone acted first",
                problem.0
            )));
        }
        insert_rows(
            self.backend,
            &mut tx,
            EVENT_COLUMNS,
            9,
            vec![event_row(problem.0, next, event, stamp)],
        )
        .await?;
        crate::attachments::insert(self.backend, &mut tx, files, None).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(())
    }

    async fn problem_record(
        &self,
        problem: ProblemId,
        scope: &Scope,
    ) -> StoreResult<Option<ProblemRecord>> {
        let sql = format!("p.id = {} AND {}", problem.0, scope_sql(scope));
        Ok(self.load_problems(sql, vec![]).await?.pop())
    }

    async fn list_problems(&self, filter: &ProblemFilter) -> StoreResult<Vec<ProblemRecord>> {
        let mut sql = scope_sql(&filter.scope);
        let mut binds = Vec::new();
        if let Some(region) = &filter.region {
            let (low, high) = code_range(region);
            binds.extend([low.clone(), high.clone(), low, high]);
            sql.push_str(
                " AND (p.region_code BETWEEN $1 AND $2 OR p.responsible_region BETWEEN $3 AND $4)",
            );
        }
        if let Some(state) = filter.state {
            binds.push(state.code().to_owned());
            sql.push_str(&format!(" AND p.state = ${}", binds.len()));
        }
        self.load_problems(sql, binds).await
    }

    async fn save_responsibility(
        &self,
        responsibility: &Responsibility,
        stamp: &VersionStamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let id = reserve_keys(&mut tx, "responsibility_versions", 1).await?;
        let mut row = vec![
            Cell::Int(id),
            Cell::Text(responsibility.region.as_str().to_owned()),
            Cell::Text(responsibility.secretary.clone()),
            Cell::Text(json!(responsibility.units).to_string()),
        ];
        row.extend(stamp_cells(stamp));
        insert_rows(
            self.backend,
            &mut tx,
            "responsibility_versions (version_id, region_code, secretary, units, valid_from, \
             recorded_at, actor, source, reason)",
            9,
            vec![row],
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(())
    }

    async fn responsibilities(
        &self,
        within: &RegionCode,
    ) -> StoreResult<Vec<(Responsibility, VersionStamp)>> {
        let (low, high) = code_range(within);
        let rows = sqlx::query(
            "SELECT region_code, secretary, units, valid_from, recorded_at, actor, source, reason \
             FROM responsibility_versions WHERE region_code BETWEEN $1 AND $2 \
             ORDER BY region_code, version_id",
        )
        .bind(low)
        .bind(high)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        let mut latest: BTreeMap<String, (Responsibility, VersionStamp)> = BTreeMap::new();
        for row in &rows {
            let read = || -> anyhow::Result<(String, Responsibility, VersionStamp)> {
                let code: String = row.try_get("region_code")?;
                let units: String = row.try_get("units")?;
                let units: Vec<String> = serde_json::from_str(&units).context("stored units")?;
                Ok((
                    code.clone(),
                    Responsibility {
                        region: region(&code)?,
                        secretary: row.try_get("secretary")?,
                        units,
                    },
                    codec::stamp(row)?,
                ))
            };
            let (code, r, s) = read().map_err(unexpected)?;
            latest.insert(code, (r, s));
        }
        Ok(latest.into_values().collect())
    }

    async fn create_task(
        &self,
        task: &NewTask,
        targets: &[RegionCode],
        stamp: &VersionStamp,
    ) -> StoreResult<TaskId> {
        let mut tx = self.begin_write().await?;
        let id = reserve_keys(&mut tx, "tasks", 1).await?;
        let mut row = vec![
            Cell::Int(id),
            Cell::Text(task.region.as_str().to_owned()),
            Cell::Text(task.title.clone()),
            Cell::Text(task.description.clone()),
            Cell::Text(task.target_level.as_str().to_owned()),
            Cell::Text(date_text(task.deadline)),
        ];
        row.extend(stamp_cells(stamp));
        insert_rows(
            self.backend,
            &mut tx,
            "tasks (id, region_code, title, description, target_level, deadline, valid_from, \
             recorded_at, actor, source, reason)",
            11,
            vec![row],
        )
        .await?;
        let rows = targets
            .iter()
            .map(|t| vec![Cell::Int(id), Cell::Text(t.as_str().to_owned())])
            .collect();
        insert_rows(
            self.backend,
            &mut tx,
            "task_targets (task_id, region_code)",
            2,
            rows,
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(TaskId(id))
    }

    async fn tasks(&self, within: Option<&RegionCode>) -> StoreResult<Vec<TaskRecord>> {
        // A task is seen from its region and from each of its targets' regions, and from above.
        let (where_sql, binds) = match within {
            None => ("1 = 1".to_owned(), vec![]),
            Some(r) => {
                let (low, high) = code_range(r);
                // Tasks assigned from a region above `r` that reach into it, or from inside it.
                (
                    "(t.region_code BETWEEN $1 AND $2 OR t.id IN (SELECT task_id FROM task_targets \
                     WHERE region_code BETWEEN $3 AND $4))"
                        .to_owned(),
                    vec![low.clone(), high.clone(), low, high],
                )
            }
        };
        let sql = format!(
            "SELECT t.id, t.region_code, t.title, t.description, t.target_level, t.deadline, \
             t.valid_from, t.recorded_at, t.actor, t.source, t.reason FROM tasks t \
             WHERE {where_sql} ORDER BY t.id DESC"
        );
        let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), binds)
            .fetch_all(&self.pool)
            .await
            .map_err(unexpected)?;
        let mut out = Vec::new();
        for row in &rows {
            let read = || -> anyhow::Result<TaskRecord> {
                let level: String = row.try_get("target_level")?;
                Ok(TaskRecord {
                    id: TaskId(row.try_get("id")?),
                    task: NewTask {
                        region: region(&row.try_get::<String, _>("region_code")?)?,
                        title: row.try_get("title")?,
                        description: row.try_get("description")?,
                        target_level: RegionLevel::parse(&level)
                            .ok_or_else(|| anyhow!("stored level {level:?}"))?,
                        deadline: parse_date(&row.try_get::<String, _>("deadline")?)?,
                    },
                    stamp: codec::stamp(row)?,
                    targets: Vec::new(),
                })
            };
            out.push(read().map_err(unexpected)?);
        }
        if out.is_empty() {
            return Ok(out);
        }
        let ids = out
            .iter()
            .map(|t| t.id.0.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let targets = sqlx::query(AssertSqlSafe(format!(
            "SELECT task_id, region_code FROM task_targets WHERE task_id IN ({ids}) \
             ORDER BY task_id, region_code"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        let completions = sqlx::query(AssertSqlSafe(format!(
            "SELECT task_id, region_code, completed_on, note FROM task_completions \
             WHERE task_id IN ({ids}) ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        let mut state: BTreeMap<(i64, String), (Option<NaiveDate>, String)> = BTreeMap::new();
        for row in &completions {
            let read = || -> anyhow::Result<((i64, String), (Option<NaiveDate>, String))> {
                let on: Option<String> = row.try_get("completed_on")?;
                Ok((
                    (row.try_get("task_id")?, row.try_get("region_code")?),
                    (
                        on.map(|d| parse_date(&d)).transpose()?,
                        row.try_get("note")?,
                    ),
                ))
            };
            let (k, v) = read().map_err(unexpected)?;
            state.insert(k, v);
        }
        let index: BTreeMap<i64, usize> =
            out.iter().enumerate().map(|(i, t)| (t.id.0, i)).collect();
        for row in &targets {
            let read = || -> anyhow::Result<(i64, String)> {
                Ok((row.try_get("task_id")?, row.try_get("region_code")?))
            };
            let (task, code) = read().map_err(unexpected)?;
            let (completed_on, note) = state
                .get(&(task, code.clone()))
                .cloned()
                .unwrap_or((None, String::new()));
            if let Some(i) = index.get(&task) {
                out[*i].targets.push(TaskTarget {
                    region: region(&code).map_err(unexpected)?,
                    completed_on,
                    note,
                });
            }
        }
        Ok(out)
    }

    async fn record_task_completion(
        &self,
        task: TaskId,
        region_code: &RegionCode,
        completed_on: Option<NaiveDate>,
        note: &str,
        stamp: &VersionStamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT task_id FROM task_targets WHERE task_id = $1 AND region_code = $2",
        )
        .bind(task.0)
        .bind(region_code.as_str().to_owned())
        .fetch_optional(&mut *tx)
        .await
        .map_err(unexpected)?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!(
                "region {region_code} is not a target of task {}",
                task.0
            )));
        }
        let id = reserve_keys(&mut tx, "task_completions", 1).await?;
        let mut row = vec![
            Cell::Int(id),
            Cell::Int(task.0),
            Cell::Text(region_code.as_str().to_owned()),
            Cell::OptText(completed_on.map(date_text)),
            Cell::Text(note.to_owned()),
        ];
        row.extend(stamp_cells(stamp));
        insert_rows(
            self.backend,
            &mut tx,
            "task_completions (id, task_id, region_code, completed_on, note, valid_from, \
             recorded_at, actor, source, reason)",
            10,
            vec![row],
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(())
    }
}
