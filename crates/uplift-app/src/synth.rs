//! Synthetic registries (`uplift synth`): a deterministic, calibrated registry of one county.
//!
//! [`generate`] is pure: the same [`SynthConfig`] and villages give the same [`Synth`], byte for
//! byte (one `ChaCha8Rng` seeded from `seed`; nothing reads the clock or iterates a hash map).
//! Floating point is used only to draw ages and incomes, through `f64::ln`/`exp`/`cos`, so the
//! output is identical for the same build on the same platform.
//!
//! # Calibration (domain.md §2, §3, §13)
//!
//! * **Household size** (户籍 households, 1–7 persons): 13 / 23 / 23 / 21 / 12 / 6 / 2 % for sizes
//!   1…7, mean ≈ 3.2, as for registered rural households. A head (户主, 86 % men) with a spouse in
//!   most households of two or more; three-generation households (son, daughter-in-law,
//!   grandchildren) under older heads; parents, siblings otherwise. Children and grandchildren are
//!   at least 20 years (nominal, ≥ 19 actual) younger than their parent, parents at least 20 years
//!   older than the head.
//! * **Health**: disability ≈ 6 % of persons (2 % of children, 5 % of 18–59, 11 % of 60+), grade
//!   1/2/3/4 = 10/20/30/40 %; serious illness 1–5 % rising with age; chronic illness 2–35 %.
//! * **Labour** follows age, schooling and health: under 16, students and most people of 75+ have
//!   无劳动力; a disability of grade 1–2 means 丧失劳动力 (无劳动力 for children). Clean data never
//!   has grade 1–2 with a labour value that counts as labour.
//! * **Major-illness insurance** is 是 for everyone in clean data (coverage is near-universal and
//!   a 否/empty is a data-quality finding, rule 1_02_003); only `--with-errors` injects 否/empty.
//! * **Formerly poor (脱贫户)**: assumed **27 %** of households in a former national poverty county
//!   such as 汝城县 (band 25–30 %), varying ±25 % between villages.
//! * **Income** (per-capita net = (wage + business + property + transfer − production costs) ÷
//!   members, out-of-pocket judged beside): log-normal around the monitoring line `L`, median
//!   2.3 L for ordinary households and 1.9 L for formerly poor ones (σ = 0.42; × 0.6 for
//!   households without labour, who live on pensions, a little farming and support from
//!   children), so most households are well above the line and a tail of ordinary ones falls
//!   below it. Formerly poor households outside the monitored profile stay above 1.05 L.
//! * **Monitored profile**: about 14.5 % of formerly poor households (so 10–20 % of formerly poor
//!   persons, domain.md §13: 13.99 % in 保山) have per-capita net income within 0.7–1.45 L *and*
//!   a member with serious illness or disability. About 3 % of ordinary households get the same
//!   "marginal" profile (边缘易致贫). Other households with such a member are kept above 1.55 L,
//!   so the profiles are exactly the households the [`SynthSummary`] counts.
//! * **Incomes** are recorded for the last full calendar year and the year before; about 6 % of
//!   households (25 % of profile households) saw wage and business income fall by 30–60 %.
//!   Households with a chronically or seriously ill member have a positive compliant
//!   out-of-pocket amount; others leave it empty. Wage income is 0 or at least 1,000 yuan.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uplift_domain::household::{
    Codebook, Education, FieldError, Health, Household, HouseholdNo, HouseholdType, Labour,
    MemberStatus, Person, Relation, Schooling,
};
use uplift_domain::income::{IncomeRecord, Money};
use uplift_domain::region::{Region, RegionCode, RegionLevel};
use uplift_domain::resident_id::{ResidentId, Sex, check_char, is_plausible_region_prefix};

use crate::App;
use crate::store::{NewHousehold, StoreResult};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthConfig {
    /// The county (6-digit code, level County); every ID number starts with it.
    pub county: RegionCode,
    pub households: u32,
    pub seed: u64,
    /// "Today": bounds birth dates and fixes the income years (the two calendar years before).
    pub today: NaiveDate,
    /// The monitoring line in force (yuan per person per year).
    pub monitoring_line: Money,
    /// Inject realistic data errors (see [`ErrorKind`]).
    pub with_errors: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynthError {
    #[error("no villages known for county {0}: load the region tree first (uplift regions import)")]
    NoVillages(RegionCode),
    #[error("{0} is not a county-level region code")]
    NotACounty(RegionCode),
    #[error("county {0} is not a county that exists or existed, so no ID number can start with it")]
    UnknownCounty(String),
    #[error("{0} is not a village-level (村/居委会) region code")]
    NotAVillage(RegionCode),
    #[error("village {village} does not lie in county {county}")]
    OutsideCounty {
        village: RegionCode,
        county: RegionCode,
    },
    #[error("the monitoring line must be positive, found {0}")]
    BadLine(Money),
    #[error("cannot build a household: {0}")]
    Field(#[from] FieldError),
}

/// A kind of data error injected by `--with-errors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    // Typed: the values parse, but break a data-quality rule (domain.md §12.3).
    /// The same ID number in two households (rule 1_01_002): a person of one household copied
    /// (name, ID number, birth date) over a person of the same sex in another.
    DuplicateIdNumber,
    /// A second member marked 户主.
    TwoHeads,
    /// The head relabelled 其他, so the household has no 户主.
    NoHead,
    /// Last year's wage income between 0 and 100 yuan (rule 5_15_023).
    LowWageIncome,
    /// A household with an ill member whose last-year compliant out-of-pocket is 0 (5_15_020).
    IllnessWithoutOutOfPocket,
    /// A person with major-illness insurance 否 or empty (1_02_003).
    NoMajorIllnessInsurance,
    /// A person of 16–59 with disability grade 1 and 普通劳动力.
    DisabilityContradictsLabour,
    // Textual: only in the CSV renderings.
    /// The ID number's check character is wrong.
    WrongCheckDigit,
    /// The 性别 cell disagrees with the ID number's 17th digit.
    SexDisagreesWithId,
    /// An impossible date (`YYYY-02-30`) in the income file's period end.
    InvalidDate,
    /// A name of more than 50 characters.
    NameTooLong,
    /// A 与户主关系 value outside the codebook (`侄子` / `nephew`).
    UnknownRelation,
    /// An empty required cell (name, health or labour in the registry; wage income or production
    /// costs in the income file).
    MissingRequiredField,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::DuplicateIdNumber,
        ErrorKind::TwoHeads,
        ErrorKind::NoHead,
        ErrorKind::LowWageIncome,
        ErrorKind::IllnessWithoutOutOfPocket,
        ErrorKind::NoMajorIllnessInsurance,
        ErrorKind::DisabilityContradictsLabour,
        ErrorKind::WrongCheckDigit,
        ErrorKind::SexDisagreesWithId,
        ErrorKind::InvalidDate,
        ErrorKind::NameTooLong,
        ErrorKind::UnknownRelation,
        ErrorKind::MissingRequiredField,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::DuplicateIdNumber => "duplicate_id_number",
            ErrorKind::TwoHeads => "two_heads",
            ErrorKind::NoHead => "no_head",
            ErrorKind::LowWageIncome => "low_wage_income",
            ErrorKind::IllnessWithoutOutOfPocket => "illness_without_out_of_pocket",
            ErrorKind::NoMajorIllnessInsurance => "no_major_illness_insurance",
            ErrorKind::DisabilityContradictsLabour => "disability_contradicts_labour",
            ErrorKind::WrongCheckDigit => "wrong_check_digit",
            ErrorKind::SexDisagreesWithId => "sex_disagrees_with_id",
            ErrorKind::InvalidDate => "invalid_date",
            ErrorKind::NameTooLong => "name_too_long",
            ErrorKind::UnknownRelation => "unknown_relation",
            ErrorKind::MissingRequiredField => "missing_required_field",
        }
    }

    /// Whether the error exists only in the CSV text (the typed households stay clean).
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            ErrorKind::WrongCheckDigit
                | ErrorKind::SexDisagreesWithId
                | ErrorKind::InvalidDate
                | ErrorKind::NameTooLong
                | ErrorKind::UnknownRelation
                | ErrorKind::MissingRequiredField
        )
    }
}

/// Which rendering a row number refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SynthFile {
    /// [`registry_csv`], one row per person.
    Registry,
    /// [`income_csv`], one row per household and year.
    Income,
}

/// One injected error, so validation tests can assert it is caught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedError {
    pub kind: ErrorKind,
    pub household_no: String,
    pub file: SynthFile,
    /// The row in that file's rendering, the header being row 1.
    pub row: u64,
    /// The English header of the affected column.
    pub column: &'static str,
    pub detail: String,
}

/// Counts measured on the generated households, for calibration checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SynthSummary {
    pub households: u64,
    pub persons: u64,
    pub formerly_poor_households: u64,
    pub formerly_poor_persons: u64,
    /// Formerly poor households with last-year per-capita net income ≤ 1.5 × line and a member
    /// with serious illness or disability (the monitored profile).
    pub monitored_profile_households: u64,
    pub monitored_profile_persons: u64,
    /// Ordinary households with the same profile (边缘易致贫).
    pub marginal_profile_households: u64,
    pub marginal_profile_persons: u64,
    /// Persons in households whose last-year per-capita net income is below the line.
    pub persons_below_line: u64,
    /// Persons in households whose last-year per-capita net income is ≤ 1.5 × line (incl. below).
    pub persons_within_1_5_line: u64,
    pub disabled_persons: u64,
    /// Persons with serious or chronic illness.
    pub ill_persons: u64,
}

/// A generated registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synth {
    pub config: SynthConfig,
    /// Households in household-number order; incomes are the year before last, then last year.
    pub households: Vec<NewHousehold>,
    /// Injected errors (empty unless `with_errors`), in the order they were injected.
    pub errors: Vec<InjectedError>,
    pub summary: SynthSummary,
    raw_edits: Vec<RawEdit>,
}

impl Synth {
    /// Persons in all households.
    pub fn persons(&self) -> u64 {
        self.summary.persons
    }

    /// The `valid_from` of the synthetic registry: 2021-01-01 (start of the transition period),
    /// or the start of the earlier income year if that is earlier.
    pub fn valid_from(&self) -> NaiveDate {
        let y2021 = NaiveDate::from_ymd_opt(2021, 1, 1).expect("valid date");
        let earlier = NaiveDate::from_ymd_opt(self.config.today.year() - 2, 1, 1).unwrap_or(y2021);
        y2021.min(earlier)
    }
}

/// A textual edit of one CSV cell, in both header languages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawEdit {
    file: SynthFile,
    row: u64,
    column: usize,
    zh: String,
    en: String,
}

// ---------------------------------------------------------------------------------------------
// Reference lists.

/// Common surnames, the most frequent first (drawn with falling weights); 朱, 何, 范, 黄, 李 are
/// frequent in 汝城.
const SURNAMES: &[&str] = &[
    "李", "王", "张", "刘", "陈", "黄", "朱", "何", "范", "杨", "曹", "周", "吴", "赵", "罗", "胡",
    "邓", "谭", "曾", "彭", "肖", "唐", "徐", "孙", "郭", "林", "谢", "蒋", "廖", "袁", "欧阳",
    "马", "高", "郑", "梁", "宋", "许", "韩", "冯", "田", "董", "潘", "蔡", "余", "杜", "叶", "程",
    "苏", "魏", "丁", "任", "沈", "姚", "卢", "钟", "陆", "汪", "邹", "雷", "龙", "贺", "侯", "段",
];
const MALE_CHARS: &[&str] = &[
    "伟", "强", "军", "勇", "杰", "涛", "明", "超", "华", "平", "建", "国", "志", "文", "斌", "波",
    "辉", "刚", "健", "俊", "峰", "磊", "洋", "鹏", "林", "亮", "宇", "浩", "凯", "新", "春", "海",
    "东", "德", "福", "贵", "生", "荣", "成", "良", "忠", "发", "才", "祥", "松", "长", "永", "兵",
];
const FEMALE_CHARS: &[&str] = &[
    "芳", "娟", "敏", "静", "丽", "艳", "霞", "燕", "玲", "桂", "英", "兰", "秀", "梅", "琴", "红",
    "萍", "华", "婷", "雪", "娜", "慧", "莉", "凤", "翠", "珍", "云", "彩", "花", "月", "春", "香",
];
const PHONE_PREFIXES: &[&str] = &["13", "15", "17", "18", "19"];

/// Household sizes 1…7 in per mille (mean ≈ 3.22).
const SIZE_PERMILLE: [u32; 7] = [130, 230, 230, 210, 120, 60, 20];

const FORMERLY_POOR_SHARE: f64 = 0.27;
const MONITORED_SHARE: f64 = 0.145;
const MARGINAL_SHARE: f64 = 0.03;
const ERROR_SHARE: f64 = 0.015;

const REGISTRY_HEADERS_ZH: [&str; 15] = [
    "户编号",
    "户类型",
    "行政区划代码",
    "详细地址",
    "姓名",
    "证件号码",
    "与户主关系",
    "性别",
    "文化程度",
    "在校生状况",
    "健康状况",
    "残疾等级",
    "劳动技能",
    "是否参加大病保险",
    "联系电话",
];
const REGISTRY_HEADERS_EN: [&str; 15] = [
    "household_no",
    "household_type",
    "region_code",
    "address",
    "name",
    "id_number",
    "relation",
    "sex",
    "education",
    "schooling",
    "health",
    "disability_grade",
    "labour",
    "major_illness_insurance",
    "phone",
];
const INCOME_HEADERS_ZH: [&str; 9] = [
    "户编号",
    "统计起始日期",
    "统计截止日期",
    "工资性收入",
    "生产经营性收入",
    "财产性收入",
    "转移性收入",
    "生产经营性支出",
    "合规自付支出",
];
const INCOME_HEADERS_EN: [&str; 9] = [
    "household_no",
    "period_start",
    "period_end",
    "wage_income",
    "business_income",
    "property_income",
    "transfer_income",
    "production_costs",
    "compliant_out_of_pocket",
];

fn registry_column(en: &str) -> usize {
    REGISTRY_HEADERS_EN
        .iter()
        .position(|h| *h == en)
        .expect("known registry column")
}

fn income_column(en: &str) -> usize {
    INCOME_HEADERS_EN
        .iter()
        .position(|h| *h == en)
        .expect("known income column")
}

// ---------------------------------------------------------------------------------------------
// Random helpers.

struct Gen {
    rng: ChaCha8Rng,
    county6: String,
    today: NaiveDate,
    used_ids: HashSet<(NaiveDate, u16)>,
}

impl Gen {
    fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn range(&mut self, lo: u32, hi_inclusive: u32) -> u32 {
        self.rng.random_range(lo..=hi_inclusive)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.random_range(0..items.len())]
    }

    /// Index drawn with weights given in any unit.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.rng.random_range(0..total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    fn surname(&mut self) -> &'static str {
        // Falling weights: the first surnames are several times more frequent than the last.
        let n = SURNAMES.len();
        let i = ((self.unit() * self.unit()) * n as f64) as usize;
        SURNAMES[i.min(n - 1)]
    }

    fn given_name(&mut self, sex: Sex) -> String {
        let chars = match sex {
            Sex::Male => MALE_CHARS,
            Sex::Female => FEMALE_CHARS,
        };
        let mut name = self.pick(chars).to_owned();
        if self.chance(0.7) {
            name.push_str(self.pick(chars));
        }
        name
    }

    fn phone(&mut self) -> String {
        let mut s = self.pick(PHONE_PREFIXES).to_owned();
        for _ in 0..9 {
            s.push(char::from(b'0' + self.rng.random_range(0..10u8)));
        }
        s
    }

    /// A birth date making the person exactly `age` on `today`.
    fn birth_date(&mut self, age: u32) -> NaiveDate {
        let year = self.today.year() - age as i32;
        let anniversary = NaiveDate::from_ymd_opt(year, self.today.month(), self.today.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, self.today.month(), 28))
            .expect("valid date");
        let back = u64::from(self.range(0, 364));
        anniversary
            .checked_sub_days(Days::new(back))
            .unwrap_or(anniversary)
    }

    /// A fresh ID number for this county: the sequence is unique per birth date and its parity
    /// encodes the sex.
    fn resident_id(&mut self, birth: NaiveDate, sex: Sex) -> (ResidentId, NaiveDate) {
        let mut birth = birth;
        loop {
            for _ in 0..64 {
                let seq = (self.rng.random_range(0..500u16)) * 2 + u16::from(sex == Sex::Male);
                if self.used_ids.insert((birth, seq)) {
                    return (ResidentId::compose(&self.county6, birth, seq, sex), birth);
                }
            }
            // Practically never: every sequence of this birth date is taken; move a day back.
            birth = birth.pred_opt().expect("valid date");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Generation.

/// A member before naming and ID numbers.
struct Draft {
    relation: Relation,
    sex: Sex,
    age: u32,
}

fn opposite(sex: Sex) -> Sex {
    match sex {
        Sex::Male => Sex::Female,
        Sex::Female => Sex::Male,
    }
}

fn compose_household(g: &mut Gen, size: usize) -> Vec<Draft> {
    let head_age = match size {
        1 if g.chance(0.6) => g.range(55, 90),
        1 => g.range(25, 54),
        2 if g.chance(0.65) => g.range(55, 88),
        2 => g.range(28, 54),
        _ => g.range(28, 54) + g.range(0, 26),
    };
    let head_sex = if g.chance(0.86) {
        Sex::Male
    } else {
        Sex::Female
    };
    let mut members = vec![Draft {
        relation: Relation::Head,
        sex: head_sex,
        age: head_age,
    }];
    if size == 1 {
        return members;
    }
    let spouse_p = if size >= 3 {
        0.9
    } else if head_age >= 50 {
        0.8
    } else {
        0.45
    };
    if g.chance(spouse_p) {
        let gap = g.range(0, 5);
        let age = match head_sex {
            Sex::Male => head_age.saturating_sub(gap).max(20),
            Sex::Female => (head_age + gap).min(100),
        };
        members.push(Draft {
            relation: Relation::Spouse,
            sex: opposite(head_sex),
            age,
        });
    }
    let mut left = size - members.len();
    if left >= 2 && head_age >= 50 && g.chance(0.75) {
        // Three generations: a married son with his wife and children.
        let son_age = head_age - g.range(22, 30);
        let dil_age = (son_age + 2).saturating_sub(g.range(0, 5)).max(18);
        members.push(Draft {
            relation: Relation::Son,
            sex: Sex::Male,
            age: son_age,
        });
        members.push(Draft {
            relation: Relation::DaughterInLaw,
            sex: Sex::Female,
            age: dil_age,
        });
        left -= 2;
        let max_grandchild = son_age.min(dil_age).saturating_sub(20).min(17);
        while left > 0 {
            let (relation, sex) = if g.chance(0.52) {
                (Relation::Grandson, Sex::Male)
            } else {
                (Relation::Granddaughter, Sex::Female)
            };
            members.push(Draft {
                relation,
                sex,
                age: g.range(0, max_grandchild),
            });
            left -= 1;
        }
        return members;
    }
    // Parents of a younger head.
    if left >= 2 && head_age < 55 && g.chance(0.3) {
        let both = left >= 3 && g.chance(0.5);
        let father_first = g.chance(0.5);
        for (i, (relation, sex)) in [
            (Relation::Father, Sex::Male),
            (Relation::Mother, Sex::Female),
        ]
        .into_iter()
        .enumerate()
        {
            let take = both || (i == 0) == father_first;
            if take && left > 0 {
                members.push(Draft {
                    relation,
                    sex,
                    age: (head_age + g.range(22, 34)).min(100),
                });
                left -= 1;
            }
        }
    }
    // Children of the head.
    if head_age >= 20 {
        let lo = head_age.saturating_sub(42);
        let hi = head_age - 20;
        while left > 0 {
            let (relation, sex) = if g.chance(0.53) {
                (Relation::Son, Sex::Male)
            } else {
                (Relation::Daughter, Sex::Female)
            };
            members.push(Draft {
                relation,
                sex,
                age: g.range(lo, hi),
            });
            left -= 1;
        }
    }
    while left > 0 {
        let age = (head_age + g.range(0, 16)).saturating_sub(8).clamp(16, 95);
        let sex = if g.chance(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        members.push(Draft {
            relation: Relation::Sibling,
            sex,
            age,
        });
        left -= 1;
    }
    members
}

fn education_and_schooling(g: &mut Gen, age: u32) -> (Education, Schooling) {
    use Education as E;
    use Schooling as S;
    match age {
        0..=2 => (E::Preschool, S::NotStudent),
        3..=5 => (
            E::Preschool,
            if g.chance(0.85) {
                S::Preschool
            } else {
                S::NotStudent
            },
        ),
        6 if g.chance(0.3) => (E::Preschool, S::Preschool),
        6..=11 => (E::Primary, S::Primary),
        12 if g.chance(0.4) => (E::Primary, S::Primary),
        12..=15 => (E::JuniorSecondary, S::JuniorSecondary),
        16..=18 => {
            let x = g.unit();
            if x < 0.5 {
                (E::SeniorSecondary, S::SeniorSecondary)
            } else if x < 0.8 {
                (E::VocationalSecondary, S::VocationalSecondary)
            } else {
                (E::JuniorSecondary, S::NotStudent)
            }
        }
        19..=22 => {
            let x = g.unit();
            if x < 0.12 {
                (E::SeniorSecondary, S::University)
            } else if x < 0.27 {
                (E::VocationalSecondary, S::VocationalTertiary)
            } else if x < 0.7 {
                (E::JuniorSecondary, S::NotStudent)
            } else if x < 0.88 {
                (E::SeniorSecondary, S::NotStudent)
            } else {
                (E::VocationalSecondary, S::NotStudent)
            }
        }
        _ => {
            // Cumulative per mille: illiterate, primary, junior, senior, vocational, tertiary.
            let weights: [u32; 6] = match age {
                23..=39 => [0, 50, 500, 200, 120, 130],
                40..=54 => [30, 250, 550, 120, 40, 10],
                55..=69 => [100, 450, 380, 60, 10, 0],
                _ => [350, 500, 130, 20, 0, 0],
            };
            let e = [
                E::Illiterate,
                E::Primary,
                E::JuniorSecondary,
                E::SeniorSecondary,
                E::VocationalSecondary,
                E::Tertiary,
            ][g.weighted(&weights)];
            (e, S::NotStudent)
        }
    }
}

fn health_for(g: &mut Gen, age: u32) -> (Health, Option<u8>) {
    let (disabled, serious, chronic) = match age {
        0..=17 => (0.02, 0.005, 0.02),
        18..=39 => (0.04, 0.01, 0.06),
        40..=59 => (0.06, 0.03, 0.18),
        _ => (0.10, 0.05, 0.33),
    };
    let x = g.unit();
    if x < disabled {
        (Health::Disabled, Some(disability_grade(g)))
    } else if x < disabled + serious {
        (Health::SeriousIllness, None)
    } else if x < disabled + serious + chronic {
        (Health::ChronicIllness, None)
    } else {
        (Health::Healthy, None)
    }
}

fn disability_grade(g: &mut Gen) -> u8 {
    [1, 2, 3, 4][g.weighted(&[10, 20, 30, 40])]
}

fn labour_for(
    g: &mut Gen,
    age: u32,
    health: Health,
    grade: Option<u8>,
    schooling: Schooling,
    education: Education,
) -> Labour {
    if age < 16 || schooling != Schooling::NotStudent {
        return Labour::None;
    }
    match (health, grade) {
        (Health::Disabled, Some(1 | 2)) => return Labour::Lost,
        (Health::Disabled, _) if age >= 65 => return Labour::None,
        (Health::Disabled, Some(3)) => return Labour::Weak,
        (Health::Disabled, _) => {
            return if g.chance(0.5) {
                Labour::Weak
            } else {
                Labour::Ordinary
            };
        }
        (Health::SeriousIllness, _) => {
            return if g.chance(0.5) || age >= 65 {
                Labour::Lost
            } else {
                Labour::Weak
            };
        }
        _ => {}
    }
    let chronic = health == Health::ChronicIllness;
    match age {
        75.. => Labour::None,
        65..=74 => {
            if g.chance(if chronic { 0.5 } else { 0.3 }) {
                Labour::None
            } else {
                Labour::Weak
            }
        }
        60..=64 => {
            if chronic || g.chance(0.4) {
                Labour::Weak
            } else {
                Labour::Ordinary
            }
        }
        _ if chronic && g.chance(0.6) => Labour::Weak,
        _ => {
            let skilled_p = match education {
                Education::VocationalSecondary | Education::Tertiary => 0.55,
                Education::SeniorSecondary => 0.3,
                _ => 0.15,
            };
            if g.chance(skilled_p) {
                Labour::Skilled
            } else {
                Labour::Ordinary
            }
        }
    }
}

/// Fills in one member from its draft.
fn person(g: &mut Gen, draft: &Draft, surname: &str, is_head: bool) -> Person {
    let birth = g.birth_date(draft.age);
    let (id, birth) = g.resident_id(birth, draft.sex);
    let (education, schooling) = education_and_schooling(g, draft.age);
    let (health, grade) = health_for(g, draft.age);
    let labour = labour_for(g, draft.age, health, grade, schooling, education);
    let phone_p = match draft.age {
        18..=70 if is_head => 0.85,
        18..=70 => 0.55,
        71.. if is_head => 0.3,
        _ => 0.0,
    };
    let phone = g.chance(phone_p).then(|| g.phone());
    let name = format!("{surname}{}", g.given_name(draft.sex));
    Person {
        name,
        id_number: id,
        relation: draft.relation,
        sex: Some(draft.sex),
        birth_date: Some(birth),
        education: Some(education),
        schooling: Some(schooling),
        health,
        disability_grade: grade,
        labour,
        major_illness_insurance: Some(true),
        phone,
        status: MemberStatus::Active,
    }
}

fn name_members(g: &mut Gen, drafts: &[Draft]) -> Vec<Person> {
    let head_surname = g.surname();
    let spouse_surname = g.surname();
    drafts
        .iter()
        .map(|d| {
            let surname = match d.relation {
                Relation::Head | Relation::Father | Relation::Sibling => head_surname,
                Relation::Son
                | Relation::Daughter
                | Relation::Grandson
                | Relation::Granddaughter => {
                    if g.chance(0.92) {
                        head_surname
                    } else {
                        spouse_surname
                    }
                }
                Relation::Spouse => spouse_surname,
                _ => g.surname(),
            };
            person(g, d, surname, d.relation == Relation::Head)
        })
        .collect()
}

fn age_of(p: &Person, today: NaiveDate) -> u32 {
    p.age_on(today).unwrap_or(0)
}

fn is_risk(p: &Person) -> bool {
    matches!(p.health, Health::SeriousIllness | Health::Disabled)
}

fn is_ill(p: &Person) -> bool {
    matches!(p.health, Health::SeriousIllness | Health::ChronicIllness)
}

/// Gives a household of the monitored or marginal profile a member with a serious illness or a
/// disability, keeping labour consistent.
fn force_risk(g: &mut Gen, members: &mut [Person], today: NaiveDate) {
    if members.iter().any(is_risk) {
        return;
    }
    // The oldest adult under 80, else the head.
    let i = members
        .iter()
        .enumerate()
        .filter(|(_, p)| (18..80).contains(&age_of(p, today)))
        .max_by_key(|(i, p)| (age_of(p, today), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let p = &mut members[i];
    let age = age_of(p, today);
    if g.chance(0.55) {
        p.health = Health::SeriousIllness;
        p.disability_grade = None;
    } else {
        p.health = Health::Disabled;
        p.disability_grade = Some(disability_grade(g));
    }
    let schooling = p.schooling.unwrap_or(Schooling::NotStudent);
    let education = p.education.unwrap_or(Education::Primary);
    let (health, grade) = (p.health, p.disability_grade);
    members[i].labour = labour_for(g, age, health, grade, schooling, education);
}

fn yuan(x: f64) -> Money {
    Money::from_yuan(x.round().max(0.0) as i64)
}

/// Builds last year's income so that per-capita net income is about `pc` yuan.
fn income_record(g: &mut Gen, members: &[Person], pc: f64, year: i32, poor: bool) -> IncomeRecord {
    let today = g.today;
    let n = members.len() as f64;
    let target = pc * n;
    let elderly = members.iter().filter(|p| age_of(p, today) >= 60).count() as f64;
    let severe = members
        .iter()
        .filter(|p| matches!(p.disability_grade, Some(1 | 2)))
        .count() as f64;
    let has_labour = members.iter().any(|p| p.labour.is_labour());

    // Stable transfers: rural pension, 两项补贴 for severe disability, farm subsidies, and for
    // formerly poor households ecological compensation and other regular transfers.
    let mut transfer = elderly * g.uniform(1_500.0, 2_400.0)
        + severe * g.uniform(800.0, 1_200.0)
        + g.uniform(200.0, 600.0);
    if poor {
        transfer += g.uniform(300.0, 1_200.0);
    }
    let property = if g.chance(if poor { 0.55 } else { 0.35 }) {
        g.uniform(100.0, 2_000.0)
    } else {
        0.0
    };
    let (mut gross_business, mut costs) = if g.chance(0.75) {
        let gross = g.uniform(1_500.0, 4_000.0) * n.sqrt() * g.uniform(0.6, 1.8);
        (gross, gross * g.uniform(0.3, 0.55))
    } else {
        (0.0, 0.0)
    };
    let mut rest = target - transfer - property - (gross_business - costs);
    if rest < 0.0 {
        // Less farming than drawn.
        let net_business = (gross_business - costs + rest).max(0.0);
        let ratio = if gross_business > costs {
            net_business / (gross_business - costs)
        } else {
            0.0
        };
        gross_business *= ratio;
        costs *= ratio;
        rest = 0.0;
    }
    let mut wage = 0.0;
    if has_labour && rest >= 1_000.0 {
        wage = rest;
    } else if !has_labour && rest > 0.0 {
        // Some small-scale farming by the elderly; the rest is support from children living
        // elsewhere (赡养费), which counts as transfer income.
        let farm = rest * g.uniform(0.2, 0.5);
        gross_business += farm / 0.65;
        costs += farm / 0.65 * 0.35;
        transfer += rest - farm;
    } else {
        gross_business += rest;
    }
    let ill = members.iter().any(is_ill);
    let out_of_pocket = ill.then(|| {
        let serious = members
            .iter()
            .filter(|p| p.health == Health::SeriousIllness)
            .count() as f64;
        let chronic = members
            .iter()
            .filter(|p| p.health == Health::ChronicIllness)
            .count() as f64;
        yuan(
            (serious * g.uniform(5_000.0, 40_000.0) + chronic * g.uniform(400.0, 3_000.0))
                .max(100.0),
        )
    });
    IncomeRecord {
        period_start: NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date"),
        period_end: NaiveDate::from_ymd_opt(year, 12, 31).expect("valid date"),
        wage: yuan(wage),
        business: yuan(gross_business),
        property: yuan(property),
        transfer: yuan(transfer),
        production_costs: yuan(costs),
        compliant_out_of_pocket: out_of_pocket,
    }
}

/// The year before, from last year's record: normal growth, or a sharp fall in wage and
/// business income last year.
fn previous_record(g: &mut Gen, last: &IncomeRecord, dropped: bool) -> IncomeRecord {
    let scale = |m: Money, f: f64| Money::from_yuan(((m.fen() / 100) as f64 * f).round() as i64);
    let growth = 1.0 / (1.06 + 0.04 * g.normal()).clamp(0.95, 1.2);
    let volatile = if dropped {
        g.uniform(1.45, 2.5)
    } else {
        growth
    };
    let mut wage = scale(last.wage, volatile);
    if wage > Money::ZERO && wage < Money::from_yuan(1_000) {
        wage = Money::from_yuan(1_000);
    }
    let year = last.period_start.year() - 1;
    IncomeRecord {
        period_start: NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date"),
        period_end: NaiveDate::from_ymd_opt(year, 12, 31).expect("valid date"),
        wage,
        business: scale(last.business, volatile),
        property: scale(last.property, growth),
        transfer: scale(last.transfer, growth),
        production_costs: scale(last.production_costs, volatile),
        compliant_out_of_pocket: last.compliant_out_of_pocket.map(|m| {
            let f = g.uniform(0.5, 1.2);
            scale(m, f).max(Money::from_yuan(100))
        }),
    }
}

/// Generates a registry. Pure and deterministic; see the module documentation for calibration.
pub fn generate(config: &SynthConfig, villages: &[Region]) -> Result<Synth, SynthError> {
    let county = config.county;
    if county.level() != RegionLevel::County {
        return Err(SynthError::NotACounty(county));
    }
    let county6 = county.prefix().to_owned();
    if !is_plausible_region_prefix(&county6) {
        return Err(SynthError::UnknownCounty(county6));
    }
    if config.monitoring_line <= Money::ZERO {
        return Err(SynthError::BadLine(config.monitoring_line));
    }
    if villages.is_empty() {
        return Err(SynthError::NoVillages(county));
    }
    let mut villages: Vec<&Region> = villages.iter().collect();
    villages.sort_by_key(|a| a.code);
    villages.dedup_by(|a, b| a.code == b.code);
    for v in &villages {
        if v.code.level() != RegionLevel::Village {
            return Err(SynthError::NotAVillage(v.code));
        }
        if !county.contains(&v.code) {
            return Err(SynthError::OutsideCounty {
                village: v.code,
                county,
            });
        }
    }

    let today = config.today;
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(config.seed),
        county6,
        today,
        used_ids: HashSet::new(),
    };
    let line = config.monitoring_line.fen() as f64 / 100.0;
    let last_year = today.year() - 1;

    // Villages differ in size and in their share of formerly poor households.
    let weights: Vec<u32> = villages.iter().map(|_| g.range(40, 160)).collect();
    let poverty: Vec<f64> = villages.iter().map(|_| g.uniform(0.75, 1.25)).collect();
    let mut counts = vec![0u32; villages.len()];
    for _ in 0..config.households {
        counts[g.weighted(&weights)] += 1;
    }

    let mut households = Vec::with_capacity(config.households as usize);
    for (vi, village) in villages.iter().enumerate() {
        for seq in 1..=counts[vi] {
            let no = HouseholdNo::parse(&format!("{}{seq:04}", village.code))?;
            let poor = g.chance(FORMERLY_POOR_SHARE * poverty[vi]);
            let household_type = if poor {
                HouseholdType::FormerlyPoor
            } else {
                HouseholdType::Ordinary
            };
            let address = format!("{}{}组{}号", village.name, g.range(1, 12), g.range(1, 80));
            let household = Household::new(no, household_type, village.code, Some(address))?;

            let size = g.weighted(&SIZE_PERMILLE) + 1;
            let drafts = compose_household(&mut g, size);
            let mut members = name_members(&mut g, &drafts);

            let profile = g.chance(if poor {
                MONITORED_SHARE
            } else {
                MARGINAL_SHARE
            });
            if profile {
                force_risk(&mut g, &mut members, today);
            }
            let has_risk = members.iter().any(is_risk);
            let has_labour = members.iter().any(|p| p.labour.is_labour());
            let pc = if profile {
                line * g.uniform(0.7, 1.45)
            } else {
                let median = if poor { 1.9 } else { 2.3 };
                let mut factor = median * (0.42 * g.normal()).exp();
                if !has_labour {
                    factor *= 0.6;
                }
                if has_risk && factor < 1.55 {
                    factor = g.uniform(1.55, 2.2);
                }
                if poor && factor < 1.05 {
                    factor = g.uniform(1.05, 1.5);
                }
                line * factor.clamp(0.3, 12.0)
            };
            let last = income_record(&mut g, &members, pc, last_year, poor);
            let dropped = g.chance(if profile { 0.25 } else { 0.06 });
            let previous = previous_record(&mut g, &last, dropped);
            households.push(NewHousehold {
                household,
                members,
                incomes: vec![previous, last],
            });
        }
    }

    let (errors, raw_edits) = if config.with_errors {
        inject_errors(&mut g, &mut households)
    } else {
        (Vec::new(), Vec::new())
    };
    let summary = summarise(&households, config.monitoring_line);
    Ok(Synth {
        config: config.clone(),
        households,
        errors,
        summary,
        raw_edits,
    })
}

/// Last year's per-capita net income (out-of-pocket judged beside), for a household.
fn per_capita_last(h: &NewHousehold) -> Option<Money> {
    let last = h.incomes.iter().max_by_key(|r| r.period_start)?;
    (last.gross() - last.production_costs).per_capita(h.members.len() as u32)
}

/// Measures the calibration counts on households.
pub fn summarise(households: &[NewHousehold], line: Money) -> SynthSummary {
    let mut s = SynthSummary::default();
    let band = line.scale(3, 2);
    for h in households {
        let n = h.members.len() as u64;
        s.households += 1;
        s.persons += n;
        s.disabled_persons += h
            .members
            .iter()
            .filter(|p| p.health == Health::Disabled)
            .count() as u64;
        s.ill_persons += h.members.iter().filter(|p| is_ill(p)).count() as u64;
        let poor = h.household.household_type == HouseholdType::FormerlyPoor;
        if poor {
            s.formerly_poor_households += 1;
            s.formerly_poor_persons += n;
        }
        let Some(pc) = per_capita_last(h) else {
            continue;
        };
        if pc < line {
            s.persons_below_line += n;
        }
        if pc <= band {
            s.persons_within_1_5_line += n;
            if h.members.iter().any(is_risk) {
                if poor {
                    s.monitored_profile_households += 1;
                    s.monitored_profile_persons += n;
                } else {
                    s.marginal_profile_households += 1;
                    s.marginal_profile_persons += n;
                }
            }
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Error injection.

/// A placeholder row (0) fixed up once all typed edits are done.
struct Pending {
    kind: ErrorKind,
    household: usize,
    file: SynthFile,
    /// Member index (registry) or income record index (income).
    index: usize,
    column: &'static str,
    detail: String,
    raw: Option<(String, String)>,
}

fn inject_errors(
    g: &mut Gen,
    households: &mut [NewHousehold],
) -> (Vec<InjectedError>, Vec<RawEdit>) {
    let n = households.len();
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    let today = g.today;
    let total = ((n as f64 * ERROR_SHARE).ceil() as usize).max(ErrorKind::ALL.len());
    // A random order of households; each kind walks it with its own cursor.
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = g.rng.random_range(0..=i);
        order.swap(i, j);
    }
    let mut used = vec![false; n];
    let mut cursors: HashMap<ErrorKind, usize> = HashMap::new();
    let mut pending: Vec<Pending> = Vec::new();

    for i in 0..total {
        let kind = ErrorKind::ALL[i % ErrorKind::ALL.len()];
        let cursor = cursors.entry(kind).or_insert(0);
        let fits = |h: &NewHousehold| -> bool {
            match kind {
                ErrorKind::TwoHeads | ErrorKind::UnknownRelation => h.members.len() >= 2,
                ErrorKind::IllnessWithoutOutOfPocket => h.members.iter().any(is_ill),
                ErrorKind::DisabilityContradictsLabour => h
                    .members
                    .iter()
                    .any(|p| (16..60).contains(&age_of(p, today))),
                _ => true,
            }
        };
        let mut found = None;
        while *cursor < n {
            let h = order[*cursor];
            *cursor += 1;
            if !used[h] && fits(&households[h]) {
                found = Some(h);
                break;
            }
        }
        let Some(h) = found else { continue };
        used[h] = true;
        if let Some(p) = inject_one(g, households, h, kind, &order, &mut used) {
            pending.push(p);
        } else {
            used[h] = false;
        }
    }

    // Row numbers of the renderings: header = row 1.
    let mut registry_start = Vec::with_capacity(n);
    let mut income_start = Vec::with_capacity(n);
    let (mut r, mut i) = (2u64, 2u64);
    for h in households.iter() {
        registry_start.push(r);
        income_start.push(i);
        r += h.members.len() as u64;
        i += h.incomes.len() as u64;
    }
    let mut errors = Vec::with_capacity(pending.len());
    let mut edits = Vec::new();
    for p in pending {
        let row = match p.file {
            SynthFile::Registry => registry_start[p.household],
            SynthFile::Income => income_start[p.household],
        } + p.index as u64;
        if let Some((zh, en)) = p.raw {
            let column = match p.file {
                SynthFile::Registry => registry_column(p.column),
                SynthFile::Income => income_column(p.column),
            };
            edits.push(RawEdit {
                file: p.file,
                row,
                column,
                zh,
                en,
            });
        }
        errors.push(InjectedError {
            kind: p.kind,
            household_no: households[p.household]
                .household
                .household_no
                .as_str()
                .to_owned(),
            file: p.file,
            row,
            column: p.column,
            detail: p.detail,
        });
    }
    (errors, edits)
}

fn inject_one(
    g: &mut Gen,
    households: &mut [NewHousehold],
    h: usize,
    kind: ErrorKind,
    order: &[usize],
    used: &mut [bool],
) -> Option<Pending> {
    let today = g.today;
    let pending = move |file: SynthFile,
                        index: usize,
                        column: &'static str,
                        detail: String,
                        raw: Option<(String, String)>| Pending {
        kind,
        household: h,
        file,
        index,
        column,
        detail,
        raw,
    };
    let last_income = households[h].incomes.len().checked_sub(1)?;
    let members = households[h].members.len();
    let non_head = if members >= 2 {
        g.range(1, members as u32 - 1) as usize
    } else {
        0
    };
    match kind {
        ErrorKind::DuplicateIdNumber => {
            // Prefer a daughter-in-law (a married-in daughter still registered at home).
            let target = households[h]
                .members
                .iter()
                .position(|p| p.relation == Relation::DaughterInLaw)
                .unwrap_or(members - 1);
            let sex = households[h].members[target].sex;
            let want_daughter = households[h].members[target].relation == Relation::DaughterInLaw;
            let mut source = None;
            for pass in 0..2 {
                for &o in order {
                    if used[o] {
                        continue;
                    }
                    let hit = households[o].members.iter().position(|p| {
                        p.sex == sex
                            && p.relation != Relation::Head
                            && (pass == 1 || !want_daughter || p.relation == Relation::Daughter)
                    });
                    if let Some(m) = hit {
                        source = Some((o, m));
                        break;
                    }
                }
                if source.is_some() {
                    break;
                }
            }
            let (o, m) = source?;
            used[o] = true;
            let src = households[o].members[m].clone();
            let t = &mut households[h].members[target];
            t.name = src.name.clone();
            t.id_number = src.id_number.clone();
            t.birth_date = src.birth_date;
            let detail = format!(
                "ID number {} also belongs to a member of household {}",
                src.id_number,
                households[o].household.household_no.as_str()
            );
            Some(pending(
                SynthFile::Registry,
                target,
                "id_number",
                detail,
                None,
            ))
        }
        ErrorKind::TwoHeads => {
            households[h].members[non_head].relation = Relation::Head;
            Some(pending(
                SynthFile::Registry,
                non_head,
                "relation",
                "a second member is marked 户主".into(),
                None,
            ))
        }
        ErrorKind::NoHead => {
            households[h].members[0].relation = Relation::Other;
            Some(pending(
                SynthFile::Registry,
                0,
                "relation",
                "the head is recorded as 其他; the household has no 户主".into(),
                None,
            ))
        }
        ErrorKind::LowWageIncome => {
            let wage = Money::from_fen(i64::from(g.range(100, 9_999)));
            households[h].incomes[last_income].wage = wage;
            Some(pending(
                SynthFile::Income,
                last_income,
                "wage_income",
                format!("wage income {wage} is between 0 and 100 yuan"),
                None,
            ))
        }
        ErrorKind::IllnessWithoutOutOfPocket => {
            households[h].incomes[last_income].compliant_out_of_pocket = Some(Money::ZERO);
            Some(pending(
                SynthFile::Income,
                last_income,
                "compliant_out_of_pocket",
                "a member is ill but compliant out-of-pocket spending is 0".into(),
                None,
            ))
        }
        ErrorKind::NoMajorIllnessInsurance => {
            let m = g.range(0, members as u32 - 1) as usize;
            let value = if g.chance(0.67) { Some(false) } else { None };
            households[h].members[m].major_illness_insurance = value;
            let shown = if value.is_some() { "否" } else { "empty" };
            Some(pending(
                SynthFile::Registry,
                m,
                "major_illness_insurance",
                format!("major-illness insurance is {shown}"),
                None,
            ))
        }
        ErrorKind::DisabilityContradictsLabour => {
            let m = households[h]
                .members
                .iter()
                .position(|p| (16..60).contains(&age_of(p, today)))?;
            let p = &mut households[h].members[m];
            p.health = Health::Disabled;
            p.disability_grade = Some(1);
            p.labour = Labour::Ordinary;
            p.schooling = Some(Schooling::NotStudent);
            Some(pending(
                SynthFile::Registry,
                m,
                "labour",
                "disability grade 1 (most severe) recorded with 普通劳动力".into(),
                None,
            ))
        }
        ErrorKind::WrongCheckDigit => {
            let m = g.range(0, members as u32 - 1) as usize;
            let id = households[h].members[m].id_number.as_str().to_owned();
            let right = check_char(&id[..17]);
            let chars = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X'];
            let mut wrong = chars[g.range(0, 10) as usize];
            if wrong == right {
                wrong = if right == '0' { '1' } else { '0' };
            }
            let text = format!("{}{wrong}", &id[..17]);
            Some(pending(
                SynthFile::Registry,
                m,
                "id_number",
                format!("check character should be {right}, file has {wrong}"),
                Some((text.clone(), text)),
            ))
        }
        ErrorKind::SexDisagreesWithId => {
            let m = g.range(0, members as u32 - 1) as usize;
            let sex = households[h].members[m].id_number.sex()?;
            let other = opposite(sex);
            Some(pending(
                SynthFile::Registry,
                m,
                "sex",
                format!("sex {} but the ID number says {}", other.zh(), sex.zh()),
                Some((other.zh().to_owned(), other.code().to_owned())),
            ))
        }
        ErrorKind::InvalidDate => {
            let year = households[h].incomes[last_income].period_end.year();
            let text = format!("{year}-02-30");
            Some(pending(
                SynthFile::Income,
                last_income,
                "period_end",
                format!("period end {text} is not a date"),
                Some((text.clone(), text)),
            ))
        }
        ErrorKind::NameTooLong => {
            let m = g.range(0, members as u32 - 1) as usize;
            let hh = &households[h];
            let mut text = format!(
                "{}（{}，{}，外出务工多年，联系方式待核实，由村干部代为登记，信息待补充）",
                hh.members[m].name,
                hh.members[m].relation.zh(),
                hh.household.address.as_deref().unwrap_or("本村"),
            );
            while text.chars().count() <= 50 {
                text.push_str("待核实");
            }
            let chars = text.chars().count();
            Some(pending(
                SynthFile::Registry,
                m,
                "name",
                format!("name has {chars} characters (at most 50)"),
                Some((text.clone(), text)),
            ))
        }
        ErrorKind::UnknownRelation => Some(pending(
            SynthFile::Registry,
            non_head,
            "relation",
            "relation 侄子/nephew is not in the codebook".into(),
            Some(("侄子".into(), "nephew".into())),
        )),
        ErrorKind::MissingRequiredField => {
            let choice = g.range(0, 4);
            let (file, index, column) = match choice {
                0 => (SynthFile::Registry, non_head, "name"),
                1 => (SynthFile::Registry, non_head, "health"),
                2 => (SynthFile::Registry, non_head, "labour"),
                3 => (SynthFile::Income, last_income, "wage_income"),
                _ => (SynthFile::Income, last_income, "production_costs"),
            };
            Some(pending(
                file,
                index,
                column,
                format!("required field {column} is empty"),
                Some((String::new(), String::new())),
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV renderings (formats.md §1–2).

/// Neutralises a cell a spreadsheet would run as a formula (formats.md).
fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn label<T: Codebook>(v: T, english: bool) -> &'static str {
    if english { v.code() } else { v.zh() }
}

fn edits_for(synth: &Synth, file: SynthFile) -> HashMap<u64, Vec<&RawEdit>> {
    let mut map: HashMap<u64, Vec<&RawEdit>> = HashMap::new();
    for e in synth.raw_edits.iter().filter(|e| e.file == file) {
        map.entry(e.row).or_default().push(e);
    }
    map
}

fn write_rows<const N: usize>(
    headers: [&str; N],
    rows: impl Iterator<Item = [String; N]>,
    edits: &HashMap<u64, Vec<&RawEdit>>,
    english: bool,
) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(headers).expect("writing to memory");
    for (i, mut row) in rows.enumerate() {
        if let Some(list) = edits.get(&(i as u64 + 2)) {
            for e in list {
                row[e.column] = if english { e.en.clone() } else { e.zh.clone() };
            }
        }
        w.write_record(row.iter().map(|c| neutralise(c).into_owned()))
            .expect("writing to memory");
    }
    let bytes = w.into_inner().expect("flushing to memory");
    String::from_utf8(bytes).expect("CSV of UTF-8 cells is UTF-8")
}

/// The registry file (formats.md §1): one row per person, Chinese headers and values unless
/// `english_headers`; with the textual errors applied when the synth has them.
pub fn registry_csv(synth: &Synth, english_headers: bool) -> String {
    let en = english_headers;
    let headers = if en {
        REGISTRY_HEADERS_EN
    } else {
        REGISTRY_HEADERS_ZH
    };
    let rows = synth.households.iter().flat_map(|h| {
        h.members.iter().map(move |p| {
            let sex = p.sex.or_else(|| p.id_number.sex());
            [
                h.household.household_no.as_str().to_owned(),
                label(h.household.household_type, en).to_owned(),
                h.household.region.as_str().to_owned(),
                h.household.address.clone().unwrap_or_default(),
                p.name.clone(),
                p.id_number.as_str().to_owned(),
                label(p.relation, en).to_owned(),
                sex.map(|s| if en { s.code() } else { s.zh() })
                    .unwrap_or_default()
                    .to_owned(),
                p.education
                    .map(|v| label(v, en))
                    .unwrap_or_default()
                    .to_owned(),
                p.schooling
                    .map(|v| label(v, en))
                    .unwrap_or_default()
                    .to_owned(),
                label(p.health, en).to_owned(),
                p.disability_grade
                    .map(|g| g.to_string())
                    .unwrap_or_default(),
                label(p.labour, en).to_owned(),
                match (p.major_illness_insurance, en) {
                    (Some(true), false) => "是",
                    (Some(false), false) => "否",
                    (Some(true), true) => "yes",
                    (Some(false), true) => "no",
                    (None, _) => "",
                }
                .to_owned(),
                p.phone.clone().unwrap_or_default(),
            ]
        })
    });
    write_rows(headers, rows, &edits_for(synth, SynthFile::Registry), en)
}

/// The income file (formats.md §2): one row per household and year, money with two decimals.
pub fn income_csv(synth: &Synth, english_headers: bool) -> String {
    let headers = if english_headers {
        INCOME_HEADERS_EN
    } else {
        INCOME_HEADERS_ZH
    };
    let rows = synth.households.iter().flat_map(|h| {
        h.incomes.iter().map(move |r| {
            [
                h.household.household_no.as_str().to_owned(),
                r.period_start.format("%Y-%m-%d").to_string(),
                r.period_end.format("%Y-%m-%d").to_string(),
                r.wage.to_string(),
                r.business.to_string(),
                r.property.to_string(),
                r.transfer.to_string(),
                r.production_costs.to_string(),
                r.compliant_out_of_pocket
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            ]
        })
    });
    write_rows(
        headers,
        rows,
        &edits_for(synth, SynthFile::Income),
        english_headers,
    )
}

// ---------------------------------------------------------------------------------------------
// Storing.

/// Households per `register_households` call.
pub const BATCH: usize = 2_000;

/// Stores the typed households in batches of [`BATCH`], all with one stamp (source `synth`,
/// valid from [`Synth::valid_from`]), calling `progress(done, total)` after each batch. Returns
/// the number of households written.
pub async fn write(
    app: &App,
    synth: &Synth,
    actor: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> StoreResult<u64> {
    let stamp = app.stamp(
        actor,
        "synth",
        synth.valid_from(),
        Some("synthetic registry".into()),
    );
    let total = synth.households.len() as u64;
    let mut done = 0u64;
    for batch in synth.households.chunks(BATCH) {
        app.store.register_households(batch, &stamp).await?;
        done += batch.len() as u64;
        progress(done, total);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()
    }

    /// 60 villages of 汝城县 (6 townships × 10 villages).
    fn villages() -> Vec<Region> {
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

    fn config(households: u32, seed: u64, with_errors: bool) -> SynthConfig {
        SynthConfig {
            county: RegionCode::parse("431026").unwrap(),
            households,
            seed,
            today: today(),
            monitoring_line: Money::from_yuan(7_500),
            with_errors,
        }
    }

    fn synth(households: u32, seed: u64, with_errors: bool) -> Synth {
        generate(&config(households, seed, with_errors), &villages()).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_registry_and_another_seed_another() {
        let a = synth(500, 7, true);
        let b = synth(500, 7, true);
        assert_eq!(a, b);
        assert_eq!(registry_csv(&a, false), registry_csv(&b, false));
        assert_eq!(income_csv(&a, true), income_csv(&b, true));
        let c = synth(500, 8, true);
        assert_ne!(registry_csv(&a, false), registry_csv(&c, false));
        // Village order of the input does not matter.
        let mut reversed = villages();
        reversed.reverse();
        let d = generate(&config(500, 7, true), &reversed).unwrap();
        assert_eq!(a, d);
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert_eq!(
            generate(&config(10, 1, false), &[]).unwrap_err(),
            SynthError::NoVillages(RegionCode::parse("431026").unwrap())
        );
        let other = [Region {
            code: RegionCode::parse("431002100201").unwrap(),
            name: "x".into(),
        }];
        assert!(matches!(
            generate(&config(10, 1, false), &other),
            Err(SynthError::OutsideCounty { .. })
        ));
        let township = [Region {
            code: RegionCode::parse("431026100").unwrap(),
            name: "x".into(),
        }];
        assert!(matches!(
            generate(&config(10, 1, false), &township),
            Err(SynthError::NotAVillage(_))
        ));
        let mut c = config(10, 1, false);
        c.county = RegionCode::parse("4310").unwrap();
        assert!(matches!(
            generate(&c, &villages()),
            Err(SynthError::NotACounty(_))
        ));
    }

    #[test]
    fn ids_parse_agree_with_the_person_and_are_unique() {
        let s = synth(3_000, 11, false);
        let mut seen = HashSet::new();
        for h in &s.households {
            for p in &h.members {
                let id = ResidentId::parse(p.id_number.as_str(), today()).unwrap();
                assert_eq!(id.sex(), p.sex);
                assert_eq!(id.birth_date(), p.birth_date);
                assert_eq!(id.region_prefix(), Some("431026"));
                assert!(seen.insert(id), "duplicate {}", p.id_number);
                assert!(p.clone().normalise().is_ok());
                assert!(p.name.chars().count() <= Person::NAME_MAX);
                assert_eq!(p.status, MemberStatus::Active);
            }
        }
    }

    #[test]
    fn households_are_consistent() {
        let s = synth(5_000, 3, false);
        let mut numbers = HashSet::new();
        for h in &s.households {
            let no = h.household.household_no.as_str();
            assert!(numbers.insert(no.to_owned()), "duplicate number {no}");
            assert!(no.starts_with(h.household.region.as_str()) && no.len() == 16);
            let heads: Vec<&Person> = h
                .members
                .iter()
                .filter(|p| p.relation == Relation::Head)
                .collect();
            assert_eq!(heads.len(), 1, "{no}");
            let head_age = age_of(heads[0], today()) as i64;
            for p in &h.members {
                let age = age_of(p, today()) as i64;
                let sex = p.sex.unwrap();
                match p.relation {
                    Relation::Son | Relation::Daughter => assert!(head_age - age >= 18, "{no}"),
                    Relation::Father | Relation::Mother => assert!(age - head_age >= 18, "{no}"),
                    Relation::Grandson | Relation::Granddaughter => {
                        assert!(head_age - age >= 36, "{no}")
                    }
                    _ => {}
                }
                match p.relation {
                    Relation::Son | Relation::Grandson | Relation::Father | Relation::SonInLaw => {
                        assert_eq!(sex, Sex::Male)
                    }
                    Relation::Daughter
                    | Relation::Granddaughter
                    | Relation::Mother
                    | Relation::DaughterInLaw => assert_eq!(sex, Sex::Female),
                    _ => {}
                }
                if age < 16 {
                    assert_eq!(p.labour, Labour::None);
                }
                if (6..=15).contains(&age) {
                    assert!(matches!(
                        p.schooling,
                        Some(
                            Schooling::Preschool | Schooling::Primary | Schooling::JuniorSecondary
                        )
                    ));
                }
                if matches!(p.disability_grade, Some(1 | 2)) {
                    assert!(!p.labour.is_labour(), "{no}");
                }
                assert_eq!(p.major_illness_insurance, Some(true));
            }
            assert_eq!(h.incomes.len(), 2);
            for r in &h.incomes {
                r.check().unwrap();
                assert!(r.wage == Money::ZERO || r.wage >= Money::from_yuan(100));
                let ill = h.members.iter().any(is_ill);
                assert_eq!(ill, r.compliant_out_of_pocket.is_some());
                if ill {
                    assert!(r.compliant_out_of_pocket.unwrap() > Money::ZERO);
                }
            }
            assert_eq!(
                h.incomes[1].period_start,
                NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
            );
            assert_eq!(
                h.incomes[0].period_end,
                NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
            );
        }
    }

    #[test]
    fn calibration_matches_the_domain_figures() {
        let s = synth(5_000, 42, false);
        let m = &s.summary;
        assert_eq!(m.households, 5_000);
        let mean_size = m.persons as f64 / m.households as f64;
        assert!((2.8..=3.6).contains(&mean_size), "mean size {mean_size}");
        let poor = m.formerly_poor_households as f64 / m.households as f64;
        assert!((0.25..=0.30).contains(&poor), "formerly poor {poor}");
        let monitored = m.monitored_profile_persons as f64 / m.formerly_poor_persons as f64;
        assert!((0.10..=0.20).contains(&monitored), "monitored {monitored}");
        let below = m.persons_below_line as f64 / m.persons as f64;
        assert!(below > 0.01 && below < 0.15, "below the line {below}");
        let within = m.persons_within_1_5_line as f64 / m.persons as f64;
        assert!(within > below && within < 0.4, "within 1.5× {within}");
        let disabled = m.disabled_persons as f64 / m.persons as f64;
        assert!((0.04..=0.09).contains(&disabled), "disabled {disabled}");
        assert_eq!(s.summary, summarise(&s.households, Money::from_yuan(7_500)));
        // Income drops exist for the screening.
        let drops = s
            .households
            .iter()
            .filter(|h| {
                let net = |r: &IncomeRecord| (r.gross() - r.production_costs).fen();
                net(&h.incomes[1]) * 10 < net(&h.incomes[0]) * 7
            })
            .count();
        assert!(drops > 100, "drops {drops}");
    }

    #[test]
    fn errors_are_injected_and_listed() {
        let s = synth(2_000, 5, true);
        assert_eq!(s.errors.len(), 30);
        let kinds: HashSet<ErrorKind> = s.errors.iter().map(|e| e.kind).collect();
        assert_eq!(kinds.len(), ErrorKind::ALL.len());
        let affected: HashSet<&str> = s.errors.iter().map(|e| e.household_no.as_str()).collect();
        assert_eq!(affected.len(), s.errors.len(), "one error per household");
        let registry = registry_csv(&s, false);
        let income = income_csv(&s, false);
        let lines = |text: &str| -> Vec<String> { text.lines().map(str::to_owned).collect() };
        let (registry, income) = (lines(&registry), lines(&income));
        for e in &s.errors {
            let line = match e.file {
                SynthFile::Registry => &registry[e.row as usize - 1],
                SynthFile::Income => &income[e.row as usize - 1],
            };
            assert!(line.starts_with(&e.household_no), "{e:?} → {line}");
            let h = s
                .households
                .iter()
                .find(|h| h.household.household_no.as_str() == e.household_no)
                .unwrap();
            let heads = h
                .members
                .iter()
                .filter(|p| p.relation == Relation::Head)
                .count();
            match e.kind {
                ErrorKind::TwoHeads => assert_eq!(heads, 2),
                ErrorKind::NoHead => assert_eq!(heads, 0),
                ErrorKind::InvalidDate => assert!(line.contains("-02-30")),
                ErrorKind::UnknownRelation => assert!(line.contains("侄子")),
                ErrorKind::LowWageIncome => {
                    let wage = h.incomes[1].wage;
                    assert!(wage > Money::ZERO && wage < Money::from_yuan(100));
                }
                ErrorKind::DuplicateIdNumber => {
                    let id = registry[e.row as usize - 1].split(',').nth(5).unwrap();
                    assert_eq!(registry.iter().filter(|l| l.contains(id)).count(), 2);
                }
                ErrorKind::WrongCheckDigit => {
                    let id = line.split(',').nth(5).unwrap();
                    assert!(ResidentId::parse(id, today()).is_err());
                }
                _ => {}
            }
            if e.kind.is_textual() {
                assert_eq!(heads, 1);
            }
        }
        // Without errors, every household has exactly one head and nothing is listed.
        let clean = synth(2_000, 5, false);
        assert!(clean.errors.is_empty());
        assert!(clean.households.iter().all(|h| {
            h.members
                .iter()
                .filter(|p| p.relation == Relation::Head)
                .count()
                == 1
        }));
        // A tiny registry still gets the kinds that fit.
        assert!(!synth(5, 1, true).errors.is_empty());
    }

    #[test]
    fn csv_headers_follow_formats_md_in_both_languages() {
        let s = synth(50, 9, false);
        let zh = registry_csv(&s, false);
        assert_eq!(
            zh.lines().next().unwrap(),
            "户编号,户类型,行政区划代码,详细地址,姓名,证件号码,与户主关系,性别,文化程度,\
             在校生状况,健康状况,残疾等级,劳动技能,是否参加大病保险,联系电话"
        );
        assert!(zh.contains(",户主,") && zh.contains(",是,"));
        let en = registry_csv(&s, true);
        assert_eq!(
            en.lines().next().unwrap(),
            "household_no,household_type,region_code,address,name,id_number,relation,sex,\
             education,schooling,health,disability_grade,labour,major_illness_insurance,phone"
        );
        assert!(en.contains(",head,") && en.contains(",yes,"));
        assert_eq!(zh.lines().count(), s.summary.persons as usize + 1);
        let inc = income_csv(&s, false);
        assert_eq!(
            inc.lines().next().unwrap(),
            "户编号,统计起始日期,统计截止日期,工资性收入,生产经营性收入,财产性收入,转移性收入,\
             生产经营性支出,合规自付支出"
        );
        assert_eq!(
            income_csv(&s, true).lines().next().unwrap(),
            "household_no,period_start,period_end,wage_income,business_income,property_income,\
             transfer_income,production_costs,compliant_out_of_pocket"
        );
        let row = inc.lines().nth(2).unwrap();
        assert!(row.contains(",2025-01-01,2025-12-31,"));
        assert!(row.split(',').nth(3).unwrap().ends_with(".00"));
        assert_eq!(inc.lines().count(), 101);
        assert_eq!(neutralise("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralise("-3"), "'-3");
        assert_eq!(neutralise("张三"), "张三");
    }
}
