//! Form handling: our own extractors parse `application/x-www-form-urlencoded` and
//! `multipart/form-data` bodies, verify the CSRF token on every submission, and never
//! reject with a bare error: wrong content types, oversized and malformed bodies become
//! error pages. Field validation collects Dutch (or English) messages per field, so a form
//! can be shown again with what the user typed and a message next to each field.

use super::ctx::{Ctx, csrf_ok};
use super::error::AppError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use std::collections::BTreeMap;

pub const CSRF_FIELD: &str = "_csrf";

/// A submitted form whose CSRF token has been checked.
#[derive(Debug, Default, Clone)]
pub struct Form {
    fields: Vec<(String, String)>,
}

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

async fn body_bytes(req: Request) -> Result<Bytes, AppError> {
    Bytes::from_request(req, &())
        .await
        .map_err(|_| AppError::PayloadTooLarge)
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = AppError;
    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let ctx = req
            .extensions()
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("context missing")))?;
        let ct = content_type(&req);
        if !ct.starts_with("application/x-www-form-urlencoded") {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = body_bytes(req).await?;
        // NUL is never meaningful in a form and PostgreSQL cannot store it in text.
        let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.replace('\0', ""), v.replace('\0', "")))
            .collect();
        let form = Form { fields };
        if !csrf_ok(&ctx, form.raw(CSRF_FIELD)) {
            return Err(AppError::Csrf);
        }
        Ok(form)
    }
}

impl Form {
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Form {
        Form {
            fields: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
    /// The first value of a field, untrimmed, or "".
    pub fn raw(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    /// The first value of a field, trimmed, with Windows line endings normalised.
    pub fn get(&self, name: &str) -> String {
        self.raw(name).trim().replace("\r\n", "\n")
    }
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == name)
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.raw(name), "on" | "1" | "true" | "ja")
    }
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// A multipart submission (with files) whose CSRF token has been checked.
#[derive(Debug, Default)]
pub struct MultipartForm {
    pub form: Form,
    pub files: Vec<Upload>,
}

impl MultipartForm {
    pub fn file(&self, field: &str) -> Option<&Upload> {
        self.files
            .iter()
            .find(|f| f.field == field && !f.bytes.is_empty())
    }
}

impl<S: Send + Sync> FromRequest<S> for MultipartForm {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = req
            .extensions()
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("context missing")))?;
        let ct = content_type(&req);
        if ct.starts_with("application/x-www-form-urlencoded") {
            // A form without files may arrive urlencoded (e.g. no file chosen, tests).
            let form = Form::from_request(req, state).await?;
            return Ok(MultipartForm {
                form,
                files: vec![],
            });
        }
        if !ct.starts_with("multipart/form-data") {
            return Err(AppError::UnsupportedMediaType);
        }
        let mut mp = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest("multipart".into()))?;
        let mut out = MultipartForm::default();
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(AppError::PayloadTooLarge);
                }
                Err(_) => return Err(AppError::BadRequest("multipart".into())),
            };
            let name = field.name().unwrap_or("").to_string();
            let filename = field.file_name().map(str::to_string);
            let content_type = field.content_type().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest("multipart".into())
                }
            })?;
            match filename {
                Some(filename) => out.files.push(Upload {
                    field: name,
                    filename,
                    content_type,
                    bytes,
                }),
                None => out
                    .form
                    .fields
                    .push((name, String::from_utf8_lossy(&bytes).replace('\0', ""))),
            }
        }
        if !csrf_ok(&ctx, out.form.raw(CSRF_FIELD)) {
            return Err(AppError::Csrf);
        }
        Ok(out)
    }
}

/// Messages per field, in the visitor's language. Empty means valid.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    errors: BTreeMap<String, String>,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
    pub fn has(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.errors.iter()
    }
    pub fn len(&self) -> usize {
        self.errors.len()
    }
    /// The status of a form page: 200, or 422 when it is shown again with messages.
    pub fn status(&self) -> axum::http::StatusCode {
        if self.is_empty() {
            axum::http::StatusCode::OK
        } else {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// Validation helpers that record a message and return a parsed value.
pub struct Validator<'a> {
    pub ctx: &'a Ctx,
    pub form: &'a Form,
    pub errors: FieldErrors,
}

impl<'a> Validator<'a> {
    pub fn new(ctx: &'a Ctx, form: &'a Form) -> Self {
        Validator {
            ctx,
            form,
            errors: FieldErrors::new(),
        }
    }

    fn msg(&self, key: &str, args: &[(&str, &str)]) -> String {
        super::i18n::tf(self.ctx.lang, key, args)
    }

    /// A required text of at most `max` characters.
    pub fn text(&mut self, field: &str, max: usize) -> String {
        let v = self.form.get(field);
        if v.is_empty() {
            let m = self.msg("kern.validation.required", &[]);
            self.errors.add(field, m);
        } else {
            self.check_len(field, &v, max);
        }
        v
    }

    /// An optional text of at most `max` characters.
    pub fn optional_text(&mut self, field: &str, max: usize) -> String {
        let v = self.form.get(field);
        self.check_len(field, &v, max);
        v
    }

    fn check_len(&mut self, field: &str, v: &str, max: usize) {
        let n = v.chars().count();
        if n > max {
            let m = self.msg(
                "kern.validation.too_long",
                &[("max", &max.to_string()), ("n", &n.to_string())],
            );
            self.errors.add(field, m);
        }
        if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            let m = self.msg("kern.validation.control_chars", &[]);
            self.errors.add(field, m);
        }
    }

    pub fn email(&mut self, field: &str) -> String {
        let v = self.form.get(field).to_lowercase();
        if v.is_empty() {
            let m = self.msg("kern.validation.required", &[]);
            self.errors.add(field, m);
        } else if !valid_email(&v) {
            let m = self.msg("kern.validation.email", &[]);
            self.errors.add(field, m);
        }
        v
    }

    /// A whole number in `min..=max`; `None` when empty and not required.
    pub fn integer(&mut self, field: &str, min: i64, max: i64, required: bool) -> Option<i64> {
        let raw = self.form.get(field);
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.' && *c != '€')
            .collect();
        if cleaned.is_empty() {
            if required {
                let m = self.msg("kern.validation.required", &[]);
                self.errors.add(field, m);
            }
            return None;
        }
        match cleaned.parse::<i64>() {
            Ok(n) if n >= min && n <= max => Some(n),
            _ => {
                let m = self.msg(
                    "kern.validation.number_range",
                    &[("min", &min.to_string()), ("max", &max.to_string())],
                );
                self.errors.add(field, m);
                None
            }
        }
    }

    /// A date `YYYY-MM-DD` (the format of `<input type=date>`), or `DD-MM-YYYY`.
    pub fn date(&mut self, field: &str, required: bool) -> Option<chrono::NaiveDate> {
        let raw = self.form.get(field);
        if raw.is_empty() {
            if required {
                let m = self.msg("kern.validation.required", &[]);
                self.errors.add(field, m);
            }
            return None;
        }
        match parse_date(&raw) {
            Some(d) => Some(d),
            None => {
                let m = self.msg("kern.validation.date", &[]);
                self.errors.add(field, m);
                None
            }
        }
    }

    /// One of the allowed values.
    pub fn choice(&mut self, field: &str, allowed: &[&str], required: bool) -> Option<String> {
        let v = self.form.get(field);
        if v.is_empty() {
            if required {
                let m = self.msg("kern.validation.choose", &[]);
                self.errors.add(field, m);
            }
            return None;
        }
        if allowed.contains(&v.as_str()) {
            Some(v)
        } else {
            let m = self.msg("kern.validation.choose", &[]);
            self.errors.add(field, m);
            None
        }
    }

    pub fn error(&mut self, field: &str, key: &str) {
        let m = self.msg(key, &[]);
        self.errors.add(field, m);
    }

    pub fn finish(self) -> FieldErrors {
        self.errors
    }
}

pub fn parse_date(raw: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(raw, "%d-%m-%Y"))
        .ok()
        .filter(|d| {
            use chrono::Datelike;
            (1900..=2200).contains(&d.year())
        })
}

pub fn valid_email(v: &str) -> bool {
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = v.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(valid_email("a@b.nl"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@c.nl"));
        assert!(!valid_email("<script>@x.nl"));
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2026-03-01").unwrap().to_string(), "2026-03-01");
        assert_eq!(parse_date("01-03-2026").unwrap().to_string(), "2026-03-01");
        assert!(parse_date("2026-13-01").is_none());
        assert!(parse_date("'; DROP TABLE x").is_none());
    }
}
