//! No lost update over HTTP: many concurrent typed changes against the household version they
//! all loaded; exactly one is applied, every other one answers 409, per round.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use tower::ServiceExt;
use uplift_domain::access::Role;

use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_over_http_one_wins_the_rest_get_409() {
    let app = TestApp::spawn().await;
    let h = app.changtang.0;
    let login = app.login(Role::CountyOfficer).clone();
    for round in 0..4 {
        let loaded = app
            .get_as(Role::CountyOfficer, &format!("/api/v1/households/{h}"))
            .await
            .json();
        let version = loaded["version"].as_i64().unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for client in 0..12 {
            let router = app.router.clone();
            let login = login.clone();
            let body = json!({"expected_version": version, "reason": format!("并发修改 {round}-{client}"),
                "kind": "edit_household", "address": format!("长塘村 {round}-{client}")});
            tasks.spawn(async move {
                let req = Request::post(format!("/api/v1/households/{h}/changes"))
                    .header(header::COOKIE, &login.cookie)
                    .header("x-csrf-token", &login.csrf)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap();
                (client, router.oneshot(req).await.unwrap().status())
            });
        }
        let mut won = Vec::new();
        let mut conflicts = 0;
        while let Some(done) = tasks.join_next().await {
            match done.unwrap() {
                (client, StatusCode::OK) => won.push(client),
                (_, StatusCode::CONFLICT) => conflicts += 1,
                (_, other) => panic!("round {round}: {other}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: {won:?}");
        assert_eq!(conflicts, 11);
        let after = app
            .get_as(Role::CountyOfficer, &format!("/api/v1/households/{h}"))
            .await
            .json();
        assert_eq!(
            after["address"],
            json!(format!("长塘村 {round}-{}", won[0]))
        );
        assert!(after["version"].as_i64().unwrap() > version);
    }
}
