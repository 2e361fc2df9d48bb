//! Extractors whose rejections become [`ApiError`]s, so a malformed query string or path is a
//! 400 in the error envelope, never axum's plain-text answer, a 500 or a panic.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uplift_app::store::HouseholdId;

use crate::error::ApiError;

/// Like `axum::extract::Query`, rejecting with the error envelope.
pub(crate) struct Query<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(ApiError::BadRequest {
                parameter: None,
                detail: format!("the query string cannot be read: {}", rejection.body_text()),
            }),
        }
    }
}

/// The `{id}` of a household path: a whole number, else 404 (no such household can exist).
pub(crate) struct HouseholdPath(pub(crate) HouseholdId);

impl<S: Send + Sync> FromRequestParts<S> for HouseholdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(raw)) => raw,
            Err(rejection) => {
                return Err(ApiError::parameter("id", rejection.body_text()));
            }
        };
        match raw.parse::<i64>() {
            Ok(id) => Ok(HouseholdPath(HouseholdId(id))),
            Err(_) => Err(ApiError::NotFound(format!("household {raw:?}"))),
        }
    }
}
