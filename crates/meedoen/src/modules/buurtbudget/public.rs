//! What residents see: rounds, the round page with its phases and rules, plans (submit,
//! edit until the deadline, support), and the execution of the winners.

use super::store::{self, Phase, Plan, Round};
use crate::db::now;
use crate::modules::kern::areas::{self, Area, AreaMap};
use crate::web::AppState;
use crate::web::access::{LoggedIn, ManageParticipation, TenantCtx};
use crate::web::ctx::{Ctx, redirect_with_flash};
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{FieldErrors, Form, MultipartForm, Validator};
use crate::web::i18n::{Lang, tf};
use crate::web::page::{Chrome, fmt_date, fmt_datetime, fmt_int, render, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::HashMap;

/// "€ 12.345".
pub fn eur(lang: Lang, n: i64) -> String {
    format!("€ {}", fmt_int(lang, n))
}

pub fn is_staff(ctx: &Ctx, tenant_id: i64) -> bool {
    use crate::web::access::Capability;
    ctx.user
        .as_ref()
        .is_some_and(|u| u.has_any(tenant_id, ManageParticipation::ROLES))
}

/// A round the visitor may see: any but concept, or any for staff.
pub async fn visible_round(
    state: &AppState,
    ctx: &Ctx,
    tenant_id: i64,
    id: &str,
) -> AppResult<Round> {
    let id = path_id(id)?;
    let r = store::get_round(&state.db, tenant_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if r.is_public() || is_staff(ctx, tenant_id) {
        Ok(r)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn round_plan(state: &AppState, round: &Round, id: &str) -> AppResult<Plan> {
    let id = path_id(id)?;
    store::plan(&state.db, round.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The plain-language explanation of a round's rules, one sentence per rule.
pub fn rule_texts(lang: Lang, r: &Round) -> Vec<String> {
    let mut v = Vec::new();
    let budget = eur(lang, r.budget);
    let unbounded = |m: Option<i64>| m.map(|m| m.to_string()).unwrap_or_else(|| "∞".into());
    match r.ballot_kind.as_str() {
        "basket" => v.push(tf(lang, "buurtbudget.rules.basket", &[("budget", &budget)])),
        "kapproval" => v.push(tf(
            lang,
            "buurtbudget.rules.kapproval",
            &[
                ("min", &r.min_choices.unwrap_or(1).to_string()),
                ("max", &unbounded(r.max_choices)),
            ],
        )),
        _ => v.push(tf(
            lang,
            "buurtbudget.rules.cumulative",
            &[
                ("punten", &r.points_total.unwrap_or(0).to_string()),
                ("max", &unbounded(r.points_max_per)),
            ],
        )),
    }
    // A basket is within the budget by definition; the other kinds say so when asked to.
    if r.ballot_kind != "basket" && r.within_budget {
        v.push(tf(
            lang,
            "buurtbudget.rules.within_budget",
            &[("budget", &budget)],
        ));
    }
    if r.ballot_kind == "basket"
        && let Some(m) = r.max_choices
    {
        v.push(tf(
            lang,
            "buurtbudget.rules.max_plans",
            &[("max", &m.to_string())],
        ));
    }
    for (c, n) in r.caps() {
        v.push(tf(
            lang,
            "buurtbudget.rules.cap",
            &[("categorie", &c), ("max", &n.to_string())],
        ));
    }
    v
}

pub fn rule_explanation(lang: Lang, rule: &str) -> String {
    tf(lang, &format!("buurtbudget.result_rule.{rule}"), &[])
}

pub struct PhaseRow {
    pub label: &'static str,
    pub period: String,
    pub current: bool,
}

pub fn phase_rows(lang: Lang, r: &Round) -> Vec<PhaseRow> {
    let now = r.phase();
    let d = |s: &str| fmt_date(lang, s);
    let t = |k: &str| crate::web::i18n::t(lang, k);
    vec![
        PhaseRow {
            label: t("buurtbudget.phase.indienen"),
            period: format!("{} – {}", d(&r.submit_from), d(&r.submit_until)),
            current: now == Phase::Indienen,
        },
        PhaseRow {
            label: t("buurtbudget.phase.steunen"),
            period: format!("{} – {}", d(&r.submit_from), d(&r.support_until)),
            current: now == Phase::Steunen,
        },
        PhaseRow {
            label: t("buurtbudget.phase.toetsen"),
            period: format!("{} – {}", d(&r.support_until), d(&r.check_until)),
            current: now == Phase::Toetsen,
        },
        PhaseRow {
            label: t("buurtbudget.phase.stemmen"),
            period: format!("{} – {}", d(&r.vote_from), d(&r.vote_until)),
            current: now == Phase::Stemmen,
        },
        PhaseRow {
            label: t("buurtbudget.phase.uitslag"),
            period: d(&r.result_on),
            current: matches!(now, Phase::Uitslag | Phase::Tellen),
        },
    ]
}

pub struct RoundCard {
    pub r: Round,
    pub phase: &'static str,
    pub budget: String,
}

#[derive(Template)]
#[template(path = "buurtbudget/list.html")]
struct ListTpl {
    c: Chrome,
    base: String,
    rounds: Vec<RoundCard>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
) -> AppResult<Response> {
    let rounds = store::rounds(&state.db, tenant.id, true)
        .await?
        .into_iter()
        .map(|r| RoundCard {
            phase: ctx.t(&r.phase().label_key()),
            budget: eur(ctx.lang, r.budget),
            r,
        })
        .collect();
    render(&ListTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), ctx.t("buurtbudget.list.title")),
        base: format!("/{}/buurtbudget", tenant.slug),
        rounds,
    })
}

pub struct PlanCard {
    pub p: Plan,
    pub cost: String,
    pub status: &'static str,
    pub support_text: String,
}

pub fn plan_card(ctx: &Ctx, r: &Round, p: Plan) -> PlanCard {
    PlanCard {
        cost: eur(ctx.lang, p.ballot_cost()),
        status: ctx.t(p.check_key()),
        support_text: tf(
            ctx.lang,
            "buurtbudget.plan.support_count",
            &[
                ("n", &p.supports.to_string()),
                ("drempel", &r.support_threshold.to_string()),
            ],
        ),
        p,
    }
}

#[derive(Template)]
#[template(path = "buurtbudget/round.html")]
struct RoundTpl {
    c: Chrome,
    r: Round,
    base: String,
    phase: &'static str,
    budget: String,
    phases: Vec<PhaseRow>,
    rules: Vec<String>,
    rule_text: String,
    plans: Vec<PlanCard>,
    can_submit: bool,
    can_vote: bool,
    has_result: bool,
    staff: bool,
    manage: String,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    let plans = store::plans(&state.db, r.id, false)
        .await?
        .into_iter()
        .map(|p| plan_card(&ctx, &r, p))
        .collect();
    render(&RoundTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), r.title.clone()),
        base: format!("/{}/buurtbudget/{}", tenant.slug, r.id),
        phase: ctx.t(&r.phase().label_key()),
        budget: eur(ctx.lang, r.budget),
        phases: phase_rows(ctx.lang, &r),
        rules: rule_texts(ctx.lang, &r),
        rule_text: rule_explanation(ctx.lang, &r.rule),
        plans,
        can_submit: r.can_submit(),
        can_vote: r.can_vote(),
        has_result: r.status == "uitslag",
        staff: is_staff(&ctx, tenant.id),
        manage: format!("/{}/beheer/buurtbudget/{}", tenant.slug, r.id),
        r,
    })
}

// ---- Plans ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "buurtbudget/plan_form.html")]
struct PlanFormTpl {
    c: Chrome,
    r: Round,
    action: String,
    editing: bool,
    errors: FieldErrors,
    title: String,
    description: String,
    cost: String,
    area_id: String,
    postcode: String,
    category: String,
    areas: Vec<Area>,
    categories: Vec<String>,
    map: AreaMap,
}

/// The areas a plan of this round can be in: the round's area and its buurten, or every
/// wijk when the round covers the whole municipality.
async fn plan_areas(state: &AppState, r: &Round) -> AppResult<Vec<Area>> {
    Ok(match r.area_id {
        Some(a) => {
            let mut v: Vec<Area> = areas::by_id(&state.db, r.tenant_id, a)
                .await?
                .into_iter()
                .collect();
            v.extend(areas::children(&state.db, r.tenant_id, a).await?);
            v
        }
        None => areas::of_tenant(&state.db, r.tenant_id, Some("wijk")).await?,
    })
}

#[allow(clippy::too_many_arguments)]
async fn plan_form_page(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
    r: Round,
    plan: Option<&Plan>,
    form: Option<&Form>,
    errors: FieldErrors,
    preselect: Option<String>,
) -> AppResult<Response> {
    let get = |k: &str, from_plan: String| match form {
        Some(f) => f.get(k),
        None => from_plan,
    };
    let areas = plan_areas(state, &r).await?;
    let slug = tenant.slug.clone();
    let rid = r.id;
    let pid = plan.map(|p| p.id);
    let map = if r.area_id.is_none() {
        areas::draw_map(
            &state.db,
            tenant.id,
            "wijk",
            ctx.t("buurtbudget.plan.map_title").to_string(),
            &HashMap::new(),
            preselect.as_deref().and_then(|s| s.parse().ok()),
            |a| match pid {
                Some(p) => format!(
                    "/{slug}/buurtbudget/{rid}/plannen/{p}/bewerken?gebied={}#area_id",
                    a.id
                ),
                None => format!(
                    "/{slug}/buurtbudget/{rid}/plannen/nieuw?gebied={}#area_id",
                    a.id
                ),
            },
        )
        .await?
    } else {
        AreaMap {
            title: String::new(),
            width: 0.0,
            height: 0.0,
            shapes: vec![],
            markers: vec![],
            projection: None,
        }
    };
    let status = errors.status();
    let action = match plan {
        Some(p) => format!(
            "/{}/buurtbudget/{}/plannen/{}/bewerken",
            tenant.slug, r.id, p.id
        ),
        None => format!("/{}/buurtbudget/{}/plannen/nieuw", tenant.slug, r.id),
    };
    let title_key = if plan.is_some() {
        "buurtbudget.plan.edit_title"
    } else {
        "buurtbudget.plan.new_title"
    };
    render_status(
        status,
        &PlanFormTpl {
            c: Chrome::new(ctx, Some(&tenant.0), ctx.t(title_key)),
            action,
            editing: plan.is_some(),
            errors,
            title: get("title", plan.map(|p| p.title.clone()).unwrap_or_default()),
            description: get(
                "description",
                plan.map(|p| p.description.clone()).unwrap_or_default(),
            ),
            cost: get("cost", plan.map(|p| p.cost.to_string()).unwrap_or_default()),
            area_id: preselect.unwrap_or_else(|| {
                get(
                    "area_id",
                    plan.and_then(|p| p.area_id)
                        .map(|a| a.to_string())
                        .unwrap_or_default(),
                )
            }),
            postcode: get(
                "postcode",
                plan.map(|p| p.postcode.clone()).unwrap_or_default(),
            ),
            category: get(
                "category",
                plan.map(|p| p.category.clone()).unwrap_or_default(),
            ),
            categories: r.caps().into_iter().map(|(c, _)| c).collect(),
            areas,
            map,
            r,
        },
    )
}

pub async fn plan_new(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    _user: LoggedIn,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    if !r.can_submit() {
        return Ok(redirect_with_flash(
            &format!("/{}/buurtbudget/{}", tenant.slug, r.id),
            "buurtbudget.flash.submit_closed",
        ));
    }
    let pre = q
        .get("gebied")
        .filter(|g| g.parse::<i64>().is_ok())
        .cloned();
    plan_form_page(
        &state,
        &ctx,
        &tenant,
        r,
        None,
        None,
        FieldErrors::new(),
        pre,
    )
    .await
}

struct PlanInput {
    title: String,
    description: String,
    cost: i64,
    area_id: Option<i64>,
    postcode: String,
    category: String,
}

/// Validate a plan form; `None` with errors filled when something is wrong.
async fn validate_plan(
    state: &AppState,
    ctx: &Ctx,
    r: &Round,
    mp: &MultipartForm,
) -> AppResult<(Option<PlanInput>, FieldErrors, Option<Vec<u8>>)> {
    let f = &mp.form;
    let mut v = Validator::new(ctx, f);
    let title = v.text("title", 120);
    let description = v.text("description", 5000);
    let cost = v.integer("cost", 1, r.budget.max(1), true);
    let area_id = v.integer("area_id", 1, i64::MAX, false);
    let postcode = normalise_postcode(&f.get("postcode"));
    if !f.get("postcode").is_empty() && postcode.is_none() {
        v.error("postcode", "buurtbudget.plan.bad_postcode");
    }
    if area_id.is_none() && postcode.is_none() && f.get("postcode").is_empty() {
        v.error("area_id", "buurtbudget.plan.location_needed");
    }
    if let Some(a) = area_id
        && !plan_areas(state, r).await?.iter().any(|x| x.id == a)
    {
        v.error("area_id", "kern.validation.choose");
    }
    let cats: Vec<String> = r.caps().into_iter().map(|(c, _)| c).collect();
    let category = f.get("category");
    if !cats.is_empty() && !cats.contains(&category) {
        v.error("category", "kern.validation.choose");
    }
    let category = v.optional_text("category", 60).trim().to_string();
    let mut image = None;
    if let Some(u) = mp.file("image") {
        let b = &u.bytes;
        let ok_type = b.starts_with(b"\x89PNG\r\n\x1a\n") || b.starts_with(&[0xFF, 0xD8, 0xFF]);
        if !ok_type {
            v.error("image", "buurtbudget.plan.bad_image");
        } else if b.len() > 1024 * 1024 {
            v.error("image", "buurtbudget.plan.image_too_big");
        } else {
            image = Some(b.to_vec());
        }
    }
    let errors = v.finish();
    if !errors.is_empty() {
        return Ok((None, errors, None));
    }
    Ok((
        Some(PlanInput {
            title,
            description,
            cost: cost.unwrap_or(0),
            area_id,
            postcode: postcode.unwrap_or_default(),
            category,
        }),
        errors,
        image,
    ))
}

/// "1234 ab" → "1234AB"; `None` when it is not a Dutch postcode.
pub fn normalise_postcode(s: &str) -> Option<String> {
    let c: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = c.as_bytes();
    (b.len() == 6
        && b[0] != b'0'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_uppercase))
    .then_some(c)
}

pub async fn plan_create(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    user: LoggedIn,
    Path((_, id)): Path<(String, String)>,
    mp: MultipartForm,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    if !r.can_submit() {
        return Ok(redirect_with_flash(
            &format!("/{}/buurtbudget/{}", tenant.slug, r.id),
            "buurtbudget.flash.submit_closed",
        ));
    }
    let (input, errors, image) = validate_plan(&state, &ctx, &r, &mp).await?;
    let Some(p) = input else {
        return plan_form_page(&state, &ctx, &tenant, r, None, Some(&mp.form), errors, None).await;
    };
    let mut tx = state.db.begin().await?;
    let image_id = match image {
        Some(b) => crate::modules::kern::pages::store_image(&mut tx, tenant.id, "plan", &b).await?,
        None => None,
    };
    let t = now();
    let pid: i64 = sqlx::query_scalar(
        "INSERT INTO bb_plans (round_id, user_id, author_name, title, description, cost, area_id, \
         postcode, category, image_file_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(r.id)
    .bind(user.id)
    .bind(&user.name)
    .bind(&p.title)
    .bind(&p.description)
    .bind(p.cost)
    .bind(p.area_id)
    .bind(&p.postcode)
    .bind(&p.category)
    .bind(image_id)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &format!("/{}/buurtbudget/{}/plannen/{pid}", tenant.slug, r.id),
        "buurtbudget.flash.plan_saved",
    ))
}

fn may_edit(user: &LoggedIn, r: &Round, p: &Plan) -> bool {
    p.user_id == Some(user.id) && r.can_submit()
}

pub async fn plan_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    user: LoggedIn,
    Path((_, id, plan)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    let p = round_plan(&state, &r, &plan).await?;
    if !may_edit(&user, &r, &p) {
        return Ok(redirect_with_flash(
            &format!("/{}/buurtbudget/{}/plannen/{}", tenant.slug, r.id, p.id),
            "buurtbudget.flash.cannot_edit",
        ));
    }
    let pre = q
        .get("gebied")
        .filter(|g| g.parse::<i64>().is_ok())
        .cloned();
    plan_form_page(
        &state,
        &ctx,
        &tenant,
        r,
        Some(&p),
        None,
        FieldErrors::new(),
        pre,
    )
    .await
}

pub async fn plan_update(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    user: LoggedIn,
    Path((_, id, plan)): Path<(String, String, String)>,
    mp: MultipartForm,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    let p = round_plan(&state, &r, &plan).await?;
    let back = format!("/{}/buurtbudget/{}/plannen/{}", tenant.slug, r.id, p.id);
    if !may_edit(&user, &r, &p) {
        return Ok(redirect_with_flash(&back, "buurtbudget.flash.cannot_edit"));
    }
    let (input, errors, image) = validate_plan(&state, &ctx, &r, &mp).await?;
    let Some(i) = input else {
        return plan_form_page(
            &state,
            &ctx,
            &tenant,
            r,
            Some(&p),
            Some(&mp.form),
            errors,
            None,
        )
        .await;
    };
    let mut tx = state.db.begin().await?;
    let image_id = match image {
        Some(b) => crate::modules::kern::pages::store_image(&mut tx, tenant.id, "plan", &b).await?,
        None => p.image_file_id,
    };
    sqlx::query(
        "UPDATE bb_plans SET title = $1, description = $2, cost = $3, area_id = $4, postcode = $5, \
         category = $6, image_file_id = $7, updated_at = $8 WHERE id = $9 AND round_id = $10",
    )
    .bind(&i.title)
    .bind(&i.description)
    .bind(i.cost)
    .bind(i.area_id)
    .bind(&i.postcode)
    .bind(&i.category)
    .bind(image_id)
    .bind(now())
    .bind(p.id)
    .bind(r.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(&back, "buurtbudget.flash.plan_saved"))
}

pub struct UpdateView {
    pub when: String,
    pub status: &'static str,
    pub body: String,
}

#[derive(Template)]
#[template(path = "buurtbudget/plan.html")]
struct PlanTpl {
    c: Chrome,
    r: Round,
    p: PlanCard,
    base: String,
    can_support: bool,
    supported: bool,
    mine_editable: bool,
    logged_in: bool,
    login_href: String,
    image_href: Option<String>,
    exec_status: &'static str,
    updates: Vec<UpdateView>,
    staff: bool,
}

pub async fn plan_show(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id, plan)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    let p = round_plan(&state, &r, &plan).await?;
    let supported = match ctx.user_id() {
        Some(u) => {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM bb_supports WHERE plan_id = $1 AND user_id = $2",
            )
            .bind(p.id)
            .bind(u)
            .fetch_one(state.db.pool())
            .await?
                > 0
        }
        None => false,
    };
    let updates = store::updates(&state.db, p.id)
        .await?
        .into_iter()
        .map(|u| UpdateView {
            when: fmt_datetime(ctx.lang, u.created_at),
            status: ctx.t(&format!("buurtbudget.exec.{}", u.exec_status)),
            body: u.body,
        })
        .collect();
    let base = format!("/{}/buurtbudget/{}/plannen/{}", tenant.slug, r.id, p.id);
    let mine_editable = ctx.user_id().is_some() && p.user_id == ctx.user_id() && r.can_submit();
    render(&PlanTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), p.title.clone()),
        can_support: r.can_support(),
        supported,
        mine_editable,
        logged_in: ctx.user.is_some(),
        login_href: format!(
            "/{}/inloggen?terug={}",
            tenant.slug,
            form_urlencoded::byte_serialize(base.as_bytes()).collect::<String>()
        ),
        image_href: p
            .image_file_id
            .map(|f| format!("/{}/bestanden/{f}", tenant.slug)),
        exec_status: if p.exec_status.is_empty() {
            ""
        } else {
            ctx.t(&format!("buurtbudget.exec.{}", p.exec_status))
        },
        updates,
        staff: is_staff(&ctx, tenant.id),
        p: plan_card(&ctx, &r, p),
        base,
        r,
    })
}

pub async fn support(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    user: LoggedIn,
    Path((_, id, plan)): Path<(String, String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    let p = round_plan(&state, &r, &plan).await?;
    let back = format!("/{}/buurtbudget/{}/plannen/{}", tenant.slug, r.id, p.id);
    if !r.can_support() {
        return Ok(redirect_with_flash(
            &back,
            "buurtbudget.flash.support_closed",
        ));
    }
    let mut tx = state.db.begin().await?;
    let n = sqlx::query(
        "INSERT INTO bb_supports (plan_id, user_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (plan_id, user_id) DO NOTHING",
    )
    .bind(p.id)
    .bind(user.id)
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(redirect_with_flash(
        &back,
        if n == 1 {
            "buurtbudget.flash.supported"
        } else {
            "buurtbudget.flash.already_supported"
        },
    ))
}

/// Rounds per wijk (shades the municipality's map).
pub async fn counts(state: &AppState, tenant_id: i64) -> AppResult<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT area_id, COUNT(*) FROM bb_rounds WHERE tenant_id = $1 AND status <> 'concept' \
         AND area_id IS NOT NULL GROUP BY area_id",
    )
    .bind(tenant_id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows.into_iter().collect())
}

#[derive(Template)]
#[template(path = "buurtbudget/home_section.html")]
struct HomeTpl<'a> {
    c: &'a Ctx,
    base: String,
    rounds: Vec<RoundCard>,
}

impl HomeTpl<'_> {
    fn t(&self, key: &str) -> &'static str {
        self.c.t(key)
    }
}

/// The block on the municipality's home page: rounds that are not finished.
pub async fn home_section(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
) -> AppResult<crate::modules::kern::pages::HomeSection> {
    let rounds = store::rounds(&state.db, tenant.id, true)
        .await?
        .into_iter()
        .filter(|r| r.status == "open")
        .take(4)
        .map(|r| RoundCard {
            phase: ctx.t(&r.phase().label_key()),
            budget: eur(ctx.lang, r.budget),
            r,
        })
        .collect();
    let html = HomeTpl {
        c: ctx,
        base: format!("/{}/buurtbudget", tenant.slug),
        rounds,
    }
    .render()?;
    Ok(crate::modules::kern::pages::HomeSection { html })
}
