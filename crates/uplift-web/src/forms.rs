//! Printable documents composed from use-case results (the PDF crate knows no domain): the
//! assessors' household visit forms of a sample (考核评估入户调查表), one page per household.

use uplift_app::sampling::Sample;
use uplift_pdf::{Block, Document};

/// The visit forms of a sample: a cover with the draw's parameters and strata, then one form
/// per household with the blank checks the assessor fills in.
pub fn sample_document(sample: &Sample) -> Document {
    let names: std::collections::HashMap<_, _> = sample
        .villages
        .iter()
        .map(|v| (v.code, v.name.as_str()))
        .collect();
    let mut blocks = vec![
        Block::KeyValues(vec![
            ("县 County".into(), sample.county.name.clone()),
            ("随机种子 Seed".into(), sample.seed.to_string()),
            ("登记日期 Registry as of".into(), sample.as_of.to_string()),
            (
                "样本 Sample".into(),
                format!(
                    "{} 个村 villages, {} 户 households",
                    sample.villages.len(),
                    sample.households.len()
                ),
            ),
        ]),
        Block::Table {
            header: vec![
                "分层 Stratum".into(),
                "总体 Population".into(),
                "抽取 Drawn".into(),
            ],
            rows: sample
                .strata
                .iter()
                .map(|s| vec![s.key.clone(), s.population.to_string(), s.drawn.to_string()])
                .collect(),
        },
        Block::Table {
            header: vec!["村代码 Village code".into(), "村名称 Village".into()],
            rows: sample
                .villages
                .iter()
                .map(|v| vec![v.code.as_str().to_owned(), v.name.clone()])
                .collect(),
        },
    ];
    for (i, h) in sample.households.iter().enumerate() {
        blocks.push(Block::Heading(format!(
            "{} · 户编号 {} · {}",
            i + 1,
            h.household_no,
            names.get(&h.village).copied().unwrap_or_default()
        )));
        blocks.push(Block::KeyValues(vec![
            ("户主 Head".into(), h.head_name.clone().unwrap_or_default()),
            ("在户人数 Members".into(), h.members.to_string()),
            ("分层 Stratum".into(), h.stratum.clone()),
            ("入户日期 Date".into(), String::new()),
            ("调查员 Assessor".into(), String::new()),
        ]));
        blocks.push(Block::Table {
            header: vec![
                "核查项 Item".into(),
                "是 Yes".into(),
                "否 No".into(),
                "说明 Note".into(),
            ],
            rows: uplift_app::sampling::FORM_BLANKS[2..7]
                .iter()
                .chain(["家庭人均纯收入高于监测范围"].iter())
                .map(|item| vec![(*item).to_owned(), "□".into(), "□".into(), String::new()])
                .collect(),
        });
        blocks.push(Block::Paragraph("发现问题 Problems found：\n\n\n".into()));
        blocks.push(Block::Signature(
            "农户签字 Household：__________    调查员签字 Assessor：__________".into(),
        ));
    }
    Document {
        title: format!("考核评估抽样入户调查表 · {}", sample.county.name),
        subtitle: Some(format!(
            "Assessors' household visit forms · seed {} · as of {}",
            sample.seed, sample.as_of
        )),
        blocks,
    }
}

/// The visit forms of a sample as PDF bytes (for the CLI, which composes no documents itself).
pub fn sample_pdf(sample: &Sample) -> Result<Vec<u8>, String> {
    uplift_pdf::render(&sample_document(sample)).map_err(|e| e.to_string())
}
