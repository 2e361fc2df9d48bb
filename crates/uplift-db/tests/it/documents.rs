//! Contract: what the printable documents read besides the registry and the cases.

use uplift_app::access::User;
use uplift_app::documents::DocumentStore;
use uplift_app::store::{Store, UserId};
use uplift_db::Db;
use uplift_domain::access::Role;
use uplift_domain::region::RegionCode;

use crate::contract;
use crate::registry::seed;
use crate::support::{id_numbers_in, t};

fn helper(name: &str, display: &str) -> User {
    User {
        id: UserId(0),
        username: name.into(),
        display_name: display.into(),
        role: Role::Helper,
        region: RegionCode::parse("431026").unwrap(),
        department: None,
        password_hash: "$argon2id$placeholder".into(),
        disabled: false,
    }
}

async fn a_households_helpers_are_its_assigned_active_helpers(db: Db) {
    let (ids, _) = seed(&db).await;
    assert!(db.household_helpers(ids[0]).await.unwrap().is_empty());
    let a = db.create_user(&helper("h_a", "赵帮扶")).await.unwrap();
    let b = db.create_user(&helper("h_b", "钱帮扶")).await.unwrap();
    let c = db.create_user(&helper("h_c", "孙帮扶")).await.unwrap();
    let at = t("2026-01-01T00:00:00+08:00");
    db.assign_helper(a, ids[0], at, "admin").await.unwrap();
    db.assign_helper(b, ids[0], at, "admin").await.unwrap();
    db.assign_helper(c, ids[1], at, "admin").await.unwrap();
    let mut got = db.household_helpers(ids[0]).await.unwrap();
    got.sort();
    let mut want = vec!["赵帮扶".to_owned(), "钱帮扶".to_owned()];
    want.sort();
    assert_eq!(got, want);
    db.set_user_disabled(b, true).await.unwrap();
    assert_eq!(db.household_helpers(ids[0]).await.unwrap(), ["赵帮扶"]);
}
contract!(a_households_helpers_are_its_assigned_active_helpers);

#[test]
fn id_numbers_are_found_across_line_breaks() {
    assert_eq!(
        id_numbers_in("身份证 4310261980\n0101123X 号；电话 13800001111；户编号 4310260010010001"),
        ["43102619800101123X"]
    );
    assert_eq!(id_numbers_in("431026198001011234"), ["431026198001011234"]);
    // 19 digits in a row are not an ID number.
    assert!(id_numbers_in("4310261980010112345").is_empty());
    assert!(id_numbers_in("张桂芳 新民村 2026-03-05").is_empty());
}
