//! `GET /api/v1/regions`: walking the administrative division tree one level at a time.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use uplift_domain::region::{Region, RegionCode};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Query;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RegionsQueryParams {
    /// The parent's region code (2–12 digits); without it, the provinces.
    #[param(
        pattern = r"^$|^(?:0[1-9]|[1-9][0-9])(?:|00|0000|0000000|0000000000|(?:0[1-9]|[1-9][0-9])(?:|00|00000|00000000|(?:0[1-9]|[1-9][0-9])(?:|000|000000|(?:00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})(?:|000|(?:00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})))))$"
    )]
    pub(crate) parent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegionView {
    /// The 12-digit code.
    pub(crate) code: String,
    pub(crate) name: String,
    /// `province`, `city`, `county`, `township` or `village`.
    pub(crate) level: &'static str,
}

impl From<&Region> for RegionView {
    fn from(region: &Region) -> RegionView {
        RegionView {
            code: region.code.to_string(),
            name: region.name.clone(),
            level: region.level().as_str(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegionListView {
    pub(crate) items: Vec<RegionView>,
}

/// The children of a region, or the provinces.
#[utoipa::path(
    get,
    path = "/api/v1/regions",
    tag = "regions",
    params(RegionsQueryParams),
    responses(
        (status = 200, description = "The direct children, by code", body = RegionListView),
        (status = 400, description = "A malformed region code", body = ErrorEnvelope),
        (status = 404, description = "No such parent region", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_regions(
    State(state): State<AppState>,
    Query(params): Query<RegionsQueryParams>,
) -> Result<Json<RegionListView>, ApiError> {
    let parent = match params.parent.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            RegionCode::parse(s)
                .map_err(|e| ApiError::parameter("parent", format!("parent: {e}")))?,
        ),
    };
    if let Some(code) = &parent
        && state.app.store.region(code).await?.is_none()
    {
        return Err(ApiError::NotFound(format!("region {code}")));
    }
    let children = state.app.store.region_children(parent.as_ref()).await?;
    Ok(Json(RegionListView {
        items: children.iter().map(RegionView::from).collect(),
    }))
}
