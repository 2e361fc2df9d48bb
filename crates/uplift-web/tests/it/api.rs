//! The JSON API under `/api/v1`.

use axum::http::StatusCode;

use crate::support::{CHANGTANG, TestApp, assert_envelope};

#[tokio::test]
async fn the_household_list_is_paged_with_types_and_village_names() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/households?per_page=1").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let json = res.json();
    assert_eq!(json["total"], 2);
    assert_eq!(json["page"], 1);
    assert_eq!(json["per_page"], 1);
    assert_eq!(json["items"].as_array().unwrap().len(), 1);

    let res = app
        .get(&format!(
            "/api/v1/households?region={CHANGTANG}&type=formerly_poor"
        ))
        .await;
    let json = res.json();
    assert_eq!(json["total"], 1, "{json}");
    let item = &json["items"][0];
    assert_eq!(item["id"], app.changtang.0);
    assert_eq!(item["household_no"], "431026102202-0001");
    assert_eq!(item["household_type"]["code"], "formerly_poor");
    assert_eq!(item["household_type"]["zh"], "脱贫户");
    assert_eq!(item["region_code"], CHANGTANG);
    assert_eq!(item["village_name"], "长塘村");
    assert_eq!(item["head_name"], "张三");
    assert_eq!(item["members"], 2);
}

#[tokio::test]
async fn the_household_masks_id_numbers_and_phones_and_weighs_income_against_the_line() {
    let app = TestApp::spawn().await;
    let res = app
        .get(&format!("/api/v1/households/{}", app.changtang.0))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(!res.body.contains(&app.head_id_number), "{}", res.body);
    assert!(!res.body.contains("13812345678"));
    let json = res.json();
    let head = &json["members"][0];
    assert_eq!(head["name"], "张三");
    let masked = head["id_number"].as_str().unwrap();
    assert_eq!(head["id_number_masked"], true);
    assert_eq!(masked.len(), 18);
    assert!(masked.starts_with("431026********"), "{masked}");
    assert_eq!(head["phone"], "138****5678");
    assert_eq!(head["phone_masked"], true);
    assert_eq!(head["health"]["code"], "serious_illness");
    let path: Vec<&str> = json["region_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["湖南省", "郴州市", "汝城县", "热水镇", "长塘村"]);

    assert_eq!(json["policy"]["monitoring_line"], "8300.00");
    let income = &json["incomes"][0];
    // (10000 + 3000 + 200 + 1800 - 1000) / 2 members.
    assert_eq!(income["net"], "14000.00");
    assert_eq!(income["per_capita_net"], "7000.00");
    assert_eq!(income["standing"], "below_line");
}

#[tokio::test]
async fn as_of_before_a_change_shows_the_old_value() {
    let app = TestApp::spawn().await;
    let uri = format!("/api/v1/households/{}", app.changtang.0);
    let before = app.get(&format!("{uri}?as_of=2026-02-28")).await.json();
    assert_eq!(before["members"][0]["health"]["code"], "healthy");
    assert_eq!(before["as_of"], "2026-02-28");
    let after = app.get(&format!("{uri}?as_of=2026-03-01")).await.json();
    assert_eq!(after["members"][0]["health"]["code"], "serious_illness");
    // Known before the change was recorded, March reads as healthy.
    let known = app
        .get(&format!(
            "{uri}?as_of=2026-06-01&known_at=2026-03-01T12:00:00%2B08:00"
        ))
        .await
        .json();
    assert_eq!(known["members"][0]["health"]["code"], "healthy");
    assert_eq!(known["known_at"], "2026-03-01T12:00:00+08:00");
}

#[tokio::test]
async fn a_malformed_as_of_is_a_400_naming_the_parameter() {
    let app = TestApp::spawn().await;
    for uri in [
        format!("/api/v1/households/{}?as_of=2026-13-01", app.changtang.0),
        "/api/v1/households?as_of=yesterday".to_owned(),
    ] {
        let res = app.get(&uri).await;
        let error = assert_envelope(&res, StatusCode::BAD_REQUEST, "bad_request");
        assert_eq!(error["parameter"], "as_of");
        assert!(error["detail"].as_str().unwrap().contains("YYYY-MM-DD"));
    }
    let res = app.get("/api/v1/households?known_at=soon").await;
    let error = assert_envelope(&res, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(error["parameter"], "known_at");
}

#[tokio::test]
async fn other_bad_query_parameters_are_400s_never_500s() {
    let app = TestApp::spawn().await;
    let cases = [
        ("/api/v1/households?page=abc", "page"),
        ("/api/v1/households?page=0", "page"),
        ("/api/v1/households?per_page=100000", "per_page"),
        ("/api/v1/households?region=43x", "region"),
        ("/api/v1/households?type=rich", "type"),
        ("/api/v1/regions?parent=1", "parent"),
    ];
    for (uri, parameter) in cases {
        let res = app.get(uri).await;
        let error = assert_envelope(&res, StatusCode::BAD_REQUEST, "bad_request");
        assert_eq!(error["parameter"], parameter, "{uri}");
    }
    // A query string that cannot be decoded at all.
    let res = app.get("/api/v1/households?as_of=%FF%FE&as_of=2").await;
    assert_envelope(&res, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn an_unknown_household_or_path_is_a_404_envelope() {
    let app = TestApp::spawn().await;
    for uri in [
        "/api/v1/households/999999",
        "/api/v1/households/abc",
        "/api/v1/households/999999/history",
        "/api/v1/nothing-here",
        "/api/elsewhere",
    ] {
        let res = app.get(uri).await;
        assert_envelope(&res, StatusCode::NOT_FOUND, "not_found");
    }
    // Before it was registered, the household did not exist.
    let res = app
        .get(&format!(
            "/api/v1/households/{}?as_of=2019-01-01",
            app.changtang.0
        ))
        .await;
    assert_envelope(&res, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_envelope() {
    let app = TestApp::spawn().await;
    let req = axum::http::Request::post("/api/v1/households")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.send(req).await;
    assert_envelope(&res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn the_history_lists_every_version_newest_first() {
    let app = TestApp::spawn().await;
    let res = app
        .get(&format!("/api/v1/households/{}/history", app.changtang.0))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(!res.body.contains(&app.head_id_number));
    let json = res.json();
    let items = json["items"].as_array().unwrap();
    // The household, two members, one income, and the head's change.
    assert_eq!(items.len(), 5, "{json}");
    let newest = &items[0];
    assert_eq!(newest["kind"], "person");
    assert_eq!(newest["subject"], "张三");
    assert_eq!(newest["valid_from"], "2026-03-01");
    assert_eq!(newest["recorded_at"], "2026-03-02T10:00:00+08:00");
    assert_eq!(newest["actor"], "tester");
    assert_eq!(newest["reason"], "hospital visit");
    assert_eq!(newest["summary"], "health=serious_illness");
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"household") && kinds.contains(&"income"),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn regions_walk_down_from_the_provinces() {
    let app = TestApp::spawn().await;
    let provinces = app.get("/api/v1/regions").await.json();
    assert_eq!(provinces["items"][0]["name"], "黑龙江省");
    assert_eq!(provinces["items"][1]["name"], "湖南省");
    assert_eq!(provinces["items"][1]["level"], "province");
    let villages = app.get("/api/v1/regions?parent=431026102").await.json();
    let names: Vec<&str> = villages["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"长塘村"), "{names:?}");
    let res = app.get("/api/v1/regions?parent=439999").await;
    assert_envelope(&res, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn health_names_the_backend() {
    let app = TestApp::spawn().await;
    let json = app.get("/api/v1/health").await.json();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["backend"], "sqlite");
}
