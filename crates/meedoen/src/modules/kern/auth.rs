//! Logging in and out: password (argon2) or a one-time link by e-mail. An unknown address
//! that asks for a link gets an account when the link is used (a resident needs nothing
//! more to react). Login attempts are rate limited per address and per client.

use super::{accounts, audit, mail, ratelimit};
use crate::db::now;
use crate::web::AppState;
use crate::web::access::{LoggedIn, TenantCtx};
use crate::web::ctx::{CookieAction, Ctx, with_cookies};
use crate::web::error::{AppError, AppResult};
use crate::web::form::{FieldErrors, Form, Validator};
use crate::web::i18n::{Lang, tf};
use crate::web::page::{Chrome, render, render_status};
use crate::web::security::{hash_password, random_token, sha256_hex, verify_password};
use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use std::sync::Arc;

pub const LINK_TTL: i64 = 30 * 60;
pub const MIN_PASSWORD: usize = 10;

#[derive(serde::Deserialize, Default)]
pub struct Back {
    #[serde(default)]
    pub terug: String,
}

/// Only local paths are followed after login (no open redirects).
pub fn safe_back(back: &str, fallback: &str) -> String {
    if back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back.contains("://")
        && back.len() < 500
        && !back.starts_with("/inloggen")
        && !back.contains("/inloggen")
    {
        back.to_string()
    } else {
        fallback.to_string()
    }
}

#[derive(Template)]
#[template(path = "kern/login.html")]
struct LoginTpl {
    c: Chrome,
    action_base: String,
    back: String,
    email: String,
    link_email: String,
    link_name: String,
    errors: FieldErrors,
    link_errors: FieldErrors,
    general: Option<String>,
}

fn base_of(tenant: Option<&TenantCtx>) -> String {
    tenant.map(|t| format!("/{}", t.slug)).unwrap_or_default()
}

fn login_page(ctx: &Ctx, tenant: Option<&TenantCtx>, back: &str) -> LoginTpl {
    LoginTpl {
        c: Chrome::new(ctx, tenant.map(|t| &t.0), ctx.t("kern.login.title")),
        action_base: base_of(tenant),
        back: back.to_string(),
        email: String::new(),
        link_email: String::new(),
        link_name: String::new(),
        errors: FieldErrors::new(),
        link_errors: FieldErrors::new(),
        general: None,
    }
}

pub async fn login_form(ctx: Ctx, tenant: TenantCtx, Query(b): Query<Back>) -> AppResult<Response> {
    render(&login_page(&ctx, Some(&tenant), &b.terug))
}

pub async fn login_form_platform(ctx: Ctx, Query(b): Query<Back>) -> AppResult<Response> {
    render(&login_page(&ctx, None, &b.terug))
}

pub async fn login_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    form: Form,
) -> AppResult<Response> {
    password_login(&state, &ctx, Some(&tenant), addr, &form).await
}

pub async fn login_submit_platform(
    State(state): State<AppState>,
    ctx: Ctx,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    form: Form,
) -> AppResult<Response> {
    password_login(&state, &ctx, None, addr, &form).await
}

async fn password_login(
    state: &AppState,
    ctx: &Ctx,
    tenant: Option<&TenantCtx>,
    addr: SocketAddr,
    form: &Form,
) -> AppResult<Response> {
    let back = form.get("terug");
    let mut v = Validator::new(ctx, form);
    let email = v.email("email");
    let password = form.raw("password").to_string();
    if password.is_empty() {
        v.error("password", "kern.validation.required");
    }
    let mut page = login_page(ctx, tenant, &back);
    page.email = email.chars().take(254).collect();
    let errors = v.finish();
    if !errors.is_empty() {
        page.errors = errors;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let ip_bucket = format!(
        "login:ip:{}",
        ratelimit::client_key(&state.secret, &addr.ip().to_string())
    );
    let mail_bucket = format!("login:mail:{}", sha256_hex(email.as_bytes()));
    if !ratelimit::allow(&state.db, &ip_bucket, 30, 900).await?
        || !ratelimit::allow(&state.db, &mail_bucket, 10, 900).await?
    {
        page.general = Some(ctx.t("kern.login.too_many").to_string());
        return render_status(StatusCode::TOO_MANY_REQUESTS, &page);
    }
    let account = accounts::by_email(&state.db, &email).await?;
    let ok = match &account {
        Some(a) if !a.is_disabled() => match accounts::password_hash(&state.db, a.id).await? {
            Some(h) => verify_password(&password, &h),
            None => false,
        },
        _ => {
            // Same work as a real check, so timing does not reveal unknown addresses.
            let _ = verify_password(&password, DUMMY_HASH);
            false
        }
    };
    let Some(account) = account.filter(|_| ok) else {
        page.general = Some(ctx.t("kern.login.failed").to_string());
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let mut tx = state.db.begin().await?;
    let token = accounts::start_session(&mut tx, account.id).await?;
    tx.commit().await?;
    let fallback = match tenant {
        Some(t) => format!("/{}", t.slug),
        None => "/".into(),
    };
    Ok(with_cookies(
        Redirect::to(&safe_back(&back, &fallback)).into_response(),
        vec![
            CookieAction::StartSession(token),
            CookieAction::Flash("kern.flash.logged_in"),
        ],
    ))
}

/// A valid argon2id hash of a random string, for constant-time failures.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zk1DvNDJ4dS1Bv3a4mBq3nN4N0lRZ4Uq0rM0f2N9D9Y";

#[derive(Template)]
#[template(path = "kern/link_sent.html")]
struct LinkSentTpl {
    c: Chrome,
    email: String,
}

pub async fn link_request(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    form: Form,
) -> AppResult<Response> {
    let back = form.get("terug");
    let mut v = Validator::new(&ctx, &form);
    let email = v.email("link_email");
    let name = v.optional_text("link_name", 100);
    let mut page = login_page(&ctx, Some(&tenant), &back);
    page.link_email = email.chars().take(254).collect();
    page.link_name = name.clone();
    let errors = v.finish();
    if !errors.is_empty() {
        page.link_errors = errors;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let ip_bucket = format!(
        "link:ip:{}",
        ratelimit::client_key(&state.secret, &addr.ip().to_string())
    );
    let mail_bucket = format!("link:mail:{}", sha256_hex(email.as_bytes()));
    if !ratelimit::allow(&state.db, &ip_bucket, 20, 900).await?
        || !ratelimit::allow(&state.db, &mail_bucket, 5, 900).await?
    {
        page.general = Some(ctx.t("kern.login.too_many").to_string());
        return render_status(StatusCode::TOO_MANY_REQUESTS, &page);
    }
    let token = random_token();
    let t = now();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO login_tokens (token_hash, email, name, tenant_id, next_path, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(&email)
    .bind(if name.is_empty() { None } else { Some(name.clone()) })
    .bind(tenant.id)
    .bind(safe_back(&back, &format!("/{}", tenant.slug)))
    .bind(t)
    .bind(t + LINK_TTL)
    .execute(&mut *tx)
    .await?;
    let link = format!(
        "{}/{}/inloggen/link/{}",
        state.config.public_url.trim_end_matches('/'),
        tenant.slug,
        token
    );
    let body = tf(
        ctx.lang,
        "kern.login.link_mail_body",
        &[
            ("gemeente", &tenant.name),
            ("link", &link),
            ("minuten", "30"),
        ],
    );
    let subject = tf(
        ctx.lang,
        "kern.login.link_mail_subject",
        &[("gemeente", &tenant.name)],
    );
    mail::queue(&mut tx, Some(tenant.id), &email, &subject, &body).await?;
    tx.commit().await?;
    render(&LinkSentTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), ctx.t("kern.login.link_sent_title")),
        email,
    })
}

#[derive(Template)]
#[template(path = "kern/link_confirm.html")]
struct LinkConfirmTpl {
    c: Chrome,
    action: String,
    valid: bool,
}

async fn token_row(
    state: &AppState,
    token: &str,
) -> AppResult<Option<(String, Option<String>, String)>> {
    if token.len() > 100 {
        return Ok(None);
    }
    let row: Option<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT email, name, next_path FROM login_tokens \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(now())
    .fetch_optional(state.db.pool())
    .await?;
    Ok(row)
}

/// The link from the e-mail opens a page with a button, so that mail scanners that
/// follow links do not use it up.
pub async fn link_open(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, token)): Path<(String, String)>,
) -> AppResult<Response> {
    let valid = token_row(&state, &token).await?.is_some();
    let tpl = LinkConfirmTpl {
        c: Chrome::new(
            &ctx,
            Some(&tenant.0),
            ctx.t("kern.login.link_confirm_title"),
        ),
        action: format!("/{}/inloggen/link/{}", tenant.slug, token),
        valid,
    };
    if valid {
        render(&tpl)
    } else {
        render_status(StatusCode::GONE, &tpl)
    }
}

pub async fn link_use(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, token)): Path<(String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let Some((email, name, next)) = token_row(&state, &token).await? else {
        let tpl = LinkConfirmTpl {
            c: Chrome::new(
                &ctx,
                Some(&tenant.0),
                ctx.t("kern.login.link_confirm_title"),
            ),
            action: String::new(),
            valid: false,
        };
        return render_status(StatusCode::GONE, &tpl);
    };
    let mut tx = state.db.begin().await?;
    // Use the token exactly once, also under concurrent submissions.
    let used = sqlx::query(
        "UPDATE login_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now())
    .bind(sha256_hex(token.as_bytes()))
    .execute(&mut *tx)
    .await?;
    if used.rows_affected() != 1 {
        return Err(AppError::Conflict(ctx.t("kern.login.link_used").into()));
    }
    let user_id = match accounts::by_email(&state.db, &email).await? {
        Some(a) if a.is_disabled() => return Err(AppError::Forbidden),
        Some(a) => a.id,
        None => {
            let display = name
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| email.split('@').next().unwrap_or("inwoner").to_string());
            let id = accounts::create(&mut tx, &email, &display, None, Some(tenant.id)).await?;
            audit::record(
                &mut tx,
                Some(tenant.id),
                None,
                "account.created",
                "user",
                Some(id),
                "account aangemaakt via e-maillink",
            )
            .await?;
            id
        }
    };
    let session = accounts::start_session(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(with_cookies(
        Redirect::to(&safe_back(&next, &format!("/{}", tenant.slug))).into_response(),
        vec![
            CookieAction::StartSession(session),
            CookieAction::Flash("kern.flash.logged_in"),
        ],
    ))
}

pub async fn logout(
    State(state): State<AppState>,
    user: LoggedIn,
    _form: Form,
) -> AppResult<Response> {
    accounts::end_session(&state.db, &user.session_hash).await?;
    Ok(with_cookies(
        Redirect::to("/").into_response(),
        vec![
            CookieAction::EndSession,
            CookieAction::Flash("kern.flash.logged_out"),
        ],
    ))
}

pub async fn set_language(Path(code): Path<String>, Query(b): Query<Back>) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    with_cookies(
        Redirect::to(&safe_back(&b.terug, "/")).into_response(),
        vec![CookieAction::Lang(lang)],
    )
}

/// Validate a new password; returns the hash.
pub fn check_new_password(v: &mut Validator<'_>, field: &str) -> Option<String> {
    let pw = v.form.raw(field).to_string();
    if pw.chars().count() < MIN_PASSWORD {
        v.error(field, "kern.validation.password_short");
        return None;
    }
    if pw.len() > 200 {
        v.error(field, "kern.validation.password_long");
        return None;
    }
    hash_password(&pw).ok()
}

pub type SharedUser = Arc<crate::web::ctx::SessionUser>;
