//! Conversions between domain values and the column encodings both backends share.

use anyhow::{Context, anyhow};
use chrono::{DateTime, FixedOffset, NaiveDate};
use sqlx::Row;
use sqlx::any::AnyRow;
use uplift_domain::household::Codebook;
use uplift_domain::version::{VersionStamp, cst};

/// The largest instant, standing for "everything known now" in `recorded_at <= $n`.
pub(crate) const END_OF_TIME: &str = "9999-12-31T23:59:59.999999+08:00";

pub(crate) fn date_text(d: NaiveDate) -> String {
    use chrono::Datelike;
    let year = d.year();
    if !(0..=9999).contains(&year) {
        return d.format("%Y-%m-%d").to_string();
    }
    // By hand: a million-row import formats several dates a row, and strftime parses its
    // pattern every time.
    let (y, m, day) = (year as u32, d.month(), d.day());
    let digits = [
        y / 1000,
        y / 100 % 10,
        y / 10 % 10,
        y % 10,
        10,
        m / 10,
        m % 10,
        10,
        day / 10,
        day % 10,
    ];
    digits
        .iter()
        .map(|&v| {
            if v == 10 {
                '-'
            } else {
                char::from(b'0' + v as u8)
            }
        })
        .collect()
}

pub(crate) fn parse_date(s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| format!("bad stored date {s:?}"))
}

/// Fixed-width RFC 3339 in China Standard Time, so that text order is time order.
pub(crate) fn instant_text(t: &DateTime<FixedOffset>) -> String {
    t.with_timezone(&cst())
        .format("%Y-%m-%dT%H:%M:%S%.6f+08:00")
        .to_string()
}

pub(crate) fn parse_instant(s: &str) -> anyhow::Result<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).with_context(|| format!("bad stored instant {s:?}"))
}

pub(crate) fn now_text() -> String {
    instant_text(&chrono::Utc::now().with_timezone(&cst()))
}

pub(crate) fn known_at_text(known_at: Option<DateTime<FixedOffset>>) -> String {
    known_at.map_or_else(|| END_OF_TIME.to_owned(), |t| instant_text(&t))
}

pub(crate) fn code<T: Codebook>(s: &str) -> anyhow::Result<T> {
    T::parse(s).map_err(|e| anyhow!("bad stored value: {e}"))
}

pub(crate) fn opt_code<T: Codebook>(s: Option<String>) -> anyhow::Result<Option<T>> {
    s.map(|s| code(&s)).transpose()
}

/// Reads the stamp columns every `*_versions` table has.
pub(crate) fn stamp(row: &AnyRow) -> anyhow::Result<VersionStamp> {
    Ok(VersionStamp {
        valid_from: parse_date(&row.try_get::<String, _>("valid_from")?)?,
        recorded_at: parse_instant(&row.try_get::<String, _>("recorded_at")?)?,
        actor: row.try_get("actor")?,
        source: row.try_get("source")?,
        reason: row.try_get("reason")?,
    })
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn dates_are_written_as_strftime_would() {
        for (y, m, d) in [
            (2026, 11, 25),
            (1900, 1, 1),
            (9, 3, 7),
            (9999, 12, 31),
            (1, 10, 10),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(date_text(date), date.format("%Y-%m-%d").to_string());
        }
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        assert_eq!(date_text(far), far.format("%Y-%m-%d").to_string());
    }
}
