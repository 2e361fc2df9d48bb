//! Dashboards over HTTP: the page, its charts and drill-down links, small-cell suppression in
//! views and exports, the JSON API, the list's band filter and the home page.

use axum::http::{StatusCode, header};
use uplift_domain::access::Role;

use crate::support::{CHANGTANG, RESHUI, TestApp};

fn cell<'a>(view: &'a serde_json::Value, figure: &str, key: &str) -> &'a serde_json::Value {
    view["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == figure)
        .unwrap()["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap()
}

/// Page text with minijinja's escapes of `/` and `&` undone.
fn unescape(body: &str) -> String {
    body.replace("&#x2f;", "/").replace("&amp;", "&")
}

#[tokio::test]
async fn small_cells_are_suppressed_above_the_village_but_still_count() {
    let app = TestApp::spawn().await;
    // The county officer (汝城县) sees two households, each fewer than k = 5: "<5", total 2.
    let res = app.get_as(Role::CountyOfficer, "/api/v1/dashboard").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let view = res.json();
    assert_eq!(view["region"]["code"], "431026000000");
    assert_eq!(view["min_cell"], 5);
    assert_eq!(view["suppressing"], true);
    let fp = cell(&view, "households", "formerly_poor");
    assert_eq!(fp["display"], "<5");
    assert!(fp["value"].is_null());
    let households = view["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "households")
        .unwrap();
    assert_eq!(households["total"], 2);
    // Allowed to drill into it: the link to the list behind the cell stays.
    assert_eq!(
        fp["households_href"],
        "/households?region=431026&type=formerly_poor"
    );
    // The village cadre of 长塘村 sees its own numbers plainly.
    let res = app.get_as(Role::VillageCadre, "/api/v1/dashboard").await;
    let view = res.json();
    assert_eq!(view["suppressing"], false);
    assert_eq!(view["region"]["code"], CHANGTANG);
    let total: i64 = ["formerly_poor", "ordinary"]
        .iter()
        .map(|k| cell(&view, "households", k)["value"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 1);
    // But a file travels: the export suppresses for everyone.
    let res = app
        .get_as(Role::VillageCadre, "/dashboard/export?format=csv")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.header(header::CONTENT_TYPE).starts_with("text/csv"));
    assert!(res.body.contains("<5"), "{}", res.body);
    assert!(res.body.contains("长塘村"));
    let res = app
        .get_as(Role::CountyOfficer, "/dashboard/export?format=xlsx")
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header(header::CONTENT_DISPOSITION).contains(".xlsx"));
    let res = app
        .get_as(Role::CountyOfficer, "/dashboard/export?format=pdf")
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_page_draws_charts_and_links_down_to_children_and_households() {
    let app = TestApp::spawn().await;
    let res = app.get_as(Role::CountyOfficer, "/dashboard").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let body = &unescape(&res.body);
    assert!(body.contains("<svg"), "inline SVG charts");
    assert!(!body.contains("<script"), "no script");
    assert!(body.contains("汝城县"));
    assert!(
        body.contains("href=\"/dashboard?region=431026102\""),
        "a link to 热水镇"
    );
    assert!(body.contains("少于 5 户"), "the suppression note");
    // A township's page, in English, with breadcrumbs back to the county.
    let res = app
        .get_as(
            Role::CountyOfficer,
            &format!("/dashboard?region={RESHUI}&lang=en"),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("Below the line"));
    assert!(res.body.contains("aria-current=\"page\""));
    assert!(unescape(&res.body).contains("href=\"/dashboard?region=431026\""));
    // Outside the caller's region: not found; a bad code: a bad request.
    let res = app
        .get_as(Role::CountyOfficer, "/dashboard?region=2301")
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .get_as(Role::CountyOfficer, "/dashboard?region=12x")
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // A past point of view replays it: before the registry was recorded there was nothing.
    let res = app
        .get_as(
            Role::CountyOfficer,
            "/api/v1/dashboard?as_of=2021-06-01&known_at=2020-12-31T23:59:59%2B08:00",
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let households = res.json()["figures"][0]["total"].clone();
    assert_eq!(households, 0);
}

#[tokio::test]
async fn the_band_filter_lists_the_households_behind_a_band() {
    let app = TestApp::spawn().await;
    let view = app
        .get_as(Role::CountyOfficer, "/api/v1/dashboard")
        .await
        .json();
    let mut listed = 0;
    for band in ["below_line", "near_line", "above_near", "no_record"] {
        let res = app
            .get_as(
                Role::CountyOfficer,
                &format!("/api/v1/households?region=431026&band={band}"),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        listed += res.json()["total"].as_i64().unwrap();
    }
    let bands = view["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "income_bands")
        .unwrap();
    assert_eq!(bands["total"], listed);
    let res = app
        .get_as(Role::CountyOfficer, "/api/v1/households?band=poorish")
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = app
        .get_as(
            Role::CountyOfficer,
            "/households?region=431026&band=below_line",
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test]
async fn the_home_page_shows_the_callers_region_and_what_needs_action() {
    let app = TestApp::spawn().await;
    let res = app.get_as(Role::VillageCadre, "/").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("待我处理"));
    assert!(unescape(&res.body).contains("href=\"/dashboard?region=431026102202\""));
    let res = app.get_as(Role::DepartmentClerk, "/?lang=en").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("does not read the household registry"));
}
