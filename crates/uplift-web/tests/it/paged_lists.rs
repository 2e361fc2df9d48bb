//! Lists page through any size (issue 7): the case queue and the visit schedule render one page
//! of `per_page` rows with a total and previous/next links that keep the filters; pages taken in
//! turn hold every row exactly once; a page past the end is empty; a bad `page` is a 400 page;
//! and the Excel export of a paged list still holds every row.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use uplift_domain::access::Role;

use crate::list_exports::{workbook, xlsx_link};
use crate::support::TestApp;

/// The ids in links `prefix{id}suffix` of the page's table, in order.
fn linked_ids(body: &str, prefix: &str, suffix: &str) -> Vec<i64> {
    let table = match body.find("<table class=\"ledger\">") {
        Some(at) => &body[at..],
        None => return Vec::new(),
    };
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split(&format!("href=\"{prefix}"))
        .skip(1)
        .filter_map(|s| s.split_once(suffix).and_then(|(id, _)| id.parse().ok()))
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
}

/// Walks the list from `first` following the "next" links; the ids of each page.
async fn walk(app: &TestApp, role: Role, first: &str, prefix: &str, suffix: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut uri = first.to_owned();
    loop {
        let page = app.get_as(role, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
        pages.push(linked_ids(&page.body, prefix, suffix));
        let body = unescape(&page.body);
        let Some(next) = body
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split_once('"'))
            .find(|(_, rest)| rest.trim_start().starts_with("rel=\"next\""))
            .map(|(h, _)| h.to_owned())
        else {
            break;
        };
        assert!(pages.len() < 50, "the pager does not end");
        uri = next;
    }
    pages
}

#[tokio::test]
async fn the_case_queue_and_the_visit_schedule_page_through_any_size() {
    let app = TestApp::spawn().await;
    let county = Role::CountyAdmin;
    // A second case in the county: the queue then holds two.
    let login = app.login(county);
    let opened = app
        .send(
            Request::post(format!("/api/v1/households/{}/cases", app.shuilong.0))
                .header(header::COOKIE, &login.cookie)
                .header("x-csrf-token", &login.csrf)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"channel": "department_warning", "clue_date": "2026-11-24",
                           "summary": "医保部门预警", "risk_hint": "01"})
                    .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let second = opened.json()["id"].as_i64().unwrap();

    // The whole queue on one page, then one case a page.
    let whole = app.get_as(county, "/cases?lang=en").await;
    let all = linked_ids(&whole.body, "/cases/", "\"");
    assert_eq!(
        all.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([app.case_in, second])
    );
    assert!(whole.body.contains("2 cases"), "the total");
    assert!(whole.body.contains("Page 1 of 1"));
    let pages = walk(&app, county, "/cases?per_page=1&lang=en", "/cases/", "\"").await;
    assert_eq!(
        pages,
        vec![vec![all[0]], vec![all[1]]],
        "one case a page, in order"
    );
    let last = app.get_as(county, "/cases?per_page=1&page=2&lang=en").await;
    assert!(last.body.contains("Page 2 of 2"));
    assert!(last.body.contains("rel=\"prev\""));
    // Past the end: no rows, the total still right.
    let past = app.get_as(county, "/cases?per_page=1&page=3&lang=en").await;
    assert_eq!(past.status, StatusCode::OK);
    assert!(linked_ids(&past.body, "/cases/", "\"").is_empty());
    assert!(past.body.contains("2 cases"));
    // The filters stay in the links.
    let filtered = app
        .get_as(county, "/cases?stage=clue&per_page=1&lang=en")
        .await;
    assert!(
        unescape(&filtered.body).contains("stage=clue&per_page=1&page=2"),
        "{}",
        filtered.body
    );
    for bad in ["page=x", "per_page=0x", "per_page=501"] {
        let res = app.get_as(county, &format!("/cases?{bad}")).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // The export of a page holds every case.
    let (_, rows) = workbook(&app, county, &xlsx_link("/cases", &last.body)).await;
    assert_eq!(rows.len(), 2, "the export holds the whole queue");

    // The visit schedule of the county: its two households, one a page.
    let whole = app.get_as(county, "/visits?lang=en").await;
    let prefix = "/households/";
    let all = linked_ids(&whole.body, prefix, "/assistance");
    assert_eq!(
        all.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([app.changtang.0, app.shuilong.0])
    );
    assert!(whole.body.contains("2 households"));
    let pages = walk(
        &app,
        county,
        "/visits?per_page=1&lang=en",
        prefix,
        "/assistance",
    )
    .await;
    assert_eq!(pages.len(), 2);
    let seen: BTreeSet<i64> = pages.iter().flatten().copied().collect();
    assert_eq!(seen.len(), 2, "every household once: {pages:?}");
    assert!(pages.iter().all(|p| p.len() == 1));
    let res = app.get_as(county, "/visits?page=0x").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let paged = app.get_as(county, "/visits?per_page=1").await;
    let (_, rows) = workbook(&app, county, &xlsx_link("/visits", &paged.body)).await;
    assert_eq!(rows.len(), 2, "the export holds every household");
}
