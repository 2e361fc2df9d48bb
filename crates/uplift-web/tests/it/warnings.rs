//! Early warning on the web: the inbox and explanation (API and page), screening runs, feed
//! uploads with their unmatched rows, and the clerk's department check.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use uplift_domain::access::Role;

use crate::support::{TestApp, assert_envelope};

#[tokio::test]
async fn the_inbox_lists_scoped_warnings_and_explains_each() {
    let app = TestApp::spawn().await;
    // The township reviewer of 热水镇 sees the 长塘村 warning, not Harbin's.
    let all = app.get("/api/v1/warnings").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert!(
        all.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["household_no"] == "431026102202-0001"),
        "{}",
        all.body
    );
    let list = app.get("/api/v1/warnings?risk=01").await;
    let json = list.json();
    assert_eq!(json["total"], 1, "{json}");
    let medical_id = json["items"][0]["id"].as_i64().unwrap();
    let item = &json["items"][0];
    assert_eq!(item["household_no"], "431026102202-0001");
    assert_eq!(item["risk_type"]["code"], "01");
    assert!(
        item["rules"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("MEDICAL_PER_STAY"))
    );
    assert_eq!(item["state"], "open");
    // Raised as of 2026-11-25 with a 15-day limit: not yet overdue.
    assert_eq!(item["due"], "2026-12-10");
    assert_eq!(item["overdue"], false);
    // Filters.
    let none = app
        .get("/api/v1/warnings?rule=HOUSING_UNSAFE&state=open")
        .await;
    assert_eq!(none.json()["total"], 0);
    let bad = app.get("/api/v1/warnings?rule=NOPE").await;
    assert_envelope(&bad, StatusCode::BAD_REQUEST, "bad_request");
    // The explanation: rule with thresholds, evidence rows, household figures, risk type.
    let one = app.get(&format!("/api/v1/warnings/{medical_id}")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let w = one.json();
    let text = w["explanation"].to_string();
    assert!(text.contains("阈值 Thresholds"), "{text}");
    assert!(
        text.contains(&format!("batch {}", app.feed_batch)),
        "{text}"
    );
    assert!(text.contains("本户数据 Household figures"), "{text}");
    assert!(text.contains("风险类型 Risk type"), "{text}");
    assert!(
        w["rule_details"][0]["zh"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let out = app
        .get(&format!("/api/v1/warnings/{}", app.warning_out))
        .await;
    assert_envelope(&out, StatusCode::NOT_FOUND, "not_found");
    // The page and the export.
    let page = app.get("/warnings?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("431026102202-0001"));
    assert!(
        page.body
            .contains(&format!("&#x2f;warnings&#x2f;{medical_id}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("&#x2f;warnings&#x2f;export.csv"));
    assert!(!page.body.contains("230102001001-0001"));
    let detail = app.get(&format!("/warnings/{medical_id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("MEDICAL_PER_STAY"));
    let csv = app.get("/warnings/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body
            .contains("431026102202-0001,431026102202,MEDICAL_PER_STAY")
    );
    assert!(!csv.body.contains("230102001001-0001"));
}

async fn upload(app: &TestApp, role: Role, kind: &str, csv: &str) -> crate::support::Answer {
    let login = app.login(role);
    let body = format!(
        "--B\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.csv\"\r\n\r\n{csv}\r\n--B--\r\n"
    );
    app.send(
        Request::post("/api/v1/feeds")
            .header(header::COOKIE, login.cookie.clone())
            .header("x-csrf-token", login.csrf.clone())
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_clerk_uploads_only_their_departments_feed_and_sees_only_their_batches() {
    let app = TestApp::spawn().await;
    let education = "id_number,school_stage,status,date\n11010519491231002X,初中,辍学,2026-10-01\n";
    let refused = upload(&app, Role::DepartmentClerk, "education", education).await;
    assert_envelope(&refused, StatusCode::FORBIDDEN, "forbidden");
    let medical = format!(
        "id_number,settlement_date,total_cost,compliant_out_of_pocket\n\
         {},2026-11-01,100,50\n11010519491231002X,2026-11-02,100,50\n",
        app.head_id_number
    );
    let ok = upload(&app, Role::DepartmentClerk, "medical", &medical).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let json = ok.json();
    assert_eq!(json["batch"]["matched"], 1);
    assert_eq!(json["batch"]["unmatched"], 1);
    assert_eq!(json["unmatched"][0]["row"], 3);
    assert_eq!(json["batch"]["department"], "medical");
    let again = upload(&app, Role::DepartmentClerk, "medical", &medical).await;
    assert_eq!(again.json()["already"], true);
    // The clerk sees their own batch only; the county officer sees both.
    let clerk = app.get_as(Role::DepartmentClerk, "/api/v1/feeds").await;
    let ids: Vec<i64> = clerk.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![json["batch"]["id"].as_i64().unwrap()]);
    let county = app.get_as(Role::CountyOfficer, "/api/v1/feeds").await;
    assert_eq!(county.json()["items"].as_array().unwrap().len(), 2);
    // County staff upload any kind; a bad file is a 422 naming row and field.
    let bad = upload(
        &app,
        Role::CountyOfficer,
        "education",
        "id_number,school_stage,status,date\n123,初中,辍学,2026-13-01\n",
    )
    .await;
    let err = assert_envelope(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(err["detail"].as_str().unwrap().contains("row 2"), "{err}");
    // The page lists the batches.
    let page = app.get_as(Role::CountyOfficer, "/feeds").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("medical-2026-10.csv"));
}

#[tokio::test]
async fn a_screening_run_is_idempotent_through_the_api() {
    let app = TestApp::spawn().await;
    let login = app.login(Role::CountyOfficer).clone();
    let post = |body: &'static str| {
        Request::post("/api/v1/screening-runs")
            .header(header::COOKIE, login.cookie.clone())
            .header("x-csrf-token", login.csrf.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let first = app.send(post(r#"{"as_of":"2026-12-01"}"#)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.json()["already"], false);
    assert_eq!(first.json()["warnings_new"], 0);
    let second = app.send(post(r#"{"as_of":"2026-12-01"}"#)).await;
    assert_eq!(second.json()["already"], true);
    let bad = app.send(post(r#"{"as_of":"2026-02-30"}"#)).await;
    assert_envelope(&bad, StatusCode::BAD_REQUEST, "bad_request");
}
