//! What residents see: the list (filtered by area, theme and stage), the trajectory page with
//! its timeline, reacting, and what was done with every reaction.

use super::store::{self, Activity, Filter, Phase, Reaction, Stage, Tally, Trajectory};
use crate::db::now;
use crate::modules::kern::admin::{LadderLevel, Topic, ladder_of, topics_of};
use crate::modules::kern::areas::{self, Area, AreaMap};
use crate::modules::kern::ratelimit;
use crate::web::AppState;
use crate::web::access::{LoggedIn, ManageParticipation, TenantCtx};
use crate::web::ctx::{Ctx, redirect_with_flash};
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{FieldErrors, Form, Validator};
use crate::web::i18n::Lang;
use crate::web::page::{Chrome, fmt_date, fmt_datetime, fmt_int, render, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::HashMap;

pub const PAGE_SIZE: i64 = 20;

/// Published trajectories per wijk (cached briefly; see [`invalidate`]).
pub async fn counts(state: &AppState, tenant_id: i64) -> AppResult<HashMap<i64, i64>> {
    let c = state
        .cache
        .get_or_load(format!("{tenant_id}:traj:counts"), || {
            store::counts_per_area(&state.db, tenant_id)
        })
        .await?;
    Ok((*c).clone())
}

/// Forget cached trajectory data of a municipality: every write calls this.
pub fn invalidate(state: &AppState, tenant_id: i64) {
    state.cache.invalidate_prefix(&format!("{tenant_id}:traj:"));
}

pub fn is_staff(ctx: &Ctx, tenant_id: i64) -> bool {
    use crate::web::access::Capability;
    ctx.user
        .as_ref()
        .map(|u| u.has_any(tenant_id, ManageParticipation::ROLES))
        .unwrap_or(false)
}

/// A trajectory the visitor may see: published or closed, or any for its staff.
pub async fn visible(
    state: &AppState,
    ctx: &Ctx,
    tenant_id: i64,
    id: &str,
) -> AppResult<Trajectory> {
    let id = path_id(id)?;
    let t = state
        .cache
        .get_or_load(format!("{tenant_id}:traj:row:{id}"), || {
            store::get(&state.db, tenant_id, id)
        })
        .await?;
    let t = (*t).clone().ok_or(AppError::NotFound)?;
    if t.is_public() || is_staff(ctx, tenant_id) {
        Ok(t)
    } else {
        Err(AppError::NotFound)
    }
}

pub struct Card {
    pub t: Trajectory,
    pub stage_key: &'static str,
    pub stage_label: &'static str,
    pub period: String,
}

pub fn period(lang: Lang, t: &Trajectory) -> String {
    match (&t.starts_on, &t.ends_on) {
        (Some(s), Some(e)) => format!("{} – {}", fmt_date(lang, s), fmt_date(lang, e)),
        _ => String::new(),
    }
}

pub fn card(ctx: &Ctx, t: Trajectory) -> Card {
    let st = t.stage();
    Card {
        stage_key: st.key(),
        stage_label: ctx.t(st.label_key()),
        period: period(ctx.lang, &t),
        t,
    }
}

#[derive(Template)]
#[template(path = "trajecten/list.html")]
struct ListTpl {
    c: Chrome,
    base: String,
    cards: Vec<Card>,
    total: String,
    areas: Vec<Area>,
    topics: Vec<Topic>,
    stages: Vec<(&'static str, &'static str)>,
    sel_area: String,
    sel_topic: String,
    sel_stage: String,
    page: i64,
    pages: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    map: AreaMap,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Query(q): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    // Unknown or malformed filter values are ignored rather than answered with an error:
    // these are links people share and edit.
    let area = q.get("gebied").and_then(|v| v.parse::<i64>().ok());
    let topic = q.get("thema").and_then(|v| v.parse::<i64>().ok());
    let stage = q.get("fase").and_then(|v| Stage::parse(v));
    let page = q
        .get("pagina")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let f = Filter {
        area,
        topic,
        stage,
        include_drafts: false,
    };
    let key = format!(
        "{}:traj:list:{:?}:{:?}:{:?}:{page}",
        tenant.id, area, topic, stage
    );
    let listed = state
        .cache
        .get_or_load(key, || {
            store::list(&state.db, tenant.id, &f, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        })
        .await?;
    let (items, total) = (listed.0.clone(), listed.1);
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let base = format!("/{}/trajecten", tenant.slug);
    let query = |p: i64| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if let Some(a) = area {
            s.append_pair("gebied", &a.to_string());
        }
        if let Some(t) = topic {
            s.append_pair("thema", &t.to_string());
        }
        if let Some(st) = stage {
            s.append_pair("fase", st.key());
        }
        s.append_pair("pagina", &p.to_string());
        format!("{base}?{}", s.finish())
    };
    let counts = counts(&state, tenant.id).await?;
    let slug = tenant.slug.clone();
    let map = areas::draw_map(
        &state.db,
        tenant.id,
        "wijk",
        ctx.t("trajecten.list.map_title").to_string(),
        &counts,
        area,
        |a| format!("/{slug}/trajecten?gebied={}", a.id),
    )
    .await?;
    let filters = state
        .cache
        .get_or_load(format!("{}:traj:filters", tenant.id), || async {
            let mut wijken = areas::of_tenant(&state.db, tenant.id, Some("wijk")).await?;
            wijken.sort_by(|a, b| a.name.cmp(&b.name));
            let topics = topics_of(&state.db, tenant.id).await?;
            Ok::<_, sqlx::Error>((wijken, topics))
        })
        .await?;
    render(&ListTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), ctx.t("trajecten.list.title")),
        cards: items.into_iter().map(|t| card(&ctx, t)).collect(),
        total: fmt_int(ctx.lang, total),
        areas: filters.0.clone(),
        topics: filters.1.clone(),
        stages: Stage::PUBLIC
            .iter()
            .map(|s| (s.key(), ctx.t(s.label_key())))
            .collect(),
        sel_area: area.map(|a| a.to_string()).unwrap_or_default(),
        sel_topic: topic.map(|a| a.to_string()).unwrap_or_default(),
        sel_stage: stage.map(|s| s.key().to_string()).unwrap_or_default(),
        page,
        pages,
        prev_href: (page > 1).then(|| query(page - 1)),
        next_href: (page < pages).then(|| query(page + 1)),
        map,
        base,
    })
}

/// What the trajectory page shows besides the trajectory itself, cached per trajectory.
pub struct Bundle {
    pub phases: Vec<Phase>,
    pub activities: Vec<Activity>,
    pub reactions: Vec<Reaction>,
    pub ladder: Vec<LadderLevel>,
}

async fn bundle(state: &AppState, tenant_id: i64, id: i64) -> AppResult<std::sync::Arc<Bundle>> {
    Ok(state
        .cache
        .get_or_load(format!("{tenant_id}:traj:show:{id}"), || async {
            Ok::<_, sqlx::Error>(Bundle {
                phases: store::phases(&state.db, id).await?,
                activities: store::activities(&state.db, id).await?,
                reactions: store::reactions(&state.db, id, true).await?,
                ladder: ladder_of(&state.db, tenant_id).await?,
            })
        })
        .await?)
}

pub struct PhaseView {
    pub p: Phase,
    pub period: String,
    pub state_key: &'static str,
    pub state_label: &'static str,
}

pub struct ReactionView {
    pub r: Reaction,
    pub when: String,
    pub status_label: &'static str,
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "trajecten/show.html")]
struct ShowTpl {
    c: Chrome,
    t: Trajectory,
    base: String,
    stage_label: &'static str,
    period: String,
    level: Option<LadderLevel>,
    ladder_len: usize,
    phases: Vec<PhaseView>,
    activities: Vec<(Activity, String, &'static str)>,
    reactions: Vec<ReactionView>,
    tally: Tally,
    feedback_on: String,
    can_react: bool,
    logged_in: bool,
    login_href: String,
    staff: bool,
    manage_href: String,
    errors: FieldErrors,
    body: String,
    activity_id: String,
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
    t: Trajectory,
    errors: FieldErrors,
    form: Option<&Form>,
) -> AppResult<Response> {
    let today = store::today();
    let bundle = bundle(state, tenant.id, t.id).await?;
    let phases = bundle
        .phases
        .iter()
        .cloned()
        .map(|p| {
            let (k, key) = if t.status == "gesloten" || p.ends_on < today {
                ("done", "trajecten.timeline.done")
            } else if p.starts_on > today {
                ("future", "trajecten.timeline.future")
            } else {
                ("now", "trajecten.timeline.now")
            };
            PhaseView {
                period: format!(
                    "{} – {}",
                    fmt_date(ctx.lang, &p.starts_on),
                    fmt_date(ctx.lang, &p.ends_on)
                ),
                state_key: k,
                state_label: ctx.t(key),
                p,
            }
        })
        .collect();
    let activities = bundle
        .activities
        .iter()
        .cloned()
        .map(|a| {
            let d = a
                .held_on
                .as_deref()
                .map(|d| fmt_date(ctx.lang, d))
                .unwrap_or_default();
            let form = ctx.t(&format!("trajecten.form.{}", a.form));
            (a, d, form)
        })
        .collect();
    let staff = is_staff(ctx, tenant.id);
    let all = bundle.reactions.clone();
    let tally = store::tally(&all);
    let me = ctx.user_id();
    let reactions = all
        .into_iter()
        .map(|r| ReactionView {
            when: fmt_datetime(ctx.lang, r.created_at),
            status_label: ctx.t(r.status_key()),
            mine: me.is_some() && r.user_id == me,
            r,
        })
        .collect();
    let ladder = &bundle.ladder;
    let level = t
        .ladder_position
        .and_then(|p| ladder.iter().find(|l| l.position == p).cloned());
    let status = errors.status();
    let stage = t.stage();
    let base = format!("/{}/trajecten/{}", tenant.slug, t.id);
    render_status(
        status,
        &ShowTpl {
            c: Chrome::new(ctx, Some(&tenant.0), t.title.clone()),
            stage_label: ctx.t(stage.label_key()),
            period: period(ctx.lang, &t),
            level,
            ladder_len: ladder.len(),
            phases,
            activities,
            reactions,
            tally,
            feedback_on: t
                .feedback_on
                .as_deref()
                .map(|d| fmt_date(ctx.lang, d))
                .unwrap_or_default(),
            can_react: t.accepts_reactions(),
            logged_in: ctx.user.is_some(),
            login_href: format!(
                "/{}/inloggen?terug={}",
                tenant.slug,
                form_urlencoded::byte_serialize(format!("{base}#reageren").as_bytes())
                    .collect::<String>()
            ),
            staff,
            manage_href: format!("/{}/beheer/trajecten/{}", tenant.slug, t.id),
            errors,
            body: form.map(|f| f.get("body")).unwrap_or_default(),
            activity_id: form.map(|f| f.get("activity_id")).unwrap_or_default(),
            base,
            t,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let t = visible(&state, &ctx, tenant.id, &id).await?;
    show_page(&state, &ctx, &tenant, t, FieldErrors::new(), None).await
}

pub async fn react(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    user: LoggedIn,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let t = visible(&state, &ctx, tenant.id, &id).await?;
    let mut v = Validator::new(&ctx, &form);
    let body = v.text("body", 5000);
    if !body.is_empty() && body.trim().chars().count() < 3 {
        v.error("body", "trajecten.react.too_short");
    }
    let activity = v.integer("activity_id", 1, i64::MAX, false);
    if !t.accepts_reactions() {
        v.error("body", "trajecten.react.closed");
    }
    if let Some(a) = activity {
        let ok = store::activities(&state.db, t.id)
            .await?
            .iter()
            .any(|x| x.id == a);
        if !ok {
            v.error("activity_id", "kern.validation.choose");
        }
    }
    let errors = v.finish();
    if !errors.is_empty() {
        return show_page(&state, &ctx, &tenant, t, errors, Some(&form)).await;
    }
    if !ratelimit::allow(&state.db, &format!("reactie:{}", user.id), 20, 3600).await? {
        return Err(AppError::TooMany);
    }
    let mut tx = state.db.begin().await?;
    let rid: i64 = sqlx::query_scalar(
        "INSERT INTO reactions (trajectory_id, activity_id, user_id, author_name, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(t.id)
    .bind(activity)
    .bind(user.id)
    .bind(&user.name)
    .bind(body.trim())
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    invalidate(&state, tenant.id);
    Ok(redirect_with_flash(
        &format!("/{}/trajecten/{}#reactie-{rid}", tenant.slug, t.id),
        "trajecten.flash.reacted",
    ))
}

/// The resident's own reactions across trajectories, with what was done with them.
#[derive(Template)]
#[template(path = "trajecten/mine.html")]
struct MineTpl {
    c: Chrome,
    items: Vec<(Reaction, String, String, &'static str)>,
}

pub async fn mine(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    user: LoggedIn,
) -> AppResult<Response> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT DISTINCT t.id, t.title FROM reactions r JOIN trajectories t ON t.id = r.trajectory_id \
         WHERE r.user_id = $1 AND t.tenant_id = $2 ORDER BY t.id DESC",
    )
    .bind(user.id)
    .bind(tenant.id)
    .fetch_all(state.db.pool())
    .await?;
    let mut items = Vec::new();
    for (tid, title) in rows {
        for r in store::reactions(&state.db, tid, true).await? {
            if r.user_id == Some(user.id) {
                let href = format!("/{}/trajecten/{tid}#reactie-{}", tenant.slug, r.id);
                let label = ctx.t(r.status_key());
                items.push((r, title.clone(), href, label));
            }
        }
    }
    render(&MineTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), ctx.t("trajecten.mine.title")),
        items,
    })
}

#[derive(Template)]
#[template(path = "trajecten/home_section.html")]
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

/// The block on the municipality's home page: trajectories running now and coming soon.
pub async fn home_section(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
) -> AppResult<crate::modules::kern::pages::HomeSection> {
    let items = state
        .cache
        .get_or_load(format!("{}:traj:home", tenant.id), || async {
            let mut items = Vec::new();
            for st in [Stage::Loopt, Stage::Binnenkort] {
                let f = Filter {
                    stage: Some(st),
                    ..Default::default()
                };
                items.extend(store::list(&state.db, tenant.id, &f, 6, 0).await?.0);
            }
            Ok::<_, sqlx::Error>(items)
        })
        .await?;
    let mut cards: Vec<Card> = items.iter().cloned().map(|t| card(ctx, t)).collect();
    cards.truncate(6);
    let html = HomeTpl {
        c: ctx,
        base: format!("/{}/trajecten", tenant.slug),
        cards,
    }
    .render()?;
    Ok(crate::modules::kern::pages::HomeSection { html })
}
