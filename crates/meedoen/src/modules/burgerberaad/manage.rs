//! The civil servant's pages: set up an assembly with quotas from CBS figures, import
//! the register and draw the invitations, follow the response, run the panel selection,
//! publish it, replace members, record meetings, recommendations and responses, finish.

use super::draw::{self, Problem};
use super::features::{self, FEATURES, QuotaRow};
use super::invite;
use super::retention;
use super::selection::{self, ReplaceError};
use super::store::{self, Assembly, Quota, Registration};
use super::{fmt_pct, value_label};
use crate::db::now;
use crate::modules::kern::areas;
use crate::modules::kern::audit;
use crate::web::AppState;
use crate::web::access::{Authorized, ManageParticipation};
use crate::web::ctx::{Ctx, redirect_with_flash};
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{FieldErrors, Form, MultipartForm, Validator};
use crate::web::i18n::{Lang, tf};
use crate::web::page::{Chrome, fmt_date, fmt_int, render, render_status};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;

pub type Staff = Authorized<ManageParticipation>;

pub fn base(s: &Staff) -> String {
    format!("/{}/beheer/burgerberaad", s.tenant.slug)
}

async fn load(state: &AppState, s: &Staff, id: &str) -> AppResult<Assembly> {
    store::get(&state.db, s.tenant.id, path_id(id)?)
        .await?
        .ok_or(AppError::NotFound)
}

fn conflict(ctx: &Ctx, key: &str) -> AppError {
    AppError::Conflict(ctx.t(key).to_string())
}

// ---------- overview ----------

pub struct IndexRow {
    pub a: Assembly,
    pub status: &'static str,
    pub registered: i64,
}

#[derive(Template)]
#[template(path = "burgerberaad/manage/index.html")]
struct IndexTpl {
    c: Chrome,
    base: String,
    rows: Vec<IndexRow>,
}

pub async fn index(State(state): State<AppState>, ctx: Ctx, s: Staff) -> AppResult<Response> {
    let list = store::list(&state.db, s.tenant.id, false).await?;
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.assembly_id, COUNT(*) FROM ba_registrations r JOIN ba_assemblies a ON a.id = r.assembly_id \
         WHERE a.tenant_id = $1 AND r.status = 'aangemeld' GROUP BY r.assembly_id",
    )
    .bind(s.tenant.id)
    .fetch_all(state.db.pool())
    .await?;
    let rows = list
        .into_iter()
        .map(|a| IndexRow {
            status: ctx.t(&a.status_key()),
            registered: counts
                .iter()
                .find(|(id, _)| *id == a.id)
                .map(|(_, n)| *n)
                .unwrap_or(0),
            a,
        })
        .collect();
    render(&IndexTpl {
        c: Chrome::new(&ctx, Some(&s.tenant), ctx.t("burgerberaad.manage.title")),
        base: base(&s),
        rows,
    })
}

// ---------- new assembly ----------

pub struct FeatureChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "burgerberaad/manage/new.html")]
struct NewTpl {
    c: Chrome,
    action: String,
    errors: FieldErrors,
    trajectories: Vec<(i64, String)>,
    trajectory_id: String,
    title: String,
    question: String,
    panel_size: String,
    invite_count: String,
    registration_deadline: String,
    starts_on: String,
    ends_on: String,
    consent_text: String,
    retention_days: String,
    features: Vec<FeatureChoice>,
}

async fn trajectories(state: &AppState, tenant_id: i64) -> AppResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, title FROM trajectories WHERE tenant_id = $1 AND status <> 'gesloten' ORDER BY title",
    )
    .bind(tenant_id)
    .fetch_all(state.db.pool())
    .await?)
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    s: &Staff,
    form: Option<&Form>,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let v = |name: &str, default: &str| -> String {
        form.map(|f| f.get(name))
            .unwrap_or_else(|| default.to_string())
    };
    let chosen: Vec<String> = match form {
        Some(f) => f.all("features"),
        None => vec![
            "geslacht".into(),
            "leeftijd".into(),
            "opleiding".into(),
            "wijk".into(),
        ],
    };
    let tpl = NewTpl {
        c: Chrome::new(ctx, Some(&s.tenant), ctx.t("burgerberaad.new.title")),
        action: format!("{}/nieuw", base(s)),
        errors,
        trajectories: trajectories(state, s.tenant.id).await?,
        trajectory_id: v("trajectory_id", ""),
        title: v("title", ""),
        question: v("question", ""),
        panel_size: v("panel_size", "30"),
        invite_count: v("invite_count", "1000"),
        registration_deadline: v("registration_deadline", ""),
        starts_on: v("starts_on", ""),
        ends_on: v("ends_on", ""),
        consent_text: v("consent_text", ctx.t("burgerberaad.new.consent_default")),
        retention_days: v("retention_days", "90"),
        features: FEATURES
            .iter()
            .map(|f| FeatureChoice {
                key: f.key,
                label: ctx.t(&format!("burgerberaad.feature.{}", f.key)),
                hint: ctx.t(&format!("burgerberaad.feature_hint.{}", f.key)),
                checked: chosen.iter().any(|c| c == f.key),
            })
            .collect(),
    };
    render_status(status, &tpl)
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx, s: Staff) -> AppResult<Response> {
    new_page(&state, &ctx, &s, None, FieldErrors::new(), StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    form: Form,
) -> AppResult<Response> {
    let mut v = Validator::new(&ctx, &form);
    let title = v.text("title", 200);
    let question = v.text("question", 2000);
    let panel_size = v.integer("panel_size", 5, 1000, true);
    let invite_count = v.integer("invite_count", 5, 200_000, true);
    let deadline = v.date("registration_deadline", true);
    let starts = v.date("starts_on", true);
    let ends = v.date("ends_on", true);
    let consent = v.text("consent_text", 4000);
    let retention_days = v.integer("retention_days", 0, 3650, true);
    let traj = v.integer("trajectory_id", 1, i64::MAX, true);
    let chosen: Vec<String> = form
        .all("features")
        .into_iter()
        .filter(|f| features::def(f).is_some())
        .collect();
    if chosen.is_empty() {
        v.error("features", "burgerberaad.new.err.features");
    }
    if let (Some(p), Some(i)) = (panel_size, invite_count)
        && i < p
    {
        v.error("invite_count", "burgerberaad.new.err.invites_below_size");
    }
    if let (Some(d), Some(st)) = (deadline, starts)
        && d >= st
    {
        v.error(
            "registration_deadline",
            "burgerberaad.new.err.deadline_order",
        );
    }
    if let (Some(st), Some(en)) = (starts, ends)
        && en < st
    {
        v.error("ends_on", "burgerberaad.new.err.end_order");
    }
    if let Some(t) = traj {
        let known = trajectories(&state, s.tenant.id)
            .await?
            .iter()
            .any(|(id, _)| *id == t);
        if !known {
            v.error("trajectory_id", "kern.validation.choose");
        }
    }
    let errors = v.finish();
    if !errors.is_empty() {
        return new_page(
            &state,
            &ctx,
            &s,
            Some(&form),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (size, traj) = (panel_size.unwrap_or(0), traj.unwrap_or(0));
    let rows = proposal(&state, s.tenant.id, size, &chosen, &BTreeMap::new()).await?;
    let t = now();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ba_assemblies (tenant_id, trajectory_id, title, question, panel_size, invite_count, \
         registration_deadline, starts_on, ends_on, features, consent_text, retention_days, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
         RETURNING id",
    )
    .bind(s.tenant.id)
    .bind(traj)
    .bind(&title)
    .bind(&question)
    .bind(size)
    .bind(invite_count.unwrap_or(0))
    .bind(deadline.map(|d| d.to_string()).unwrap_or_default())
    .bind(starts.map(|d| d.to_string()).unwrap_or_default())
    .bind(ends.map(|d| d.to_string()).unwrap_or_default())
    .bind(serde_json::to_string(&chosen).unwrap_or_default())
    .bind(&consent)
    .bind(retention_days.unwrap_or(90))
    .bind(s.user.id)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    store::replace_quotas(&mut tx, id, &rows).await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "burgerberaad.created",
        "ba_assembly",
        Some(id),
        "burgerberaad aangemaakt met quotavoorstel uit CBS-cijfers",
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/{id}/quota", base(&s)),
        "burgerberaad.flash.created",
    ))
}

/// Quotas proposed from the kern's CBS figures; `entered` (feature, value) → population
/// fills in figures the kern does not have.
async fn proposal(
    state: &AppState,
    tenant_id: i64,
    size: i64,
    chosen: &[String],
    entered: &BTreeMap<(String, String), i64>,
) -> AppResult<Vec<QuotaRow>> {
    let all = areas::of_tenant(&state.db, tenant_id, None).await?;
    let gemeente = all.iter().find(|a| a.kind == "gemeente");
    let wijken: Vec<areas::Area> = all.iter().filter(|a| a.kind == "wijk").cloned().collect();
    let mut rows = Vec::new();
    for f in chosen {
        let mut vals = features::population(f, gemeente, &wijken);
        for (value, _, pop) in vals.iter_mut() {
            if let Some(p) = entered.get(&(f.clone(), value.clone())) {
                *pop = Some(*p);
            }
        }
        rows.extend(features::propose(size, &vals, f));
    }
    Ok(rows)
}

// ---------- quotas ----------

pub struct QuotaInput {
    pub i: usize,
    pub label: String,
    pub population: String,
    pub min: String,
    pub max: String,
}

pub struct QuotaGroup {
    pub feature: String,
    pub label: &'static str,
    pub missing: bool,
    pub rows: Vec<QuotaInput>,
}

#[derive(Template)]
#[template(path = "burgerberaad/manage/quota.html")]
struct QuotaTpl {
    c: Chrome,
    a: Assembly,
    base: String,
    errors: FieldErrors,
    groups: Vec<QuotaGroup>,
    editable: bool,
}

impl QuotaTpl {
    fn err(&self, i: &usize, field: &str) -> Option<&str> {
        self.errors.get(&format!("q{i}_{field}"))
    }
}

fn quota_groups(
    lang: Lang,
    features: &[String],
    quotas: &[Quota],
    wijk_names: &BTreeMap<String, String>,
    typed: Option<&Form>,
) -> Vec<QuotaGroup> {
    features
        .iter()
        .map(|f| {
            let rows: Vec<QuotaInput> = quotas
                .iter()
                .enumerate()
                .filter(|(_, q)| &q.feature == f)
                .map(|(i, q)| {
                    let typed_or = |field: &str, stored: String| match typed {
                        Some(form) => form.get(&format!("q{i}_{field}")),
                        None => stored,
                    };
                    QuotaInput {
                        i,
                        label: value_label(lang, f, &q.value, wijk_names),
                        population: typed_or(
                            "pop",
                            q.population.map(|p| p.to_string()).unwrap_or_default(),
                        ),
                        min: typed_or("min", q.min_seats.to_string()),
                        max: typed_or("max", q.max_seats.to_string()),
                    }
                })
                .collect();
            let missing = quotas
                .iter()
                .filter(|q| &q.feature == f)
                .any(|q| q.population.is_none() && !(f == "geslacht" && q.value == "anders"));
            QuotaGroup {
                feature: f.clone(),
                label: crate::web::i18n::t(lang, &format!("burgerberaad.feature.{f}")),
                missing,
                rows,
            }
        })
        .collect()
}

async fn quota_page(
    state: &AppState,
    ctx: &Ctx,
    s: &Staff,
    a: Assembly,
    errors: FieldErrors,
    typed: Option<&Form>,
    status: StatusCode,
) -> AppResult<Response> {
    let quotas = store::quotas(&state.db, a.id).await?;
    let names = store::wijk_names(&state.db, s.tenant.id).await?;
    let groups = quota_groups(ctx.lang, &a.feature_list(), &quotas, &names, typed);
    let tpl = QuotaTpl {
        c: Chrome::new(ctx, Some(&s.tenant), ctx.t("burgerberaad.quota.title")),
        base: format!("{}/{}", base(s), a.id),
        errors,
        groups,
        editable: matches!(a.status.as_str(), "concept" | "uitgenodigd"),
        a,
    };
    render_status(status, &tpl)
}

pub async fn quota_form(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    quota_page(
        &state,
        &ctx,
        &s,
        a,
        FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn quota_save(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    if !matches!(a.status.as_str(), "concept" | "uitgenodigd") {
        return Err(conflict(&ctx, "burgerberaad.err.quota_locked"));
    }
    let quotas = store::quotas(&state.db, a.id).await?;
    let mut v = Validator::new(&ctx, &form);
    let mut rows = Vec::new();
    for (i, q) in quotas.iter().enumerate() {
        let pop = v.integer(&format!("q{i}_pop"), 0, 100_000_000, false);
        let min = v.integer(&format!("q{i}_min"), 0, a.panel_size, true);
        let max = v.integer(&format!("q{i}_max"), 0, a.panel_size, true);
        rows.push(QuotaRow {
            feature: q.feature.clone(),
            value: q.value.clone(),
            label: q.label.clone(),
            population: pop,
            min: min.unwrap_or(0),
            max: max.unwrap_or(0),
        });
    }
    let mut errors = v.finish();
    if !errors.is_empty() {
        return quota_page(
            &state,
            &ctx,
            &s,
            a,
            errors,
            Some(&form),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let features = a.feature_list();
    let (rows, flash) = if form.get("action") == "propose" {
        let entered: BTreeMap<(String, String), i64> = rows
            .iter()
            .filter_map(|r| Some(((r.feature.clone(), r.value.clone()), r.population?)))
            .collect();
        (
            proposal(&state, s.tenant.id, a.panel_size, &features, &entered).await?,
            "burgerberaad.flash.proposed",
        )
    } else {
        for p in features::check(a.panel_size, &rows, &features) {
            let mut args: Vec<(&str, String)> = p.args.clone();
            for (k, val) in args.iter_mut() {
                if *k == "feature" {
                    *val = ctx.t(&format!("burgerberaad.feature.{val}")).to_string();
                }
            }
            let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            errors.add(&p.field, tf(ctx.lang, p.key, &refs));
        }
        if !errors.is_empty() {
            return quota_page(
                &state,
                &ctx,
                &s,
                a,
                errors,
                Some(&form),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        (rows, "burgerberaad.flash.quota_saved")
    };
    let mut tx = state.db.begin().await?;
    store::replace_quotas(&mut tx, a.id, &rows).await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "burgerberaad.quota",
        "ba_assembly",
        Some(a.id),
        "quota gewijzigd",
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/{}/quota", base(&s), a.id),
        flash,
    ))
}

// ---------- the assembly's dashboard ----------

pub struct FigRow {
    pub label: String,
    pub population: String,
    pub pop_share: String,
    pub invited: String,
    pub registered: String,
    pub reg_share: String,
}

pub struct FigTable {
    pub caption: String,
    pub with_invited: bool,
    pub rows: Vec<FigRow>,
}

pub struct DrawInfo {
    pub seed: String,
    pub sha: String,
    pub rows: String,
    pub kind: &'static str,
    pub invited: String,
}

#[derive(Template)]
#[template(path = "burgerberaad/manage/show.html")]
struct ShowTpl {
    c: Chrome,
    a: Assembly,
    base: String,
    public_href: String,
    status: &'static str,
    trajectory: String,
    period: String,
    deadline: String,
    registered: i64,
    withdrawn: i64,
    invited: i64,
    tables: Vec<FigTable>,
    draw: Option<DrawInfo>,
    quota_problems: Vec<String>,
    job_href: Option<String>,
    message: String,
    seed_suggestion: String,
    /// Registration is still open: starting the selection needs an explicit confirmation.
    early: bool,
}

/// Response per wijk and per feature against the population, from the current records.
pub async fn figures(
    state: &AppState,
    lang: Lang,
    a: &Assembly,
    quotas: &[Quota],
    regs: &[Registration],
) -> AppResult<Vec<FigTable>> {
    let names = store::wijk_names(&state.db, a.tenant_id).await?;
    let invited: Vec<(String, i64)> = sqlx::query_as(
        "SELECT wijk_code, COUNT(*) FROM ba_invitations WHERE assembly_id = $1 GROUP BY wijk_code",
    )
    .bind(a.id)
    .fetch_all(state.db.pool())
    .await?;
    let active: Vec<&Registration> = regs.iter().filter(|r| r.status == "aangemeld").collect();
    let total_reg = active.len() as i64;
    let mut tables = Vec::new();
    for f in a.feature_list() {
        let qs: Vec<&Quota> = quotas.iter().filter(|q| q.feature == f).collect();
        let pop_total: i64 = qs.iter().filter_map(|q| q.population).sum();
        let rows = qs
            .iter()
            .map(|q| {
                let n = active.iter().filter(|r| r.value(&f) == q.value).count() as i64;
                let inv = invited
                    .iter()
                    .find(|(w, _)| *w == q.value)
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                FigRow {
                    label: value_label(lang, &f, &q.value, &names),
                    population: q
                        .population
                        .map(|p| fmt_int(lang, p))
                        .unwrap_or_else(|| "–".into()),
                    pop_share: match q.population {
                        Some(p) if pop_total > 0 => fmt_pct(p as f64 / pop_total as f64),
                        _ => "–".into(),
                    },
                    invited: fmt_int(lang, inv),
                    registered: if f == "wijk" && inv > 0 {
                        format!("{} ({})", fmt_int(lang, n), fmt_pct(n as f64 / inv as f64))
                    } else {
                        fmt_int(lang, n)
                    },
                    reg_share: if total_reg > 0 {
                        fmt_pct(n as f64 / total_reg as f64)
                    } else {
                        "–".into()
                    },
                }
            })
            .collect();
        tables.push(FigTable {
            caption: crate::web::i18n::t(lang, &format!("burgerberaad.feature.{f}")).to_string(),
            with_invited: f == "wijk",
            rows,
        });
    }
    Ok(tables)
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    s: &Staff,
    a: Assembly,
    message: String,
    status: StatusCode,
) -> AppResult<Response> {
    let quotas = store::quotas(&state.db, a.id).await?;
    let regs = store::registrations(&state.db, a.id).await?;
    let tables = figures(state, ctx.lang, &a, &quotas, &regs).await?;
    let invited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ba_invitations WHERE assembly_id = $1")
            .bind(a.id)
            .fetch_one(state.db.pool())
            .await?;
    let trajectory: String = sqlx::query_scalar("SELECT title FROM trajectories WHERE id = $1")
        .bind(a.trajectory_id)
        .fetch_optional(state.db.pool())
        .await?
        .unwrap_or_default();
    let rows: Vec<QuotaRow> = quotas.iter().map(Quota::row).collect();
    let quota_problems = features::check(a.panel_size, &rows, &a.feature_list())
        .into_iter()
        .map(|p| {
            let refs: Vec<(&str, &str)> = p.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            tf(ctx.lang, p.key, &refs)
        })
        .collect();
    let draw = a.invite_seed_u64().map(|seed| DrawInfo {
        seed: seed.to_string(),
        sha: a.register_sha256.clone(),
        rows: fmt_int(ctx.lang, a.register_rows),
        kind: ctx.t(&format!("burgerberaad.register.kind.{}", a.register_kind)),
        invited: fmt_int(ctx.lang, invited),
    });
    let job_href = a
        .selection_job_id
        .map(|j| format!("/{}/taken/{j}", s.tenant.slug));
    let tpl = ShowTpl {
        c: Chrome::new(ctx, Some(&s.tenant), a.title.clone()),
        base: format!("{}/{}", base(s), a.id),
        public_href: format!("/{}/burgerberaad/{}", s.tenant.slug, a.id),
        status: ctx.t(&a.status_key()),
        trajectory,
        period: format!(
            "{} – {}",
            fmt_date(ctx.lang, &a.starts_on),
            fmt_date(ctx.lang, &a.ends_on)
        ),
        deadline: fmt_date(ctx.lang, &a.registration_deadline),
        registered: regs.iter().filter(|r| r.status == "aangemeld").count() as i64,
        withdrawn: regs.iter().filter(|r| r.status == "ingetrokken").count() as i64,
        invited,
        tables,
        draw,
        quota_problems,
        job_href,
        message,
        seed_suggestion: selection::random_seed().to_string(),
        early: a.registration_open(&super::public::today()),
        a,
    };
    render_status(status, &tpl)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    show_page(&state, &ctx, &s, a, String::new(), StatusCode::OK).await
}

// ---------- register import and invitation draw ----------

#[derive(Template)]
#[template(path = "burgerberaad/manage/invite.html")]
struct InviteTpl {
    c: Chrome,
    a: Assembly,
    base: String,
    problems: Vec<String>,
    more: usize,
    seed: String,
}

fn problem_text(lang: Lang, p: &Problem) -> String {
    let mut args: Vec<(&str, &str)> = p.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let line = p.line.to_string();
    args.push(("line", &line));
    let msg = tf(lang, &format!("burgerberaad.register.err.{}", p.key), &args);
    if p.line > 0 {
        tf(
            lang,
            "burgerberaad.register.on_line",
            &[("line", &line), ("msg", &msg)],
        )
    } else {
        msg
    }
}

async fn invite_page(
    ctx: &Ctx,
    s: &Staff,
    a: Assembly,
    problems: Vec<String>,
    more: usize,
    seed: String,
    status: StatusCode,
) -> AppResult<Response> {
    render_status(
        status,
        &InviteTpl {
            c: Chrome::new(ctx, Some(&s.tenant), ctx.t("burgerberaad.invite.title")),
            base: format!("{}/{}", base(s), a.id),
            a,
            problems,
            more,
            seed,
        },
    )
}

pub async fn invite_form(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    let seed = selection::random_seed().to_string();
    invite_page(&ctx, &s, a, vec![], 0, seed, StatusCode::OK).await
}

pub async fn invite_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    mp: MultipartForm,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    if a.status != "concept" {
        return Err(conflict(&ctx, "burgerberaad.err.already_invited"));
    }
    let seed_raw = mp.form.get("seed");
    let fail = |problems: Vec<String>, more: usize| {
        invite_page(
            &ctx,
            &s,
            a.clone(),
            problems,
            more,
            seed_raw.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let seed: u64 = if seed_raw.is_empty() {
        selection::random_seed()
    } else {
        match seed_raw.parse::<u64>() {
            Ok(n) if n < (1u64 << 63) => n,
            _ => return fail(vec![ctx.t("burgerberaad.invite.err.seed").to_string()], 0).await,
        }
    };
    let Some(file) = mp.file("register") else {
        return fail(
            vec![ctx.t("burgerberaad.invite.err.no_file").to_string()],
            0,
        )
        .await;
    };
    let wijken = invite::wijk_map(&state.db, s.tenant.id).await?;
    let bytes = file.bytes.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let sha = crate::web::security::sha256_hex(&bytes);
        draw::parse_register(&bytes, &wijken).map(|r| (r, sha))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let (register, sha) = match parsed {
        Ok(x) => x,
        Err((problems, total)) => {
            let shown: Vec<String> = problems.iter().map(|p| problem_text(ctx.lang, p)).collect();
            let more = total.saturating_sub(shown.len());
            return fail(shown, more).await;
        }
    };
    let n = a.invite_count as usize;
    let drawn = match draw::draw(&register, n, seed) {
        Ok(d) => d,
        Err(draw::DrawError::TooFewAddresses { wanted, available }) => {
            let msg = tf(
                ctx.lang,
                "burgerberaad.invite.err.too_few",
                &[
                    ("wanted", &wanted.to_string()),
                    ("available", &available.to_string()),
                ],
            );
            return fail(vec![msg], 0).await;
        }
    };
    let code_key = crate::web::security::random_token();
    let mut tx = state.db.begin().await?;
    let updated = sqlx::query(
        "UPDATE ba_assemblies SET status = 'uitgenodigd', code_key = $1, invite_seed = $2, \
         register_sha256 = $3, register_rows = $4, register_kind = $5, updated_at = $6 \
         WHERE id = $7 AND status = 'concept'",
    )
    .bind(&code_key)
    .bind(seed as i64)
    .bind(&sha)
    .bind(register.entries.len() as i64)
    .bind(register.kind.key())
    .bind(now())
    .bind(a.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        tx.rollback().await?;
        return Err(conflict(&ctx, "burgerberaad.err.already_invited"));
    }
    invite::insert_invitations(&mut tx, a.id, &code_key, &register, &drawn).await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "burgerberaad.invited",
        "ba_assembly",
        Some(a.id),
        &format!(
            "{} uitnodigingen geloot uit {} regels (seed {seed}, sha256 {sha})",
            drawn.len(),
            register.entries.len()
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/{}", base(&s), a.id),
        "burgerberaad.flash.invited",
    ))
}

/// The letters, or `Err(page)`: before the draw 404, after the retention period 410.
async fn letters_data(
    state: &AppState,
    ctx: &Ctx,
    s: &Staff,
    id: &str,
) -> AppResult<Result<(Assembly, Vec<invite::Invitee>, String), Response>> {
    let a = load(state, s, id).await?;
    if a.anonymised_at.is_some() {
        let m = ctx.t("burgerberaad.manage.anonymised").to_string();
        return Ok(Err(show_page(state, ctx, s, a, m, StatusCode::GONE).await?));
    }
    if a.code_key.is_empty() {
        return Err(AppError::NotFound);
    }
    let list = invite::invitees(&state.db, a.id).await?;
    let url = invite::registration_url(&state.config.public_url, &s.tenant.slug, a.id);
    Ok(Ok((a, list, url)))
}

pub async fn letters_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (a, list, url) = match letters_data(&state, &ctx, &s, &id).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let body = invite::letters_csv(&a, &list, &url)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"brieven-burgerberaad-{}.csv\"", a.id),
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn letters_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (a, list, url) = match letters_data(&state, &ctx, &s, &id).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let name = s.tenant.name.clone();
    let body = tokio::task::spawn_blocking(move || invite::letters_pdf(&a, &list, &url, &name))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"brieven-burgerberaad-{id}.pdf\""),
            ),
        ],
        body,
    )
        .into_response())
}

// ---------- selection ----------

pub async fn select_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    if a.status != "uitgenodigd" {
        return Err(conflict(&ctx, "burgerberaad.err.not_selectable"));
    }
    let fail = |key: &str, args: &[(&str, &str)]| tf(ctx.lang, key, args);
    let algorithm: sortition::Algorithm = match form.get("algorithm").as_str() {
        "" | "leximin" => sortition::Algorithm::Leximin,
        "maximin" => sortition::Algorithm::Maximin,
        "nash" => sortition::Algorithm::Nash,
        "legacy" => sortition::Algorithm::Legacy,
        _ => {
            let m = fail("burgerberaad.select.err.algorithm", &[]);
            return show_page(&state, &ctx, &s, a, m, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let seed_raw = form.get("seed");
    let seed = if seed_raw.is_empty() {
        selection::random_seed()
    } else {
        match seed_raw.parse::<u64>() {
            Ok(n) => n,
            Err(_) => {
                let m = fail("burgerberaad.invite.err.seed", &[]);
                return show_page(&state, &ctx, &s, a, m, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    };
    // Before the registration deadline, only with an explicit confirmation: whoever
    // registers later no longer takes part.
    if a.registration_open(&super::public::today()) && !form.checked("early") {
        let m = fail(
            "burgerberaad.select.err.early",
            &[("datum", &fmt_date(ctx.lang, &a.registration_deadline))],
        );
        return show_page(&state, &ctx, &s, a, m, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let quotas = store::quotas(&state.db, a.id).await?;
    let rows: Vec<QuotaRow> = quotas.iter().map(Quota::row).collect();
    if !features::check(a.panel_size, &rows, &a.feature_list()).is_empty() {
        let m = fail("burgerberaad.select.err.quota", &[]);
        return show_page(&state, &ctx, &s, a, m, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let registered: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ba_registrations WHERE assembly_id = $1 AND status = 'aangemeld'",
    )
    .bind(a.id)
    .fetch_one(state.db.pool())
    .await?;
    if registered < a.panel_size {
        let m = fail(
            "burgerberaad.select.err.too_few",
            &[
                ("n", &registered.to_string()),
                ("size", &a.panel_size.to_string()),
            ],
        );
        return show_page(&state, &ctx, &s, a, m, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut tx = state.db.begin().await?;
    let job = selection::enqueue(&mut tx, &a, algorithm, seed, Some(s.user.id)).await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "burgerberaad.selection_started",
        "ba_assembly",
        Some(a.id),
        &format!("loting gestart ({}, seed {seed})", algorithm.name()),
    )
    .await?;
    tx.commit().await?;
    state.jobs.wake();
    let _ = job;
    // The result page follows the job's progress until the result is there.
    Ok(Redirect::to(&format!("{}/{}/selectie", base(&s), a.id)).into_response())
}

pub struct MemberRow {
    pub id: i64,
    pub pool_id: String,
    pub name: String,
    pub contact: String,
    pub values: String,
    pub probability: String,
    pub on_panel: bool,
    pub withdrew: bool,
    pub replaced: bool,
}

pub struct RelaxView {
    pub text: String,
}

#[derive(Template)]
#[template(path = "burgerberaad/manage/result.html")]
struct ResultTpl {
    c: Chrome,
    a: Assembly,
    base: String,
    sel: Option<store::Selection>,
    members: Vec<MemberRow>,
    pool: Vec<MemberRow>,
    structural: Vec<String>,
    relaxations: Vec<RelaxView>,
    job_href: Option<String>,
    /// The selection job while it has not finished.
    running: Option<crate::jobs::JobStatus>,
    transparency_href: String,
}

pub fn describe(
    lang: Lang,
    features: &[String],
    r: &Registration,
    names: &BTreeMap<String, String>,
) -> String {
    features
        .iter()
        .map(|f| value_label(lang, f, &r.value(f), names))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn result(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    let sel = store::selection(&state.db, a.id).await?;
    let regs = store::registrations(&state.db, a.id).await?;
    let names = store::wijk_names(&state.db, s.tenant.id).await?;
    let features = a.feature_list();
    let row = |r: &Registration| MemberRow {
        id: r.id,
        pool_id: r.pool_id.clone(),
        name: if r.name.is_empty() {
            ctx.t("burgerberaad.anonymised").to_string()
        } else {
            r.name.clone()
        },
        contact: [r.email.as_str(), r.phone.as_str()]
            .iter()
            .filter(|x| !x.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" · "),
        values: describe(ctx.lang, &features, r, &names),
        probability: r.percent(),
        on_panel: r.panel_status == "lid",
        withdrew: r.status == "ingetrokken",
        replaced: r.replaces_id.is_some(),
    };
    let members: Vec<MemberRow> = regs
        .iter()
        .filter(|r| r.panel_status == "lid")
        .map(row)
        .collect();
    let mut pool: Vec<MemberRow> = regs
        .iter()
        .filter(|r| !r.pool_id.is_empty())
        .map(row)
        .collect();
    pool.sort_by(|x, y| x.pool_id.cmp(&y.pool_id));
    let (mut structural, mut relaxations) = (Vec::new(), Vec::new());
    if !a.selection_error.is_empty() {
        let v: serde_json::Value = serde_json::from_str(&a.selection_error).unwrap_or_default();
        for s in v["structural"].as_array().into_iter().flatten() {
            structural.push(s.as_str().unwrap_or("").to_string());
        }
        for r in v["relaxations"].as_array().into_iter().flatten() {
            let f = r["feature"].as_str().unwrap_or("");
            let key = if r["is_min"].as_bool().unwrap_or(true) {
                "burgerberaad.select.relax_min"
            } else {
                "burgerberaad.select.relax_max"
            };
            relaxations.push(RelaxView {
                text: tf(
                    ctx.lang,
                    key,
                    &[
                        ("feature", ctx.t(&format!("burgerberaad.feature.{f}"))),
                        (
                            "value",
                            &value_label(ctx.lang, f, r["value"].as_str().unwrap_or(""), &names),
                        ),
                        ("from", &r["from"].to_string()),
                        ("to", &r["to"].to_string()),
                    ],
                ),
            });
        }
    }
    let running = match a.selection_job_id {
        Some(j) if sel.is_none() => state.jobs.status(j).await?.filter(|j| !j.is_finished()),
        _ => None,
    };
    render(&ResultTpl {
        running,
        c: Chrome::new(&ctx, Some(&s.tenant), ctx.t("burgerberaad.result.title")),
        base: format!("{}/{}", base(&s), a.id),
        transparency_href: format!("/{}/burgerberaad/{}/loting", s.tenant.slug, a.id),
        job_href: a
            .selection_job_id
            .map(|j| format!("/{}/taken/{j}", s.tenant.slug)),
        sel,
        members,
        pool,
        structural,
        relaxations,
        a,
    })
}

pub async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    if store::selection(&state.db, a.id).await?.is_none() {
        return Err(conflict(&ctx, "burgerberaad.err.no_selection"));
    }
    if !a.is_published() {
        let mut tx = state.db.begin().await?;
        sqlx::query("UPDATE ba_assemblies SET published = 1, updated_at = $1 WHERE id = $2")
            .bind(now())
            .bind(a.id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            Some(s.tenant.id),
            Some(&s.user),
            "burgerberaad.published",
            "ba_assembly",
            Some(a.id),
            "loting en kansen openbaar gemaakt",
        )
        .await?;
        tx.commit().await?;
    }
    Ok(redirect_with_flash(
        &format!("{}/{}/selectie", base(&s), a.id),
        "burgerberaad.flash.published",
    ))
}

pub async fn replace(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id, member)): Path<(String, String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    let member = path_id(&member)?;
    if store::registration(&state.db, a.id, member)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    if a.status != "geselecteerd" {
        return Err(conflict(&ctx, "burgerberaad.err.not_running"));
    }
    match selection::replace(&state, &a, member, &s.user).await {
        Ok(r) => Ok(redirect_with_flash(
            &format!("{}/{}/selectie#lid-{}", base(&s), a.id, r.new_registration),
            if r.same_features {
                "burgerberaad.flash.replaced"
            } else {
                "burgerberaad.flash.replaced_other"
            },
        )),
        Err(ReplaceError::NotMember) => Err(conflict(&ctx, "burgerberaad.err.not_member")),
        Err(ReplaceError::NoSelection) => Err(conflict(&ctx, "burgerberaad.err.no_selection")),
        Err(ReplaceError::NobodyLeft) => Err(conflict(&ctx, "burgerberaad.err.nobody_left")),
        Err(ReplaceError::Db(e)) => Err(e.into()),
        Err(ReplaceError::Other(e)) => Err(AppError::Internal(e)),
    }
}

// ---------- meetings, recommendations, finishing ----------

pub struct MeetingView {
    pub m: store::Meeting,
    pub date: String,
    pub present: usize,
}

pub struct AttendeeView {
    pub id: i64,
    pub name: String,
    pub present: Vec<(i64, bool)>,
}

#[derive(Template)]
#[template(path = "burgerberaad/manage/course.html")]
struct CourseTpl {
    c: Chrome,
    a: Assembly,
    base: String,
    errors: FieldErrors,
    error_for: String,
    meetings: Vec<MeetingView>,
    attendees: Vec<AttendeeView>,
    recs: Vec<store::Recommendation>,
    typed: Form,
    follow_ups: Vec<(&'static str, &'static str)>,
    responders: Vec<(&'static str, &'static str)>,
}

pub const FOLLOW_UPS: [&str; 5] = ["open", "overgenomen", "deels", "niet", "uitgevoerd"];

#[allow(clippy::too_many_arguments)]
async fn course_page(
    state: &AppState,
    ctx: &Ctx,
    s: &Staff,
    a: Assembly,
    errors: FieldErrors,
    error_for: &str,
    typed: Form,
    status: StatusCode,
) -> AppResult<Response> {
    let meetings = store::meetings(&state.db, a.id).await?;
    let att = store::attendance(&state.db, a.id).await?;
    let regs = store::registrations(&state.db, a.id).await?;
    let attendees = regs
        .iter()
        .filter(|r| r.panel_status == "lid")
        .map(|r| AttendeeView {
            id: r.id,
            name: if r.name.is_empty() {
                r.pool_id.clone()
            } else {
                r.name.clone()
            },
            present: meetings
                .iter()
                .map(|m| (m.id, att.contains(&(m.id, r.id))))
                .collect(),
        })
        .collect();
    let meetings = meetings
        .into_iter()
        .map(|m| MeetingView {
            date: fmt_date(ctx.lang, &m.held_on),
            present: att.iter().filter(|(mid, _)| *mid == m.id).count(),
            m,
        })
        .collect();
    let tpl = CourseTpl {
        c: Chrome::new(ctx, Some(&s.tenant), ctx.t("burgerberaad.course.title")),
        base: format!("{}/{}", base(s), a.id),
        errors,
        error_for: error_for.to_string(),
        meetings,
        attendees,
        recs: store::recommendations(&state.db, a.id, false).await?,
        typed,
        follow_ups: FOLLOW_UPS
            .iter()
            .map(|f| (*f, ctx.t(&format!("burgerberaad.follow_up.{f}"))))
            .collect(),
        responders: ["raad", "college"]
            .iter()
            .map(|r| (*r, ctx.t(&format!("burgerberaad.responder.{r}"))))
            .collect(),
        a,
    };
    render_status(status, &tpl)
}

pub async fn course(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    course_page(
        &state,
        &ctx,
        &s,
        a,
        FieldErrors::new(),
        "",
        Form::default(),
        StatusCode::OK,
    )
    .await
}

fn require_panel(ctx: &Ctx, a: &Assembly) -> AppResult<()> {
    if a.status == "geselecteerd" {
        Ok(())
    } else {
        Err(conflict(ctx, "burgerberaad.err.not_running"))
    }
}

pub async fn meeting_add(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    require_panel(&ctx, &a)?;
    let mut v = Validator::new(&ctx, &form);
    let title = v.text("meeting_title", 200);
    let date = v.date("held_on", true);
    let place = v.optional_text("place", 200);
    let errors = v.finish();
    if !errors.is_empty() {
        return course_page(
            &state,
            &ctx,
            &s,
            a,
            errors,
            "meeting",
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO ba_meetings (assembly_id, held_on, title, place) VALUES ($1, $2, $3, $4)",
    )
    .bind(a.id)
    .bind(date.map(|d| d.to_string()).unwrap_or_default())
    .bind(&title)
    .bind(&place)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "burgerberaad.meeting",
        "ba_assembly",
        Some(a.id),
        "bijeenkomst toegevoegd",
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/{}/verloop", base(&s), a.id),
        "burgerberaad.flash.saved",
    ))
}

pub async fn attendance_save(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id, meeting)): Path<(String, String, String)>,
    form: Form,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    let meeting = path_id(&meeting)?;
    if !store::meetings(&state.db, a.id)
        .await?
        .iter()
        .any(|m| m.id == meeting)
    {
        return Err(AppError::NotFound);
    }
    require_panel(&ctx, &a)?;
    let members: Vec<i64> = store::registrations(&state.db, a.id)
        .await?
        .iter()
        .filter(|r| r.panel_status == "lid")
        .map(|r| r.id)
        .collect();
    let present: Vec<i64> = form
        .all("present")
        .iter()
        .filter_map(|v| v.parse().ok())
        .filter(|id| members.contains(id))
        .collect();
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM ba_attendance WHERE meeting_id = $1")
        .bind(meeting)
        .execute(&mut *tx)
        .await?;
    for m in &members {
        sqlx::query(
            "INSERT INTO ba_attendance (meeting_id, registration_id, present) VALUES ($1, $2, $3)",
        )
        .bind(meeting)
        .bind(m)
        .bind(i64::from(present.contains(m)))
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "burgerberaad.attendance",
        "ba_assembly",
        Some(a.id),
        &format!(
            "aanwezigheid bijeenkomst {meeting}: {} van {}",
            present.len(),
            members.len()
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/{}/verloop", base(&s), a.id),
        "burgerberaad.flash.saved",
    ))
}

pub async fn recommendation_add(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    require_panel(&ctx, &a)?;
    let mut v = Validator::new(&ctx, &form);
    let title = v.text("rec_title", 300);
    let body = v.text("rec_body", 8000);
    let support = v.integer("support_pct", 0, 100, false);
    let errors = v.finish();
    if !errors.is_empty() {
        return course_page(
            &state,
            &ctx,
            &s,
            a,
            errors,
            "rec",
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    let pos: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ba_recommendations WHERE assembly_id = $1")
            .bind(a.id)
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query(
        "INSERT INTO ba_recommendations (assembly_id, position, title, body, support_pct, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.id)
    .bind(pos + 1)
    .bind(&title)
    .bind(&body)
    .bind(support)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "burgerberaad.recommendation",
        "ba_assembly",
        Some(a.id),
        "aanbeveling vastgelegd",
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/{}/verloop", base(&s), a.id),
        "burgerberaad.flash.saved",
    ))
}

pub async fn recommendation_save(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id, rec)): Path<(String, String, String)>,
    form: Form,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    let rec = path_id(&rec)?;
    if !store::recommendations(&state.db, a.id, false)
        .await?
        .iter()
        .any(|r| r.id == rec)
    {
        return Err(AppError::NotFound);
    }
    let mut v = Validator::new(&ctx, &form);
    let follow_up = v.choice("follow_up", &FOLLOW_UPS, true);
    let responder = v.choice("responder", &["raad", "college"], false);
    let response = v.optional_text("response", 8000);
    let published = form.checked("published");
    if published && response.is_empty() && follow_up.as_deref() != Some("open") {
        v.error("response", "burgerberaad.course.err.response_needed");
    }
    if !response.is_empty() && responder.is_none() {
        v.error("responder", "burgerberaad.course.err.responder");
    }
    let errors = v.finish();
    if !errors.is_empty() {
        let key = format!("rec{rec}");
        return course_page(
            &state,
            &ctx,
            &s,
            a,
            errors,
            &key,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE ba_recommendations SET follow_up = $1, responder = $2, response = $3, published = $4 \
         WHERE id = $5 AND assembly_id = $6",
    )
    .bind(follow_up.unwrap_or_else(|| "open".into()))
    .bind(responder.unwrap_or_default())
    .bind(&response)
    .bind(i64::from(published))
    .bind(rec)
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "burgerberaad.response",
        "ba_assembly",
        Some(a.id),
        &format!("reactie op aanbeveling {rec} vastgelegd"),
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/{}/verloop#aanbeveling-{rec}", base(&s), a.id),
        "burgerberaad.flash.saved",
    ))
}

pub async fn finish(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let a = load(&state, &s, &id).await?;
    require_panel(&ctx, &a)?;
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE ba_assemblies SET status = 'afgerond', updated_at = $1 WHERE id = $2 AND status = 'geselecteerd'")
        .bind(now())
        .bind(a.id)
        .execute(&mut *tx)
        .await?;
    retention::schedule(&mut tx, &a).await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "burgerberaad.finished",
        "ba_assembly",
        Some(a.id),
        &format!(
            "afgerond; persoonsgegevens worden {} dagen na de laatste dag verwijderd",
            a.retention_days
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("{}/{}", base(&s), a.id),
        "burgerberaad.flash.finished",
    ))
}
