//! A household's case through HTTP: a department warning, every identification step, measures
//! and visits, elimination checked by rule, and a relapse that rolls it back. At each step the
//! right role of the right region acts; a wrong role is refused (403) and the right role on a
//! case outside its region finds nothing (404).

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use uplift_domain::access::Role;

use crate::support::{Answer, TestApp};

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

async fn version(app: &TestApp, case: i64) -> u64 {
    let a = app
        .get_as(Role::CountyAdmin, &format!("/api/v1/cases/{case}"))
        .await;
    a.json()["version"]
        .as_u64()
        .unwrap_or_else(|| panic!("case {case}: {}", a.body))
}

/// One step: refused for `wrong` (403), 404 for `right` on the case outside its region, then
/// done by `right`; returns the stage after it.
async fn step(app: &TestApp, case: i64, right: Role, wrong: Role, mut body: Value) -> String {
    body["version"] = json!(version(app, case).await);
    let refused = post(
        app,
        wrong,
        &format!("/api/v1/cases/{case}/actions"),
        body.clone(),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "{wrong:?}: {}",
        refused.body
    );
    let mut outside = body.clone();
    // Nobody acts on the case outside, so it stays at its first version.
    outside["version"] = json!(1);
    let elsewhere = post(
        app,
        right,
        &format!("/api/v1/cases/{}/actions", app.case_out),
        outside,
    )
    .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{}",
        elsewhere.body
    );
    let done = post(app, right, &format!("/api/v1/cases/{case}/actions"), body).await;
    assert_eq!(done.status, StatusCode::OK, "{right:?}: {}", done.body);
    done.json()["stage"]["code"].as_str().unwrap().to_owned()
}

fn visit(on: &str) -> Value {
    json!({
        "date": on, "visitor": "帮扶人 陈", "income_above_line": true, "health_ok": true,
        "schooling_ok": true, "work_ok": true, "housing_ok": true, "water_ok": true,
        "findings": "务工收入稳定"
    })
}

#[tokio::test]
async fn a_warned_household_is_identified_assisted_eliminated_and_rolled_back_over_http() {
    let mut app = TestApp::spawn().await;
    let h = app.changtang.0;
    let cadre = Role::VillageCadre;
    let town = Role::TownshipReviewer;
    let county = Role::CountyOfficer;

    // The setup's open case is closed first: a rejection with a reason stays on record.
    app.set_today("2026-03-02").await;
    let stage = step(
        &app,
        app.case_in,
        cadre,
        county,
        json!({"command": "reject", "reason": "重复线索"}),
    )
    .await;
    assert_eq!(stage, "rejected");

    // 1. A department warning opens a case; a helper may not, a county elsewhere finds nothing.
    let clue = json!({
        "channel": "department_warning", "clue_date": "2026-03-02",
        "summary": "医保部门预警：住院自付 3.2 万元", "risk_hint": "01"
    });
    let uri = format!("/api/v1/households/{h}/cases");
    assert_eq!(
        post(&app, Role::Helper, &uri, clue.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let outside = format!("/api/v1/households/{}/cases", app.harbin.0);
    assert_eq!(
        post(&app, county, &outside, clue.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let opened = post(&app, county, &uri, clue.clone()).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let id = opened.json()["id"].as_i64().unwrap();
    assert_eq!(
        post(&app, county, &uri, clue.clone()).await.status,
        StatusCode::CONFLICT
    );

    app.set_today("2026-03-03").await;
    let verify = json!({"command": "verify", "commitment_signed": true,
        "asset_query_authorised": true, "findings": "4 口人，户主住院"});
    assert_eq!(step(&app, id, cadre, county, verify).await, "verified");
    app.set_today("2026-03-04").await;
    let compare = json!({"command": "compare", "adverse_findings": false,
        "findings": "无车辆、无商品房、无工商登记"});
    assert_eq!(step(&app, id, county, cadre, compare).await, "compared");
    app.set_today("2026-03-05").await;
    let appraise = json!({"command": "appraise", "held_on": "2026-03-05", "attendees": 30,
        "votes_for": 28, "votes_against": 1, "abstentions": 1, "minutes": "村民代表会议"});
    assert_eq!(step(&app, id, cadre, town, appraise).await, "appraised");
    let post_notice = json!({"command": "post_notice", "start": "2026-03-05"});
    assert_eq!(step(&app, id, cadre, county, post_notice).await, "notice");
    // The public notice as the cadre prints it: the head's name, no ID number of anyone.
    let (status, headers, pdf) = app
        .get_raw_as(
            cadre,
            &format!("/api/v1/cases/{id}/notice.pdf?phone=0735-8221234"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    let text = crate::support::pdf_text(&pdf);
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(flat.contains("张三") && flat.contains("长塘村"), "{text}");
    assert!(
        flat.contains("0735-8221234") && flat.contains("2026-03-05至"),
        "{text}"
    );
    assert!(crate::support::id_numbers_in(&text).is_empty(), "{text}");
    assert!(!flat.contains(&app.head_id_number));
    let page = app.get_as(cadre, &format!("/cases/{id}")).await;
    assert!(
        page.body.contains(&format!("/cases/{id}/notice.pdf")),
        "{}",
        page.body
    );
    let (status, _, _) = app
        .get_raw_as(cadre, &format!("/cases/{}/notice.pdf", app.case_out))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let objection = json!({"command": "file_objection", "text": "邻居反映其有货车一辆"});
    assert_eq!(step(&app, id, cadre, county, objection).await, "notice");
    // The notice may not close with an objection unanswered, nor before its last day.
    app.set_today("2026-03-12").await;
    let v = version(&app, id).await;
    let early = post(
        &app,
        cadre,
        &format!("/api/v1/cases/{id}/actions"),
        json!({"command": "close_notice", "version": v}),
    )
    .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.body
    );
    let answer = json!({"command": "answer_objection", "index": 0,
        "answer": "经核实货车已于 2025 年转让"});
    assert_eq!(
        step(&app, id, cadre, Role::CityViewer, answer).await,
        "notice"
    );
    // The case page shows the objection, its answer and the close form.
    let page = app.get_as(cadre, &format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("邻居反映其有货车一辆") && page.body.contains("经核实货车"));
    assert!(
        page.body.contains("value=\"close_notice\""),
        "{}",
        page.body
    );
    let close = json!({"command": "close_notice"});
    assert_eq!(
        step(&app, id, cadre, Role::CityViewer, close).await,
        "notice_closed"
    );
    let review = json!({"command": "review", "opinion": "实地核查属实"});
    assert_eq!(step(&app, id, town, cadre, review).await, "reviewed");
    app.set_today("2026-03-13").await;
    let approve = json!({"command": "approve", "category": "sudden", "risks": ["01"]});
    assert_eq!(step(&app, id, county, town, approve).await, "approved");
    let announce = json!({"command": "announce", "on": "2026-03-13"});
    assert_eq!(step(&app, id, town, cadre, announce).await, "announced");
    let (status, _, pdf) = app
        .get_raw_as(town, &format!("/cases/{id}/announcement.pdf"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = crate::support::pdf_text(&pdf);
    assert!(text.contains("公告") && text.contains("张三"), "{text}");
    assert!(crate::support::id_numbers_in(&text).is_empty(), "{text}");
    app.set_today("2026-03-16").await;
    let enter = json!({"command": "enter_national", "entered_by": "乡镇录入员 刘",
        "entered_on": "2026-03-16"});
    assert_eq!(step(&app, id, town, cadre, enter).await, "entered");

    // 2. Assistance: the helper records a measure and monthly visits to their household.
    app.set_today("2026-03-20").await;
    let measure = json!({"category": "industry", "name": "产业奖补：养殖黄牛 2 头",
        "start": "2026-03-20", "amount": "3000", "funding": "assistance_funds"});
    let measures = format!("/api/v1/households/{h}/measures");
    assert_eq!(
        post(&app, Role::CityViewer, &measures, measure.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let elsewhere = format!("/api/v1/households/{}/measures", app.harbin.0);
    assert_eq!(
        post(&app, Role::Helper, &elsewhere, measure.clone())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&app, Role::Helper, &measures, measure).await.status,
        StatusCode::CREATED
    );
    let listed = app.get_as(cadre, &measures).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["problems"], json!([]), "{listed}");
    for month in 4..=9 {
        let on = format!("2026-{month:02}-10");
        app.set_today(&on).await;
        let visits = format!("/api/v1/households/{h}/visits");
        let a = post(&app, Role::Helper, &visits, visit(&on)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    let schedule = app.get_as(Role::Helper, "/visits").await;
    assert!(schedule.body.contains("431026102202-0001") && schedule.body.contains("2026-10-10"));

    // 3. Elimination, checked by rule: too early in September, eligible in October.
    app.set_today("2026-09-15").await;
    let eligibility = format!("/api/v1/households/{h}/eligibility");
    let early = app.get_as(cadre, &eligibility).await.json();
    assert_eq!(early["eligible"], json!(false), "{early}");
    let propose = format!("/api/v1/households/{h}/elimination");
    let summary = json!({"summary": "务工收入稳定，风险已消除"});
    assert_eq!(
        post(&app, cadre, &propose, summary.clone()).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.set_today("2026-10-12").await;
    let ready = app.get_as(cadre, &eligibility).await.json();
    assert_eq!(ready["eligible"], json!(true), "{ready}");
    let page = app
        .get_as(cadre, &format!("/households/{h}/assistance"))
        .await;
    assert!(page.body.contains("class=\"pass\"") && !page.body.contains("class=\"fail\""));
    assert_eq!(
        post(&app, town, &propose, summary.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let elsewhere = format!("/api/v1/households/{}/elimination", app.harbin.0);
    assert_eq!(
        post(&app, cadre, &elsewhere, summary.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let proposed = post(&app, cadre, &propose, summary).await;
    assert_eq!(proposed.status, StatusCode::CREATED, "{}", proposed.body);
    let e = proposed.json()["id"].as_i64().unwrap();
    let verify = json!({"command": "verify", "findings": "入户核实收入稳定"});
    assert_eq!(step(&app, e, cadre, county, verify).await, "compared");
    let appraise = json!({"command": "appraise", "held_on": "2026-10-12", "attendees": 25,
        "votes_for": 25, "minutes": "一致同意"});
    assert_eq!(step(&app, e, cadre, town, appraise).await, "appraised");
    let post_notice = json!({"command": "post_notice", "start": "2026-10-12"});
    assert_eq!(step(&app, e, cadre, county, post_notice).await, "notice");
    app.set_today("2026-10-19").await;
    assert_eq!(
        step(&app, e, cadre, county, json!({"command": "close_notice"})).await,
        "notice_closed"
    );
    let review = json!({"command": "review", "opinion": "验收合格"});
    assert_eq!(step(&app, e, town, county, review).await, "reviewed");
    let approve = json!({"command": "approve", "elimination_type": "assistance"});
    assert_eq!(step(&app, e, county, town, approve).await, "approved");
    let announce = json!({"command": "announce", "on": "2026-10-19"});
    assert_eq!(step(&app, e, town, cadre, announce).await, "announced");
    let enter = json!({"command": "enter_national", "entered_by": "乡镇录入员 刘",
        "entered_on": "2026-10-19"});
    assert_eq!(
        step(&app, e, town, Role::CityViewer, enter).await,
        "entered"
    );
    let timeline = format!("/api/v1/households/{h}/timeline");
    assert_eq!(
        app.get_as(cadre, &timeline).await.json()["status"],
        json!("eliminated")
    );

    // 4. Relapse: a new warning rolls the elimination back; the measure keeps running.
    app.set_today("2026-11-20").await;
    let relapse = json!({"channel": "department_warning", "clue_date": "2026-11-20",
        "summary": "应急部门预警：洪涝损失", "risk_hint": "0201", "green_channel": true});
    let reopened = post(&app, county, &uri, relapse).await;
    assert_eq!(reopened.status, StatusCode::CREATED, "{}", reopened.body);
    let r = reopened.json()["id"].as_i64().unwrap();
    let case = app
        .get_as(cadre, &format!("/api/v1/cases/{r}"))
        .await
        .json();
    assert_eq!(case["rollback"], json!(true));
    let t = app.get_as(cadre, &timeline).await.json();
    assert_eq!(t["status"], json!("rolled_back"));
    assert!(t["items"].as_array().unwrap().len() > 20, "{t}");
    // The clue's channel is a codebook label: Chinese in `detail`, English in `detail_en`.
    let opened = t["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title_en"].as_str().unwrap().ends_with("Clue recorded"))
        .expect("the clue is on the timeline");
    assert!(
        opened["detail"].as_str().unwrap().contains("部门筛查预警"),
        "{opened}"
    );
    assert!(
        opened["detail_en"]
            .as_str()
            .unwrap()
            .starts_with("department warning"),
        "{opened}"
    );

    // The household page shows the timeline; the home page reminds the cadre of the new case.
    let page = app.get_as(cadre, &format!("/households/{h}")).await;
    assert!(page.body.contains("应急部门预警") && page.body.contains("帮扶措施"));
    let queue = app.get_as(county, "/cases?stage=clue").await;
    assert!(
        queue.body.contains(&format!("/cases/{r}\"")),
        "{}",
        queue.body
    );
    let home = app.get_as(cadre, "/").await;
    // minijinja escapes the slashes of an href it fills in.
    assert!(
        home.body.contains(&format!("&#x2f;cases&#x2f;{r}\"")),
        "{}",
        home.body
    );
}

#[tokio::test]
async fn a_refused_form_step_shows_why_beside_the_form() {
    let app = TestApp::spawn().await;
    let login = app.login(Role::VillageCadre);
    let body = format!(
        "csrf={}&command=verify&version=1&findings=%E6%A0%B8%E5%AE%9E",
        login.csrf
    );
    let a = app
        .send(
            Request::post(format!("/cases/{}/actions", app.case_in))
                .header(header::COOKIE, &login.cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body.contains("role=\"alert\"") && a.body.contains("commitment"),
        "{}",
        a.body
    );
    let body = format!(
        "csrf={}&command=verify&version=1&findings=ok&commitment_signed=on&asset_query_authorised=on",
        login.csrf
    );
    let a = app
        .send(
            Request::post(format!("/cases/{}/actions", app.case_in))
                .header(header::COOKIE, &login.cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = app
        .get_as(Role::VillageCadre, &format!("/cases/{}", app.case_in))
        .await;
    assert!(page.body.contains("入户核实") && !page.body.contains("value=\"compare\""));
}
