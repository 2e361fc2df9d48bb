//! Village profiles (村情): living-environment and infrastructure indicators (domain.md §14).
//!
//! The indicators and their targets are a codebook of the policy pack (`[[village_indicators]]`).
//! A village records a *reading* of an indicator with the date it describes; readings are
//! versioned like the registry (`version.rs`), so a profile replays as of any date. Every reading
//! is additive across villages: a share is kept as its numerator and denominator (households with
//! a sanitary toilet, households), so a township's coverage is the sum of its villages'.

/// How an indicator is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndicatorKind {
    /// A share of households: `value` of `base` (e.g. households with a sanitary toilet of all
    /// households). The target is a minimum in per mille.
    Share,
    /// Yes or no (`value` 1 or 0), e.g. a bus stops in the village. The target is "yes".
    Flag,
    /// A count that should stay low, e.g. days without piped water in the last 12 months. The
    /// target is a maximum.
    MaxCount,
}

impl IndicatorKind {
    pub const ALL: [IndicatorKind; 3] = [
        IndicatorKind::Share,
        IndicatorKind::Flag,
        IndicatorKind::MaxCount,
    ];

    pub fn key(self) -> &'static str {
        match self {
            IndicatorKind::Share => "share",
            IndicatorKind::Flag => "flag",
            IndicatorKind::MaxCount => "max-count",
        }
    }

    pub fn parse(s: &str) -> Option<IndicatorKind> {
        IndicatorKind::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// One indicator of the pack's codebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageIndicator {
    pub code: String,
    pub zh: String,
    pub en: String,
    /// The group it is shown under: `living_environment`, `infrastructure`, `public_services`.
    pub group: String,
    pub kind: IndicatorKind,
    /// Share: the minimum in per mille; Flag: 1 when "yes" is required; MaxCount: the maximum.
    /// `None`: recorded but no target (no gap is reported).
    pub target: Option<i64>,
}

/// A value of an indicator as a village records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub value: i64,
    /// The denominator of a share; none for the other kinds.
    pub base: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadingError {
    #[error("a share needs the number of households it is out of (base)")]
    BaseMissing,
    #[error("only a share has a base")]
    BaseNotAllowed,
    #[error("the base must be positive, found {0}")]
    BaseNotPositive(i64),
    #[error("the value {value} is larger than its base {base}")]
    ValueAboveBase { value: i64, base: i64 },
    #[error("the value must not be negative, found {0}")]
    Negative(i64),
    #[error("a yes/no indicator takes 1 (yes) or 0 (no), found {0}")]
    NotAFlag(i64),
}

impl VillageIndicator {
    /// Checks a reading against the kind of this indicator.
    pub fn check(&self, reading: Reading) -> Result<(), ReadingError> {
        if reading.value < 0 {
            return Err(ReadingError::Negative(reading.value));
        }
        match (self.kind, reading.base) {
            (IndicatorKind::Share, None) => Err(ReadingError::BaseMissing),
            (IndicatorKind::Share, Some(base)) if base <= 0 => {
                Err(ReadingError::BaseNotPositive(base))
            }
            (IndicatorKind::Share, Some(base)) if reading.value > base => {
                Err(ReadingError::ValueAboveBase {
                    value: reading.value,
                    base,
                })
            }
            (IndicatorKind::Share, Some(_)) => Ok(()),
            (_, Some(_)) => Err(ReadingError::BaseNotAllowed),
            (IndicatorKind::Flag, None) if reading.value > 1 => {
                Err(ReadingError::NotAFlag(reading.value))
            }
            (IndicatorKind::Flag | IndicatorKind::MaxCount, None) => Ok(()),
        }
    }

    /// Whether a reading meets the target; `None` when the indicator has no target.
    pub fn meets(&self, reading: Reading) -> Option<bool> {
        let target = self.target?;
        Some(match self.kind {
            // value / base ≥ target / 1000, in integers.
            IndicatorKind::Share => {
                let base = reading.base.unwrap_or(0);
                base > 0 && reading.value * 1000 >= target * base
            }
            IndicatorKind::Flag => reading.value >= target,
            IndicatorKind::MaxCount => reading.value <= target,
        })
    }

    /// The target as people read it: `≥ 85.0%`, `是`/`yes`, `≤ 36`.
    pub fn target_text(&self, english: bool) -> String {
        match (self.kind, self.target) {
            (_, None) => "—".to_owned(),
            (IndicatorKind::Share, Some(t)) => format!("≥ {}.{}%", t / 10, t % 10),
            (IndicatorKind::Flag, Some(_)) => if english { "yes" } else { "是" }.to_owned(),
            (IndicatorKind::MaxCount, Some(t)) => format!("≤ {t}"),
        }
    }

    /// A reading as people read it: `412 / 480 (85.8%)`, `是`, `12`.
    pub fn reading_text(&self, reading: Reading, english: bool) -> String {
        match (self.kind, reading.base) {
            (IndicatorKind::Share, Some(base)) if base > 0 => {
                let pm = reading.value * 1000 / base;
                format!("{} / {base} ({}.{}%)", reading.value, pm / 10, pm % 10)
            }
            (IndicatorKind::Flag, _) => match (reading.value > 0, english) {
                (true, false) => "是",
                (false, false) => "否",
                (true, true) => "yes",
                (false, true) => "no",
            }
            .to_owned(),
            _ => reading.value.to_string(),
        }
    }
}

/// The groups indicators are shown under, in display order.
pub const GROUPS: [&str; 3] = ["living_environment", "infrastructure", "public_services"];

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(kind: IndicatorKind, target: Option<i64>) -> VillageIndicator {
        VillageIndicator {
            code: "x".into(),
            zh: "x".into(),
            en: "x".into(),
            group: "infrastructure".into(),
            kind,
            target,
        }
    }

    fn r(value: i64, base: Option<i64>) -> Reading {
        Reading { value, base }
    }

    #[test]
    fn readings_are_checked_by_kind() {
        use IndicatorKind::*;
        let table: [(IndicatorKind, Reading, Result<(), ReadingError>); 9] = [
            (Share, r(5, Some(10)), Ok(())),
            (Share, r(5, None), Err(ReadingError::BaseMissing)),
            (Share, r(0, Some(0)), Err(ReadingError::BaseNotPositive(0))),
            (
                Share,
                r(11, Some(10)),
                Err(ReadingError::ValueAboveBase {
                    value: 11,
                    base: 10,
                }),
            ),
            (Flag, r(1, None), Ok(())),
            (Flag, r(2, None), Err(ReadingError::NotAFlag(2))),
            (Flag, r(1, Some(3)), Err(ReadingError::BaseNotAllowed)),
            (MaxCount, r(40, None), Ok(())),
            (MaxCount, r(-1, None), Err(ReadingError::Negative(-1))),
        ];
        for (kind, reading, expected) in table {
            assert_eq!(
                ind(kind, None).check(reading),
                expected,
                "{kind:?} {reading:?}"
            );
        }
    }

    #[test]
    fn targets_are_met_at_their_boundaries() {
        use IndicatorKind::*;
        let share = ind(Share, Some(850));
        assert_eq!(share.meets(r(85, Some(100))), Some(true));
        assert_eq!(share.meets(r(84, Some(100))), Some(false));
        // 17/20 = 850‰ exactly.
        assert_eq!(share.meets(r(17, Some(20))), Some(true));
        assert_eq!(ind(Flag, Some(1)).meets(r(0, None)), Some(false));
        assert_eq!(ind(Flag, Some(1)).meets(r(1, None)), Some(true));
        assert_eq!(ind(MaxCount, Some(36)).meets(r(36, None)), Some(true));
        assert_eq!(ind(MaxCount, Some(36)).meets(r(37, None)), Some(false));
        assert_eq!(ind(Flag, None).meets(r(0, None)), None);
        assert_eq!(share.target_text(false), "≥ 85.0%");
        assert_eq!(
            share.reading_text(r(412, Some(480)), true),
            "412 / 480 (85.8%)"
        );
    }
}
