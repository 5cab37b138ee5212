//! Voting with a personal code. The ballot works without JavaScript: the server checks the
//! ballot against the round's rules and shows it again with plain-Dutch messages; a small
//! script (assets/buurtbudget.js) only keeps the running total up to date.
//!
//! A code votes once: in one transaction `UPDATE bb_codes SET used = 1 WHERE code_hash = $1
//! AND used = 0 AND revoked = 0` and, only when that changed a row, the ballot is inserted.
//! The ballot row holds a random receipt id, the choices and their hash: no code, no user,
//! no time. (Caveat: the database's physical row order still follows insertion order.)

use super::public::{eur, visible_round};
use super::store::{self, Plan, Round};
use crate::modules::kern::ratelimit;
use crate::web::AppState;
use crate::web::access::TenantCtx;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::Form;
use crate::web::i18n::{Lang, tf};
use crate::web::page::{Chrome, fmt_date, render, render_status};
use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use pb::Violation;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// What the ballot needs, cached briefly per round (every staff write drops it).
pub struct BallotData {
    pub round: Round,
    pub plans: Vec<Plan>,
    pub election: pb::Election,
    pub rules: pb::BallotRules,
}

pub fn invalidate(state: &AppState, tenant_id: i64) {
    state.cache.invalidate_prefix(&format!("{tenant_id}:bb:"));
}

/// The round and its ballot, from the short-lived cache (one database read per round
/// every few seconds instead of one per vote); visible like [`visible_round`].
async fn ballot_data(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
    id: &str,
) -> AppResult<Arc<BallotData>> {
    let rid = path_id(id)?;
    let key = format!("{}:bb:ballot:{rid}", tenant.id);
    let (tenant_id, name) = (tenant.id, tenant.name.clone());
    let data: Arc<Option<Arc<BallotData>>> = state
        .cache
        .get_or_load(key, || async move {
            let Some(round) = store::get_round(&state.db, tenant_id, rid).await? else {
                return Ok::<_, sqlx::Error>(None);
            };
            let plans = store::plans(&state.db, round.id, true).await?;
            let election = store::election(&round, &name, &plans, &[]);
            let rules = round.ballot_rules();
            Ok(Some(Arc::new(BallotData {
                round,
                plans,
                election,
                rules,
            })))
        })
        .await?;
    match data.as_ref() {
        Some(d) if d.round.is_public() || super::public::is_staff(ctx, tenant.id) => Ok(d.clone()),
        _ => Err(AppError::NotFound),
    }
}

pub struct BallotOption {
    pub p: Plan,
    pub cost: String,
    pub chosen: bool,
    pub points: String,
}

pub struct RuleState {
    pub text: String,
    pub ok: bool,
}

#[derive(Template)]
#[template(path = "buurtbudget/vote.html")]
struct VoteTpl {
    c: Chrome,
    r: Round,
    base: String,
    open: bool,
    closed_text: String,
    options: Vec<BallotOption>,
    states: Vec<RuleState>,
    total: String,
    budget: String,
    code: String,
    code_error: String,
    problems: Vec<String>,
    points: bool,
}

/// The selection as (plan id, points).
fn selection(form: &Form, d: &BallotData) -> Vec<(i64, i64)> {
    if d.round.has_points() {
        d.plans
            .iter()
            .filter_map(|p| {
                let v = form.get(&format!("punten_{}", p.id));
                let n: i64 = v.parse().ok()?;
                (n != 0).then_some((p.id, n))
            })
            .collect()
    } else {
        let chosen: Vec<String> = form.all("plan");
        d.plans
            .iter()
            .filter(|p| chosen.contains(&p.id.to_string()))
            .map(|p| (p.id, 1))
            .collect()
    }
}

/// Any submitted plan id or points value that is not on this ballot or not a number.
fn foreign_input(form: &Form, d: &BallotData) -> bool {
    let ids: Vec<String> = d.plans.iter().map(|p| p.id.to_string()).collect();
    if form.all("plan").iter().any(|v| !ids.contains(v)) {
        return true;
    }
    d.round.has_points()
        && d.plans.iter().any(|p| {
            let v = form.get(&format!("punten_{}", p.id));
            !v.is_empty() && v.parse::<i64>().is_err()
        })
}

fn ballot_of(d: &BallotData, sel: &[(i64, i64)]) -> pb::Ballot {
    let idx: HashMap<i64, usize> = d.plans.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let items: Vec<(usize, i64)> = sel
        .iter()
        .filter_map(|(id, n)| idx.get(id).map(|i| (*i, *n)))
        .collect();
    if d.round.has_points() {
        pb::Ballot::with_points("", &items)
    } else {
        pb::Ballot::approval("", &items.iter().map(|(i, _)| *i).collect::<Vec<_>>())
    }
}

/// A violation in plain Dutch (or English).
pub fn violation_text(lang: Lang, d: &BallotData, v: &Violation) -> String {
    let name = |i: &usize| d.plans.get(*i).map(|p| p.title.clone()).unwrap_or_default();
    let m = |x: &u64| eur(lang, *x as i64);
    let s = |x: &dyn ToString| x.to_string();
    match v {
        Violation::TooFewProjects { min, found } => tf(
            lang,
            "buurtbudget.violation.too_few",
            &[("min", &s(min)), ("n", &s(found))],
        ),
        Violation::TooManyProjects { max, found } => tf(
            lang,
            "buurtbudget.violation.too_many",
            &[("max", &s(max)), ("n", &s(found))],
        ),
        Violation::CostTooHigh { max, found } => tf(
            lang,
            "buurtbudget.violation.over_budget",
            &[("max", &m(max)), ("totaal", &m(found))],
        ),
        Violation::TooManyInCategory {
            category,
            max,
            found,
        } => tf(
            lang,
            "buurtbudget.violation.category",
            &[("categorie", category), ("max", &s(max)), ("n", &s(found))],
        ),
        Violation::PointsTooHigh {
            project,
            max,
            found,
        } => tf(
            lang,
            "buurtbudget.violation.points_one",
            &[("plan", &name(project)), ("max", &s(max)), ("n", &s(found))],
        ),
        Violation::PointsTooLow { project, .. } => tf(
            lang,
            "buurtbudget.violation.points_low",
            &[("plan", &name(project))],
        ),
        Violation::SumPointsTooHigh { max, found } => tf(
            lang,
            "buurtbudget.violation.points_total",
            &[("max", &s(max)), ("n", &s(found))],
        ),
        other => tf(
            lang,
            "buurtbudget.violation.other",
            &[(
                "fout",
                &pb::constraints::describe_violation(&d.election, other),
            )],
        ),
    }
}

/// Each rule with its state for this selection.
fn rule_states(lang: Lang, d: &BallotData, sel: &[(i64, i64)]) -> Vec<RuleState> {
    let r = &d.round;
    let chosen: Vec<&Plan> = d
        .plans
        .iter()
        .filter(|p| sel.iter().any(|(id, _)| *id == p.id))
        .collect();
    let total: i64 = chosen.iter().map(|p| p.ballot_cost()).sum();
    let n = chosen.len() as i64;
    let mut v = Vec::new();
    if r.ballot_kind == "basket" || r.within_budget {
        v.push(RuleState {
            text: tf(
                lang,
                "buurtbudget.state.budget",
                &[
                    ("totaal", &eur(lang, total)),
                    ("budget", &eur(lang, r.budget)),
                ],
            ),
            ok: total <= r.budget,
        });
    }
    let min = r.min_choices.unwrap_or(1).max(1);
    v.push(RuleState {
        text: match r.max_choices {
            Some(max) => tf(
                lang,
                "buurtbudget.state.count_range",
                &[
                    ("n", &n.to_string()),
                    ("min", &min.to_string()),
                    ("max", &max.to_string()),
                ],
            ),
            None => tf(
                lang,
                "buurtbudget.state.count_min",
                &[("n", &n.to_string()), ("min", &min.to_string())],
            ),
        },
        ok: n >= min && r.max_choices.is_none_or(|m| n <= m),
    });
    if r.has_points() {
        let pts: i64 = sel.iter().map(|(_, p)| *p).sum();
        let max = r.points_total.unwrap_or(0);
        v.push(RuleState {
            text: tf(
                lang,
                "buurtbudget.state.points",
                &[("n", &pts.to_string()), ("max", &max.to_string())],
            ),
            ok: pts <= max,
        });
    }
    for (cat, max) in r.caps() {
        let k = chosen.iter().filter(|p| p.category == cat).count();
        v.push(RuleState {
            text: tf(
                lang,
                "buurtbudget.state.category",
                &[
                    ("categorie", &cat),
                    ("n", &k.to_string()),
                    ("max", &max.to_string()),
                ],
            ),
            ok: k <= max,
        });
    }
    v
}

fn page(
    ctx: &Ctx,
    tenant: &TenantCtx,
    d: &BallotData,
    sel: &[(i64, i64)],
    code: String,
    code_error: String,
    problems: Vec<String>,
) -> VoteTpl {
    let r = d.round.clone();
    let total: i64 = d
        .plans
        .iter()
        .filter(|p| sel.iter().any(|(id, _)| *id == p.id))
        .map(|p| p.ballot_cost())
        .sum();
    VoteTpl {
        c: Chrome::new(ctx, Some(&tenant.0), ctx.t("buurtbudget.vote.title")),
        base: format!("/{}/buurtbudget/{}", tenant.slug, r.id),
        open: r.can_vote(),
        closed_text: tf(
            ctx.lang,
            "buurtbudget.vote.closed",
            &[
                ("van", &fmt_date(ctx.lang, &r.vote_from)),
                ("tot", &fmt_date(ctx.lang, &r.vote_until)),
            ],
        ),
        options: d
            .plans
            .iter()
            .map(|p| {
                let pts = sel.iter().find(|(id, _)| *id == p.id).map(|x| x.1);
                BallotOption {
                    cost: eur(ctx.lang, p.ballot_cost()),
                    chosen: pts.is_some(),
                    points: pts.map(|x| x.to_string()).unwrap_or_default(),
                    p: p.clone(),
                }
            })
            .collect(),
        states: rule_states(ctx.lang, d, sel),
        total: eur(ctx.lang, total),
        budget: eur(ctx.lang, r.budget),
        code,
        code_error,
        problems,
        points: r.has_points(),
        r,
    }
}

pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let d = ballot_data(&state, &ctx, &tenant, &id).await?;
    render(&page(
        &ctx,
        &tenant,
        &d,
        &[],
        String::new(),
        String::new(),
        vec![],
    ))
}

#[derive(Template)]
#[template(path = "buurtbudget/receipt.html")]
struct ReceiptTpl {
    c: Chrome,
    base: String,
    receipt: String,
    hash: String,
    chosen: Vec<(String, String)>,
    just_voted: bool,
    found: bool,
    intact: bool,
    asked: bool,
    published: bool,
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let d = ballot_data(&state, &ctx, &tenant, &id).await?;
    let sel = selection(&form, &d);
    let code = store::normalise_code(&form.get("code"));
    let again = |code_error: String, problems: Vec<String>| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(
                &ctx,
                &tenant,
                &d,
                &sel,
                form.get("code"),
                code_error,
                problems,
            ),
        )
    };
    if !d.round.can_vote() {
        let msg = tf(
            ctx.lang,
            "buurtbudget.vote.closed",
            &[
                ("van", &fmt_date(ctx.lang, &d.round.vote_from)),
                ("tot", &fmt_date(ctx.lang, &d.round.vote_until)),
            ],
        );
        return again(String::new(), vec![msg]);
    }
    let mut problems = Vec::new();
    if foreign_input(&form, &d) {
        problems.push(ctx.t("buurtbudget.violation.foreign").to_string());
    }
    let ballot = ballot_of(&d, &sel);
    for v in d.rules.validate(&d.election, &ballot) {
        problems.push(violation_text(ctx.lang, &d, &v));
    }
    let code_error = if code.is_empty() {
        ctx.t("buurtbudget.vote.code_missing").to_string()
    } else if code.len() != 16 {
        ctx.t("buurtbudget.vote.code_format").to_string()
    } else {
        String::new()
    };
    if !problems.is_empty() || !code_error.is_empty() {
        return again(code_error, problems);
    }
    let hash = store::code_hash(&code);
    let points = d.round.has_points();
    let choices = store::encode_choices(&sel, points);
    let receipt = crate::web::security::paper_code(3);
    let contents = store::contents_hash(d.round.id, &receipt, &choices);
    let mut tx = state.db.begin().await?;
    let taken = sqlx::query(
        "UPDATE bb_codes SET used = 1 WHERE round_id = $1 AND code_hash = $2 AND used = 0 AND revoked = 0",
    )
    .bind(d.round.id)
    .bind(&hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if taken != 1 {
        tx.rollback().await?;
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT used, revoked FROM bb_codes WHERE round_id = $1 AND code_hash = $2",
        )
        .bind(d.round.id)
        .bind(&hash)
        .fetch_optional(state.db.pool())
        .await?;
        let key = match row {
            Some((_, 1)) => "buurtbudget.vote.code_revoked",
            Some(_) => "buurtbudget.vote.code_used",
            None => {
                let bucket = format!(
                    "stemcode:{}",
                    ratelimit::client_key(&state.secret, &addr.ip().to_string())
                );
                if !ratelimit::allow(&state.db, &bucket, 30, 600).await? {
                    return Err(AppError::TooMany);
                }
                "buurtbudget.vote.code_unknown"
            }
        };
        return again(ctx.t(key).to_string(), vec![]);
    }
    sqlx::query(
        "INSERT INTO bb_ballots (receipt, round_id, choices, contents_hash) VALUES ($1, $2, $3, $4)",
    )
    .bind(&receipt)
    .bind(d.round.id)
    .bind(&choices)
    .bind(&contents)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let chosen = chosen_rows(ctx.lang, &d.plans, &sel, points);
    render(&ReceiptTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), ctx.t("buurtbudget.receipt.title")),
        base: format!("/{}/buurtbudget/{}", tenant.slug, d.round.id),
        receipt,
        hash: contents,
        chosen,
        just_voted: true,
        found: true,
        intact: true,
        asked: true,
        published: false,
    })
}

fn chosen_rows(
    lang: Lang,
    plans: &[Plan],
    sel: &[(i64, i64)],
    points: bool,
) -> Vec<(String, String)> {
    sel.iter()
        .filter_map(|(id, n)| {
            let p = plans.iter().find(|p| p.id == *id)?;
            Some((
                p.title.clone(),
                if points {
                    tf(lang, "buurtbudget.receipt.points", &[("n", &n.to_string())])
                } else {
                    eur(lang, p.ballot_cost())
                },
            ))
        })
        .collect()
}

/// The public receipt check: is this ballot stored, unchanged?
pub async fn check(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    let asked = q
        .get("bon")
        .map(|s| s.trim().to_uppercase())
        .unwrap_or_default();
    let mut tpl = ReceiptTpl {
        c: Chrome::new(
            &ctx,
            Some(&tenant.0),
            ctx.t("buurtbudget.receipt.check_title"),
        ),
        base: format!("/{}/buurtbudget/{}", tenant.slug, r.id),
        receipt: asked.chars().take(40).collect(),
        hash: String::new(),
        chosen: vec![],
        just_voted: false,
        found: false,
        intact: false,
        asked: !asked.is_empty(),
        published: r.status == "uitslag",
    };
    if !asked.is_empty() {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT choices, contents_hash FROM bb_ballots WHERE round_id = $1 AND receipt = $2",
        )
        .bind(r.id)
        .bind(&asked)
        .fetch_optional(state.db.pool())
        .await?;
        if let Some((choices, hash)) = row {
            let plans = store::plans(&state.db, r.id, true).await?;
            tpl.found = true;
            tpl.intact = store::contents_hash(r.id, &asked, &choices) == hash;
            tpl.chosen = chosen_rows(
                ctx.lang,
                &plans,
                &store::decode_choices(&choices),
                r.has_points(),
            );
            tpl.hash = hash;
        }
    }
    render(&tpl)
}
