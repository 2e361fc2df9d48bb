//! Households and their members (formats.md §1), with the codebooks of the registry.
//!
//! Every codebook value has a stable English code (used in the API and in English files) and the
//! Chinese label of the national system; [`Codebook::parse`] accepts either.

use chrono::NaiveDate;

use crate::region::{RegionCode, RegionLevel};
use crate::resident_id::{ResidentId, Sex};

/// A closed set of values with an English code and a Chinese label.
pub trait Codebook: Sized + Copy + 'static {
    const ALL: &'static [Self];
    /// The field name, for error messages.
    const FIELD: &'static str;
    fn code(self) -> &'static str;
    fn zh(self) -> &'static str;

    /// Accepts the English code or the Chinese label, ignoring surrounding space and case.
    fn parse(s: &str) -> Result<Self, CodebookError> {
        let s = s.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.zh() == s || v.code().eq_ignore_ascii_case(s))
            .ok_or_else(|| CodebookError {
                field: Self::FIELD,
                found: s.to_owned(),
                allowed: Self::ALL
                    .iter()
                    .map(|v| format!("{} {}", v.zh(), v.code()))
                    .collect::<Vec<_>>()
                    .join(" · "),
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {found:?} is not one of {allowed}")]
pub struct CodebookError {
    pub field: &'static str,
    pub found: String,
    pub allowed: String,
}

macro_rules! codebook {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident = $code:literal, $zh:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl Codebook for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            const FIELD: &'static str = $field;
            fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
        }
    };
}

pub(crate) use codebook;

codebook!(
    /// 户类型.
    HouseholdType, "household_type" {
        FormerlyPoor = "formerly_poor", "脱贫户";
        Ordinary = "ordinary", "一般农户";
    }
);

codebook!(
    /// 与户主关系.
    Relation, "relation" {
        Head = "head", "户主";
        Spouse = "spouse", "配偶";
        Son = "son", "之子";
        Daughter = "daughter", "之女";
        DaughterInLaw = "daughter_in_law", "之儿媳";
        SonInLaw = "son_in_law", "之女婿";
        Grandson = "grandson", "之孙子";
        Granddaughter = "granddaughter", "之孙女";
        Father = "father", "之父";
        Mother = "mother", "之母";
        Sibling = "sibling", "兄弟姐妹";
        Other = "other", "其他";
    }
);

codebook!(
    /// 文化程度.
    Education, "education" {
        Illiterate = "illiterate", "文盲或半文盲";
        Primary = "primary", "小学";
        JuniorSecondary = "junior_secondary", "初中";
        SeniorSecondary = "senior_secondary", "高中";
        VocationalSecondary = "vocational_secondary", "中专";
        Tertiary = "tertiary", "大专及以上";
        Preschool = "preschool", "学龄前";
    }
);

codebook!(
    /// 在校生状况.
    Schooling, "schooling" {
        NotStudent = "not_student", "非在校生";
        Preschool = "preschool", "学前教育";
        Primary = "primary", "小学";
        JuniorSecondary = "junior_secondary", "初中";
        SeniorSecondary = "senior_secondary", "高中";
        VocationalSecondary = "vocational_secondary", "中职";
        VocationalTertiary = "vocational_tertiary", "高职";
        University = "university", "大学";
        DroppedOut = "dropped_out", "辍学";
    }
);

codebook!(
    /// 健康状况.
    Health, "health" {
        Healthy = "healthy", "健康";
        ChronicIllness = "chronic_illness", "长期慢性病";
        SeriousIllness = "serious_illness", "大病";
        Disabled = "disabled", "残疾";
    }
);

codebook!(
    /// 劳动技能.
    Labour, "labour" {
        Ordinary = "ordinary", "普通劳动力";
        Skilled = "skilled", "技能劳动力";
        Weak = "weak", "弱劳动力或半劳动力";
        Lost = "lost", "丧失劳动力";
        None = "none", "无劳动力";
    }
);

impl Labour {
    /// Whether the person counts as labour (普通/技能/弱劳动力).
    pub fn is_labour(self) -> bool {
        matches!(self, Labour::Ordinary | Labour::Skilled | Labour::Weak)
    }
}

codebook!(
    /// Whether a member still belongs to the household, and if not, why they left.
    MemberStatus, "member_status" {
        Active = "active", "在户";
        Died = "died", "死亡";
        MarriedOut = "married_out", "婚出";
        MovedOut = "moved_out", "迁出";
    }
);

/// A household number (户编号). Nationally unique; a locally assigned number starts with the
/// 6-digit county code. It is an attribute with history, not a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HouseholdNo(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{field} is required")]
    Required { field: &'static str },
    #[error("{field} may have at most {max} characters, found {found}")]
    TooLong {
        field: &'static str,
        max: usize,
        found: usize,
    },
    #[error("{field} may only hold letters, digits and '-', found {found:?}")]
    BadChar { field: &'static str, found: char },
    #[error("region_code {0} is not a village (村/居委会) code")]
    NotVillage(RegionCode),
    #[error("disability_grade must be 1–4, found {0:?}")]
    DisabilityGrade(String),
    #[error("disability_grade is required when health is disabled (残疾)")]
    DisabilityGradeMissing,
    #[error("sex {given} does not agree with the ID number, which says {from_id}")]
    SexDisagrees {
        given: &'static str,
        from_id: &'static str,
    },
    #[error("phone {0:?} is not a phone number")]
    Phone(String),
}

impl HouseholdNo {
    pub const MAX_LEN: usize = 30;

    pub fn parse(s: &str) -> Result<HouseholdNo, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldError::Required {
                field: "household_no",
            });
        }
        let n = s.chars().count();
        if n > Self::MAX_LEN {
            return Err(FieldError::TooLong {
                field: "household_no",
                max: Self::MAX_LEN,
                found: n,
            });
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(FieldError::BadChar {
                field: "household_no",
                found: c,
            });
        }
        Ok(HouseholdNo(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a free-text field: trimmed, required or not, and no longer than `max` characters.
/// A longer value is an error, never a silent cut (formats.md).
pub fn text_field(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<Option<String>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return if required {
            Err(FieldError::Required { field })
        } else {
            Ok(None)
        };
    }
    let found = value.chars().count();
    if found > max {
        return Err(FieldError::TooLong { field, max, found });
    }
    Ok(Some(value.to_owned()))
}

/// A household's attributes at one point of its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub household_no: HouseholdNo,
    pub household_type: HouseholdType,
    /// The village (村/居委会) the household belongs to.
    pub region: RegionCode,
    pub address: Option<String>,
}

impl Household {
    pub const ADDRESS_MAX: usize = 200;

    pub fn new(
        household_no: HouseholdNo,
        household_type: HouseholdType,
        region: RegionCode,
        address: Option<String>,
    ) -> Result<Household, FieldError> {
        if region.level() != RegionLevel::Village {
            return Err(FieldError::NotVillage(region));
        }
        let address = match address {
            Some(a) => text_field("address", &a, Self::ADDRESS_MAX, false)?,
            None => None,
        };
        Ok(Household {
            household_no,
            household_type,
            region,
            address,
        })
    }
}

/// A member's attributes at one point of their history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub id_number: ResidentId,
    pub relation: Relation,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub education: Option<Education>,
    pub schooling: Option<Schooling>,
    pub health: Health,
    pub disability_grade: Option<u8>,
    pub labour: Labour,
    pub major_illness_insurance: Option<bool>,
    pub phone: Option<String>,
    pub status: MemberStatus,
}

impl Person {
    pub const NAME_MAX: usize = 50;

    /// Checks the rules that tie fields together: sex agrees with the ID number; a disabled person
    /// has a grade of 1–4 and nobody else has one. Fills sex and birth date from the ID number.
    pub fn normalise(mut self) -> Result<Person, FieldError> {
        if let Some(from_id) = self.id_number.sex() {
            match self.sex {
                Some(given) if given != from_id => {
                    return Err(FieldError::SexDisagrees {
                        given: given.zh(),
                        from_id: from_id.zh(),
                    });
                }
                _ => self.sex = Some(from_id),
            }
        }
        if self.birth_date.is_none() {
            self.birth_date = self.id_number.birth_date();
        }
        match (self.health, self.disability_grade) {
            (Health::Disabled, None) => return Err(FieldError::DisabilityGradeMissing),
            (_, Some(g)) if !(1..=4).contains(&g) => {
                return Err(FieldError::DisabilityGrade(g.to_string()));
            }
            _ => {}
        }
        Ok(self)
    }

    /// Age in whole years on `on`, if the birth date is known.
    pub fn age_on(&self, on: NaiveDate) -> Option<u32> {
        self.birth_date.and_then(|b| on.years_since(b))
    }

    pub fn is_active(&self) -> bool {
        self.status == MemberStatus::Active
    }
}

/// Parses a disability grade, `1`–`4`, also written `一级`…`四级`.
pub fn parse_disability_grade(s: &str) -> Result<Option<u8>, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let grade = match s.trim_end_matches('级') {
        "1" | "一" => 1,
        "2" | "二" => 2,
        "3" | "三" => 3,
        "4" | "四" => 4,
        _ => return Err(FieldError::DisabilityGrade(s.to_owned())),
    };
    Ok(Some(grade))
}

/// Parses a phone: digits, spaces, `+` and `-`, 5–20 characters. Empty is none.
pub fn parse_phone(s: &str) -> Result<Option<String>, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let ok = (5..=20).contains(&s.chars().count())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
    if ok {
        Ok(Some(s.to_owned()))
    } else {
        Err(FieldError::Phone(s.to_owned()))
    }
}

/// Parses 是/否 or yes/no; empty is none.
pub fn parse_yes_no(field: &'static str, s: &str) -> Result<Option<bool>, CodebookError> {
    match s.trim() {
        "" => Ok(None),
        "是" | "yes" | "Yes" | "YES" | "y" | "Y" | "true" => Ok(Some(true)),
        "否" | "no" | "No" | "NO" | "n" | "N" | "false" => Ok(Some(false)),
        other => Err(CodebookError {
            field,
            found: other.to_owned(),
            allowed: "是 yes · 否 no".to_owned(),
        }),
    }
}

/// Masks a phone number: keeps the first 3 and last 4 characters.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 3 || i >= chars.len() - 4 {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codebooks_accept_either_language() {
        assert_eq!(Relation::parse("户主").unwrap(), Relation::Head);
        assert_eq!(
            Relation::parse("daughter_in_law").unwrap(),
            Relation::DaughterInLaw
        );
        assert_eq!(Labour::parse(" 弱劳动力或半劳动力 ").unwrap(), Labour::Weak);
        let err = Health::parse("sick").unwrap_err();
        assert_eq!(err.field, "health");
        assert!(
            err.to_string()
                .starts_with("health: \"sick\" is not one of 健康 healthy")
        );
    }

    #[test]
    fn every_codebook_value_round_trips_in_both_languages() {
        fn check<T: Codebook + PartialEq + std::fmt::Debug>() {
            for v in T::ALL {
                assert_eq!(T::parse(v.code()).unwrap(), *v);
                assert_eq!(T::parse(v.zh()).unwrap(), *v);
            }
        }
        check::<HouseholdType>();
        check::<Relation>();
        check::<Education>();
        check::<Schooling>();
        check::<Health>();
        check::<Labour>();
        check::<MemberStatus>();
    }

    #[test]
    fn household_numbers_and_text_fields_are_bounded() {
        assert!(HouseholdNo::parse("431026100201-0001").is_ok());
        assert_eq!(
            HouseholdNo::parse("4310 26").unwrap_err().to_string(),
            "household_no may only hold letters, digits and '-', found ' '"
        );
        let long = "路".repeat(201);
        assert_eq!(
            text_field("address", &long, 200, false)
                .unwrap_err()
                .to_string(),
            "address may have at most 200 characters, found 201"
        );
        assert_eq!(
            text_field("name", "  ", 50, true),
            Err(FieldError::Required { field: "name" })
        );
    }

    #[test]
    fn a_household_must_sit_in_a_village() {
        let no = HouseholdNo::parse("4310260001").unwrap();
        let county = RegionCode::parse("431026").unwrap();
        assert_eq!(
            Household::new(no, HouseholdType::Ordinary, county, None)
                .unwrap_err()
                .to_string(),
            "region_code 431026000000 is not a village (村/居委会) code"
        );
    }

    #[test]
    fn phones_are_masked_keeping_first_three_and_last_four() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(parse_phone("abc"), Err(FieldError::Phone("abc".into())));
    }
}
