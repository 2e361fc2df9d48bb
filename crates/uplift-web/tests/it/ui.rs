//! The HTML pages, in Chinese and English.

use axum::http::{StatusCode, header};

use crate::support::{CHANGTANG, TestApp};

#[tokio::test]
async fn the_root_is_a_home_page_behind_the_login() {
    let app = TestApp::spawn().await;
    let res = app.get_anonymous("/").await;
    assert!(res.status.is_redirection(), "{}", res.status);
    assert!(res.header(header::LOCATION).starts_with("/login"));
    let res = app.get("/").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test]
async fn the_household_list_is_a_chinese_ledger_with_real_village_names() {
    let app = TestApp::spawn().await;
    let res = app.get("/households").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.header(header::CONTENT_TYPE).starts_with("text/html"));
    let html = &res.body;
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("防返贫监测 · Uplift"));
    assert!(html.contains("农户台账"));
    assert!(html.contains("长塘村") && html.contains("水龙村"), "{html}");
    assert!(html.contains("431026102202-0001"));
    assert!(html.contains("共 2 户"));
    assert!(
        html.contains("湖南省"),
        "the province is offered as a region"
    );
    assert!(html.contains("?lang=en"), "a language switch");
    assert!(!html.contains(&app.head_id_number));
}

#[tokio::test]
async fn the_list_filters_by_region_and_drills_down() {
    let app = TestApp::spawn().await;
    let res = app.get(&format!("/households?region={CHANGTANG}")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("共 1 户"));
    assert!(
        res.body.contains("汝城县") && res.body.contains("热水镇"),
        "breadcrumbs"
    );
    assert!(!res.body.contains("431026102203-0001"));
    let res = app.get("/households?region=431026102").await;
    assert!(
        res.body
            .contains("<option value=\"431026102202\">长塘村</option>"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn english_is_chosen_by_query_and_remembered_by_cookie() {
    let app = TestApp::spawn().await;
    let res = app.get("/households?lang=en").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("<html lang=\"en\">"));
    assert!(res.body.contains("Household ledger"));
    assert!(res.body.contains("Formerly poor"));
    assert!(res.header(header::SET_COOKIE).starts_with("lang=en;"));
    assert!(res.body.contains("?lang=zh"), "the switch back");

    let res = app.get_with_cookie("/households", "theme=x; lang=en").await;
    assert!(res.body.contains("Household ledger"));
    assert_eq!(res.header(header::SET_COOKIE), "");
}

#[tokio::test]
async fn the_household_page_shows_members_incomes_and_history_in_chinese() {
    let app = TestApp::spawn().await;
    let res = app.get(&format!("/households/{}", app.changtang.0)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = &res.body;
    assert!(html.contains("431026102202-0001"));
    for name in ["湖南省", "郴州市", "汝城县", "热水镇", "长塘村"] {
        assert!(html.contains(name), "{name}: {html}");
    }
    assert!(html.contains("长塘村3组"));
    assert!(html.contains("<td>户主</td>") && html.contains("<td>配偶</td>"));
    assert!(html.contains("<td>大病</td>"), "the head is ill now");
    assert!(html.contains("431026********"), "a masked ID");
    assert!(
        !html.contains(&app.head_id_number),
        "the full ID never appears"
    );
    assert!(html.contains("138****5678") && !html.contains("13812345678"));
    assert!(html.contains("8300.00"), "the monitoring line");
    assert!(html.contains("7000.00"), "per-capita net income");
    assert!(html.contains("低于监测范围"));
    assert!(
        html.contains("hospital visit"),
        "the history with its reason"
    );
    assert!(html.contains("健康状况: 大病"));
    assert!(
        !html.contains("class=\"banner\""),
        "today is not a past state"
    );
}

#[tokio::test]
async fn the_household_page_speaks_english() {
    let app = TestApp::spawn().await;
    let res = app
        .get(&format!("/households/{}?lang=en", app.changtang.0))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = &res.body;
    assert!(html.contains("Members") && html.contains("History"));
    assert!(html.contains("<td>Head</td>") && html.contains("<td>Spouse</td>"));
    assert!(html.contains("<td>Serious illness</td>"));
    assert!(html.contains("Below the line"));
    assert!(!html.contains("<td>户主</td>"));
    assert!(!html.contains(&app.head_id_number));
}

#[tokio::test]
async fn a_past_as_of_shows_the_old_state_with_a_banner() {
    let app = TestApp::spawn().await;
    let res = app
        .get(&format!("/households/{}?as_of=2026-02-28", app.changtang.0))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = &res.body;
    assert!(html.contains("class=\"banner\""));
    assert!(html.contains("截至 2026-02-28"));
    assert!(!html.contains("<td>大病</td>"), "the head was healthy then");
    assert!(html.contains("value=\"2026-02-28\""));

    let res = app
        .get(&format!(
            "/households/{}?as_of=2026-06-01&known_at=2026-03-01T12:00",
            app.changtang.0
        ))
        .await;
    assert!(res.body.contains("2026-03-01 12:00"), "{}", res.body);
    assert!(!res.body.contains("<td>大病</td>"), "not yet known then");
}

#[tokio::test]
async fn text_is_escaped() {
    let app = TestApp::spawn().await;
    let res = app.get(&format!("/households/{}", app.shuilong.0)).await;
    assert!(
        res.body.contains("水龙村&lt;b&gt;1组&lt;&#x2f;b&gt;")
            || res.body.contains("水龙村&lt;b&gt;1组&lt;/b&gt;"),
        "{}",
        res.body
    );
    let res = app.get("/households?q=%3Cscript%3E").await;
    assert!(!res.body.contains("<script>"));
}

#[tokio::test]
async fn bad_parameters_and_unknown_households_are_html_error_pages() {
    let app = TestApp::spawn().await;
    let res = app
        .get(&format!("/households/{}?as_of=2026-02-30", app.changtang.0))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.header(header::CONTENT_TYPE).starts_with("text/html"));
    assert!(res.body.contains("as_of"), "{}", res.body);
    let res = app.get("/households?page=x&lang=en").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("A parameter is wrong"));
    for uri in ["/households/999999", "/households/abc", "/nowhere"] {
        let res = app.get(uri).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(res.body.contains("没有找到"), "{uri}");
    }
}
