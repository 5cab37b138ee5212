//! The civil servant's pages: the guided step plan with drafts, the participatiegids,
//! publishing, processing every reaction, and closing with conclusion and lessons learned.

use super::gids::{self, Answers};
use super::plan::{self, ACTIVITY_ROWS, FORMS, PHASE_ROWS, PhaseInput, STEPS, TEXT_FIELDS};
use super::store::{self, Filter, Reaction, Trajectory};
use crate::db::now;
use crate::modules::kern::admin::{LadderLevel, Topic, ladder_of, topics_of};
use crate::modules::kern::areas::{self, Area};
use crate::modules::kern::{audit, mail};
use crate::web::AppState;
use crate::web::access::{Authorized, ManageParticipation};
use crate::web::ctx::{Ctx, redirect_with_flash};
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{FieldErrors, Form, Validator};
use crate::web::i18n::tf;
use crate::web::page::{Chrome, fmt_date, render, render_status};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub type Staff = Authorized<ManageParticipation>;

fn base(s: &Staff) -> String {
    format!("/{}/beheer/trajecten", s.tenant.slug)
}

async fn load(state: &AppState, s: &Staff, id: &str) -> AppResult<Trajectory> {
    store::get(&state.db, s.tenant.id, path_id(id)?)
        .await?
        .ok_or(AppError::NotFound)
}

// ---------- overview ----------

pub struct Row {
    pub t: Trajectory,
    pub stage_label: &'static str,
    pub open: i64,
}

#[derive(Template)]
#[template(path = "trajecten/manage/index.html")]
struct IndexTpl {
    c: Chrome,
    base: String,
    public_base: String,
    rows: Vec<Row>,
}

pub async fn index(State(state): State<AppState>, ctx: Ctx, s: Staff) -> AppResult<Response> {
    let f = Filter {
        include_drafts: true,
        ..Default::default()
    };
    let (items, _) = store::list(&state.db, s.tenant.id, &f, 500, 0).await?;
    let open_counts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.trajectory_id, COUNT(*) FROM reactions r JOIN trajectories t ON t.id = r.trajectory_id \
         WHERE t.tenant_id = $1 AND r.status = 'open' AND r.hidden = 0 GROUP BY r.trajectory_id",
    )
    .bind(s.tenant.id)
    .fetch_all(state.db.pool())
    .await?;
    let rows = items
        .into_iter()
        .map(|t| Row {
            stage_label: t.stage().label_key(),
            open: open_counts
                .iter()
                .find(|(id, _)| *id == t.id)
                .map(|(_, n)| *n)
                .unwrap_or(0),
            t,
        })
        .collect();
    render(&IndexTpl {
        c: Chrome::new(&ctx, Some(&s.tenant), ctx.t("trajecten.manage.title")),
        base: base(&s),
        public_base: format!("/{}/trajecten", s.tenant.slug),
        rows,
    })
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    form: Form,
) -> AppResult<Response> {
    let title = form.get("title");
    let errors = validate_step(&state, &ctx, &s, 1, &form).await?;
    if !errors.is_empty() {
        return step_page(
            &state,
            &ctx,
            &s,
            None,
            1,
            errors,
            Some(&form),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO trajectories (tenant_id, title, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(s.tenant.id)
    .bind(&title)
    .bind(s.user.id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    save_step_fields(&mut tx, id, 1, &form).await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "trajectory.created",
        "trajectory",
        Some(id),
        "traject als concept aangemaakt",
    )
    .await?;
    tx.commit().await?;
    super::public::invalidate(&state, s.tenant.id);
    let next = if form.get("action") == "save" { 1 } else { 2 };
    Ok(redirect_with_flash(
        &format!("{}/{id}/stap/{next}", base(&s)),
        "trajecten.flash.saved",
    ))
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx, s: Staff) -> AppResult<Response> {
    step_page(
        &state,
        &ctx,
        &s,
        None,
        1,
        FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

// ---------- the step plan ----------

pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
    pub multiline: bool,
    pub required: bool,
    pub max: usize,
}

pub struct StepLink {
    pub n: u8,
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

pub struct PhaseRow {
    pub i: usize,
    pub name: String,
    pub description: String,
    pub starts_on: String,
    pub ends_on: String,
}

#[derive(Default)]
pub struct ActivityRow {
    pub i: usize,
    pub title: String,
    pub form: String,
    pub held_on: String,
    pub place: String,
    pub description: String,
}

pub struct MissingView {
    pub step: u8,
    pub href: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "trajecten/manage/step.html")]
struct StepTpl {
    c: Chrome,
    action: String,
    step: u8,
    steps: Vec<StepLink>,
    errors: FieldErrors,
    fields: Vec<FieldView>,
    areas: Vec<Area>,
    topics: Vec<Topic>,
    area_id: String,
    topic_id: String,
    ladder: Vec<LadderLevel>,
    ladder_position: String,
    gids_href: Option<String>,
    phases: Vec<PhaseRow>,
    activities: Vec<ActivityRow>,
    forms: Vec<(&'static str, &'static str)>,
    feedback_on: String,
    reactions_open: bool,
    missing: Vec<MissingView>,
    publish_action: String,
    preview_href: String,
    is_draft: bool,
    t: Option<Trajectory>,
}

impl StepTpl {
    fn phase_err(&self, i: &usize, f: &str) -> Option<&str> {
        self.errors.get(&format!("phase{i}_{f}"))
    }
    fn activity_err(&self, i: &usize, f: &str) -> Option<&str> {
        self.errors.get(&format!("activity{i}_{f}"))
    }
}

#[allow(clippy::too_many_arguments)]
async fn step_page(
    state: &AppState,
    ctx: &Ctx,
    s: &Staff,
    t: Option<Trajectory>,
    step: u8,
    errors: FieldErrors,
    typed: Option<&Form>,
    status: StatusCode,
) -> AppResult<Response> {
    let b = base(s);
    let id = t.as_ref().map(|t| t.id);
    let val = |name: &str, stored: String| -> String {
        match typed {
            Some(f) => f.get(name),
            None => stored,
        }
    };
    let fields = TEXT_FIELDS
        .iter()
        .filter(|f| f.step == step)
        .map(|f| FieldView {
            name: f.name,
            label: ctx.t(&format!("trajecten.field.{}", f.name)),
            hint: ctx.t(&format!("trajecten.hint.{}", f.name)),
            value: val(
                f.name,
                t.as_ref()
                    .map(|t| plan::text_value(t, f.name).to_string())
                    .unwrap_or_default(),
            ),
            multiline: f.multiline,
            required: f.required,
            max: f.max,
        })
        .collect();
    let steps = (1..=STEPS)
        .map(|n| StepLink {
            n,
            label: ctx.t(plan::step_key(n)),
            href: match id {
                Some(id) => format!("{b}/{id}/stap/{n}"),
                None => String::new(),
            },
            current: n == step,
        })
        .collect();
    let (phases_db, acts_db) = match id {
        Some(id) => (
            store::phases(&state.db, id).await?,
            store::activities(&state.db, id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    // Rows show what was typed when a form comes back with errors, else what is stored.
    let phases = (1..=PHASE_ROWS)
        .map(|i| {
            let p = match typed {
                Some(f) => phase_input(f, i),
                None => phases_db.get(i - 1).map(stored_phase).unwrap_or_default(),
            };
            PhaseRow {
                i,
                name: p.name,
                description: p.description,
                starts_on: p.starts_on,
                ends_on: p.ends_on,
            }
        })
        .collect();
    let activities = (1..=ACTIVITY_ROWS)
        .map(|i| match typed {
            Some(f) => activity_input(f, i),
            None => acts_db
                .get(i - 1)
                .map(|a| stored_activity(i, a))
                .unwrap_or_else(|| ActivityRow {
                    i,
                    ..Default::default()
                }),
        })
        .collect();
    let missing = match &t {
        Some(t) if step == STEPS => plan::missing(t, &phases_db, &acts_db)
            .into_iter()
            .map(|(st, name, key)| MissingView {
                step: st,
                href: format!("{b}/{}/stap/{st}#{name}", t.id),
                text: if key == "trajecten.missing.field" {
                    tf(
                        ctx.lang,
                        key,
                        &[
                            ("stap", ctx.t(plan::step_key(st))),
                            ("veld", ctx.t(&format!("trajecten.field.{name}"))),
                        ],
                    )
                } else {
                    ctx.t(key).to_string()
                },
            })
            .collect(),
        _ => Vec::new(),
    };
    // Only the steps that show them need the area, theme and ladder choices.
    let (wijken, topics) = if step == 1 {
        let mut wijken = areas::of_tenant(&state.db, s.tenant.id, Some("wijk")).await?;
        wijken.sort_by(|a, b| a.name.cmp(&b.name));
        (wijken, topics_of(&state.db, s.tenant.id).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let ladder = if step == 5 {
        ladder_of(&state.db, s.tenant.id).await?
    } else {
        Vec::new()
    };
    let title = match &t {
        Some(t) => format!("{} · {}", ctx.t(plan::step_key(step)), t.title),
        None => ctx.t("trajecten.manage.new").to_string(),
    };
    let tpl = StepTpl {
        c: Chrome::new(ctx, Some(&s.tenant), title),
        action: match id {
            Some(id) => format!("{b}/{id}/stap/{step}"),
            None => format!("{b}/nieuw"),
        },
        step,
        steps,
        fields,
        areas: wijken,
        topics,
        area_id: val(
            "area_id",
            t.as_ref()
                .and_then(|t| t.area_id)
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        topic_id: val(
            "topic_id",
            t.as_ref()
                .and_then(|t| t.topic_id)
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        ladder,
        ladder_position: val(
            "ladder_position",
            t.as_ref()
                .and_then(|t| t.ladder_position)
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        gids_href: id.map(|id| format!("{b}/{id}/gids")),
        phases,
        activities,
        forms: FORMS
            .iter()
            .map(|f| (*f, ctx.t(&format!("trajecten.form.{f}"))))
            .collect(),
        feedback_on: val(
            "feedback_on",
            t.as_ref()
                .and_then(|t| t.feedback_on.as_deref().map(form_date))
                .unwrap_or_default(),
        ),
        reactions_open: match typed {
            Some(f) => f.checked("reactions_open"),
            None => t.as_ref().map(|t| t.reactions_open).unwrap_or(true),
        },
        missing,
        publish_action: id
            .map(|id| format!("{b}/{id}/publiceren"))
            .unwrap_or_default(),
        preview_href: id
            .map(|id| format!("/{}/trajecten/{id}", s.tenant.slug))
            .unwrap_or_default(),
        is_draft: t.as_ref().map(|t| t.status == "concept").unwrap_or(true),
        errors,
        t,
    };
    render_status(status, &tpl)
}

fn parse_step(n: &str) -> AppResult<u8> {
    match n.parse::<u8>() {
        Ok(n) if (1..=STEPS).contains(&n) => Ok(n),
        _ => Err(AppError::NotFound),
    }
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id, n)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    let n = parse_step(&n)?;
    if t.status == "gesloten" {
        return Ok(Redirect::to(&format!("/{}/trajecten/{}", s.tenant.slug, t.id)).into_response());
    }
    step_page(
        &state,
        &ctx,
        &s,
        Some(t),
        n,
        FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// Validate the fields of one step. Returns the errors; nothing is written here.
async fn validate_step(
    state: &AppState,
    ctx: &Ctx,
    s: &Staff,
    step: u8,
    form: &Form,
) -> AppResult<FieldErrors> {
    let mut v = Validator::new(ctx, form);
    for f in TEXT_FIELDS.iter().filter(|f| f.step == step) {
        if f.name == "title" {
            v.text(f.name, f.max);
        } else {
            v.optional_text(f.name, f.max);
        }
    }
    match step {
        1 => {
            if let Some(a) = v.integer("area_id", 1, i64::MAX, false) {
                let ok = areas::by_id(&state.db, s.tenant.id, a).await?.is_some();
                if !ok {
                    v.error("area_id", "kern.validation.choose");
                }
            }
            if let Some(tp) = v.integer("topic_id", 1, i64::MAX, false) {
                let ok = topics_of(&state.db, s.tenant.id)
                    .await?
                    .iter()
                    .any(|t| t.id == tp);
                if !ok {
                    v.error("topic_id", "kern.validation.choose");
                }
            }
        }
        5 => {
            let n = ladder_of(&state.db, s.tenant.id).await?.len() as i64;
            v.integer("ladder_position", 1, n.max(1), false);
        }
        6 => {
            for i in 1..=PHASE_ROWS {
                for (suffix, key) in plan::check_phase(&phase_input(form, i)) {
                    v.error(&format!("phase{i}_{suffix}"), key);
                }
            }
        }
        7 => {
            for i in 1..=ACTIVITY_ROWS {
                let a = activity_input(form, i);
                let blank = a.title.trim().is_empty()
                    && a.form.is_empty()
                    && a.held_on.trim().is_empty()
                    && a.place.trim().is_empty()
                    && a.description.trim().is_empty();
                if blank {
                    continue;
                }
                if a.title.trim().is_empty() {
                    v.error(&format!("activity{i}_title"), "kern.validation.required");
                }
                v.optional_text(&format!("activity{i}_title"), 200);
                v.optional_text(&format!("activity{i}_place"), 200);
                v.optional_text(&format!("activity{i}_description"), 2000);
                v.choice(&format!("activity{i}_form"), FORMS, true);
                v.date(&format!("activity{i}_held_on"), false);
            }
        }
        8 => {
            v.date("feedback_on", false);
        }
        _ => {}
    }
    Ok(v.finish())
}

fn stored_phase(p: &store::Phase) -> PhaseInput {
    PhaseInput {
        name: p.name.clone(),
        description: p.description.clone(),
        starts_on: form_date(&p.starts_on),
        ends_on: form_date(&p.ends_on),
    }
}

fn stored_activity(i: usize, a: &store::Activity) -> ActivityRow {
    ActivityRow {
        i,
        title: a.title.clone(),
        form: a.form.clone(),
        held_on: a.held_on.as_deref().map(form_date).unwrap_or_default(),
        place: a.place.clone(),
        description: a.description.clone(),
    }
}

fn phase_input(form: &Form, i: usize) -> PhaseInput {
    PhaseInput {
        name: form.get(&format!("phase{i}_name")),
        description: form.get(&format!("phase{i}_description")),
        starts_on: form.get(&format!("phase{i}_starts_on")),
        ends_on: form.get(&format!("phase{i}_ends_on")),
    }
}

fn activity_input(form: &Form, i: usize) -> ActivityRow {
    ActivityRow {
        i,
        title: form.get(&format!("activity{i}_title")),
        form: form.get(&format!("activity{i}_form")),
        held_on: form.get(&format!("activity{i}_held_on")),
        place: form.get(&format!("activity{i}_place")),
        description: form.get(&format!("activity{i}_description")),
    }
}

/// A stored ISO date as typed in the forms: day-month-year.
fn form_date(iso: &str) -> String {
    match chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        Ok(d) => d.format("%d-%m-%Y").to_string(),
        Err(_) => iso.to_string(),
    }
}

fn opt_date(raw: &str) -> Option<String> {
    crate::web::form::parse_date(raw.trim()).map(|d| d.to_string())
}

/// Write one validated step.
async fn save_step_fields(tx: &mut crate::db::Tx, id: i64, step: u8, form: &Form) -> AppResult<()> {
    for f in TEXT_FIELDS.iter().filter(|f| f.step == step) {
        // Column names come from the fixed TEXT_FIELDS table, never from input.
        let sql = format!("UPDATE trajectories SET {} = $1 WHERE id = $2", f.name);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(form.get(f.name).trim().to_string())
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    match step {
        1 => {
            sqlx::query("UPDATE trajectories SET area_id = $1, topic_id = $2 WHERE id = $3")
                .bind(form.get("area_id").parse::<i64>().ok())
                .bind(form.get("topic_id").parse::<i64>().ok())
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        5 => {
            sqlx::query("UPDATE trajectories SET ladder_position = $1 WHERE id = $2")
                .bind(form.get("ladder_position").parse::<i64>().ok())
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        6 => {
            sqlx::query("DELETE FROM trajectory_phases WHERE trajectory_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            let mut rows: Vec<PhaseInput> = (1..=PHASE_ROWS)
                .map(|i| phase_input(form, i))
                .filter(|p| !p.is_blank())
                .collect();
            rows.sort_by_key(|p| opt_date(&p.starts_on));
            for (pos, p) in rows.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO trajectory_phases (trajectory_id, position, name, description, starts_on, ends_on) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(pos as i64 + 1)
                .bind(p.name.trim())
                .bind(p.description.trim())
                .bind(opt_date(&p.starts_on).unwrap_or_default())
                .bind(opt_date(&p.ends_on).unwrap_or_default())
                .execute(&mut **tx)
                .await?;
            }
            store::refresh_dates(tx, id).await?;
        }
        7 => {
            // Keep activity ids stable (reactions refer to them): update in place, add, remove.
            let existing: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM trajectory_activities WHERE trajectory_id = $1 ORDER BY position",
            )
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
            let rows: Vec<ActivityRow> = (1..=ACTIVITY_ROWS)
                .map(|i| activity_input(form, i))
                .filter(|a| !a.title.trim().is_empty())
                .collect();
            for (pos, a) in rows.iter().enumerate() {
                let held = opt_date(&a.held_on);
                if let Some(aid) = existing.get(pos) {
                    sqlx::query(
                        "UPDATE trajectory_activities SET position = $1, title = $2, form = $3, \
                         description = $4, held_on = $5, place = $6 WHERE id = $7",
                    )
                    .bind(pos as i64 + 1)
                    .bind(a.title.trim())
                    .bind(&a.form)
                    .bind(a.description.trim())
                    .bind(held)
                    .bind(a.place.trim())
                    .bind(aid)
                    .execute(&mut **tx)
                    .await?;
                } else {
                    sqlx::query(
                        "INSERT INTO trajectory_activities (trajectory_id, position, title, form, description, held_on, place) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(pos as i64 + 1)
                    .bind(a.title.trim())
                    .bind(&a.form)
                    .bind(a.description.trim())
                    .bind(held)
                    .bind(a.place.trim())
                    .execute(&mut **tx)
                    .await?;
                }
            }
            for aid in existing.iter().skip(rows.len()) {
                sqlx::query("DELETE FROM trajectory_activities WHERE id = $1")
                    .bind(aid)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        8 => {
            sqlx::query(
                "UPDATE trajectories SET feedback_on = $1, reactions_open = $2 WHERE id = $3",
            )
            .bind(opt_date(&form.get("feedback_on")))
            .bind(if form.checked("reactions_open") {
                1i64
            } else {
                0
            })
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        _ => {}
    }
    sqlx::query("UPDATE trajectories SET updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn step_save(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id, n)): Path<(String, String, String)>,
    form: Form,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    let n = parse_step(&n)?;
    if t.status == "gesloten" {
        return Err(AppError::Conflict("traject is gesloten".into()));
    }
    let errors = validate_step(&state, &ctx, &s, n, &form).await?;
    if !errors.is_empty() {
        return step_page(
            &state,
            &ctx,
            &s,
            Some(t),
            n,
            errors,
            Some(&form),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    save_step_fields(&mut tx, t.id, n, &form).await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "trajectory.updated",
        "trajectory",
        Some(t.id),
        &format!("stap {n} van het stappenplan opgeslagen"),
    )
    .await?;
    tx.commit().await?;
    super::public::invalidate(&state, s.tenant.id);
    let next = if form.get("action") == "save" || n == STEPS {
        n
    } else {
        n + 1
    };
    Ok(redirect_with_flash(
        &format!("{}/{}/stap/{next}", base(&s), t.id),
        "trajecten.flash.saved",
    ))
}

pub async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    if t.status != "concept" {
        return Ok(redirect_with_flash(
            &format!("/{}/trajecten/{}", s.tenant.slug, t.id),
            "trajecten.flash.already_published",
        ));
    }
    let phases = store::phases(&state.db, t.id).await?;
    let acts = store::activities(&state.db, t.id).await?;
    let missing = plan::missing(&t, &phases, &acts);
    if !missing.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("publish", ctx.t("trajecten.publish.incomplete"));
        return step_page(
            &state,
            &ctx,
            &s,
            Some(t),
            STEPS,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    let changed = sqlx::query(
        "UPDATE trajectories SET status = 'gepubliceerd', published_at = $1, updated_at = $1 \
         WHERE id = $2 AND status = 'concept'",
    )
    .bind(now())
    .bind(t.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 1 {
        audit::record(
            &mut tx,
            Some(s.tenant.id),
            Some(&s.user),
            "trajectory.published",
            "trajectory",
            Some(t.id),
            "traject gepubliceerd",
        )
        .await?;
    }
    tx.commit().await?;
    super::public::invalidate(&state, s.tenant.id);
    Ok(redirect_with_flash(
        &format!("/{}/trajecten/{}", s.tenant.slug, t.id),
        "trajecten.flash.published",
    ))
}

// ---------- participatiegids ----------

pub struct Question {
    pub name: &'static str,
    pub legend: &'static str,
    pub options: Vec<(&'static str, &'static str)>,
    pub selected: Vec<String>,
    pub multiple: bool,
}

impl Question {
    pub fn has(&self, v: &str) -> bool {
        self.selected.iter().any(|s| s == v)
    }
}

pub struct AdviceView {
    pub level_name: String,
    pub level_position: i64,
    pub level_description: String,
    pub forms: Vec<&'static str>,
    pub reasons: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "trajecten/manage/gids.html")]
struct GidsTpl {
    c: Chrome,
    action: String,
    apply_action: String,
    back: String,
    questions: Vec<Question>,
    errors: FieldErrors,
    advice: Option<AdviceView>,
}

fn questions(ctx: &Ctx, a: &Answers) -> Vec<Question> {
    let q = |name: &'static str,
             allowed: &[&'static str],
             selected: Vec<String>,
             multiple: bool|
     -> Question {
        Question {
            name,
            legend: ctx.t(&format!("trajecten.gids.q.{name}")),
            options: allowed
                .iter()
                .map(|o| (*o, ctx.t(&format!("trajecten.gids.a.{name}.{o}"))))
                .collect(),
            selected,
            multiple,
        }
    };
    vec![
        q("room", gids::ROOM, vec![a.room.clone()], false),
        q("impact", gids::IMPACT, vec![a.impact.clone()], false),
        q("reach", gids::REACH, vec![a.reach.clone()], false),
        q(
            "knowledge",
            gids::KNOWLEDGE,
            vec![a.knowledge.clone()],
            false,
        ),
        q("divided", gids::DIVIDED, vec![a.divided.clone()], false),
        q("time", gids::TIME, vec![a.time.clone()], false),
        q("groups", gids::GROUPS, a.groups.clone(), true),
    ]
}

async fn advice_view(state: &AppState, tenant_id: i64, a: &Answers) -> AppResult<AdviceView> {
    let adv = gids::recommend(a);
    let ladder = ladder_of(&state.db, tenant_id).await?;
    let pos = gids::ladder_position(adv.level, ladder.len()) as i64;
    let lvl = ladder.iter().find(|l| l.position == pos);
    Ok(AdviceView {
        level_name: lvl.map(|l| l.name.clone()).unwrap_or_default(),
        level_position: pos,
        level_description: lvl.map(|l| l.description.clone()).unwrap_or_default(),
        forms: adv.forms,
        reasons: adv.reasons,
    })
}

pub async fn gids_form(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    let answers: Answers = serde_json::from_str(&t.guide_answers).unwrap_or_default();
    let advice = if t.guide_answers.is_empty() {
        None
    } else {
        Some(advice_view(&state, s.tenant.id, &answers).await?)
    };
    render(&GidsTpl {
        c: Chrome::new(&ctx, Some(&s.tenant), ctx.t("trajecten.gids.title")),
        action: format!("{}/{}/gids", base(&s), t.id),
        apply_action: format!("{}/{}/gids/toepassen", base(&s), t.id),
        back: format!("{}/{}/stap/5", base(&s), t.id),
        questions: questions(&ctx, &answers),
        errors: FieldErrors::new(),
        advice,
    })
}

pub async fn gids_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    let mut v = Validator::new(&ctx, &form);
    let room = v.choice("room", gids::ROOM, true);
    let impact = v.choice("impact", gids::IMPACT, true);
    let reach = v.choice("reach", gids::REACH, true);
    let knowledge = v.choice("knowledge", gids::KNOWLEDGE, true);
    let divided = v.choice("divided", gids::DIVIDED, true);
    let time = v.choice("time", gids::TIME, true);
    let groups: Vec<String> = form
        .all("groups")
        .into_iter()
        .filter(|g| gids::GROUPS.contains(&g.as_str()))
        .collect();
    if form.all("groups").len() != groups.len() {
        v.error("groups", "kern.validation.choose");
    }
    let errors = v.finish();
    let answers = Answers {
        room: room.unwrap_or_default(),
        impact: impact.unwrap_or_default(),
        reach: reach.unwrap_or_default(),
        knowledge: knowledge.unwrap_or_default(),
        divided: divided.unwrap_or_default(),
        time: time.unwrap_or_default(),
        groups,
    };
    let tpl = |errors, advice| GidsTpl {
        c: Chrome::new(&ctx, Some(&s.tenant), ctx.t("trajecten.gids.title")),
        action: format!("{}/{}/gids", base(&s), t.id),
        apply_action: format!("{}/{}/gids/toepassen", base(&s), t.id),
        back: format!("{}/{}/stap/5", base(&s), t.id),
        questions: questions(&ctx, &answers),
        errors,
        advice,
    };
    if !errors.is_empty() {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &tpl(errors, None));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE trajectories SET guide_answers = $1, updated_at = $2 WHERE id = $3")
        .bind(serde_json::to_string(&answers).map_err(anyhow::Error::from)?)
        .bind(now())
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    super::public::invalidate(&state, s.tenant.id);
    let advice = advice_view(&state, s.tenant.id, &answers).await?;
    render(&tpl(FieldErrors::new(), Some(advice)))
}

pub async fn gids_apply(
    State(state): State<AppState>,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    let answers: Answers =
        serde_json::from_str(&t.guide_answers).map_err(|_| AppError::Conflict("gids".into()))?;
    let adv = gids::recommend(&answers);
    let n = ladder_of(&state.db, s.tenant.id).await?.len();
    let pos = gids::ladder_position(adv.level, n) as i64;
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE trajectories SET ladder_position = $1, updated_at = $2 WHERE id = $3")
        .bind(pos)
        .bind(now())
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "trajectory.level_from_guide",
        "trajectory",
        Some(t.id),
        &format!("niveau {pos} van de ladder gekozen op advies van de participatiegids"),
    )
    .await?;
    tx.commit().await?;
    super::public::invalidate(&state, s.tenant.id);
    Ok(redirect_with_flash(
        &format!("{}/{}/stap/5", base(&s), t.id),
        "trajecten.flash.level_applied",
    ))
}

// ---------- processing reactions ----------

#[derive(Template)]
#[template(path = "trajecten/manage/reactions.html")]
struct ReactionsTpl {
    c: Chrome,
    t: Trajectory,
    base: String,
    reactions: Vec<Reaction>,
    tally: store::Tally,
    errors: FieldErrors,
    error_for: i64,
    typed_status: String,
    typed_response: String,
    statuses: Vec<(&'static str, &'static str)>,
    lang: crate::web::i18n::Lang,
}

impl ReactionsTpl {
    fn when(&self, ts: &i64) -> String {
        crate::web::page::fmt_datetime(self.lang, *ts)
    }
}

async fn reactions_page(
    state: &AppState,
    ctx: &Ctx,
    s: &Staff,
    t: Trajectory,
    errors: FieldErrors,
    error_for: i64,
    form: Option<&Form>,
) -> AppResult<Response> {
    let reactions = store::reactions(&state.db, t.id, true).await?;
    let tally = store::tally(&reactions);
    let status = errors.status();
    render_status(
        status,
        &ReactionsTpl {
            c: Chrome::new(
                ctx,
                Some(&s.tenant),
                format!("{} · {}", ctx.t("trajecten.process.title"), t.title),
            ),
            base: format!("{}/{}", base(s), t.id),
            reactions,
            tally,
            errors,
            error_for,
            typed_status: form.map(|f| f.get("status")).unwrap_or_default(),
            typed_response: form.map(|f| f.get("response")).unwrap_or_default(),
            statuses: store::REACTION_STATUSES
                .iter()
                .map(|st| (*st, ctx.t(store::status_key(st))))
                .collect(),
            lang: ctx.lang,
            t,
        },
    )
}

pub async fn reactions(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    reactions_page(&state, &ctx, &s, t, FieldErrors::new(), 0, None).await
}

pub async fn process(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id, rid)): Path<(String, String, String)>,
    form: Form,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    let rid = path_id(&rid)?;
    let owner: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT user_id FROM reactions WHERE id = $1 AND trajectory_id = $2")
            .bind(rid)
            .bind(t.id)
            .fetch_optional(state.db.pool())
            .await?;
    let Some((user_id,)) = owner else {
        return Err(AppError::NotFound);
    };
    if t.status == "gesloten" {
        return Err(AppError::Conflict("traject is gesloten".into()));
    }
    let mut v = Validator::new(&ctx, &form);
    let status = v.choice("status", &store::REACTION_STATUSES, true);
    let response = v.text("response", 4000);
    let errors = v.finish();
    if !errors.is_empty() {
        return reactions_page(&state, &ctx, &s, t, errors, rid, Some(&form)).await;
    }
    let status = status.unwrap_or_default();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE reactions SET status = $1, response = $2, processed_by = $3, processed_at = $4 \
         WHERE id = $5",
    )
    .bind(&status)
    .bind(response.trim())
    .bind(s.user.id)
    .bind(now())
    .bind(rid)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "reaction.processed",
        "reaction",
        Some(rid),
        &format!("reactie verwerkt: {status}"),
    )
    .await?;
    // Tell the resident what was done with their input.
    if let Some(uid) = user_id {
        let email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(uid)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(email) = email {
            let url = format!(
                "{}/{}/trajecten/{}#reactie-{rid}",
                state.config.public_url, s.tenant.slug, t.id
            );
            let body = tf(
                ctx.lang,
                "trajecten.mail.processed_body",
                &[
                    ("traject", &t.title),
                    ("status", ctx.t(store::status_key(&status))),
                    ("antwoord", response.trim()),
                    ("url", &url),
                ],
            );
            mail::queue(
                &mut tx,
                Some(s.tenant.id),
                &email,
                &tf(
                    ctx.lang,
                    "trajecten.mail.processed_subject",
                    &[("traject", &t.title)],
                ),
                &body,
            )
            .await?;
        }
    }
    tx.commit().await?;
    super::public::invalidate(&state, s.tenant.id);
    Ok(redirect_with_flash(
        &format!("{}/{}/reacties#reactie-{rid}", base(&s), t.id),
        "trajecten.flash.processed",
    ))
}

// ---------- closing ----------

#[derive(Template)]
#[template(path = "trajecten/manage/close.html")]
struct CloseTpl {
    c: Chrome,
    t: Trajectory,
    action: String,
    reactions_href: String,
    open: i64,
    errors: FieldErrors,
    conclusion: String,
    lessons: String,
}

pub async fn close_form(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    let tally = store::tally(&store::reactions(&state.db, t.id, false).await?);
    close_page(
        &ctx,
        &s,
        StatusCode::OK,
        tally.open,
        FieldErrors::new(),
        t.conclusion.clone(),
        t.lessons.clone(),
        t,
    )
}

#[allow(clippy::too_many_arguments)]
fn close_page(
    ctx: &Ctx,
    s: &Staff,
    status: StatusCode,
    open: i64,
    errors: FieldErrors,
    conclusion: String,
    lessons: String,
    t: Trajectory,
) -> AppResult<Response> {
    render_status(
        status,
        &CloseTpl {
            c: Chrome::new(ctx, Some(&s.tenant), ctx.t("trajecten.close.title")),
            action: format!("{}/{}/afsluiten", base(s), t.id),
            reactions_href: format!("{}/{}/reacties", base(s), t.id),
            open,
            errors,
            conclusion,
            lessons,
            t,
        },
    )
}

pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    s: Staff,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let t = load(&state, &s, &id).await?;
    let tally = store::tally(&store::reactions(&state.db, t.id, false).await?);
    let mut v = Validator::new(&ctx, &form);
    let conclusion = v.text("conclusion", 8000);
    let lessons = v.optional_text("lessons", 8000);
    if t.status == "concept" {
        v.error("conclusion", "trajecten.close.not_published");
    }
    if tally.open > 0 {
        v.error("conclusion", "trajecten.close.open_reactions");
    }
    let errors = v.finish();
    if !errors.is_empty() || t.status == "gesloten" {
        if errors.is_empty() {
            return Ok(
                Redirect::to(&format!("/{}/trajecten/{}", s.tenant.slug, t.id)).into_response(),
            );
        }
        return close_page(
            &ctx,
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            tally.open,
            errors,
            conclusion,
            lessons,
            t,
        );
    }
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE trajectories SET status = 'gesloten', conclusion = $1, lessons = $2, \
         closed_at = $3, updated_at = $3 WHERE id = $4 AND status = 'gepubliceerd'",
    )
    .bind(conclusion.trim())
    .bind(lessons.trim())
    .bind(now())
    .bind(t.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(s.tenant.id),
        Some(&s.user),
        "trajectory.closed",
        "trajectory",
        Some(t.id),
        "traject afgesloten; eindverslag beschikbaar",
    )
    .await?;
    tx.commit().await?;
    super::public::invalidate(&state, s.tenant.id);
    Ok(redirect_with_flash(
        &format!("/{}/trajecten/{}/eindverslag", s.tenant.slug, t.id),
        "trajecten.flash.closed",
    ))
}

/// A date for display in the staff overview.
pub fn show_date(ctx: &Ctx, d: &Option<String>) -> String {
    d.as_deref()
        .map(|d| fmt_date(ctx.lang, d))
        .unwrap_or_default()
}
