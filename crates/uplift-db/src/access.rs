//! The access half of the store: users, sessions, helper assignments and the audit log.

use anyhow::Context;
use chrono::{DateTime, FixedOffset};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use uplift_app::access::{self, AuditEvent, ChainedAuditEvent, SESSION_IDLE, Session, User};
use uplift_app::store::{HouseholdId, StoreError, StoreResult, UserId};
use uplift_domain::access::{Department, Role};
use uplift_domain::region::RegionCode;

use crate::Db;
use crate::codec::{self, instant_text};
use crate::registry::{Cell, code_range, insert_rows, reserve_keys, unexpected};

const USER_COLUMNS: &str =
    "id, username, display_name, role, region_code, department, password_hash, disabled";

fn user_from_row(row: &AnyRow) -> anyhow::Result<User> {
    let region: String = row.try_get("region_code")?;
    let disabled: i64 = row.try_get("disabled")?;
    Ok(User {
        id: UserId(row.try_get("id")?),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: codec::code::<Role>(&row.try_get::<String, _>("role")?)?,
        region: RegionCode::parse(&region).context("stored user region")?,
        department: codec::opt_code::<Department>(row.try_get("department")?)?,
        password_hash: row.try_get("password_hash")?,
        disabled: disabled != 0,
    })
}

pub(crate) async fn create_user(db: &Db, user: &User) -> StoreResult<UserId> {
    if user_by_name(db, &user.username).await?.is_some() {
        return Err(StoreError::Conflict(format!(
            "username {} is taken",
            user.username
        )));
    }
    let mut tx = db.begin_write().await?;
    let id = reserve_keys(&mut tx, "users", 1).await?;
    let row = vec![
        Cell::Int(id),
        Cell::Text(user.username.clone()),
        Cell::Text(user.display_name.clone()),
        Cell::Text(uplift_domain::household::Codebook::code(user.role).to_owned()),
        Cell::Text(user.region.as_str().to_owned()),
        Cell::OptText(
            user.department
                .map(|d| uplift_domain::household::Codebook::code(d).to_owned()),
        ),
        Cell::Text(user.password_hash.clone()),
        Cell::Int(i64::from(user.disabled)),
        Cell::Text(codec::now_text()),
    ];
    insert_rows(
        db.backend,
        &mut tx,
        &format!("users ({USER_COLUMNS}, created_at)"),
        9,
        vec![row],
    )
    .await
    .map_err(|e| match e {
        StoreError::Unexpected(e)
            if e.to_string().contains("UNIQUE") || e.to_string().contains("unique") =>
        {
            StoreError::Conflict(format!("username {} is taken", user.username))
        }
        other => other,
    })?;
    tx.commit().await.map_err(unexpected)?;
    Ok(UserId(id))
}

pub(crate) async fn user_by_name(db: &Db, username: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(username.to_owned())
        .fetch_optional(&db.pool)
        .await
        .map_err(unexpected)?;
    row.as_ref()
        .map(user_from_row)
        .transpose()
        .map_err(unexpected)
}

pub(crate) async fn list_users(db: &Db, within: Option<&RegionCode>) -> StoreResult<Vec<User>> {
    let (low, high) = within
        .map(code_range)
        .unwrap_or_else(|| ("000000000000".into(), "999999999999".into()));
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE region_code BETWEEN $1 AND $2 ORDER BY username"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(low)
        .bind(high)
        .fetch_all(&db.pool)
        .await
        .map_err(unexpected)?;
    rows.iter()
        .map(user_from_row)
        .collect::<anyhow::Result<_>>()
        .map_err(unexpected)
}

/// Sets one column of a user; `column` is one of ours, never user input.
pub(crate) async fn update_user(
    db: &Db,
    id: UserId,
    column: &'static str,
    value: Cell,
) -> StoreResult<()> {
    let sql = format!("UPDATE users SET {column} = $1 WHERE id = $2");
    let q = sqlx::query(AssertSqlSafe(sql));
    let q = match value {
        Cell::Int(v) => q.bind(v),
        Cell::Text(v) => q.bind(v),
        Cell::OptInt(v) => q.bind(v),
        Cell::OptText(v) => q.bind(v),
    };
    let done = q.bind(id.0).execute(&db.pool).await.map_err(unexpected)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("user {}", id.0)));
    }
    Ok(())
}

pub(crate) async fn create_session(db: &Db, s: &Session) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(s.token_hash.clone())
    .bind(s.user.0)
    .bind(s.csrf_token.clone())
    .bind(instant_text(&s.created_at))
    .bind(instant_text(&s.expires_at))
    .execute(&db.pool)
    .await
    .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn session(
    db: &Db,
    token_hash: &str,
    now: DateTime<FixedOffset>,
) -> StoreResult<Option<(Session, User)>> {
    let sql = format!(
        "SELECT s.token_hash, s.csrf_token, s.created_at, s.expires_at AS session_expires_at, \
         {} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2",
        USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(token_hash.to_owned())
        .bind(instant_text(&now))
        .fetch_optional(&db.pool)
        .await
        .map_err(unexpected)?;
    let Some(row) = row else { return Ok(None) };
    let user = user_from_row(&row).map_err(unexpected)?;
    let session = Session {
        token_hash: row.try_get("token_hash").map_err(unexpected)?,
        user: user.id,
        csrf_token: row.try_get("csrf_token").map_err(unexpected)?,
        created_at: codec::parse_instant(
            &row.try_get::<String, _>("created_at").map_err(unexpected)?,
        )
        .map_err(unexpected)?,
        expires_at: now + SESSION_IDLE,
    };
    // Sliding expiry: a session lives SESSION_IDLE past its last use. The stored expiry moves
    // only when it is more than SESSION_TOUCH behind, so a burst of reads is not a burst of
    // writes (on SQLite every write takes the one write lock).
    let stored = codec::parse_instant(
        &row.try_get::<String, _>("session_expires_at")
            .map_err(unexpected)?,
    )
    .map_err(unexpected)?;
    if session.expires_at - stored >= SESSION_TOUCH {
        sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
            .bind(instant_text(&session.expires_at))
            .bind(token_hash.to_owned())
            .execute(&db.pool)
            .await
            .map_err(unexpected)?;
    }
    Ok(Some((session, user)))
}

/// How far a session's stored expiry may lag behind its last use before a read writes it: idle
/// expiry is exact to within this.
const SESSION_TOUCH: chrono::Duration = chrono::Duration::seconds(60);

/// Ends the live sessions matching `column = value`; `column` is one of ours.
pub(crate) async fn end_sessions(
    db: &Db,
    column: &'static str,
    value: Cell,
    at: DateTime<FixedOffset>,
) -> StoreResult<()> {
    let sql = format!("UPDATE sessions SET ended_at = $1 WHERE {column} = $2 AND ended_at IS NULL");
    let q = sqlx::query(AssertSqlSafe(sql)).bind(instant_text(&at));
    let q = match value {
        Cell::Int(v) => q.bind(v),
        Cell::Text(v) => q.bind(v),
        Cell::OptInt(v) => q.bind(v),
        Cell::OptText(v) => q.bind(v),
    };
    q.execute(&db.pool).await.map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn assign_helper(
    db: &Db,
    helper: UserId,
    household: HouseholdId,
    at: DateTime<FixedOffset>,
    actor: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO helper_assignments (user_id, household_id, assigned_at, actor) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, household_id) DO NOTHING",
    )
    .bind(helper.0)
    .bind(household.0)
    .bind(instant_text(&at))
    .bind(actor.to_owned())
    .execute(&db.pool)
    .await
    .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn record_audit(db: &Db, e: &AuditEvent) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    // Reserving the key locks the sequence row, so events are chained one at a time.
    let id = reserve_keys(&mut tx, "audit", 1).await?;
    let prev: Option<Option<String>> =
        sqlx::query_scalar("SELECT hash FROM audit_events WHERE id < $1 ORDER BY id DESC LIMIT 1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(unexpected)?;
    let prev_hash = prev
        .flatten()
        .unwrap_or_else(|| access::AUDIT_GENESIS.to_owned());
    let hash = access::audit_hash(&prev_hash, id, e);
    let row = vec![
        Cell::Int(id),
        Cell::Text(instant_text(&e.at)),
        Cell::Text(e.actor.clone()),
        Cell::Text(e.action.clone()),
        Cell::Text(e.target.clone()),
        Cell::OptText(e.region.map(|r| r.as_str().to_owned())),
        Cell::OptText(e.reason.clone()),
        Cell::OptText(e.client.clone()),
        Cell::Text(prev_hash),
        Cell::Text(hash),
    ];
    insert_rows(
        db.backend,
        &mut tx,
        "audit_events (id, at, actor, action, target, region_code, reason, client, prev_hash, hash)",
        10,
        vec![row],
    )
    .await?;
    tx.commit().await.map_err(unexpected)
}

fn audit_from_row(row: &AnyRow) -> anyhow::Result<AuditEvent> {
    let region: Option<String> = row.try_get("region_code")?;
    Ok(AuditEvent {
        at: codec::parse_instant(&row.try_get::<String, _>("at")?)?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        region: region.as_deref().map(RegionCode::parse).transpose()?,
        reason: row.try_get("reason")?,
        client: row.try_get("client")?,
    })
}

pub(crate) async fn audit_chain(db: &Db) -> StoreResult<Vec<ChainedAuditEvent>> {
    let rows = sqlx::query("SELECT * FROM audit_events ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .map_err(unexpected)?;
    rows.iter()
        .map(|row| -> anyhow::Result<ChainedAuditEvent> {
            Ok(ChainedAuditEvent {
                id: row.try_get("id")?,
                event: audit_from_row(row)?,
                prev_hash: row.try_get("prev_hash")?,
                hash: row.try_get("hash")?,
            })
        })
        .collect::<anyhow::Result<_>>()
        .map_err(unexpected)
}

pub(crate) async fn failed_logins_since(
    db: &Db,
    username: &str,
    client: Option<&str>,
    since: DateTime<FixedOffset>,
) -> StoreResult<(u64, u64)> {
    let count = |sql: &'static str, key: String| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(key)
            .bind(instant_text(&since))
            .fetch_one(&db.pool)
            .await
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(unexpected)
    };
    let by_account = count(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'login_failed' AND target = $1 AND at >= $2",
        format!("user:{username}"),
    )
    .await?;
    let by_client = match client {
        Some(c) => {
            count(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'login_failed' AND client = $1 AND at >= $2",
                c.to_owned(),
            )
            .await?
        }
        None => 0,
    };
    Ok((by_account, by_client))
}

pub(crate) async fn audit_log(
    db: &Db,
    within: Option<&RegionCode>,
    limit: u32,
) -> StoreResult<Vec<AuditEvent>> {
    let rows = match within {
        Some(region) => {
            let (low, high) = code_range(region);
            sqlx::query(
                "SELECT * FROM audit_events WHERE region_code BETWEEN $1 AND $2 ORDER BY id DESC LIMIT $3",
            )
            .bind(low)
            .bind(high)
            .bind(i64::from(limit))
            .fetch_all(&db.pool)
            .await
        }
        None => {
            sqlx::query("SELECT * FROM audit_events ORDER BY id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&db.pool)
                .await
        }
    }
    .map_err(unexpected)?;
    rows.iter()
        .map(audit_from_row)
        .collect::<anyhow::Result<_>>()
        .map_err(unexpected)
}
