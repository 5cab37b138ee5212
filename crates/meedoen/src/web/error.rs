//! The one error type of the web layer. Every variant maps to a page (rendered in the
//! visitor's language by [`crate::web::ctx::context_layer`]); JSON API routes get JSON.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("niet gevonden")]
    NotFound,
    #[error("geen toegang")]
    Forbidden,
    #[error("inloggen nodig")]
    LoginRequired { login_url: String },
    #[error("ongeldig verzoek: {0}")]
    BadRequest(String),
    #[error("formulier verlopen of vervalst")]
    Csrf,
    #[error("te veel pogingen")]
    TooMany,
    #[error("te groot")]
    PayloadTooLarge,
    #[error("verkeerd type inhoud")]
    UnsupportedMediaType,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("interne fout: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

/// Marker put on error responses; the context layer renders the page for it.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub status: StatusCode,
    /// Message key (`kern.error.*`) or a literal message for bad requests.
    pub key: &'static str,
    pub detail: Option<String>,
    pub reference: Option<String>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

pub fn error_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "kern.error.bad_request",
        401 | 403 => "kern.error.forbidden",
        404 => "kern.error.not_found",
        405 => "kern.error.method",
        409 => "kern.error.conflict",
        413 => "kern.error.too_large",
        415 => "kern.error.media_type",
        422 => "kern.error.bad_request",
        429 => "kern.error.too_many",
        _ => "kern.error.internal",
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::LoginRequired { login_url } = &self {
            return Redirect::to(login_url).into_response();
        }
        let status = self.status();
        let mut page = ErrorPage {
            status,
            key: error_key(status),
            detail: None,
            reference: None,
        };
        match &self {
            AppError::Csrf => page.key = "kern.error.csrf",
            AppError::BadRequest(m) | AppError::Conflict(m) => page.detail = Some(m.clone()),
            AppError::Internal(e) => {
                let reference = format!("{:08x}", rand::random::<u32>());
                tracing::error!(error = %e, reference, "interne fout");
                page.reference = Some(reference);
            }
            _ => {}
        }
        let mut resp = (status, page.key).into_response();
        resp.extensions_mut().insert(page);
        resp
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A record id from the path: anything that is not a number is a page that does not exist.
pub fn path_id(s: &str) -> AppResult<i64> {
    s.parse().map_err(|_| AppError::NotFound)
}
