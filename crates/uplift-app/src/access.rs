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

/// Checks a username and password and opens a session.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
) -> Result<LoginTicket, AccessFailure> {
    let user = app.store.user_by_name(username.trim()).await?;
    let Some(user) = user else {
        // Spend the same time as a real check, so timing does not reveal which names exist.
        let _ = verify_password(password, DUMMY_HASH);
        audit_raw(
            app,
            username,
            "login_failed",
            &format!("user:{username}"),
            None,
        )
        .await?;
        return Err(AccessFailure::BadCredentials);
    };
    if !verify_password(password, &user.password_hash) {
        audit_raw(
            app,
            username,
            "login_failed",
            &format!("user:{username}"),
            Some(user.region),
        )
        .await?;
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
