//! Projects and funds over HTTP: an arrangement that would drop the industry share below the
//! floor is flagged before it is saved (409 in the API, a warning with a confirmation on the
//! page), the county page shows the share live, and the notice names the regime's term and the
//! supervision phone, as HTML and as PDF.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use uplift_domain::access::Role;

use crate::support::{RESHUI, TestApp};

async fn post_json(
    app: &TestApp,
    role: Role,
    uri: &str,
    body: serde_json::Value,
) -> crate::support::Answer {
    let login = app.login(role);
    app.send(
        Request::post(uri)
            .header(header::COOKIE, login.cookie.clone())
            .header("x-csrf-token", login.csrf.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn post_form(app: &TestApp, role: Role, uri: &str, body: String) -> crate::support::Answer {
    let login = app.login(role);
    app.send(
        Request::post(uri)
            .header(header::COOKIE, login.cookie.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={}&{body}", login.csrf)))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_plan_below_the_industry_floor_is_flagged_before_it_is_saved() {
    let app = TestApp::spawn().await;
    let officer = Role::CountyOfficer;
    let solar = app.project_in;
    // The township reviews the village's project, the county decides.
    let r = post_json(
        &app,
        Role::TownshipReviewer,
        &format!("/api/v1/projects/{solar}/actions"),
        serde_json::json!({"command": "review", "opinion": "同意"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post_json(
        &app,
        officer,
        &format!("/api/v1/projects/{solar}/actions"),
        serde_json::json!({"command": "decide", "opinion": "同意入库"}),
    )
    .await;
    assert_eq!(r.json()["status"]["code"], "approved", "{}", r.body);
    // A township road project, decided.
    let r = post_json(
        &app,
        Role::TownshipReviewer,
        "/api/v1/projects",
        serde_json::json!({
            "name": "通组公路", "kind": "infrastructure", "proposer": "township",
            "region_code": RESHUI, "year": 2026, "operator": "government",
            "budget": [{"level": "county", "amount_yuan": "100000"}],
            "beneficiary_households": 40, "uses": ["infrastructure"]
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let road = r.json()["id"].as_i64().unwrap();
    let r = post_json(
        &app,
        officer,
        &format!("/api/v1/projects/{road}/actions"),
        serde_json::json!({"command": "decide"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // 10,000 of 100,000 for industry is 10%, below Rucheng's 65%: 409, nothing saved.
    let plan = app.plan_in;
    let lines = serde_json::json!([
        {"project_id": solar, "plan_id": plan, "amount_yuan": "10000"},
        {"project_id": road, "plan_id": plan, "amount_yuan": "90000"}
    ]);
    let r = post_json(
        &app,
        officer,
        "/api/v1/allocations",
        serde_json::json!({"lines": lines}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("10.00%"), "{}", r.body);
    let year = app
        .get_as(officer, "/api/v1/fund-plans?region=431026&year=2026")
        .await
        .json();
    assert_eq!(year["term_zh"], "常态化帮扶资金");
    assert_eq!(year["share"]["total_yuan"], "0.00");
    assert_eq!(year["plans"][0]["allocated_yuan"], "0.00");

    // The page shows the warning and asks for a confirmation; nothing is saved.
    let form_lines =
        format!("lines={solar}%3A{plan}%3A10000%0A{road}%3A{plan}%3A90000&region=431026&year=2026");
    let r = post_form(&app, officer, "/funds/allocations", form_lines.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("id=\"share-warning\""), "{}", r.body);
    assert!(r.body.contains("name=\"confirm\""));
    assert!(r.body.contains("10.00%"));

    // Confirmed: saved, and the county page shows the share below the floor, live.
    let r = post_form(
        &app,
        officer,
        "/funds/allocations",
        format!("{form_lines}&confirm=true"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let year = app
        .get_as(officer, "/api/v1/fund-plans?region=431026&year=2026")
        .await
        .json();
    assert_eq!(year["share"]["percent"], "10.00");
    assert_eq!(year["share"]["floor_percent"], 65);
    assert_eq!(year["share"]["below_floor"], true);
    let page = app.get_as(officer, "/funds?region=431026&year=2026").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("10.00%"), "{}", page.body);
    assert!(page.body.contains("常态化帮扶资金"));
    let en = app
        .get_as(officer, "/funds?region=431026&year=2026&lang=en")
        .await;
    assert!(
        en.body.contains("normalised assistance funds"),
        "{}",
        en.body
    );

    // The fund trace reaches both projects; the ledger downloads as Excel.
    let t = app
        .get_as(officer, &format!("/api/v1/fund-plans/{plan}/trace"))
        .await
        .json();
    assert_eq!(t["projects"].as_array().unwrap().len(), 2);
    let x = app
        .get_as(officer, &format!("/funds/plans/{plan}?format=xlsx"))
        .await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.header(header::CONTENT_TYPE).contains("spreadsheetml"));

    // The notice: the regime's term, the projects and the supervision phone, HTML and PDF.
    let notice = app
        .get_as(Role::CityViewer, "/funds/notice?region=431026&year=2026")
        .await;
    assert_eq!(notice.status, StatusCode::OK);
    for needle in ["常态化帮扶资金", "12317", "通组公路", "村集体光伏电站"] {
        assert!(notice.body.contains(needle), "{needle}: {}", notice.body);
    }
    let pdf = app
        .get_as(
            Role::CityViewer,
            "/funds/notice.pdf?region=431026&year=2026",
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    assert_eq!(pdf.header(header::CONTENT_TYPE), "application/pdf");
    assert!(pdf.body.starts_with("%PDF"));
}
