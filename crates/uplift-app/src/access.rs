//! Users, logins, sessions, helper assignments and the audit log.
//!
//! A [`Principal`] is whoever acts: a logged-in user, or the machine itself (the CLI runs with the
//! machine's trust but records an actor name). Its [`Scope`] goes into every store read.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, FixedOffset};
use rand::RngExt;
use sha2::{Digest, Sha256};
use uplift_domain::access::{Action, Department, Role, SensitiveField, Visibility};
use uplift_domain::region::RegionCode;

use crate::App;
use crate::store::{HouseholdId, Scope, StoreError, StoreResult, UserId};

/// How long a session lasts without use.
pub const SESSION_IDLE: Duration = Duration::hours(12);
pub const PASSWORD_MIN_CHARS: usize = 8;
pub const USERNAME_MAX_CHARS: usize = 40;

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub department: Option<Department>,
    pub password_hash: String,
    pub disabled: bool,
}

/// Whoever acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: Option<UserId>,
    pub name: String,
    /// `None` is the machine's trust (the CLI).
    pub role: Option<Role>,
    pub region: Option<RegionCode>,
    pub department: Option<Department>,
}

impl Principal {
    /// The CLI, acting with the machine's trust under a recorded name.
    pub fn machine(name: &str) -> Principal {
        Principal {
            user: None,
            name: name.to_owned(),
            role: None,
            region: None,
            department: None,
        }
    }

    pub fn of_user(user: &User) -> Principal {
        Principal {
            user: Some(user.id),
            name: user.username.clone(),
            role: Some(user.role),
            region: Some(user.region),
            department: user.department,
        }
    }

    /// Which registry records this principal may read.
    pub fn scope(&self) -> Scope {
        match (self.role, self.user, self.region) {
            (None, _, _) => Scope::Everything,
            (Some(Role::Helper), Some(user), _) => Scope::Assigned(user),
            (Some(Role::DepartmentClerk), _, _) => Scope::Nothing,
            (Some(_), _, Some(region)) => Scope::Region(region),
            (Some(_), _, None) => Scope::Nothing,
        }
    }

    pub fn may(&self, action: Action) -> bool {
        self.role.is_none_or(|r| r.may(action))
    }

    pub fn sees(&self, field: SensitiveField) -> Visibility {
        self.role.map_or(Visibility::Plain, |r| r.sees(field))
    }

    /// Refuses with [`AccessDenied`] unless the principal may take `action`.
    pub fn require(&self, action: Action) -> Result<(), AccessDenied> {
        if self.may(action) {
            Ok(())
        } else {
            Err(AccessDenied {
                who: self.name.clone(),
                action,
            })
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{who} may not {action:?}")]
pub struct AccessDenied {
    pub who: String,
    pub action: Action,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    /// `login`, `login_failed`, `logout`, `unmask`, `user_add`, `user_disable`, `user_passwd`, …
    pub action: String,
    /// What it concerned: `household:12`, `user:alice`, ….
    pub target: String,
    /// The region the target lies in, so auditors of that region see it.
    pub region: Option<RegionCode>,
    pub reason: Option<String>,
    /// The client address of a web request, where there was one.
    pub client: Option<String>,
}

/// An audit event as stored, with its place in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedAuditEvent {
    pub id: i64,
    pub event: AuditEvent,
    /// `None` for events written before the log was chained.
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// The hash of an audit event chained to the one before it: SHA-256 over the previous hash and
/// every field, each field length-prefixed so that no two events share a preimage.
pub fn audit_hash(prev_hash: &str, id: i64, event: &AuditEvent) -> String {
    // The instant as the store keeps it: microseconds, China Standard Time.
    let at = event
        .at
        .with_timezone(&uplift_domain::version::cst())
        .format("%Y-%m-%dT%H:%M:%S%.6f+08:00")
        .to_string();
    let region = event.region.map(|r| r.to_string()).unwrap_or_default();
    let id = id.to_string();
    let fields: [&str; 8] = [
        prev_hash,
        &id,
        &at,
        &event.actor,
        &event.action,
        &event.target,
        &region,
        event.reason.as_deref().unwrap_or("\u{0}none"),
    ];
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex(&hasher.finalize())
}

/// The hash that stands before the first chained event.
pub const AUDIT_GENESIS: &str = "uplift-audit-genesis";

/// What `uplift audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    pub events: u64,
    pub chained: u64,
    /// The first broken link: the event id and what is wrong with it.
    pub broken: Option<(i64, String)>,
}

/// Walks the whole audit log and recomputes every link of the chain.
pub async fn verify_audit(app: &App) -> StoreResult<AuditVerification> {
    let chain = app.store.audit_chain().await?;
    let mut result = AuditVerification {
        events: chain.len() as u64,
        chained: 0,
        broken: None,
    };
    let mut expected_prev: Option<String> = None;
    let mut last_id: Option<i64> = None;
    for link in &chain {
        if let Some(last) = last_id
            && link.id != last + 1
        {
            result.broken = Some((
                link.id,
                format!("events {} to {} are missing", last + 1, link.id - 1),
            ));
            return Ok(result);
        }
        last_id = Some(link.id);
        let (Some(prev), Some(hash)) = (&link.prev_hash, &link.hash) else {
            if expected_prev.is_some() {
                result.broken = Some((link.id, "an unchained event after the chain began".into()));
                return Ok(result);
            }
            continue;
        };
        let want_prev = expected_prev
            .clone()
            .unwrap_or_else(|| AUDIT_GENESIS.to_owned());
        if *prev != want_prev {
            result.broken = Some((link.id, "its link to the event before was altered".into()));
            return Ok(result);
        }
        if audit_hash(prev, link.id, &link.event) != *hash {
            result.broken = Some((link.id, "its content was altered".into()));
            return Ok(result);
        }
        result.chained += 1;
        expected_prev = Some(hash.clone());
    }
    Ok(result)
}

/// A server-side session. Only the token's hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user: UserId,
    pub csrf_token: String,
    pub created_at: DateTime<FixedOffset>,
    pub expires_at: DateTime<FixedOffset>,
}

/// What a new login hands to the browser: the session token (for the cookie) and the CSRF token
/// (for forms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginTicket {
    pub token: String,
    pub csrf_token: String,
    pub principal: Principal,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessFailure {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("user {0} is disabled")]
    Disabled(String),
    #[error("too many failed logins; try again in {minutes} minutes")]
    RateLimited { minutes: i64 },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// 256 random bits from the operating system's generator, as hex.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String, AccessFailure> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(AccessFailure::Invalid(format!(
            "a password needs at least {PASSWORD_MIN_CHARS} characters"
        )));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AccessFailure::Invalid(format!("cannot hash the password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A user to add.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub department: Option<Department>,
    pub password: String,
}

fn check_username(username: &str) -> Result<(), AccessFailure> {
    let ok = !username.is_empty()
        && username.chars().count() <= USERNAME_MAX_CHARS
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AccessFailure::Invalid(format!(
            "username {username:?} must be 1–{USERNAME_MAX_CHARS} letters, digits, '_', '-' or '.'"
        )))
    }
}

/// Adds a user. The acting principal must manage users, and a user principal only within its
/// own region.
pub async fn add_user(app: &App, by: &Principal, new: NewUser) -> Result<UserId, AccessFailure> {
    by.require(Action::ManageUsers)?;
    check_username(&new.username)?;
    new.role
        .check_scope(&new.region, new.department)
        .map_err(|e| AccessFailure::Invalid(e.to_string()))?;
    if let Some(region) = by.region
        && !region.contains(&new.region)
    {
        return Err(AccessFailure::Invalid(format!(
            "{} may only add users inside {}",
            by.name, region
        )));
    }
    if app.store.region(&new.region).await?.is_none() {
        return Err(AccessFailure::Invalid(format!(
            "region {} is not in the region table",
            new.region
        )));
    }
    let user = User {
        id: UserId(0),
        username: new.username.clone(),
        display_name: new.display_name,
        role: new.role,
        region: new.region,
        department: new.department,
        password_hash: hash_password(&new.password)?,
        disabled: false,
    };
    let id = app.store.create_user(&user).await?;
    audit(
        app,
        by,
        "user_add",
        &format!("user:{}", new.username),
        Some(new.region),
        None,
    )
    .await?;
    Ok(id)
}

/// Users visible to the principal: those inside its region (everyone for the machine).
pub async fn list_users(app: &App, by: &Principal) -> Result<Vec<User>, AccessFailure> {
    by.require(Action::ManageUsers)?;
    Ok(app.store.list_users(by.region.as_ref()).await?)
}

async fn user_in_reach(app: &App, by: &Principal, username: &str) -> Result<User, AccessFailure> {
    by.require(Action::ManageUsers)?;
    let user = app
        .store
        .user_by_name(username)
        .await?
        .filter(|u| by.region.is_none_or(|r| r.contains(&u.region)))
        .ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
    Ok(user)
}

pub async fn set_disabled(
    app: &App,
    by: &Principal,
    username: &str,
    disabled: bool,
) -> Result<(), AccessFailure> {
    let user = user_in_reach(app, by, username).await?;
    app.store.set_user_disabled(user.id, disabled).await?;
    if disabled {
        app.store
            .end_user_sessions(user.id, app.clock.now())
            .await?;
    }
    let action = if disabled {
        "user_disable"
    } else {
        "user_enable"
    };
    audit(
        app,
        by,
        action,
        &format!("user:{username}"),
        Some(user.region),
        None,
    )
    .await?;
    Ok(())
}

pub async fn set_password(
    app: &App,
    by: &Principal,
    username: &str,
    password: &str,
) -> Result<(), AccessFailure> {
    let user = user_in_reach(app, by, username).await?;
    let hash = hash_password(password)?;
    app.store.set_user_password(user.id, &hash).await?;
    app.store
        .end_user_sessions(user.id, app.clock.now())
        .await?;
    audit(
        app,
        by,
        "user_passwd",
        &format!("user:{username}"),
        Some(user.region),
        None,
    )
    .await?;
    Ok(())
}

/// Failed logins allowed per account within [`LOGIN_WINDOW`].
pub const MAX_FAILED_PER_ACCOUNT: u64 = 5;
/// Failed logins allowed per client address within [`LOGIN_WINDOW`].
pub const MAX_FAILED_PER_CLIENT: u64 = 20;
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);

/// Checks a username and password and opens a session. `client` is the caller's address, for
/// the rate limit and the audit log.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    client: Option<&str>,
) -> Result<LoginTicket, AccessFailure> {
    let username = username.trim();
    let since = app.clock.now() - LOGIN_WINDOW;
    let (by_account, by_client) = app
        .store
        .failed_logins_since(username, client, since)
        .await?;
    if by_account >= MAX_FAILED_PER_ACCOUNT || by_client >= MAX_FAILED_PER_CLIENT {
        return Err(AccessFailure::RateLimited {
            minutes: LOGIN_WINDOW.num_minutes(),
        });
    }
    let failed = |region: Option<RegionCode>| AuditEvent {
        at: app.clock.now(),
        actor: username.to_owned(),
        action: "login_failed".to_owned(),
        target: format!("user:{username}"),
        region,
        reason: None,
        client: client.map(str::to_owned),
    };
    let user = app.store.user_by_name(username).await?;
    let Some(user) = user else {
        // Spend the same time as a real check, so timing does not reveal which names exist.
        let _ = verify_password(password, DUMMY_HASH);
        app.store.record_audit(&failed(None)).await?;
        return Err(AccessFailure::BadCredentials);
    };
    if !verify_password(password, &user.password_hash) {
        app.store.record_audit(&failed(Some(user.region))).await?;
        return Err(AccessFailure::BadCredentials);
    }
    if user.disabled {
        return Err(AccessFailure::Disabled(user.username));
    }
    let token = random_token();
    let now = app.clock.now();
    let session = Session {
        token_hash: token_hash(&token),
        user: user.id,
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + SESSION_IDLE,
    };
    app.store.create_session(&session).await?;
    audit_raw(
        app,
        &user.username,
        "login",
        &format!("user:{}", user.username),
        Some(user.region),
    )
    .await?;
    Ok(LoginTicket {
        token,
        csrf_token: session.csrf_token,
        principal: Principal::of_user(&user),
    })
}

/// The principal and CSRF token behind a session token, if the session is live and the user
/// still enabled.
pub async fn session(app: &App, token: &str) -> StoreResult<Option<(Principal, String)>> {
    let now = app.clock.now();
    let Some((session, user)) = app.store.session(&token_hash(token), now).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    Ok(Some((Principal::of_user(&user), session.csrf_token)))
}

pub async fn logout(app: &App, token: &str) -> StoreResult<()> {
    let now = app.clock.now();
    if let Some((_, user)) = app.store.session(&token_hash(token), now).await? {
        app.store.end_session(&token_hash(token), now).await?;
        audit_raw(
            app,
            &user.username,
            "logout",
            &format!("user:{}", user.username),
            Some(user.region),
        )
        .await?;
    }
    Ok(())
}

/// Assigns a household to a helper (帮扶联系人).
pub async fn assign_helper(
    app: &App,
    by: &Principal,
    helper: &str,
    household: HouseholdId,
) -> Result<(), AccessFailure> {
    by.require(Action::ManageUsers)?;
    let user = user_in_reach(app, by, helper).await?;
    if user.role != Role::Helper {
        return Err(AccessFailure::Invalid(format!("{helper} is not a helper")));
    }
    app.store
        .assign_helper(user.id, household, app.clock.now(), &by.name)
        .await?;
    audit(
        app,
        by,
        "helper_assign",
        &format!("household:{}", household.0),
        Some(user.region),
        Some(format!("helper {helper}")),
    )
    .await?;
    Ok(())
}

/// Records that `by` revealed a masked field of a household, and why. Refuses roles that may not
/// unmask, and an empty reason.
pub async fn unmask(
    app: &App,
    by: &Principal,
    household: HouseholdId,
    region: Option<RegionCode>,
    reason: &str,
) -> Result<(), AccessFailure> {
    by.require(Action::Unmask)?;
    let reason = reason.trim();
    if reason.chars().count() > 200 {
        return Err(AccessFailure::Invalid(
            "the reason may have at most 200 characters".to_owned(),
        ));
    }
    if reason.chars().count() < 2 {
        return Err(AccessFailure::Invalid(
            "unmasking needs a stated reason (填写查看原因)".to_owned(),
        ));
    }
    audit(
        app,
        by,
        "unmask",
        &format!("household:{}", household.0),
        region,
        Some(reason.to_owned()),
    )
    .await?;
    Ok(())
}

pub async fn audit(
    app: &App,
    by: &Principal,
    action: &str,
    target: &str,
    region: Option<RegionCode>,
    reason: Option<String>,
) -> StoreResult<()> {
    app.store
        .record_audit(&AuditEvent {
            at: app.clock.now(),
            actor: by.name.clone(),
            action: action.to_owned(),
            target: target.to_owned(),
            region,
            reason,
            client: None,
        })
        .await
}

async fn audit_raw(
    app: &App,
    actor: &str,
    action: &str,
    target: &str,
    region: Option<RegionCode>,
) -> StoreResult<()> {
    audit(
        app,
        &Principal::machine(actor),
        action,
        target,
        region,
        None,
    )
    .await
}

/// The audit log as the principal may read it: its region's events, newest first.
pub async fn audit_log(
    app: &App,
    by: &Principal,
    limit: u32,
) -> Result<Vec<AuditEvent>, AccessFailure> {
    by.require(Action::ReadAuditLog)?;
    Ok(app.store.audit_log(by.region.as_ref(), limit).await?)
}

/// A valid Argon2id hash of a random password, verified against when a username is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
                          ZmFrZWhhc2hmYWtlaGFzaGZha2VoYXNoZmFrZWhhc2g";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(matches!(
            hash_password("short"),
            Err(AccessFailure::Invalid(_))
        ));
    }

    #[test]
    fn the_dummy_hash_parses_so_unknown_users_cost_a_real_check() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn scope_follows_the_role() {
        let region = RegionCode::parse("431026100201").unwrap();
        let user = |role| User {
            id: UserId(7),
            username: "u".into(),
            display_name: "U".into(),
            role,
            region,
            department: None,
            password_hash: String::new(),
            disabled: false,
        };
        assert_eq!(
            Principal::of_user(&user(Role::VillageCadre)).scope(),
            Scope::Region(region)
        );
        assert_eq!(
            Principal::of_user(&user(Role::Helper)).scope(),
            Scope::Assigned(UserId(7))
        );
        assert_eq!(
            Principal::of_user(&user(Role::DepartmentClerk)).scope(),
            Scope::Nothing
        );
        assert_eq!(Principal::machine("cli").scope(), Scope::Everything);
        assert!(Principal::machine("cli").may(Action::ManageUsers));
        assert!(
            Principal::of_user(&user(Role::Auditor))
                .require(Action::EditRegistry)
                .is_err()
        );
    }
}
