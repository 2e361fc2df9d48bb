//! Bitemporal history, designed once for every kind of record.
//!
//! Every change to a record is a new *version*, never an update. A version carries two times:
//! `valid_from`, the date the change takes effect in the real world, and `recorded_at`, the
//! instant Uplift recorded it, with the actor and source. A version holds from its `valid_from`
//! until the next version's `valid_from`.
//!
//! Reading at `(as_of D, known_at T)` considers only versions recorded at or before `T` and in
//! effect on or before `D`, and takes the one with the latest `valid_from`; among versions with
//! the same `valid_from`, the latest recorded wins (it is a correction). So:
//! - "as of D" reads the registry as it was in effect on D, as Uplift knows it now;
//! - "known at T" reads it as Uplift had recorded it at T, so a decision can be replayed.
//!
//! [`resolve`] is the reference implementation; the SQL of each backend mirrors it and the store
//! contract suite checks both against it.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

/// China Standard Time (UTC+8, no daylight saving since 1991). All Uplift dates are in it.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The calendar date in China Standard Time of an instant.
pub fn cst_date<Tz: TimeZone>(instant: &DateTime<Tz>) -> NaiveDate {
    instant.with_timezone(&cst()).date_naive()
}

/// Who recorded a change, when, from where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionStamp {
    pub valid_from: NaiveDate,
    pub recorded_at: DateTime<FixedOffset>,
    pub actor: String,
    /// Where the change came from: `web`, `api`, `cli`, `import:<file>`, `synth`, ….
    pub source: String,
    pub reason: Option<String>,
}

/// A value with the stamp of the version that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub stamp: VersionStamp,
}

/// The point of view of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadAt {
    /// The real-world date to read the registry as of.
    pub as_of: NaiveDate,
    /// Read only what had been recorded by this instant; `None` is "everything known now".
    pub known_at: Option<DateTime<FixedOffset>>,
}

impl ReadAt {
    pub fn current(today: NaiveDate) -> ReadAt {
        ReadAt {
            as_of: today,
            known_at: None,
        }
    }

    /// Whether a version with this stamp is visible from this point of view.
    pub fn sees(&self, stamp: &VersionStamp) -> bool {
        stamp.valid_from <= self.as_of && self.known_at.is_none_or(|t| stamp.recorded_at <= t)
    }
}

/// The version in force at `at`: the latest `valid_from`, then the latest `recorded_at`; on an
/// exact tie, the later one in the slice (the store's insertion order).
pub fn resolve<T>(versions: &[Versioned<T>], at: ReadAt) -> Option<&Versioned<T>> {
    versions
        .iter()
        .filter(|v| at.sees(&v.stamp))
        .enumerate()
        .max_by_key(|(i, v)| (v.stamp.valid_from, v.stamp.recorded_at, *i))
        .map(|(_, v)| v)
}

/// A new version may not take effect before a later version of the same record: that would
/// slip a change in underneath history already recorded on top of it (a correction of the later
/// version is the way to change it). `latest_valid_from` is the latest `valid_from` among the
/// record's versions; a change on that very date is allowed (it is a correction). Returns the
/// later version's date when the change is back-dated.
pub fn check_not_backdated(
    effective: NaiveDate,
    latest_valid_from: Option<NaiveDate>,
) -> Result<(), NaiveDate> {
    match latest_valid_from {
        Some(later) if effective < later => Err(later),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn v(value: &'static str, valid_from: &str, recorded_at: &str) -> Versioned<&'static str> {
        Versioned {
            value,
            stamp: VersionStamp {
                valid_from: d(valid_from),
                recorded_at: t(recorded_at),
                actor: "test".into(),
                source: "test".into(),
                reason: None,
            },
        }
    }

    #[test]
    fn as_of_reads_the_version_in_effect_and_known_at_hides_later_corrections() {
        let history = [
            v("healthy", "2020-01-01", "2021-01-01T09:00:00+08:00"),
            v("ill", "2026-03-01", "2026-03-02T09:00:00+08:00"),
            // A correction recorded later: the illness really began in February.
            v("ill", "2026-02-01", "2026-04-01T09:00:00+08:00"),
        ];
        let at = |as_of: &str, known_at: Option<&str>| ReadAt {
            as_of: d(as_of),
            known_at: known_at.map(t),
        };
        let value = |r: ReadAt| resolve(&history, r).map(|v| v.value);
        assert_eq!(value(at("2026-02-28", None)), Some("ill"));
        assert_eq!(value(at("2026-01-31", None)), Some("healthy"));
        // Before the correction was recorded, Uplift believed February was healthy.
        assert_eq!(
            value(at("2026-02-28", Some("2026-03-15T00:00:00+08:00"))),
            Some("healthy")
        );
        assert_eq!(value(at("2019-12-31", None)), None);
        assert_eq!(
            value(at("2026-05-01", Some("2020-06-01T00:00:00+08:00"))),
            None
        );
    }

    #[test]
    fn a_correction_on_the_same_date_replaces_the_earlier_record() {
        let history = [
            v("wrong", "2025-06-01", "2025-06-02T10:00:00+08:00"),
            v("right", "2025-06-01", "2025-06-09T10:00:00+08:00"),
        ];
        let now = ReadAt::current(d("2025-07-01"));
        assert_eq!(resolve(&history, now).unwrap().value, "right");
    }

    #[test]
    fn cst_dates_roll_over_at_midnight_beijing_time() {
        let utc = t("2026-11-24T16:30:00+00:00");
        assert_eq!(cst_date(&utc), d("2026-11-25"));
    }

    #[test]
    fn a_change_may_not_take_effect_before_a_later_version() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let cases = [
            ("2026-03-01", None, Ok(())),
            ("2026-03-01", Some("2026-02-28"), Ok(())),
            ("2026-03-01", Some("2026-03-01"), Ok(())),
            ("2026-03-01", Some("2026-03-02"), Err(d("2026-03-02"))),
            ("2020-01-01", Some("2027-01-01"), Err(d("2027-01-01"))),
        ];
        for (effective, latest, expected) in cases {
            assert_eq!(
                check_not_backdated(d(effective), latest.map(d)),
                expected,
                "{effective} after {latest:?}"
            );
        }
    }
}
