//! Contract: users, sessions, helper scope and the audit log.

use chrono::Duration;
use uplift_app::access::{AuditEvent, Session, User};
use uplift_app::store::{HouseholdFilter, Page, Scope, Store, StoreError, UserId};
use uplift_db::Db;
use uplift_domain::access::{Department, Role};
use uplift_domain::region::RegionCode;

use crate::contract;
use crate::registry::{now, seed};
use crate::support::t;

fn user(name: &str, role: Role, region: RegionCode) -> User {
    User {
        id: UserId(0),
        username: name.into(),
        display_name: format!("{name} 同志"),
        role,
        region,
        department: (role == Role::DepartmentClerk).then_some(Department::Medical),
        password_hash: "$argon2id$placeholder".into(),
        disabled: false,
    }
}

async fn users_are_unique_and_listed_by_region(db: Db) {
    let (_, villages) = seed(&db).await;
    let county = RegionCode::parse("431026").unwrap();
    let cadre = db
        .create_user(&user("cadre", Role::VillageCadre, villages[0]))
        .await
        .unwrap();
    db.create_user(&user("officer", Role::CountyOfficer, county))
        .await
        .unwrap();
    db.create_user(&user("clerk", Role::DepartmentClerk, county))
        .await
        .unwrap();
    let again = db
        .create_user(&user("cadre", Role::VillageCadre, villages[1]))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    let found = db.user_by_name("cadre").await.unwrap().unwrap();
    assert_eq!(
        (found.id, found.role, found.region),
        (cadre, Role::VillageCadre, villages[0])
    );
    assert_eq!(found.display_name, "cadre 同志");
    let clerk = db.user_by_name("clerk").await.unwrap().unwrap();
    assert_eq!(clerk.department, Some(Department::Medical));
    assert!(db.user_by_name("nobody").await.unwrap().is_none());

    let all: Vec<String> = db
        .list_users(None)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(all, ["cadre", "clerk", "officer"]);
    let in_village: Vec<String> = db
        .list_users(Some(&villages[0]))
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(in_village, ["cadre"]);

    db.set_user_disabled(cadre, true).await.unwrap();
    db.set_user_password(cadre, "$argon2id$other")
        .await
        .unwrap();
    let changed = db.user_by_name("cadre").await.unwrap().unwrap();
    assert!(changed.disabled);
    assert_eq!(changed.password_hash, "$argon2id$other");
    assert!(matches!(
        db.set_user_disabled(UserId(9_999), true).await,
        Err(StoreError::NotFound(_))
    ));
}
contract!(users_are_unique_and_listed_by_region);

async fn sessions_expire_and_end(db: Db) {
    let (_, villages) = seed(&db).await;
    let id = db
        .create_user(&user("cadre", Role::VillageCadre, villages[0]))
        .await
        .unwrap();
    let start = t("2026-11-25T09:00:00+08:00");
    let session = Session {
        token_hash: "h1".into(),
        user: id,
        csrf_token: "c1".into(),
        created_at: start,
        expires_at: start + Duration::hours(12),
    };
    db.create_session(&session).await.unwrap();
    let (live, owner) = db
        .session("h1", start + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (live.csrf_token.as_str(), owner.username.as_str()),
        ("c1", "cadre")
    );
    // Use slides the expiry forward.
    assert!(
        db.session("h1", start + Duration::hours(12))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        db.session("h1", start + Duration::hours(30))
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.session("other", start).await.unwrap().is_none());

    db.create_session(&Session {
        token_hash: "h2".into(),
        ..session.clone()
    })
    .await
    .unwrap();
    db.end_session("h2", start).await.unwrap();
    assert!(db.session("h2", start).await.unwrap().is_none());
    db.create_session(&Session {
        token_hash: "h3".into(),
        ..session.clone()
    })
    .await
    .unwrap();
    db.end_user_sessions(id, start).await.unwrap();
    assert!(db.session("h3", start).await.unwrap().is_none());
}
contract!(sessions_expire_and_end);

async fn helpers_see_only_their_households(db: Db) {
    let (ids, _) = seed(&db).await;
    let county = RegionCode::parse("431026").unwrap();
    let helper = db
        .create_user(&user("helper", Role::Helper, county))
        .await
        .unwrap();
    let scope = Scope::Assigned(helper);
    let mut filter = HouseholdFilter::everything();
    filter.scope = scope.clone();
    assert_eq!(
        db.list_households(&filter, now(), Page::new(1, 50))
            .await
            .unwrap()
            .total,
        0
    );
    assert!(db.household(ids[1], &scope, now()).await.unwrap().is_none());

    db.assign_helper(helper, ids[1], t("2026-01-01T00:00:00+08:00"), "admin")
        .await
        .unwrap();
    db.assign_helper(helper, ids[1], t("2026-01-02T00:00:00+08:00"), "admin")
        .await
        .unwrap();
    let listed = db
        .list_households(&filter, now(), Page::new(1, 50))
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        [ids[1]]
    );
    assert!(db.household(ids[1], &scope, now()).await.unwrap().is_some());
    assert!(db.household(ids[0], &scope, now()).await.unwrap().is_none());

    // A clerk's scope holds nothing at all.
    let mut nothing = HouseholdFilter::everything();
    nothing.scope = Scope::Nothing;
    assert_eq!(
        db.list_households(&nothing, now(), Page::new(1, 50))
            .await
            .unwrap()
            .total,
        0
    );
    assert!(
        db.household(ids[0], &Scope::Nothing, now())
            .await
            .unwrap()
            .is_none()
    );
}
contract!(helpers_see_only_their_households);

async fn the_audit_log_is_filtered_by_region(db: Db) {
    let (_, villages) = seed(&db).await;
    let event = |action: &str, region: Option<RegionCode>, minute: u32| AuditEvent {
        at: t(&format!("2026-11-25T10:{minute:02}:00+08:00")),
        actor: "cadre".into(),
        action: action.into(),
        target: "household:1".into(),
        region,
        reason: Some("核实".into()),
        client: Some("10.0.0.7".into()),
    };
    db.record_audit(&event("unmask", Some(villages[0]), 1))
        .await
        .unwrap();
    db.record_audit(&event("login", Some(villages[1]), 2))
        .await
        .unwrap();
    db.record_audit(&event("login_failed", None, 3))
        .await
        .unwrap();
    let all = db.audit_log(None, 10).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["login_failed", "login", "unmask"]
    );
    let first = db.audit_log(Some(&villages[0]), 10).await.unwrap();
    assert_eq!(first, vec![event("unmask", Some(villages[0]), 1)]);
    assert_eq!(db.audit_log(None, 1).await.unwrap().len(), 1);
}
contract!(the_audit_log_is_filtered_by_region);

struct Clock;

impl uplift_app::store::Clock for Clock {
    fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        t("2026-11-25T12:00:00+08:00")
    }
}

fn app(db: &Db) -> uplift_app::App {
    uplift_app::App::new(
        db.store(),
        std::sync::Arc::new(Clock),
        uplift_app::policy::shipped().unwrap(),
    )
}

async fn the_audit_log_is_a_hash_chain_that_reveals_tampering(db: Db) {
    let (_, villages) = seed(&db).await;
    let app = app(&db);
    let machine = uplift_app::access::Principal::machine("admin");
    for (i, action) in ["login", "unmask", "logout"].iter().enumerate() {
        uplift_app::access::audit(
            &app,
            &machine,
            action,
            &format!("household:{i}"),
            Some(villages[0]),
            Some(format!("reason {i}")),
        )
        .await
        .unwrap();
    }
    let ok = uplift_app::access::verify_audit(&app).await.unwrap();
    assert_eq!((ok.events, ok.chained, ok.broken), (3, 3, None));

    db.execute_admin("UPDATE audit_events SET reason = 'nothing to see' WHERE id = 2")
        .await
        .unwrap();
    let edited = uplift_app::access::verify_audit(&app).await.unwrap();
    assert_eq!(edited.broken.as_ref().map(|b| b.0), Some(2), "{edited:?}");

    db.execute_admin("UPDATE audit_events SET reason = 'reason 1' WHERE id = 2")
        .await
        .unwrap();
    assert_eq!(
        uplift_app::access::verify_audit(&app).await.unwrap().broken,
        None
    );
    db.execute_admin("DELETE FROM audit_events WHERE id = 2")
        .await
        .unwrap();
    let deleted = uplift_app::access::verify_audit(&app).await.unwrap();
    assert_eq!(deleted.broken.as_ref().map(|b| b.0), Some(3), "{deleted:?}");
}
contract!(the_audit_log_is_a_hash_chain_that_reveals_tampering);

async fn failed_logins_are_counted_per_account_and_client(db: Db) {
    let (_, villages) = seed(&db).await;
    db.create_user(&user("cadre", Role::VillageCadre, villages[0]))
        .await
        .unwrap();
    let app = app(&db);
    for client in ["10.0.0.1", "10.0.0.1", "10.0.0.2"] {
        let refused =
            uplift_app::access::login(&app, "cadre", "wrong-password", Some(client)).await;
        assert!(matches!(
            refused,
            Err(uplift_app::access::AccessFailure::BadCredentials)
        ));
    }
    let since = t("2026-11-25T11:00:00+08:00");
    assert_eq!(
        db.failed_logins_since("cadre", Some("10.0.0.1"), since)
            .await
            .unwrap(),
        (3, 2)
    );
    assert_eq!(
        db.failed_logins_since("cadre", None, since).await.unwrap(),
        (3, 0)
    );
    let later = t("2026-11-25T13:00:00+08:00");
    assert_eq!(
        db.failed_logins_since("cadre", Some("10.0.0.1"), later)
            .await
            .unwrap(),
        (0, 0)
    );
}
contract!(failed_logins_are_counted_per_account_and_client);
