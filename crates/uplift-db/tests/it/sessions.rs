//! Contract: sessions through the access use cases (issue 8 §7). A session ends when idle for
//! longer than `SESSION_IDLE`, and changing a user's password ends every session of that user.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, FixedOffset};
use uplift_app::App;
use uplift_app::access::{self, AccessFailure, NewUser, Principal, SESSION_IDLE};
use uplift_app::store::{Clock, Store};
use uplift_db::Db;
use uplift_domain::access::Role;

use crate::contract;
use crate::registry::seed;
use crate::support::t;

/// A clock the test moves forward.
struct StepClock(Mutex<DateTime<FixedOffset>>);

impl Clock for StepClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.0.lock().unwrap()
    }
}

impl StepClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

async fn idle_sessions_expire_and_a_password_change_ends_every_session(db: Db) {
    let (_, villages) = seed(&db).await;
    let clock = Arc::new(StepClock(Mutex::new(t("2026-11-25T09:00:00+08:00"))));
    let app = App::new(
        db.store(),
        clock.clone(),
        uplift_app::policy::shipped().unwrap(),
    );
    let admin = Principal::machine("contract");
    access::add_user(
        &app,
        &admin,
        NewUser {
            username: "cadre".into(),
            display_name: "村干部".into(),
            role: Role::VillageCadre,
            region: villages[0],
            department: None,
            password: "first-pass-1".into(),
        },
    )
    .await
    .unwrap();

    // Two sessions (two devices); use keeps a session alive, idleness ends it.
    let phone = access::login(&app, "cadre", "first-pass-1", Some("10.0.0.1"))
        .await
        .unwrap();
    let desk = access::login(&app, "cadre", "first-pass-1", Some("10.0.0.2"))
        .await
        .unwrap();
    clock.advance(SESSION_IDLE - Duration::minutes(1));
    assert!(access::session(&app, &phone.token).await.unwrap().is_some());
    clock.advance(Duration::minutes(2));
    // The desk session was last used SESSION_IDLE + 1 minute ago: ended.
    assert!(access::session(&app, &desk.token).await.unwrap().is_none());
    let (who, csrf) = access::session(&app, &phone.token).await.unwrap().unwrap();
    assert_eq!(
        (who.name.as_str(), csrf),
        ("cadre", phone.csrf_token.clone())
    );

    // A password change ends every session of the user, the live one too.
    let other = access::login(&app, "cadre", "first-pass-1", Some("10.0.0.3"))
        .await
        .unwrap();
    access::set_password(&app, &admin, "cadre", "second-pass-2")
        .await
        .unwrap();
    for ticket in [&phone, &other] {
        assert!(
            access::session(&app, &ticket.token)
                .await
                .unwrap()
                .is_none()
        );
    }
    // The old password is refused, the new one opens a session; the change is audited.
    let old = access::login(&app, "cadre", "first-pass-1", None).await;
    assert!(matches!(old, Err(AccessFailure::BadCredentials)), "{old:?}");
    let new = access::login(&app, "cadre", "second-pass-2", None)
        .await
        .unwrap();
    assert!(access::session(&app, &new.token).await.unwrap().is_some());
    let chain = db.audit_chain().await.unwrap();
    assert!(
        chain
            .iter()
            .any(|e| e.event.action == "user_passwd" && e.event.target == "user:cadre")
    );
}
contract!(idle_sessions_expire_and_a_password_change_ends_every_session);
