//! `/quality`: counts by rule over the stored registry, drill-down, ledger, scope and health.

use axum::http::{StatusCode, header};
use uplift_domain::access::Role;

use crate::support::TestApp;

#[tokio::test]
async fn quality_counts_drill_down_and_ledger_stay_in_scope() {
    let app = TestApp::spawn().await;
    // 张三 is seriously ill and the household's 2025 income shows no out-of-pocket costs.
    let page = app
        .get_as(Role::TownshipReviewer, "/quality?region=431026102")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for needle in ["数据质量", "S_HEAD", "5_15_020", "rule=5_15_020", "热水镇"] {
        assert!(page.body.contains(needle), "{needle}");
    }
    let drill = app
        .get_as(
            Role::TownshipReviewer,
            "/quality?region=431026102&rule=5_15_020&lang=en",
        )
        .await;
    assert!(drill.body.contains("431026102202-0001"));
    assert!(
        drill
            .body
            .contains(&format!("&#x2f;households&#x2f;{}\"", app.changtang.0))
    );
    assert!(drill.body.contains("has ill members"));

    let ledger = app
        .get_as(
            Role::CountyAdmin,
            "/quality/ledger.csv?region=431026&lang=en",
        )
        .await;
    assert_eq!(ledger.status, StatusCode::OK, "{}", ledger.body);
    assert!(ledger.header(header::CONTENT_TYPE).starts_with("text/csv"));
    let lines: Vec<&str> = ledger.body.lines().collect();
    assert!(lines[0].contains("household_no") && lines[0].contains("rule"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("431026102202-0001,5_15_020"))
    );
    let again = app
        .get_as(
            Role::CountyAdmin,
            "/quality/ledger.csv?region=431026&lang=en",
        )
        .await;
    assert_eq!(ledger.body, again.body, "the same data gives the same file");
    let xlsx = app
        .get_as(Role::CountyAdmin, "/quality/ledger.xlsx?region=431026")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.header(header::CONTENT_TYPE).contains("spreadsheetml"));

    // Outside the scope: nothing, even when asked for by region.
    let harbin = app
        .get_as(Role::CountyAdmin, "/quality/ledger.csv?region=230102")
        .await;
    assert_eq!(harbin.status, StatusCode::OK);
    assert_eq!(harbin.body.lines().count(), 1, "{}", harbin.body);

    // A role that does not see health gets the count but not the household.
    let viewer = app
        .get_as(Role::CityViewer, "/quality?region=4310&rule=5_15_020")
        .await;
    assert_eq!(viewer.status, StatusCode::OK, "{}", viewer.body);
    assert!(viewer.body.contains("涉及健康信息的问题只计数"));
    assert!(!viewer.body.contains("431026102202-0001"));
    let viewer_ledger = app
        .get_as(Role::CityViewer, "/quality/ledger.csv?region=4310")
        .await;
    assert!(!viewer_ledger.body.contains("5_15_020"));
}
