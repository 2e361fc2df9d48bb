//! The rectification ledger over HTTP: a problem list imported, assigned to 热水镇, reported on
//! twice with a photo, refused at sign-off, signed off, reopened — each step by its role, others
//! refused — then the pages in both languages, the bulletin as .xlsx and PDF, and the overdue
//! problem on the responsible township's home page.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use uplift_domain::access::Role;

use crate::support::{Answer, RESHUI, TestApp};

const BOUNDARY: &str = "RECTIFYBOUNDARY";
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0xFF, 0xD9,
];

fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, filename, content_type, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post(app: &TestApp, role: Role, uri: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let login = app.login(role);
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::COOKIE, &login.cookie)
        .header("x-csrf-token", &login.csrf)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

async fn step(app: &TestApp, role: Role, id: i64, body: serde_json::Value) -> Answer {
    post(
        app,
        role,
        &format!("/api/v1/problems/{id}/actions"),
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

async fn report(app: &TestApp, role: Role, id: i64, text: &str) -> Answer {
    post(
        app,
        role,
        &format!("/api/v1/problems/{id}/reports"),
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        multipart(
            &[("text", text)],
            &[("files", "现场照片.jpg", "image/jpeg", JPEG)],
        ),
    )
    .await
}

#[tokio::test]
async fn a_problem_through_the_api_and_the_pages() {
    let mut app = TestApp::spawn().await;
    let csv = format!(
        "问题来源,问题领域,问题标题,问题描述,发现日期,所属区划代码,涉及区划代码,整改类型\n\
         考核评估,工作落实,帮扶措施不精准,部分监测户帮扶措施与风险类型不匹配,2026-11-20,431026,{RESHUI},长期整改\n"
    );
    let import = |role| {
        let csv = csv.clone();
        let app = &app;
        async move {
            post(
                app,
                role,
                "/api/v1/problems/import",
                &format!("multipart/form-data; boundary={BOUNDARY}"),
                multipart(&[], &[("file", "问题清单.csv", "text/csv", csv.as_bytes())]),
            )
            .await
        }
    };
    assert_eq!(
        import(Role::VillageCadre).await.status,
        StatusCode::FORBIDDEN
    );
    let imported = import(Role::CountyOfficer).await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
    let id = imported.json()["recorded"][0].as_i64().unwrap();

    let assign = serde_json::json!({"command": "assign", "assignment": {
        "responsible_region": RESHUI, "lead_unit": "热水镇党委", "responsible_units": ["民政办"],
        "responsible_person": "镇党委书记", "measures": "逐户核对帮扶措施", "deadline": "2026-12-31"}});
    assert_eq!(
        step(&app, Role::Auditor, id, assign.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = step(&app, Role::CountyOfficer, id, assign).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "assigned");

    // The village cadre of 长塘村 does not answer for the township's problem; the city may not report.
    assert_eq!(
        report(&app, Role::VillageCadre, id, "x").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        report(&app, Role::CityViewer, id, "x").await.status,
        StatusCode::FORBIDDEN
    );
    for text in ["已核对一半", "已全部核对"] {
        let r = report(&app, Role::TownshipReviewer, id, text).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let submit = serde_json::json!({"command": "submit", "text": "整改完成"});
    let r = step(&app, Role::TownshipReviewer, id, submit.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The township may not sign off its own problem: the county above it does.
    let sign = serde_json::json!({"command": "sign_off", "text": "同意销号"});
    let r = step(&app, Role::TownshipReviewer, id, sign.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = step(
        &app,
        Role::CountyOfficer,
        id,
        serde_json::json!({"command": "reject_sign_off", "text": "照片不清楚"}),
    )
    .await;
    assert_eq!(r.json()["state"], "assigned");
    let r = step(&app, Role::TownshipReviewer, id, submit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = step(&app, Role::CountyOfficer, id, sign.clone()).await;
    assert_eq!(r.json()["state"], "closed");
    // A second sign-off is a conflict with the state.
    assert_eq!(
        step(&app, Role::CountyOfficer, id, sign).await.status,
        StatusCode::CONFLICT
    );
    let r = step(
        &app,
        Role::CountyOfficer,
        id,
        serde_json::json!({"command": "reopen", "text": "问题反弹"}),
    )
    .await;
    assert_eq!(r.json()["state"], "assigned");
    let events: Vec<String> = r.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        events,
        [
            "recorded",
            "assigned",
            "reported",
            "reported",
            "submitted",
            "sign_off_rejected",
            "submitted",
            "signed_off",
            "reopened"
        ]
    );
    let href = r.json()["events"][3]["evidence"][0]["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = app.get_as(Role::CountyOfficer, &href).await;
    assert_eq!(photo.status, StatusCode::OK);
    assert_eq!(photo.header(header::CONTENT_TYPE), "image/jpeg");
    assert_eq!(
        app.get_as(Role::VillageCadre, &href).await.status,
        StatusCode::NOT_FOUND
    );

    // The pages, in Chinese and English.
    for (uri, needle) in [
        ("/rectify".to_owned(), "帮扶措施不精准"),
        (format!("/rectify/{id}"), "退回整改"),
        (format!("/rectify/{id}?lang=en"), "Sign-off rejected"),
        ("/rectify?lang=en".to_owned(), "Rectification ledger"),
        (
            "/bulletin?region=431026&month=2026-11".to_owned(),
            "月度通报",
        ),
        (
            "/bulletin?region=431026&month=2026-11&lang=en".to_owned(),
            "Monthly bulletin",
        ),
        ("/responsibility".to_owned(), "五级书记"),
    ] {
        let page = app.get_as(Role::CountyOfficer, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
        assert!(page.body.contains(needle), "{uri}: {needle}");
    }
    let xlsx = app
        .get_as(
            Role::CountyOfficer,
            "/api/v1/bulletin?region=431026&month=2026-11&format=xlsx",
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.header(header::CONTENT_TYPE).contains("spreadsheetml"));
    let pdf = app
        .get_as(
            Role::CountyOfficer,
            "/api/v1/bulletin?region=431026&month=2026-11&format=pdf",
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    assert_eq!(pdf.header(header::CONTENT_TYPE), "application/pdf");
    let json = app
        .get_as(
            Role::CountyOfficer,
            "/api/v1/bulletin?region=431026&month=2026-11",
        )
        .await
        .json();
    assert_eq!(json["total"]["problems"], 1);

    // Past the deadline, the problem shows on the township's home page and the county's.
    app.set_today("2027-01-05").await;
    for role in [Role::TownshipReviewer, Role::CountyOfficer] {
        let home = app.get_as(role, "/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("整改逾期"), "{role:?}");
    }
    let home = app.get_as(Role::VillageCadre, "/").await;
    assert!(!home.body.contains("整改逾期"));
}
