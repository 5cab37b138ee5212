//! Public pages of the kern: the region portal, a municipality's home page and map,
//! the theme stylesheet, files, job progress, health and metrics, the account page.

use super::{accounts, areas, audit, tenants};
use crate::db::{flag, now};
use crate::jobs::JobStatus;
use crate::web::AppState;
use crate::web::access::{AnyStaff, Authorized, LoggedIn, TenantCtx};
use crate::web::ctx::{CookieAction, Ctx, Role, redirect_with_flash, with_cookies};
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{FieldErrors, Form, Validator};
use crate::web::page::{Chrome, fmt_datetime, fmt_int, render, render_status};
use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "kern/region_home.html")]
struct RegionHomeTpl {
    c: Chrome,
    regions: Vec<(String, Vec<tenants::Tenant>)>,
}

pub async fn region_home(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let all = tenants::all(&state.db).await?;
    let mut regions: Vec<(String, Vec<tenants::Tenant>)> = Vec::new();
    for t in all {
        match regions.iter_mut().find(|(r, _)| *r == t.region) {
            Some((_, v)) => v.push(t),
            None => regions.push((t.region.clone(), vec![t])),
        }
    }
    render(&RegionHomeTpl {
        c: Chrome::new(&ctx, None, ctx.t("kern.region.title")),
        regions,
    })
}

/// A block on a municipality's home page, contributed by a module.
pub struct HomeSection {
    pub html: String,
}

#[derive(Template)]
#[template(path = "kern/tenant_home.html")]
struct TenantHomeTpl {
    c: Chrome,
    intro: String,
    sections: Vec<HomeSection>,
    map: areas::AreaMap,
    population: String,
}

pub async fn tenant_home(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
) -> AppResult<Response> {
    let sections = crate::modules::home_sections(&state, &ctx, &tenant).await?;
    let counts = crate::modules::area_counts(&state, tenant.id).await?;
    let slug = tenant.slug.clone();
    let map = areas::draw_map(
        &state.db,
        tenant.id,
        "wijk",
        ctx.t("kern.map.title").to_string(),
        &counts,
        None,
        |a| format!("/{slug}/trajecten?gebied={}", a.id),
    )
    .await?;
    let population = state
        .cache
        .get_or_load(format!("{}:kern:population", tenant.id), || async {
            Ok::<_, sqlx::Error>(
                areas::of_tenant(&state.db, tenant.id, Some("gemeente"))
                    .await?
                    .first()
                    .and_then(|a| a.population),
            )
        })
        .await?
        .map(|p| fmt_int(ctx.lang, p))
        .unwrap_or_default();
    render(&TenantHomeTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), tenant.name.clone()),
        intro: tenant.intro.clone(),
        sections,
        map,
        population,
    })
}

#[derive(Template)]
#[template(path = "kern/map_page.html")]
struct MapPageTpl {
    c: Chrome,
    map: areas::AreaMap,
    rows: Vec<(areas::Area, i64, String)>,
}

pub async fn map(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
) -> AppResult<Response> {
    let counts = crate::modules::area_counts(&state, tenant.id).await?;
    let slug = tenant.slug.clone();
    let map = areas::draw_map(
        &state.db,
        tenant.id,
        "wijk",
        ctx.t("kern.map.title").to_string(),
        &counts,
        None,
        |a| format!("/{slug}/trajecten?gebied={}", a.id),
    )
    .await?;
    let rows = areas::of_tenant(&state.db, tenant.id, Some("wijk"))
        .await?
        .into_iter()
        .map(|a| {
            let n = counts.get(&a.id).copied().unwrap_or(0);
            let pop = a
                .population
                .map(|p| fmt_int(ctx.lang, p))
                .unwrap_or_default();
            (a, n, pop)
        })
        .collect();
    render(&MapPageTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), ctx.t("kern.map.title")),
        map,
        rows,
    })
}

/// The municipality's design tokens as CSS custom properties (NL Design System naming).
pub async fn theme_css(tenant: TenantCtx) -> Response {
    let css = format!(
        ":root {{\n  --nl-color-primary: {p};\n  --nl-color-primary-text: {pt};\n  --nl-color-accent: {a};\n  \
         --nl-button-primary-background-color: {p};\n  --nl-button-primary-color: {pt};\n  \
         --nl-link-color: {p};\n  --nl-page-header-background-color: {p};\n  --nl-page-header-color: {pt};\n}}\n",
        p = tenant.color_primary,
        pt = tenant.color_primary_text,
        a = tenant.color_accent
    );
    let mut r = css.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

/// A public file of the municipality (logo, images of plans).
pub async fn file(
    State(state): State<AppState>,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = path_id(&id)?;
    let row: Option<(String, Vec<u8>, String)> = sqlx::query_as(
        "SELECT mime, bytes, sha256 FROM files WHERE id = $1 AND tenant_id = $2 AND public = 1",
    )
    .bind(id)
    .bind(tenant.id)
    .fetch_optional(state.db.pool())
    .await?;
    let (mime, bytes, sha) = row.ok_or(AppError::NotFound)?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("\"{sha}\"")) {
        h.insert(header::ETAG, v);
    }
    Ok(r)
}

/// Store an uploaded image (PNG or JPEG only, checked by content) as a public file.
pub async fn store_image(
    tx: &mut crate::db::Tx,
    tenant_id: i64,
    name: &str,
    bytes: &[u8],
) -> Result<Option<i64>, sqlx::Error> {
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else {
        return Ok(None);
    };
    let id = sqlx::query_scalar(
        "INSERT INTO files (tenant_id, name, mime, size, sha256, public, bytes, created_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id",
    )
    .bind(tenant_id)
    .bind(name.chars().take(200).collect::<String>())
    .bind(mime)
    .bind(bytes.len() as i64)
    .bind(crate::web::security::sha256_hex(bytes))
    .bind(bytes.to_vec())
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some(id))
}

pub async fn health(State(state): State<AppState>) -> Response {
    let db_ok = sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(state.db.pool())
        .await
        .is_ok();
    let body = serde_json::json!({
        "status": if db_ok { "ok" } else { "error" },
        "database": if db_ok { "ok" } else { "unreachable" },
        "version": env!("CARGO_PKG_VERSION"),
    });
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let ok = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|v| crate::web::security::ct_eq(v, token));
        if !ok {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    let jobs: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status")
            .fetch_all(state.db.pool())
            .await
            .unwrap_or_default();
    for (status, n) in jobs {
        metrics::gauge!("meedoen_jobs", "status" => status).set(n as f64);
    }
    let mut r = crate::web::metrics_handle().render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

#[derive(Template)]
#[template(path = "kern/about.html")]
struct AboutTpl {
    c: Chrome,
    page: &'static str,
}

pub async fn about(ctx: Ctx, Path(page): Path<String>) -> AppResult<Response> {
    let page = match page.as_str() {
        "toegankelijkheid" => "accessibility",
        "privacy" => "privacy",
        _ => return Err(AppError::NotFound),
    };
    render(&AboutTpl {
        c: Chrome::new(&ctx, None, ctx.t(&format!("kern.about.{page}.title"))),
        page,
    })
}

// ---------- background jobs ----------

#[derive(Template)]
#[template(path = "kern/job.html")]
struct JobTpl {
    c: Chrome,
    job: JobStatus,
    status_url: String,
    cancel_url: String,
    result_url: Option<String>,
}

async fn tenant_job(state: &AppState, tenant_id: i64, id: &str) -> AppResult<JobStatus> {
    let id = path_id(id)?;
    let job = state.jobs.status(id).await?.ok_or(AppError::NotFound)?;
    if job.tenant_id != Some(tenant_id) {
        return Err(AppError::NotFound);
    }
    Ok(job)
}

pub fn job_label_key(kind: &str) -> String {
    format!("{}.job", kind)
}

pub async fn job_page(
    State(state): State<AppState>,
    ctx: Ctx,
    auth: Authorized<AnyStaff>,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let job = tenant_job(&state, auth.tenant.id, &id).await?;
    let base = format!("/{}/taken/{}", auth.tenant.slug, job.id);
    let result_url = crate::modules::job_result_url(&auth.tenant.slug, &job);
    render(&JobTpl {
        c: Chrome::new(&ctx, Some(&auth.tenant), ctx.t(&job_label_key(&job.kind))),
        status_url: format!("{base}/status"),
        cancel_url: format!("{base}/annuleren"),
        result_url,
        job,
    })
}

pub async fn job_status(
    State(state): State<AppState>,
    ctx: Ctx,
    auth: Authorized<AnyStaff>,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let job = tenant_job(&state, auth.tenant.id, &id).await?;
    let result_url = crate::modules::job_result_url(&auth.tenant.slug, &job);
    let status_text = ctx.t(&format!("kern.job.status.{}", job.status));
    Ok(Json(serde_json::json!({
        "id": job.id,
        "status": job.status,
        "status_text": status_text,
        "percent": job.percent(),
        "message": job.message,
        "finished": job.is_finished(),
        "error": job.error,
        "result_url": result_url,
    }))
    .into_response())
}

pub async fn job_cancel(
    State(state): State<AppState>,
    auth: Authorized<AnyStaff>,
    Path((_, id)): Path<(String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let job = tenant_job(&state, auth.tenant.id, &id).await?;
    state.jobs.request_cancel(job.id).await?;
    Ok(redirect_with_flash(
        &format!("/{}/taken/{}", auth.tenant.slug, job.id),
        "kern.flash.job_cancel_requested",
    ))
}

// ---------- the account page (AVG: see, export, delete) ----------

#[derive(Template)]
#[template(path = "kern/account.html")]
struct AccountTpl {
    c: Chrome,
    account: accounts::Account,
    roles: Vec<(String, Vec<Role>)>,
    has_password: bool,
    errors: FieldErrors,
}

async fn account_view(
    state: &AppState,
    ctx: &Ctx,
    user: &LoggedIn,
    errors: FieldErrors,
) -> AppResult<AccountTpl> {
    let account = accounts::by_id(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut roles: Vec<(String, Vec<Role>)> = Vec::new();
    for (tid, role) in &user.memberships {
        let name = tenants::by_id(&state.db, *tid)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        match roles.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(*role),
            None => roles.push((name, vec![*role])),
        }
    }
    let has_password = accounts::password_hash(&state.db, user.id).await?.is_some();
    Ok(AccountTpl {
        c: Chrome::new(ctx, None, ctx.t("kern.account.title")),
        account,
        roles,
        has_password,
        errors,
    })
}

pub async fn account(
    State(state): State<AppState>,
    ctx: Ctx,
    user: LoggedIn,
) -> AppResult<Response> {
    render(&account_view(&state, &ctx, &user, FieldErrors::new()).await?)
}

pub async fn account_export(State(state): State<AppState>, user: LoggedIn) -> AppResult<Response> {
    let account = accounts::by_id(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut data = serde_json::json!({
        "account": {
            "name": account.name,
            "email": account.email,
            "created_at": account.created_at,
            "roles": user.memberships.iter().map(|(t, r)| serde_json::json!({"tenant_id": t, "role": r.key()})).collect::<Vec<_>>(),
        },
    });
    crate::modules::export_user_data(&state, user.id, &mut data).await?;
    let mut r = Json(data).into_response();
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"meedoen-gegevens.json\""),
    );
    Ok(r)
}

pub async fn account_password(
    State(state): State<AppState>,
    ctx: Ctx,
    user: LoggedIn,
    form: Form,
) -> AppResult<Response> {
    let mut v = Validator::new(&ctx, &form);
    let current = form.raw("current").to_string();
    let existing = accounts::password_hash(&state.db, user.id).await?;
    if let Some(h) = &existing
        && !crate::web::security::verify_password(&current, h)
    {
        v.error("current", "kern.account.wrong_password");
    }
    let hash = super::auth::check_new_password(&mut v, "new");
    let errors = v.finish();
    if !errors.is_empty() {
        let tpl = account_view(&state, &ctx, &user, errors).await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &tpl);
    }
    let Some(hash) = hash else {
        return Err(AppError::Internal(anyhow::anyhow!("hash")));
    };
    let mut tx = state.db.begin().await?;
    accounts::set_password(&mut tx, user.id, &hash).await?;
    let token = accounts::start_session(&mut tx, user.id).await?;
    audit::record(
        &mut tx,
        None,
        Some(&user),
        "account.password_changed",
        "user",
        Some(user.id),
        "eigen wachtwoord gewijzigd",
    )
    .await?;
    tx.commit().await?;
    Ok(with_cookies(
        Redirect::to("/account").into_response(),
        vec![
            CookieAction::StartSession(token),
            CookieAction::Flash("kern.flash.password_changed"),
        ],
    ))
}

pub async fn account_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    user: LoggedIn,
    form: Form,
) -> AppResult<Response> {
    if form.get("bevestig") != "VERWIJDER" {
        let mut errors = FieldErrors::new();
        errors.add("bevestig", ctx.t("kern.account.delete_confirm_missing"));
        let tpl = account_view(&state, &ctx, &user, errors).await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &tpl);
    }
    let mut tx = state.db.begin().await?;
    crate::modules::delete_user_data(&mut tx, user.id).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE users SET email = $1, name = $2, password_hash = NULL, disabled = 1 WHERE id = $3",
    )
    .bind(format!("verwijderd-{}@meedoen.invalid", user.id))
    .bind("Verwijderd account")
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        None,
        None,
        "account.deleted",
        "user",
        Some(user.id),
        "account verwijderd op verzoek",
    )
    .await?;
    tx.commit().await?;
    Ok(with_cookies(
        Redirect::to("/").into_response(),
        vec![
            CookieAction::EndSession,
            CookieAction::Flash("kern.flash.account_deleted"),
        ],
    ))
}

pub fn fmt_ts(ctx: &Ctx, ts: i64) -> String {
    fmt_datetime(ctx.lang, ts)
}

pub fn is_platform(account: &accounts::Account) -> bool {
    flag(account.is_platform_admin)
}

pub type Counts = HashMap<i64, i64>;
