//! The OpenAPI document, the Swagger UI served from the binary, and the static assets.

use axum::http::{StatusCode, header};

use crate::support::TestApp;

#[tokio::test]
async fn the_openapi_document_lists_every_v1_path() {
    let doc: serde_json::Value = serde_json::from_str(&uplift_web::openapi_json()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/health",
        "/api/v1/households",
        "/api/v1/households/{id}",
        "/api/v1/households/{id}/history",
        "/api/v1/regions",
        "/api/v1/households/{id}/unmask",
        "/api/v1/session",
        "/api/v1/audit",
        "/api/v1/households/export",
        "/api/v1/imports/{id}",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/actions",
        "/api/v1/households/{id}/cases",
        "/api/v1/households/{id}/elimination",
        "/api/v1/households/{id}/eligibility",
        "/api/v1/households/{id}/measures",
        "/api/v1/households/{id}/visits",
        "/api/v1/households/{id}/timeline",
        "/api/v1/households/{id}/changes",
        "/api/v1/imports",
        "/api/v1/warnings",
        "/api/v1/warnings/{id}",
        "/api/v1/screening-runs",
        "/api/v1/feeds",
        "/api/v1/cases/{id}/notice.pdf",
        "/api/v1/cases/{id}/announcement.pdf",
        "/api/v1/households/{id}/assistance-card.pdf",
        "/api/v1/households/{id}/visit-uploads",
        "/api/v1/households/{id}/photos/{photo}",
        "/api/v1/projects",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{id}/actions",
        "/api/v1/projects/{id}/assets",
        "/api/v1/projects/{id}/asset-events",
        "/api/v1/assets",
        "/api/v1/fund-plans",
        "/api/v1/fund-plans/{id}/trace",
        "/api/v1/allocations",
        "/api/v1/households/{id}/trace",
        "/api/v1/project-imports",
        "/api/v1/villages",
        "/api/v1/villages/{region}/profile",
        "/api/v1/villages/{region}/indicators",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{id}",
        "/api/v1/campaigns/{id}/households",
        "/api/v1/campaigns/{id}/visits",
        "/api/v1/samples",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    assert_eq!(paths.len(), 60, "{:?}", paths.keys());
    let params: Vec<&str> = doc["paths"]["/api/v1/households"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "region", "type", "q", "page", "per_page", "as_of", "known_at",
    ] {
        assert!(params.contains(&name), "{name} missing from {params:?}");
    }

    let app = TestApp::spawn().await;
    let served = app.get("/api/openapi.json").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.json()["paths"], doc["paths"]);
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary_without_outside_calls() {
    let app = TestApp::spawn().await;
    let index = app.get("/api/docs/").await;
    assert_eq!(index.status, StatusCode::OK, "{}", index.body);
    assert!(index.body.contains("swagger"), "{}", index.body);
    let redirect = app.get("/api/docs").await;
    assert!(redirect.status.is_redirection() || redirect.status.is_success());

    let init = app.get("/api/docs/swagger-initializer.js").await;
    assert_eq!(init.status, StatusCode::OK);
    assert!(init.body.contains("/api/openapi.json"), "{}", init.body);
    assert!(
        init.body.contains("\"validatorUrl\": \"none\"")
            || init.body.contains("\"validatorUrl\":\"none\""),
        "{}",
        init.body
    );
    for page in [&index.body, &init.body] {
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
    }
    let bundle = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status, StatusCode::OK);
    assert!(bundle.body.len() > 100_000);
}

#[tokio::test]
async fn the_stylesheet_is_served_with_long_cache_headers() {
    let app = TestApp::spawn().await;
    let page = app.get("/households").await;
    // Attribute values are HTML-escaped (`/` is `&#x2f;`); a browser decodes them.
    let body = page.body.replace("&#x2f;", "/").replace("&amp;", "&");
    let href = body
        .split("href=\"")
        .find(|s| s.starts_with("/static/uplift.css"))
        .and_then(|s| s.split('"').next())
        .expect("a stylesheet link");
    let css = app.get(href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header(header::CONTENT_TYPE).starts_with("text/css"));
    assert!(
        css.header(header::CACHE_CONTROL)
            .contains("max-age=31536000")
    );
    assert!(css.body.contains(".ledger"));
    assert!(!css.body.contains("http"), "no outside fonts or images");
}
