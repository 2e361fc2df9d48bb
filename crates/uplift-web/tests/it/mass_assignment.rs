//! Mass assignment: every JSON body, sent with extra fields naming what the caller must not set
//! (`id`, `household_id`, `region`, `state`, `stage`, `created_by`, `actor`, `version`, `role`,
//! …). Each route either ignores them or refuses the body with 422 — which one is declared
//! below per route — and nothing they name changes.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use uplift_domain::access::Role;

use crate::support::{Answer, CHANGTANG, HARBIN_VILLAGE, RESHUI, SHUILONG, TestApp};

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
    ("POST /api/v1/projects", Unknown::Ignored),
    ("POST /api/v1/projects/{id}/actions", Unknown::Ignored),
    ("POST /api/v1/fund-plans", Unknown::Ignored),
    ("POST /api/v1/allocations", Unknown::Ignored),
    ("POST /api/v1/projects/{id}/assets", Unknown::Ignored),
    ("POST /api/v1/projects/{id}/asset-events", Unknown::Ignored),
    ("POST /api/v1/problems", Unknown::Ignored),
    ("POST /api/v1/problems/{id}/actions", Unknown::Ignored),
    ("POST /api/v1/tasks", Unknown::Ignored),
    ("POST /api/v1/tasks/{id}/completions", Unknown::Ignored),
    ("POST /api/v1/responsibility", Unknown::Ignored),
    ("POST /api/v1/campaigns", Unknown::Ignored),
    ("POST /api/v1/campaigns/{id}/visits", Unknown::Ignored),
    (
        "POST /api/v1/villages/{region}/indicators",
        Unknown::Ignored,
    ),
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

/// A region code as the API writes it: twelve digits.
fn full(code: &str) -> String {
    format!("{code:0<12}")
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

#[tokio::test]
async fn extra_json_fields_change_nothing_they_name_in_projects_and_funds() {
    let mut app = TestApp::spawn().await;
    app.set_today("2026-11-25").await;
    let officer = Role::CountyOfficer;
    let solar = app.project_in;
    let plan = app.plan_in;
    let out_before = app
        .get_as(
            Role::ProvinceViewer,
            &format!("/api/v1/projects/{}", app.project_out),
        )
        .await;

    // A proposal: proposed in the body's region, by the caller, at the first status.
    let route = "POST /api/v1/projects";
    let proposal = json!({
        "name": "通组公路", "kind": "infrastructure", "proposer": "township",
        "region_code": RESHUI, "year": 2026, "operator": "government",
        "budget": [{"level": "county", "amount_yuan": "100000"}],
        "beneficiary_households": 40, "uses": ["infrastructure"]
    });
    let clean = post_as(&app, Role::TownshipReviewer, "/api/v1/projects", &proposal).await;
    assert_eq!(clean.status, StatusCode::CREATED, "{}", clean.body);
    let a = post_as(
        &app,
        Role::TownshipReviewer,
        "/api/v1/projects",
        &with_extras(&app, &proposal, false),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let road = a.json()["id"].as_i64().unwrap();
    let got = app
        .get_as(officer, &format!("/api/v1/projects/{road}"))
        .await
        .json();
    let control = clean.json();
    assert_eq!(got["region_code"], json!(full(RESHUI)), "{got}");
    assert_eq!(got["status"], control["status"], "{got}");
    assert_eq!(
        got["steps"].as_array().map(Vec::len),
        control["steps"].as_array().map(Vec::len)
    );
    assert!(!got.to_string().contains("mallory"), "{got}");

    // A step: on the path's project, the step the command names.
    let route = "POST /api/v1/projects/{id}/actions";
    let a = post_as(
        &app,
        Role::TownshipReviewer,
        &format!("/api/v1/projects/{solar}/actions"),
        &with_extras(
            &app,
            &json!({"command": "review", "opinion": "同意"}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::OK);
    assert_eq!(a.json()["id"], json!(solar));
    assert_eq!(a.json()["status"]["code"], json!("reviewed"), "{}", a.body);
    assert_eq!(a.json()["region_code"], json!(CHANGTANG), "{}", a.body);
    assert!(!a.body.contains("mallory"), "{}", a.body);
    let a = post_as(
        &app,
        officer,
        &format!("/api/v1/projects/{solar}/actions"),
        &json!({"command": "decide", "opinion": "同意入库"}),
    )
    .await;
    assert_eq!(a.json()["status"]["code"], json!("approved"), "{}", a.body);

    // A fund plan: for the body's county, not the extras' region.
    let route = "POST /api/v1/fund-plans";
    let a = post_as(
        &app,
        officer,
        "/api/v1/fund-plans",
        &with_extras(
            &app,
            &json!({"county_code": "431026", "year": 2026, "level": "county",
                    "name": "县级衔接资金", "document": "2026-2", "amount_yuan": "200000"}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let new_plan = a.json()["id"].as_i64().unwrap();
    let year = app
        .get_as(officer, "/api/v1/fund-plans?region=431026&year=2026")
        .await
        .json();
    let listed = year["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == json!(new_plan))
        .unwrap_or_else(|| panic!("{year}"));
    assert_eq!(listed["county_code"], json!(full("431026")));
    assert_eq!(listed["allocated_yuan"], json!("0.00"));

    // An allocation: the lines it names, nothing else.
    let route = "POST /api/v1/allocations";
    let a = post_as(
        &app,
        officer,
        "/api/v1/allocations",
        &with_extras(
            &app,
            &json!({"lines": [{"project_id": solar, "plan_id": plan, "amount_yuan": "10000"}]}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::OK);
    let p = app
        .get_as(officer, &format!("/api/v1/projects/{solar}"))
        .await
        .json();
    assert_eq!(p["allocated_yuan"], json!("10000.00"), "{p}");
    assert_eq!(p["status"]["code"], json!("in_plan"), "{p}");
    let road_after = app
        .get_as(officer, &format!("/api/v1/projects/{road}"))
        .await
        .json();
    assert_eq!(road_after["allocated_yuan"], json!("0.00"), "{road_after}");

    // Started and accepted, the project registers an asset and its income.
    for step in [
        json!({"command": "start", "on": "2026-03-01"}),
        json!({"command": "accept", "on": "2026-11-20", "opinion": "验收合格"}),
    ] {
        let a = post_as(
            &app,
            officer,
            &format!("/api/v1/projects/{solar}/actions"),
            &step,
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{step}: {}", a.body);
    }
    let route = "POST /api/v1/projects/{id}/assets";
    let a = post_as(
        &app,
        officer,
        &format!("/api/v1/projects/{solar}/assets"),
        &with_extras(
            &app,
            &json!({"name": "村集体光伏电站", "class": "operating", "owner": "长塘村村集体",
                    "manager": "长塘村村委会", "value_yuan": "10000",
                    "registered_on": "2026-11-20"}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let asset = a.json();
    let asset_id = asset["id"].as_i64().unwrap();
    assert_eq!(asset["project_id"], json!(solar), "{asset}");
    assert_eq!(asset["region_code"], json!(CHANGTANG), "{asset}");
    assert_eq!(asset["income_yuan"], json!("0.00"), "{asset}");

    let route = "POST /api/v1/projects/{id}/asset-events";
    let a = post_as(
        &app,
        officer,
        &format!("/api/v1/projects/{solar}/asset-events"),
        &with_extras(
            &app,
            &json!({"asset_id": asset_id, "kind": "income", "period": "2026",
                    "on": "2026-11-25", "amount_yuan": "1200"}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::OK);
    let assets = app.get_as(officer, "/api/v1/assets?region=431026").await;
    assert_eq!(assets.status, StatusCode::OK, "{}", assets.body);
    let assets = assets.json();
    let items = assets.as_array().unwrap();
    assert_eq!(items.len(), 1, "{assets}");
    assert_eq!(items[0]["id"], json!(asset_id));
    assert_eq!(items[0]["project_id"], json!(solar));
    assert_eq!(items[0]["region_code"], json!(CHANGTANG));
    assert_eq!(items[0]["income_yuan"], json!("1200.00"), "{assets}");
    assert!(!assets.to_string().contains("mallory"));

    // The project outside every scope is untouched.
    let out_after = app
        .get_as(
            Role::ProvinceViewer,
            &format!("/api/v1/projects/{}", app.project_out),
        )
        .await;
    assert_eq!(out_before.body, out_after.body);
}

#[tokio::test]
async fn extra_json_fields_change_nothing_they_name_in_rectification() {
    let mut app = TestApp::spawn().await;
    app.set_today("2026-11-25").await;
    let officer = Role::CountyOfficer;

    // A problem: recorded in the body's region, at the first state, like one without extras.
    let route = "POST /api/v1/problems";
    let problem = json!({"source": "assessment", "area": "work", "title": "帮扶措施不精准",
        "description": "部分监测户帮扶措施与风险类型不匹配", "found_on": "2026-11-20",
        "region": "431026", "affected_regions": [RESHUI], "fix_kind": "long_term"});
    let clean = post_as(&app, officer, "/api/v1/problems", &problem).await;
    assert_eq!(clean.status, StatusCode::CREATED, "{}", clean.body);
    let control = app
        .get_as(
            officer,
            &format!("/api/v1/problems/{}", clean.json()["id"].as_i64().unwrap()),
        )
        .await
        .json();
    let a = post_as(
        &app,
        officer,
        "/api/v1/problems",
        &with_extras(&app, &problem, false),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let id = a.json()["id"].as_i64().unwrap();
    let got = app
        .get_as(officer, &format!("/api/v1/problems/{id}"))
        .await
        .json();
    assert_eq!(got["id"], json!(id));
    assert_eq!(got["region"], json!(full("431026")), "{got}");
    assert_eq!(got["state"], control["state"], "{got}");
    assert_eq!(got["version"], control["version"], "{got}");
    assert_eq!(got["affected_regions"], json!([full(RESHUI)]), "{got}");
    assert!(!got.to_string().contains("mallory"), "{got}");

    // A step: on the path's problem, the step the command names.
    let route = "POST /api/v1/problems/{id}/actions";
    let assign = json!({"command": "assign", "assignment": {
        "responsible_region": RESHUI, "lead_unit": "热水镇党委", "responsible_units": ["民政办"],
        "responsible_person": "镇党委书记", "measures": "逐户核对帮扶措施", "deadline": "2026-12-31"}});
    let a = post_as(
        &app,
        officer,
        &format!("/api/v1/problems/{id}/actions"),
        &with_extras(&app, &assign, false),
    )
    .await;
    expect(route, &a, StatusCode::OK);
    let got = app
        .get_as(officer, &format!("/api/v1/problems/{id}"))
        .await
        .json();
    assert_eq!(got["state"], json!("assigned"), "{got}");
    assert_eq!(got["responsible_region"], json!(full(RESHUI)), "{got}");
    assert_eq!(got["region"], json!(full("431026")), "{got}");
    assert_ne!(got["version"], json!(999), "{got}");
    assert!(!got.to_string().contains("mallory"), "{got}");
    let untouched = app
        .get_as(
            officer,
            &format!("/api/v1/problems/{}", clean.json()["id"].as_i64().unwrap()),
        )
        .await
        .json();
    assert_eq!(untouched, control);

    // A task: assigned from the body's region, by the caller, on today's date.
    let route = "POST /api/v1/tasks";
    let a = post_as(
        &app,
        officer,
        "/api/v1/tasks",
        &with_extras(
            &app,
            &json!({"region": "431026", "title": "开展集中排查", "target_level": "township",
                    "deadline": "2026-12-31"}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let task = a.json()["id"].as_i64().unwrap();
    let find = |tasks: Value| {
        tasks
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == json!(task))
            .cloned()
            .unwrap_or_else(|| panic!("{tasks}"))
    };
    let t = find(app.get_as(officer, "/api/v1/tasks").await.json());
    assert_eq!(t["region"], json!(full("431026")), "{t}");
    assert_eq!(
        t["assigned_by"],
        json!(crate::support::role_user(officer)),
        "{t}"
    );
    assert_ne!(t["assigned_on"], json!("2000-01-01"), "{t}");
    let targets = t["targets"].as_array().unwrap();
    assert!(!targets.is_empty(), "{t}");
    assert!(
        targets
            .iter()
            .all(|x| x["region"].as_str().unwrap().starts_with("431026")),
        "{t}"
    );

    // A completion: of the body's target region only.
    let route = "POST /api/v1/tasks/{id}/completions";
    let a = post_as(
        &app,
        Role::TownshipReviewer,
        &format!("/api/v1/tasks/{task}/completions"),
        &with_extras(
            &app,
            &json!({"region": RESHUI, "completed_on": "2026-11-25", "note": "已完成"}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::NO_CONTENT);
    let t = find(app.get_as(officer, "/api/v1/tasks").await.json());
    for target in t["targets"].as_array().unwrap() {
        if target["region"] == json!(full(RESHUI)) {
            assert_eq!(target["completed_on"], json!("2026-11-25"), "{t}");
        } else {
            assert!(target["completed_on"].is_null(), "{t}");
        }
    }
    assert_eq!(t["region"], json!(full("431026")), "{t}");
    assert!(!t.to_string().contains("mallory"), "{t}");

    // Responsibility: named for the body's region, no other.
    let route = "POST /api/v1/responsibility";
    // The county's own node, which the extras do not name either, stays as it was.
    let other_uri = "/api/v1/responsibility?region=431026".to_owned();
    let other_before = app.get_as(officer, &other_uri).await;
    assert_eq!(other_before.status, StatusCode::OK, "{}", other_before.body);
    let a = post_as(
        &app,
        Role::TownshipReviewer,
        "/api/v1/responsibility",
        &with_extras(
            &app,
            &json!({"region": RESHUI, "secretary": "镇党委书记 李", "units": ["民政办"]}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::NO_CONTENT);
    let tree = app
        .get_as(officer, &format!("/api/v1/responsibility?region={RESHUI}"))
        .await
        .json();
    assert_eq!(tree["node"]["region"], json!(full(RESHUI)), "{tree}");
    assert_eq!(tree["node"]["secretary"], json!("镇党委书记 李"), "{tree}");
    assert_eq!(tree["node"]["units"], json!(["民政办"]), "{tree}");
    let other_after = app.get_as(officer, &other_uri).await;
    assert_eq!(other_before.json()["node"], other_after.json()["node"]);
}

#[tokio::test]
async fn extra_json_fields_change_nothing_they_name_in_campaigns_and_villages() {
    let app = TestApp::spawn().await;

    // A campaign: over the body's county, not the extras' region.
    let route = "POST /api/v1/campaigns";
    let a = post_as(
        &app,
        Role::CountyOfficer,
        "/api/v1/campaigns",
        &with_extras(
            &app,
            &json!({"county": "431026", "name": "2026年秋季集中排查",
                    "scope": "all_households", "start": "2026-01-01", "end": "2026-12-31"}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let id = a.json()["id"].as_i64().unwrap();
    assert_eq!(a.json()["households"], json!(2), "{}", a.body);
    let listed = app
        .get_as(
            Role::CountyOfficer,
            &format!("/api/v1/campaigns/{id}/households"),
        )
        .await
        .json();
    let nos: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["household_no"].as_str().unwrap())
        .collect();
    assert_eq!(nos.len(), 2, "{listed}");
    assert!(nos.iter().all(|n| n.starts_with("431026")), "{listed}");

    // A visit: of the body's household, by the caller.
    let route = "POST /api/v1/campaigns/{id}/visits";
    let a = post_as(
        &app,
        Role::VillageCadre,
        &format!("/api/v1/campaigns/{id}/visits"),
        &with_extras(
            &app,
            &json!({"household_id": app.changtang.0, "date": "2026-03-02",
                    "outcome": "no_risk", "note": "", "problems": ""}),
            false,
        ),
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    assert!(a.json()["case_id"].is_null(), "{}", a.body);
    let report = app
        .get_as(Role::CountyOfficer, &format!("/api/v1/campaigns/{id}"))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let total = &report.json()["total"];
    assert_eq!(total["listed"], 2, "{}", report.body);
    assert_eq!(total["covered"], 1, "{}", report.body);
    assert_eq!(total["findings"], 0, "{}", report.body);
    assert_eq!(total["cases_opened"], 0, "{}", report.body);
    assert!(!report.body.contains("mallory"), "{}", report.body);

    // Indicator readings: of the path's village, each with the extras beside it.
    let route = "POST /api/v1/villages/{region}/indicators";
    // The other village of the township (Harbin's is not in the catalogue) stays as it was.
    let other_uri = format!("/api/v1/villages/{SHUILONG}/profile");
    let other_before = app.get_as(Role::TownshipReviewer, &other_uri).await;
    assert_eq!(other_before.status, StatusCode::OK, "{}", other_before.body);
    let readings = json!([
        with_extras(
            &app,
            &json!({"indicator": "sanitary_toilet", "date": "2026-02-28",
            "value": 30, "base": 60, "project": "XM-2026-012"}),
            false
        ),
        with_extras(
            &app,
            &json!({"indicator": "bus_service", "date": "2026-02-28",
            "value": 1}),
            false
        ),
    ]);
    let a = post_as(
        &app,
        Role::VillageCadre,
        &format!("/api/v1/villages/{CHANGTANG}/indicators"),
        &readings,
    )
    .await;
    expect(route, &a, StatusCode::CREATED);
    let p = app
        .get_as(
            Role::TownshipReviewer,
            &format!("/api/v1/villages/{CHANGTANG}/profile"),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let rows = p.json()["rows"].as_array().unwrap().clone();
    let toilet = rows
        .iter()
        .find(|r| r["indicator"]["code"] == "sanitary_toilet")
        .unwrap();
    assert_eq!(toilet["reading"]["project"], "XM-2026-012", "{}", p.body);
    assert!(!p.body.contains("mallory"), "{}", p.body);
    assert!(!p.body.contains("2000-01-01"), "{}", p.body);
    let other_after = app.get_as(Role::TownshipReviewer, &other_uri).await;
    assert_eq!(other_before.body, other_after.body);
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
