//! Every list exports to Excel: for the list pages that have no export of their own, a layer of
//! the UI router serves `?format=xlsx` of the list (or of its CSV export) as an .xlsx workbook,
//! and puts the link to it above the list.
//!
//! The workbook holds exactly the rows and columns the page shows, as the caller sees them
//! (masking, scope and filters included): the page's own handler builds them, with the same
//! query minus `format`. Lists that page (warnings) export through their CSV export, which holds
//! every row of the filter.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::i18n::{self, Lang};

/// A list page, the path whose rows its Excel export holds, and the file's name.
pub(crate) struct ListExport {
    pub page: &'static str,
    pub source: &'static str,
    pub name: &'static str,
}

/// The list pages exported here (households, data quality and the dashboard have their own).
pub(crate) const LISTS: &[ListExport] = &[
    ListExport {
        page: "/cases",
        source: "/cases",
        name: "cases",
    },
    ListExport {
        page: "/visits",
        source: "/visits",
        name: "visits",
    },
    ListExport {
        page: "/feeds",
        source: "/feeds",
        name: "feed-batches",
    },
    ListExport {
        page: "/warnings",
        source: "/warnings/export.csv",
        name: "warnings",
    },
];

/// A page can be this large before the layer leaves it alone.
const MAX_BODY: usize = 64 * 1024 * 1024;

fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub(crate) async fn layer(mut req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let pairs = query_pairs(req.uri().query().unwrap_or(""));
    let wants_xlsx = pairs.iter().any(|(k, v)| k == "format" && v == "xlsx");
    if wants_xlsx && let Some(list) = LISTS.iter().find(|l| l.source == path) {
        let rest: Vec<(String, String)> =
            pairs.into_iter().filter(|(k, _)| k != "format").collect();
        let uri = if rest.is_empty() {
            path.clone()
        } else {
            format!("{path}?{}", encode(&rest))
        };
        match uri.parse() {
            Ok(uri) => *req.uri_mut() = uri,
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        }
        // Pages that page themselves render every row for their export.
        req.extensions_mut().insert(super::pager::EveryRow);
        let res = next.run(req).await;
        return workbook(list, res).await;
    }
    let Some(list) = LISTS.iter().find(|l| l.page == path) else {
        return next.run(req).await;
    };
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if res.status() != StatusCode::OK || !html {
        return res;
    }
    // The export keeps the filters, not the page.
    let kept: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "page" | "per_page" | "format"))
        .chain([("format".to_owned(), "xlsx".to_owned())])
        .collect();
    let href = format!("{}?{}", list.source, encode(&kept));
    with_link(res, &href).await
}

/// The page with the export link put above its list (pages with no list are left alone).
async fn with_link(res: Response, href: &str) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(mut html) = String::from_utf8(bytes.to_vec()) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if let Some(at) = html.find("<table class=\"ledger\">") {
        let at = match html[..at].trim_end().strip_suffix("<div class=\"scroll\">") {
            Some(before) => before.len(),
            None => at,
        };
        let lang = if html.contains("<html lang=\"en\">") {
            Lang::En
        } else {
            Lang::Zh
        };
        let link = format!(
            "<p class=\"export\"><a href=\"{}\" download>{}</a></p>\n",
            href.replace('&', "&amp;").replace('"', "&quot;"),
            i18n::message(lang, "export_xlsx")
        );
        html.insert_str(at, &link);
    }
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// The list of a page's (or a CSV export's) response as an .xlsx file.
async fn workbook(list: &ListExport, res: Response) -> Response {
    if res.status() != StatusCode::OK {
        return res;
    }
    let content_type = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let Ok(bytes) = to_bytes(res.into_body(), MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    let rows = if content_type.starts_with("text/csv") {
        csv_rows(&text)
    } else {
        ledger_rows(&text)
    };
    match xlsx(&rows) {
        Ok(bytes) => (
            [
                (
                    CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}.xlsx\"", list.name),
                ),
                (CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "writing a list workbook");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_owned).collect())
        .collect()
}

/// Decodes the character references minijinja writes and the usual named ones.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of an HTML fragment: tags dropped, references decoded, white space collapsed.
fn text_of(fragment: &str) -> String {
    let mut plain = String::with_capacity(fragment.len());
    let mut in_tag = false;
    for c in fragment.chars() {
        match c {
            '<' => {
                in_tag = true;
                plain.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    unescape(&plain)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rows of the page's first `<table class="ledger">`: header and body cells as text.
pub(crate) fn ledger_rows(html: &str) -> Vec<Vec<String>> {
    let Some(start) = html.find("<table class=\"ledger\">") else {
        return Vec::new();
    };
    let table = &html[start..];
    let table = &table[..table.find("</table>").unwrap_or(table.len())];
    let mut rows = Vec::new();
    for row in table.split("<tr").skip(1) {
        let row = row.split("</tr>").next().unwrap_or("");
        let mut cells = Vec::new();
        let mut rest = row;
        loop {
            let next = [rest.find("<td"), rest.find("<th")]
                .into_iter()
                .flatten()
                .min();
            let Some(at) = next else { break };
            let cell = &rest[at + 3..];
            let Some(open_end) = cell.find('>') else {
                break;
            };
            let cell = &cell[open_end + 1..];
            let end = [cell.find("</td>"), cell.find("</th>")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(cell.len());
            cells.push(text_of(&cell[..end]));
            rest = &cell[end..];
        }
        if !cells.is_empty() {
            rows.push(cells);
        }
    }
    rows
}

/// Every cell a text cell (numbers like household numbers keep their digits); the first row bold.
fn xlsx(rows: &[Vec<String>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if r == 0 {
                sheet.write_string_with_format(r, c, value, &bold)?;
            } else {
                sheet.write_string(r, c, value)?;
            }
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_rows_are_the_cells_as_text() {
        let html = r#"<p>x</p><table class="ledger"><thead><tr><th>户编号</th><th class="num">人数</th></tr></thead>
<tbody><tr class="overdue"><td><a href="&#x2f;households&#x2f;3">431026-0001</a> 张三 · 长塘村</td><td class="num">4</td></tr>
<tr><td>A &amp; B</td><td></td></tr></tbody></table><table class="ledger"><tr><td>other</td></tr></table>"#;
        assert_eq!(
            ledger_rows(html),
            vec![
                vec!["户编号".to_owned(), "人数".to_owned()],
                vec!["431026-0001 张三 · 长塘村".to_owned(), "4".to_owned()],
                vec!["A & B".to_owned(), String::new()],
            ]
        );
        assert!(ledger_rows("<p>no list</p>").is_empty());
    }

    #[test]
    fn references_decode_and_stray_ampersands_stay() {
        assert_eq!(
            unescape("a &lt;b&gt; &#39;c&#x27; & d &zz;"),
            "a <b> 'c' & d &zz;"
        );
    }

    #[test]
    fn csv_rows_drop_the_bom() {
        assert_eq!(
            csv_rows("\u{feff}a,b\n\"x,1\",2\n"),
            vec![vec!["a", "b"], vec!["x,1", "2"]]
        );
    }
}
