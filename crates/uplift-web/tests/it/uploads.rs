//! Imports over HTTP: the multipart API, the upload page with its filterable issues and report
//! downloads, and the household list's export links.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use uplift_domain::access::Role;
use uplift_domain::resident_id::{ResidentId, Sex};

use crate::support::{Answer, MULTIPART_TYPE, TestApp, multipart_upload};

fn registry(relation: &str) -> String {
    let id = ResidentId::compose(
        "431026",
        NaiveDate::from_ymd_opt(1988, 4, 5).unwrap(),
        77,
        Sex::Male,
    );
    format!(
        "household_no,household_type,region_code,address,name,id_number,relation,sex,health,labour\n\
         431026102202-0500,ordinary,431026102202,长塘村9组,陈七,{},{relation},male,healthy,ordinary\n",
        id.as_str()
    )
}

async fn upload_api(app: &TestApp, role: Role, mode: &str, file: &str) -> Answer {
    let login = app.login(role).clone();
    app.send(
        Request::post("/api/v1/imports")
            .header(header::COOKIE, &login.cookie)
            .header("x-csrf-token", &login.csrf)
            .header(header::CONTENT_TYPE, MULTIPART_TYPE)
            .body(Body::from(multipart_upload(
                None,
                "households",
                mode,
                "registry.csv",
                file.as_bytes(),
            )))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_api_imports_once_and_the_second_time_changes_nothing() {
    let app = TestApp::spawn().await;
    let first = upload_api(
        &app,
        Role::CountyOfficer,
        "all_or_nothing",
        &registry("head"),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let json = first.json();
    assert_eq!(json["status"], "applied", "{json}");
    assert_eq!(json["households_new"], 1);
    let again = upload_api(
        &app,
        Role::CountyOfficer,
        "all_or_nothing",
        &registry("head"),
    )
    .await;
    assert_eq!(again.json()["households_unchanged"], 1, "{}", again.body);
    assert_eq!(again.json()["households_new"], 0);
    let list = app
        .get_as(Role::CountyAdmin, "/api/v1/households?q=431026102202-0500")
        .await;
    assert_eq!(list.json()["total"], 1, "{}", list.body);

    // A cadre may not import; without the token nobody may.
    let refused = upload_api(&app, Role::VillageCadre, "dry_run", &registry("head")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let login = app.login(Role::CountyAdmin).clone();
    let no_token = app
        .send(
            Request::post("/api/v1/imports")
                .header(header::COOKIE, &login.cookie)
                .header(header::CONTENT_TYPE, MULTIPART_TYPE)
                .body(Body::from(multipart_upload(
                    None,
                    "households",
                    "dry_run",
                    "r.csv",
                    b"x",
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    // A file that is not a table is a 422 naming the file; nothing is written.
    let bad = upload_api(
        &app,
        Role::CountyOfficer,
        "all_or_nothing",
        "\u{0}\u{1}garbage",
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
}

/// Polls a background import's progress endpoint until it has ended, checking each answer;
/// returns the batch's page, where the job's own page then redirects.
async fn finished_job(app: &TestApp, role: Role, job: &str) -> String {
    assert!(job.starts_with("/imports/jobs/"), "{job}");
    let mut phases = Vec::new();
    for _ in 0..2000 {
        let answer = app.get_as(role, &format!("{job}/progress")).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert!(
            answer
                .header(header::CONTENT_TYPE)
                .starts_with("application/json")
        );
        let p = answer.json();
        assert_eq!(p["page"], job, "{p}");
        assert!(p["rows"].as_u64().unwrap() <= 1, "{p}");
        assert_eq!(p["total_rows"], 1, "{p}");
        phases.push(p["phase"].as_str().unwrap().to_owned());
        match p["state"].as_str().unwrap() {
            "running" => {
                let page = app.get_as(role, job).await;
                if page.status == StatusCode::OK {
                    assert!(
                        page.body.contains("http-equiv=\"refresh\""),
                        "{}",
                        page.body
                    );
                    assert!(page.body.contains("/static/import-progress.js"));
                    assert!(page.body.contains("<progress"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            "done" => {
                assert_eq!(p["percent"], 100, "{p}");
                let result = p["result"].as_str().unwrap().to_owned();
                let page = app.get_as(role, job).await;
                assert_eq!(page.status, StatusCode::SEE_OTHER);
                assert_eq!(page.header(header::LOCATION), result);
                return result;
            }
            other => panic!("the import job ended {other}: {p}"),
        }
    }
    panic!("the import job did not end; phases seen: {phases:?}")
}

#[tokio::test]
async fn a_background_upload_is_seen_only_by_its_owner_and_a_bad_file_returns_to_the_form() {
    let app = TestApp::spawn().await;
    let login = app.login(Role::CountyAdmin).clone();
    let post = |file: &'static str| {
        Request::post("/imports")
            .header(header::COOKIE, &login.cookie)
            .header(header::CONTENT_TYPE, MULTIPART_TYPE)
            .body(Body::from(multipart_upload(
                Some(&login.csrf),
                "households",
                "dry_run",
                "registry.csv",
                file.as_bytes(),
            )))
            .unwrap()
    };
    let answer = app
        .send(post("household_no,name\n431026102202-0500,陈七\n"))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let job = answer.header(header::LOCATION).to_owned();
    // Another user with the right to import cannot see it.
    let other = app
        .get_as(Role::CountyOfficer, &format!("{job}/progress"))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let unknown = app
        .get_as(Role::CountyAdmin, "/imports/jobs/no-such-job/progress")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Missing columns: the job fails, its page is the form with the file's error.
    let mut failed = None;
    for _ in 0..2000 {
        let p = app
            .get_as(Role::CountyAdmin, &format!("{job}/progress"))
            .await
            .json();
        if p["state"] == "failed" {
            failed = Some(p);
            break;
        }
        assert_eq!(p["state"], "running", "{p}");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let p = failed.expect("the job fails");
    assert!(p["error"].as_str().unwrap().contains("region_code"), "{p}");
    let page = app.get_as(Role::CountyAdmin, &job).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("region_code"), "{}", page.body);
}

#[tokio::test]
async fn the_upload_page_shows_issues_filtered_and_the_report_downloads() {
    let app = TestApp::spawn().await;
    let login = app.login(Role::CountyAdmin).clone();
    let form = app.get_as(Role::CountyAdmin, "/imports").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    assert!(form.body.contains("全部或全不"));
    let answer = app
        .send(
            Request::post("/imports")
                .header(header::COOKIE, &login.cookie)
                .header(header::CONTENT_TYPE, MULTIPART_TYPE)
                .body(Body::from(multipart_upload(
                    Some(&login.csrf),
                    "households",
                    "all_or_nothing",
                    "坏表.csv",
                    registry("cousin").as_bytes(),
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let job = answer.header(header::LOCATION).to_owned();
    let location = finished_job(&app, Role::CountyAdmin, &job).await;
    let id: i64 = location.trim_start_matches("/imports/").parse().unwrap();
    let batch = app
        .get_as(Role::CountyAdmin, &format!("/api/v1/imports/{id}"))
        .await
        .json();
    assert_eq!(batch["status"], "rejected", "{batch}");
    let issue = batch["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["field"] == "relation")
        .expect("the bad relation is an issue")
        .clone();
    let rule = issue["rule"].as_str().unwrap();
    let page = app.get_as(Role::CountyAdmin, &location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("rejected") && page.body.contains("坏表.csv"));
    assert!(page.body.contains(rule));
    let filtered = app
        .get_as(Role::CountyAdmin, &format!("{location}?rule=no.such.rule"))
        .await;
    assert!(filtered.body.contains("没有符合条件的问题"));
    let by_field = app
        .get_as(
            Role::CountyAdmin,
            &format!("{location}?field=relation&lang=en"),
        )
        .await;
    assert!(by_field.body.contains("cousin"), "{}", by_field.body);
    let csv = app
        .get_as(Role::CountyAdmin, &format!("{location}/report.csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header(header::CONTENT_TYPE).starts_with("text/csv"));
    assert!(csv.body.contains(rule) && csv.body.contains("陈七"));
    let xlsx = app
        .get_as(Role::CountyAdmin, &format!("{location}/report.xlsx"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.header(header::CONTENT_DISPOSITION).contains(".xlsx"));
    // Nothing was written.
    let list = app
        .get_as(Role::CountyAdmin, "/api/v1/households?q=431026102202-0500")
        .await;
    assert_eq!(list.json()["total"], 0);
}

#[tokio::test]
async fn the_household_list_exports_with_its_filters_and_scope() {
    let app = TestApp::spawn().await;
    let list = app
        .get_as(Role::TownshipReviewer, "/households?region=431026102202")
        .await;
    assert!(
        list.body
            .replace("&#x2f;", "/")
            .contains("/households/export.csv?region=431026102202"),
        "{}",
        list.body
    );
    let csv = app
        .get_as(
            Role::TownshipReviewer,
            "/households/export.csv?region=431026102202",
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.body.contains("431026102202-0001"));
    assert!(!csv.body.contains("431026102203-0001"));
    assert!(!csv.body.contains("230102001001-0001"));
    // The village cadre's export never reaches outside the village, and hides full ID numbers.
    let cadre = app
        .get_as(Role::VillageCadre, "/households/export.csv")
        .await;
    assert!(cadre.body.contains("431026102202-0001"));
    assert!(!cadre.body.contains("431026102203-0001"));
    assert!(!cadre.body.contains(&app.head_id_number));
    let xlsx = app
        .get_as(Role::CountyAdmin, "/households/export.xlsx")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.header(header::CONTENT_TYPE).contains("spreadsheetml"));
}
