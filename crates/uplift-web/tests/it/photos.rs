//! Visit photos from a plain multipart form: a good upload is stored and shown on the
//! assistance page, served by Uplift with the session checked and `no-store`; a photo too large
//! or of the wrong type is refused with a clear message and nothing is written.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use uplift_domain::access::Role;
use uplift_domain::attachment::MAX_ATTACHMENT_BYTES;

use crate::support::TestApp;

const BOUNDARY: &str = "UPLIFTPHOTO";

fn jpeg(size: usize) -> Vec<u8> {
    let mut b = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    let mut i = 0u8;
    while b.len() < size {
        b.push(i);
        i = i.wrapping_add(1);
    }
    b
}

/// A visit form with one photo; `csrf` as a field (the page) or none (the API uses a header).
fn form(csrf: Option<&str>, filename: &str, content_type: &str, photo: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut text = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    if let Some(token) = csrf {
        text("csrf", token);
    }
    text("date", "2026-11-20");
    text("visitor", "帮扶人 陈");
    text("income_above_line", "ok");
    text("housing_ok", "problem");
    text("findings", "务工收入稳定，房屋漏雨");
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload_page(app: &TestApp, household: i64, body: Vec<u8>) -> (StatusCode, String) {
    let login = app.login(Role::VillageCadre);
    let (status, _, bytes) = app
        .send_raw(
            Request::post(format!("/households/{household}/visit-uploads"))
                .header(header::COOKIE, &login.cookie)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn upload_api(app: &TestApp, household: i64, body: Vec<u8>) -> (StatusCode, String) {
    let login = app.login(Role::VillageCadre);
    let (status, _, bytes) = app
        .send_raw(
            Request::post(format!("/api/v1/households/{household}/visit-uploads"))
                .header(header::COOKIE, &login.cookie)
                .header("x-csrf-token", &login.csrf)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn visits(app: &TestApp, household: i64) -> serde_json::Value {
    let a = app
        .get_as(
            Role::VillageCadre,
            &format!("/api/v1/households/{household}/visits"),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()["items"].clone()
}

#[tokio::test]
async fn a_good_photo_is_stored_shown_and_served_privately() {
    let app = TestApp::spawn().await;
    let h = app.changtang.0;
    let login = app.login(Role::VillageCadre);
    let photo = jpeg(150 * 1024);
    let (status, body) = upload_page(
        &app,
        h,
        form(Some(&login.csrf), "IMG_0001.jpg", "image/jpeg", &photo),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");

    let items = visits(&app, h).await;
    let visit = items
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["findings"] == "务工收入稳定，房屋漏雨")
        .expect("the visit was recorded");
    assert_eq!(visit["income_above_line"], true);
    assert_eq!(visit["housing_ok"], false);
    let photos = visit["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0]["filename"], "IMG_0001.jpg");
    assert_eq!(photos[0]["size"], photo.len());
    let id = photos[0]["id"].as_i64().unwrap();

    // The assistance page shows it, and both the page and the API serve it, never cached.
    let page = app
        .get_as(Role::VillageCadre, &format!("/households/{h}/assistance"))
        .await;
    let src = format!("/households/{h}/photos/{id}");
    assert!(page.body.contains(&src), "{}", page.body);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    for uri in [src.clone(), format!("/api/v1/households/{h}/photos/{id}")] {
        let (status, headers, bytes) = app.get_raw_as(Role::VillageCadre, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(bytes, photo, "{uri}");
    }
    // Not through another household's path, not outside the scope, not without a session.
    let (status, _, _) = app
        .get_raw_as(
            Role::VillageCadre,
            &format!("/households/{}/photos/{id}", app.shuilong.0),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .get_raw_as(
            Role::DepartmentClerk,
            &format!("/api/v1/households/{h}/photos/{id}"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let anonymous = app
        .get_anonymous(&format!("/api/v1/households/{h}/photos/{id}"))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // The API takes the same form (token in the header) and answers the new ids.
    let (status, body) = upload_api(
        &app,
        h,
        form(None, "b.png", "image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(created["photos"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_photo_too_large_is_refused_with_the_sizes_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let h = app.changtang.0;
    let login = app.login(Role::VillageCadre);
    let before = visits(&app, h).await.as_array().unwrap().len();

    // Just over the limit: the page shows the photo's size and the limit beside the form.
    let (status, body) = upload_page(
        &app,
        h,
        form(
            Some(&login.csrf),
            "big.jpg",
            "image/jpeg",
            &jpeg(MAX_ATTACHMENT_BYTES + 1),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("big.jpg: the file is 2.0 MB and the limit is 2.0 MB"),
        "{body}"
    );
    assert!(body.contains("role=\"alert\""));

    // Far over it: the body limit stops the upload early, with the limit named.
    let (status, body) = upload_api(
        &app,
        h,
        form(None, "huge.jpg", "image/jpeg", &jpeg(5 * 1024 * 1024)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("limit of 2.0 MB"), "{body}");

    assert_eq!(visits(&app, h).await.as_array().unwrap().len(), before);
}

#[tokio::test]
async fn a_photo_of_the_wrong_type_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let h = app.changtang.0;
    let before = visits(&app, h).await.as_array().unwrap().len();
    let cases: [(&str, &str, &[u8], &str); 4] = [
        (
            "a.gif",
            "image/gif",
            b"GIF89a\x01\x00\x01\x00",
            "a GIF image",
        ),
        (
            "a.heic",
            "image/heic",
            b"\0\0\0\x18ftypheic\0\0\0\0",
            "HEIC",
        ),
        (
            "a.jpg",
            "image/jpeg",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            "is image/png but was sent as image/jpeg",
        ),
        (
            "scan.pdf",
            "application/pdf",
            b"%PDF-1.7\n%%EOF\n",
            "must be a JPEG or PNG",
        ),
    ];
    for (name, ct, bytes, message) in cases {
        let (status, body) = upload_api(&app, h, form(None, name, ct, bytes)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert!(body.contains(message), "{name}: {body}");
        assert!(body.contains(name), "the message names the file: {body}");
    }
    assert_eq!(visits(&app, h).await.as_array().unwrap().len(), before);
}
