//! Working days in mainland China: weekends, public holidays and the make-up working days (调休)
//! the State Council announces each year. The calendars are shipped as data (`data/calendar/`)
//! and compiled in; a year without a calendar counts weekends only.
//!
//! Time limits of the procedure (domain.md §5.2) are stated in calendar days, working days or
//! months ([`LimitUnit`]); [`WorkCalendar::due`] turns a start date and a limit into a due date.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use crate::policy::{LimitUnit, TimeLimit};

const SHIPPED: [(&str, &str); 2] = [
    (
        "data/calendar/2025.toml",
        include_str!("../../../data/calendar/2025.toml"),
    ),
    (
        "data/calendar/2026.toml",
        include_str!("../../../data/calendar/2026.toml"),
    ),
];

/// A line of a calendar file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: line {line}: {problem}")]
pub struct CalendarError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

/// Holidays and make-up working days of the years it knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeSet<i32>,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

impl WorkCalendar {
    /// The calendars shipped with Uplift (2025 and 2026).
    pub fn shipped() -> WorkCalendar {
        let mut calendar = WorkCalendar::default();
        for (file, text) in SHIPPED {
            calendar
                .add_file(file, text)
                .expect("the shipped calendars are checked by the tests");
        }
        calendar
    }

    /// Reads one year's file: `year = N`, then `holiday = "D"` / `workday = "D"` lines, where D
    /// is a date or an inclusive range `YYYY-MM-DD..YYYY-MM-DD`; `#` starts a comment.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<(), CalendarError> {
        let err = |line: usize, problem: String| CalendarError {
            file: file.to_owned(),
            line,
            problem,
        };
        let mut year = None;
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(err(n, format!("expected key = value, found {line:?}")));
            };
            let (key, value) = (key.trim(), value.trim());
            if key == "year" {
                let y: i32 = value
                    .parse()
                    .map_err(|_| err(n, format!("year: expected a number, found {value:?}")))?;
                year = Some(y);
                continue;
            }
            let Some(y) = year else {
                return Err(err(n, "the year must come first".to_owned()));
            };
            let unquoted = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| err(n, format!("{key}: expected a quoted date, found {value:?}")))?;
            let (from, to) = match unquoted.split_once("..") {
                Some((a, b)) => (a, b),
                None => (unquoted, unquoted),
            };
            let date = |s: &str| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| err(n, format!("{key}: expected YYYY-MM-DD, found {s:?}")))
            };
            let (from, to) = (date(from)?, date(to)?);
            if to < from || from.year() != y || to.year() != y {
                return Err(err(
                    n,
                    format!("{key}: {unquoted} is not a range of days in {y}"),
                ));
            }
            let set = match key {
                "holiday" => &mut self.holidays,
                "workday" => &mut self.workdays,
                other => {
                    return Err(err(
                        n,
                        format!("unknown key {other:?}; expected year, holiday or workday"),
                    ));
                }
            };
            let mut day = from;
            while day <= to {
                set.insert(day);
                day = day + Days::new(1);
            }
        }
        let Some(y) = year else {
            return Err(err(0, "no year given".to_owned()));
        };
        if let Some(both) = self.holidays.intersection(&self.workdays).next() {
            return Err(err(0, format!("{both} is both a holiday and a workday")));
        }
        self.years.insert(y);
        Ok(())
    }

    /// Whether the calendar knows the holidays of `year`.
    pub fn knows_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether `day` is a working day: a make-up workday, or a weekday that is not a holiday.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        !weekend && !self.holidays.contains(&day)
    }

    /// The day `limit` after `start`: the last day on which something started on `start` is
    /// still on time. Calendar days and months add to the date (a month from 31 January is the
    /// last day of February); working days count the working days after `start`.
    pub fn due(&self, start: NaiveDate, limit: TimeLimit) -> NaiveDate {
        let amount = u64::from(limit.amount);
        match limit.unit {
            LimitUnit::CalendarDays => start + Days::new(amount),
            LimitUnit::Months => start + Months::new(u32::from(limit.amount)),
            LimitUnit::WorkingDays => {
                let mut day = start;
                let mut left = amount;
                while left > 0 {
                    day = day + Days::new(1);
                    if self.is_working_day(day) {
                        left -= 1;
                    }
                }
                day
            }
        }
    }

    /// The last day of a public notice of `days` days starting on `start` (the start counts):
    /// in calendar days, `start + days − 1`; in working days, the `days`-th working day from
    /// `start` on.
    pub fn notice_last_day(&self, start: NaiveDate, days: u16, working: bool) -> NaiveDate {
        let days = u64::from(days.max(1));
        if !working {
            return start + Days::new(days - 1);
        }
        let mut day = start;
        let mut counted = u64::from(self.is_working_day(day));
        while counted < days {
            day = day + Days::new(1);
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn shipped_calendars_load_and_make_up_days_fall_on_weekends() {
        let c = WorkCalendar::shipped();
        assert!(c.knows_year(2025) && c.knows_year(2026) && !c.knows_year(2027));
        for day in &c.workdays {
            assert!(
                matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
                "{day}"
            );
        }
        // 2026 Spring Festival: 15–23 February off, Saturdays 14 and 28 February worked.
        assert!(!c.is_working_day(d("2026-02-16")));
        assert!(!c.is_working_day(d("2026-02-23")));
        assert!(c.is_working_day(d("2026-02-14")));
        assert!(c.is_working_day(d("2026-02-28")));
        assert!(c.is_working_day(d("2026-02-24")));
        // 2025 National Day: 1–8 October off, Sunday 28 September worked.
        assert!(!c.is_working_day(d("2025-10-08")));
        assert!(c.is_working_day(d("2025-09-28")));
        assert!(!c.is_working_day(d("2025-09-27")));
    }

    #[test]
    fn working_day_limits_skip_holidays_and_count_make_up_days() {
        let c = WorkCalendar::shipped();
        let two = TimeLimit {
            amount: 2,
            unit: LimitUnit::WorkingDays,
        };
        // Friday 13 February 2026 + 2 working days: Sat 14 (make-up), then 24 (after the festival).
        assert_eq!(c.due(d("2026-02-13"), two), d("2026-02-24"));
        let cal = TimeLimit {
            amount: 2,
            unit: LimitUnit::CalendarDays,
        };
        assert_eq!(c.due(d("2026-02-13"), cal), d("2026-02-15"));
        let month = TimeLimit {
            amount: 1,
            unit: LimitUnit::Months,
        };
        assert_eq!(c.due(d("2026-01-31"), month), d("2026-02-28"));
    }

    #[test]
    fn notice_last_day_counts_the_start() {
        let c = WorkCalendar::shipped();
        assert_eq!(
            c.notice_last_day(d("2026-03-02"), 5, false),
            d("2026-03-06")
        );
        // Monday 2 March 2026, 5 working days: Mon–Fri.
        assert_eq!(c.notice_last_day(d("2026-03-02"), 5, true), d("2026-03-06"));
        // Wednesday 30 September 2026, 5 working days: 30 Sep, 8, 9, Sat 10 (make-up), 12 Oct.
        assert_eq!(c.notice_last_day(d("2026-09-30"), 5, true), d("2026-10-12"));
    }

    #[test]
    fn bad_calendar_lines_name_file_and_line() {
        let mut c = WorkCalendar::default();
        let e = c
            .add_file("x.toml", "year = 2025\nholiday = \"2025-13-01\"\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.toml: line 2: holiday: expected YYYY-MM-DD, found \"2025-13-01\""
        );
        let e = c
            .add_file("y.toml", "year = 2025\nholiday = \"2026-01-01\"\n")
            .unwrap_err();
        assert_eq!(e.line, 2);
        let e = c
            .add_file("z.toml", "holiday = \"2025-01-01\"\n")
            .unwrap_err();
        assert_eq!(e.problem, "the year must come first");
    }
}
