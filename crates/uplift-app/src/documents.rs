//! The printable documents of a case and a household (domain.md §5.2, §7.3): the village public
//! notice (公示), the result announcement (公告) and the household's assistance card (明白卡).
//!
//! Each is composed here as an `uplift_pdf::Document` (data only); the web layer and the CLI
//! render it. The notice is posted in public, so it carries names, the village, the category and
//! risk types, the notice period and the supervision phone, and never an ID number, a phone of
//! the household, a bank account or a health detail (domain.md §5.2 [S3]). The announcement and
//! the card carry no ID numbers either.

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use uplift_domain::access::Action;
use uplift_domain::case::{Case, CaseKind, Decision, MonitoringStatus};
use uplift_domain::household::{Codebook as _, Relation};
use uplift_domain::policy::PolicyPack;
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_pdf::{Block, Document};

use crate::App;
use crate::access::Principal;
use crate::cases::{self, CaseFailure, CaseId, CaseResult};
use crate::store::{HouseholdDetail, HouseholdId, StoreResult};

#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// The display names of the helpers (帮扶联系人) assigned to the household, by name.
    async fn household_helpers(&self, household: HouseholdId) -> StoreResult<Vec<String>>;
}

/// Which document of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseDocument {
    /// 公示: after the appraisal, while the notice runs.
    Notice,
    /// 公告: after the county's approval.
    Announcement,
}

impl CaseDocument {
    pub fn parse(s: &str) -> Option<CaseDocument> {
        match s {
            "notice" => Some(CaseDocument::Notice),
            "announcement" => Some(CaseDocument::Announcement),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            CaseDocument::Notice => "notice",
            CaseDocument::Announcement => "announcement",
        }
    }
}

/// `2026年3月9日`.
pub fn date_zh(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A blank to fill in by hand when the supervision phone is not given.
const BLANK: &str = "＿＿＿＿＿＿＿＿";

fn phone_or_blank(phone: Option<&str>) -> String {
    phone
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map_or_else(|| BLANK.to_owned(), str::to_owned)
}

/// The village, township and county names of a village code.
struct Place {
    village: String,
    township: String,
    county: String,
}

async fn place(app: &App, village: &RegionCode) -> CaseResult<Place> {
    let path = app.store.region_path(village).await?;
    let name = |level: RegionLevel| {
        path.iter()
            .find(|r| r.level() == level)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    Ok(Place {
        village: name(RegionLevel::Village),
        township: name(RegionLevel::Township),
        county: name(RegionLevel::County),
    })
}

fn category_zh(pack: &PolicyPack, code: &str) -> String {
    pack.categories
        .iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.to_owned(), |c| c.zh.clone())
}

fn risks_zh(pack: &PolicyPack, codes: &[String]) -> String {
    codes
        .iter()
        .map(|code| {
            pack.risk_types
                .iter()
                .find(|r| &r.code == code)
                .map_or_else(|| code.clone(), |r| r.zh.clone())
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// The head's name and the number of active members.
fn head_and_size(detail: &HouseholdDetail) -> (String, usize) {
    let active: Vec<_> = detail
        .members
        .iter()
        .filter(|m| m.person.value.is_active())
        .collect();
    let head = active
        .iter()
        .find(|m| m.person.value.relation == Relation::Head)
        .map(|m| m.person.value.name.clone())
        .unwrap_or_default();
    (head, active.len())
}

/// The category and risk types of an identification: decided by the county, or, before that,
/// the risk the clue points at.
fn category_and_risks(pack: &PolicyPack, case: &Case) -> (String, String) {
    match &case.approval {
        Some((_, Decision::Identify { category, risks })) => {
            (category_zh(pack, category), risks_zh(pack, risks))
        }
        _ => (
            "待县级审定".to_owned(),
            case.opening
                .risk_hint
                .as_ref()
                .map(|r| risks_zh(pack, std::slice::from_ref(r)))
                .unwrap_or_default(),
        ),
    }
}

/// One case document. The caller must be able to read the case (role and scope).
pub async fn case_document(
    app: &App,
    by: &Principal,
    id: CaseId,
    which: CaseDocument,
    supervision_phone: Option<&str>,
) -> CaseResult<Document> {
    by.require(Action::ReadRegistry)?;
    let view = cases::get(app, by, id).await?;
    let detail = cases::household_detail(app, by, view.record.household).await?;
    let today = app.clock.today();
    let pack = app
        .policy
        .in_force(&view.record.region, today)
        .ok_or(CaseFailure::NoPolicy {
            region: view.record.region,
            on: today,
        })?;
    let place = place(app, &view.record.region).await?;
    let (head, size) = head_and_size(&detail);
    let case = &view.case;
    let identification = case.opening.kind == CaseKind::Identification;
    let object = pack.terminology.object_term_zh();
    match which {
        CaseDocument::Notice => {
            let notice = case.notice.as_ref().ok_or_else(|| {
                CaseFailure::Invalid(
                    "the notice has not been posted yet: the notice is issued after the village appraisal"
                        .into(),
                )
            })?;
            let (title, intro, header, row) = if identification {
                let (category, risks) = category_and_risks(pack, case);
                (
                    format!("{object}识别公示"),
                    format!(
                        "经农户申请或排查发现、入户核实、信息比对和村民代表民主评议，拟将下列农户识别为{object}，现予以公示。"
                    ),
                    vec!["户主姓名", "家庭人口", "所在村", "监测类别", "风险类型"],
                    vec![
                        head.clone(),
                        size.to_string(),
                        place.village.clone(),
                        category,
                        risks,
                    ],
                )
            } else {
                let kind = match &case.approval {
                    Some((_, Decision::Eliminate { kind })) => kind.zh().to_owned(),
                    _ => "待县级审定".to_owned(),
                };
                (
                    format!("{object}风险消除公示"),
                    "经入户核实、条件比对和村民代表民主评议，下列农户拟标注为风险已消除，现予以公示。"
                        .to_owned(),
                    vec!["户主姓名", "家庭人口", "所在村", "风险消除方式"],
                    vec![head.clone(), size.to_string(), place.village.clone(), kind],
                )
            };
            let mut blocks = vec![Block::Paragraph(intro)];
            blocks.push(Block::Table {
                header: header.into_iter().map(str::to_owned).collect(),
                rows: vec![row],
            });
            blocks.push(Block::KeyValues(vec![
                (
                    "公示期".to_owned(),
                    format!("{} 至 {}", notice.start, notice.last_day),
                ),
                ("监督电话".to_owned(), phone_or_blank(supervision_phone)),
            ]));
            blocks.push(Block::Paragraph(
                "公示期间，如对公示对象有异议，请以书面或口头形式向村民委员会或乡镇人民政府反映。反映情况须实事求是。"
                    .to_owned(),
            ));
            blocks.push(Block::Signature(format!(
                "{}村民委员会\n{}",
                place
                    .village
                    .trim_end_matches("村委会")
                    .trim_end_matches("村民委员会"),
                date_zh(notice.start)
            )));
            Ok(Document {
                title,
                subtitle: Some(format!(
                    "{} {} {}",
                    place.county, place.township, place.village
                )),
                blocks,
            })
        }
        CaseDocument::Announcement => {
            let (approved_on, decision) = case.approval.as_ref().ok_or_else(|| {
                CaseFailure::Invalid(
                    "the county has not approved the case yet: the announcement follows the approval"
                        .into(),
                )
            })?;
            let on = case.announced_on.unwrap_or(*approved_on);
            let (title, intro, header, row) = match decision {
                Decision::Identify { category, risks } => (
                    format!("{object}认定结果公告"),
                    format!(
                        "经村级民主评议和公示、乡镇审核、县级审定，下列农户于{}认定为{object}，现予以公告。",
                        date_zh(*approved_on)
                    ),
                    vec![
                        "户主姓名",
                        "家庭人口",
                        "所在村",
                        "监测类别",
                        "风险类型",
                        "认定日期",
                    ],
                    vec![
                        head.clone(),
                        size.to_string(),
                        place.village.clone(),
                        category_zh(pack, category),
                        risks_zh(pack, risks),
                        approved_on.to_string(),
                    ],
                ),
                Decision::Eliminate { kind } => (
                    format!("{object}风险消除结果公告"),
                    format!(
                        "经村级民主评议和公示、乡镇审核、县级审定，下列农户于{}标注为风险已消除，现予以公告。风险消除后继续跟踪监测。",
                        date_zh(*approved_on)
                    ),
                    vec!["户主姓名", "家庭人口", "所在村", "风险消除方式", "审定日期"],
                    vec![
                        head.clone(),
                        size.to_string(),
                        place.village.clone(),
                        kind.zh().to_owned(),
                        approved_on.to_string(),
                    ],
                ),
            };
            Ok(Document {
                title,
                subtitle: Some(format!("{} {}", place.county, place.township)),
                blocks: vec![
                    Block::Paragraph(intro),
                    Block::Table {
                        header: header.into_iter().map(str::to_owned).collect(),
                        rows: vec![row],
                    },
                    Block::KeyValues(vec![(
                        "监督电话".to_owned(),
                        phone_or_blank(supervision_phone),
                    )]),
                    Block::Signature(format!("{}人民政府\n{}", place.township, date_zh(on))),
                ],
            })
        }
    }
}

/// The household's assistance card (明白卡): status, helpers, measures, contacts.
pub async fn assistance_card(
    app: &App,
    by: &Principal,
    household: HouseholdId,
    contact_phone: Option<&str>,
) -> CaseResult<Document> {
    by.require(Action::ReadRegistry)?;
    let detail = cases::household_detail(app, by, household).await?;
    let village = detail.household.value.region;
    let today = app.clock.today();
    let pack = app
        .policy
        .in_force(&village, today)
        .ok_or(CaseFailure::NoPolicy {
            region: village,
            on: today,
        })?;
    let place = place(app, &village).await?;
    let (head, size) = head_and_size(&detail);
    let status = cases::status(app, by, household).await?;
    let (status_zh, category, risks) = match &status {
        MonitoringStatus::NotMonitored => ("未纳入监测".to_owned(), String::new(), String::new()),
        MonitoringStatus::Monitored {
            identified_on,
            category,
            risks,
        } => (
            format!("{}纳入监测", date_zh(*identified_on)),
            category_zh(pack, category),
            risks_zh(pack, risks),
        ),
        other => (other_status_zh(other), String::new(), String::new()),
    };
    let helpers = app.store.household_helpers(household).await?;
    let measures = cases::measures(app, by, household).await?;
    let mut pairs = vec![
        ("户主".to_owned(), head),
        ("家庭人口".to_owned(), format!("{size} 人")),
        (
            "所在村".to_owned(),
            format!("{} {} {}", place.county, place.township, place.village),
        ),
        ("监测状态".to_owned(), status_zh),
    ];
    if !category.is_empty() {
        pairs.push(("监测类别".to_owned(), category));
    }
    if !risks.is_empty() {
        pairs.push(("风险类型".to_owned(), risks));
    }
    let rows: Vec<Vec<String>> = measures
        .iter()
        .map(|(_, m)| {
            let m = &m.value;
            vec![
                m.category.zh().to_owned(),
                m.name.clone(),
                format!(
                    "{} 至 {}",
                    m.start,
                    m.end.map_or_else(|| "长期".to_owned(), |e| e.to_string())
                ),
                m.amount.to_string(),
                m.funding.zh().to_owned(),
            ]
        })
        .collect();
    let mut blocks = vec![
        Block::Heading("一、家庭基本情况".to_owned()),
        Block::KeyValues(pairs),
    ];
    blocks.push(Block::Heading("二、帮扶措施".to_owned()));
    if rows.is_empty() {
        blocks.push(Block::Paragraph("暂无帮扶措施。".to_owned()));
    } else {
        blocks.push(Block::Table {
            header: ["类别", "措施", "起止时间", "金额（元）", "资金来源"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            rows,
        });
    }
    blocks.push(Block::Heading("三、帮扶联系人和联系方式".to_owned()));
    blocks.push(Block::KeyValues(vec![
        (
            "帮扶联系人".to_owned(),
            if helpers.is_empty() {
                "尚未明确".to_owned()
            } else {
                helpers.join("、")
            },
        ),
        ("村委会".to_owned(), place.village.clone()),
        ("乡镇人民政府".to_owned(), place.township.clone()),
        ("咨询监督电话".to_owned(), phone_or_blank(contact_phone)),
    ]));
    blocks.push(Block::Paragraph(
        "家庭收入、人口、健康、住房、饮水等情况发生变化，或遇到因病、因灾、因意外事故等困难时，请及时向帮扶联系人、村委会报告或主动申报。"
            .to_owned(),
    ));
    blocks.push(Block::Signature(format!(
        "{}人民政府\n{}",
        place.township,
        date_zh(today)
    )));
    Ok(Document {
        title: "防止返贫帮扶明白卡".to_owned(),
        subtitle: Some(format!(
            "{} · {}",
            place.village,
            pack.terminology.object_term_zh()
        )),
        blocks,
    })
}

fn other_status_zh(status: &MonitoringStatus) -> String {
    match status {
        MonitoringStatus::Eliminated { eliminated_on, .. } => {
            format!("{}风险已消除，继续跟踪监测", date_zh(*eliminated_on))
        }
        MonitoringStatus::RolledBack { .. } => "风险消除后返回监测".to_owned(),
        _ => String::new(),
    }
}
