//! Entry points for the fuzz targets in `fuzz/` (not part of the API): every query-parameter
//! struct the routes take, read the way axum reads it and then parsed the way the handlers do.

use axum::extract::Query;
use axum::http::Uri;
use chrono::NaiveDate;
use uplift_app::store::Scope;

use crate::api::audit::AuditParams;
use crate::api::dashboard::DashboardParams;
use crate::api::warnings::WarningParams;
use crate::pov::{ListParams, PointOfViewParams};

/// Reads `raw` as the query string of a request to every list and point-of-view route. Bad
/// input must be an error, never a panic.
pub fn query_params(raw: &str) {
    let Ok(uri) = format!("/x?{raw}").parse::<Uri>() else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date");
    if let Ok(Query(p)) = Query::<PointOfViewParams>::try_from_uri(&uri) {
        let _ = p.parse_strict(today);
        let _ = p.parse(today);
    }
    if let Ok(Query(p)) = Query::<ListParams>::try_from_uri(&uri) {
        let _ = p.filter(Scope::Everything);
        let _ = p.page();
    }
    let _ = Query::<DashboardParams>::try_from_uri(&uri);
    let _ = Query::<WarningParams>::try_from_uri(&uri);
    let _ = Query::<AuditParams>::try_from_uri(&uri);
}

#[cfg(test)]
mod tests {
    use super::query_params;

    /// Inputs the fuzzer tried, kept as regressions.
    #[test]
    fn odd_query_strings_are_errors_not_panics() {
        for raw in [
            "",
            "as_of=",
            "as_of=2026-02-30",
            "as_of=%FF%FE",
            "known_at=2026-03-15T09:00",
            "known_at=9999-12-31T23:59:59%2B14:00",
            "known_at=-262144-01-01T00:00:00Z",
            "as_of=+10000-01-01",
            "page=0&per_page=99999999999999999999",
            "region=4310261022029999&type=%E8%84%B1",
            "q=%00&band=below_line&page=-1",
        ] {
            query_params(raw);
        }
    }
}
