//! The platform operator's page: municipalities of the installation.

use super::{admin, audit, tenants};
use crate::db::now;
use crate::web::AppState;
use crate::web::access::PlatformAdmin;
use crate::web::ctx::{Ctx, redirect_with_flash};
use crate::web::error::AppResult;
use crate::web::form::{FieldErrors, Form, Validator};
use crate::web::page::{Chrome, render, render_status};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "kern/platform.html")]
struct PlatformTpl {
    c: Chrome,
    tenants: Vec<tenants::Tenant>,
    errors: FieldErrors,
    slug: String,
    name: String,
    region: String,
    cbs_code: String,
}

pub async fn index(
    State(state): State<AppState>,
    ctx: Ctx,
    _p: PlatformAdmin,
) -> AppResult<Response> {
    render(&PlatformTpl {
        c: Chrome::new(&ctx, None, ctx.t("kern.platform.title")),
        tenants: tenants::all(&state.db).await?,
        errors: FieldErrors::new(),
        slug: String::new(),
        name: String::new(),
        region: String::new(),
        cbs_code: String::new(),
    })
}

/// Create a municipality with the default participation ladder.
pub async fn create_tenant(
    State(state): State<AppState>,
    ctx: Ctx,
    p: PlatformAdmin,
    form: Form,
) -> AppResult<Response> {
    let mut v = Validator::new(&ctx, &form);
    let name = v.text("name", 100);
    let slug = form.get("slug").to_lowercase();
    if !tenants::valid_slug(&slug) {
        v.error("slug", "kern.platform.bad_slug");
    }
    let region = v.optional_text("region", 100);
    let cbs_code = form.get("cbs_code").to_uppercase();
    let valid_cbs = cbs_code.len() == 6
        && cbs_code.starts_with("GM")
        && cbs_code[2..].chars().all(|c| c.is_ascii_digit());
    if !cbs_code.is_empty() && !valid_cbs {
        v.error("cbs_code", "kern.platform.bad_cbs");
    }
    let mut errors = v.finish();
    if errors.is_empty()
        && tenants::all(&state.db)
            .await?
            .iter()
            .any(|t| t.slug == slug)
    {
        errors.add("slug", ctx.t("kern.platform.slug_taken"));
    }
    if !errors.is_empty() {
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PlatformTpl {
                c: Chrome::new(&ctx, None, ctx.t("kern.platform.title")),
                tenants: tenants::all(&state.db).await?,
                errors,
                slug,
                name,
                region,
                cbs_code,
            },
        );
    }
    let mut tx = state.db.begin().await?;
    let id = create(
        &mut tx,
        &slug,
        &name,
        &region,
        if cbs_code.is_empty() {
            None
        } else {
            Some(&cbs_code)
        },
    )
    .await?;
    audit::record(
        &mut tx,
        Some(id),
        Some(&p.0),
        "tenant.created",
        "tenant",
        Some(id),
        &format!("gemeente {name} aangemaakt"),
    )
    .await?;
    tx.commit().await?;
    state.tenants.invalidate();
    Ok(redirect_with_flash("/platform", "kern.flash.saved"))
}

pub async fn create(
    tx: &mut crate::db::Tx,
    slug: &str,
    name: &str,
    region: &str,
    cbs_code: Option<&str>,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tenants (slug, name, region, cbs_code, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(slug)
    .bind(name)
    .bind(region)
    .bind(cbs_code)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    let levels: Vec<(String, String)> = admin::ladder_preset("standaard")
        .unwrap_or_default()
        .into_iter()
        .map(|(n, d)| (n.to_string(), d.to_string()))
        .collect();
    admin::apply_ladder(tx, id, &levels).await?;
    Ok(id)
}
