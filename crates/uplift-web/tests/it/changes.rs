//! Typed household changes over HTTP: every kind through the JSON API, the version guard (409,
//! nothing written), scope and role refusals, CSRF, and the forms of the household page.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use serde_json::{Value, json};
use uplift_domain::access::Role;
use uplift_domain::resident_id::{ResidentId, Sex};

use crate::support::{Answer, TestApp, assert_envelope};

async fn post_change(app: &TestApp, role: Role, id: i64, body: Value, csrf: bool) -> Answer {
    let login = app.login(role).clone();
    let mut req = Request::post(format!("/api/v1/households/{id}/changes"))
        .header(header::COOKIE, &login.cookie)
        .header(header::CONTENT_TYPE, "application/json");
    if csrf {
        req = req.header("x-csrf-token", &login.csrf);
    }
    app.send(req.body(Body::from(body.to_string())).unwrap())
        .await
}

async fn post_form(app: &TestApp, role: Role, id: i64, fields: &[(&str, &str)]) -> Answer {
    let login = app.login(role).clone();
    let mut pairs: Vec<(String, String)> = vec![("csrf".into(), login.csrf.clone())];
    pairs.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let body: String = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    app.send(
        Request::post(format!("/households/{id}/changes"))
            .header(header::COOKIE, &login.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn household(app: &TestApp, id: i64) -> Value {
    let answer = app
        .get_as(Role::CountyAdmin, &format!("/api/v1/households/{id}"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

fn version(h: &Value) -> i64 {
    h["version"].as_i64().expect("a version")
}

fn member_id(h: &Value, name: &str) -> i64 {
    h["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {h}"))["id"]
        .as_i64()
        .unwrap()
}

fn active(h: &Value) -> Vec<(String, String)> {
    h["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"]["code"] == "active")
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_owned(),
                m["relation"]["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn newborn_id() -> String {
    let born = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    ResidentId::compose("431026", born, 55, Sex::Female)
        .as_str()
        .to_owned()
}

#[tokio::test]
async fn every_change_goes_through_the_api_with_a_growing_version() {
    let app = TestApp::spawn().await;
    let id = app.changtang.0;
    let cadre = Role::VillageCadre;

    // Birth.
    let h = household(&app, id).await;
    let v0 = version(&h);
    let born = newborn_id();
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "add_member", "joining": "birth", "name": "张小花", "id_number": born,
               "relation": "granddaughter", "expected_version": v0, "valid_from": "2026-10-01",
               "reason": "新生儿落户"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let v1 = answer.json()["version"].as_i64().unwrap();
    assert!(v1 > v0);
    assert_eq!(answer.json()["new_persons"].as_array().unwrap().len(), 1);
    let h = household(&app, id).await;
    assert_eq!(version(&h), v1);
    assert!(active(&h).contains(&("张小花".into(), "granddaughter".into())));

    // Edit a member's health.
    let spouse = member_id(&h, "李四");
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "edit_member", "person": spouse, "health": "chronic_illness",
               "expected_version": v1, "reason": "入户核实"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let v2 = answer.json()["version"].as_i64().unwrap();
    let h = household(&app, id).await;
    let spouse_view = h["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "李四")
        .unwrap()
        .clone();
    assert_eq!(spouse_view["health"]["code"], "chronic_illness");

    // Record an income period, then correct it.
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "record_income", "period_start": "2026-01-01", "period_end": "2026-06-30",
               "wage": "4200.50", "transfer": "800", "expected_version": v2, "reason": "半年收入采集"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let v3 = answer.json()["version"].as_i64().unwrap();
    let h = household(&app, id).await;
    let income = h["incomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["period_start"] == "2026-01-01")
        .unwrap()
        .clone();
    assert_eq!(income["wage"], "4200.50");
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "record_income", "income": income["id"], "period_start": "2026-01-01",
               "period_end": "2026-06-30", "wage": "4300", "transfer": "800",
               "expected_version": v3, "reason": "更正工资"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let v4 = answer.json()["version"].as_i64().unwrap();

    // Change the head: the spouse becomes head, the former head takes `spouse`.
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "change_head", "head": spouse, "former_head_relation": "spouse",
               "expected_version": v4, "reason": "户主外出务工"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let v5 = answer.json()["version"].as_i64().unwrap();
    let h = household(&app, id).await;
    let heads: Vec<_> = active(&h)
        .into_iter()
        .filter(|(_, r)| r == "head")
        .collect();
    assert_eq!(heads, vec![("李四".to_owned(), "head".to_owned())]);

    // A second head is refused, naming the one-head rule, and nothing is written.
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "edit_member", "person": member_id(&h, "张三"), "relation": "head",
               "expected_version": v5, "reason": "错误示范"}),
        true,
    )
    .await;
    let error = assert_envelope(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        error["detail"].as_str().unwrap().contains("head"),
        "{error}"
    );
    assert_eq!(version(&household(&app, id).await), v5);

    // Edit the household's address.
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "edit_household", "address": "长塘村5组", "expected_version": v5,
               "reason": "门牌调整"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let v6 = answer.json()["version"].as_i64().unwrap();
    assert_eq!(household(&app, id).await["address"], "长塘村5组");

    // Split: the newborn leaves with the former head as head of a new household.
    let h = household(&app, id).await;
    let former_head = member_id(&h, "张三");
    let baby = member_id(&h, "张小花");
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "split", "members": [former_head, baby], "head": former_head,
               "household_no": "431026102202-0099", "household_type": "ordinary",
               "region_code": "431026102202", "expected_version": v6, "reason": "分户"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let v7 = answer.json()["version"].as_i64().unwrap();
    let new_id = answer.json()["new_households"][0].as_i64().unwrap();
    let split = household(&app, new_id).await;
    assert_eq!(split["household_no"], "431026102202-0099");
    assert!(active(&split).contains(&("张三".into(), "head".into())));
    assert_eq!(active(&household(&app, id).await).len(), 1);

    // Transfer the baby back by household number.
    let answer = post_change(
        &app,
        cadre,
        new_id,
        json!({"kind": "transfer_member", "person": baby, "to_household_no": "431026102202-0001",
               "relation": "granddaughter", "expected_version": version(&split),
               "reason": "随母落户"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let h = household(&app, id).await;
    assert!(
        version(&h) > v7,
        "the receiving household's version grows too"
    );
    assert!(active(&h).contains(&("张小花".into(), "granddaughter".into())));

    // Merge the split household back.
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "merge", "from_household_no": "431026102202-0099",
               "expected_version": version(&h), "reason": "并户"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let h = household(&app, id).await;
    assert!(active(&h).contains(&("张三".into(), "other".into())));
    assert!(active(&household(&app, new_id).await).is_empty());

    // A death: recorded with its status, never deleted.
    let answer = post_change(
        &app,
        cadre,
        id,
        json!({"kind": "remove_member", "person": former_head, "status": "died",
               "expected_version": version(&h), "reason": "病故"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let h = household(&app, id).await;
    let gone = h["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "张三")
        .unwrap()
        .clone();
    assert_eq!(gone["status"]["code"], "died");

    // Every change is in the history with its reason and channel.
    let history = app
        .get_as(
            Role::CountyAdmin,
            &format!("/api/v1/households/{id}/history"),
        )
        .await
        .json();
    let items = history["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|e| e["source"] == "api:remove_member" && e["reason"] == "病故")
    );
    assert!(items.iter().any(|e| e["source"] == "api:add_member"));
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let id = app.changtang.0;
    let h = household(&app, id).await;
    let loaded = version(&h);
    let spouse = member_id(&h, "李四");
    // The first user saves.
    let answer = post_change(
        &app,
        Role::VillageCadre,
        id,
        json!({"kind": "edit_member", "person": spouse, "phone": "13900001111",
               "expected_version": loaded, "reason": "更新电话"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let after_first = household(&app, id).await;
    // The second user, who loaded the same version, gets 409 and nothing is written.
    let answer = post_change(
        &app,
        Role::TownshipReviewer,
        id,
        json!({"kind": "edit_member", "person": spouse, "health": "disabled",
               "disability_grade": "2", "expected_version": loaded, "reason": "残疾认定"}),
        true,
    )
    .await;
    let error = assert_envelope(&answer, StatusCode::CONFLICT, "conflict");
    let detail = error["detail"].as_str().unwrap();
    assert!(
        detail.contains("someone else changed this household") && detail.contains("reload"),
        "{detail}"
    );
    let now = household(&app, id).await;
    assert_eq!(version(&now), version(&after_first));
    assert_eq!(now["members"], after_first["members"]);

    // The same through the form: a 409 page that says so and offers a reload.
    let v = loaded.to_string();
    let spouse = spouse.to_string();
    let page = post_form(
        &app,
        Role::TownshipReviewer,
        id,
        &[
            ("kind", "edit_member"),
            ("expected_version", &v),
            ("person", &spouse),
            ("health", "chronic_illness"),
            ("reason", "入户核实"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(page.body.contains("其他用户已修改此户"), "{}", page.body);
    assert_eq!(version(&household(&app, id).await), version(&after_first));
}

#[tokio::test]
async fn scope_role_and_csrf_are_checked_before_anything_is_written() {
    let app = TestApp::spawn().await;
    let shuilong = household(&app, app.shuilong.0).await;
    let body = json!({"kind": "edit_household", "address": "改", "expected_version": version(&shuilong),
                      "reason": "越权尝试"});
    // 长塘村's cadre may not touch 水龙村.
    let answer = post_change(&app, Role::VillageCadre, app.shuilong.0, body.clone(), true).await;
    assert_envelope(&answer, StatusCode::NOT_FOUND, "not_found");
    // Helpers and viewers may not edit at all.
    for role in [Role::Helper, Role::CityViewer, Role::Auditor] {
        let answer = post_change(&app, role, app.shuilong.0, body.clone(), true).await;
        assert_envelope(&answer, StatusCode::FORBIDDEN, "forbidden");
    }
    // Without the CSRF token, even the county admin is refused.
    let answer = post_change(&app, Role::CountyAdmin, app.shuilong.0, body.clone(), false).await;
    assert_envelope(&answer, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        household(&app, app.shuilong.0).await["address"],
        shuilong["address"]
    );
    // The township reviewer, whose scope holds 水龙村, may.
    let answer = post_change(&app, Role::TownshipReviewer, app.shuilong.0, body, true).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(household(&app, app.shuilong.0).await["address"], "改");
}

#[tokio::test]
async fn wrong_fields_are_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let id = app.changtang.0;
    let v = version(&household(&app, id).await);
    let answer = post_change(
        &app,
        Role::VillageCadre,
        id,
        json!({"kind": "add_member", "name": "", "id_number": "43102619900230001X",
               "relation": "cousin", "expected_version": v, "reason": "x"}),
        true,
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let errors = answer.json()["errors"].as_array().unwrap().clone();
    let fields: Vec<&str> = errors
        .iter()
        .filter_map(|e| e["parameter"].as_str())
        .collect();
    for f in ["reason", "name", "id_number", "relation"] {
        assert!(fields.contains(&f), "{f} in {errors:?}");
    }
    let relation = errors
        .iter()
        .find(|e| e["parameter"] == "relation")
        .unwrap();
    assert!(relation["detail"].as_str().unwrap().contains("spouse"));
    assert_eq!(version(&household(&app, id).await), v);
}

#[tokio::test]
async fn the_household_page_offers_forms_and_shows_problems_beside_fields() {
    let app = TestApp::spawn().await;
    let id = app.changtang.0;
    let page = app
        .get_as(Role::VillageCadre, &format!("/households/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let v = version(&household(&app, id).await).to_string();
    for needle in [
        "登记变更",
        "增员（出生、婚入、其他）",
        "减员（死亡、婚出、迁出）",
        "分户",
        "并户",
        "更换户主",
        "登记或更正收入",
        &format!("name=\"expected_version\" value=\"{v}\""),
        "每户有且只有一名户主",
        "required minlength=\"2\" maxlength=\"200\"",
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    let en = app
        .get_as(Role::VillageCadre, &format!("/households/{id}?lang=en"))
        .await;
    assert!(
        en.body
            .contains("Remove a member (death, marriage out, moved out)")
    );
    // Viewers get no forms.
    let viewer = app
        .get_as(Role::CityViewer, &format!("/households/{id}"))
        .await;
    assert_eq!(viewer.status, StatusCode::OK);
    assert!(!viewer.body.contains("登记变更"));

    // A form without a reason comes back open with the problem beside the field, values kept.
    let page = post_form(
        &app,
        Role::VillageCadre,
        id,
        &[
            ("kind", "record_income"),
            ("expected_version", &v),
            ("period_start", "2026-01-01"),
            ("period_end", "2026-02-30"),
            ("wage", "1200"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<details open id=\"change-record_income\">")
    );
    assert!(page.body.contains("变更原因必填"), "{}", page.body);
    assert!(page.body.contains("is not a date (YYYY-MM-DD)"));
    assert!(page.body.contains("value=\"1200\""));
    assert_eq!(version(&household(&app, id).await).to_string(), v);

    // A valid form records the change and goes back to the household.
    let page = post_form(
        &app,
        Role::VillageCadre,
        id,
        &[
            ("kind", "record_income"),
            ("expected_version", &v),
            ("period_start", "2026-01-01"),
            ("period_end", "2026-03-31"),
            ("wage", "1200"),
            ("reason", "季度收入"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(version(&household(&app, id).await).to_string() != v);
    let history = app
        .get_as(
            Role::CountyAdmin,
            &format!("/api/v1/households/{id}/history"),
        )
        .await
        .json();
    assert!(
        history["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["source"] == "web:record_income" && e["reason"] == "季度收入")
    );
}

#[tokio::test]
async fn a_change_dated_before_a_later_version_is_refused_naming_its_date() {
    let app = TestApp::spawn().await;
    let id = app.changtang.0;
    let h = household(&app, id).await;
    let spouse = member_id(&h, "李四");
    let answer = post_change(
        &app,
        Role::VillageCadre,
        id,
        json!({"kind": "edit_member", "person": spouse, "phone": "13900001111",
               "valid_from": "2027-01-01", "expected_version": version(&h),
               "reason": "预约变更"}),
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let after = household(&app, id).await;
    // Through the API: 409, naming the later version's date; nothing written.
    let answer = post_change(
        &app,
        Role::VillageCadre,
        id,
        json!({"kind": "edit_member", "person": spouse, "phone": "13900002222",
               "valid_from": "2026-12-01", "expected_version": version(&after),
               "reason": "补录变更"}),
        true,
    )
    .await;
    let error = assert_envelope(&answer, StatusCode::CONFLICT, "conflict");
    let detail = error["detail"].as_str().unwrap();
    assert!(
        detail.contains("2027-01-01") && detail.contains("2026-12-01"),
        "{detail}"
    );
    assert_eq!(version(&household(&app, id).await), version(&after));
    // Through the form: a 409 page with the message beside the effective date.
    let v = version(&after).to_string();
    let spouse = spouse.to_string();
    let page = post_form(
        &app,
        Role::VillageCadre,
        id,
        &[
            ("kind", "edit_member"),
            ("expected_version", &v),
            ("person", &spouse),
            ("phone", "13900003333"),
            ("valid_from", "2026-11-30"),
            ("reason", "补录变更"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(page.body.contains("2027-01-01"), "{}", page.body);
    assert!(page.body.contains("生效日期"), "{}", page.body);
    assert_eq!(version(&household(&app, id).await), version(&after));
}
