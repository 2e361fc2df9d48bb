//! Reading the raw query parameters shared by the API and the UI: the point of view
//! (`as_of`, `known_at`) and the household-list filters. Parsed once here; errors name the
//! parameter and say what was expected.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;
use uplift_app::store::{HouseholdFilter, Page, Scope};
use uplift_domain::household::{Codebook, HouseholdType};
use uplift_domain::region::RegionCode;
use uplift_domain::version::{ReadAt, cst};
use utoipa::IntoParams;

use crate::error::ApiError;

pub(crate) const DEFAULT_PER_PAGE: u32 = 50;

/// The point of view of a read.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PointOfViewParams {
    /// Read the registry as in effect on this date (`YYYY-MM-DD`, China Standard Time); default today.
    #[param(value_type = Option<String>, format = Date)]
    pub(crate) as_of: Option<String>,
    /// Read only what had been recorded by this instant (RFC 3339, e.g. `2026-03-15T09:00:00+08:00`;
    /// the pages also take
    /// a bare `YYYY-MM-DDTHH:MM` is read as China Standard Time, a bare date as the end of that
    /// day); default everything known now.
    #[param(value_type = Option<String>, format = DateTime)]
    pub(crate) known_at: Option<String>,
}

/// Filters and paging of the household list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// A region code (2, 4, 6, 9 or 12 digits): only households of villages inside it.
    #[param(
        pattern = r"^$|^(?:0[1-9]|[1-9][0-9])(?:|00|0000|0000000|0000000000|(?:0[1-9]|[1-9][0-9])(?:|00|00000|00000000|(?:0[1-9]|[1-9][0-9])(?:|000|000000|(?:00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})(?:|000|(?:00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})))))$"
    )]
    pub(crate) region: Option<String>,
    /// Household type: `formerly_poor` (脱贫户) or `ordinary` (一般农户); the Chinese label also works.
    #[serde(rename = "type")]
    #[param(
        rename = "type",
        pattern = r"^(|formerly_poor|ordinary|脱贫户|一般农户)$"
    )]
    pub(crate) household_type: Option<String>,
    /// A household number, or a member's name or ID number (exact match).
    pub(crate) q: Option<String>,
    /// Income band of the latest income record against the monitoring line in force:
    /// `below_line`, `near_line`, `above_near` or `no_record`.
    #[param(pattern = r"^(|below_line|near_line|above_near|no_record)$")]
    pub(crate) band: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<String>, pattern = r"^$|^[1-9][0-9]{0,5}$")]
    pub(crate) page: Option<String>,
    /// Rows per page, 1–500; default 50.
    #[param(value_type = Option<String>, pattern = r"^$|^([1-9][0-9]?|[1-4][0-9]{2}|500)$")]
    pub(crate) per_page: Option<String>,
}

/// A parsed point of view, with whether it differs from "today, everything known".
#[derive(Debug, Clone, Copy)]
pub(crate) struct PointOfView {
    pub(crate) at: ReadAt,
    pub(crate) today: NaiveDate,
}

impl PointOfView {
    pub(crate) fn is_past(&self) -> bool {
        self.at.as_of != self.today || self.at.known_at.is_some()
    }
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Whether `s` starts with a date written exactly `YYYY-MM-DD` (chrono alone also takes
/// `2026-3-5` and signed years, which the documented format does not allow).
fn date_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

impl PointOfViewParams {
    /// The API's reading: what the OpenAPI document says, and nothing looser. `as_of` is a
    /// `YYYY-MM-DD` date and `known_at` an RFC 3339 instant; an empty value is an error.
    pub(crate) fn parse_strict(&self, today: NaiveDate) -> Result<PointOfView, ApiError> {
        for (name, value) in [("as_of", &self.as_of), ("known_at", &self.known_at)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(ApiError::parameter(name, format!("{name} is empty")));
            }
        }
        if let Some(s) = &self.known_at
            && DateTime::parse_from_rfc3339(s).is_err()
        {
            return Err(ApiError::parameter(
                "known_at",
                format!(
                    "known_at: {s:?} is not an RFC 3339 instant such as 2026-03-15T09:00:00+08:00"
                ),
            ));
        }
        self.parse(today)
    }

    /// The pages' reading: also a bare `YYYY-MM-DDTHH:MM` (the HTML input) or a date, in CST.
    pub(crate) fn parse(&self, today: NaiveDate) -> Result<PointOfView, ApiError> {
        let as_of = match present(&self.as_of) {
            None => today,
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .filter(|_| s.len() == 10 && date_shaped(s))
                .ok_or_else(|| {
                    ApiError::parameter(
                        "as_of",
                        format!("as_of: {s:?} is not a real date in the form YYYY-MM-DD"),
                    )
                })?,
        };
        let known_at = match present(&self.known_at) {
            None => None,
            Some(s) => Some(parse_instant(s).filter(|_| date_shaped(s)).ok_or_else(|| {
                ApiError::parameter(
                    "known_at",
                    format!(
                        "known_at: {s:?} is not an instant such as 2026-03-15T09:00:00+08:00 \
                         (RFC 3339), 2026-03-15T09:00 or 2026-03-15"
                    ),
                )
            })?),
        };
        Ok(PointOfView {
            at: ReadAt { as_of, known_at },
            today,
        })
    }
}

/// RFC 3339; else a local date-time (the HTML `datetime-local` input) or a date, in CST.
fn parse_instant(s: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time")))
    })?;
    local.and_local_timezone(cst()).single()
}

fn parse_number(parameter: &str, value: &Option<String>, default: u32) -> Result<u32, ApiError> {
    let Some(s) = present(value) else {
        return Ok(default);
    };
    match s.parse::<u32>() {
        Ok(n) if (1..=999_999).contains(&n) && !s.starts_with('0') => Ok(n),
        _ => Err(ApiError::parameter(
            parameter,
            format!("{parameter}: {s:?} is not a whole number from 1 to 999999"),
        )),
    }
}

impl ListParams {
    pub(crate) fn filter(&self, scope: Scope) -> Result<HouseholdFilter, ApiError> {
        let region = match present(&self.region) {
            None => None,
            Some(s) => Some(
                RegionCode::parse(s)
                    .map_err(|e| ApiError::parameter("region", format!("region: {e}")))?,
            ),
        };
        let household_type = match present(&self.household_type) {
            None => None,
            Some(s) => Some(
                HouseholdType::parse(s)
                    .map_err(|e| ApiError::parameter("type", format!("type: {e}")))?,
            ),
        };
        Ok(HouseholdFilter {
            scope,
            region,
            household_type,
            search: present(&self.q).map(str::to_owned),
            income_band: None,
        })
    }

    pub(crate) fn page(&self) -> Result<Page, ApiError> {
        parse_page(&self.page, &self.per_page)
    }
}

/// `page` (1-based, 1 when absent) and `per_page` (at most [`Page::MAX_SIZE`], the default when
/// absent): the paging parameters of every list, API and page alike.
pub(crate) fn parse_page(
    page: &Option<String>,
    per_page: &Option<String>,
) -> Result<Page, ApiError> {
    let number = parse_number("page", page, 1)?;
    let size = parse_number("per_page", per_page, DEFAULT_PER_PAGE)?;
    if size > Page::MAX_SIZE {
        return Err(ApiError::parameter(
            "per_page",
            format!("per_page: {size} is more than {}", Page::MAX_SIZE),
        ));
    }
    Ok(Page::new(number, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pov(as_of: &str, known_at: &str) -> Result<PointOfView, ApiError> {
        PointOfViewParams {
            as_of: Some(as_of.to_owned()),
            known_at: Some(known_at.to_owned()),
        }
        .parse(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
    }

    #[test]
    fn empty_parameters_mean_today_and_everything_known() {
        let p = pov("", " ").unwrap();
        assert_eq!(p.at.as_of.to_string(), "2026-11-25");
        assert_eq!(p.at.known_at, None);
        assert!(!p.is_past());
    }

    #[test]
    fn known_at_accepts_rfc3339_local_times_and_dates_in_cst() {
        let p = pov("2026-01-01", "2026-03-15T09:00").unwrap();
        assert_eq!(
            p.at.known_at.unwrap().to_rfc3339(),
            "2026-03-15T09:00:00+08:00"
        );
        let p = pov("2026-01-01", "2026-03-15").unwrap();
        assert_eq!(
            p.at.known_at.unwrap().to_rfc3339(),
            "2026-03-15T23:59:59+08:00"
        );
        assert!(p.is_past());
    }

    #[test]
    fn bad_values_name_their_parameter() {
        let ApiError::BadRequest { parameter, detail } = pov("2026-13-01", "").unwrap_err() else {
            panic!("expected a bad request");
        };
        assert_eq!(parameter.as_deref(), Some("as_of"));
        assert!(detail.starts_with("as_of: \"2026-13-01\""), "{detail}");
        let ApiError::BadRequest { parameter, .. } = pov("", "yesterday").unwrap_err() else {
            panic!("expected a bad request");
        };
        assert_eq!(parameter.as_deref(), Some("known_at"));
    }
}
