//! Cases, their append-only events, measures (versioned) and visits.
//!
//! Events are stored as one row each with the stamp columns and a JSON payload (TEXT). A step is
//! written only if the case head still holds the version the caller saw: the head's
//! `UPDATE … WHERE version = expected` and the `(case_id, seq)` key both refuse the second of two
//! concurrent steps, so they cannot both win.

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use chrono::NaiveDate;
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use uplift_app::cases::{CaseFilter, CaseId, CaseRecord, CaseStore, MeasureId, VisitId};
use uplift_app::store::{HouseholdId, Scope, StoreError, StoreResult};
use uplift_domain::case::elimination::ConditionResult;
use uplift_domain::case::{
    Appraisal, CaseKind, Channel, Comparison, Decision, EliminationType, Event, FundingSource,
    Measure, MeasureCategory, NationalEntry, Opening, Stage, Verification, Visit,
};
use uplift_domain::household::Codebook;
use uplift_domain::income::Money;
use uplift_domain::region::RegionCode;
use uplift_domain::version::{ReadAt, VersionStamp, Versioned};

use crate::Db;
use crate::codec::{self, date_text, instant_text, known_at_text, parse_date};
use crate::registry::{Cell, code_range, insert_rows, reserve_keys, unexpected};

fn d(v: &Value, key: &str) -> anyhow::Result<NaiveDate> {
    parse_date(
        v[key]
            .as_str()
            .ok_or_else(|| anyhow!("event field {key} missing"))?,
    )
}

fn s(v: &Value, key: &str) -> anyhow::Result<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("event field {key} missing"))
}

fn b(v: &Value, key: &str) -> anyhow::Result<bool> {
    v[key]
        .as_bool()
        .ok_or_else(|| anyhow!("event field {key} missing"))
}

fn n(v: &Value, key: &str) -> anyhow::Result<u32> {
    v[key]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| anyhow!("event field {key} missing"))
}

fn code<T: Codebook>(v: &Value, key: &str) -> anyhow::Result<T> {
    codec::code(&s(v, key)?)
}

/// The JSON payload of an event.
fn payload(event: &Event) -> Value {
    match event {
        Event::Opened(o) => json!({
            "kind": o.kind.code(), "channel": o.channel.code(), "clue_date": date_text(o.clue_date),
            "summary": o.summary, "risk_hint": o.risk_hint, "green_channel": o.green_channel,
            "rollback": o.rollback,
            "conditions": o.conditions.iter().map(|c| json!({
                "code": c.code, "passed": c.passed, "detail_zh": c.detail_zh, "detail_en": c.detail_en,
            })).collect::<Vec<_>>(),
        }),
        Event::Accepted => json!({}),
        Event::Verified(v) => json!({
            "commitment_signed": v.commitment_signed, "asset_query_authorised": v.asset_query_authorised,
            "findings": v.findings,
        }),
        Event::Compared(c) => {
            json!({"adverse_findings": c.adverse_findings, "findings": c.findings})
        }
        Event::Appraised(a) => json!({
            "held_on": date_text(a.held_on), "attendees": a.attendees, "votes_for": a.votes_for,
            "votes_against": a.votes_against, "abstentions": a.abstentions, "minutes": a.minutes,
        }),
        Event::NoticePosted { start, last_day } => {
            json!({"start": date_text(*start), "last_day": date_text(*last_day)})
        }
        Event::ObjectionFiled { filed_on, text } => {
            json!({"filed_on": date_text(*filed_on), "text": text})
        }
        Event::ObjectionAnswered { index, answer } => json!({"index": index, "answer": answer}),
        Event::NoticeClosed { on } => json!({"on": date_text(*on)}),
        Event::Reviewed { opinion } => json!({"opinion": opinion}),
        Event::Approved { on, decision } => match decision {
            Decision::Identify { category, risks } => {
                json!({"on": date_text(*on), "category": category, "risks": risks})
            }
            Decision::Eliminate { kind } => {
                json!({"on": date_text(*on), "elimination_type": kind.code()})
            }
        },
        Event::Announced { on } => json!({"on": date_text(*on)}),
        Event::EnteredNational(e) => {
            json!({"entered_by": e.entered_by, "entered_on": date_text(e.entered_on)})
        }
        Event::Rejected { at, reason } => json!({"at": at.code(), "reason": reason}),
    }
}

/// Condition codes are static strings in the domain; map stored ones back to them.
fn condition_code(stored: &str) -> anyhow::Result<&'static str> {
    uplift_domain::case::elimination::CONDITIONS
        .iter()
        .copied()
        .find(|c| *c == stored)
        .ok_or_else(|| anyhow!("unknown condition {stored:?}"))
}

fn event_from(name: &str, v: &Value) -> anyhow::Result<Event> {
    Ok(match name {
        "opened" => Event::Opened(Opening {
            kind: code::<CaseKind>(v, "kind")?,
            channel: code::<Channel>(v, "channel")?,
            clue_date: d(v, "clue_date")?,
            summary: s(v, "summary")?,
            risk_hint: v["risk_hint"].as_str().map(str::to_owned),
            green_channel: b(v, "green_channel")?,
            rollback: b(v, "rollback")?,
            conditions: v["conditions"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|c| {
                    Ok(ConditionResult {
                        code: condition_code(&s(c, "code")?)?,
                        passed: b(c, "passed")?,
                        detail_zh: s(c, "detail_zh")?,
                        detail_en: s(c, "detail_en")?,
                    })
                })
                .collect::<anyhow::Result<_>>()?,
        }),
        "accepted" => Event::Accepted,
        "verified" => Event::Verified(Verification {
            commitment_signed: b(v, "commitment_signed")?,
            asset_query_authorised: b(v, "asset_query_authorised")?,
            findings: s(v, "findings")?,
        }),
        "compared" => Event::Compared(Comparison {
            adverse_findings: b(v, "adverse_findings")?,
            findings: s(v, "findings")?,
        }),
        "appraised" => Event::Appraised(Appraisal {
            held_on: d(v, "held_on")?,
            attendees: n(v, "attendees")?,
            votes_for: n(v, "votes_for")?,
            votes_against: n(v, "votes_against")?,
            abstentions: n(v, "abstentions")?,
            minutes: s(v, "minutes")?,
        }),
        "notice_posted" => Event::NoticePosted {
            start: d(v, "start")?,
            last_day: d(v, "last_day")?,
        },
        "objection_filed" => Event::ObjectionFiled {
            filed_on: d(v, "filed_on")?,
            text: s(v, "text")?,
        },
        "objection_answered" => Event::ObjectionAnswered {
            index: n(v, "index")? as usize,
            answer: s(v, "answer")?,
        },
        "notice_closed" => Event::NoticeClosed { on: d(v, "on")? },
        "reviewed" => Event::Reviewed {
            opinion: s(v, "opinion")?,
        },
        "approved" => Event::Approved {
            on: d(v, "on")?,
            decision: match v.get("elimination_type") {
                Some(_) => Decision::Eliminate {
                    kind: code::<EliminationType>(v, "elimination_type")?,
                },
                None => Decision::Identify {
                    category: s(v, "category")?,
                    risks: v["risks"]
                        .as_array()
                        .ok_or_else(|| anyhow!("event field risks missing"))?
                        .iter()
                        .map(|r| r.as_str().map(str::to_owned).context("risk is not text"))
                        .collect::<anyhow::Result<_>>()?,
                },
            },
        },
        "announced" => Event::Announced { on: d(v, "on")? },
        "entered_national" => Event::EnteredNational(NationalEntry {
            entered_by: s(v, "entered_by")?,
            entered_on: d(v, "entered_on")?,
        }),
        "rejected" => Event::Rejected {
            at: code::<Stage>(v, "at")?,
            reason: s(v, "reason")?,
        },
        other => anyhow::bail!("unknown stored event {other:?}"),
    })
}

fn event_row(case: i64, seq: u32, event: &Event, stamp: &VersionStamp) -> Vec<Cell> {
    vec![
        Cell::Int(case),
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

const EVENT_COLUMNS: &str =
    "case_events (case_id, seq, event, payload, valid_from, recorded_at, actor, source, reason)";

/// A scope as a SQL condition on `cases` aliased `c`; user ids are integers, never text.
fn scope_sql(scope: &Scope) -> String {
    match scope {
        Scope::Everything => "1 = 1".to_owned(),
        Scope::Region(r) => {
            let (low, high) = code_range(r);
            format!("c.region_code BETWEEN '{low}' AND '{high}'")
        }
        Scope::Assigned(user) => format!(
            "c.household_id IN (SELECT household_id FROM helper_assignments WHERE user_id = {})",
            user.0
        ),
        Scope::Nothing => "1 = 0".to_owned(),
    }
}

fn opt_bool(v: Option<bool>) -> Cell {
    Cell::OptInt(v.map(i64::from))
}

fn read_opt_bool(row: &AnyRow, col: &str) -> anyhow::Result<Option<bool>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(|v| v != 0))
}

impl Db {
    async fn load_cases(
        &self,
        where_sql: String,
        binds: Vec<String>,
    ) -> StoreResult<Vec<CaseRecord>> {
        let sql = format!(
            "SELECT c.id, c.household_id, c.region_code, e.event, e.payload, e.valid_from, \
             e.recorded_at, e.actor, e.source, e.reason \
             FROM cases c JOIN case_events e ON e.case_id = c.id \
             WHERE {where_sql} ORDER BY c.id, e.seq"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unexpected)?;
        let mut out: Vec<CaseRecord> = Vec::new();
        for row in &rows {
            let read = || -> anyhow::Result<(i64, i64, String, Event, VersionStamp)> {
                let name: String = row.try_get("event")?;
                let payload: String = row.try_get("payload")?;
                let value: Value =
                    serde_json::from_str(&payload).context("stored event payload")?;
                Ok((
                    row.try_get("id")?,
                    row.try_get("household_id")?,
                    row.try_get("region_code")?,
                    event_from(&name, &value)?,
                    codec::stamp(row)?,
                ))
            };
            let (id, household, region, event, stamp) = read().map_err(unexpected)?;
            match out.last_mut() {
                Some(last) if last.id.0 == id => last.events.push((event, stamp)),
                _ => out.push(CaseRecord {
                    id: CaseId(id),
                    household: HouseholdId(household),
                    region: RegionCode::parse(&region)
                        .map_err(|e| unexpected(anyhow!("stored case region: {e}")))?,
                    events: vec![(event, stamp)],
                }),
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl CaseStore for Db {
    async fn open_case(
        &self,
        household: HouseholdId,
        region: &RegionCode,
        opened: &Event,
        stamp: &VersionStamp,
    ) -> StoreResult<CaseId> {
        let Event::Opened(o) = opened else {
            return Err(StoreError::Invalid(format!(
                "a case opens with a clue, not {}",
                opened.name()
            )));
        };
        let stage = if o.channel == Channel::SelfDeclaration {
            Stage::Declared
        } else {
            Stage::Clue
        };
        let mut tx = self.begin_write().await?;
        let id = reserve_keys(&mut tx, "cases", 1).await?;
        let head = vec![
            Cell::Int(id),
            Cell::Int(household.0),
            Cell::Text(region.as_str().to_owned()),
            Cell::Text(o.kind.code().to_owned()),
            Cell::Text(o.channel.code().to_owned()),
            Cell::Text(stage.code().to_owned()),
            Cell::Int(1),
            Cell::Text(instant_text(&stamp.recorded_at)),
        ];
        insert_rows(
            self.backend,
            &mut tx,
            "cases (id, household_id, region_code, kind, channel, stage, version, created_at)",
            8,
            vec![head],
        )
        .await?;
        insert_rows(
            self.backend,
            &mut tx,
            EVENT_COLUMNS,
            9,
            vec![event_row(id, 1, opened, stamp)],
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(CaseId(id))
    }

    async fn append_case_event(
        &self,
        case: CaseId,
        expected_version: u32,
        event: &Event,
        stage: Stage,
        stamp: &VersionStamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let next = expected_version + 1;
        let done =
            sqlx::query("UPDATE cases SET version = $1, stage = $2 WHERE id = $3 AND version = $4")
                .bind(i64::from(next))
                .bind(stage.code().to_owned())
                .bind(case.0)
                .bind(i64::from(expected_version))
                .execute(&mut *tx)
                .await
                .map_err(unexpected)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "case {} is no longer at version {expected_version}; someone acted first",
                case.0
            )));
        }
        insert_rows(
            self.backend,
            &mut tx,
            EVENT_COLUMNS,
            9,
            vec![event_row(case.0, next, event, stamp)],
        )
        .await
        .map_err(|e| match e {
            StoreError::Unexpected(e)
                if e.to_string().contains("UNIQUE") || e.to_string().contains("unique") =>
            {
                StoreError::Conflict(format!("case {}: step {next} was taken first", case.0))
            }
            other => other,
        })?;
        tx.commit().await.map_err(unexpected)?;
        Ok(())
    }

    async fn case_record(&self, case: CaseId, scope: &Scope) -> StoreResult<Option<CaseRecord>> {
        let sql = format!("c.id = {} AND {}", case.0, scope_sql(scope));
        Ok(self.load_cases(sql, vec![]).await?.pop())
    }

    async fn list_cases(&self, filter: &CaseFilter) -> StoreResult<Vec<CaseRecord>> {
        let mut sql = scope_sql(&filter.scope);
        let mut binds = Vec::new();
        if let Some(region) = &filter.region {
            let (low, high) = code_range(region);
            binds.push(low);
            binds.push(high);
            sql.push_str(" AND c.region_code BETWEEN $1 AND $2");
        }
        if let Some(stage) = filter.stage {
            binds.push(stage.code().to_owned());
            sql.push_str(&format!(" AND c.stage = ${}", binds.len()));
        }
        if let Some(h) = filter.household {
            sql.push_str(&format!(" AND c.household_id = {}", h.0));
        }
        self.load_cases(sql, binds).await
    }

    async fn save_measure(
        &self,
        household: HouseholdId,
        id: Option<MeasureId>,
        measure: &Measure,
        stamp: &VersionStamp,
    ) -> StoreResult<MeasureId> {
        let mut tx = self.begin_write().await?;
        let id = match id {
            Some(id) => {
                let owner: Option<i64> =
                    sqlx::query_scalar("SELECT household_id FROM measures WHERE id = $1")
                        .bind(id.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(unexpected)?;
                if owner != Some(household.0) {
                    return Err(StoreError::NotFound(format!(
                        "measure {} of household {}",
                        id.0, household.0
                    )));
                }
                id.0
            }
            None => {
                let id = reserve_keys(&mut tx, "measures", 1).await?;
                insert_rows(
                    self.backend,
                    &mut tx,
                    "measures (id, household_id, created_at)",
                    3,
                    vec![vec![
                        Cell::Int(id),
                        Cell::Int(household.0),
                        Cell::Text(instant_text(&stamp.recorded_at)),
                    ]],
                )
                .await?;
                id
            }
        };
        let version = reserve_keys(&mut tx, "measure_versions", 1).await?;
        insert_rows(
            self.backend,
            &mut tx,
            "measure_versions (version_id, measure_id, valid_from, recorded_at, actor, source, reason, \
             category, name, start_date, end_date, amount_fen, funding_source)",
            13,
            vec![vec![
                Cell::Int(version),
                Cell::Int(id),
                Cell::Text(date_text(stamp.valid_from)),
                Cell::Text(instant_text(&stamp.recorded_at)),
                Cell::Text(stamp.actor.clone()),
                Cell::Text(stamp.source.clone()),
                Cell::OptText(stamp.reason.clone()),
                Cell::Text(measure.category.code().to_owned()),
                Cell::Text(measure.name.clone()),
                Cell::Text(date_text(measure.start)),
                Cell::OptText(measure.end.map(date_text)),
                Cell::Int(measure.amount.fen()),
                Cell::Text(measure.funding.code().to_owned()),
            ]],
        )
        .await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(MeasureId(id))
    }

    async fn measures(
        &self,
        household: HouseholdId,
        at: ReadAt,
    ) -> StoreResult<Vec<(MeasureId, Versioned<Measure>)>> {
        let rows = sqlx::query(
            "SELECT * FROM (SELECT v.*, ROW_NUMBER() OVER (PARTITION BY v.measure_id \
             ORDER BY v.valid_from DESC, v.recorded_at DESC, v.version_id DESC) AS rn \
             FROM measure_versions v JOIN measures m ON m.id = v.measure_id \
             WHERE m.household_id = $1 AND v.valid_from <= $2 AND v.recorded_at <= $3) t \
             WHERE rn = 1 ORDER BY start_date, measure_id",
        )
        .bind(household.0)
        .bind(date_text(at.as_of))
        .bind(known_at_text(at.known_at))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)?;
        rows.iter()
            .map(|row| -> anyhow::Result<_> {
                let end: Option<String> = row.try_get("end_date")?;
                Ok((
                    MeasureId(row.try_get("measure_id")?),
                    Versioned {
                        value: Measure {
                            category: codec::code::<MeasureCategory>(
                                &row.try_get::<String, _>("category")?,
                            )?,
                            name: row.try_get("name")?,
                            start: parse_date(&row.try_get::<String, _>("start_date")?)?,
                            end: end.as_deref().map(parse_date).transpose()?,
                            amount: Money::from_fen(row.try_get("amount_fen")?),
                            funding: codec::code::<FundingSource>(
                                &row.try_get::<String, _>("funding_source")?,
                            )?,
                        },
                        stamp: codec::stamp(row)?,
                    },
                ))
            })
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }

    async fn record_visit(
        &self,
        household: HouseholdId,
        visit: &Visit,
        stamp: &VersionStamp,
    ) -> StoreResult<VisitId> {
        let mut tx = self.begin_write().await?;
        let id = insert_visit(self.backend, &mut tx, household, visit, stamp).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(id)
    }

    async fn visits(
        &self,
        household: HouseholdId,
    ) -> StoreResult<Vec<(VisitId, Versioned<Visit>)>> {
        let rows =
            sqlx::query("SELECT * FROM visits WHERE household_id = $1 ORDER BY visit_date, id")
                .bind(household.0)
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected)?;
        rows.iter()
            .map(|row| -> anyhow::Result<_> {
                Ok((
                    VisitId(row.try_get("id")?),
                    Versioned {
                        value: Visit {
                            date: parse_date(&row.try_get::<String, _>("visit_date")?)?,
                            visitor: row.try_get("visitor")?,
                            income_above_line: read_opt_bool(row, "income_above_line")?,
                            health_ok: read_opt_bool(row, "health_ok")?,
                            schooling_ok: read_opt_bool(row, "schooling_ok")?,
                            work_ok: read_opt_bool(row, "work_ok")?,
                            housing_ok: read_opt_bool(row, "housing_ok")?,
                            water_ok: read_opt_bool(row, "water_ok")?,
                            findings: row.try_get("findings")?,
                            problems: row.try_get("problems")?,
                            follow_ups: row.try_get("follow_ups")?,
                            photo: row.try_get("photo")?,
                        },
                        stamp: codec::stamp(row)?,
                    },
                ))
            })
            .collect::<anyhow::Result<_>>()
            .map_err(unexpected)
    }
}

/// Writes one visit inside the caller's transaction.
pub(crate) async fn insert_visit(
    backend: crate::Backend,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    household: HouseholdId,
    visit: &Visit,
    stamp: &VersionStamp,
) -> StoreResult<VisitId> {
    let id = reserve_keys(tx, "visits", 1).await?;
    insert_rows(
        backend,
        tx,
        "visits (id, household_id, visit_date, visitor, income_above_line, health_ok, schooling_ok, \
         work_ok, housing_ok, water_ok, findings, problems, follow_ups, photo, valid_from, \
         recorded_at, actor, source, reason)",
        19,
        vec![vec![
            Cell::Int(id),
            Cell::Int(household.0),
            Cell::Text(date_text(visit.date)),
            Cell::Text(visit.visitor.clone()),
            opt_bool(visit.income_above_line),
            opt_bool(visit.health_ok),
            opt_bool(visit.schooling_ok),
            opt_bool(visit.work_ok),
            opt_bool(visit.housing_ok),
            opt_bool(visit.water_ok),
            Cell::Text(visit.findings.clone()),
            Cell::Text(visit.problems.clone()),
            Cell::Text(visit.follow_ups.clone()),
            Cell::OptText(visit.photo.clone()),
            Cell::Text(date_text(stamp.valid_from)),
            Cell::Text(instant_text(&stamp.recorded_at)),
            Cell::Text(stamp.actor.clone()),
            Cell::Text(stamp.source.clone()),
            Cell::OptText(stamp.reason.clone()),
        ]],
    )
    .await?;
    Ok(VisitId(id))
}
