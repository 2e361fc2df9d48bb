//! Parsing registry rows (formats.md §1) into typed households and members, and income rows
//! (§2) into income records keyed by household number.
//!
//! Every field problem becomes an [`ImportIssue`] with a stable rule code:
//!
//! | rule | meaning |
//! |---|---|
//! | `field.required` | a required cell is empty |
//! | `field.too_long` | a text longer than its documented maximum (never cut) |
//! | `field.bad_char` | a household number with characters other than letters, digits, `-` |
//! | `field.enum` | a value outside the codebook; the message lists the accepted values |
//! | `field.date` | not a date (`YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, Excel date), e.g. 2023-02-30 |
//! | `field.money` | not an amount in yuan with at most two decimals |
//! | `field.negative` | a negative income amount |
//! | `cell.number_lost_digits` | an XLSX number of 16+ digits (an ID or household number typed as a number) |
//! | `region.invalid`, `region.not_village` | the region code is malformed, or not a village code |
//! | `region.unknown` | a well-formed village code that is not in the region tree (checked in `imports.rs`) |
//! | `id.length`, `id.not_digit`, `id.check_char`, `id.birth_date`, `id.future_birth`, `id.ancient_birth`, `id.province`, `id.county`, `id.check_digit` | the ID number (`ResidentIdError`) |
//! | `disability_grade.invalid`, `disability_grade.required` | grade not 1–4; missing for 残疾 |
//! | `phone.invalid` | not a phone number |
//! | `S_SEX` | 性别 disagrees with the ID number (quality rule, seen by the parser) |
//! | `household.inconsistent` | a row repeats a household number with another type, region or address |
//! | `income.period_reversed` | period end before period start |
//! | `income.duplicate_period` | the same household and period twice in the income file |
//!
//! A row with any issue is *rejected*: its person (or income record) is not in the result, and
//! its row number is listed in [`ParsedHousehold::rejected_rows`] so `--partial` can leave out the
//! whole household.

use std::collections::HashMap;

use chrono::NaiveDate;
use uplift_domain::household::{
    Codebook, CodebookError, Education, FieldError, Health, Household, HouseholdNo, HouseholdType,
    Labour, MemberStatus, Person, Relation, Schooling, parse_disability_grade, parse_phone,
    parse_yes_no, text_field,
};
use uplift_domain::income::{IncomeRecord, IncomeRecordError, Money, MoneyError};
use uplift_domain::region::{RegionCode, RegionCodeError};
use uplift_domain::resident_id::{ResidentId, ResidentIdError, Sex};

use super::headers::{HeaderMap, INCOME_COLUMNS, REGISTRY_COLUMNS, map_headers, zh_of};
use super::table::{Row, Table, column_letters};
use super::{ImportError, ImportIssue};
use crate::store::NewHousehold;

/// A member and the row it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPerson {
    pub row: u64,
    pub person: Person,
}

/// An income record and the row it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedIncome {
    pub row: u64,
    pub income: IncomeRecord,
}

/// A household of the registry file with its valid members (in file order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedHousehold {
    pub household: Household,
    pub members: Vec<ParsedPerson>,
    /// Attached from the income file by [`attach_incomes`].
    pub incomes: Vec<ParsedIncome>,
    /// Every row carrying this household number, valid or not.
    pub rows: Vec<u64>,
    /// Rows of this household that had an issue (their persons are not in `members`).
    pub rejected_rows: Vec<u64>,
}

impl ParsedHousehold {
    pub fn household_no(&self) -> &str {
        self.household.household_no.as_str()
    }

    /// Whether every row of the household parsed.
    pub fn is_clean(&self) -> bool {
        self.rejected_rows.is_empty()
    }

    /// The store's registration shape.
    pub fn to_new_household(&self) -> NewHousehold {
        NewHousehold {
            household: self.household.clone(),
            members: self.members.iter().map(|p| p.person.clone()).collect(),
            incomes: self.incomes.iter().map(|i| i.income.clone()).collect(),
        }
    }
}

/// The parsed registry file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegistryFile {
    pub file: String,
    /// In order of first appearance.
    pub households: Vec<ParsedHousehold>,
    pub issues: Vec<ImportIssue>,
    /// Data rows read.
    pub rows: u64,
}

/// The parsed income file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncomeFile {
    pub file: String,
    /// Valid records in file order.
    pub incomes: Vec<(HouseholdNo, ParsedIncome)>,
    pub issues: Vec<ImportIssue>,
    pub rows: u64,
}

/// Reads a whole registry table.
pub fn parse_registry(table: &mut Table, today: NaiveDate) -> Result<RegistryFile, ImportError> {
    let mut parser = RegistryParser::new(table, today)?;
    let mut row = Row::new();
    while table.next_row(&mut row)? {
        parser.push(&row);
    }
    Ok(parser.finish())
}

/// Reads a whole income table.
pub fn parse_incomes(table: &mut Table) -> Result<IncomeFile, ImportError> {
    let mut parser = IncomeParser::new(table)?;
    let mut row = Row::new();
    while table.next_row(&mut row)? {
        parser.push(&row);
    }
    Ok(parser.finish())
}

/// Attaches income records to the households of the registry file with the same number, in
/// file order. Returns the records whose household is not in the file (the use case looks them
/// up in the store).
pub fn attach_incomes(
    households: &mut [ParsedHousehold],
    incomes: Vec<(HouseholdNo, ParsedIncome)>,
) -> Vec<(HouseholdNo, ParsedIncome)> {
    let index: HashMap<&str, usize> = households
        .iter()
        .enumerate()
        .map(|(i, h)| (h.household_no(), i))
        .collect();
    let mut placed: Vec<(usize, ParsedIncome)> = Vec::new();
    let mut unmatched = Vec::new();
    for (no, income) in incomes {
        match index.get(no.as_str()) {
            Some(&i) => placed.push((i, income)),
            None => unmatched.push((no, income)),
        }
    }
    drop(index);
    for (i, income) in placed {
        households[i].incomes.push(income);
    }
    unmatched
}

// ---------------------------------------------------------------------------------------------
// Row context and messages.

/// Collects the issues of one row.
struct RowIssues<'a> {
    file: &'a str,
    map: &'a HeaderMap,
    row: &'a Row,
    household_no: &'a str,
    issues: &'a mut Vec<ImportIssue>,
    count: usize,
}

impl<'a> RowIssues<'a> {
    fn push(&mut self, field: &'static str, rule: &'static str, zh: String, en: String) {
        let value = self
            .map
            .index(field)
            .map(|i| self.row.get(i).to_owned())
            .unwrap_or_default();
        let column = if field.is_empty() {
            String::new()
        } else {
            self.map.written(field).to_owned()
        };
        self.issues.push(ImportIssue {
            file: self.file.to_owned(),
            row: self.row.number(),
            column,
            field,
            rule,
            message_zh: zh,
            message_en: en,
            value,
            household_no: self.household_no.to_owned(),
        });
        self.count += 1;
    }

    /// The cell of a field, or `""` if the column is absent. A number that lost digits in XLSX
    /// is reported here and read as an error (`None`).
    fn cell(&mut self, field: &'static str) -> Option<&'a str> {
        let Some(i) = self.map.index(field) else {
            return Some("");
        };
        if self.row.lost_digits(i) {
            let cell = format!("{}{}", column_letters(i), self.row.number());
            self.push(
                field,
                "cell.number_lost_digits",
                format!(
                    "单元格 {cell}（{}）是超过 15 位的数字，Excel 已丢失末尾的数字；请将该列设为文本格式后重新录入",
                    zh_of(field)
                ),
                format!(
                    "cell {cell} ({field}) holds a number of more than 15 digits, so Excel has lost \
                     its last digits; format the column as text and enter the value again"
                ),
            );
            return None;
        }
        let row: &'a Row = self.row;
        Some(row.get(i))
    }

    fn field_error(&mut self, e: &FieldError) {
        let (field, rule, zh): (&'static str, &'static str, String) = match e {
            FieldError::Required { field } => (
                field,
                "field.required",
                format!("必填项“{}”为空", zh_of(field)),
            ),
            FieldError::TooLong { field, max, found } => (
                field,
                "field.too_long",
                format!("“{}”最多 {max} 个字符，实际为 {found} 个", zh_of(field)),
            ),
            FieldError::BadChar { field, found } => (
                field,
                "field.bad_char",
                format!("“{}”只能包含字母、数字和“-”，发现“{found}”", zh_of(field)),
            ),
            FieldError::NotVillage(code) => (
                "region_code",
                "region.not_village",
                format!("行政区划代码 {code} 不是村（居委会）级代码"),
            ),
            FieldError::DisabilityGrade(s) => (
                "disability_grade",
                "disability_grade.invalid",
                format!("残疾等级应为 1–4，实际为“{s}”"),
            ),
            FieldError::DisabilityGradeMissing => (
                "disability_grade",
                "disability_grade.required",
                "健康状况为残疾时必须填写残疾等级（1–4）".to_owned(),
            ),
            FieldError::SexDisagrees { given, from_id } => (
                "sex",
                crate::quality::S_SEX,
                format!("性别“{given}”与证件号码不符（证件号码显示为{from_id}）"),
            ),
            FieldError::Phone(s) => (
                "phone",
                "phone.invalid",
                format!("联系电话“{s}”不是有效的电话号码"),
            ),
        };
        self.push(field, rule, zh, e.to_string());
    }

    fn codebook_error(&mut self, e: &CodebookError) {
        let zh = format!(
            "“{}”不是“{}”的有效值，可选值：{}",
            e.found,
            zh_of(e.field),
            e.allowed
        );
        self.push(e.field, "field.enum", zh, e.to_string());
    }

    fn required(&mut self, field: &'static str) {
        self.field_error(&FieldError::Required { field });
    }

    /// A required or optional codebook value.
    fn enum_value<T: Codebook>(&mut self, required: bool) -> Option<Option<T>> {
        let text = self.cell(T::FIELD)?;
        if text.trim().is_empty() {
            if required {
                self.required(T::FIELD);
                return None;
            }
            return Some(None);
        }
        match T::parse(text) {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                self.codebook_error(&e);
                None
            }
        }
    }

    fn id_error(&mut self, e: &ResidentIdError) {
        let (rule, zh) = match e {
            ResidentIdError::Empty => {
                self.required("id_number");
                return;
            }
            ResidentIdError::Length(n) => (
                "id.length",
                format!("证件号码应为 18 位（或国家系统允许的 20/22 位），实际为 {n} 位"),
            ),
            ResidentIdError::NotDigit { position, found } => (
                "id.not_digit",
                format!("证件号码第 {position} 位应为数字，实际为“{found}”"),
            ),
            ResidentIdError::NotAlphanumeric { position, found } => (
                "id.not_digit",
                format!("证件号码第 {position} 位应为数字或字母，实际为“{found}”"),
            ),
            ResidentIdError::BadCheckChar(c) => (
                "id.check_char",
                format!("证件号码最后一位应为数字或 X，实际为“{c}”"),
            ),
            ResidentIdError::BadBirthDate(d) => (
                "id.birth_date",
                format!("证件号码中的出生日期 {d}（第 7–14 位）不是有效日期"),
            ),
            ResidentIdError::FutureBirthDate { birth, today } => (
                "id.future_birth",
                format!("证件号码中的出生日期 {birth} 晚于今天（{today}）"),
            ),
            ResidentIdError::AncientBirthDate(d) => (
                "id.ancient_birth",
                format!("证件号码中的出生日期 {d} 早于 1900 年"),
            ),
            ResidentIdError::UnknownProvince(p) => {
                ("id.province", format!("证件号码前 2 位 {p} 不是省级代码"))
            }
            ResidentIdError::UnknownCounty(c) => (
                "id.county",
                format!("证件号码前 6 位 {c} 不是现有或曾有的县级代码"),
            ),
            ResidentIdError::CheckDigit { expected, found } => (
                "id.check_digit",
                format!("证件号码校验位应为 {expected}，实际为 {found}"),
            ),
        };
        self.push("id_number", rule, zh, e.to_string());
    }

    fn region_error(&mut self, e: &RegionCodeError) {
        self.push(
            "region_code",
            "region.invalid",
            format!("行政区划代码无效：{}", region_error_zh(e)),
            e.to_string(),
        );
    }

    fn date(&mut self, field: &'static str) -> Option<NaiveDate> {
        let text = self.cell(field)?;
        if text.trim().is_empty() {
            self.required(field);
            return None;
        }
        match parse_date(text) {
            Some(d) => Some(d),
            None => {
                let t = text.trim().to_owned();
                self.push(
                    field,
                    "field.date",
                    format!(
                        "“{}”的值“{t}”不是有效日期（格式为 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）",
                        zh_of(field)
                    ),
                    format!(
                        "{field}: {t:?} is not a real date (use YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)"
                    ),
                );
                None
            }
        }
    }

    fn money(&mut self, field: &'static str, required: bool) -> Option<Option<Money>> {
        let text = self.cell(field)?;
        if text.trim().is_empty() {
            if required {
                self.required(field);
                return None;
            }
            return Some(None);
        }
        match Money::parse(text) {
            Ok(m) => Some(Some(m)),
            Err(e) => {
                let zh = match &e {
                    MoneyError::Empty => format!("必填项“{}”为空", zh_of(field)),
                    MoneyError::NotANumber(s) => {
                        format!("“{}”的值“{s}”不是以元为单位的金额", zh_of(field))
                    }
                    MoneyError::TooPrecise(s) => {
                        format!("“{}”的值“{s}”超过两位小数", zh_of(field))
                    }
                    MoneyError::TooLarge(s) => format!("“{}”的值“{s}”过大", zh_of(field)),
                };
                self.push(field, "field.money", zh, format!("{field}: {e}"));
                None
            }
        }
    }
}

fn region_error_zh(e: &RegionCodeError) -> String {
    match e {
        RegionCodeError::Length(n) => format!("应为 2、4、6、9 或 12 位数字，实际为 {n} 个字符"),
        RegionCodeError::NotDigit(c, i) => format!("第 {i} 位应为数字，实际为“{c}”"),
        RegionCodeError::ZeroProvince(c) => format!("{c} 的省级部分为零"),
        RegionCodeError::Gap(c, level) => format!("{c} 的 {level} 级部分为零而其后不为零"),
    }
}

/// Parses `YYYY-MM-DD`, `YYYY/MM/DD` (month and day may have one digit), `YYYYMMDD`,
/// `YYYY年M月D日`, and the `YYYY-MM-DD 00:00:00` of a date-time cell. An impossible date such as
/// 2023-02-30 is none.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let s = s
        .strip_suffix(" 00:00:00")
        .or_else(|| s.strip_suffix("T00:00:00"))
        .unwrap_or(s);
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let y = s[..4].parse().ok()?;
        let m = s[4..6].parse().ok()?;
        let d = s[6..8].parse().ok()?;
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    let mut parts = s.split(['-', '/', '年', '月']);
    let y = parts.next()?;
    let m = parts.next()?;
    let d = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let d = d.strip_suffix('日').unwrap_or(d);
    let digits = |p: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(y, 4, 4) && digits(m, 1, 2) && digits(d, 1, 2)) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

// ---------------------------------------------------------------------------------------------
// Registry.

/// One row's fields, parsed on any thread, before grouping.
struct RowParse {
    no: Option<HouseholdNo>,
    household: Option<Household>,
    person: Option<Person>,
    issues: Vec<ImportIssue>,
}

/// Fewer rows than this per thread are parsed on the calling thread.
const MIN_ROWS_PER_WORKER: usize = 512;

/// Rows per batch handed from the reading thread to the parsers.
const BATCH_ROWS: usize = 8192;

/// Reads every row of `table` on a thread of its own and parses them in batches on up to
/// `workers` threads ([`RegistryParser::push_batch`]); `on_rows` hears the count after each
/// batch. A read error ends it (the rows so far are of no use: the file is refused).
pub fn read_registry(
    table: &mut Table,
    parser: &mut RegistryParser,
    workers: usize,
    mut on_rows: impl FnMut(u64),
) -> Result<(), ImportError> {
    use std::sync::mpsc;
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<Row>>(2);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<Row>>();
    std::thread::scope(|s| {
        let reader = s.spawn(move || -> Result<(), ImportError> {
            loop {
                let mut batch = empty_rx.try_recv().unwrap_or_default();
                batch.resize_with(BATCH_ROWS, Row::new);
                let mut n = 0;
                while n < BATCH_ROWS && table.next_row(&mut batch[n])? {
                    n += 1;
                }
                batch.truncate(n);
                let last = n < BATCH_ROWS;
                if n > 0 && full_tx.send(batch).is_err() {
                    return Ok(());
                }
                if last {
                    return Ok(());
                }
            }
        });
        for batch in full_rx {
            parser.push_batch(&batch, workers);
            on_rows(parser.rows());
            let _ = empty_tx.send(batch);
        }
        match reader.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

struct Group {
    no: HouseholdNo,
    household: Option<Household>,
    members: Vec<ParsedPerson>,
    rows: Vec<u64>,
    rejected_rows: Vec<u64>,
}

/// A streaming registry parser: feed it rows with [`RegistryParser::push`].
pub struct RegistryParser {
    file: String,
    map: HeaderMap,
    today: NaiveDate,
    groups: Vec<Group>,
    index: HashMap<HouseholdNo, usize>,
    issues: Vec<ImportIssue>,
    rows: u64,
}

impl RegistryParser {
    /// Maps the table's headers; fails if required columns are missing.
    pub fn new(table: &Table, today: NaiveDate) -> Result<RegistryParser, ImportError> {
        let map = map_headers(table.file(), table.headers(), REGISTRY_COLUMNS)?;
        Ok(RegistryParser {
            file: table.file().to_owned(),
            map,
            today,
            groups: Vec::new(),
            index: HashMap::new(),
            issues: Vec::new(),
            rows: 0,
        })
    }

    /// Issues found so far.
    pub fn issues(&self) -> &[ImportIssue] {
        &self.issues
    }

    /// Data rows read so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Parses one row.
    pub fn push(&mut self, row: &Row) {
        let parsed = self.parse_row(row);
        self.fold(row, parsed);
    }

    /// Parses a batch of rows on up to `workers` threads (each row on its own, no shared
    /// state), then groups them in row order: the same result as [`RegistryParser::push`] on
    /// each row in turn.
    pub fn push_batch(&mut self, rows: &[Row], workers: usize) {
        let parsed: Vec<RowParse> = if workers <= 1 || rows.len() < 2 * MIN_ROWS_PER_WORKER {
            rows.iter().map(|r| self.parse_row(r)).collect()
        } else {
            let per = rows.len().div_ceil(workers).max(MIN_ROWS_PER_WORKER);
            let this = &*self;
            std::thread::scope(|s| {
                let mut chunks = rows.chunks(per);
                let first = chunks.next().unwrap_or(&[]);
                let handles: Vec<_> = chunks
                    .map(|c| {
                        s.spawn(move || c.iter().map(|r| this.parse_row(r)).collect::<Vec<_>>())
                    })
                    .collect();
                let mut all: Vec<RowParse> = first.iter().map(|r| this.parse_row(r)).collect();
                for h in handles {
                    match h.join() {
                        Ok(part) => all.extend(part),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                all
            })
        };
        for (row, p) in rows.iter().zip(parsed) {
            self.fold(row, p);
        }
    }

    /// The fields of one row and their issues; touches nothing of the parser's state.
    fn parse_row(&self, row: &Row) -> RowParse {
        let no_text = self
            .map
            .index("household_no")
            .map(|i| row.get(i).trim())
            .unwrap_or("");
        let mut issues = Vec::new();
        let mut ri = RowIssues {
            file: &self.file,
            map: &self.map,
            row,
            household_no: no_text,
            issues: &mut issues,
            count: 0,
        };

        // Household attributes.
        let no = ri
            .cell("household_no")
            .and_then(|t| match HouseholdNo::parse(t) {
                Ok(no) => Some(no),
                Err(e) => {
                    ri.field_error(&e);
                    None
                }
            });
        let household_type = ri.enum_value::<HouseholdType>(true).flatten();
        let region = ri.cell("region_code").and_then(|t| {
            if t.trim().is_empty() {
                ri.required("region_code");
                return None;
            }
            match RegionCode::parse(t) {
                Ok(r) => Some(r),
                Err(e) => {
                    ri.region_error(&e);
                    None
                }
            }
        });
        let address = ri.cell("address").map(str::to_owned);
        let household = match (&no, household_type, region, address) {
            (Some(no), Some(t), Some(r), Some(a)) => {
                match Household::new(no.clone(), t, r, Some(a)) {
                    Ok(h) => Some(h),
                    Err(e) => {
                        ri.field_error(&e);
                        None
                    }
                }
            }
            _ => None,
        };

        // Person attributes.
        let person = parse_person(&mut ri, self.today);
        RowParse {
            no,
            household,
            person,
            issues,
        }
    }

    /// Adds a parsed row to its household, in row order.
    fn fold(&mut self, row: &Row, parsed: RowParse) {
        self.rows += 1;
        let RowParse {
            no,
            household,
            person,
            issues,
        } = parsed;
        let no_text = self
            .map
            .index("household_no")
            .map(|i| row.get(i).trim())
            .unwrap_or("");
        let count = issues.len();
        self.issues.extend(issues);
        let mut ri = RowIssues {
            file: &self.file,
            map: &self.map,
            row,
            household_no: no_text,
            issues: &mut self.issues,
            count,
        };

        // Grouping.
        let group = no.map(|no| match self.index.get(&no) {
            Some(&g) => g,
            None => {
                self.groups.push(Group {
                    no: no.clone(),
                    household: None,
                    members: Vec::new(),
                    rows: Vec::new(),
                    rejected_rows: Vec::new(),
                });
                self.index.insert(no, self.groups.len() - 1);
                self.groups.len() - 1
            }
        });
        if let (Some(g), Some(h)) = (group, &household) {
            match &self.groups[g].household {
                None => self.groups[g].household = Some(h.clone()),
                Some(first) => {
                    let differs = if first.household_type != h.household_type {
                        Some("household_type")
                    } else if first.region != h.region {
                        Some("region_code")
                    } else if first.address != h.address {
                        Some("address")
                    } else {
                        None
                    };
                    if let Some(field) = differs {
                        let first_row = self.groups[g].rows.first().copied().unwrap_or(0);
                        ri.push(
                            field,
                            "household.inconsistent",
                            format!(
                                "户编号 {} 的“{}”与第 {first_row} 行不一致",
                                h.household_no.as_str(),
                                zh_of(field)
                            ),
                            format!(
                                "household {} has a different {field} than on row {first_row}",
                                h.household_no.as_str()
                            ),
                        );
                    }
                }
            }
        }
        let clean = ri.count == 0;
        if let Some(g) = group {
            let group = &mut self.groups[g];
            group.rows.push(row.number());
            match person {
                Some(person) if clean => group.members.push(ParsedPerson {
                    row: row.number(),
                    person,
                }),
                _ => group.rejected_rows.push(row.number()),
            }
        }
    }

    /// The households (those with at least one row whose household attributes parsed) and all
    /// issues. A household whose rows all failed is left out; each of its rows has an issue.
    pub fn finish(self) -> RegistryFile {
        let households = self
            .groups
            .into_iter()
            .filter_map(|g| {
                let household = g.household?;
                debug_assert_eq!(household.household_no, g.no);
                Some(ParsedHousehold {
                    household,
                    members: g.members,
                    incomes: Vec::new(),
                    rows: g.rows,
                    rejected_rows: g.rejected_rows,
                })
            })
            .collect();
        RegistryFile {
            file: self.file,
            households,
            issues: self.issues,
            rows: self.rows,
        }
    }
}

fn parse_person(ri: &mut RowIssues<'_>, today: NaiveDate) -> Option<Person> {
    let name = ri.cell("name").and_then(|t| {
        text_field("name", t, Person::NAME_MAX, true)
            .map_err(|e| ri.field_error(&e))
            .ok()
            .flatten()
    });
    let id = ri.cell("id_number").and_then(|t| {
        ResidentId::parse(t, today)
            .map_err(|e| ri.id_error(&e))
            .ok()
    });
    let relation = ri.enum_value::<Relation>(true).flatten();
    let sex = ri.cell("sex").and_then(|t| {
        let t = t.trim();
        if t.is_empty() {
            return Some(None);
        }
        match Sex::parse(t) {
            Some(s) => Some(Some(s)),
            None => {
                ri.codebook_error(&CodebookError {
                    field: "sex",
                    found: t.to_owned(),
                    allowed: "男 male · 女 female".to_owned(),
                });
                None
            }
        }
    });
    let education = ri.enum_value::<Education>(false);
    let schooling = ri.enum_value::<Schooling>(false);
    let health = ri.enum_value::<Health>(true).flatten();
    let grade = ri.cell("disability_grade").and_then(|t| {
        parse_disability_grade(t)
            .map_err(|e| ri.field_error(&e))
            .ok()
    });
    let labour = ri.enum_value::<Labour>(true).flatten();
    let insurance = ri.cell("major_illness_insurance").and_then(|t| {
        parse_yes_no("major_illness_insurance", t)
            .map_err(|e| ri.codebook_error(&e))
            .ok()
    });
    let phone = ri
        .cell("phone")
        .and_then(|t| parse_phone(t).map_err(|e| ri.field_error(&e)).ok());

    let person = Person {
        name: name?,
        id_number: id?,
        relation: relation?,
        sex: sex?,
        birth_date: None,
        education: education?,
        schooling: schooling?,
        health: health?,
        disability_grade: grade?,
        labour: labour?,
        major_illness_insurance: insurance?,
        phone: phone?,
        status: MemberStatus::Active,
    };
    person.normalise().map_err(|e| ri.field_error(&e)).ok()
}

// ---------------------------------------------------------------------------------------------
// Income.

/// A streaming income parser: feed it rows with [`IncomeParser::push`].
pub struct IncomeParser {
    file: String,
    map: HeaderMap,
    incomes: Vec<(HouseholdNo, ParsedIncome)>,
    seen: HashMap<(HouseholdNo, NaiveDate, NaiveDate), u64>,
    issues: Vec<ImportIssue>,
    rows: u64,
}

impl IncomeParser {
    pub fn new(table: &Table) -> Result<IncomeParser, ImportError> {
        let map = map_headers(table.file(), table.headers(), INCOME_COLUMNS)?;
        Ok(IncomeParser {
            file: table.file().to_owned(),
            map,
            incomes: Vec::new(),
            seen: HashMap::new(),
            issues: Vec::new(),
            rows: 0,
        })
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn push(&mut self, row: &Row) {
        self.rows += 1;
        let no_text = self
            .map
            .index("household_no")
            .map(|i| row.get(i).trim())
            .unwrap_or("");
        let mut ri = RowIssues {
            file: &self.file,
            map: &self.map,
            row,
            household_no: no_text,
            issues: &mut self.issues,
            count: 0,
        };
        let no = ri
            .cell("household_no")
            .and_then(|t| HouseholdNo::parse(t).map_err(|e| ri.field_error(&e)).ok());
        let start = ri.date("period_start");
        let end = ri.date("period_end");
        let wage = ri.money("wage_income", true).flatten();
        let business = ri.money("business_income", true).flatten();
        let property = ri.money("property_income", true).flatten();
        let transfer = ri.money("transfer_income", true).flatten();
        let costs = ri.money("production_costs", true).flatten();
        let oop = ri.money("compliant_out_of_pocket", false);
        let (
            Some(no),
            Some(period_start),
            Some(period_end),
            Some(wage),
            Some(business),
            Some(property),
            Some(transfer),
            Some(production_costs),
            Some(compliant_out_of_pocket),
        ) = (
            no, start, end, wage, business, property, transfer, costs, oop,
        )
        else {
            return;
        };
        let income = IncomeRecord {
            period_start,
            period_end,
            wage,
            business,
            property,
            transfer,
            production_costs,
            compliant_out_of_pocket,
        };
        if let Err(e) = income.check() {
            match &e {
                IncomeRecordError::PeriodReversed { start, end } => ri.push(
                    "period_end",
                    "income.period_reversed",
                    format!("统计截止日期 {end} 早于统计起始日期 {start}"),
                    e.to_string(),
                ),
                IncomeRecordError::Negative { field, amount } => ri.push(
                    field,
                    "field.negative",
                    format!("“{}”不能为负数，实际为 {amount}", zh_of(field)),
                    e.to_string(),
                ),
            }
            return;
        }
        let key = (no.clone(), period_start, period_end);
        if let Some(first) = self.seen.get(&key) {
            ri.push(
                "period_start",
                "income.duplicate_period",
                format!(
                    "户编号 {} 的统计期 {period_start} 至 {period_end} 已在第 {first} 行出现",
                    no.as_str()
                ),
                format!(
                    "household {} already has the period {period_start} to {period_end} on row {first}",
                    no.as_str()
                ),
            );
            return;
        }
        self.seen.insert(key, row.number());
        self.incomes.push((
            no,
            ParsedIncome {
                row: row.number(),
                income,
            },
        ));
    }

    pub fn finish(self) -> IncomeFile {
        IncomeFile {
            file: self.file,
            incomes: self.incomes,
            issues: self.issues,
            rows: self.rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::table::FileKind;
    use crate::synth::{self, ErrorKind, SynthConfig, SynthFile};
    use uplift_domain::region::Region;
    use uplift_domain::resident_id::check_char;

    pub(crate) fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()
    }

    pub(crate) fn villages() -> Vec<Region> {
        let mut v = Vec::new();
        for t in 0..6 {
            for n in 0..10 {
                v.push(Region {
                    code: RegionCode::parse(&format!("431026{:03}{:03}", 100 + t, 201 + n))
                        .unwrap(),
                    name: format!("第{t}{n}村"),
                });
            }
        }
        v
    }

    pub(crate) fn synth(households: u32, seed: u64, with_errors: bool) -> synth::Synth {
        let config = SynthConfig {
            county: RegionCode::parse("431026").unwrap(),
            households,
            seed,
            today: today(),
            monitoring_line: Money::from_yuan(7_500),
            with_errors,
        };
        synth::generate(&config, &villages()).unwrap()
    }

    fn table(name: &str, text: &str) -> Table {
        Table::from_bytes(name, FileKind::Csv, text.as_bytes().to_vec()).unwrap()
    }

    fn registry(text: &str) -> RegistryFile {
        parse_registry(&mut table("reg.csv", text), today()).unwrap()
    }

    fn id(first17: &str) -> String {
        format!("{first17}{}", check_char(first17))
    }

    const HEADER: &str = "户编号,户类型,行政区划代码,详细地址,姓名,证件号码,与户主关系,性别,文化程度,在校生状况,健康状况,残疾等级,劳动技能,是否参加大病保险,联系电话";

    fn line(name: &str, id: &str, relation: &str) -> String {
        format!(
            "4310261002010001,一般农户,431026100201,某村1组,{name},{id},{relation},,初中,非在校生,健康,,普通劳动力,是,13812345678"
        )
    }

    #[test]
    fn a_clean_chinese_file_parses_into_households() {
        let text = format!(
            "{HEADER}\n{}\n{}\n",
            line("张三", &id("43102619800101001"), "户主"),
            line("李四", &id("43102619820202002"), "配偶"),
        );
        let f = registry(&text);
        assert!(f.issues.is_empty(), "{:#?}", f.issues);
        assert_eq!(f.rows, 2);
        assert_eq!(f.households.len(), 1);
        let h = &f.households[0];
        assert_eq!(h.rows, [2, 3]);
        assert_eq!(h.members.len(), 2);
        assert_eq!(h.members[1].person.sex, Some(Sex::Female));
        assert_eq!(h.members[0].person.relation, Relation::Head);
        assert_eq!(h.to_new_household().members.len(), 2);
    }

    #[test]
    fn lower_case_x_is_accepted() {
        let first17 = (0..1000)
            .map(|n| format!("43102619900505{n:03}"))
            .find(|f| check_char(f) == 'X')
            .unwrap();
        let text = format!(
            "{HEADER}\n{}\n",
            line("王五", &format!("{first17}x"), "户主")
        );
        let f = registry(&text);
        assert!(f.issues.is_empty(), "{:#?}", f.issues);
        let p = &f.households[0].members[0].person;
        assert!(p.id_number.as_str().ends_with('X'));
    }

    #[test]
    fn english_headers_in_shuffled_order_with_an_extra_column() {
        let s = synth(30, 4, false);
        let en = synth::registry_csv(&s, true);
        // Reverse the columns of every line and add a remarks column.
        let mut out = String::new();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(en.as_bytes());
        let mut w = csv::Writer::from_writer(Vec::new());
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.unwrap();
            let mut cells: Vec<String> = rec.iter().rev().map(str::to_owned).collect();
            cells.insert(
                2,
                if i == 0 {
                    "remarks".into()
                } else {
                    "备注".into()
                },
            );
            w.write_record(&cells).unwrap();
        }
        out.push_str(std::str::from_utf8(&w.into_inner().unwrap()).unwrap());
        let f = registry(&out);
        assert!(f.issues.is_empty(), "{:#?}", f.issues);
        assert_eq!(f.households.len(), 30);
        let typed: Vec<NewHousehold> = f.households.iter().map(|h| h.to_new_household()).collect();
        for (got, want) in typed.iter().zip(&s.households) {
            assert_eq!(got.household, want.household);
            assert_eq!(got.members, want.members);
        }
    }

    #[test]
    fn missing_columns_are_one_error_listing_all() {
        let err =
            parse_registry(&mut table("reg.csv", "姓名,户编号\n张三,1\n"), today()).unwrap_err();
        let en = err.to_string();
        assert!(en.starts_with("reg.csv: missing required columns: household_type (户类型)"));
        assert!(en.contains("labour (劳动技能)"));
        assert!(err.message_zh().contains("劳动技能（labour）"));
        assert_eq!(err.rule(), "header.missing");
    }

    #[test]
    fn an_unknown_enum_value_lists_the_accepted_ones() {
        let text = format!(
            "{HEADER}\n{}\n",
            line("张三", &id("43102619800101001"), "侄子")
        );
        let f = registry(&text);
        assert_eq!(f.issues.len(), 1);
        let i = &f.issues[0];
        assert_eq!((i.rule, i.field, i.row), ("field.enum", "relation", 2));
        assert_eq!(i.column, "与户主关系");
        assert_eq!(i.value, "侄子");
        assert!(
            i.message_en.contains("户主 head · 配偶 spouse"),
            "{}",
            i.message_en
        );
        assert!(
            i.message_zh.contains("可选值：户主 head"),
            "{}",
            i.message_zh
        );
        assert_eq!(i.household_no, "4310261002010001");
        assert_eq!(f.households[0].rejected_rows, [2]);
        assert!(f.households[0].members.is_empty());
    }

    #[test]
    fn a_ten_thousand_character_cell_is_rejected_by_the_length_rule() {
        let long = "张".repeat(10_000);
        let text = format!(
            "household_no,household_type,region_code,address,name,id_number,relation,health,labour\n\
             4310261002010001,ordinary,431026100201,{long},{long},{},head,healthy,none\n",
            id("43102619800101001")
        );
        let f = registry(&text);
        let rules: Vec<(&str, &str, u64, &str)> = f
            .issues
            .iter()
            .map(|i| (i.rule, i.field, i.row, i.column.as_str()))
            .collect();
        assert_eq!(
            rules,
            [
                ("field.too_long", "address", 2, "address"),
                ("field.too_long", "name", 2, "name"),
            ]
        );
        assert_eq!(
            f.issues[1].message_en,
            "name may have at most 50 characters, found 10000"
        );
        assert_eq!(
            f.issues[1].message_zh,
            "“姓名”最多 50 个字符，实际为 10000 个"
        );
        assert_eq!(f.issues[1].value.chars().count(), 10_000);
        assert!(f.households.is_empty());
    }

    #[test]
    fn dates_in_every_documented_form_and_impossible_ones() {
        let d = NaiveDate::from_ymd_opt(2023, 2, 3);
        for s in [
            "2023-02-03",
            "2023/02/03",
            "20230203",
            "2023/2/3",
            "2023年2月3日",
            " 2023-02-03 00:00:00",
        ] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        for s in [
            "2023-02-30",
            "20230230",
            "2023-13-01",
            "23-02-03",
            "2023-02",
            "",
            "2023-02-03-04",
            "２０２３-02-03",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        let text = "户编号,统计起始日期,统计截止日期,工资性收入,生产经营性收入,财产性收入,转移性收入,生产经营性支出\n\
                    4310261002010001,2023-01-01,2023-02-30,1,2,3,4,5\n\
                    4310261002010001,2023/01/01,20231231,1000.5,0,0,0,0\n\
                    4310261002010001,2023-01-01,2023-12-31,1,2,3,4,5\n\
                    4310261002010002,2024-01-01,2023-12-31,1.234,-2,3,4,\n";
        let f = parse_incomes(&mut table("inc.csv", text)).unwrap();
        let got: Vec<(u64, &str, &str)> =
            f.issues.iter().map(|i| (i.row, i.field, i.rule)).collect();
        assert_eq!(
            got,
            [
                (2, "period_end", "field.date"),
                (4, "period_start", "income.duplicate_period"),
                (5, "wage_income", "field.money"),
                (5, "production_costs", "field.required"),
            ]
        );
        assert!(
            f.issues[0]
                .message_en
                .contains("\"2023-02-30\" is not a real date")
        );
        assert_eq!(f.incomes.len(), 1);
        assert_eq!(f.incomes[0].1.income.wage, Money::from_fen(100_050));
    }

    #[test]
    fn income_records_attach_to_their_households() {
        let s = synth(20, 2, false);
        let mut reg = registry(&synth::registry_csv(&s, false));
        let inc = parse_incomes(&mut table("inc.csv", &synth::income_csv(&s, true))).unwrap();
        assert!(inc.issues.is_empty(), "{:#?}", inc.issues);
        let mut extra = inc.incomes.clone();
        extra.push((
            HouseholdNo::parse("9999").unwrap(),
            inc.incomes[0].1.clone(),
        ));
        let unmatched = attach_incomes(&mut reg.households, extra);
        assert_eq!(unmatched.len(), 1);
        let typed: Vec<NewHousehold> = reg
            .households
            .iter()
            .map(|h| h.to_new_household())
            .collect();
        assert_eq!(typed, s.households);
    }

    #[test]
    fn every_injected_textual_error_is_an_issue_and_a_clean_file_has_none() {
        for english in [false, true] {
            let clean = synth(400, 21, false);
            let reg = registry(&synth::registry_csv(&clean, english));
            let inc =
                parse_incomes(&mut table("inc.csv", &synth::income_csv(&clean, english))).unwrap();
            assert!(reg.issues.is_empty() && inc.issues.is_empty());
            assert!(reg.households.iter().all(ParsedHousehold::is_clean));

            let s = synth(2_000, 5, true);
            let reg = registry(&synth::registry_csv(&s, english));
            let inc =
                parse_incomes(&mut table("inc.csv", &synth::income_csv(&s, english))).unwrap();
            let textual: Vec<_> = s.errors.iter().filter(|e| e.kind.is_textual()).collect();
            assert!(textual.len() >= 6);
            for e in &textual {
                let issues = match e.file {
                    SynthFile::Registry => &reg.issues,
                    SynthFile::Income => &inc.issues,
                };
                let hit = issues.iter().find(|i| {
                    i.row == e.row && i.household_no == e.household_no && i.field == e.column
                });
                let hit = hit.unwrap_or_else(|| panic!("not caught: {e:?}"));
                let want = match e.kind {
                    ErrorKind::WrongCheckDigit => "id.check_digit",
                    ErrorKind::SexDisagreesWithId => crate::quality::S_SEX,
                    ErrorKind::InvalidDate => "field.date",
                    ErrorKind::NameTooLong => "field.too_long",
                    ErrorKind::UnknownRelation => "field.enum",
                    ErrorKind::MissingRequiredField => "field.required",
                    _ => unreachable!(),
                };
                assert_eq!(hit.rule, want, "{e:?}");
            }
            // Nothing else is reported.
            assert_eq!(reg.issues.len() + inc.issues.len(), textual.len());
        }
    }

    #[test]
    fn reading_on_threads_in_batches_gives_what_one_row_at_a_time_gives() {
        // Over two batches of rows, with injected errors and households repeated across rows.
        let s = synth(5_000, 9, true);
        let mut text = synth::registry_csv(&s, false);
        // A household repeated far later with another address (an issue found while grouping).
        let second = text.lines().nth(1).unwrap().to_owned();
        text.push_str(&second.replace("村", "乡"));
        text.push('\n');
        let one_by_one = registry(&text);
        assert!(one_by_one.rows > BATCH_ROWS as u64);
        assert!(!one_by_one.issues.is_empty());
        for workers in [1, 2, 3] {
            let mut t = table("reg.csv", &text);
            let mut parser = RegistryParser::new(&t, today()).unwrap();
            let mut seen = Vec::new();
            read_registry(&mut t, &mut parser, workers, |n| seen.push(n)).unwrap();
            assert_eq!(parser.finish(), one_by_one, "{workers} workers");
            assert_eq!(seen.last().copied(), Some(one_by_one.rows));
            assert!(seen.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn household_attributes_must_agree_across_rows() {
        let second = line("李四", &id("43102619820202002"), "配偶").replace("一般农户", "脱贫户");
        let text = format!(
            "{HEADER}\n{}\n{second}\n",
            line("张三", &id("43102619800101001"), "户主")
        );
        let f = registry(&text);
        assert_eq!(f.issues.len(), 1);
        assert_eq!(f.issues[0].rule, "household.inconsistent");
        assert_eq!(f.issues[0].column, "户类型");
        assert_eq!(f.households[0].rejected_rows, [3]);
    }

    #[test]
    fn numbers_that_lost_digits_in_excel_are_reported_naming_the_cell() {
        use rust_xlsxwriter::Workbook;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reg.xlsx");
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in HEADER.split(',').enumerate() {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        let good = line("张三", &id("43102619800101001"), "户主");
        for (c, v) in good.split(',').enumerate() {
            sheet.write_string(1, c as u16, v).unwrap();
        }
        let second = line("李四", &id("43102619820202002"), "配偶");
        for (c, v) in second.split(',').enumerate() {
            sheet.write_string(2, c as u16, v).unwrap();
        }
        sheet.write_number(2, 5, 431026198202020020.0).unwrap();
        book.save(&path).unwrap();
        let f = parse_registry(&mut Table::open(&path).unwrap(), today()).unwrap();
        assert_eq!(f.issues.len(), 1, "{:#?}", f.issues);
        let i = &f.issues[0];
        assert_eq!(
            (i.rule, i.row, i.field),
            ("cell.number_lost_digits", 3, "id_number")
        );
        assert!(
            i.message_en.starts_with("cell F3 (id_number)"),
            "{}",
            i.message_en
        );
        assert!(i.message_zh.starts_with("单元格 F3（证件号码）"));
        assert_eq!(f.households[0].members.len(), 1);
    }

    #[test]
    fn a_gbk_or_bom_registry_reads_like_utf8() {
        let s = synth(200, 12, false);
        let text = synth::registry_csv(&s, false);
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
        assert!(!unmappable);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let want = registry(&text);
        for bytes in [gbk.into_owned(), bom] {
            let mut t = Table::from_bytes("reg.csv", FileKind::Csv, bytes).unwrap();
            let got = parse_registry(&mut t, today()).unwrap();
            assert!(got.issues.is_empty());
            assert_eq!(got, want);
        }
    }

    #[test]
    fn an_xlsx_registry_and_income_file_read_like_the_csv() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let s = synth(60, 13, false);
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str, typed: bool| {
            let path = dir.path().join(name);
            let mut book = Workbook::new();
            let sheet = book.add_worksheet();
            let date = Format::new().set_num_format("yyyy/m/d");
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes());
            for (r, rec) in rdr.records().enumerate() {
                for (c, v) in rec.unwrap().iter().enumerate() {
                    let (r, c) = (r as u32, c as u16);
                    if typed && r > 0 && (1..=2).contains(&c) {
                        let d = parse_date(v).unwrap();
                        let d = ExcelDateTime::from_ymd(
                            d.format("%Y").to_string().parse().unwrap(),
                            d.format("%m").to_string().parse().unwrap(),
                            d.format("%d").to_string().parse().unwrap(),
                        )
                        .unwrap();
                        sheet.write_datetime_with_format(r, c, &d, &date).unwrap();
                    } else if typed && r > 0 && c >= 3 && !v.is_empty() {
                        sheet.write_number(r, c, v.parse::<f64>().unwrap()).unwrap();
                    } else {
                        sheet.write_string(r, c, v).unwrap();
                    }
                }
            }
            book.save(&path).unwrap();
            path
        };
        let reg = write("reg.xlsx", &synth::registry_csv(&s, false), false);
        let inc = write("inc.xlsx", &synth::income_csv(&s, false), true);
        let mut r = parse_registry(&mut Table::open(&reg).unwrap(), today()).unwrap();
        assert!(r.issues.is_empty(), "{:#?}", r.issues);
        let i = parse_incomes(&mut Table::open(&inc).unwrap()).unwrap();
        assert!(i.issues.is_empty(), "{:#?}", i.issues);
        assert!(attach_incomes(&mut r.households, i.incomes).is_empty());
        let typed: Vec<NewHousehold> = r.households.iter().map(|h| h.to_new_household()).collect();
        assert_eq!(typed, s.households);
    }

    #[test]
    fn nothing_panics_on_garbage() {
        let mut text = format!("{HEADER}\n");
        let junk = [
            "",
            ",",
            "\"",
            "'=1",
            "'-",
            "x",
            "户主",
            "9",
            "4310261002010001",
            "-1",
            "残疾",
            "🙂",
            "\u{0}",
            "1e400",
            "一级",
            "431026100201",
        ];
        for i in 0..300usize {
            let cells: Vec<&str> = (0..17)
                .map(|c| junk[(i * 7 + c * 13 + i / 3) % junk.len()])
                .collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        let f = registry(&text);
        assert!(!f.issues.is_empty());
        let inc = format!(
            "{}\n{}",
            INCOME_COLUMNS
                .iter()
                .map(|c| c.en)
                .collect::<Vec<_>>()
                .join(","),
            text.lines().skip(1).collect::<Vec<_>>().join("\n")
        );
        let f = parse_incomes(&mut table("i.csv", &inc)).unwrap();
        assert!(!f.issues.is_empty());
    }
}
