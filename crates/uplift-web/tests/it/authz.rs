//! The authorization matrix: every route of the API (from the OpenAPI document) and of the UI,
//! for every role inside and outside its scope, and without a session, against the policy table
//! `authorization.csv`. Then CSRF, masking in JSON and HTML, and the audit of unmasking.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use uplift_domain::access::{Role, SensitiveField, Visibility};

use crate::support::{Answer, CHANGTANG, HARBIN_VILLAGE, Login, PASSWORD, TestApp, role_user};

const POLICY: &str = include_str!("../../authorization.csv");

const ROLES: [Role; 9] = [
    Role::VillageCadre,
    Role::Helper,
    Role::TownshipReviewer,
    Role::CountyOfficer,
    Role::CountyAdmin,
    Role::CityViewer,
    Role::ProvinceViewer,
    Role::DepartmentClerk,
    Role::Auditor,
];

struct Row {
    method: String,
    path: String,
    csrf: String,
    /// The anonymous cell, then one per role in [`ROLES`] order.
    cells: Vec<String>,
}

fn policy() -> Vec<Row> {
    let mut lines = POLICY
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let expected_header: Vec<String> = ["method", "path", "csrf", "anonymous"]
        .iter()
        .map(|s| s.to_string())
        .chain(
            ROLES
                .iter()
                .map(|r| uplift_domain::household::Codebook::code(*r).to_owned()),
        )
        .collect();
    assert_eq!(header, expected_header, "authorization.csv header");
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "row {line:?}");
            Row {
                method: cells[0].to_owned(),
                path: cells[1].to_owned(),
                csrf: cells[2].to_owned(),
                cells: cells[3..].iter().map(|c| c.to_string()).collect(),
            }
        })
        .collect()
}

/// Where the caller is in relation to the target.
#[derive(Clone, Copy, Debug)]
enum Place {
    In,
    Out,
}

fn expected(cell: &str, place: Place) -> &str {
    match cell.split_once('/') {
        Some((inside, outside)) => match place {
            Place::In => inside,
            Place::Out => outside,
        },
        None => cell,
    }
}

fn household_numbers() -> [&'static str; 3] {
    [
        "431026102202-0001",
        "431026102203-0001",
        "230102001001-0001",
    ]
}

struct Call<'a> {
    method: &'a str,
    uri: String,
    cookie: Option<String>,
    csrf_header: Option<String>,
    body: Body,
    content_type: Option<&'static str>,
}

async fn send(app: &TestApp, call: Call<'_>) -> Answer {
    let mut req = Request::builder().method(call.method).uri(&call.uri);
    if let Some(cookie) = call.cookie {
        req = req.header(header::COOKIE, cookie);
    }
    if let Some(token) = call.csrf_header {
        req = req.header("x-csrf-token", token);
    }
    if let Some(ct) = call.content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    app.send(req.body(call.body).unwrap()).await
}

/// Builds the request of a policy row for a caller and place. `csrf` is the token to send
/// (the session's, a wrong one, or none).
async fn request(
    app: &TestApp,
    row: &Row,
    role: Option<Role>,
    login: Option<&Login>,
    place: Place,
    csrf: Option<&str>,
) -> Answer {
    let id = match (place, row.path.contains("/warnings/")) {
        (Place::In, false) => app.changtang.0,
        (Place::Out, false) => app.harbin.0,
        (Place::In, true) => app.warning_in,
        (Place::Out, true) => app.warning_out,
    };
    let region = match place {
        Place::In => CHANGTANG,
        Place::Out => HARBIN_VILLAGE,
    };
    let id = if row.path.contains("/cases/{id}") {
        match place {
            Place::In => app.case_in,
            Place::Out => app.case_out,
        }
    } else if row.path.contains("/projects/{id}") {
        match place {
            Place::In => app.project_in,
            Place::Out => app.project_out,
        }
    } else if row.path.contains("/plans/{id}") || row.path.contains("/fund-plans/{id}") {
        match place {
            Place::In => app.plan_in,
            Place::Out => app.plan_out,
        }
    } else {
        id
    };
    let mut uri = row
        .path
        .replace("{id}", &id.to_string())
        .replace("{region}", region);
    if row.path == "/api/v1/households" || row.path == "/api/v1/dashboard" {
        uri = format!("{uri}?region={region}");
    }
    let cookie = login.map(|l| l.cookie.clone());
    let username = role.map(role_user).unwrap_or_else(|| "nobody".into());
    let password = if role.is_some() {
        PASSWORD
    } else {
        "wrong-password"
    };
    match (row.method.as_str(), row.path.as_str()) {
        ("POST", "/api/v1/session") => {
            let body = serde_json::json!({"username": username, "password": password});
            send(
                app,
                Call {
                    method: "POST",
                    uri,
                    cookie: None,
                    csrf_header: None,
                    body: Body::from(body.to_string()),
                    content_type: Some("application/json"),
                },
            )
            .await
        }
        ("POST", "/login") => {
            let form = app.get_anonymous("/login").await;
            let bound = form
                .header(header::SET_COOKIE)
                .split(';')
                .next()
                .unwrap()
                .to_owned();
            let token = bound.split_once('=').unwrap().1.to_owned();
            let body =
                format!("username={username}&password={password}&csrf={token}&next=%2Fhouseholds");
            send(
                app,
                Call {
                    method: "POST",
                    uri,
                    cookie: Some(bound),
                    csrf_header: None,
                    body: Body::from(body),
                    content_type: Some("application/x-www-form-urlencoded"),
                },
            )
            .await
        }
        ("POST", "/imports" | "/api/v1/imports") => {
            let page = row.path == "/imports";
            let body = crate::support::multipart_upload(
                if page { csrf } else { None },
                "households",
                "dry_run",
                "registry.csv",
                crate::support::HEADER_ONLY_REGISTRY.as_bytes(),
            );
            send(
                app,
                Call {
                    method: "POST",
                    uri,
                    cookie,
                    csrf_header: if page { None } else { csrf.map(str::to_owned) },
                    body: Body::from(body),
                    content_type: Some(crate::support::MULTIPART_TYPE),
                },
            )
            .await
        }
        ("POST", "/households/{id}/visit-uploads" | "/api/v1/households/{id}/visit-uploads") => {
            // A visit without a date (refused, so nothing is written), as a multipart form.
            let page = !row.path.starts_with("/api/");
            let mut body = String::new();
            if let (true, Some(token)) = (page, csrf) {
                body.push_str(&format!(
                    "--UPLIFTBOUNDARY\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
                ));
            }
            body.push_str(
                "--UPLIFTBOUNDARY\r\nContent-Disposition: form-data; name=\"findings\"\r\n\r\nx\r\n\
                 --UPLIFTBOUNDARY--\r\n",
            );
            send(
                app,
                Call {
                    method: "POST",
                    uri,
                    cookie,
                    csrf_header: if page { None } else { csrf.map(str::to_owned) },
                    body: Body::from(body),
                    content_type: Some("multipart/form-data; boundary=UPLIFTBOUNDARY"),
                },
            )
            .await
        }
        ("POST", "/api/v1/feeds" | "/feeds") => {
            // A department feed upload: multipart with the feed kind, the file and, for the
            // page, the CSRF token as a field.
            let page = !row.path.starts_with("/api/");
            let body = feed_upload_body(if page { csrf } else { None });
            send(
                app,
                Call {
                    method: "POST",
                    uri,
                    cookie,
                    csrf_header: if page { None } else { csrf.map(str::to_owned) },
                    body: Body::from(body),
                    content_type: Some("multipart/form-data; boundary=UPLIFTBOUNDARY"),
                },
            )
            .await
        }
        ("POST", path) if !path.starts_with("/api/") => {
            // A case step that changes nothing: a rejection without a reason.
            let step = if path.ends_with("/actions") {
                "&command=reject&version=1&reason="
            } else {
                ""
            };
            let body = match csrf {
                Some(token) => format!("csrf={token}&reason=%E6%A0%B8%E5%AE%9E%E8%BA%AB%E4%BB%BD"),
                None => "reason=%E6%A0%B8%E5%AE%9E".to_owned(),
            };
            let body = if step.is_empty() {
                body
            } else {
                format!("{}{step}", body.split("&reason=").next().unwrap_or(""))
            };
            send(
                app,
                Call {
                    method: "POST",
                    uri,
                    cookie,
                    csrf_header: None,
                    body: Body::from(body),
                    content_type: Some("application/x-www-form-urlencoded"),
                },
            )
            .await
        }
        (method, _) => {
            let body = if method == "POST" && row.path.ends_with("/actions") {
                let step = serde_json::json!({"command": "reject", "version": 1, "reason": ""});
                Body::from(step.to_string())
            } else if method == "POST" {
                Body::from(serde_json::json!({"reason": "核实身份"}).to_string())
            } else {
                Body::empty()
            };
            send(
                app,
                Call {
                    method,
                    uri,
                    cookie,
                    csrf_header: csrf.map(str::to_owned),
                    body,
                    content_type: (method == "POST").then_some("application/json"),
                },
            )
            .await
        }
    }
}

/// A multipart upload of a small medical feed naming nobody in the registry.
fn feed_upload_body(csrf: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(token) = csrf {
        body.push_str(&format!(
            "--UPLIFTBOUNDARY\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
        ));
    }
    body.push_str(
        "--UPLIFTBOUNDARY\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nmedical\r\n\
         --UPLIFTBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n\
         id_number,settlement_date,total_cost,compliant_out_of_pocket\n\
         11010519491231002X,2026-11-01,100,50\n\r\n--UPLIFTBOUNDARY--\r\n",
    );
    body
}

fn check(answer: &Answer, expected: &str, what: &str, other_scope_numbers: &[&str]) {
    let (status, empty) = match expected.strip_suffix('e') {
        Some(s) => (s, true),
        None => (expected, false),
    };
    let status: u16 = status
        .parse()
        .unwrap_or_else(|_| panic!("bad cell {expected:?}"));
    assert_eq!(
        answer.status.as_u16(),
        status,
        "{what}: expected {expected}, body {}",
        &answer.body[..answer.body.len().min(300)]
    );
    if empty {
        for no in other_scope_numbers {
            assert!(!answer.body.contains(no), "{what}: {no} leaked");
        }
    }
}

/// A session of its own for calls that end the session.
async fn fresh_login(app: &TestApp, role: Role) -> Login {
    app.log_in(&role_user(role), PASSWORD).await.unwrap()
}

#[tokio::test]
async fn every_route_is_declared_in_the_policy_table() {
    let rows = policy();
    let declared: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.path.split('?').next().unwrap().to_owned(),
            )
        })
        .collect();
    let doc: serde_json::Value = serde_json::from_str(&uplift_web::openapi_json()).unwrap();
    let mut routes: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    for (method, path) in uplift_web::page_routes() {
        routes.push((method.to_string(), path.to_string()));
    }
    for route in &routes {
        assert!(
            declared.contains(route),
            "{route:?} has no row in authorization.csv"
        );
    }
    for route in &declared {
        assert!(
            routes.contains(route),
            "authorization.csv declares {route:?}, which is not a route"
        );
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_policy_table_says() {
    let app = TestApp::spawn().await;
    let rows = policy();
    let mut checked = 0;
    for row in &rows {
        let scoped = row.cells.iter().any(|c| c.contains('/'));
        let places: &[Place] = if scoped {
            &[Place::In, Place::Out]
        } else {
            &[Place::In]
        };
        // Without a session.
        for place in places {
            let answer = request(&app, row, None, None, *place, None).await;
            let what = format!("{} {} anonymous {place:?}", row.method, row.path);
            check(
                &answer,
                expected(&row.cells[0], *place),
                &what,
                &household_numbers(),
            );
            checked += 1;
        }
        for (i, role) in ROLES.iter().enumerate() {
            for place in places {
                let ends_session = matches!(row.path.as_str(), "/logout" | "/api/v1/session")
                    && row.method != "GET";
                let login = if ends_session {
                    fresh_login(&app, *role).await
                } else {
                    app.login(*role).clone()
                };
                let csrf = (row.csrf == "session").then_some(login.csrf.as_str());
                let answer = request(&app, row, Some(*role), Some(&login), *place, csrf).await;
                let what = format!("{} {} as {role:?} {place:?}", row.method, row.path);
                let others: Vec<&str> = match place {
                    Place::In => vec!["230102001001-0001"],
                    Place::Out => household_numbers().to_vec(),
                };
                check(&answer, expected(&row.cells[i + 1], *place), &what, &others);
                checked += 1;
            }
        }
    }
    // 20 routes × (1 + 9 roles) × 1 or 2 places.
    assert!(checked > 250, "only {checked} checks ran");
}

#[tokio::test]
async fn changing_requests_without_the_right_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    for row in policy().iter().filter(|r| r.csrf == "session") {
        for role in ROLES {
            for token in [None, Some("wrong-token")] {
                let login = fresh_login(&app, role).await;
                let answer = request(
                    &app,
                    &row_clone(row),
                    Some(role),
                    Some(&login),
                    Place::In,
                    token,
                )
                .await;
                let what = format!(
                    "{} {} as {role:?} with token {token:?}",
                    row.method, row.path
                );
                if row.path.starts_with("/api/") {
                    crate::support::assert_envelope(&answer, StatusCode::FORBIDDEN, "forbidden");
                } else {
                    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{what}");
                }
                // Nothing happened: the session still works.
                let still = app.get_with_cookie("/api/v1/session", &login.cookie).await;
                assert_eq!(
                    still.status,
                    StatusCode::OK,
                    "{what}: the session was ended"
                );
            }
        }
    }
}

fn row_clone(row: &Row) -> Row {
    Row {
        method: row.method.clone(),
        path: row.path.clone(),
        csrf: row.csrf.clone(),
        cells: row.cells.clone(),
    }
}

#[tokio::test]
async fn id_numbers_and_phones_reach_only_the_roles_that_need_them() {
    let app = TestApp::spawn().await;
    let json_uri = format!("/api/v1/households/{}", app.changtang.0);
    let html_uri = format!("/households/{}", app.changtang.0);
    for role in ROLES {
        let json = app.get_as(role, &json_uri).await;
        let html = app.get_as(role, &html_uri).await;
        if role == Role::DepartmentClerk {
            assert_eq!(json.status, StatusCode::FORBIDDEN);
            assert_eq!(html.status, StatusCode::FORBIDDEN);
            continue;
        }
        assert_eq!(json.status, StatusCode::OK, "{role:?}");
        assert_eq!(html.status, StatusCode::OK, "{role:?}");
        let id_plain = role.sees(SensitiveField::IdNumber) == Visibility::Plain;
        let phone_plain = role.sees(SensitiveField::Phone) == Visibility::Plain;
        for (output, body) in [("JSON", &json.body), ("HTML", &html.body)] {
            assert_eq!(
                body.contains(&app.head_id_number),
                id_plain,
                "{role:?} {output} ID number"
            );
            assert_eq!(
                body.contains("13812345678"),
                phone_plain,
                "{role:?} {output} phone"
            );
        }
        let health_plain = role.sees(SensitiveField::Health) == Visibility::Plain;
        let head = &json.json()["members"][0];
        assert_eq!(
            head["health"]["code"] == "serious_illness",
            health_plain,
            "{role:?} health"
        );
        assert_eq!(head["id_number_masked"], !id_plain, "{role:?}");
    }
    // The history never carries a full ID number.
    let history = app
        .get_as(
            Role::CountyOfficer,
            &format!("/api/v1/households/{}/history", app.changtang.0),
        )
        .await;
    assert_eq!(history.status, StatusCode::OK);
    assert!(!history.body.contains(&app.head_id_number));
}

#[tokio::test]
async fn unmasking_needs_a_reason_and_is_recorded_for_the_auditor() {
    let app = TestApp::spawn().await;
    let cadre = app.login(Role::VillageCadre).clone();
    let uri = format!("/api/v1/households/{}/unmask", app.changtang.0);
    let post = |reason: &'static str| {
        let cadre = cadre.clone();
        let uri = uri.clone();
        let app = &app;
        async move {
            send(
                app,
                Call {
                    method: "POST",
                    uri,
                    cookie: Some(cadre.cookie.clone()),
                    csrf_header: Some(cadre.csrf.clone()),
                    body: Body::from(serde_json::json!({"reason": reason}).to_string()),
                    content_type: Some("application/json"),
                },
            )
            .await
        }
    };
    crate::support::assert_envelope(
        &post(" ").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    let shown = post("入户核实身份").await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.body.contains(&app.head_id_number));

    let log = app.get_as(Role::Auditor, "/api/v1/audit").await.json();
    let unmask = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "unmask")
        .expect("the unmask is in the audit log");
    assert_eq!(unmask["actor"], role_user(Role::VillageCadre));
    assert_eq!(unmask["reason"], "入户核实身份");
    assert_eq!(unmask["target"], format!("household:{}", app.changtang.0));

    // The HTML form does the same and shows the full number with a banner.
    let html = send(
        &app,
        Call {
            method: "POST",
            uri: format!("/households/{}/unmask", app.changtang.0),
            cookie: Some(cadre.cookie.clone()),
            csrf_header: None,
            body: Body::from(format!("csrf={}&reason=%E6%A0%B8%E5%AE%9E", cadre.csrf)),
            content_type: Some("application/x-www-form-urlencoded"),
        },
    )
    .await;
    assert_eq!(html.status, StatusCode::OK, "{}", html.body);
    assert!(html.body.contains(&app.head_id_number));
    assert!(html.body.contains("已显示完整信息"));
}

#[tokio::test]
async fn the_village_cadre_sees_only_the_village_and_the_header_says_who_is_logged_in() {
    let app = TestApp::spawn().await;
    let list = app
        .get_as(Role::VillageCadre, "/api/v1/households")
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["village_name"], "长塘村");
    let page = app.get_as(Role::VillageCadre, "/households").await;
    assert!(page.body.contains("431026102202-0001"));
    assert!(!page.body.contains("431026102203-0001"));
    assert!(page.body.contains(&role_user(Role::VillageCadre)));
    assert!(page.body.contains("村干部"));
    assert!(page.body.contains("长塘村"));
    // Guessing the other village's household id finds nothing.
    let guess = app
        .get_as(
            Role::VillageCadre,
            &format!("/api/v1/households/{}", app.shuilong.0),
        )
        .await;
    crate::support::assert_envelope(&guess, StatusCode::NOT_FOUND, "not_found");
    // Nor does searching for it by number.
    let search = app
        .get_as(Role::VillageCadre, "/api/v1/households?q=431026102203-0001")
        .await
        .json();
    assert_eq!(search["total"], 0);
}

#[tokio::test]
async fn login_and_logout_through_the_pages() {
    let app = TestApp::spawn().await;
    let anonymous = app.get_anonymous("/households/1").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.header(header::LOCATION),
        "/login?next=%2Fhouseholds%2F1"
    );

    let form = app.get_anonymous("/login?next=%2Fhouseholds%2F1").await;
    assert_eq!(form.status, StatusCode::OK);
    let bound = form
        .header(header::SET_COOKIE)
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = bound.split_once('=').unwrap().1.to_owned();
    let username = role_user(Role::TownshipReviewer);
    let wrong = send(
        &app,
        Call {
            method: "POST",
            uri: "/login".into(),
            cookie: Some(bound.clone()),
            csrf_header: None,
            body: Body::from(format!(
                "username={username}&password=nope&csrf={token}&next=%2Fhouseholds%2F1"
            )),
            content_type: Some("application/x-www-form-urlencoded"),
        },
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("用户名或密码错误"));

    let ok = send(
        &app,
        Call {
            method: "POST",
            uri: "/login".into(),
            cookie: Some(bound),
            csrf_header: None,
            body: Body::from(format!(
                "username={username}&password={PASSWORD}&csrf={token}&next=%2F%2Fevil.example"
            )),
            content_type: Some("application/x-www-form-urlencoded"),
        },
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // An outside `next` is not followed.
    assert_eq!(ok.header(header::LOCATION), "/households");
    let session = ok
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("uplift_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("Secure")
            && session.contains("SameSite=Lax")
    );
    let cookie = session.split(';').next().unwrap().to_owned();
    let whoami = app.get_with_cookie("/api/v1/session", &cookie).await.json();
    let csrf = whoami["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(whoami["region_name"], "热水镇");

    let out = send(
        &app,
        Call {
            method: "POST",
            uri: "/logout".into(),
            cookie: Some(cookie.clone()),
            csrf_header: None,
            body: Body::from(format!("csrf={csrf}")),
            content_type: Some("application/x-www-form-urlencoded"),
        },
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = app.get_with_cookie("/api/v1/session", &cookie).await;
    crate::support::assert_envelope(&after, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn repeated_failed_logins_are_refused_for_a_while() {
    let app = TestApp::spawn().await;
    let username = role_user(Role::Auditor);
    for _ in 0..uplift_app::access::MAX_FAILED_PER_ACCOUNT {
        assert!(app.log_in(&username, "not-the-password").await.is_none());
    }
    // Even the right password is refused now, with 429 in the envelope.
    let body = serde_json::json!({"username": username, "password": PASSWORD}).to_string();
    let refused = send(
        &app,
        Call {
            method: "POST",
            uri: "/api/v1/session".into(),
            cookie: None,
            csrf_header: None,
            body: Body::from(body),
            content_type: Some("application/json"),
        },
    )
    .await;
    crate::support::assert_envelope(&refused, StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    // Other accounts are not affected.
    assert!(
        app.log_in(&role_user(Role::CityViewer), PASSWORD)
            .await
            .is_some()
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for uri in [
        "/households",
        "/api/v1/households",
        "/login",
        "/api/docs/",
        "/nowhere",
    ] {
        let answer = app.get(uri).await;
        let csp = answer.header(header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("default-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert_eq!(
            answer.header(header::X_CONTENT_TYPE_OPTIONS),
            "nosniff",
            "{uri}"
        );
        assert_eq!(answer.header(header::X_FRAME_OPTIONS), "DENY", "{uri}");
        assert_eq!(
            answer.header(header::REFERRER_POLICY),
            "same-origin",
            "{uri}"
        );
    }
    // Pages with personal data are never cached.
    assert_eq!(
        app.get("/households").await.header(header::CACHE_CONTROL),
        "no-store"
    );
}
