//! Renders documents and reads them back with `pdftotext` (poppler-utils).

use std::io::Write;
use std::process::Command;

use uplift_pdf::{Block, Document, render};

fn pdftotext(pdf: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(file.path())
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pages(pdf: &[u8]) -> usize {
    // pdftotext ends every page with a form feed.
    pdftotext(pdf).matches('\u{c}').count()
}

/// Without spaces and line breaks: wrapping may split a phrase over lines.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn notice() -> Document {
    Document {
        title: "防止返贫监测对象识别公示".to_owned(),
        subtitle: Some("新民村民委员会 · 2026年11月25日".to_owned()),
        blocks: vec![
            Block::Heading("一、公示对象".to_owned()),
            Block::Paragraph(
                "经农户申请、入户核实、信息比对和村民民主评议，拟将下列农户纳入防止返贫监测对象，现予以公示。"
                    .to_owned(),
            ),
            Block::Table {
                header: vec!["户主姓名".into(), "所在村".into(), "监测类型".into(), "风险类型".into()],
                rows: vec![vec![
                    "张桂芳".into(),
                    "新民村".into(),
                    "突发严重困难户".into(),
                    "因病、因灾".into(),
                ]],
            },
            Block::KeyValues(vec![
                ("公示期".into(), "2026-11-25 至 2026-12-01".into()),
                ("监督电话".into(), "0871-12345678".into()),
            ]),
            Block::Signature("新民村民委员会\n2026年11月25日".to_owned()),
        ],
    }
}

#[test]
fn the_text_of_a_notice_comes_back_out() {
    let pdf = render(&notice()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdftotext(&pdf);
    let flat = squeeze(&text);
    for needle in [
        "防止返贫监测对象识别公示",
        "新民村民委员会",
        "户主姓名",
        "张桂芳",
        "突发严重困难户",
        "因病、因灾",
        "监督电话",
        "0871-12345678",
        "2026-11-25至2026-12-01",
        "第1页/共1页",
    ] {
        assert!(flat.contains(needle), "{needle:?} missing from {text}");
    }
    assert_eq!(pages(&pdf), 1);
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(render(&notice()).unwrap(), render(&notice()).unwrap());
}

#[test]
fn long_lines_wrap_inside_the_page_and_long_documents_break_into_numbered_pages() {
    let long = "返贫致贫风险".repeat(60);
    let rows: Vec<Vec<String>> = (0..120)
        .map(|i| {
            vec![
                format!("户{i:03}"),
                format!("第{i}行的说明文字"),
                "Latin words wrap at spaces too".into(),
            ]
        })
        .collect();
    let doc = Document {
        title: "长文档".to_owned(),
        subtitle: None,
        blocks: vec![
            Block::Paragraph(long.clone()),
            Block::Table {
                header: vec!["编号".into(), "说明".into(), "English".into()],
                rows,
            },
            Block::Paragraph("结束标记END".to_owned()),
        ],
    };
    let pdf = render(&doc).unwrap();
    let text = pdftotext(&pdf);
    let n = pages(&pdf);
    assert!(n >= 3, "120 rows take several pages, got {n}");
    let flat = squeeze(&text);
    assert!(
        flat.contains(&squeeze(&long)),
        "the long paragraph survives wrapping"
    );
    assert!(flat.contains(&format!("第{n}页/共{n}页")), "{text}");
    assert!(flat.contains("第1页/共"), "{text}");
    for i in [0, 59, 119] {
        assert!(flat.contains(&format!("户{i:03}")), "row {i} missing");
    }
    assert!(flat.contains("结束标记END"));
    // The table header repeats on every page the table spans.
    assert!(text.matches("编号").count() >= n - 1, "{text}");
    // Wrapped, the paragraph takes several lines: no line is longer than the page allows.
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest < 60, "a line of {widest} characters did not wrap");
}

#[test]
fn empty_and_odd_input_renders() {
    let doc = Document {
        title: String::new(),
        subtitle: Some("\t\u{7}".to_owned()),
        blocks: vec![
            Block::Heading(String::new()),
            Block::Paragraph(String::new()),
            Block::KeyValues(vec![]),
            Block::Table {
                header: vec![],
                rows: vec![vec![], vec!["只有一格".into()]],
            },
            Block::Table {
                header: vec![],
                rows: vec![],
            },
            Block::Paragraph("x".repeat(5000)),
            Block::Signature(String::new()),
        ],
    };
    let pdf = render(&doc).unwrap();
    assert!(squeeze(&pdftotext(&pdf)).contains("只有一格"));
}
