//! Keyboard and screen-reader basics (issue 7): WCAG contrast of every text colour the stylesheet
//! sets, against every background it can sit on; a visible focus outline on every kind of control;
//! and a label for every form control on every page, wherever its form is.

use std::collections::HashMap;

use axum::http::StatusCode;
use uplift_domain::access::Role;

use crate::support::TestApp;

const CSS: &str = include_str!("../../static/uplift.css");

/// An sRGB colour from `#rgb` or `#rrggbb`.
fn hex(s: &str) -> Option<[f64; 3]> {
    let h = s.trim().strip_prefix('#')?;
    let full: String = match h.len() {
        3 => h.chars().flat_map(|c| [c, c]).collect(),
        6 => h.to_owned(),
        _ => return None,
    };
    let byte = |i: usize| u8::from_str_radix(&full[i..i + 2], 16).ok();
    Some([
        f64::from(byte(0)?) / 255.0,
        f64::from(byte(2)?) / 255.0,
        f64::from(byte(4)?) / 255.0,
    ])
}

/// WCAG 2 relative luminance.
fn luminance(c: [f64; 3]) -> f64 {
    let lin = |v: f64| {
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// WCAG 2 contrast ratio, 1 to 21.
fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// One rule of the stylesheet: its selectors and declarations (custom properties resolved).
struct Rule {
    selectors: Vec<String>,
    declarations: HashMap<String, String>,
}

/// The rules of a flat stylesheet with `@media` blocks (their rules count as any other).
fn rules(css: &str) -> Vec<Rule> {
    // Comments out.
    let mut text = String::new();
    let mut rest = css;
    while let Some(at) = rest.find("/*") {
        text.push_str(&rest[..at]);
        rest = rest[at..]
            .find("*/")
            .map_or("", |end| &rest[at + end + 2..]);
    }
    text.push_str(rest);
    let mut out = Vec::new();
    for block in text.split('}') {
        let Some((head, body)) = block.rsplit_once('{') else {
            continue;
        };
        let head = head.rsplit('{').next().unwrap_or(head).trim();
        if head.starts_with('@') || head.is_empty() {
            continue;
        }
        let declarations = body
            .split(';')
            .filter_map(|d| d.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        out.push(Rule {
            selectors: head.split(',').map(|s| s.trim().to_owned()).collect(),
            declarations,
        });
    }
    let vars: HashMap<String, String> = out
        .iter()
        .flat_map(|r| r.declarations.iter())
        .filter(|(k, _)| k.starts_with("--"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for rule in &mut out {
        for v in rule.declarations.values_mut() {
            for (name, value) in &vars {
                *v = v.replace(&format!("var({name})"), value);
            }
        }
    }
    out
}

/// The colour a declaration sets: its first `#…` word.
fn colour_of(value: &str) -> Option<[f64; 3]> {
    value.split_whitespace().find_map(hex)
}

fn background(rule: &Rule) -> Option<[f64; 3]> {
    rule.declarations
        .get("background")
        .or_else(|| rule.declarations.get("background-color"))
        .and_then(|v| colour_of(v))
}

#[test]
fn every_text_colour_has_aa_contrast_on_its_backgrounds() {
    let rules = rules(CSS);
    assert!(
        rules.len() > 50,
        "the stylesheet parses: {} rules",
        rules.len()
    );
    // The light surfaces text may sit on: the page and every light background of the sheet.
    let mut surfaces: Vec<(String, [f64; 3])> = vec![("the page".into(), [1.0, 1.0, 1.0])];
    for rule in &rules {
        if let Some(bg) = background(rule)
            && luminance(bg) > 0.5
        {
            surfaces.push((rule.selectors.join(", "), bg));
        }
    }
    let background_of = |selector: &str| -> Option<[f64; 3]> {
        rules
            .iter()
            .filter(|r| r.selectors.iter().any(|s| s == selector))
            .find_map(background)
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for rule in &rules {
        let Some(fg) = rule.declarations.get("color").and_then(|v| colour_of(v)) else {
            continue;
        };
        for selector in &rule.selectors {
            // Its own background; else its ancestor's (`.top a` sits on `.top`); else any
            // light surface.
            let ancestor = selector
                .rsplit_once(' ')
                .and_then(|(parent, _)| background_of(parent.trim()));
            // Variants (`.standing.below_line` of `.standing`) bring their own backgrounds.
            let variants: Vec<(String, [f64; 3])> = rules
                .iter()
                .flat_map(|r| r.selectors.iter().map(move |s| (s, r)))
                .filter(|(s, _)| {
                    s.strip_prefix(selector.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
                })
                .filter_map(|(s, r)| background(r).map(|bg| (s.clone(), bg)))
                .collect();
            let mut on: Vec<(String, [f64; 3])> = match background(rule).or(ancestor) {
                Some(bg) => vec![(format!("its background {bg:?}"), bg)],
                None if !variants.is_empty() => Vec::new(),
                None => surfaces.clone(),
            };
            on.extend(variants);
            for (name, bg) in on {
                let ratio = contrast(fg, bg);
                checked += 1;
                // AA for normal text.
                if ratio < 4.5 {
                    failures.push(format!("{selector} on {name}: {ratio:.2}"));
                }
            }
        }
    }
    assert!(checked > 40, "{checked} pairs checked");
    assert!(failures.is_empty(), "below 4.5:1: {failures:#?}");
}

#[test]
fn the_contrast_formula_matches_wcag_examples() {
    let black = hex("#000").unwrap();
    let white = hex("#ffffff").unwrap();
    assert!((contrast(black, white) - 21.0).abs() < 1e-9);
    assert!((contrast(white, white) - 1.0).abs() < 1e-9);
    // #767676 on white is the classic 4.54:1.
    let grey = hex("#767676").unwrap();
    assert!((contrast(grey, white) - 4.54).abs() < 0.01);
    // A colour the sheet must never use for text on white.
    assert!(contrast(hex("#999").unwrap(), white) < 4.5);
}

#[test]
fn every_control_shows_a_visible_focus_outline() {
    let rules = rules(CSS);
    for control in ["a", "button", "input", "select", "textarea", "summary"] {
        let focus = format!("{control}:focus-visible");
        let rule = rules
            .iter()
            .find(|r| r.selectors.contains(&focus))
            .unwrap_or_else(|| panic!("no {focus} rule"));
        let outline = rule
            .declarations
            .get("outline")
            .unwrap_or_else(|| panic!("{focus} sets no outline"));
        let width: f64 = outline
            .split_whitespace()
            .find_map(|w| w.strip_suffix("px")?.parse().ok())
            .unwrap_or(0.0);
        assert!(width >= 2.0, "{focus}: outline {outline}");
        // The outline stands out (3:1, non-text contrast) against the page.
        let colour = colour_of(outline).unwrap();
        assert!(
            contrast(colour, [1.0, 1.0, 1.0]) >= 3.0,
            "{focus}: {outline}"
        );
    }
    // On the red bar the outline turns white, which stands out there.
    let bar = rules
        .iter()
        .find(|r| r.selectors.iter().any(|s| s == ".top"))
        .and_then(background)
        .unwrap();
    let bar_focus = rules
        .iter()
        .find(|r| r.selectors.iter().any(|s| s == ".top a:focus-visible"))
        .and_then(|r| r.declarations.get("outline-color"))
        .and_then(|v| colour_of(v))
        .expect("the bar's focus colour");
    assert!(contrast(bar_focus, bar) >= 3.0);
    // Nothing takes the outline away.
    for rule in &rules {
        if let Some(o) = rule.declarations.get("outline") {
            assert!(
                o != "none" && o != "0",
                "{:?} removes the focus outline",
                rule.selectors
            );
        }
    }
}

/// Every form control has an accessible name: inside a `<label>`, named by `aria-label`, or with
/// an `id` that a `<label for>` of the page points at; every button has text or `aria-label`.
fn assert_controls_labelled(page: &str, html: &str) {
    let mut open_labels = 0i32;
    let mut rest = html;
    let mut controls = 0;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if tag.starts_with("<label") {
            open_labels += 1;
        } else if tag.starts_with("</label") {
            open_labels -= 1;
        } else if (tag.starts_with("<input")
            && !tag.contains(r#"type="hidden""#)
            && !tag.contains(r#"type="submit""#))
            || tag.starts_with("<select")
            || tag.starts_with("<textarea")
        {
            controls += 1;
            let by_for = tag
                .split("id=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .is_some_and(|id| html.contains(&format!("for=\"{id}\"")));
            assert!(
                open_labels > 0 || tag.contains("aria-label") || by_for,
                "{page}: a control without a label: {tag}>"
            );
        } else if tag.starts_with("<button") {
            let inner = rest[end..].split("</button>").next().unwrap_or("");
            let text = inner.trim_start_matches('>').trim();
            assert!(
                !text.is_empty() || tag.contains("aria-label"),
                "{page}: a button without a name: {tag}>"
            );
        }
        rest = &rest[1..];
    }
    let _ = controls;
}

#[tokio::test]
async fn every_page_labels_its_controls() {
    let app = TestApp::spawn().await;
    let id = app.changtang.0;
    let pages = [
        "/".to_owned(),
        "/dashboard".to_owned(),
        "/households".to_owned(),
        format!("/households/{id}"),
        format!("/households/{id}/assistance"),
        "/cases".to_owned(),
        format!("/cases/{}", app.case_in),
        "/visits".to_owned(),
        "/imports".to_owned(),
        "/quality".to_owned(),
        "/warnings".to_owned(),
        format!("/warnings/{}", app.warning_in),
        "/feeds".to_owned(),
    ];
    for lang in ["", "lang=en"] {
        for page in &pages {
            let uri = if lang.is_empty() {
                page.clone()
            } else if page.contains('?') {
                format!("{page}&{lang}")
            } else {
                format!("{page}?{lang}")
            };
            // The county admin sees every form the county has (feeds: the department clerk).
            let role = if page == "/feeds" {
                Role::DepartmentClerk
            } else {
                Role::CountyAdmin
            };
            let res = app.get_as(role, &uri).await;
            assert_eq!(res.status, StatusCode::OK, "{uri}: {}", res.body);
            assert_controls_labelled(&uri, &res.body);
        }
    }
    let login = app.get_anonymous("/login").await;
    assert_controls_labelled("/login", &login.body);
}
