//! The web app's polish: every page speaks English with no Chinese left outside user data,
//! search by name, household number or ID number stays within scope and masked, every list
//! exports to Excel, breadcrumbs and labels on every page.

use axum::http::StatusCode;
use uplift_domain::access::Role;

use crate::support::TestApp;

/// Whether a character is Chinese (CJK ideographs and punctuation, full-width forms).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// Text that is user data, not interface: region names, people's names, addresses, policy pack
/// names, and the language switch's own name for Chinese.
fn user_data() -> Vec<String> {
    let mut data: Vec<String> = uplift_app::regions::SHIPPED
        .iter()
        .flat_map(|(city, text)| {
            uplift_app::regions::parse_region_csv(&format!("{city}.csv"), text)
                .unwrap()
                .into_iter()
                .map(|r| r.name)
        })
        .collect();
    let policy = uplift_app::policy::shipped().unwrap();
    data.extend(policy.packs().iter().map(|p| p.name_zh.clone()));
    data.extend(
        [
            "张三",
            "李四",
            "王五",
            "赵六",
            "长塘村3组",
            "水龙村&lt;b&gt;1组&lt;&#x2f;b&gt;",
            // The clue summaries the fixture's cases were opened with.
            "医保部门预警",
        ]
        .map(str::to_owned),
    );
    // Longest first, so a village's name goes before a shorter name inside it.
    data.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    data
}

fn assert_no_chinese(page: &str, html: &str, data: &[String]) {
    let mut rest = html.to_owned();
    for d in data {
        rest = rest.replace(d.as_str(), "");
    }
    // The language switch names Chinese in Chinese, marked with its own lang attribute.
    rest = rest.replace(r#"lang="zh-CN">中文<"#, "");
    // The product's name is bilingual by design.
    rest = rest.replace("防返贫监测 · Uplift", "");
    if let Some((at, c)) = rest.char_indices().find(|(_, c)| is_cjk(*c)) {
        let start = rest[..at]
            .char_indices()
            .rev()
            .nth(60)
            .map_or(0, |(i, _)| i);
        let end = rest[at..]
            .char_indices()
            .nth(60)
            .map_or(rest.len(), |(i, _)| at + i);
        panic!(
            "{page} in English shows {c:?} outside user data: …{}…",
            &rest[start..end]
        );
    }
}

#[tokio::test]
async fn every_page_in_english_has_no_chinese_outside_user_data() {
    let app = TestApp::spawn().await;
    let data = user_data();
    let id = app.changtang.0;
    let pages = [
        (Role::CountyOfficer, "/?lang=en".to_owned()),
        (Role::CountyOfficer, "/dashboard?lang=en".to_owned()),
        (
            Role::ProvinceViewer,
            "/dashboard?region=43&lang=en".to_owned(),
        ),
        (
            Role::CityViewer,
            "/dashboard?region=4310&lang=en".to_owned(),
        ),
        (Role::VillageCadre, "/dashboard?lang=en".to_owned()),
        (Role::CountyOfficer, "/households?lang=en".to_owned()),
        (
            Role::CountyOfficer,
            "/households?lang=en&q=nobody".to_owned(),
        ),
        (
            Role::CountyOfficer,
            "/households?region=431026&type=formerly_poor&band=below_line&lang=en".to_owned(),
        ),
        (Role::CountyOfficer, format!("/households/{id}?lang=en")),
        (
            Role::CountyOfficer,
            format!("/households/{id}?lang=en&as_of=2026-01-01"),
        ),
        (Role::CountyAdmin, format!("/households/{id}?lang=en")),
        (Role::CountyOfficer, "/households/999999?lang=en".to_owned()),
        (Role::CountyOfficer, "/households?page=x&lang=en".to_owned()),
        (Role::DepartmentClerk, "/?lang=en".to_owned()),
    ];
    for (role, uri) in &pages {
        let res = app.get_as(*role, uri).await;
        assert!(
            res.status == StatusCode::OK || res.status.is_client_error(),
            "{uri}: {}",
            res.status
        );
        assert!(
            res.body.contains(r#"<html lang="en">"#),
            "{uri}: lang attribute"
        );
        assert_no_chinese(uri, &res.body, &data);
    }
    let login = app.get_anonymous("/login?lang=en").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_no_chinese("/login", &login.body, &data);
}

/// Every text, date, search or select input has a label: wrapped in `<label>` or named by
/// `aria-label`.
fn assert_inputs_labelled(page: &str, html: &str) {
    let mut open_labels = 0i32;
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if tag.starts_with("<label") {
            open_labels += 1;
        } else if tag.starts_with("</label") {
            open_labels -= 1;
        } else if (tag.starts_with("<input") && !tag.contains(r#"type="hidden""#))
            || tag.starts_with("<select")
            || tag.starts_with("<textarea")
        {
            assert!(
                open_labels > 0 || tag.contains("aria-label") || tag.contains("id=\""),
                "{page}: an input without a label: {tag}>"
            );
        }
        rest = &rest[1..];
    }
}

#[tokio::test]
async fn pages_have_labels_breadcrumbs_and_exports() {
    let app = TestApp::spawn().await;
    let id = app.changtang.0;
    for uri in [
        "/".to_owned(),
        "/dashboard".to_owned(),
        "/households".to_owned(),
        format!("/households/{id}"),
    ] {
        let res = app.get_as(Role::CountyAdmin, &uri).await;
        assert_eq!(res.status, StatusCode::OK, "{uri}");
        assert!(res.body.contains(r#"<html lang="zh-CN">"#), "{uri}: lang");
        assert!(res.body.contains(r##"href="#main""##), "{uri}: a skip link");
        assert_inputs_labelled(&uri, &res.body);
        if uri != "/" {
            assert!(
                res.body
                    .contains(r#"<nav class="crumbs" aria-label="地区层级">"#),
                "{uri}: breadcrumbs"
            );
        }
    }
    let login = app.get_anonymous("/login").await;
    assert_inputs_labelled("/login", &login.body);

    // The household page's breadcrumbs lead to the lists of its village and up.
    let page = app
        .get_as(Role::CountyOfficer, &format!("/households/{id}"))
        .await;
    let body = page.body.replace("&#x2f;", "/").replace("&amp;", "&");
    assert!(
        body.contains(r#"<a href="/households?region=431026102202">长塘村</a>"#),
        "{body}"
    );
    assert!(body.contains(r#"<a href="/households?region=431026">汝城县</a>"#));

    // The list exports the same filtered rows to Excel, the filters kept.
    let list = app
        .get_as(
            Role::CountyOfficer,
            "/households?type=formerly_poor&lang=en",
        )
        .await;
    let body = list.body.replace("&#x2f;", "/").replace("&amp;", "&");
    let href = body
        .split('"')
        .find(|s| s.starts_with("/households/export.xlsx"))
        .expect("an Excel export link");
    // The page's export speaks the page's language (the lang cookie); the filters are kept.
    assert!(href.contains("type=formerly_poor"), "{href}");
    let file = app.get_as(Role::CountyOfficer, href).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    assert_eq!(
        file.header(axum::http::header::CONTENT_TYPE),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let csv = app
        .get_as(
            Role::CountyOfficer,
            "/api/v1/households/export?format=csv&type=formerly_poor",
        )
        .await;
    assert!(csv.body.contains("431026102202-0001"), "{}", csv.body);
    assert!(
        !csv.body.contains("431026102203-0001"),
        "only the filtered rows"
    );
    // The band filter holds in the export as in the list.
    let banded = app
        .get_as(
            Role::CountyOfficer,
            "/api/v1/households/export?format=csv&band=above_near",
        )
        .await;
    let listed = app
        .get_as(Role::CountyOfficer, "/api/v1/households?band=above_near")
        .await
        .json();
    for no in ["431026102202-0001", "431026102203-0001"] {
        let in_list = listed.to_string().contains(no);
        assert_eq!(banded.body.contains(no), in_list, "{no} in the band export");
    }
    // And the dashboard exports to Excel too.
    let dash = app.get_as(Role::CountyOfficer, "/dashboard").await;
    assert!(
        dash.body.contains("format=xlsx"),
        "the dashboard exports to Excel"
    );
}

#[tokio::test]
async fn search_finds_by_name_number_or_id_within_scope_masked() {
    let app = TestApp::spawn().await;
    let id_number = app.head_id_number.clone();
    for q in ["张三", "431026102202-0001", id_number.as_str()] {
        let uri = format!("/api/v1/households?q={}", urlencode(q));
        // The township reviewer sees ID numbers masked: found, but never shown in full.
        let res = app.get_as(Role::TownshipReviewer, &uri).await;
        assert_eq!(res.status, StatusCode::OK, "{q}: {}", res.body);
        let json = res.json();
        assert_eq!(json["total"], 1, "{q}: {json}");
        assert!(json.to_string().contains("431026102202-0001"), "{q}");
        assert!(
            !res.body.contains(&id_number),
            "{q}: the ID number is masked"
        );
        // The page finds it too, with the number masked.
        let page = app
            .get_as(
                Role::TownshipReviewer,
                &format!("/households?q={}", urlencode(q)),
            )
            .await;
        assert!(page.body.contains("431026102202-0001"), "{q}: the page");
        // The search box shows what the user typed; nothing else may show the number.
        let shown = page
            .body
            .replace(&format!("value=\"{id_number}\""), "")
            .replace(&format!("q={id_number}"), "");
        assert!(!shown.contains(&id_number), "{q}: masked on the page");
        // Out of scope: the cadre of the other village finds nothing.
        let other = app
            .get_as(
                Role::VillageCadre,
                &format!("/api/v1/households?q={}", urlencode("王五")),
            )
            .await
            .json();
        assert_eq!(other["total"], 0, "王五 lives outside 长塘村");
    }
    // 赵六 lives in Harbin: the city viewer of 郴州市 cannot find her.
    let res = app
        .get_as(
            Role::CityViewer,
            &format!("/api/v1/households?q={}", urlencode("赵六")),
        )
        .await
        .json();
    assert_eq!(res["total"], 0);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
