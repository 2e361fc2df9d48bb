//! The one error type of the JSON API and its envelope, `{"errors":[{"code","detail"}]}`.
//!
//! Every failure of an `/api` route ends here, including rejected query strings and unknown
//! routes. Causes of 5xx answers are logged once, here, and never sent to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use uplift_app::store::StoreError;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorEnvelope {
    pub(crate) errors: Vec<ErrorView>,
}

/// One error: a stable machine code and a sentence for people.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorView {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `method_not_allowed`,
    /// `conflict`, `invalid` or `internal`.
    pub(crate) code: &'static str,
    pub(crate) detail: String,
    /// The query or path parameter at fault, for `bad_request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parameter: Option<String>,
}

#[derive(Debug)]
pub(crate) enum ApiError {
    /// A query or path parameter could not be read.
    BadRequest {
        parameter: Option<String>,
        detail: String,
    },
    /// No live session.
    Unauthorized,
    /// The caller's role may not do this, or the CSRF token is wrong.
    Forbidden(String),
    NotFound(String),
    /// Too many attempts; try again later.
    TooManyRequests(String),
    MethodNotAllowed,
    Conflict(String),
    Invalid(String),
    Internal(anyhow::Error),
}

impl ApiError {
    pub(crate) fn parameter(parameter: &str, detail: String) -> ApiError {
        ApiError::BadRequest {
            parameter: Some(parameter.to_owned()),
            detail,
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The envelope entry; logs the cause of an internal error, which the client never sees.
    pub(crate) fn view(&self) -> ErrorView {
        let (code, detail, parameter) = match self {
            ApiError::BadRequest { parameter, detail } => {
                ("bad_request", detail.clone(), parameter.clone())
            }
            ApiError::Unauthorized => (
                "unauthorized",
                "log in first: no live session".to_owned(),
                None,
            ),
            ApiError::Forbidden(detail) => ("forbidden", detail.clone(), None),
            ApiError::NotFound(what) => ("not_found", format!("{what} not found"), None),
            ApiError::TooManyRequests(detail) => ("too_many_requests", detail.clone(), None),
            ApiError::MethodNotAllowed => (
                "method_not_allowed",
                "this method is not allowed on this path".to_owned(),
                None,
            ),
            ApiError::Conflict(detail) => ("conflict", detail.clone(), None),
            ApiError::Invalid(detail) => ("invalid", detail.clone(), None),
            ApiError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "request failed: {cause:#}");
                (
                    "internal",
                    "internal error; the cause has been logged".to_owned(),
                    None,
                )
            }
        };
        ErrorView {
            code,
            detail,
            parameter,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        match err {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict(detail) => ApiError::Conflict(detail),
            StoreError::Invalid(detail) => ApiError::Invalid(detail),
            StoreError::Unexpected(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<uplift_app::access::AccessFailure> for ApiError {
    fn from(err: uplift_app::access::AccessFailure) -> ApiError {
        use uplift_app::access::AccessFailure;
        match err {
            AccessFailure::BadCredentials | AccessFailure::Disabled(_) => ApiError::Unauthorized,
            AccessFailure::Invalid(detail) => ApiError::Invalid(detail),
            failure @ AccessFailure::RateLimited { .. } => {
                ApiError::TooManyRequests(failure.to_string())
            }
            AccessFailure::Denied(denied) => ApiError::Forbidden(denied.to_string()),
            AccessFailure::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorEnvelope {
            errors: vec![self.view()],
        };
        (status, Json(body)).into_response()
    }
}

/// The answer of an `/api` path that matches no route.
pub(crate) async fn api_not_found() -> ApiError {
    ApiError::NotFound("this API path".to_owned())
}

pub(crate) async fn api_method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
