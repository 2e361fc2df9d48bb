//! Every list exports to Excel (issue 7): each list page links to an .xlsx export, and the
//! workbook holds the list's rows as the caller sees them.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use uplift_app::import::table::{FileKind, Row, Table};
use uplift_domain::access::Role;

use crate::support::TestApp;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&amp;", "&")
        .replace("&#x3d;", "=")
}

/// The workbook's header and rows.
pub(crate) async fn workbook(
    app: &TestApp,
    role: Role,
    href: &str,
) -> (Vec<String>, Vec<Vec<String>>) {
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get(href)
                .header(header::COOKIE, app.login(role).cookie.clone())
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{href}");
    assert_eq!(res.headers()[header::CONTENT_TYPE], XLSX, "{href}");
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let mut table = Table::from_bytes("list.xlsx", FileKind::Xlsx, bytes.to_vec())
        .unwrap_or_else(|e| panic!("{href}: not a workbook: {e:?}"));
    let headers = table.headers().to_vec();
    let mut rows = Vec::new();
    let mut row = Row::new();
    while table.next_row(&mut row).unwrap() {
        rows.push(row.cells().map(str::to_owned).collect());
    }
    (headers, rows)
}

/// The first link of the page whose target is an .xlsx export.
pub(crate) fn xlsx_link(page: &str, body: &str) -> String {
    unescape(body)
        .split('"')
        .find(|s| s.starts_with('/') && s.contains("xlsx"))
        .unwrap_or_else(|| panic!("{page} has no Excel export link"))
        .to_owned()
}

fn body_rows(body: &str) -> usize {
    let Some(start) = body.find("<table class=\"ledger\">") else {
        return 0;
    };
    let table = &body[start..];
    let table = &table[..table.find("</table>").unwrap()];
    table.matches("<tr").count().saturating_sub(1)
}

#[tokio::test]
async fn every_list_page_links_to_its_excel_export() {
    let app = TestApp::spawn().await;
    for (page, role) in [
        ("/households", Role::CountyAdmin),
        ("/cases", Role::CountyAdmin),
        ("/visits", Role::CountyAdmin),
        ("/warnings", Role::CountyAdmin),
        ("/quality", Role::CountyAdmin),
        ("/feeds", Role::CountyAdmin),
        ("/dashboard", Role::CountyAdmin),
    ] {
        let res = app.get_as(role, page).await;
        assert_eq!(res.status, StatusCode::OK, "{page}");
        let href = xlsx_link(page, &res.body);
        let (headers, rows) = workbook(&app, role, &href).await;
        assert!(!headers.is_empty(), "{page}: the workbook has a header");
        // The lists exported from what the page shows hold the same rows.
        if ["/cases", "/visits", "/feeds"].contains(&page) {
            assert_eq!(rows.len(), body_rows(&res.body), "{page}: {href}");
        }
    }
}

#[tokio::test]
async fn list_exports_keep_the_filter_scope_and_language() {
    let app = TestApp::spawn().await;
    // The cases of the caller's scope only, in the caller's language.
    let zh = app.get_as(Role::CountyAdmin, "/cases").await;
    let (headers, rows) = workbook(&app, Role::CountyAdmin, &xlsx_link("/cases", &zh.body)).await;
    assert!(
        headers.iter().any(|h| h.chars().any(|c| c > '\u{2e80}')),
        "{headers:?}"
    );
    assert!(!rows.is_empty(), "the county admin's queue has cases");
    let en = app.get_as(Role::CountyAdmin, "/cases?lang=en").await;
    let (headers_en, rows_en) =
        workbook(&app, Role::CountyAdmin, &xlsx_link("/cases", &en.body)).await;
    assert_ne!(
        headers, headers_en,
        "the English page exports English headers"
    );
    assert_eq!(rows.len(), rows_en.len());
    // A filter of the page carries into its export, and filters its rows.
    let filtered = app
        .get_as(Role::CountyAdmin, "/warnings?region=431026")
        .await;
    let href = xlsx_link("/warnings", &filtered.body);
    assert!(href.contains("region=431026"), "{href}");
    let (_, in_county) = workbook(&app, Role::CountyAdmin, &href).await;
    let (_, elsewhere) = workbook(
        &app,
        Role::CountyAdmin,
        "/warnings/export.csv?region=431002&format=xlsx",
    )
    .await;
    assert!(!in_county.is_empty(), "the county's warnings");
    assert!(
        elsewhere.is_empty(),
        "none of another county: {elsewhere:?}"
    );
    let all = app.get_as(Role::CountyAdmin, "/warnings").await;
    let href = xlsx_link("/warnings", &all.body);
    assert!(
        !href.contains("page="),
        "the export holds every page: {href}"
    );
    let (_, warnings) = workbook(&app, Role::CountyAdmin, &href).await;
    let csv = app
        .get_as(
            Role::CountyAdmin,
            &href.replace("&format=xlsx", "").replace("?format=xlsx", ""),
        )
        .await;
    let csv_rows = csv::Reader::from_reader(csv.body.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .count();
    assert_eq!(warnings.len(), csv_rows, "{}", csv.body);
    // Without a session the export is the login redirect, as the page is.
    let anonymous = app.get_anonymous("/cases?format=xlsx").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}
