//! Village profiles, screening campaigns and the assessors' sample over HTTP: each step by the
//! right role of the right region, refused (403) for a wrong role and not found (404) outside
//! the caller's region; pages in Chinese and English; visit forms as .xlsx and PDF.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use uplift_domain::access::Role;

use crate::support::{Answer, CHANGTANG, HARBIN_VILLAGE, TestApp};

async fn post(app: &TestApp, role: Role, uri: &str, body: Value) -> Answer {
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

#[tokio::test]
async fn a_campaign_from_opening_to_report_through_http() {
    let app = TestApp::spawn().await;
    let body = json!({"county": "431026", "name": "2026年秋季集中排查", "scope": "all_households",
                      "start": "2026-01-01", "end": "2026-12-31"});
    let refused = post(
        &app,
        Role::TownshipReviewer,
        "/api/v1/campaigns",
        body.clone(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let opened = post(&app, Role::CountyOfficer, "/api/v1/campaigns", body).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let id = opened.json()["id"].as_i64().unwrap();
    assert_eq!(
        opened.json()["households"],
        2,
        "Rucheng's two households, not Harbin's"
    );

    // Each role sees its part of the list.
    let list = |role| {
        let app = &app;
        async move {
            let a = app
                .get_as(role, &format!("/api/v1/campaigns/{id}/households"))
                .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            a.json()
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["household_no"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(Role::VillageCadre).await, ["431026102202-0001"]);
    assert_eq!(list(Role::TownshipReviewer).await.len(), 2);
    assert_eq!(list(Role::Helper).await, ["431026102202-0001"]);

    // The village cadre visits their household; the other village's is not theirs.
    let visit = |household: i64, outcome: &str, note: &str| {
        json!({"household_id": household, "date": "2026-03-02", "outcome": outcome, "note": note,
               "problems": ""})
    };
    let uri = format!("/api/v1/campaigns/{id}/visits");
    let a = post(
        &app,
        Role::VillageCadre,
        &uri,
        visit(app.changtang.0, "no_risk", ""),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let a = post(
        &app,
        Role::VillageCadre,
        &uri,
        visit(app.shuilong.0, "no_risk", ""),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    let a = post(
        &app,
        Role::CityViewer,
        &uri,
        visit(app.shuilong.0, "no_risk", ""),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // The township finds a risk in 水龙村: a case opens through the case workflow.
    let a = post(
        &app,
        Role::TownshipReviewer,
        &uri,
        visit(app.shuilong.0, "risk_found", "务工收入中断"),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let case = a.json()["case_id"].as_i64().expect("a case was opened");
    let c = app
        .get_as(Role::CountyAdmin, &format!("/api/v1/cases/{case}"))
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert!(c.body.contains("concentrated_screening"), "{}", c.body);

    let report = app
        .get_as(Role::CountyOfficer, &format!("/api/v1/campaigns/{id}"))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let total = &report.json()["total"];
    assert_eq!(total["listed"], 2);
    assert_eq!(total["covered"], 2);
    assert_eq!(total["findings"], 1);
    assert_eq!(total["cases_opened"], 1);
    assert_eq!(total["coverage_permille"], 1000);
    let city = app
        .get_as(Role::CityViewer, &format!("/api/v1/campaigns/{id}"))
        .await;
    assert_eq!(city.status, StatusCode::OK);
    let clerk = app
        .get_as(Role::DepartmentClerk, &format!("/api/v1/campaigns/{id}"))
        .await;
    assert_eq!(clerk.status, StatusCode::FORBIDDEN);

    // The pages, in both languages.
    let zh = app
        .get_as(Role::VillageCadre, &format!("/campaigns/{id}"))
        .await;
    assert_eq!(zh.status, StatusCode::OK, "{}", zh.body);
    assert!(zh.body.contains("逐日覆盖") && zh.body.contains("431026102202-0001"));
    assert!(
        !zh.body.contains("431026102203-0001"),
        "another village's household leaked"
    );
    let en = app
        .get_as(Role::CountyOfficer, &format!("/campaigns/{id}?lang=en"))
        .await;
    assert!(en.body.contains("Coverage by day") && en.body.contains("New identifications"));
    let xlsx = app
        .get_as(Role::CountyOfficer, &format!("/campaigns/{id}/list.xlsx"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let campaigns = app.get_as(Role::CountyOfficer, "/campaigns?lang=en").await;
    assert!(campaigns.body.contains("Open a campaign") && campaigns.body.contains("秋季集中排查"));
}

#[tokio::test]
async fn village_indicators_are_recorded_rolled_up_and_exported() {
    let app = TestApp::spawn().await;
    let uri = format!("/api/v1/villages/{CHANGTANG}/indicators");
    let readings = json!([
        {"indicator": "sanitary_toilet", "date": "2026-02-28", "value": 30, "base": 60,
         "project": "XM-2026-012"},
        {"indicator": "bus_service", "date": "2026-02-28", "value": 1}
    ]);
    let a = post(&app, Role::Helper, &uri, readings.clone()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = post(
        &app,
        Role::VillageCadre,
        &format!("/api/v1/villages/{HARBIN_VILLAGE}/indicators"),
        readings.clone(),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let bad =
        json!([{"indicator": "sanitary_toilet", "date": "2026-02-28", "value": 70, "base": 60}]);
    let a = post(&app, Role::VillageCadre, &uri, bad).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let a = post(&app, Role::VillageCadre, &uri, readings).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);

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
    assert_eq!(toilet["meets"], false);
    assert_eq!(toilet["reading"]["project"], "XM-2026-012");
    // As of before the reading, nothing was recorded.
    let before = app
        .get_as(
            Role::TownshipReviewer,
            &format!("/api/v1/villages/{CHANGTANG}/profile?as_of=2026-01-01"),
        )
        .await;
    assert!(
        before.json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["reading"].is_null())
    );

    let r = app
        .get_as(Role::CountyOfficer, "/api/v1/villages?region=431026")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let gaps = r.json()["gaps"].as_array().unwrap().clone();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0]["village"], CHANGTANG);
    let page = app
        .get_as(Role::CountyOfficer, "/villages?region=431026&lang=en")
        .await;
    assert!(
        page.body.contains("Villages with gaps") && page.body.contains("长塘村"),
        "{}",
        page.body
    );
    let zh = app
        .get_as(Role::VillageCadre, &format!("/villages/{CHANGTANG}"))
        .await;
    assert!(
        zh.body.contains("30 &#x2f; 60 (50.0%)") && zh.body.contains("未达标"),
        "{}",
        zh.body
    );
    let csv = app
        .get_as(Role::CountyOfficer, "/villages/export.csv?region=431026102")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains("sanitary_toilet") && csv.body.contains("XM-2026-012"));
}

#[tokio::test]
async fn a_sample_is_drawn_and_its_forms_exported() {
    let app = TestApp::spawn().await;
    let a = app
        .get_as(Role::Auditor, "/api/v1/samples?county=431026&seed=5")
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let b = app
        .get_as(Role::CountyOfficer, "/api/v1/samples?county=431026&seed=5")
        .await;
    assert_eq!(a.json()["households"], b.json()["households"]);
    assert_eq!(a.json()["households"].as_array().unwrap().len(), 2);
    let refused = app
        .get_as(Role::VillageCadre, "/api/v1/samples?county=431026&seed=5")
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let outside = app
        .get_as(Role::CountyOfficer, "/api/v1/samples?county=230102&seed=5")
        .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    let page = app
        .get_as(Role::Auditor, "/samples?county=431026&seed=5&lang=en")
        .await;
    assert!(page.body.contains("Sampled households") && page.body.contains("431026102202-0001"));
    let pdf = app
        .get_as(Role::Auditor, "/samples/forms.pdf?county=431026&seed=5")
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.header(header::CONTENT_TYPE), "application/pdf");
    let xlsx = app
        .get_as(Role::Auditor, "/samples/forms.xlsx?county=431026&seed=5")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
}
