//! The municipality administrator's pages: users and roles, areas, the participation
//! ladder, themes (topics), the house style, the audit log, the outbox and jobs.
//! Every change is written to the audit log in the same transaction.

use super::areas::{self, AreaStats};
use super::{accounts, audit, mail, tenants};
use crate::db::now;
use crate::jobs::{JobCtx, JobFuture, JobRunner, JobStatus};
use crate::web::AppState;
use crate::web::access::{Administer, Authorized};
use crate::web::ctx::{Ctx, Role, redirect_with_flash};
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{FieldErrors, Form, MultipartForm, Validator};
use crate::web::i18n::tf;
use crate::web::page::{Chrome, fmt_datetime, fmt_int, render, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

type Admin = Authorized<Administer>;

fn chrome(ctx: &Ctx, a: &Admin, key: &str) -> Chrome {
    Chrome::new(ctx, Some(&a.tenant), ctx.t(key))
}

fn base(a: &Admin) -> String {
    format!("/{}/beheer", a.tenant.slug)
}

// ---------- dashboard ----------

#[derive(Template)]
#[template(path = "kern/admin/index.html")]
struct IndexTpl {
    c: Chrome,
    base: String,
    people: i64,
    areas: i64,
    pending_mail: i64,
}

pub async fn index(State(state): State<AppState>, ctx: Ctx, a: Admin) -> AppResult<Response> {
    let people: i64 =
        sqlx::query_scalar("SELECT COUNT(DISTINCT user_id) FROM memberships WHERE tenant_id = $1")
            .bind(a.tenant.id)
            .fetch_one(state.db.pool())
            .await?;
    let areas: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM areas WHERE tenant_id = $1")
        .bind(a.tenant.id)
        .fetch_one(state.db.pool())
        .await?;
    let pending_mail: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE tenant_id = $1 AND sent_at IS NULL")
            .bind(a.tenant.id)
            .fetch_one(state.db.pool())
            .await?;
    render(&IndexTpl {
        c: chrome(&ctx, &a, "kern.admin.title"),
        base: base(&a),
        people,
        areas,
        pending_mail,
    })
}

// ---------- users and roles ----------

#[derive(serde::Deserialize, Default)]
pub struct Search {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "kern/admin/users.html")]
struct UsersTpl {
    c: Chrome,
    base: String,
    q: String,
    people: Vec<accounts::StaffMember>,
    roles: Vec<Role>,
    errors: FieldErrors,
    new_email: String,
    new_name: String,
    new_roles: Vec<String>,
}

impl UsersTpl {
    fn role_checked(&self, r: &Role) -> bool {
        self.new_roles.iter().any(|x| x == r.key())
    }
}

async fn users_page(state: &AppState, ctx: &Ctx, a: &Admin, q: &str) -> AppResult<UsersTpl> {
    let q: String = q.chars().take(100).collect();
    Ok(UsersTpl {
        c: chrome(ctx, a, "kern.admin.users.title"),
        base: base(a),
        people: accounts::people_of(&state.db, a.tenant.id, &q).await?,
        q,
        roles: Role::ALL.to_vec(),
        errors: FieldErrors::new(),
        new_email: String::new(),
        new_name: String::new(),
        new_roles: vec![],
    })
}

pub async fn users(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    Query(s): Query<Search>,
) -> AppResult<Response> {
    render(&users_page(&state, &ctx, &a, &s.q).await?)
}

/// Add a colleague: a new account (they get an e-mail to set a password through the
/// login link) or an existing one, with roles in this municipality.
pub async fn user_create(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    form: Form,
) -> AppResult<Response> {
    let mut v = Validator::new(&ctx, &form);
    let email = v.email("email");
    let name = v.text("name", 100);
    let role_keys = form.all("roles");
    let roles: Vec<Role> = role_keys.iter().filter_map(|r| Role::parse(r)).collect();
    if roles.len() != role_keys.len() || roles.is_empty() {
        v.error("roles", "kern.admin.users.choose_role");
    }
    let errors = v.finish();
    if !errors.is_empty() {
        let mut page = users_page(&state, &ctx, &a, "").await?;
        page.errors = errors;
        page.new_email = email.chars().take(254).collect();
        page.new_name = name;
        page.new_roles = role_keys;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let mut tx = state.db.begin().await?;
    let existing = accounts::by_email(&state.db, &email).await?;
    let user_id = match existing {
        Some(acc) => acc.id,
        None => accounts::create(&mut tx, &email, &name, None, Some(a.tenant.id)).await?,
    };
    for r in &roles {
        accounts::grant(&mut tx, user_id, a.tenant.id, *r).await?;
    }
    let role_names: Vec<&str> = roles.iter().map(|r| r.key()).collect();
    audit::record(
        &mut tx,
        Some(a.tenant.id),
        Some(&a.user),
        "user.roles_granted",
        "user",
        Some(user_id),
        &format!("rollen {} gegeven aan {}", role_names.join(", "), name),
    )
    .await?;
    let body = tf(
        ctx.lang,
        "kern.admin.users.invite_mail",
        &[
            ("gemeente", &a.tenant.name),
            ("rollen", &role_names.join(", ")),
            (
                "link",
                &format!(
                    "{}/{}/inloggen",
                    state.config.public_url.trim_end_matches('/'),
                    a.tenant.slug
                ),
            ),
        ],
    );
    mail::queue(
        &mut tx,
        Some(a.tenant.id),
        &email,
        &tf(
            ctx.lang,
            "kern.admin.users.invite_subject",
            &[("gemeente", &a.tenant.name)],
        ),
        &body,
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/gebruikers", base(&a)),
        "kern.flash.saved",
    ))
}

#[derive(Template)]
#[template(path = "kern/admin/user_edit.html")]
struct UserEditTpl {
    c: Chrome,
    base: String,
    account: accounts::Account,
    current: Vec<Role>,
    roles: Vec<Role>,
    errors: FieldErrors,
}

async fn account_in_tenant(state: &AppState, a: &Admin, id: &str) -> AppResult<accounts::Account> {
    let id = path_id(id)?;
    let acc = accounts::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Only people of this municipality (role or home) are visible to its administrator.
    let related: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u WHERE u.id = $1 AND (u.home_tenant_id = $2 OR EXISTS \
         (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = $2))",
    )
    .bind(id)
    .bind(a.tenant.id)
    .fetch_one(state.db.pool())
    .await?;
    if related == 0 {
        return Err(AppError::NotFound);
    }
    Ok(acc)
}

pub async fn user_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let account = account_in_tenant(&state, &a, &id).await?;
    let current = accounts::roles_in(&state.db, account.id, a.tenant.id).await?;
    render(&UserEditTpl {
        c: Chrome::new(&ctx, Some(&a.tenant), account.name.clone()),
        base: base(&a),
        account,
        current,
        roles: Role::ALL.to_vec(),
        errors: FieldErrors::new(),
    })
}

pub async fn user_update(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let account = account_in_tenant(&state, &a, &id).await?;
    let wanted: Vec<Role> = form
        .all("roles")
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect();
    if account.id == a.user.id && !wanted.contains(&Role::Beheerder) && !a.user.is_platform_admin {
        let current = accounts::roles_in(&state.db, account.id, a.tenant.id).await?;
        let mut errors = FieldErrors::new();
        errors.add("roles", ctx.t("kern.admin.users.keep_own_admin"));
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UserEditTpl {
                c: Chrome::new(&ctx, Some(&a.tenant), account.name.clone()),
                base: base(&a),
                account,
                current,
                roles: Role::ALL.to_vec(),
                errors,
            },
        );
    }
    let current = accounts::roles_in(&state.db, account.id, a.tenant.id).await?;
    let mut tx = state.db.begin().await?;
    for r in Role::ALL {
        let has = current.contains(&r);
        let want = wanted.contains(&r);
        if want && !has {
            accounts::grant(&mut tx, account.id, a.tenant.id, r).await?;
            audit::record(
                &mut tx,
                Some(a.tenant.id),
                Some(&a.user),
                "user.role_granted",
                "user",
                Some(account.id),
                &format!("rol {} gegeven aan {}", r.key(), account.name),
            )
            .await?;
        } else if has && !want {
            accounts::revoke(&mut tx, account.id, a.tenant.id, r).await?;
            audit::record(
                &mut tx,
                Some(a.tenant.id),
                Some(&a.user),
                "user.role_revoked",
                "user",
                Some(account.id),
                &format!("rol {} afgenomen van {}", r.key(), account.name),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/gebruikers/{}", base(&a), account.id),
        "kern.flash.saved",
    ))
}

/// Send the person a login link so they can set a new password; ends their sessions.
pub async fn user_reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    Path((_, id)): Path<(String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let account = account_in_tenant(&state, &a, &id).await?;
    let token = crate::web::security::random_token();
    let t = now();
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = NULL WHERE id = $1")
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO login_tokens (token_hash, email, tenant_id, next_path, created_at, expires_at) \
         VALUES ($1, $2, $3, '/account', $4, $5)",
    )
    .bind(crate::web::security::sha256_hex(token.as_bytes()))
    .bind(&account.email)
    .bind(a.tenant.id)
    .bind(t)
    .bind(t + 24 * 3600)
    .execute(&mut *tx)
    .await?;
    let link = format!(
        "{}/{}/inloggen/link/{}",
        state.config.public_url.trim_end_matches('/'),
        a.tenant.slug,
        token
    );
    mail::queue(
        &mut tx,
        Some(a.tenant.id),
        &account.email,
        &tf(
            ctx.lang,
            "kern.admin.users.reset_subject",
            &[("gemeente", &a.tenant.name)],
        ),
        &tf(ctx.lang, "kern.admin.users.reset_mail", &[("link", &link)]),
    )
    .await?;
    audit::record(
        &mut tx,
        Some(a.tenant.id),
        Some(&a.user),
        "user.password_reset",
        "user",
        Some(account.id),
        &format!("wachtwoord van {} opnieuw ingesteld", account.name),
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/gebruikers/{}", base(&a), account.id),
        "kern.flash.reset_sent",
    ))
}

// ---------- areas ----------

#[derive(Template)]
#[template(path = "kern/admin/areas.html")]
struct AreasTpl {
    c: Chrome,
    base: String,
    areas: Vec<(areas::Area, String)>,
    errors: FieldErrors,
    import_errors: Vec<String>,
}

async fn areas_page(state: &AppState, ctx: &Ctx, a: &Admin) -> AppResult<AreasTpl> {
    let list = areas::of_tenant(&state.db, a.tenant.id, None)
        .await?
        .into_iter()
        .map(|ar| {
            let pop = ar
                .population
                .map(|p| fmt_int(ctx.lang, p))
                .unwrap_or_default();
            (ar, pop)
        })
        .collect();
    Ok(AreasTpl {
        c: chrome(ctx, a, "kern.admin.areas.title"),
        base: base(a),
        areas: list,
        errors: FieldErrors::new(),
        import_errors: vec![],
    })
}

pub async fn areas(State(state): State<AppState>, ctx: Ctx, a: Admin) -> AppResult<Response> {
    render(&areas_page(&state, &ctx, &a).await?)
}

/// One area read from an import file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct ImportedArea {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_code: Option<String>,
    pub geometry: Option<String>,
}

fn kind_of(code: &str) -> Option<&'static str> {
    match code.get(..2) {
        Some("GM") => Some("gemeente"),
        Some("WK") => Some("wijk"),
        Some("BU") => Some("buurt"),
        _ => None,
    }
}

fn parent_code(code: &str) -> Option<String> {
    match kind_of(code)? {
        "wijk" => Some(format!("GM{}", code.get(2..6)?)),
        "buurt" => Some(format!("WK{}", code.get(2..8)?)),
        _ => None,
    }
}

/// Parse and check a GeoJSON file of areas (CBS codes in `statcode`/`code`, names in
/// `statnaam`/`naam`/`name`). Returns every problem, with the feature number.
pub fn parse_areas_geojson(
    text: &str,
    gemeente_code: Option<&str>,
) -> Result<Vec<ImportedArea>, Vec<String>> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| vec![format!("Geen geldige GeoJSON: {e}")])?;
    let features = v.get("features").and_then(Value::as_array).ok_or_else(|| {
        vec!["Het bestand heeft geen lijst 'features' (FeatureCollection).".to_string()]
    })?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let n = i + 1;
        let props = f.get("properties").cloned().unwrap_or(Value::Null);
        let get = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| props.get(*k).and_then(Value::as_str))
                .map(|s| s.trim().to_string())
        };
        let Some(code) = get(&["statcode", "code", "CBS_code"]) else {
            problems.push(format!("Gebied {n}: geen code (statcode) gevonden."));
            continue;
        };
        let Some(kind) = kind_of(&code) else {
            problems.push(format!(
                "Gebied {n} ({code}): de code begint niet met GM, WK of BU."
            ));
            continue;
        };
        if let Some(gm) = gemeente_code
            && code.get(2..6) != gm.get(2..6)
        {
            problems.push(format!(
                "Gebied {n} ({code}): hoort niet bij gemeente {gm}."
            ));
            continue;
        }
        let Some(name) =
            get(&["statnaam", "naam", "name"]).filter(|s| !s.is_empty() && s.len() <= 200)
        else {
            problems.push(format!("Gebied {n} ({code}): geen naam."));
            continue;
        };
        let geometry = f.get("geometry").filter(|g| !g.is_null());
        if let Some(g) = geometry
            && super::geo::geometry_polygons(g).is_empty()
        {
            problems.push(format!(
                "Gebied {n} ({code}): de geometrie is geen (Multi)Polygon."
            ));
            continue;
        }
        out.push(ImportedArea {
            parent_code: parent_code(&code),
            code,
            name,
            kind: kind.to_string(),
            geometry: geometry.map(|g| g.to_string()),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for a in &out {
        if !seen.insert(a.code.clone()) {
            problems.push(format!("De code {} komt twee keer voor.", a.code));
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push("Het bestand bevat geen gebieden.".into());
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

pub async fn areas_import(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    mp: MultipartForm,
) -> AppResult<Response> {
    let Some(upload) = mp.file("bestand") else {
        let mut page = areas_page(&state, &ctx, &a).await?;
        page.errors
            .add("bestand", ctx.t("kern.admin.areas.choose_file"));
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let text = match std::str::from_utf8(&upload.bytes) {
        Ok(t) => t,
        Err(_) => {
            let mut page = areas_page(&state, &ctx, &a).await?;
            page.errors
                .add("bestand", ctx.t("kern.admin.areas.not_utf8"));
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    match parse_areas_geojson(text, a.tenant.cbs_code.as_deref()) {
        Err(problems) => {
            let mut page = areas_page(&state, &ctx, &a).await?;
            page.errors
                .add("bestand", ctx.t("kern.admin.areas.invalid"));
            page.import_errors = problems.into_iter().take(50).collect();
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Ok(parsed) => {
            let mut tx = state.db.begin().await?;
            let payload = json!({ "areas": parsed });
            let job = JobRunner::enqueue_tx(
                &mut tx,
                Some(a.tenant.id),
                "kern.areas_import",
                &payload,
                Some(a.user.id),
            )
            .await?;
            audit::record(
                &mut tx,
                Some(a.tenant.id),
                Some(&a.user),
                "areas.import_started",
                "job",
                Some(job),
                &format!(
                    "{} gebieden ingelezen uit {}",
                    parsed.len(),
                    upload.filename
                ),
            )
            .await?;
            tx.commit().await?;
            state.jobs.wake();
            Ok(Redirect::to(&format!("/{}/taken/{job}", a.tenant.slug)).into_response())
        }
    }
}

/// The import job: writes all areas in one transaction (nothing half), with progress.
pub fn areas_import_job(ctx: JobCtx) -> JobFuture {
    Box::pin(async move {
        let tenant_id = ctx
            .tenant_id
            .ok_or_else(|| anyhow::anyhow!("geen gemeente"))?;
        let list: Vec<ImportedArea> = serde_json::from_value(ctx.payload["areas"].clone())?;
        let total = list.len() as i64;
        let n = import_areas(&ctx.state, tenant_id, &list, Some(&ctx)).await?;
        ctx.progress(total, total, "klaar").await?;
        Ok(json!({ "imported": n }))
    })
}

/// Insert or update areas by code, parents first. Returns how many were written.
pub async fn import_areas(
    state: &AppState,
    tenant_id: i64,
    list: &[ImportedArea],
    job: Option<&JobCtx>,
) -> anyhow::Result<usize> {
    let mut sorted = list.to_vec();
    let rank = |k: &str| match k {
        "gemeente" => 0,
        "wijk" => 1,
        _ => 2,
    };
    sorted.sort_by_key(|a| rank(&a.kind));
    let total = sorted.len() as i64;
    // Progress is written before the transaction: on SQLite the one writer connection is
    // held by the transaction, so a progress write inside it would wait for itself.
    if let Some(j) = job {
        j.progress(0, total, "gebieden opslaan").await?;
    }
    let mut tx = state.db.begin().await?;
    for a in &sorted {
        let parent: Option<i64> = match &a.parent_code {
            Some(pc) => {
                sqlx::query_scalar("SELECT id FROM areas WHERE tenant_id = $1 AND code = $2")
                    .bind(tenant_id)
                    .bind(pc)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        sqlx::query(
            "INSERT INTO areas (tenant_id, parent_id, kind, code, name, geometry) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, code) DO UPDATE SET parent_id = excluded.parent_id, \
             name = excluded.name, geometry = COALESCE(excluded.geometry, areas.geometry)",
        )
        .bind(tenant_id)
        .bind(parent)
        .bind(&a.kind)
        .bind(&a.code)
        .bind(&a.name)
        .bind(&a.geometry)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    areas::invalidate(tenant_id);
    state.cache.invalidate_tenant(tenant_id);
    Ok(sorted.len())
}

/// Set the CBS figures of an area.
pub async fn set_area_stats(
    tx: &mut crate::db::Tx,
    tenant_id: i64,
    code: &str,
    stats: &AreaStats,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE areas SET population = $1, stats = $2 WHERE tenant_id = $3 AND code = $4")
        .bind(stats.inhabitants)
        .bind(serde_json::to_string(stats).unwrap_or_else(|_| "{}".into()))
        .bind(tenant_id)
        .bind(code)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn area_update(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let id = path_id(&id)?;
    let area = areas::by_id(&state.db, a.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut v = Validator::new(&ctx, &form);
    let name = v.text("name", 200);
    let population = v.integer("population", 0, 10_000_000, false);
    let errors = v.finish();
    if !errors.is_empty() {
        let mut page = areas_page(&state, &ctx, &a).await?;
        page.errors = errors;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE areas SET name = $1, population = $2 WHERE id = $3 AND tenant_id = $4")
        .bind(&name)
        .bind(population)
        .bind(id)
        .bind(a.tenant.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(a.tenant.id),
        Some(&a.user),
        "area.updated",
        "area",
        Some(id),
        &format!("gebied {} ({}) bijgewerkt", name, area.code),
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/gebieden", base(&a)),
        "kern.flash.saved",
    ))
}

// ---------- the participation ladder ----------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LadderLevel {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub description: String,
}

pub async fn ladder_of(
    db: &crate::db::Db,
    tenant_id: i64,
) -> Result<Vec<LadderLevel>, sqlx::Error> {
    sqlx::query_as("SELECT id, position, name, description FROM ladder_levels WHERE tenant_id = $1 ORDER BY position")
        .bind(tenant_id)
        .fetch_all(db.pool())
        .await
}

/// The default ladder and Amsterdam's alternative (DESIGN.md).
pub fn ladder_preset(name: &str) -> Option<Vec<(&'static str, &'static str)>> {
    match name {
        "standaard" => Some(vec![
            (
                "Informeren",
                "De gemeente vertelt wat er gebeurt. Er is geen ruimte voor inbreng.",
            ),
            (
                "Raadplegen",
                "De gemeente vraagt uw mening. Die weegt mee, maar de gemeente beslist.",
            ),
            (
                "Adviseren",
                "U geeft advies. De gemeente volgt het, of legt uit waarom niet.",
            ),
            (
                "Coproduceren",
                "U maakt samen met de gemeente een plan. De gemeente neemt het over binnen de kaders.",
            ),
            (
                "Meebeslissen",
                "U beslist mee. De gemeente voert uit wat is besloten.",
            ),
        ]),
        "amsterdam" => Some(vec![
            (
                "Informeren",
                "De gemeente vertelt wat er gebeurt en waarom.",
            ),
            ("Consulteren", "De gemeente vraagt uw mening over een plan."),
            (
                "Dialoog",
                "U praat met de gemeente en met elkaar over een vraag.",
            ),
            ("Co-creatie", "U werkt samen met de gemeente een plan uit."),
            (
                "Faciliteren",
                "U neemt zelf het initiatief; de gemeente ondersteunt.",
            ),
        ]),
        _ => None,
    }
}

pub async fn apply_ladder(
    tx: &mut crate::db::Tx,
    tenant_id: i64,
    levels: &[(String, String)],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM ladder_levels WHERE tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut **tx)
        .await?;
    for (i, (name, desc)) in levels.iter().enumerate() {
        sqlx::query("INSERT INTO ladder_levels (tenant_id, position, name, description) VALUES ($1, $2, $3, $4)")
            .bind(tenant_id)
            .bind(i as i64 + 1)
            .bind(name)
            .bind(desc)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "kern/admin/ladder.html")]
struct LadderTpl {
    c: Chrome,
    base: String,
    rows: Vec<(String, String)>,
    errors: FieldErrors,
}

impl LadderTpl {
    fn name_field(&self, index: &usize) -> String {
        format!("name{index}")
    }
}

pub const LADDER_ROWS: usize = 7;

pub async fn ladder(State(state): State<AppState>, ctx: Ctx, a: Admin) -> AppResult<Response> {
    let mut rows: Vec<(String, String)> = ladder_of(&state.db, a.tenant.id)
        .await?
        .into_iter()
        .map(|l| (l.name, l.description))
        .collect();
    rows.resize(LADDER_ROWS, (String::new(), String::new()));
    render(&LadderTpl {
        c: chrome(&ctx, &a, "kern.admin.ladder.title"),
        base: base(&a),
        rows,
        errors: FieldErrors::new(),
    })
}

pub async fn ladder_save(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    form: Form,
) -> AppResult<Response> {
    let mut levels: Vec<(String, String)> = Vec::new();
    let mut v = Validator::new(&ctx, &form);
    if let Some(preset) = ladder_preset(&form.get("preset")) {
        levels = preset
            .into_iter()
            .map(|(n, d)| (n.to_string(), d.to_string()))
            .collect();
    } else {
        for i in 1..=LADDER_ROWS {
            let name = v.optional_text(&format!("name{i}"), 60);
            let desc = v.optional_text(&format!("desc{i}"), 500);
            if name.is_empty() && !desc.is_empty() {
                v.error(&format!("name{i}"), "kern.admin.ladder.name_needed");
            }
            if !name.is_empty() {
                levels.push((name, desc));
            }
        }
        if levels.len() < 2 {
            v.error("name1", "kern.admin.ladder.too_few");
        }
    }
    let errors = v.finish();
    if !errors.is_empty() {
        let mut rows: Vec<(String, String)> = (1..=LADDER_ROWS)
            .map(|i| (form.get(&format!("name{i}")), form.get(&format!("desc{i}"))))
            .collect();
        rows.truncate(LADDER_ROWS);
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &LadderTpl {
                c: chrome(&ctx, &a, "kern.admin.ladder.title"),
                base: base(&a),
                rows,
                errors,
            },
        );
    }
    let mut tx = state.db.begin().await?;
    apply_ladder(&mut tx, a.tenant.id, &levels).await?;
    let names: Vec<&str> = levels.iter().map(|(n, _)| n.as_str()).collect();
    audit::record(
        &mut tx,
        Some(a.tenant.id),
        Some(&a.user),
        "ladder.saved",
        "ladder",
        None,
        &format!("participatieladder: {}", names.join(" – ")),
    )
    .await?;
    tx.commit().await?;
    state.cache.invalidate_tenant(a.tenant.id);
    Ok(redirect_with_flash(
        &format!("{}/ladder", base(&a)),
        "kern.flash.saved",
    ))
}

// ---------- topics ----------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Topic {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

pub async fn topics_of(db: &crate::db::Db, tenant_id: i64) -> Result<Vec<Topic>, sqlx::Error> {
    sqlx::query_as("SELECT id, slug, name FROM topics WHERE tenant_id = $1 ORDER BY name")
        .bind(tenant_id)
        .fetch_all(db.pool())
        .await
}

pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for ch in s.to_lowercase().chars() {
        let c = match ch {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end_matches('-').chars().take(60).collect()
}

#[derive(Template)]
#[template(path = "kern/admin/topics.html")]
struct TopicsTpl {
    c: Chrome,
    base: String,
    topics: Vec<Topic>,
    errors: FieldErrors,
    name: String,
}

pub async fn topics(State(state): State<AppState>, ctx: Ctx, a: Admin) -> AppResult<Response> {
    render(&TopicsTpl {
        c: chrome(&ctx, &a, "kern.admin.topics.title"),
        base: base(&a),
        topics: topics_of(&state.db, a.tenant.id).await?,
        errors: FieldErrors::new(),
        name: String::new(),
    })
}

pub async fn topics_save(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    form: Form,
) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    if let Ok(del) = form.get("delete").parse::<i64>() {
        let used: i64 = crate::modules::topic_usage(&state, a.tenant.id, del).await?;
        if used > 0 {
            tx.rollback().await?;
            let mut errors = FieldErrors::new();
            errors.add("name", ctx.t("kern.admin.topics.in_use"));
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &TopicsTpl {
                    c: chrome(&ctx, &a, "kern.admin.topics.title"),
                    base: base(&a),
                    topics: topics_of(&state.db, a.tenant.id).await?,
                    errors,
                    name: String::new(),
                },
            );
        }
        sqlx::query("DELETE FROM topics WHERE id = $1 AND tenant_id = $2")
            .bind(del)
            .bind(a.tenant.id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            Some(a.tenant.id),
            Some(&a.user),
            "topic.deleted",
            "topic",
            Some(del),
            "thema verwijderd",
        )
        .await?;
    } else {
        let mut v = Validator::new(&ctx, &form);
        let name = v.text("name", 60);
        let slug = slugify(&name);
        if !name.is_empty() && slug.is_empty() {
            v.error("name", "kern.admin.topics.letters_needed");
        }
        let errors = v.finish();
        if errors.is_empty() {
            let r = sqlx::query("INSERT INTO topics (tenant_id, slug, name) VALUES ($1, $2, $3)")
                .bind(a.tenant.id)
                .bind(&slug)
                .bind(&name)
                .execute(&mut *tx)
                .await;
            match r {
                Ok(_) => {}
                Err(e) if crate::db::is_unique_violation(&e) => {
                    tx.rollback().await?;
                    let mut errors = FieldErrors::new();
                    errors.add("name", ctx.t("kern.admin.topics.exists"));
                    return render_status(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &TopicsTpl {
                            c: chrome(&ctx, &a, "kern.admin.topics.title"),
                            base: base(&a),
                            topics: topics_of(&state.db, a.tenant.id).await?,
                            errors,
                            name,
                        },
                    );
                }
                Err(e) => return Err(e.into()),
            }
            audit::record(
                &mut tx,
                Some(a.tenant.id),
                Some(&a.user),
                "topic.created",
                "topic",
                None,
                &format!("thema {name} toegevoegd"),
            )
            .await?;
        } else {
            tx.rollback().await?;
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &TopicsTpl {
                    c: chrome(&ctx, &a, "kern.admin.topics.title"),
                    base: base(&a),
                    topics: topics_of(&state.db, a.tenant.id).await?,
                    errors,
                    name,
                },
            );
        }
    }
    tx.commit().await?;
    state.cache.invalidate_tenant(a.tenant.id);
    Ok(redirect_with_flash(
        &format!("{}/themas", base(&a)),
        "kern.flash.saved",
    ))
}

// ---------- house style ----------

/// WCAG relative luminance of a `#rrggbb` colour.
pub fn luminance(hex: &str) -> Option<f64> {
    let h = hex.strip_prefix('#')?;
    if h.len() != 6 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let ch = |i: usize| -> Option<f64> {
        let v = u8::from_str_radix(&h[i..i + 2], 16).ok()? as f64 / 255.0;
        Some(if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        })
    };
    Some(0.2126 * ch(0)? + 0.7152 * ch(2)? + 0.0722 * ch(4)?)
}

/// WCAG contrast ratio between two colours.
pub fn contrast(a: &str, b: &str) -> Option<f64> {
    let (la, lb) = (luminance(a)?, luminance(b)?);
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

#[derive(Template)]
#[template(path = "kern/admin/theme.html")]
struct ThemeTpl {
    c: Chrome,
    base: String,
    primary: String,
    primary_text: String,
    accent: String,
    intro: String,
    errors: FieldErrors,
}

pub async fn theme(ctx: Ctx, a: Admin) -> AppResult<Response> {
    render(&ThemeTpl {
        c: chrome(&ctx, &a, "kern.admin.theme.title"),
        base: base(&a),
        primary: a.tenant.color_primary.clone(),
        primary_text: a.tenant.color_primary_text.clone(),
        accent: a.tenant.color_accent.clone(),
        intro: a.tenant.intro.clone(),
        errors: FieldErrors::new(),
    })
}

pub async fn theme_save(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    mp: MultipartForm,
) -> AppResult<Response> {
    let form = &mp.form;
    let mut v = Validator::new(&ctx, form);
    let primary = form.get("primary").to_lowercase();
    let primary_text = form.get("primary_text").to_lowercase();
    let accent = form.get("accent").to_lowercase();
    let intro = v.optional_text("intro", 2000);
    for (field, val) in [
        ("primary", &primary),
        ("primary_text", &primary_text),
        ("accent", &accent),
    ] {
        if luminance(val).is_none() {
            v.error(field, "kern.admin.theme.bad_colour");
        }
    }
    if let (Some(c1), Some(c2)) = (
        contrast(&primary, &primary_text),
        contrast(&primary, "#ffffff"),
    ) {
        if c1 < 4.5 {
            v.error("primary_text", "kern.admin.theme.low_contrast_text");
        }
        if c2 < 4.5 {
            v.error("primary", "kern.admin.theme.low_contrast_white");
        }
    }
    if let Some(c3) = contrast(&accent, "#ffffff")
        && c3 < 3.0
    {
        v.error("accent", "kern.admin.theme.low_contrast_accent");
    }
    let logo = mp.file("logo");
    if let Some(l) = logo {
        let ok =
            l.bytes.starts_with(b"\x89PNG\r\n\x1a\n") || l.bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
        if !ok {
            v.error("logo", "kern.admin.theme.logo_type");
        } else if l.bytes.len() > 500_000 {
            v.error("logo", "kern.admin.theme.logo_size");
        }
    }
    let errors = v.finish();
    if !errors.is_empty() {
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ThemeTpl {
                c: chrome(&ctx, &a, "kern.admin.theme.title"),
                base: base(&a),
                primary,
                primary_text,
                accent,
                intro,
                errors,
            },
        );
    }
    let mut tx = state.db.begin().await?;
    let mut logo_id = a.tenant.logo_file_id;
    if let Some(l) = logo {
        logo_id = super::pages::store_image(&mut tx, a.tenant.id, &l.filename, &l.bytes).await?;
    }
    if form.checked("remove_logo") {
        logo_id = None;
    }
    sqlx::query(
        "UPDATE tenants SET color_primary = $1, color_primary_text = $2, color_accent = $3, \
         intro = $4, logo_file_id = $5 WHERE id = $6",
    )
    .bind(&primary)
    .bind(&primary_text)
    .bind(&accent)
    .bind(&intro)
    .bind(logo_id)
    .bind(a.tenant.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(a.tenant.id),
        Some(&a.user),
        "theme.saved",
        "tenant",
        Some(a.tenant.id),
        &format!("huisstijl: {primary} / {primary_text} / {accent}"),
    )
    .await?;
    tx.commit().await?;
    state.tenants.invalidate();
    Ok(redirect_with_flash(
        &format!("{}/huisstijl", base(&a)),
        "kern.flash.saved",
    ))
}

// ---------- audit log, outbox, jobs ----------

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    voor: Option<String>,
    #[serde(default)]
    actie: String,
}

#[derive(Template)]
#[template(path = "kern/admin/audit.html")]
struct AuditTpl {
    c: Chrome,
    base: String,
    entries: Vec<(audit::AuditEntry, String)>,
    next: Option<i64>,
    action: String,
}

pub async fn audit_log(
    State(state): State<AppState>,
    ctx: Ctx,
    a: Admin,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let before = q.voor.as_deref().and_then(|v| v.parse::<i64>().ok());
    let action: String = q.actie.chars().take(60).collect();
    let entries = audit::page(&state.db, a.tenant.id, before, Some(&action)).await?;
    let next = if entries.len() as i64 == audit::PAGE_SIZE {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let entries = entries
        .into_iter()
        .map(|e| {
            let when = fmt_datetime(ctx.lang, e.at);
            (e, when)
        })
        .collect();
    render(&AuditTpl {
        c: chrome(&ctx, &a, "kern.admin.audit.title"),
        base: base(&a),
        entries,
        next,
        action,
    })
}

#[derive(Template)]
#[template(path = "kern/admin/outbox.html")]
struct OutboxTpl {
    c: Chrome,
    messages: Vec<(mail::OutboxMessage, String)>,
    smtp: bool,
}

pub async fn outbox(State(state): State<AppState>, ctx: Ctx, a: Admin) -> AppResult<Response> {
    let messages = mail::recent(&state, a.tenant.id)
        .await?
        .into_iter()
        .map(|m| {
            let when = fmt_datetime(ctx.lang, m.created_at);
            (m, when)
        })
        .collect();
    render(&OutboxTpl {
        c: chrome(&ctx, &a, "kern.admin.outbox.title"),
        messages,
        smtp: state.config.smtp_url.is_some(),
    })
}

#[derive(Template)]
#[template(path = "kern/admin/jobs.html")]
struct JobsTpl {
    c: Chrome,
    jobs: Vec<(JobStatus, String, String)>,
    slug: String,
}

pub async fn jobs(State(state): State<AppState>, ctx: Ctx, a: Admin) -> AppResult<Response> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM jobs WHERE tenant_id = $1 ORDER BY id DESC LIMIT 50")
            .bind(a.tenant.id)
            .fetch_all(state.db.pool())
            .await?;
    let mut list = Vec::new();
    for id in ids {
        if let Some(j) = state.jobs.status(id).await? {
            let when = fmt_datetime(ctx.lang, j.created_at);
            let label = ctx.t(&super::pages::job_label_key(&j.kind)).to_string();
            list.push((j, when, label));
        }
    }
    render(&JobsTpl {
        c: chrome(&ctx, &a, "kern.admin.jobs.title"),
        jobs: list,
        slug: a.tenant.slug.clone(),
    })
}

pub fn tenant_name(t: &tenants::Tenant) -> &str {
    &t.name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        assert!((contrast("#000000", "#ffffff").unwrap() - 21.0).abs() < 1e-9);
        assert!(contrast("#777777", "#ffffff").unwrap() < 4.5);
        assert!(contrast("#00548a", "#ffffff").unwrap() > 4.5);
        assert!(luminance("red").is_none());
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Groen & Spelen"), "groen-spelen");
        assert_eq!(slugify("Café-terrassen"), "cafe-terrassen");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn area_import_is_validated_completely() {
        let ok = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"statcode":"WK039201","statnaam":"Oude Stad"},"geometry":{"type":"Polygon","coordinates":[[[4.6,52.3],[4.7,52.3],[4.7,52.4],[4.6,52.3]]]}}]}"#;
        let v = parse_areas_geojson(ok, Some("GM0392")).unwrap();
        assert_eq!(v[0].kind, "wijk");
        assert_eq!(v[0].parent_code.as_deref(), Some("GM0392"));
        let bad = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"statcode":"XX1","statnaam":"a"},"geometry":null},
          {"type":"Feature","properties":{"statcode":"WK047901","statnaam":"Elders"},"geometry":null},
          {"type":"Feature","properties":{"statcode":"WK039202"},"geometry":null}]}"#;
        let errs = parse_areas_geojson(bad, Some("GM0392")).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(parse_areas_geojson("<script>alert(1)</script>", None).is_err());
    }
}
