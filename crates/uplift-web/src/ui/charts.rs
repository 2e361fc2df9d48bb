//! Charts as server-side inline SVG: no script, nothing fetched, readable on a phone and by a
//! screen reader (each chart has a title and its numbers are also in the page's tables).

/// One bar, slice or segment.
pub(crate) struct Datum {
    pub(crate) label: String,
    /// What is drawn; `None` when the number is suppressed (nothing drawn, `text` shown).
    pub(crate) value: Option<i64>,
    pub(crate) text: String,
    pub(crate) href: Option<String>,
}

/// Colours with at least 4.5:1 contrast against white, in band order.
const PALETTE: [&str; 6] = [
    "#a61b1b", "#b35c00", "#2d6a2d", "#5f6b76", "#0b4f8a", "#6a3d9a",
];

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn linked(inner: String, href: &Option<String>) -> String {
    match href {
        Some(h) => format!("<a href=\"{}\">{inner}</a>", escape(h)),
        None => inner,
    }
}

/// A donut with a legend beside it.
pub(crate) fn donut(title: &str, data: &[Datum]) -> String {
    let total: i64 = data.iter().filter_map(|d| d.value).sum();
    let (r, c) = (60.0_f64, std::f64::consts::TAU * 60.0);
    let mut offset = 0.0;
    let mut rings = String::new();
    for (i, d) in data.iter().enumerate() {
        let Some(v) = d.value.filter(|v| *v > 0 && total > 0) else {
            continue;
        };
        let len = c * v as f64 / total as f64;
        rings.push_str(&linked(
            format!(
                "<circle r=\"{r}\" cx=\"80\" cy=\"80\" fill=\"none\" stroke=\"{}\" stroke-width=\"28\" \
                 stroke-dasharray=\"{len:.2} {:.2}\" stroke-dashoffset=\"{:.2}\" transform=\"rotate(-90 80 80)\">\
                 <title>{}: {}</title></circle>",
                PALETTE[i % PALETTE.len()],
                c - len,
                -offset,
                escape(&d.label),
                escape(&d.text)
            ),
            &d.href,
        ));
        offset += len;
    }
    if rings.is_empty() {
        rings = "<circle r=\"60\" cx=\"80\" cy=\"80\" fill=\"none\" stroke=\"#c9d1d9\" stroke-width=\"28\"/>".into();
    }
    let legend: String = data
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "<li><span class=\"swatch\" style=\"background:{}\"></span>{} {}</li>",
                PALETTE[i % PALETTE.len()],
                escape(&d.label),
                linked(format!("<b>{}</b>", escape(&d.text)), &d.href)
            )
        })
        .collect();
    format!(
        "<div class=\"chart donut\"><svg viewBox=\"0 0 160 160\" width=\"160\" height=\"160\" role=\"img\" \
         aria-label=\"{t}\"><title>{t}</title>{rings}<text x=\"80\" y=\"86\" text-anchor=\"middle\" \
         font-size=\"20\" font-weight=\"700\" fill=\"#1d2329\">{total}</text></svg><ul class=\"legend\">{legend}</ul></div>",
        t = escape(title)
    )
}

/// Horizontal bars, one row each, scaled to the largest.
pub(crate) fn bars(title: &str, data: &[Datum]) -> String {
    let max = data
        .iter()
        .filter_map(|d| d.value)
        .max()
        .unwrap_or(0)
        .max(1);
    let row_h = 26;
    let height = row_h * data.len() as i64 + 4;
    let mut rows = String::new();
    for (i, d) in data.iter().enumerate() {
        let y = i as i64 * row_h + 2;
        let w = d
            .value
            .map(|v| (v.max(0) * 200 / max).max(if v > 0 { 1 } else { 0 }))
            .unwrap_or(0);
        rows.push_str(&linked(
            format!(
                "<g><title>{label}: {text}</title><text x=\"0\" y=\"{ty}\" font-size=\"13\" fill=\"#1d2329\">{label}</text>\
                 <rect x=\"130\" y=\"{y}\" width=\"{w}\" height=\"20\" fill=\"{color}\"/>\
                 <text x=\"{tx}\" y=\"{ty}\" font-size=\"13\" fill=\"#1d2329\">{text}</text></g>",
                label = escape(&d.label),
                text = escape(&d.text),
                ty = y + 15,
                color = PALETTE[4],
                tx = 130 + w + 4,
            ),
            &d.href,
        ));
    }
    format!(
        "<div class=\"chart bars\"><svg viewBox=\"0 0 400 {height}\" width=\"100%\" role=\"img\" \
         aria-label=\"{t}\" preserveAspectRatio=\"xMinYMin meet\"><title>{t}</title>{rows}</svg></div>",
        t = escape(title)
    )
}

/// One stacked bar of ordered bands (a distribution) with a legend.
pub(crate) fn distribution(title: &str, data: &[Datum]) -> String {
    let total: i64 = data.iter().filter_map(|d| d.value).sum();
    let mut x = 0.0;
    let mut segments = String::new();
    for (i, d) in data.iter().enumerate() {
        let Some(v) = d.value.filter(|v| *v > 0 && total > 0) else {
            continue;
        };
        let w = 400.0 * v as f64 / total as f64;
        segments.push_str(&linked(
            format!(
                "<rect x=\"{x:.2}\" y=\"0\" width=\"{w:.2}\" height=\"32\" fill=\"{}\"><title>{}: {}</title></rect>",
                PALETTE[i % PALETTE.len()],
                escape(&d.label),
                escape(&d.text)
            ),
            &d.href,
        ));
        x += w;
    }
    let legend: String = data
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let share = match (d.value, total) {
                (Some(v), t) if t > 0 => format!(" ({}%)", v * 100 / t),
                _ => String::new(),
            };
            format!(
                "<li><span class=\"swatch\" style=\"background:{}\"></span>{} {}{share}</li>",
                PALETTE[i % PALETTE.len()],
                escape(&d.label),
                linked(format!("<b>{}</b>", escape(&d.text)), &d.href)
            )
        })
        .collect();
    format!(
        "<div class=\"chart distribution\"><svg viewBox=\"0 0 400 32\" width=\"100%\" role=\"img\" \
         aria-label=\"{t}\" preserveAspectRatio=\"none\" height=\"32\"><title>{t}</title>{segments}</svg>\
         <ul class=\"legend\">{legend}</ul></div>",
        t = escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datum(label: &str, value: Option<i64>) -> Datum {
        Datum {
            label: label.to_owned(),
            value,
            text: value.map(|v| v.to_string()).unwrap_or_else(|| "<5".into()),
            href: Some("/households?a=1&b=2".into()),
        }
    }

    #[test]
    fn charts_escape_text_and_skip_suppressed_values() {
        let data = [datum("脱贫户 <x>", Some(30)), datum("一般农户", None)];
        for svg in [
            donut("t", &data),
            bars("t", &data),
            distribution("t", &data),
        ] {
            assert!(svg.contains("脱贫户 &lt;x&gt;"), "{svg}");
            assert!(svg.contains("&lt;5"), "{svg}");
            assert!(svg.contains("href=\"/households?a=1&amp;b=2\""), "{svg}");
            assert!(!svg.contains("<x>"));
        }
        // Only the unsuppressed slice is drawn.
        assert_eq!(donut("t", &data).matches("<circle").count(), 1);
    }
}
