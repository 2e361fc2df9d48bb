//! Department feeds (部门数据, formats.md §3, issue 5): reading a feed file into typed rows.
//!
//! A feed file is read with [`crate::import::table`] (CSV in UTF-8/BOM/GB18030, or XLSX), its
//! headers mapped in Chinese or English. Every row problem is collected with file, row, column and
//! field; one problem refuses the whole file (all-or-nothing). Storing the batch and screening are
//! in [`screening`].

pub mod screening;
pub mod store;

use std::path::Path;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use uplift_domain::income::Money;
use uplift_domain::policy::HousingGrade;
use uplift_screen::{
    AssetKind, AssistanceKind, CivilEvent, EducationStatus, EmploymentEvent, FeedData, Target,
    id_key, region_key,
};
pub use uplift_screen::{FeedKind, RuleCode};

use crate::import::headers::{Column, HeaderMap, map_headers};
use crate::import::registry::parse_date;
use crate::import::table::{FileKind, Row, Table, TableError};
use crate::import::{ImportError, ImportIssue};

const fn col(zh: &'static str, en: &'static str, required: bool) -> Column {
    Column { zh, en, required }
}

const RECORD: [Column; 2] = [
    col("记录编号", "record_id", false),
    col("记录状态", "record_status", false),
];

macro_rules! feed_columns {
    ($name:ident: $($c:expr),+ $(,)?) => {
        pub const $name: &[Column] = &[$($c,)+ RECORD[0], RECORD[1]];
    };
}

feed_columns!(MEDICAL_COLUMNS:
    col("证件号码", "id_number", true),
    col("结算日期", "settlement_date", true),
    col("医疗总费用", "total_cost", true),
    col("政策范围内个人自付", "compliant_out_of_pocket", true),
    col("入院日期", "admission_date", false),
);
feed_columns!(CIVIL_AFFAIRS_COLUMNS:
    col("证件号码", "id_number", true),
    col("救助类型", "assistance_type", true),
    col("开始日期", "start_date", true),
    col("结束日期", "end_date", false),
);
feed_columns!(DISABILITY_COLUMNS:
    col("证件号码", "id_number", true),
    col("残疾类别", "disability_type", true),
    col("残疾等级", "disability_grade", true),
    col("发证日期", "issued_date", true),
);
feed_columns!(EDUCATION_COLUMNS:
    col("证件号码", "id_number", true),
    col("学段", "school_stage", true),
    col("状态", "status", true),
    col("日期", "date", true),
);
feed_columns!(EMPLOYMENT_COLUMNS:
    col("证件号码", "id_number", true),
    col("事件", "event", true),
    col("开始日期", "start_date", true),
    col("结束日期", "end_date", false),
    col("务工所在县", "county_of_work", false),
);
feed_columns!(HOUSING_COLUMNS:
    col("户编号", "household_no", false),
    col("证件号码", "id_number", false),
    col("鉴定等级", "grade", true),
    col("鉴定日期", "appraisal_date", true),
);
feed_columns!(WATER_COLUMNS:
    col("行政区划代码", "region_code", true),
    col("停水开始日期", "interruption_start", true),
    col("停水结束日期", "interruption_end", true),
);
feed_columns!(DISASTER_COLUMNS:
    col("户编号", "household_no", false),
    col("证件号码", "id_number", false),
    col("行政区划代码", "region_code", false),
    col("灾害类型", "disaster_type", true),
    col("损失金额", "loss_amount", true),
    col("日期", "date", true),
);
feed_columns!(CIVIL_REGISTRY_COLUMNS:
    col("证件号码", "id_number", true),
    col("事件", "event", true),
    col("日期", "date", true),
);
feed_columns!(ASSETS_COLUMNS:
    col("证件号码", "id_number", true),
    col("资产类型", "asset_type", true),
    col("说明", "description", false),
    col("日期", "date", true),
);

/// The header table of a feed.
pub fn columns(kind: FeedKind) -> &'static [Column] {
    match kind {
        FeedKind::Medical => MEDICAL_COLUMNS,
        FeedKind::CivilAffairs => CIVIL_AFFAIRS_COLUMNS,
        FeedKind::Disability => DISABILITY_COLUMNS,
        FeedKind::Education => EDUCATION_COLUMNS,
        FeedKind::Employment => EMPLOYMENT_COLUMNS,
        FeedKind::Housing => HOUSING_COLUMNS,
        FeedKind::Water => WATER_COLUMNS,
        FeedKind::Disaster => DISASTER_COLUMNS,
        FeedKind::CivilRegistry => CIVIL_REGISTRY_COLUMNS,
        FeedKind::Assets => ASSETS_COLUMNS,
    }
}

/// One parsed feed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub row: u64,
    pub record_id: Option<String>,
    pub reversal: bool,
    pub target: Target,
    /// The identifying cell as written (for the unmatched list).
    pub target_text: String,
    pub data: FeedData,
}

/// A parsed feed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFeed {
    pub kind: FeedKind,
    pub file: String,
    /// SHA-256 of the file's bytes, hex.
    pub checksum: String,
    /// The earliest and latest event date of the rows (the batch's period).
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub rows: Vec<FeedRow>,
}

/// Why a feed file was refused.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    File(#[from] ImportError),
    #[error("{} problem(s) in the file; nothing was imported:\n{}", .0.len(), issues_text(.0))]
    Rows(Vec<ImportIssue>),
}

fn issues_text(issues: &[ImportIssue]) -> String {
    issues
        .iter()
        .take(50)
        .map(|i| {
            format!(
                "{}: row {}, column {} ({}): {} / {} [{:?}]",
                i.file, i.row, i.column, i.field, i.message_zh, i.message_en, i.value
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads and parses a feed file from disk.
pub fn read_feed(kind: FeedKind, path: &Path) -> Result<ParsedFeed, FeedError> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let bytes = std::fs::read(path).map_err(|source| {
        ImportError::Table(TableError::Io {
            file: file.clone(),
            source,
        })
    })?;
    parse_feed(kind, &file, bytes)
}

/// Parses feed bytes; `file` names the file in messages and decides CSV or XLSX by its extension.
pub fn parse_feed(kind: FeedKind, file: &str, bytes: Vec<u8>) -> Result<ParsedFeed, FeedError> {
    let checksum = hex(&Sha256::digest(&bytes));
    let fk = FileKind::from_name(file).ok_or_else(|| {
        ImportError::Table(TableError::UnsupportedFormat {
            file: file.to_owned(),
        })
    })?;
    let mut table = Table::from_bytes(file, fk, bytes).map_err(ImportError::Table)?;
    let map = map_headers(file, table.headers(), columns(kind)).map_err(ImportError::Headers)?;
    let mut issues = Vec::new();
    let mut rows = Vec::new();
    let mut row = Row::new();
    while table.next_row(&mut row).map_err(ImportError::Table)? {
        let mut p = RowParser {
            file,
            map: &map,
            row: &row,
            issues: &mut issues,
        };
        if let Some(r) = p.parse(kind) {
            rows.push(r);
        }
    }
    if !issues.is_empty() {
        return Err(FeedError::Rows(issues));
    }
    let dates = rows.iter().map(|r| event_date(&r.data));
    let period = dates.clone().min().zip(dates.max());
    Ok(ParsedFeed {
        kind,
        file: file.to_owned(),
        checksum,
        period,
        rows,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The date a row is about (for the batch's period).
pub fn event_date(d: &FeedData) -> NaiveDate {
    match d {
        FeedData::Medical { settled, .. } => *settled,
        FeedData::CivilAffairs { start, .. } => *start,
        FeedData::Disability { issued, .. } => *issued,
        FeedData::Education { date, .. } => *date,
        FeedData::Employment { start, .. } => *start,
        FeedData::Housing { appraised, .. } => *appraised,
        FeedData::Water { start, .. } => *start,
        FeedData::Disaster { date, .. } => *date,
        FeedData::CivilRegistry { date, .. } => *date,
        FeedData::Asset { date, .. } => *date,
    }
}

struct RowParser<'a> {
    file: &'a str,
    map: &'a HeaderMap,
    row: &'a Row,
    issues: &'a mut Vec<ImportIssue>,
}

impl RowParser<'_> {
    fn cell(&self, field: &str) -> &str {
        self.map
            .index(field)
            .map(|i| self.row.get(i).trim())
            .unwrap_or("")
    }

    fn issue(&mut self, field: &'static str, rule: &'static str, zh: String, en: String) {
        let column = self
            .map
            .index(field)
            .map(|i| {
                format!(
                    "{} {}",
                    crate::import::table::column_letters(i),
                    self.map.written(field)
                )
            })
            .unwrap_or_default();
        self.issues.push(ImportIssue {
            file: self.file.to_owned(),
            row: self.row.number(),
            column,
            field,
            rule,
            message_zh: zh,
            message_en: en,
            value: self.cell(field).to_owned(),
            household_no: String::new(),
        });
    }

    fn required(&mut self, field: &'static str) -> Option<String> {
        let v = self.cell(field);
        if v.is_empty() {
            self.issue(
                field,
                "field.required",
                "必填项为空".into(),
                "required value is empty".into(),
            );
            return None;
        }
        Some(v.to_owned())
    }

    fn date(&mut self, field: &'static str) -> Option<NaiveDate> {
        let v = self.required(field)?;
        let d = parse_date(&v);
        if d.is_none() {
            self.issue(
                field,
                "field.date",
                "不是有效日期（YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）".into(),
                "not a valid date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)".into(),
            );
        }
        d
    }

    fn optional_date(&mut self, field: &'static str) -> Option<Option<NaiveDate>> {
        if self.cell(field).is_empty() {
            return Some(None);
        }
        self.date(field).map(Some)
    }

    fn money(&mut self, field: &'static str) -> Option<Money> {
        let v = self.required(field)?;
        match Money::parse(&v) {
            Ok(m) if m >= Money::ZERO => Some(m),
            _ => {
                self.issue(
                    field,
                    "field.money",
                    "不是有效金额（元，最多两位小数，不为负）".into(),
                    "not a valid amount (yuan, at most two decimals, not negative)".into(),
                );
                None
            }
        }
    }

    fn choice<T: Copy>(&mut self, field: &'static str, options: &[(&str, &str, T)]) -> Option<T> {
        let v = self.required(field)?;
        let found = options
            .iter()
            .find(|(zh, en, _)| v == *zh || v.eq_ignore_ascii_case(en))
            .map(|(_, _, t)| *t);
        if found.is_none() {
            let allowed: Vec<String> = options
                .iter()
                .map(|(zh, en, _)| format!("{zh} {en}"))
                .collect();
            self.issue(
                field,
                "field.enum",
                format!("取值不在允许范围内：{}", allowed.join("、")),
                format!("value not allowed; expected one of: {}", allowed.join(", ")),
            );
        }
        found
    }

    fn person(&mut self) -> Option<(Target, String)> {
        let v = self.required("id_number")?;
        match id_key(&v) {
            Some(k) => Some((Target::Person(k), v)),
            None => {
                self.issue(
                    "id_number",
                    "id.length",
                    "证件号码应为 18 位".into(),
                    "the ID number must have 18 characters".into(),
                );
                None
            }
        }
    }

    /// Household number, ID number or village code: the first one given.
    fn any_target(&mut self, allow_region: bool) -> Option<(Target, String)> {
        let no = self.cell("household_no");
        if !no.is_empty() {
            return Some((Target::Household(no.to_owned()), no.to_owned()));
        }
        if !self.cell("id_number").is_empty() {
            return self.person();
        }
        if allow_region {
            let code = self.cell("region_code");
            if !code.is_empty() {
                return match region_key(code) {
                    Some(k) => Some((Target::Region(k), code.to_owned())),
                    None => {
                        self.issue(
                            "region_code",
                            "region.code",
                            "行政区划代码应为 12 位数字".into(),
                            "the region code must have 12 digits".into(),
                        );
                        None
                    }
                };
            }
        }
        let (zh, en) = if allow_region {
            (
                "户编号、证件号码、行政区划代码至少填写一项",
                "give a household_no, an id_number or a region_code",
            )
        } else {
            (
                "户编号、证件号码至少填写一项",
                "give a household_no or an id_number",
            )
        };
        self.issue("household_no", "field.required", zh.into(), en.into());
        None
    }

    fn parse(&mut self, kind: FeedKind) -> Option<FeedRow> {
        let record_id = Some(self.cell("record_id").to_owned()).filter(|s| !s.is_empty());
        let status = self.cell("record_status").to_owned();
        let reversal = match status.as_str() {
            "" | "正常" | "normal" => false,
            "冲销" | "reversed" => true,
            _ => {
                self.issue(
                    "record_status",
                    "field.enum",
                    "记录状态只能为 正常 或 冲销".into(),
                    "record_status must be normal or reversed".into(),
                );
                false
            }
        };
        if reversal && record_id.is_none() {
            self.issue(
                "record_id",
                "feed.reversal_without_id",
                "冲销记录必须填写记录编号".into(),
                "a reversal needs the record_id of the row it cancels".into(),
            );
        }
        let (target, target_text, data) = match kind {
            FeedKind::Medical => {
                let t = self.person();
                let settled = self.date("settlement_date");
                let total = self.money("total_cost");
                let oop = self.money("compliant_out_of_pocket");
                let admitted = self.optional_date("admission_date");
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::Medical {
                        settled: settled?,
                        total: total?,
                        out_of_pocket: oop?,
                        admitted: admitted?,
                    },
                )
            }
            FeedKind::CivilAffairs => {
                let t = self.person();
                let k = self.choice(
                    "assistance_type",
                    &[
                        ("低保", "subsistence", AssistanceKind::Subsistence),
                        ("特困", "extreme_poverty", AssistanceKind::ExtremePoverty),
                        (
                            "低保边缘",
                            "near_subsistence",
                            AssistanceKind::NearSubsistence,
                        ),
                        ("临时救助", "temporary", AssistanceKind::Temporary),
                    ],
                );
                let start = self.date("start_date");
                let end = self.optional_date("end_date");
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::CivilAffairs {
                        kind: k?,
                        start: start?,
                        end: end?,
                    },
                )
            }
            FeedKind::Disability => {
                let t = self.person();
                self.required("disability_type");
                let grade = self.required("disability_grade").and_then(|g| {
                    let g = g.trim_end_matches('级');
                    g.parse::<u8>().ok().filter(|n| (1..=4).contains(n))
                });
                if grade.is_none() && !self.cell("disability_grade").is_empty() {
                    self.issue(
                        "disability_grade",
                        "field.enum",
                        "残疾等级应为 1–4".into(),
                        "disability_grade must be 1 to 4".into(),
                    );
                }
                let issued = self.date("issued_date");
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::Disability {
                        grade: grade?,
                        issued: issued?,
                    },
                )
            }
            FeedKind::Education => {
                let t = self.person();
                self.required("school_stage");
                let status = self.choice(
                    "status",
                    &[
                        ("在读", "enrolled", EducationStatus::Enrolled),
                        ("辍学", "dropped_out", EducationStatus::DroppedOut),
                        ("休学", "suspended", EducationStatus::Suspended),
                    ],
                );
                let date = self.date("date");
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::Education {
                        status: status?,
                        date: date?,
                    },
                )
            }
            FeedKind::Employment => {
                let t = self.person();
                let event = self.choice(
                    "event",
                    &[
                        ("失业登记", "unemployed", EmploymentEvent::Unemployed),
                        ("务工", "migrant_work", EmploymentEvent::MigrantWork),
                        ("返乡", "returned", EmploymentEvent::Returned),
                    ],
                );
                let start = self.date("start_date");
                let end = self.optional_date("end_date");
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::Employment {
                        event: event?,
                        start: start?,
                        end: end?,
                    },
                )
            }
            FeedKind::Housing => {
                let t = self.any_target(false);
                let grade = self.choice(
                    "grade",
                    &[
                        ("A", "A级", HousingGrade::A),
                        ("B", "B级", HousingGrade::B),
                        ("C", "C级", HousingGrade::C),
                        ("D", "D级", HousingGrade::D),
                    ],
                );
                let date = self.date("appraisal_date");
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::Housing {
                        grade: grade?,
                        appraised: date?,
                    },
                )
            }
            FeedKind::Water => {
                let t = self.any_target(true);
                let start = self.date("interruption_start");
                let end = self.date("interruption_end");
                if let (Some(s), Some(e)) = (start, end)
                    && e < s
                {
                    self.issue(
                        "interruption_end",
                        "feed.end_before_start",
                        "停水结束日期早于开始日期".into(),
                        "the interruption ends before it starts".into(),
                    );
                    return None;
                }
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::Water {
                        start: start?,
                        end: end?,
                    },
                )
            }
            FeedKind::Disaster => {
                let t = self.any_target(true);
                let dt = self.required("disaster_type");
                let dt = dt.and_then(|v| {
                    let ok = v.len() == 4
                        && v.starts_with("02")
                        && v.bytes().all(|b| b.is_ascii_digit());
                    if !ok {
                        self.issue(
                            "disaster_type",
                            "field.enum",
                            "灾害类型应为 0201–0299 的代码（domain.md §4.1）".into(),
                            "disaster_type must be a code 0201–0299 (domain.md §4.1)".into(),
                        );
                    }
                    ok.then_some(v)
                });
                let loss = self.money("loss_amount");
                let date = self.date("date");
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::Disaster {
                        disaster_type: dt?,
                        loss: loss?,
                        date: date?,
                    },
                )
            }
            FeedKind::CivilRegistry => {
                let t = self.person();
                let event = self.choice(
                    "event",
                    &[
                        ("死亡", "death", CivilEvent::Death),
                        ("迁出", "moved_out", CivilEvent::MovedOut),
                        ("迁入", "moved_in", CivilEvent::MovedIn),
                    ],
                );
                let date = self.date("date");
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::CivilRegistry {
                        event: event?,
                        date: date?,
                    },
                )
            }
            FeedKind::Assets => {
                let t = self.person();
                let k = self.choice(
                    "asset_type",
                    &[
                        ("车辆", "vehicle", AssetKind::Vehicle),
                        ("商品房", "commercial_housing", AssetKind::CommercialHousing),
                        ("工商注册", "business", AssetKind::Business),
                        ("财政供养", "public_payroll", AssetKind::PublicPayroll),
                    ],
                );
                let date = self.date("date");
                let (t, text) = t?;
                (
                    t,
                    text,
                    FeedData::Asset {
                        kind: k?,
                        date: date?,
                    },
                )
            }
        };
        Some(FeedRow {
            row: self.row.number(),
            record_id,
            reversal,
            target,
            target_text,
            data,
        })
    }
}

/// The stored text of a row's data: `|`-separated fields, dates ISO, money in fen.
pub fn encode_data(d: &FeedData) -> String {
    let opt = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    match d {
        FeedData::Medical {
            settled,
            total,
            out_of_pocket,
            admitted,
        } => format!(
            "{settled}|{}|{}|{}",
            total.fen(),
            out_of_pocket.fen(),
            opt(admitted)
        ),
        FeedData::CivilAffairs { kind, start, end } => {
            let k = match kind {
                AssistanceKind::Subsistence => "subsistence",
                AssistanceKind::ExtremePoverty => "extreme_poverty",
                AssistanceKind::NearSubsistence => "near_subsistence",
                AssistanceKind::Temporary => "temporary",
            };
            format!("{k}|{start}|{}", opt(end))
        }
        FeedData::Disability { grade, issued } => format!("{grade}|{issued}"),
        FeedData::Education { status, date } => {
            let s = match status {
                EducationStatus::Enrolled => "enrolled",
                EducationStatus::DroppedOut => "dropped_out",
                EducationStatus::Suspended => "suspended",
            };
            format!("{s}|{date}")
        }
        FeedData::Employment { event, start, end } => {
            let e = match event {
                EmploymentEvent::Unemployed => "unemployed",
                EmploymentEvent::MigrantWork => "migrant_work",
                EmploymentEvent::Returned => "returned",
            };
            format!("{e}|{start}|{}", opt(end))
        }
        FeedData::Housing { grade, appraised } => format!("{}|{appraised}", grade.as_str()),
        FeedData::Water { start, end } => format!("{start}|{end}"),
        FeedData::Disaster {
            disaster_type,
            loss,
            date,
        } => format!("{disaster_type}|{}|{date}", loss.fen()),
        FeedData::CivilRegistry { event, date } => {
            let e = match event {
                CivilEvent::Death => "death",
                CivilEvent::MovedOut => "moved_out",
                CivilEvent::MovedIn => "moved_in",
            };
            format!("{e}|{date}")
        }
        FeedData::Asset { kind, date } => {
            let k = match kind {
                AssetKind::Vehicle => "vehicle",
                AssetKind::CommercialHousing => "commercial_housing",
                AssetKind::Business => "business",
                AssetKind::PublicPayroll => "public_payroll",
            };
            format!("{k}|{date}")
        }
    }
}

/// The inverse of [`encode_data`]; none for text it did not write.
pub fn decode_data(kind: FeedKind, s: &str) -> Option<FeedData> {
    let f: Vec<&str> = s.split('|').collect();
    let date = |i: usize| f.get(i).and_then(|v| v.parse::<NaiveDate>().ok());
    let odate = |i: usize| match f.get(i) {
        Some(&"") => Some(None),
        Some(v) => v.parse::<NaiveDate>().ok().map(Some),
        None => None,
    };
    let fen = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<i64>().ok())
            .map(Money::from_fen)
    };
    let word = |i: usize| f.get(i).copied().unwrap_or("");
    Some(match kind {
        FeedKind::Medical => FeedData::Medical {
            settled: date(0)?,
            total: fen(1)?,
            out_of_pocket: fen(2)?,
            admitted: odate(3)?,
        },
        FeedKind::CivilAffairs => FeedData::CivilAffairs {
            kind: match word(0) {
                "subsistence" => AssistanceKind::Subsistence,
                "extreme_poverty" => AssistanceKind::ExtremePoverty,
                "near_subsistence" => AssistanceKind::NearSubsistence,
                "temporary" => AssistanceKind::Temporary,
                _ => return None,
            },
            start: date(1)?,
            end: odate(2)?,
        },
        FeedKind::Disability => FeedData::Disability {
            grade: word(0).parse().ok()?,
            issued: date(1)?,
        },
        FeedKind::Education => FeedData::Education {
            status: match word(0) {
                "enrolled" => EducationStatus::Enrolled,
                "dropped_out" => EducationStatus::DroppedOut,
                "suspended" => EducationStatus::Suspended,
                _ => return None,
            },
            date: date(1)?,
        },
        FeedKind::Employment => FeedData::Employment {
            event: match word(0) {
                "unemployed" => EmploymentEvent::Unemployed,
                "migrant_work" => EmploymentEvent::MigrantWork,
                "returned" => EmploymentEvent::Returned,
                _ => return None,
            },
            start: date(1)?,
            end: odate(2)?,
        },
        FeedKind::Housing => FeedData::Housing {
            grade: HousingGrade::parse(word(0))?,
            appraised: date(1)?,
        },
        FeedKind::Water => FeedData::Water {
            start: date(0)?,
            end: date(1)?,
        },
        FeedKind::Disaster => FeedData::Disaster {
            disaster_type: word(0).to_owned(),
            loss: fen(1)?,
            date: date(2)?,
        },
        FeedKind::CivilRegistry => FeedData::CivilRegistry {
            event: match word(0) {
                "death" => CivilEvent::Death,
                "moved_out" => CivilEvent::MovedOut,
                "moved_in" => CivilEvent::MovedIn,
                _ => return None,
            },
            date: date(1)?,
        },
        FeedKind::Assets => FeedData::Asset {
            kind: match word(0) {
                "vehicle" => AssetKind::Vehicle,
                "commercial_housing" => AssetKind::CommercialHousing,
                "business" => AssetKind::Business,
                "public_payroll" => AssetKind::PublicPayroll,
                _ => return None,
            },
            date: date(1)?,
        },
    })
}

/// The stored text of a target: `P:<id>`, `H:<household no>` or `R:<village code>`.
pub fn encode_target(t: &Target) -> String {
    match t {
        Target::Person(id) => format!("P:{}", String::from_utf8_lossy(id)),
        Target::Household(no) => format!("H:{no}"),
        Target::Region(code) => format!("R:{code:012}"),
    }
}

pub fn decode_target(s: &str) -> Option<Target> {
    let (k, v) = s.split_once(':')?;
    match k {
        "P" => id_key(v).map(Target::Person),
        "H" => Some(Target::Household(v.to_owned())),
        "R" => region_key(v).map(Target::Region),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uplift_screen::{HouseholdFacts, PersonFacts, Registry, RuleCode, screen};

    const ID: &str = "431026196804043914";

    fn pack() -> uplift_domain::policy::PolicyPack {
        let book = crate::policy::shipped().unwrap();
        let region = uplift_domain::region::RegionCode::parse("431026103201").unwrap();
        book.in_force(&region, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap())
            .unwrap()
            .clone()
    }

    fn registry() -> Registry {
        let mut r = Registry::default();
        let h = r.add_household(HouseholdFacts {
            key: 7,
            household_no: "4310261032010001".into(),
            region: 431026103201,
            formerly_poor: false,
            members: 2,
            incomes: Vec::new(),
        });
        r.add_person(PersonFacts {
            id: id_key(ID).unwrap(),
            household: h,
            disability_grade: None,
            worker_rank: None,
        });
        r
    }

    fn records(csv: &str, batch: i64) -> Vec<uplift_screen::FeedRecord> {
        let parsed = parse_feed(FeedKind::Medical, "m.csv", csv.as_bytes().to_vec()).unwrap();
        parsed
            .rows
            .into_iter()
            .map(|r| uplift_screen::FeedRecord {
                evidence: uplift_screen::Evidence {
                    feed: FeedKind::Medical,
                    batch,
                    row: r.row,
                },
                record_id: r.record_id,
                reversal: r.reversal,
                target: r.target,
                data: decode_data(FeedKind::Medical, &encode_data(&r.data)).unwrap(),
            })
            .collect()
    }

    fn rules(recs: &[uplift_screen::FeedRecord], as_of: (i32, u32, u32)) -> Vec<RuleCode> {
        let as_of = NaiveDate::from_ymd_opt(as_of.0, as_of.1, as_of.2).unwrap();
        screen(&registry(), recs, &pack(), as_of)
            .findings
            .iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn exactly_at_the_per_stay_threshold_does_not_warn_one_fen_above_does() {
        let at = format!(
            "id_number,settlement_date,total_cost,compliant_out_of_pocket\n{ID},2026-03-01,20000,10000\n"
        );
        assert!(!rules(&records(&at, 1), (2026, 4, 1)).contains(&RuleCode::MedicalPerStay));
        let above = format!(
            "证件号码,结算日期,医疗总费用,政策范围内个人自付\n{ID},2026-03-01,20000,10000.01\n"
        );
        assert!(rules(&records(&above, 1), (2026, 4, 1)).contains(&RuleCode::MedicalPerStay));
    }

    #[test]
    fn the_twelve_month_window_excludes_its_first_day_and_includes_the_reference_date() {
        let csv = format!(
            "id_number,settlement_date,total_cost,compliant_out_of_pocket\n{ID},2025-04-01,1,20000\n{ID},2026-04-01,1,10000.01\n"
        );
        // (2025-04-01, 2026-04-01]: the first settlement is outside, so the sum is 10,000.01.
        assert!(!rules(&records(&csv, 1), (2026, 4, 1)).contains(&RuleCode::Medical12Months));
        // A settlement one day later falls inside: 20,000 + 10,000.01 > 30,000.
        let inside = csv.replace("2025-04-01", "2025-04-02");
        assert!(rules(&records(&inside, 1), (2026, 4, 1)).contains(&RuleCode::Medical12Months));
    }

    #[test]
    fn a_resent_row_is_one_event_and_a_reversal_cancels_it() {
        let first = format!(
            "id_number,settlement_date,total_cost,compliant_out_of_pocket,record_id\n{ID},2026-03-01,1,20000,S1\n"
        );
        let mut recs = records(&first, 1);
        recs.extend(records(&first, 2));
        // Sent twice, counted once: 20,000 is not above 30,000.
        assert!(!rules(&recs, (2026, 4, 1)).contains(&RuleCode::Medical12Months));
        assert!(rules(&recs, (2026, 4, 1)).contains(&RuleCode::MedicalPerStay));
        let reversal = format!(
            "id_number,settlement_date,total_cost,compliant_out_of_pocket,record_id,记录状态\n{ID},2026-03-01,1,20000,S1,冲销\n"
        );
        recs.extend(records(&reversal, 3));
        assert_eq!(rules(&recs, (2026, 4, 1)), Vec::<RuleCode>::new());
    }

    #[test]
    fn a_bad_file_names_row_column_and_field_and_imports_nothing() {
        let csv =
            "证件号码,结算日期,医疗总费用,政策范围内个人自付,记录状态\n123,2026-02-30,x,1,冲销\n";
        let Err(FeedError::Rows(issues)) =
            parse_feed(FeedKind::Medical, "m.csv", csv.as_bytes().to_vec())
        else {
            panic!("expected row errors");
        };
        let fields: Vec<&str> = issues.iter().map(|i| i.field).collect();
        assert_eq!(
            fields,
            ["record_id", "id_number", "settlement_date", "total_cost"]
        );
        assert!(issues.iter().all(|i| i.row == 2));
        assert_eq!(issues[1].column, "A 证件号码");
    }

    fn medical_record(
        person: &str,
        batch: i64,
        row: u64,
        day: u32,
        yuan: i64,
        rid: u8,
    ) -> uplift_screen::FeedRecord {
        let date = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap() + chrono::Days::new(u64::from(day));
        uplift_screen::FeedRecord {
            evidence: uplift_screen::Evidence {
                feed: FeedKind::Medical,
                batch,
                row,
            },
            record_id: Some(format!("R{rid}")),
            reversal: false,
            target: Target::Person(id_key(person).unwrap()),
            data: FeedData::Medical {
                settled: date,
                total: Money::from_yuan(yuan),
                out_of_pocket: Money::from_yuan(yuan),
                admitted: None,
            },
        }
    }

    fn people() -> Vec<String> {
        (1..=6u16)
            .map(|i| {
                let id17 = format!("4310261970010{:04}", i);
                format!("{id17}{}", uplift_domain::resident_id::check_char(&id17))
            })
            .collect()
    }

    fn six_households() -> Registry {
        let mut r = Registry::default();
        for (i, id) in people().iter().enumerate() {
            let h = r.add_household(HouseholdFacts {
                key: i as i64 + 1,
                household_no: format!("43102610320100{i:02}"),
                region: 431026103201,
                formerly_poor: i % 2 == 0,
                members: 2,
                incomes: Vec::new(),
            });
            r.add_person(PersonFacts {
                id: id_key(id).unwrap(),
                household: h,
                disability_grade: None,
                worker_rank: None,
            });
        }
        r
    }

    proptest::proptest! {
        /// Screening all feed rows at once gives the same (household, rule) set as screening them
        /// in k incremental batches, each run re-screening only the households its batch names
        /// with every row stored so far (as `run_screening` does).
        #[test]
        fn one_batch_and_k_incremental_batches_agree(
            rows in proptest::collection::vec((0usize..6, 0u32..400, 1i64..25_000, 0u8..12), 1..40),
            k in 1usize..6,
        ) {
            let reg = six_households();
            let people = people();
            let pack = pack();
            let as_of = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
            let chunk = rows.len().div_ceil(k);
            let mut all = Vec::new();
            let mut latest: std::collections::BTreeMap<u32, Vec<RuleCode>> = Default::default();
            for (b, part) in rows.chunks(chunk).enumerate() {
                let batch: Vec<_> = part
                    .iter()
                    .enumerate()
                    .map(|(n, (p, day, yuan, rid))| {
                        medical_record(&people[*p], b as i64 + 1, n as u64 + 2, *day, *yuan, *rid)
                    })
                    .collect();
                all.extend(batch);
                let this = b as i64 + 1;
                let touched =
                    uplift_screen::households_touched(&reg, &all, |r| r.evidence.batch == this);
                let result = uplift_screen::screen_households(&reg, &all, &pack, as_of, Some(&touched));
                for h in &touched {
                    latest.insert(*h, Vec::new());
                }
                for f in result.findings {
                    latest.entry(f.household).or_default().push(f.rule);
                }
            }
            let mut incremental: Vec<(u32, RuleCode)> = latest
                .into_iter()
                .flat_map(|(h, rules)| rules.into_iter().map(move |r| (h, r)))
                .collect();
            let mut batch: Vec<(u32, RuleCode)> = screen(&reg, &all, &pack, as_of)
                .findings
                .iter()
                .map(|f| (f.household, f.rule))
                .collect();
            incremental.sort();
            incremental.dedup();
            batch.sort();
            batch.dedup();
            proptest::prop_assert_eq!(incremental, batch);
        }
    }
}
