//! Staff pages: set up a round (area, budget, phase dates, ballot rules, support threshold,
//! minimum age, result rule), check plans and put them on the ballot, execution updates.

use super::public::{PlanCard, eur, plan_card, round_plan, rule_explanation, rule_texts};
use super::store::{self, Round};
use super::vote::invalidate;
use crate::db::{Tx, now};
use crate::modules::kern::areas::{self, Area};
use crate::modules::kern::{audit, mail};
use crate::web::AppState;
use crate::web::access::{Authorized, ManageParticipation, TenantCtx};
use crate::web::ctx::{Ctx, redirect_with_flash};
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{FieldErrors, Form, Validator};
use crate::web::i18n::tf;
use crate::web::page::{Chrome, render_status};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

type Staff = Authorized<ManageParticipation>;

pub async fn staff_round(state: &AppState, tenant_id: i64, id: &str) -> AppResult<Round> {
    let id = path_id(id)?;
    store::get_round(&state.db, tenant_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub struct RoundRow {
    pub r: Round,
    pub phase: &'static str,
    pub budget: String,
}

#[derive(Template)]
#[template(path = "buurtbudget/manage/index.html")]
struct IndexTpl {
    c: Chrome,
    base: String,
    rounds: Vec<RoundRow>,
    import_error: String,
}

pub async fn index_page(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
    import_error: String,
) -> AppResult<Response> {
    let rounds = store::rounds(&state.db, tenant.id, false)
        .await?
        .into_iter()
        .map(|r| RoundRow {
            phase: ctx.t(&r.phase().label_key()),
            budget: eur(ctx.lang, r.budget),
            r,
        })
        .collect();
    let status = if import_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &IndexTpl {
            c: Chrome::new(ctx, Some(&tenant.0), ctx.t("buurtbudget.manage.title")),
            base: format!("/{}/beheer/buurtbudget", tenant.slug),
            rounds,
            import_error,
        },
    )
}

pub async fn index(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    _a: Staff,
) -> AppResult<Response> {
    index_page(&state, &ctx, &tenant, String::new()).await
}

#[derive(Template)]
#[template(path = "buurtbudget/manage/round_form.html")]
struct RoundFormTpl {
    c: Chrome,
    action: String,
    base: String,
    editing: Option<i64>,
    errors: FieldErrors,
    f: Form,
    areas: Vec<Area>,
    kinds: Vec<(&'static str, &'static str, &'static str)>,
    rules: Vec<(&'static str, &'static str, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    public_href: String,
}

impl RoundFormTpl {
    fn v(&self, k: &str) -> String {
        self.f.get(k)
    }
    fn lbl(&self, prefix: &str, k: &str) -> &'static str {
        self.c.t(&format!("{prefix}{k}"))
    }
}

impl PlansTpl {
    fn lbl(&self, prefix: &str, k: &str) -> &'static str {
        self.c.t(&format!("{prefix}{k}"))
    }
}

fn form_of(r: &Round) -> Form {
    let o = |x: Option<i64>| x.map(|v| v.to_string()).unwrap_or_default();
    let pairs: Vec<(&str, String)> = vec![
        ("title", r.title.clone()),
        ("intro", r.intro.clone()),
        ("area_id", o(r.area_id)),
        ("budget", r.budget.to_string()),
        ("submit_from", r.submit_from.clone()),
        ("submit_until", r.submit_until.clone()),
        ("support_until", r.support_until.clone()),
        ("check_until", r.check_until.clone()),
        ("vote_from", r.vote_from.clone()),
        ("vote_until", r.vote_until.clone()),
        ("result_on", r.result_on.clone()),
        ("ballot_kind", r.ballot_kind.clone()),
        (
            "within_budget",
            if r.within_budget { "1" } else { "" }.into(),
        ),
        ("min_choices", o(r.min_choices)),
        ("max_choices", o(r.max_choices)),
        ("points_total", o(r.points_total)),
        ("points_max_per", o(r.points_max_per)),
        ("category_caps", r.category_caps.clone()),
        ("support_threshold", r.support_threshold.to_string()),
        ("min_age", r.min_age.to_string()),
        ("rule", r.rule.clone()),
        ("status", r.status.clone()),
    ];
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Form::from_pairs(&refs)
}

fn default_form() -> Form {
    let d =
        |days: i64| (chrono::Utc::now().date_naive() + chrono::Days::new(days as u64)).to_string();
    Form::from_pairs(&[
        ("budget", "100000"),
        ("submit_from", &d(0)),
        ("submit_until", &d(28)),
        ("support_until", &d(35)),
        ("check_until", &d(56)),
        ("vote_from", &d(57)),
        ("vote_until", &d(71)),
        ("result_on", &d(78)),
        ("ballot_kind", "basket"),
        ("within_budget", "1"),
        ("support_threshold", "50"),
        ("min_age", "12"),
        ("rule", "greedy"),
        ("status", "concept"),
    ])
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
    editing: Option<i64>,
    f: Form,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut areas = areas::of_tenant(&state.db, tenant.id, Some("wijk")).await?;
    areas.sort_by(|a, b| a.name.cmp(&b.name));
    let base = format!("/{}/beheer/buurtbudget", tenant.slug);
    let status = errors.status();
    render_status(
        status,
        &RoundFormTpl {
            c: Chrome::new(
                ctx,
                Some(&tenant.0),
                ctx.t(if editing.is_some() {
                    "buurtbudget.manage.edit_title"
                } else {
                    "buurtbudget.manage.new_title"
                }),
            ),
            action: match editing {
                Some(id) => format!("{base}/{id}"),
                None => format!("{base}/nieuw"),
            },
            public_href: editing
                .map(|id| format!("/{}/buurtbudget/{id}", tenant.slug))
                .unwrap_or_default(),
            base,
            editing,
            errors,
            f,
            areas,
            kinds: ["basket", "kapproval", "cumulative"]
                .into_iter()
                .map(|k| {
                    (
                        k,
                        ctx.t(&format!("buurtbudget.kind.{k}")),
                        ctx.t(&format!("buurtbudget.kind.{k}_help")),
                    )
                })
                .collect(),
            rules: ["greedy", "mes-add1", "mes-add1-greedy"]
                .into_iter()
                .map(|k| {
                    (
                        k,
                        ctx.t(&format!("buurtbudget.rule_name.{k}")),
                        rule_explanation(ctx.lang, k),
                    )
                })
                .collect(),
            statuses: ["concept", "open"]
                .into_iter()
                .map(|k| (k, ctx.t(&format!("buurtbudget.status.{k}"))))
                .collect(),
        },
    )
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    _a: Staff,
) -> AppResult<Response> {
    form_page(
        &state,
        &ctx,
        &tenant,
        None,
        default_form(),
        FieldErrors::new(),
    )
    .await
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    _a: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    form_page(
        &state,
        &ctx,
        &tenant,
        Some(r.id),
        form_of(&r),
        FieldErrors::new(),
    )
    .await
}

struct RoundInput {
    title: String,
    intro: String,
    area_id: Option<i64>,
    budget: i64,
    dates: [String; 7],
    ballot_kind: String,
    within_budget: bool,
    min_choices: Option<i64>,
    max_choices: Option<i64>,
    points_total: Option<i64>,
    points_max_per: Option<i64>,
    category_caps: String,
    support_threshold: i64,
    min_age: i64,
    rule: String,
    status: String,
}

const DATE_FIELDS: [&str; 7] = [
    "submit_from",
    "submit_until",
    "support_until",
    "check_until",
    "vote_from",
    "vote_until",
    "result_on",
];

async fn validate(
    state: &AppState,
    ctx: &Ctx,
    tenant_id: i64,
    f: &Form,
) -> AppResult<(Option<RoundInput>, FieldErrors)> {
    let mut v = Validator::new(ctx, f);
    let title = v.text("title", 120);
    let intro = v.optional_text("intro", 5000);
    let area_id = v.integer("area_id", 1, i64::MAX, false);
    if let Some(a) = area_id
        && areas::by_id(&state.db, tenant_id, a).await?.is_none()
    {
        v.error("area_id", "kern.validation.choose");
    }
    let budget = v.integer("budget", 1, 1_000_000_000, true);
    let mut dates: Vec<Option<chrono::NaiveDate>> = Vec::new();
    for k in DATE_FIELDS {
        dates.push(v.date(k, true));
    }
    for i in 1..dates.len() {
        if let (Some(a), Some(b)) = (dates[i - 1], dates[i]) {
            // submit_from ≤ submit_until ≤ support_until ≤ check_until < vote_from ≤ vote_until ≤ result_on
            let bad = if DATE_FIELDS[i] == "vote_from" {
                b <= a
            } else {
                b < a
            };
            if bad {
                v.error(DATE_FIELDS[i], "buurtbudget.manage.date_order");
            }
        }
    }
    let ballot_kind = v
        .choice("ballot_kind", &["basket", "kapproval", "cumulative"], true)
        .unwrap_or_default();
    let within_budget = f.checked("within_budget") || ballot_kind == "basket";
    let min_choices = v.integer("min_choices", 1, 1000, false);
    let max_choices = v.integer("max_choices", 1, 1000, ballot_kind == "kapproval");
    if let (Some(a), Some(b)) = (min_choices, max_choices)
        && b < a
    {
        v.error("max_choices", "buurtbudget.manage.max_below_min");
    }
    let points_total = v.integer("points_total", 1, 1000, ballot_kind == "cumulative");
    let points_max_per = v.integer("points_max_per", 1, 1000, false);
    let category_caps = v.optional_text("category_caps", 2000);
    if let Err(line) = store::parse_caps(&category_caps) {
        let m = tf(
            ctx.lang,
            "buurtbudget.manage.caps_error",
            &[("regel", &line.to_string())],
        );
        v.errors.add("category_caps", m);
    }
    let support_threshold = v.integer("support_threshold", 0, 100_000, true);
    let min_age = v.integer("min_age", 0, 120, true);
    let rule = v
        .choice("rule", &["greedy", "mes-add1", "mes-add1-greedy"], true)
        .unwrap_or_default();
    let status = v
        .choice("status", &["concept", "open"], true)
        .unwrap_or_default();
    let errors = v.finish();
    if !errors.is_empty() {
        return Ok((None, errors));
    }
    let ds: Vec<String> = dates
        .into_iter()
        .map(|d| d.map(|d| d.to_string()).unwrap_or_default())
        .collect();
    Ok((
        Some(RoundInput {
            title,
            intro,
            area_id,
            budget: budget.unwrap_or(0),
            dates: ds.try_into().unwrap_or_default(),
            ballot_kind,
            within_budget,
            min_choices,
            max_choices,
            points_total,
            points_max_per,
            category_caps,
            support_threshold: support_threshold.unwrap_or(0),
            min_age: min_age.unwrap_or(12),
            rule,
            status,
        }),
        errors,
    ))
}

async fn save(tx: &mut Tx, tenant_id: i64, id: Option<i64>, i: &RoundInput) -> AppResult<i64> {
    let sql = match id {
        None => {
            "INSERT INTO bb_rounds (title, intro, area_id, budget, submit_from, submit_until, \
             support_until, check_until, vote_from, vote_until, result_on, ballot_kind, within_budget, \
             min_choices, max_choices, points_total, points_max_per, category_caps, support_threshold, \
             min_age, rule, status, tenant_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) RETURNING id"
        }
        Some(_) => {
            "UPDATE bb_rounds SET title = $1, intro = $2, area_id = $3, budget = $4, submit_from = $5, \
             submit_until = $6, support_until = $7, check_until = $8, vote_from = $9, vote_until = $10, \
             result_on = $11, ballot_kind = $12, within_budget = $13, min_choices = $14, max_choices = $15, \
             points_total = $16, points_max_per = $17, category_caps = $18, support_threshold = $19, \
             min_age = $20, rule = $21, status = CASE WHEN status = 'uitslag' THEN status ELSE $22 END \
             WHERE tenant_id = $23 AND id = $24 RETURNING id"
        }
    };
    let mut q = sqlx::query_scalar::<_, i64>(sql)
        .bind(&i.title)
        .bind(&i.intro)
        .bind(i.area_id)
        .bind(i.budget);
    for d in &i.dates {
        q = q.bind(d);
    }
    let q = q
        .bind(&i.ballot_kind)
        .bind(i64::from(i.within_budget))
        .bind(i.min_choices)
        .bind(i.max_choices)
        .bind(i.points_total)
        .bind(i.points_max_per)
        .bind(&i.category_caps)
        .bind(i.support_threshold)
        .bind(i.min_age)
        .bind(&i.rule)
        .bind(&i.status)
        .bind(tenant_id);
    let q = match id {
        None => q.bind(now()),
        Some(id) => q.bind(id),
    };
    Ok(q.fetch_one(&mut **tx).await?)
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    a: Staff,
    form: Form,
) -> AppResult<Response> {
    let (input, errors) = validate(&state, &ctx, tenant.id, &form).await?;
    let Some(i) = input else {
        return form_page(&state, &ctx, &tenant, None, form, errors).await;
    };
    let mut tx = state.db.begin().await?;
    let id = save(&mut tx, tenant.id, None, &i).await?;
    audit::record(
        &mut tx,
        Some(tenant.id),
        Some(a.user.as_ref()),
        "buurtbudget.ronde_aangemaakt",
        "bb_round",
        Some(id),
        &format!("buurtbudgetronde {id} aangemaakt"),
    )
    .await?;
    tx.commit().await?;
    invalidate(&state, tenant.id);
    Ok(redirect_with_flash(
        &format!("/{}/beheer/buurtbudget/{id}", tenant.slug),
        "buurtbudget.flash.round_saved",
    ))
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    a: Staff,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let (input, errors) = validate(&state, &ctx, tenant.id, &form).await?;
    let Some(i) = input else {
        return form_page(&state, &ctx, &tenant, Some(r.id), form, errors).await;
    };
    let mut tx = state.db.begin().await?;
    save(&mut tx, tenant.id, Some(r.id), &i).await?;
    audit::record(
        &mut tx,
        Some(tenant.id),
        Some(a.user.as_ref()),
        "buurtbudget.ronde_gewijzigd",
        "bb_round",
        Some(r.id),
        &format!("buurtbudgetronde {} gewijzigd", r.id),
    )
    .await?;
    tx.commit().await?;
    invalidate(&state, tenant.id);
    Ok(redirect_with_flash(
        &format!("/{}/beheer/buurtbudget/{}", tenant.slug, r.id),
        "buurtbudget.flash.round_saved",
    ))
}

// ---- Checking plans --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "buurtbudget/manage/plans.html")]
struct PlansTpl {
    c: Chrome,
    r: Round,
    base: String,
    public_base: String,
    plans: Vec<PlanCard>,
    rules: Vec<String>,
    ballots: i64,
    ballot_total: String,
    /// Messages keyed by the id of the field they belong to (`reason_12`), so that the
    /// summary links to the right plan's field.
    errors: FieldErrors,
    /// The plan whose form was posted with errors, and what was posted: that form shows the
    /// posted values again.
    posted: Option<(i64, Form)>,
}

impl PlansTpl {
    fn posted(&self, plan: i64) -> Option<&Form> {
        self.posted
            .as_ref()
            .and_then(|(id, f)| (*id == plan).then_some(f))
    }
    fn err(&self, plan: &i64, field: &str) -> Option<&str> {
        self.errors.get(&format!("{field}_{plan}"))
    }
    fn feasible(&self, pc: &PlanCard) -> Option<bool> {
        match self.posted(pc.p.id) {
            Some(f) => match f.raw("feasible") {
                "ja" => Some(true),
                "nee" => Some(false),
                _ => None,
            },
            None => pc.p.feasible,
        }
    }
    fn reason(&self, pc: &PlanCard) -> String {
        match self.posted(pc.p.id) {
            Some(f) => f.get("reason"),
            None => pc.p.check_reason.clone(),
        }
    }
    fn municipal_cost(&self, pc: &PlanCard) -> String {
        match self.posted(pc.p.id) {
            Some(f) => f.get("municipal_cost"),
            None => {
                pc.p.municipal_cost
                    .map(|c| c.to_string())
                    .unwrap_or_default()
            }
        }
    }
    fn on_ballot(&self, pc: &PlanCard) -> bool {
        match self.posted(pc.p.id) {
            Some(f) => f.checked("on_ballot"),
            None => pc.p.on_ballot,
        }
    }
    fn exec_status(&self, pc: &PlanCard) -> String {
        match self.posted(pc.p.id) {
            Some(f) => f.get("exec_status"),
            None => pc.p.exec_status.clone(),
        }
    }
    fn exec_body(&self, pc: &PlanCard) -> String {
        self.posted(pc.p.id)
            .map(|f| f.get("body"))
            .unwrap_or_default()
    }
    /// Whether a plan lacks the supporters it needs to go on the ballot.
    fn below_threshold(&self, pc: &PlanCard) -> bool {
        pc.p.supports < self.r.support_threshold
    }
}

pub async fn plans(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    _a: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    plans_page(&state, &ctx, &tenant, r, FieldErrors::new(), None).await
}

/// The plans page; with errors, the posted plan form is shown again with its messages (422).
async fn plans_page(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
    r: Round,
    errors: FieldErrors,
    posted: Option<(i64, Form)>,
) -> AppResult<Response> {
    let list = store::plans(&state.db, r.id, false).await?;
    let ballot_total: i64 = list
        .iter()
        .filter(|p| p.on_ballot)
        .map(|p| p.ballot_cost())
        .sum();
    render_status(
        errors.status(),
        &PlansTpl {
            c: Chrome::new(
                ctx,
                Some(&tenant.0),
                ctx.t("buurtbudget.manage.plans_title"),
            ),
            base: format!("/{}/beheer/buurtbudget/{}", tenant.slug, r.id),
            public_base: format!("/{}/buurtbudget/{}", tenant.slug, r.id),
            plans: list.into_iter().map(|p| plan_card(ctx, &r, p)).collect(),
            rules: rule_texts(ctx.lang, &r),
            ballots: store::count_ballots(&state.db, r.id).await?,
            ballot_total: eur(ctx.lang, ballot_total),
            r,
            errors,
            posted,
        },
    )
}

/// Messages of one plan's form, keyed by the ids of that plan's fields on the plans page.
fn plan_errors(plan: i64, errors: &FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for (field, msg) in errors.iter() {
        let id = match field.as_str() {
            "feasible" => "f_ja",
            "reason" => "reason",
            "municipal_cost" => "mc",
            "on_ballot" => "ob",
            "exec_status" => "es",
            "body" => "eb",
            other => other,
        };
        out.add(&format!("{id}_{plan}"), msg.clone());
    }
    out
}

/// Record the check of one plan: feasible or not with a reason, the municipality's cost
/// estimate, and whether it goes on the ballot (only feasible plans can).
pub async fn check_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    a: Staff,
    Path((_, id, plan)): Path<(String, String, String)>,
    form: Form,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let p = round_plan(&state, &r, &plan).await?;
    let back = format!(
        "/{}/beheer/buurtbudget/{}/plannen#plan-{}",
        tenant.slug, r.id, p.id
    );
    let mut v = Validator::new(&ctx, &form);
    let feasible = v.choice("feasible", &["ja", "nee"], true);
    let reason = v.optional_text("reason", 2000);
    let cost = v.integer("municipal_cost", 0, 1_000_000_000, false);
    let on_ballot = form.checked("on_ballot") && feasible.as_deref() == Some("ja");
    if feasible.as_deref() == Some("nee") && reason.is_empty() {
        v.error("reason", "buurtbudget.manage.reason_needed");
    }
    // The support threshold: a plan goes on the ballot only with enough supporters. A plan
    // already on it (imported rounds carry no supports) may keep its place.
    if on_ballot && !p.on_ballot && p.supports < r.support_threshold {
        v.errors.add(
            "on_ballot",
            tf(
                ctx.lang,
                "buurtbudget.manage.below_threshold",
                &[
                    ("n", &p.supports.to_string()),
                    ("drempel", &r.support_threshold.to_string()),
                ],
            ),
        );
    }
    let errors = v.finish();
    if !errors.is_empty() {
        let errors = plan_errors(p.id, &errors);
        return plans_page(&state, &ctx, &tenant, r, errors, Some((p.id, form))).await;
    }
    if r.status == "uitslag" || store::count_ballots(&state.db, r.id).await? > 0 {
        return Ok(redirect_with_flash(
            &back,
            "buurtbudget.flash.ballot_locked",
        ));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE bb_plans SET feasible = $1, check_reason = $2, municipal_cost = $3, on_ballot = $4, \
         updated_at = $5 WHERE id = $6 AND round_id = $7",
    )
    .bind(i64::from(feasible.as_deref() == Some("ja")))
    .bind(&reason)
    .bind(cost)
    .bind(i64::from(on_ballot))
    .bind(now())
    .bind(p.id)
    .bind(r.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(tenant.id),
        Some(a.user.as_ref()),
        "buurtbudget.plan_getoetst",
        "bb_plan",
        Some(p.id),
        &format!("plan {} getoetst", p.id),
    )
    .await?;
    tx.commit().await?;
    invalidate(&state, tenant.id);
    Ok(redirect_with_flash(&back, "buurtbudget.flash.checked"))
}

/// An execution update of a winning plan; supporters get an e-mail (through the outbox).
pub async fn execution(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    a: Staff,
    Path((_, id, plan)): Path<(String, String, String)>,
    form: Form,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let p = round_plan(&state, &r, &plan).await?;
    let back = format!(
        "/{}/beheer/buurtbudget/{}/plannen#plan-{}",
        tenant.slug, r.id, p.id
    );
    let mut v = Validator::new(&ctx, &form);
    let status = v.choice(
        "exec_status",
        &["voorbereiding", "uitvoering", "gereed"],
        true,
    );
    let body = v.text("body", 2000);
    let errors = v.finish();
    if !errors.is_empty() {
        let errors = plan_errors(p.id, &errors);
        return plans_page(&state, &ctx, &tenant, r, errors, Some((p.id, form))).await;
    }
    let status = status.unwrap_or_default();
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE bb_plans SET exec_status = $1, updated_at = $2 WHERE id = $3")
        .bind(&status)
        .bind(now())
        .bind(p.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO bb_updates (plan_id, exec_status, body, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(p.id)
    .bind(&status)
    .bind(&body)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    let supporters: Vec<String> = sqlx::query_scalar(
        "SELECT u.email FROM bb_supports s JOIN users u ON u.id = s.user_id \
         WHERE s.plan_id = $1 AND u.disabled = 0",
    )
    .bind(p.id)
    .fetch_all(&mut *tx)
    .await?;
    let link = format!(
        "{}/{}/buurtbudget/{}/plannen/{}",
        state.config.public_url.trim_end_matches('/'),
        tenant.slug,
        r.id,
        p.id
    );
    let label = crate::web::i18n::t(
        crate::web::i18n::Lang::Nl,
        &format!("buurtbudget.exec.{status}"),
    );
    for to in &supporters {
        mail::queue(
            &mut tx,
            Some(tenant.id),
            to,
            &tf(
                crate::web::i18n::Lang::Nl,
                "buurtbudget.exec.mail_subject",
                &[("plan", &p.title)],
            ),
            &tf(
                crate::web::i18n::Lang::Nl,
                "buurtbudget.exec.mail_body",
                &[
                    ("plan", &p.title),
                    ("status", label),
                    ("tekst", &body),
                    ("link", &link),
                ],
            ),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        Some(tenant.id),
        Some(a.user.as_ref()),
        "buurtbudget.uitvoering",
        "bb_plan",
        Some(p.id),
        &format!("uitvoering plan {}: {status}", p.id),
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(&back, "buurtbudget.flash.update_saved"))
}
