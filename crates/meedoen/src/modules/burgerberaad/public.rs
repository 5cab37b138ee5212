//! Residents' pages: the assembly's page with its recommendations and responses,
//! registration with the personal code, withdrawal, and the public transparency page of
//! the panel selection with the files to replay it.

use super::features::{self, FEATURES};
use super::invite;
use super::selection;
use super::store::{self, Assembly};
use super::{fmt_pct, value_label};
use crate::db::{is_unique_violation, now};
use crate::modules::kern::{audit, mail, ratelimit};
use crate::web::AppState;
use crate::web::access::TenantCtx;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{FieldErrors, Form, Validator};
use crate::web::i18n::tf;
use crate::web::page::{Chrome, fmt_date, render, render_status};
use crate::web::security::{random_token, sha256_hex};
use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::net::SocketAddr;

pub(super) fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

async fn load(state: &AppState, tenant: &TenantCtx, id: &str) -> AppResult<Assembly> {
    let id = path_id(id)?;
    store::get(&state.db, tenant.id, id)
        .await?
        .filter(|a| a.status != "concept")
        .ok_or(AppError::NotFound)
}

// ---------- list and page ----------

pub struct Card {
    pub a: Assembly,
    pub status: &'static str,
    pub period: String,
}

#[derive(Template)]
#[template(path = "burgerberaad/list.html")]
struct ListTpl {
    c: Chrome,
    base: String,
    cards: Vec<Card>,
}

fn card(ctx: &Ctx, a: Assembly) -> Card {
    Card {
        status: ctx.t(&format!("burgerberaad.public_status.{}", public_status(&a))),
        period: format!(
            "{} – {}",
            fmt_date(ctx.lang, &a.starts_on),
            fmt_date(ctx.lang, &a.ends_on)
        ),
        a,
    }
}

fn public_status(a: &Assembly) -> &'static str {
    match a.status.as_str() {
        "uitgenodigd" if a.registration_open(&today()) => "aanmelden",
        "uitgenodigd" => "loting",
        "geselecteerd" => "bezig",
        _ => "afgerond",
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
) -> AppResult<Response> {
    let cards = store::list(&state.db, tenant.id, true)
        .await?
        .into_iter()
        .map(|a| card(&ctx, a))
        .collect();
    render(&ListTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), ctx.t("burgerberaad.public.title")),
        base: format!("/{}/burgerberaad", tenant.slug),
        cards,
    })
}

#[derive(Template)]
#[template(path = "burgerberaad/show.html")]
struct ShowTpl {
    c: Chrome,
    a: Assembly,
    base: String,
    status: &'static str,
    period: String,
    deadline: String,
    open: bool,
    members: i64,
    meetings: Vec<(String, String, String)>,
    recs: Vec<store::Recommendation>,
    trajectory_href: String,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &tenant, &id).await?;
    let members: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ba_registrations WHERE assembly_id = $1 AND panel_status = 'lid'",
    )
    .bind(a.id)
    .fetch_one(state.db.pool())
    .await?;
    let meetings = store::meetings(&state.db, a.id)
        .await?
        .into_iter()
        .map(|m| (fmt_date(ctx.lang, &m.held_on), m.title, m.place))
        .collect();
    render(&ShowTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), a.title.clone()),
        base: format!("/{}/burgerberaad/{}", tenant.slug, a.id),
        status: ctx.t(&format!("burgerberaad.public_status.{}", public_status(&a))),
        period: format!(
            "{} – {}",
            fmt_date(ctx.lang, &a.starts_on),
            fmt_date(ctx.lang, &a.ends_on)
        ),
        deadline: fmt_date(ctx.lang, &a.registration_deadline),
        open: a.registration_open(&today()),
        members,
        meetings,
        recs: store::recommendations(&state.db, a.id, true).await?,
        trajectory_href: format!("/{}/trajecten/{}", tenant.slug, a.trajectory_id),
        a,
    })
}

// ---------- registration ----------

pub struct Choice {
    pub key: &'static str,
    pub label: &'static str,
    pub options: Vec<(String, String)>,
    pub chosen: String,
}

#[derive(Template)]
#[template(path = "burgerberaad/register.html")]
struct RegisterTpl {
    c: Chrome,
    a: Assembly,
    action: String,
    open: bool,
    deadline: String,
    period: String,
    errors: FieldErrors,
    choices: Vec<Choice>,
    code: String,
    name: String,
    email: String,
    phone: String,
    availability: String,
    available: bool,
    consent: bool,
}

fn self_reported(a: &Assembly) -> Vec<&'static features::FeatureDef> {
    let chosen = a.feature_list();
    FEATURES
        .iter()
        .filter(|f| f.self_reported && chosen.iter().any(|c| c == f.key))
        .collect()
}

fn register_page(
    ctx: &Ctx,
    tenant: &TenantCtx,
    a: Assembly,
    form: Option<&Form>,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let get = |n: &str| form.map(|f| f.get(n)).unwrap_or_default();
    let choices = self_reported(&a)
        .into_iter()
        .map(|f| Choice {
            key: f.key,
            label: ctx.t(&format!("burgerberaad.ask.{}", f.key)),
            options: f
                .values
                .iter()
                .map(|v| {
                    (
                        v.to_string(),
                        value_label(ctx.lang, f.key, v, &BTreeMap::new()),
                    )
                })
                .collect(),
            chosen: get(&format!("f_{}", f.key)),
        })
        .collect();
    let tpl = RegisterTpl {
        c: Chrome::new(ctx, Some(&tenant.0), ctx.t("burgerberaad.register.title")),
        action: format!("/{}/burgerberaad/{}/aanmelden", tenant.slug, a.id),
        open: a.registration_open(&today()),
        deadline: fmt_date(ctx.lang, &a.registration_deadline),
        period: format!(
            "{} – {}",
            fmt_date(ctx.lang, &a.starts_on),
            fmt_date(ctx.lang, &a.ends_on)
        ),
        errors,
        choices,
        code: get("code"),
        name: get("name"),
        email: get("email"),
        phone: get("phone"),
        availability: get("availability"),
        available: form.is_some_and(|f| f.checked("available")),
        consent: form.is_some_and(|f| f.checked("consent")),
        a,
    };
    render_status(status, &tpl)
}

pub async fn register_form(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &tenant, &id).await?;
    register_page(&ctx, &tenant, a, None, FieldErrors::new(), StatusCode::OK)
}

/// Failed code attempts per client per 10 minutes before further attempts are refused.
const CODE_ATTEMPTS: i64 = 20;

async fn too_many_failures(state: &AppState, bucket: &str) -> AppResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM rate_events WHERE bucket = $1 AND at > $2")
            .bind(bucket)
            .bind(now() - 600)
            .fetch_one(state.db.pool())
            .await?;
    Ok(n >= CODE_ATTEMPTS)
}

#[derive(Template)]
#[template(path = "burgerberaad/registered.html")]
struct RegisteredTpl {
    c: Chrome,
    a: Assembly,
    withdraw_href: String,
    email: String,
}

pub async fn register_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let a = load(&state, &tenant, &id).await?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !a.registration_open(&today()) {
        let mut e = FieldErrors::new();
        e.add("code", ctx.t("burgerberaad.register.err.closed"));
        return register_page(&ctx, &tenant, a, Some(&form), e, unprocessable);
    }
    let bucket = format!(
        "bb-code:{}",
        ratelimit::client_key(&state.secret, &addr.ip().to_string())
    );
    if too_many_failures(&state, &bucket).await? {
        return Err(AppError::TooMany);
    }
    let mut v = Validator::new(&ctx, &form);
    let code = v.text("code", 40);
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for f in self_reported(&a) {
        let field = format!("f_{}", f.key);
        if let Some(x) = v.choice(&field, f.values, true) {
            values.insert(f.key.to_string(), x);
        }
    }
    let name = v.text("name", 200);
    let email = v.email("email");
    let phone = v.optional_text("phone", 40);
    let availability = v.optional_text("availability", 1000);
    if !form.checked("available") {
        v.error("available", "burgerberaad.register.err.available");
    }
    if !form.checked("consent") {
        v.error("consent", "burgerberaad.register.err.consent");
    }
    // The code last, so its message is the one the visitor sees first when it is wrong.
    let invitation: Option<(i64, String, i64)> = if code.is_empty() {
        None
    } else {
        sqlx::query_as(
            "SELECT id, wijk_code, used FROM ba_invitations WHERE code_hash = $1 AND assembly_id = $2",
        )
        .bind(invite::code_hash(&code))
        .bind(a.id)
        .fetch_optional(state.db.pool())
        .await?
    };
    match &invitation {
        None if !code.is_empty() => {
            ratelimit::allow(&state.db, &bucket, CODE_ATTEMPTS, 600).await?;
            v.error("code", "burgerberaad.register.err.unknown_code");
        }
        Some((_, _, used)) if *used != 0 => {
            v.error("code", "burgerberaad.register.err.code_used");
        }
        _ => {}
    }
    let errors = v.finish();
    if !errors.is_empty() {
        return register_page(&ctx, &tenant, a, Some(&form), errors, unprocessable);
    }
    let Some((inv_id, wijk, _)) = invitation else {
        return Err(AppError::BadRequest("code".into()));
    };
    if a.feature_list().iter().any(|f| f == "wijk") {
        values.insert("wijk".into(), wijk);
    }
    let token = random_token();
    let t = now();
    let mut tx = state.db.begin().await?;
    let claimed = sqlx::query("UPDATE ba_invitations SET used = 1 WHERE id = $1 AND used = 0")
        .bind(inv_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if claimed == 0 {
        tx.rollback().await?;
        let mut e = FieldErrors::new();
        e.add("code", ctx.t("burgerberaad.register.err.code_used"));
        return register_page(&ctx, &tenant, a, Some(&form), e, unprocessable);
    }
    let inserted = sqlx::query(
        "INSERT INTO ba_registrations (assembly_id, invitation_id, features, availability, name, email, \
         phone, consent_at, withdraw_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)",
    )
    .bind(a.id)
    .bind(inv_id)
    .bind(serde_json::to_string(&values).unwrap_or_default())
    .bind(&availability)
    .bind(&name)
    .bind(&email)
    .bind(&phone)
    .bind(t)
    .bind(sha256_hex(token.as_bytes()))
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            tx.rollback().await?;
            let mut e = FieldErrors::new();
            e.add("code", ctx.t("burgerberaad.register.err.code_used"));
            return register_page(&ctx, &tenant, a, Some(&form), e, unprocessable);
        }
        Err(e) => return Err(e.into()),
    }
    let withdraw_href = format!("/{}/burgerberaad/{}/afmelden/{token}", tenant.slug, a.id);
    let body = tf(
        ctx.lang,
        "burgerberaad.mail.registered_body",
        &[
            ("title", &a.title),
            (
                "link",
                &format!(
                    "{}{withdraw_href}",
                    state.config.public_url.trim_end_matches('/')
                ),
            ),
        ],
    );
    mail::queue(
        &mut tx,
        Some(tenant.id),
        &email,
        ctx.t("burgerberaad.mail.registered_subject"),
        &body,
    )
    .await?;
    tx.commit().await?;
    render(&RegisteredTpl {
        c: Chrome::new(
            &ctx,
            Some(&tenant.0),
            ctx.t("burgerberaad.registered.title"),
        ),
        withdraw_href,
        email,
        a,
    })
}

// ---------- withdrawal ----------

#[derive(Template)]
#[template(path = "burgerberaad/withdraw.html")]
struct WithdrawTpl {
    c: Chrome,
    a: Assembly,
    action: String,
    token: String,
    link_invalid: bool,
    errors: FieldErrors,
    done: bool,
}

#[allow(clippy::too_many_arguments)]
fn withdraw_page(
    ctx: &Ctx,
    tenant: &TenantCtx,
    a: Assembly,
    token: String,
    link_invalid: bool,
    errors: FieldErrors,
    done: bool,
    status: StatusCode,
) -> AppResult<Response> {
    render_status(
        status,
        &WithdrawTpl {
            c: Chrome::new(ctx, Some(&tenant.0), ctx.t("burgerberaad.withdraw.title")),
            action: format!("/{}/burgerberaad/{}/afmelden", tenant.slug, a.id),
            a,
            token,
            link_invalid,
            errors,
            done,
        },
    )
}

async fn by_token(state: &AppState, a: &Assembly, token: &str) -> AppResult<Option<i64>> {
    if token.is_empty() {
        return Ok(None);
    }
    Ok(sqlx::query_scalar(
        "SELECT id FROM ba_registrations WHERE assembly_id = $1 AND withdraw_hash = $2 AND status = 'aangemeld'",
    )
    .bind(a.id)
    .bind(sha256_hex(token.as_bytes()))
    .fetch_optional(state.db.pool())
    .await?)
}

pub async fn withdraw_form(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &tenant, &id).await?;
    withdraw_page(
        &ctx,
        &tenant,
        a,
        String::new(),
        false,
        FieldErrors::new(),
        false,
        StatusCode::OK,
    )
}

pub async fn withdraw_link(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id, token)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &tenant, &id).await?;
    let valid = by_token(&state, &a, &token).await?.is_some();
    let token = if valid { token } else { String::new() };
    withdraw_page(
        &ctx,
        &tenant,
        a,
        token,
        !valid,
        FieldErrors::new(),
        false,
        StatusCode::OK,
    )
}

pub async fn withdraw_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let a = load(&state, &tenant, &id).await?;
    let token = form.get("token");
    let mut reg = by_token(&state, &a, &token).await?;
    let mut errors = FieldErrors::new();
    if reg.is_none() {
        let bucket = format!(
            "bb-code:{}",
            ratelimit::client_key(&state.secret, &addr.ip().to_string())
        );
        if too_many_failures(&state, &bucket).await? {
            return Err(AppError::TooMany);
        }
        let code = form.get("code");
        if code.is_empty() {
            errors.add("code", ctx.t("kern.validation.required"));
        } else {
            let found: Option<(i64, String)> = sqlx::query_as(
                "SELECT r.id, r.status FROM ba_registrations r JOIN ba_invitations i ON i.id = r.invitation_id \
                 WHERE i.code_hash = $1 AND r.assembly_id = $2",
            )
            .bind(invite::code_hash(&code))
            .bind(a.id)
            .fetch_optional(state.db.pool())
            .await?;
            match found {
                Some((rid, st)) if st == "aangemeld" => reg = Some(rid),
                Some(_) => errors.add("code", ctx.t("burgerberaad.withdraw.err.already")),
                None => {
                    ratelimit::allow(&state.db, &bucket, CODE_ATTEMPTS, 600).await?;
                    errors.add("code", ctx.t("burgerberaad.withdraw.err.unknown"));
                }
            }
        }
    }
    let Some(reg) = reg else {
        return withdraw_page(
            &ctx,
            &tenant,
            a,
            String::new(),
            false,
            errors,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE ba_registrations SET status = 'ingetrokken', withdrawn_at = $1, withdraw_hash = '' \
         WHERE id = $2 AND status = 'aangemeld'",
    )
    .bind(now())
    .bind(reg)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(tenant.id),
        None,
        "burgerberaad.withdrawn",
        "ba_assembly",
        Some(a.id),
        &format!("aanmelding {reg} ingetrokken door de inwoner"),
    )
    .await?;
    tx.commit().await?;
    withdraw_page(
        &ctx,
        &tenant,
        a,
        String::new(),
        false,
        FieldErrors::new(),
        true,
        StatusCode::OK,
    )
}

// ---------- transparency ----------

pub struct RangeRow {
    pub feature: String,
    pub value: String,
    pub quota: String,
    pub pool: usize,
    pub on_panel: usize,
    pub range: String,
}

#[derive(Template)]
#[template(path = "burgerberaad/transparency.html")]
struct TransparencyTpl {
    c: Chrome,
    a: Assembly,
    base: String,
    sel: Option<store::Selection>,
    algorithm: &'static str,
    ranges: Vec<RangeRow>,
    panel_ids: Vec<String>,
    overall: String,
    command: String,
    drawn: i64,
}

pub async fn transparency(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &tenant, &id).await?;
    let sel = if a.is_published() {
        store::selection(&state.db, a.id).await?
    } else {
        None
    };
    let mut ranges = Vec::new();
    let mut overall = String::new();
    let mut command = String::new();
    let mut panel_ids = Vec::new();
    let mut algorithm = "";
    if let Some(s) = &sel {
        let quotas = store::quotas(&state.db, a.id).await?;
        let regs = store::registrations(&state.db, a.id).await?;
        let names = store::wijk_names(&state.db, tenant.id).await?;
        panel_ids = s.panel_ids();
        for (f, v, mn, mx, n) in selection::ranges(&quotas, &regs) {
            let q = quotas
                .iter()
                .find(|q| q.feature == f && q.value == v)
                .map(|q| format!("{}–{}", q.min_seats, q.max_seats))
                .unwrap_or_default();
            let on_panel = regs
                .iter()
                .filter(|r| panel_ids.contains(&r.pool_id) && r.value(&f) == v)
                .count();
            ranges.push(RangeRow {
                feature: ctx.t(&format!("burgerberaad.feature.{f}")).to_string(),
                value: value_label(ctx.lang, &f, &v, &names),
                quota: q,
                pool: n,
                on_panel,
                range: if n == 0 {
                    "–".into()
                } else if (mx - mn).abs() < 5e-4 {
                    fmt_pct(mn)
                } else {
                    format!("{} – {}", fmt_pct(mn), fmt_pct(mx))
                },
            });
        }
        let ps: Vec<f64> = regs
            .iter()
            .filter(|r| !r.pool_id.is_empty())
            .filter_map(|r| r.probability)
            .collect();
        let mn = ps.iter().copied().fold(f64::INFINITY, f64::min);
        let mx = ps.iter().copied().fold(0.0, f64::max);
        overall = if ps.is_empty() {
            String::new()
        } else {
            format!("{} – {}", fmt_pct(mn), fmt_pct(mx))
        };
        command = format!(
            "meedoen sortition select --categories categorieen.csv --people deelnemers.csv --panel-size {} --algorithm {} --seed {}",
            a.panel_size, s.algorithm, s.seed
        );
        algorithm = ctx.t(&format!("burgerberaad.algorithm.{}", s.algorithm));
    }
    render(&TransparencyTpl {
        c: Chrome::new(
            &ctx,
            Some(&tenant.0),
            ctx.t("burgerberaad.transparency.title"),
        ),
        base: format!("/{}/burgerberaad/{}", tenant.slug, a.id),
        drawn: sel.as_ref().map(|s| s.drawn + 1).unwrap_or(0),
        sel,
        algorithm,
        ranges,
        panel_ids,
        overall,
        command,
        a,
    })
}

async fn published_selection(
    state: &AppState,
    tenant: &TenantCtx,
    id: &str,
) -> AppResult<(Assembly, store::Selection)> {
    let a = load(state, tenant, id).await?;
    if !a.is_published() {
        return Err(AppError::NotFound);
    }
    let s = store::selection(&state.db, a.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((a, s))
}

fn csv_response(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn categories_csv(
    State(state): State<AppState>,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (_, s) = published_selection(&state, &tenant, &id).await?;
    Ok(csv_response("categorieen.csv", s.categories_csv))
}

pub async fn people_csv(
    State(state): State<AppState>,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (_, s) = published_selection(&state, &tenant, &id).await?;
    Ok(csv_response("deelnemers.csv", s.people_csv))
}

// ---------- home page block ----------

#[derive(Template)]
#[template(path = "burgerberaad/home_section.html")]
struct HomeTpl<'a> {
    c: &'a Ctx,
    base: String,
    cards: Vec<Card>,
}

impl HomeTpl<'_> {
    fn t(&self, key: &str) -> &'static str {
        self.c.t(key)
    }
}

pub async fn home_section(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
) -> AppResult<crate::modules::kern::pages::HomeSection> {
    let mut cards: Vec<Card> = store::list(&state.db, tenant.id, true)
        .await?
        .into_iter()
        .map(|a| card(ctx, a))
        .collect();
    cards.truncate(3);
    let html = HomeTpl {
        c: ctx,
        base: format!("/{}/burgerberaad", tenant.slug),
        cards,
    }
    .render()?;
    Ok(crate::modules::kern::pages::HomeSection { html })
}
