//! API errors: a status and a JSON body `{"error": "...", "field": "..."}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
    /// The query or path parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error the API answers with.
#[derive(Debug)]
pub enum ApiError {
    /// 400: a parameter is malformed or unknown.
    BadRequest { field: Option<String>, message: String },
    /// 404: nothing with that id.
    NotFound(String),
    /// 405: the API is read-only.
    MethodNotAllowed,
    /// 503: the database cannot be reached.
    Unavailable(String),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { field: Some(field.to_string()), message: message.into() }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        tracing::warn!("database error answering a request: {e}");
        ApiError::Unavailable(format!("database unavailable: {e}"))
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::warn!("database error answering a request: {e}");
        ApiError::Unavailable(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, field) = match self {
            ApiError::BadRequest { field, message } => (StatusCode::BAD_REQUEST, message, field),
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, message, None),
            ApiError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "method not allowed: the API is read-only (GET)".to_string(), None)
            }
            ApiError::Unavailable(message) => (StatusCode::SERVICE_UNAVAILABLE, message, None),
        };
        (status, Json(ErrorBody { error, field })).into_response()
    }
}
