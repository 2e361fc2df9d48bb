//! Money, income records and per-capita net income (家庭人均纯收入).

use std::fmt;
use std::ops::{Add, Sub};

use chrono::NaiveDate;

use crate::policy::OutOfPocketRule;

/// An amount in yuan, held exactly as whole fen (分). Money never goes through floating point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is empty")]
    Empty,
    #[error("amount {0:?} is not a number of yuan")]
    NotANumber(String),
    #[error("amount {0:?} has more than two decimals")]
    TooPrecise(String),
    #[error("amount {0:?} is too large")]
    TooLarge(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    pub fn from_yuan(yuan: i64) -> Money {
        Money(yuan * 100)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// Parses `1234`, `1234.5`, `-12.05`, `1,234.00` or `¥1234` (yuan, up to two decimals).
    pub fn parse(s: &str) -> Result<Money, MoneyError> {
        let cleaned: String = s
            .trim()
            .trim_start_matches(['¥', '￥'])
            .chars()
            .filter(|c| *c != ',')
            .collect();
        if cleaned.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, body) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        let valid = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return Err(MoneyError::NotANumber(s.to_owned()));
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooPrecise(s.to_owned()));
        }
        let whole: i64 = whole
            .parse()
            .map_err(|_| MoneyError::TooLarge(s.to_owned()))?;
        let frac: i64 = format!("{frac:0<2}").parse().expect("two digits");
        let fen = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(|| MoneyError::TooLarge(s.to_owned()))?;
        Ok(Money(if negative { -fen } else { fen }))
    }

    /// Divides among `n` people, rounding half away from zero to the fen.
    pub fn per_capita(self, n: u32) -> Option<Money> {
        if n == 0 {
            return None;
        }
        let n = i64::from(n);
        let q = self.0 / n;
        let r = self.0 % n;
        let adjust = if 2 * r.abs() >= n { self.0.signum() } else { 0 };
        Some(Money(q + adjust))
    }

    /// `self × num ÷ den`, rounded down to the fen; used for shares and bands.
    pub fn scale(self, num: i64, den: i64) -> Money {
        Money(self.0 * num / den)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// One household's income for one reference period (formats.md §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeRecord {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub wage: Money,
    pub business: Money,
    pub property: Money,
    pub transfer: Money,
    pub production_costs: Money,
    pub compliant_out_of_pocket: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncomeRecordError {
    #[error("period end {end} is before period start {start}")]
    PeriodReversed { start: NaiveDate, end: NaiveDate },
    #[error("{field} must not be negative, found {amount}")]
    Negative { field: &'static str, amount: Money },
}

impl IncomeRecord {
    /// Checks the invariants that hold for every income record whatever the policy.
    pub fn check(&self) -> Result<(), IncomeRecordError> {
        if self.period_end < self.period_start {
            return Err(IncomeRecordError::PeriodReversed {
                start: self.period_start,
                end: self.period_end,
            });
        }
        let fields = [
            ("wage_income", self.wage),
            ("business_income", self.business),
            ("property_income", self.property),
            ("transfer_income", self.transfer),
            ("production_costs", self.production_costs),
            (
                "compliant_out_of_pocket",
                self.compliant_out_of_pocket.unwrap_or_default(),
            ),
        ];
        for (field, amount) in fields {
            if amount < Money::ZERO {
                return Err(IncomeRecordError::Negative { field, amount });
            }
        }
        Ok(())
    }

    /// Gross income: the four components before any deduction.
    pub fn gross(&self) -> Money {
        self.wage + self.business + self.property + self.transfer
    }

    /// Household net income as the policy pack counts it: gross − production costs, and −
    /// compliant out-of-pocket spending where the pack deducts it (domain.md §3.3).
    pub fn net(&self, rule: OutOfPocketRule) -> Money {
        let base = self.gross() - self.production_costs;
        match rule {
            OutOfPocketRule::Deduct => base - self.compliant_out_of_pocket.unwrap_or_default(),
            OutOfPocketRule::JudgeBeside => base,
        }
    }

    /// Per-capita net income for a household of `members` persons; none for an empty household.
    pub fn per_capita_net(&self, members: u32, rule: OutOfPocketRule) -> Option<Money> {
        self.net(rule).per_capita(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> IncomeRecord {
        IncomeRecord {
            period_start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            period_end: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            wage: Money::from_yuan(20_000),
            business: Money::from_yuan(6_000),
            property: Money::from_yuan(500),
            transfer: Money::from_yuan(3_500),
            production_costs: Money::from_yuan(2_000),
            compliant_out_of_pocket: Some(Money::from_yuan(4_000)),
        }
    }

    #[test]
    fn money_parses_yuan_with_up_to_two_decimals() {
        assert_eq!(Money::parse("1234").unwrap(), Money::from_fen(123_400));
        assert_eq!(Money::parse("1,234.5").unwrap(), Money::from_fen(123_450));
        assert_eq!(Money::parse("¥0.05").unwrap(), Money::from_fen(5));
        assert_eq!(Money::parse("-12.30").unwrap(), Money::from_fen(-1_230));
        assert_eq!(
            Money::parse("1.234").unwrap_err().to_string(),
            "amount \"1.234\" has more than two decimals"
        );
        assert!(matches!(
            Money::parse("abc"),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(Money::parse(" "), Err(MoneyError::Empty)));
        assert_eq!(Money::from_fen(-1_230).to_string(), "-12.30");
    }

    #[test]
    fn per_capita_net_income_follows_the_out_of_pocket_rule() {
        let r = record();
        // (20000 + 6000 + 500 + 3500 − 2000) ÷ 4 = 7000.
        assert_eq!(
            r.per_capita_net(4, OutOfPocketRule::JudgeBeside),
            Some(Money::from_yuan(7_000))
        );
        // Deducting 4000 of compliant out-of-pocket spending: 24000 ÷ 4 = 6000.
        assert_eq!(
            r.per_capita_net(4, OutOfPocketRule::Deduct),
            Some(Money::from_yuan(6_000))
        );
        assert_eq!(r.per_capita_net(0, OutOfPocketRule::Deduct), None);
    }

    #[test]
    fn per_capita_rounds_half_away_from_zero() {
        assert_eq!(Money::from_fen(10).per_capita(3), Some(Money::from_fen(3)));
        assert_eq!(Money::from_fen(11).per_capita(2), Some(Money::from_fen(6)));
        assert_eq!(
            Money::from_fen(-11).per_capita(2),
            Some(Money::from_fen(-6))
        );
    }

    #[test]
    fn reversed_periods_and_negative_amounts_are_rejected() {
        let mut r = record();
        r.production_costs = Money::from_yuan(-1);
        assert_eq!(
            r.check().unwrap_err().to_string(),
            "production_costs must not be negative, found -1.00"
        );
        let mut r = record();
        std::mem::swap(&mut r.period_start, &mut r.period_end);
        assert!(matches!(
            r.check(),
            Err(IncomeRecordError::PeriodReversed { .. })
        ));
    }
}
