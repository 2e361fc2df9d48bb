//! Mass assignment: every JSON body, sent with extra fields naming what the caller must not set
//! (`id`, `household_id`, `region`, `state`, `stage`, `created_by`, `actor`, `version`, `role`,
//! …). Each route either ignores them or refuses the body with 422 — which one is declared
//! below per route — and nothing they name changes.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use uplift_domain::access::Role;

use crate::support::{Answer, HARBIN_VILLAGE, TestApp};

/// What a route does with fields it does not know.
#[derive(Debug, PartialEq, Eq)]
enum Unknown {
    Ignored,
}

/// Every route taking a JSON body, and how it treats unknown fields.
const ROUTES: &[(&str, Unknown)] = &[
    ("POST /api/v1/session", Unknown::Ignored),
    ("POST /api/v1/households/{id}/unmask", Unknown::Ignored),
    ("POST /api/v1/households/{id}/changes", Unknown::Ignored),
    ("POST /api/v1/households/{id}/cases", Unknown::Ignored),
    ("POST /api/v1/cases/{id}/actions", Unknown::Ignored),
    ("POST /api/v1/households/{id}/elimination", Unknown::Ignored),
    ("POST /api/v1/households/{id}/measures", Unknown::Ignored),
    ("POST /api/v1/households/{id}/visits", Unknown::Ignored),
    ("POST /api/v1/screening-runs", Unknown::Ignored),
];

/// The extra fields, pointing at the Harbin household and case outside every test scope.
fn extras(app: &TestApp) -> Value {
    json!({
        "id": app.harbin.0, "household_id": app.harbin.0, "case_id": app.case_out,
        "person_id": 1, "region": HARBIN_VILLAGE, "village_code": HARBIN_VILLAGE,
        "state": "closed", "stage": "eliminated", "status": "died",
        "created_by": "mallory", "recorded_by": "mallory", "actor": "mallory",
        "role": "county_admin", "is_admin": true, "scope": "everything",
        "recorded_at": "2000-01-01T00:00:00+08:00", "created_at": "2000-01-01",
    })
}

/// `body` with every extra it does not already name; `version` too unless `keep_version`.
fn with_extras(app: &TestApp, body: &Value, keep_version: bool) -> Value {
    let mut out = body.clone();
    for (k, v) in extras(app).as_object().unwrap() {
        if out.get(k).is_none() {
            out[k] = v.clone();
        }
    }
    if !keep_version && out.get("version").is_none() {
        out["version"] = json!(999);
    }
    out
}

async fn post_as(app: &TestApp, role: Role, uri: &str, body: &Value) -> Answer {
    let login = app.login(role);
    app.send(
        Request::post(uri)
            .header(header::COOKIE, &login.cookie)
            .header("x-csrf-token", &login.csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

fn expect(route: &str, answer: &Answer, ok: StatusCode) {
    let declared = ROUTES
        .iter()
        .find(|(r, _)| *r == route)
        .unwrap_or_else(|| panic!("{route} has no row in ROUTES"));
    match declared.1 {
        Unknown::Ignored => assert_eq!(answer.status, ok, "{route}: {}", answer.body),
    }
}

#[tokio::test]
async fn extra_json_fields_change_nothing_they_name() {
    let mut app = TestApp::spawn().await;
    let h = app.changtang.0;
    let harbin_before = app
        .get_as(
            Role::ProvinceViewer,
            &format!("/api/v1/households/{}", app.harbin.0),
        )
        .await;

    // Login: the role, region and scope come from the user record.
    let route = "POST /api/v1/session";
    let body = with_extras(
        &app,
        &json!({"username": "township", "password": crate::support::PASSWORD}),
        false,
    );
    let username = crate::support::role_user(Role::TownshipReviewer);
    let mut body = body;
    body["username"] = json!(username);
    let a = app
        .send(
            Request::post("/api/v1/session")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    expect(route, &a, StatusCode::OK);
    let session = a.json();
    assert_eq!(
        session["role"]["code"],
        json!("township_reviewer"),
        "{session}"
    );
    assert_eq!(
        session["region_code"],
        json!(format!("{:0<12}", crate::support::RESHUI))
    );

    // Unmask: the household is the one in the path, the reason the one given.
    let route = "POST /api/v1/households/{id}/unmask";
    let a = post_as(
        &app,
        Role::CountyOfficer,
        &format!("/api/v1/households/{h}/unmask"),
        &with_extras(&app, &json!({"reason": "核实身份信息"}), false),
    )
    .await;
    expect(route, &a, StatusCode::OK);
    assert!(a.body.contains(&app.head_id_number), "{}", a.body);

    // A typed change: the household, its region, version and actor stay what the server says.
    let route = "POST /api/v1/households/{id}/changes";
    let before = app
        .get_as(Role::CountyOfficer, &format!("/api/v1/households/{h}"))
        .await
        .json();
    let v = before["version"].as_i64().unwrap();
    let change = json!({"expected_version": v, "reason": "更正家庭住址",
        "kind": "edit_household", "address": "长塘村新街 1 号"});
    let a = post_as(
        &app,
        Role::CountyOfficer,
        &format!("/api/v1/households/{h}/changes"),
        &with_extras(&app, &change, false),
    )
    .await;
    expect(route, &a, StatusCode::OK);
    let after = app
        .get_as(Role::CountyOfficer, &format!("/api/v1/households/{h}"))
        .await
        .json();
    assert_eq!(after["address"], json!("长塘村新街 1 号"));
    assert_eq!(after["region_code"], before["region_code"]);
    assert_eq!(after["household_no"], before["household_no"]);
    assert_ne!(after["version"], json!(999));
    assert!(after["version"].as_i64().unwrap() > v);
    assert_eq!(
        after["members"].as_array().unwrap().len(),
        before["members"].as_array().unwrap().len()
    );
    let history = app
        .get_as(
            Role::CountyOfficer,
            &format!("/api/v1/households/{h}/history"),
        )
        .await;
    assert!(!history.body.contains("mallory"), "{}", history.body);
    assert!(!history.body.contains("2000-01-01"), "{}", history.body);

    // A new case: opened on the path's household, at the first stage, version 1.
    let route = "POST /api/v1/households/{id}/cases";
    let s = app.shuilong.0;
    let clue = json!({"channel": "cadre_visit", "clue_date": "2026-11-25",
        "summary": "意外事故致重伤", "risk_hint": "05", "green_channel": true});
    let a = post_as(
        &app,
        Role::CountyOfficer,
        &format!("/api/v1/households/{s}/cases"),
        &with_extras(&app, &clue, false),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let case_id = a.json()["id"].as_i64().unwrap();
    let case = app
        .get_as(Role::CountyOfficer, &format!("/api/v1/cases/{case_id}"))
        .await
        .json();
    assert_ne!(case_id, app.case_out);
    assert_eq!(case["household_id"], json!(s));
    assert_eq!(case["version"], json!(1), "{case}");
    assert!(case["region_code"].as_str().unwrap().starts_with("431026"));
    assert_ne!(case["stage"]["code"], json!("eliminated"));
    assert_eq!(case["steps"].as_array().map(Vec::len), Some(1), "{case}");
    let out_before = app
        .get_as(
            Role::ProvinceViewer,
            &format!("/api/v1/cases/{}", app.case_out),
        )
        .await;

    // A case step: on the path's case only, taking the step the command names.
    let route = "POST /api/v1/cases/{id}/actions";
    let case_in = app.case_in;
    let v = app
        .get_as(Role::CountyOfficer, &format!("/api/v1/cases/{case_in}"))
        .await
        .json()["version"]
        .as_i64()
        .unwrap();
    let a = post_as(
        &app,
        Role::VillageCadre,
        &format!("/api/v1/cases/{case_in}/actions"),
        &with_extras(
            &app,
            &json!({"command": "reject", "version": v, "reason": "重复线索"}),
            true,
        ),
    )
    .await;
    expect(route, &a, StatusCode::OK);
    assert_eq!(a.json()["id"], json!(case_in));
    assert_eq!(a.json()["stage"]["code"], json!("rejected"), "{}", a.body);
    let out_after = app
        .get_as(
            Role::ProvinceViewer,
            &format!("/api/v1/cases/{}", app.case_out),
        )
        .await;
    assert_eq!(out_before.body, out_after.body);

    // Elimination: the same answer with and without extras (the household is not eligible).
    let route = "POST /api/v1/households/{id}/elimination";
    let summary = json!({"summary": "务工收入稳定，风险已消除"});
    let uri = format!("/api/v1/households/{h}/elimination");
    let clean = post_as(&app, Role::VillageCadre, &uri, &summary).await;
    let extra = post_as(
        &app,
        Role::VillageCadre,
        &uri,
        &with_extras(&app, &summary, false),
    )
    .await;
    expect(route, &extra, clean.status);
    assert_eq!(clean.body, extra.body);

    // A measure and a visit: recorded on the path's household, by the caller.
    app.set_today("2026-11-25").await;
    let route = "POST /api/v1/households/{id}/measures";
    let measure = json!({"category": "industry", "name": "产业奖补：养殖黄牛 2 头",
        "start": "2026-11-25", "amount": "3000", "funding": "assistance_funds"});
    let uri = format!("/api/v1/households/{s}/measures");
    let a = post_as(
        &app,
        Role::CountyOfficer,
        &uri,
        &with_extras(&app, &measure, false),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let listed = app.get_as(Role::CountyOfficer, &uri).await.json();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_ne!(items[0]["id"], json!(app.harbin.0));
    assert_eq!(
        items[0]["recorded_by"],
        json!(crate::support::role_user(Role::CountyOfficer))
    );

    let route = "POST /api/v1/households/{id}/visits";
    let visit = json!({"date": "2026-11-25", "visitor": "帮扶人 陈", "findings": "务工收入稳定"});
    let uri = format!("/api/v1/households/{s}/visits");
    let a = post_as(
        &app,
        Role::CountyOfficer,
        &uri,
        &with_extras(&app, &visit, false),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let listed = app.get_as(Role::CountyOfficer, &uri).await;
    assert!(listed.body.contains("帮扶人 陈"), "{}", listed.body);
    assert!(!listed.body.contains("mallory"), "{}", listed.body);

    // A screening run: extras change neither the mode nor the date.
    let route = "POST /api/v1/screening-runs";
    let a = post_as(
        &app,
        Role::CountyOfficer,
        "/api/v1/screening-runs",
        &with_extras(&app, &json!({"as_of": "2026-11-25"}), false),
    )
    .await;
    expect(route, &a, StatusCode::OK);
    assert_eq!(a.json()["as_of"], json!("2026-11-25"));
    assert_eq!(a.json()["mode"], json!("batch"), "{}", a.body);

    // The household outside every scope is untouched.
    let harbin_after = app
        .get_as(
            Role::ProvinceViewer,
            &format!("/api/v1/households/{}", app.harbin.0),
        )
        .await;
    assert_eq!(harbin_before.body, harbin_after.body);
}

#[test]
fn every_json_route_of_the_openapi_document_has_a_row() {
    let doc = uplift_web::openapi_json();
    let doc: Value = serde_json::from_str(&doc).unwrap();
    let mut json_routes = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if op["requestBody"]["content"]
                .get("application/json")
                .is_some()
            {
                json_routes.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    json_routes.sort();
    let mut declared: Vec<String> = ROUTES.iter().map(|(r, _)| (*r).to_owned()).collect();
    declared.sort();
    assert_eq!(json_routes, declared);
}
