//! The per-request context: language, the logged-in user, the CSRF token and a flash
//! message. Built once by [`context_layer`] and read by handlers through the [`Ctx`]
//! extractor. The same layer turns error responses into pages and writes cookies.

use super::AppState;
use super::error::{AppError, ErrorPage, error_key};
use super::i18n::Lang;
use super::security::{hmac_b64, random_token, sha256_hex};
use crate::db::{flag, now};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sqlx::Row;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "mdn_sid";
pub const CSRF_COOKIE: &str = "mdn_csrf";
pub const LANG_COOKIE: &str = "mdn_lang";
pub const FLASH_COOKIE: &str = "mdn_flash";
/// Sessions last 12 hours of inactivity at most, 7 days in total.
pub const SESSION_TTL: i64 = 7 * 24 * 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Role {
    Procesbegeleider,
    Moderator,
    Griffie,
    Raadslid,
    Beheerder,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Procesbegeleider,
        Role::Moderator,
        Role::Griffie,
        Role::Raadslid,
        Role::Beheerder,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Role::Procesbegeleider => "procesbegeleider",
            Role::Moderator => "moderator",
            Role::Griffie => "griffie",
            Role::Raadslid => "raadslid",
            Role::Beheerder => "beheerder",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == s)
    }
}

#[derive(Debug)]
pub struct SessionUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub is_platform_admin: bool,
    pub memberships: Vec<(i64, Role)>,
    pub session_hash: String,
}

impl SessionUser {
    pub fn has_role(&self, tenant_id: i64, role: Role) -> bool {
        self.memberships.contains(&(tenant_id, role))
    }
    pub fn has_any(&self, tenant_id: i64, roles: &[Role]) -> bool {
        self.is_platform_admin || roles.iter().any(|r| self.has_role(tenant_id, *r))
    }
    pub fn is_staff_of(&self, tenant_id: i64) -> bool {
        self.is_platform_admin || self.memberships.iter().any(|(t, _)| *t == tenant_id)
    }
}

#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<Arc<SessionUser>>,
    pub csrf_token: String,
    /// Path and query of this request, for "return to" links.
    pub path: String,
    /// Message key of a one-time message set by the previous request.
    pub flash: Option<String>,
    pub secure: bool,
}

impl Ctx {
    pub fn t(&self, key: &str) -> &'static str {
        super::i18n::t(self.lang, key)
    }
    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("context layer missing")))
    }
}

/// Response extensions that the context layer turns into cookies.
#[derive(Clone)]
pub enum CookieAction {
    /// Start a session with this (unhashed) token.
    StartSession(String),
    EndSession,
    Flash(&'static str),
    Lang(Lang),
}

#[derive(Clone, Default)]
pub struct CookieActions(pub Vec<CookieAction>);

/// Attach cookie actions to a response.
pub fn with_cookies(mut resp: Response, actions: Vec<CookieAction>) -> Response {
    resp.extensions_mut().insert(CookieActions(actions));
    resp
}

/// A redirect that shows a one-time message on the next page.
pub fn redirect_with_flash(to: &str, flash: &'static str) -> Response {
    with_cookies(
        axum::response::Redirect::to(to).into_response(),
        vec![CookieAction::Flash(flash)],
    )
}

fn csrf_token_for(secret: &[u8], cookie_value: &str) -> String {
    hmac_b64(secret, format!("csrf:{cookie_value}").as_bytes())
}

pub async fn load_session(state: &AppState, token: &str) -> Option<SessionUser> {
    let hash = sha256_hex(token.as_bytes());
    let t = now();
    let row = sqlx::query(
        "SELECT u.id, u.name, u.email, u.is_platform_admin, s.last_seen_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
    )
    .bind(&hash)
    .bind(t)
    .fetch_optional(state.db.pool())
    .await
    .ok()??;
    let id: i64 = row.try_get("id").ok()?;
    let last_seen: i64 = row.try_get("last_seen_at").ok()?;
    let memberships = sqlx::query("SELECT tenant_id, role FROM memberships WHERE user_id = $1")
        .bind(id)
        .fetch_all(state.db.pool())
        .await
        .ok()?
        .into_iter()
        .filter_map(|r| {
            let tid: i64 = r.try_get("tenant_id").ok()?;
            let role: String = r.try_get("role").ok()?;
            Some((tid, Role::parse(&role)?))
        })
        .collect();
    if t - last_seen > 300 {
        let _ = sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(t)
            .bind(&hash)
            .execute(state.db.writer())
            .await;
    }
    Some(SessionUser {
        id,
        name: row.try_get("name").ok()?,
        email: row.try_get("email").ok()?,
        is_platform_admin: flag(row.try_get("is_platform_admin").ok()?),
        memberships,
        session_hash: hash,
    })
}

fn cookie<'a>(name: &'a str, value: String, secure: bool, max_age: Option<i64>) -> Cookie<'a> {
    let mut c = Cookie::new(name, value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure);
    if let Some(s) = max_age {
        c.set_max_age(time_duration(s));
    }
    c
}

fn time_duration(secs: i64) -> cookie::time::Duration {
    cookie::time::Duration::seconds(secs)
}

fn preferred_lang(jar: &CookieJar, req: &Request) -> Lang {
    if let Some(l) = jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return l;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in accept.split(',') {
        let tag = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if tag.starts_with("nl") {
            return Lang::Nl;
        }
        if tag.starts_with("en") {
            return Lang::En;
        }
    }
    Lang::Nl
}

/// The middleware that builds [`Ctx`], writes cookies and renders error pages.
pub async fn context_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/assets/") || path == "/health" || path == "/metrics" {
        return next.run(req).await;
    }
    let secure = state.config.secure_cookies();
    let jar = CookieJar::from_headers(req.headers());
    let lang = preferred_lang(&jar, &req);

    let mut new_csrf = None;
    let csrf_cookie = match jar.get(CSRF_COOKIE).map(|c| c.value().to_string()) {
        Some(v) if v.len() == 43 => v,
        _ => {
            let v = random_token();
            new_csrf = Some(v.clone());
            v
        }
    };
    let csrf_token = csrf_token_for(&state.secret, &csrf_cookie);

    let user = match jar.get(SESSION_COOKIE) {
        Some(c) => load_session(&state, c.value()).await.map(Arc::new),
        None => None,
    };
    let flash = jar.get(FLASH_COOKIE).map(|c| c.value().to_string());
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let ctx = Ctx {
        lang,
        user,
        csrf_token,
        path: path_and_query,
        flash: flash.clone(),
        secure,
    };
    req.extensions_mut().insert(ctx.clone());
    let is_api = path.starts_with("/api/");

    // A NUL byte (%00) in the path or query would reach the database through path and
    // query extractors; PostgreSQL cannot store or compare it in text: refuse it here.
    let has_nul = req
        .uri()
        .path_and_query()
        .is_some_and(|p| p.as_str().to_ascii_lowercase().contains("%00"));
    let mut resp = if has_nul {
        AppError::BadRequest("Het adres bevat tekens die niet zijn toegestaan.".into())
            .into_response()
    } else {
        next.run(req).await
    };

    // Error pages.
    let status = resp.status();
    if status.is_client_error() || status.is_server_error() {
        let page = resp.extensions().get::<ErrorPage>().cloned();
        let is_html = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
        if page.is_some() || !is_html {
            let page = page.unwrap_or(ErrorPage {
                status,
                key: error_key(status),
                detail: None,
                reference: None,
            });
            let actions = resp.extensions().get::<CookieActions>().cloned();
            resp = if is_api {
                super::page::json_error(&ctx, &page)
            } else {
                super::page::render_error(&state, &ctx, &page).await
            };
            if let Some(a) = actions {
                resp.extensions_mut().insert(a);
            }
        }
    }

    // Cookies.
    let mut set: Vec<Cookie<'static>> = Vec::new();
    if let Some(v) = new_csrf {
        set.push(cookie(CSRF_COOKIE, v, secure, None));
    }
    if flash.is_some() {
        set.push(cookie(FLASH_COOKIE, String::new(), secure, Some(0)));
    }
    if let Some(CookieActions(actions)) = resp.extensions().get::<CookieActions>().cloned() {
        for a in actions {
            match a {
                CookieAction::StartSession(token) => {
                    set.push(cookie(SESSION_COOKIE, token, secure, Some(SESSION_TTL)))
                }
                CookieAction::EndSession => {
                    set.push(cookie(SESSION_COOKIE, String::new(), secure, Some(0)))
                }
                CookieAction::Flash(key) => {
                    set.retain(|c| c.name() != FLASH_COOKIE);
                    set.push(cookie(FLASH_COOKIE, key.to_string(), secure, Some(120)))
                }
                CookieAction::Lang(l) => set.push(cookie(
                    LANG_COOKIE,
                    l.code().to_string(),
                    secure,
                    Some(365 * 24 * 3600),
                )),
            }
        }
    }
    for c in set {
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    if status == StatusCode::OK && ctx.user.is_some() {
        // Pages for logged-in users are private.
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    resp
}

/// Check a submitted CSRF token against the visitor's cookie.
pub fn csrf_ok(ctx: &Ctx, submitted: &str) -> bool {
    super::security::ct_eq(&ctx.csrf_token, submitted)
}
