//! The result: computed with the `pb` engine under the round's rule, stored with its
//! certificate and the anonymous ballots as a pabulib file, published with a chart, a
//! table and a per-plan explanation. Also pabulib import (past rounds) and export.

use super::manage::{index_page, staff_round};
use super::public::{eur, rule_explanation, visible_round};
use super::store::{self, PlanResult, Round, StoredResult, Why};
use super::vote::invalidate;
use crate::db::now;
use crate::modules::kern::audit;
use crate::web::AppState;
use crate::web::access::{Authorized, ManageParticipation, TenantCtx};
use crate::web::ctx::{Ctx, redirect_with_flash};
use crate::web::error::{AppError, AppResult};
use crate::web::form::{Form, MultipartForm};
use crate::web::i18n::{Lang, tf};
use crate::web::page::{Chrome, fmt_datetime, fmt_int, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

type Staff = Authorized<ManageParticipation>;

/// Compute and store the result of a round (any status; an open round only after voting).
pub async fn compute_round(
    state: &AppState,
    tenant_name: &str,
    r: &Round,
) -> AppResult<StoredResult> {
    Ok(compute_round_timed(state, tenant_name, r).await?.0)
}

/// [`compute_round`] with the seconds spent loading, tallying and storing (benchmark).
pub async fn compute_round_timed(
    state: &AppState,
    tenant_name: &str,
    r: &Round,
) -> AppResult<(StoredResult, [f64; 3])> {
    let t0 = std::time::Instant::now();
    let plans = store::plans(&state.db, r.id, true).await?;
    let ballots = store::ballots(&state.db, r.id).await?;
    let e = store::election(r, tenant_name, &plans, &ballots);
    drop(ballots);
    let ids: Vec<i64> = plans.iter().map(|p| p.id).collect();
    let rule = r.rule();
    let t1 = std::time::Instant::now();
    let (stored, cert, pbtext, json) = tokio::task::spawn_blocking(move || {
        let (s, c, t) = store::tally(&e, rule, &ids);
        let json = serde_json::to_string(&s);
        (s, c, t, json)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let json = json.map_err(|e| AppError::Internal(e.into()))?;
    let t2 = std::time::Instant::now();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE bb_rounds SET result_json = $1, certificate = $2, pb_file = $3, result_at = $4, \
         status = 'uitslag' WHERE id = $5",
    )
    .bind(json)
    .bind(cert)
    .bind(pbtext)
    .bind(now())
    .bind(r.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE bb_letter_batches SET csv_text = NULL, pdf_bytes = NULL, destroyed = 1 WHERE round_id = $1",
    )
    .bind(r.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let t3 = std::time::Instant::now();
    Ok((
        stored,
        [
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
        ],
    ))
}

pub async fn compute(
    State(state): State<AppState>,
    tenant: TenantCtx,
    a: Staff,
    Path((_, id)): Path<(String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let back = format!("/{}/beheer/buurtbudget/{}", tenant.slug, r.id);
    let voting_over = r.status == "open" && store::today() > r.vote_until;
    if !(voting_over || r.status == "uitslag") {
        return Ok(redirect_with_flash(&back, "buurtbudget.flash.not_yet"));
    }
    compute_round(&state, &tenant.name, &r).await?;
    let mut tx = state.db.begin().await?;
    audit::record(
        &mut tx,
        Some(tenant.id),
        Some(a.user.as_ref()),
        "buurtbudget.uitslag",
        "bb_round",
        Some(r.id),
        &format!(
            "uitslag van buurtbudgetronde {} berekend en gepubliceerd",
            r.id
        ),
    )
    .await?;
    tx.commit().await?;
    invalidate(&state, tenant.id);
    Ok(redirect_with_flash(
        &format!("/{}/buurtbudget/{}/uitslag", tenant.slug, r.id),
        "buurtbudget.flash.published",
    ))
}

/// Why a plan won or lost, in plain language.
pub fn why_text(lang: Lang, p: &PlanResult) -> String {
    let e = |n: i64| eur(lang, n);
    let f = |x: f64| eur(lang, x.round() as i64);
    let cost = e(p.cost);
    let votes = fmt_int(lang, p.votes);
    match &p.explanation {
        Why::NoSupport => tf(lang, "buurtbudget.why.no_support", &[]),
        Why::GreedySelected { budget_left } => tf(
            lang,
            "buurtbudget.why.greedy_selected",
            &[
                ("stemmen", &votes),
                ("over", &e(*budget_left)),
                ("kosten", &cost),
            ],
        ),
        Why::NotEnoughBudgetLeft { budget_left } => tf(
            lang,
            "buurtbudget.why.not_enough",
            &[
                ("stemmen", &votes),
                ("over", &e(*budget_left)),
                ("kosten", &cost),
            ],
        ),
        Why::MesSelected {
            round,
            payers,
            max_share,
        } => tf(
            lang,
            "buurtbudget.why.mes_selected",
            &[
                ("ronde", &(round + 1).to_string()),
                ("betalers", &payers.to_string()),
                ("kosten", &cost),
                ("deel", &f(*max_share)),
            ],
        ),
        Why::CompletionSelected { budget_left } => tf(
            lang,
            "buurtbudget.why.completion",
            &[("over", &e(*budget_left)), ("kosten", &cost)],
        ),
        Why::SupportersCannotAfford {
            supporters,
            supporters_money,
        } => tf(
            lang,
            "buurtbudget.why.cannot_afford",
            &[
                ("steuners", &supporters.to_string()),
                ("geld", &f(*supporters_money)),
                ("kosten", &cost),
            ],
        ),
        Why::NeitherAffordableNorFits {
            supporters_money,
            budget_left,
        } => tf(
            lang,
            "buurtbudget.why.neither",
            &[
                ("geld", &f(*supporters_money)),
                ("over", &e(*budget_left)),
                ("kosten", &cost),
            ],
        ),
    }
}

pub struct Row {
    pub p: PlanResult,
    pub cost: String,
    pub votes: String,
    pub why: String,
    pub href: String,
    pub exec: &'static str,
    /// Bar geometry (SVG units).
    pub y: usize,
    pub w: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "buurtbudget/result.html")]
struct ResultTpl {
    c: Chrome,
    r: Round,
    base: String,
    res: StoredResult,
    rows: Vec<Row>,
    winners: Vec<(String, String, String, &'static str)>,
    pb_name: String,
    total: String,
    budget: String,
    ballots: String,
    rule_text: String,
    when: String,
    chart_h: usize,
    verified: bool,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    let round_page = format!("/{}/buurtbudget/{}", tenant.slug, r.id);
    let res = match store::stored_result(&state.db, r.id).await? {
        Some(res) if r.status == "uitslag" => res,
        _ => {
            return Ok(redirect_with_flash(
                &round_page,
                "buurtbudget.flash.no_result_yet",
            ));
        }
    };
    let plans = store::plans(&state.db, r.id, true).await?;
    let verified = verify_stored(&state, &r).await?;
    let base = format!("/{}/buurtbudget/{}", tenant.slug, r.id);
    let mut sorted = res.plans.clone();
    sorted.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.plan_id.cmp(&b.plan_id)));
    let max = sorted.iter().map(|p| p.votes).max().unwrap_or(0).max(1);
    let rows: Vec<Row> = sorted
        .into_iter()
        .enumerate()
        .map(|(i, p)| Row {
            cost: eur(ctx.lang, p.cost),
            votes: fmt_int(ctx.lang, p.votes),
            why: why_text(ctx.lang, &p),
            href: format!("{base}/plannen/{}", p.plan_id),
            exec: plans
                .iter()
                .find(|x| x.id == p.plan_id && !x.exec_status.is_empty())
                .map(|x| ctx.t(&format!("buurtbudget.exec.{}", x.exec_status)))
                .unwrap_or(""),
            y: i * 28,
            w: (p.votes * 400 / max).max(1),
            label: {
                let t: String = p.title.chars().take(48).collect();
                format!("{t} ({})", fmt_int(ctx.lang, p.votes))
            },
            p,
        })
        .collect();
    let mut won: Vec<&Row> = rows.iter().filter(|r| r.p.selected).collect();
    won.sort_by_key(|r| r.p.position);
    let winners = won
        .into_iter()
        .map(|r| (r.href.clone(), r.p.title.clone(), r.cost.clone(), r.exec))
        .collect();
    render(&ResultTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), ctx.t("buurtbudget.result.title")),
        base,
        total: eur(ctx.lang, res.total_cost),
        budget: eur(ctx.lang, res.budget),
        ballots: fmt_int(ctx.lang, res.ballots as i64),
        rule_text: rule_explanation(ctx.lang, &res.rule),
        when: r
            .result_at
            .map(|t| fmt_datetime(ctx.lang, t))
            .unwrap_or_default(),
        chart_h: rows.len() * 28 + 4,
        pb_name: format!("{}_buurtbudget_{}.pb", tenant.slug, r.id),
        rows,
        winners,
        res,
        verified,
        r,
    })
}

/// Check the stored certificate against the stored ballots, independently of the rule.
async fn verify_stored(state: &AppState, r: &Round) -> AppResult<bool> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT pb_file, certificate FROM bb_rounds WHERE id = $1")
            .bind(r.id)
            .fetch_optional(state.db.pool())
            .await?;
    let Some((Some(file), Some(cert))) = row else {
        return Ok(false);
    };
    let key = format!(
        "{}:bb:verified:{}:{}",
        r.tenant_id,
        r.id,
        r.result_at.unwrap_or(0)
    );
    let ok = state
        .cache
        .get_or_load(key, || async move {
            let ok = tokio::task::spawn_blocking(move || {
                let Ok(parsed) = pb::parse(&file) else {
                    return false;
                };
                let Ok(c) = serde_json::from_str::<pb::Certificate>(&cert) else {
                    return false;
                };
                pb::certificate::verify(&parsed.election, &c).is_ok()
            })
            .await
            .unwrap_or(false);
            Ok::<_, sqlx::Error>(ok)
        })
        .await?;
    Ok(*ok)
}

fn text_download(body: String, mime: &'static str, name: String) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The anonymous ballots of a published round, in pabulib format.
pub async fn ballots_file(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    let f: Option<Option<String>> =
        sqlx::query_scalar("SELECT pb_file FROM bb_rounds WHERE id = $1 AND status = 'uitslag'")
            .bind(r.id)
            .fetch_optional(state.db.pool())
            .await?;
    let Some(f) = f.flatten() else {
        return Ok(redirect_with_flash(
            &format!("/{}/buurtbudget/{}", tenant.slug, r.id),
            "buurtbudget.flash.no_result_yet",
        ));
    };
    Ok(text_download(
        f,
        "text/plain; charset=utf-8",
        format!("{}_buurtbudget_{}.pb", tenant.slug, r.id),
    ))
}

pub async fn certificate(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let r = visible_round(&state, &ctx, tenant.id, &id).await?;
    let c: Option<Option<String>> = sqlx::query_scalar(
        "SELECT certificate FROM bb_rounds WHERE id = $1 AND status = 'uitslag'",
    )
    .bind(r.id)
    .fetch_optional(state.db.pool())
    .await?;
    let Some(c) = c.flatten() else {
        return Ok(redirect_with_flash(
            &format!("/{}/buurtbudget/{}", tenant.slug, r.id),
            "buurtbudget.flash.no_result_yet",
        ));
    };
    Ok(text_download(
        c,
        "application/json",
        format!("{}_buurtbudget_{}_certificaat.json", tenant.slug, r.id),
    ))
}

/// Staff export of any round (plans on the ballot and the ballots so far) as pabulib.
pub async fn export(
    State(state): State<AppState>,
    tenant: TenantCtx,
    _a: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let plans = store::plans(&state.db, r.id, true).await?;
    let ballots = store::ballots(&state.db, r.id).await?;
    let e = store::election(&r, &tenant.name, &plans, &ballots);
    Ok(text_download(
        pb::write(&e),
        "text/plain; charset=utf-8",
        format!("{}_buurtbudget_{}.pb", tenant.slug, r.id),
    ))
}

/// Import a past round from pabulib text: a published round with its plans (on the ballot),
/// its ballots and the result recomputed under the file's rule (greedy when it names none
/// we support). Everything is checked before anything is written.
pub async fn import_pabulib(
    state: &AppState,
    tenant_id: i64,
    tenant_name: &str,
    text: &str,
    source: &str,
) -> Result<i64, String> {
    let parsed = pb::parse(text).map_err(|e| e.to_string())?;
    let errors: Vec<String> = pb::check(&parsed)
        .into_iter()
        .filter(|i| i.severity == pb::Severity::Error)
        .map(|i| match i.line {
            Some(l) => format!("regel {l}: {}", i.message),
            None => i.message,
        })
        .take(20)
        .collect();
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    let e = parsed.election;
    if !matches!(
        e.vote_type,
        pb::VoteType::Approval | pb::VoteType::Cumulative
    ) {
        return Err(format!(
            "stemtype {} wordt niet ondersteund (alleen approval en cumulative)",
            e.vote_type
        ));
    }
    if e.money_scale != 0 {
        return Err("bedragen met decimalen worden niet ondersteund".into());
    }
    let (rules, _) = pb::BallotRules::from_election(&e);
    let rule = match e.meta("rule") {
        Some("equalshares" | "mes" | "equalshares/add1" | "mes-add1") => "mes-add1",
        _ => "greedy",
    };
    let title = e
        .meta("description")
        .map(str::to_string)
        .unwrap_or_else(|| format!("Buurtbudget {}", e.meta("instance").unwrap_or("")));
    let year = e
        .meta("date_end")
        .or(e.meta("date_begin"))
        .and_then(|d| d.get(..4))
        .filter(|y| y.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or("2020")
        .to_string();
    let unit = e.meta("unit").unwrap_or("").to_string();
    let title = if unit.is_empty() {
        format!("{title} ({year})")
    } else {
        format!("{title} ({unit}, {year})")
    };
    let d = |md: &str| format!("{year}-{md}");
    let kind = if e.vote_type == pb::VoteType::Cumulative {
        "cumulative"
    } else if rules.sum_cost.max.is_some() {
        "basket"
    } else {
        "kapproval"
    };
    let t = now();
    let mut tx = state.db.begin().await.map_err(|e| e.to_string())?;
    let rid: i64 = sqlx::query_scalar(
        "INSERT INTO bb_rounds (tenant_id, title, intro, budget, submit_from, submit_until, support_until, \
         check_until, vote_from, vote_until, result_on, ballot_kind, within_budget, min_choices, max_choices, \
         points_total, support_threshold, min_age, rule, status, imported, source, created_at) \
         VALUES ($1, $2, '', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, 12, $16, 'open', 1, $17, $18) \
         RETURNING id",
    )
    .bind(tenant_id)
    .bind(title.chars().take(120).collect::<String>())
    .bind(e.budget as i64)
    .bind(d("01-01"))
    .bind(d("01-31"))
    .bind(d("02-28"))
    .bind(d("03-31"))
    .bind(d("04-01"))
    .bind(d("04-30"))
    .bind(d("05-31"))
    .bind(kind)
    .bind(i64::from(rules.sum_cost.max.is_some()))
    .bind(rules.length.min.map(|x| x as i64))
    .bind(rules.length.max.map(|x| x as i64))
    .bind(rules.sum_points.max)
    .bind(rule)
    .bind(source)
    .bind(t)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.to_string())?;
    let mut ids = Vec::with_capacity(e.projects.len());
    for p in &e.projects {
        let pid: i64 = sqlx::query_scalar(
            "INSERT INTO bb_plans (round_id, title, cost, category, feasible, municipal_cost, on_ballot, \
             external_id, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $3, 1, $5, $6, $6) RETURNING id",
        )
        .bind(rid)
        .bind(if p.name.is_empty() { p.id.clone() } else { p.name.chars().take(200).collect() })
        .bind(p.cost as i64)
        .bind(p.categories.first().cloned().unwrap_or_default())
        .bind(&p.id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
        ids.push(pid);
    }
    let points = e.vote_type == pb::VoteType::Cumulative;
    for chunk in e.ballots.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO bb_ballots (receipt, round_id, choices, contents_hash) VALUES ",
        );
        let mut vals = Vec::new();
        for (i, b) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let k = i * 4;
            sql.push_str(&format!("(${}, ${}, ${}, ${})", k + 1, k + 2, k + 3, k + 4));
            let sel: Vec<(i64, i64)> = b
                .items
                .iter()
                .map(|it| (ids[it.project], it.points))
                .collect();
            let choices = store::encode_choices(&sel, points);
            let receipt = format!("R{rid}-{}", b.voter_id);
            let hash = store::contents_hash(rid, &receipt, &choices);
            vals.push((receipt, choices, hash));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (receipt, choices, hash) in vals {
            q = q.bind(receipt).bind(rid).bind(choices).bind(hash);
        }
        q.execute(&mut *tx).await.map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    let round = store::get_round(&state.db, tenant_id, rid)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("ronde verdwenen")?;
    compute_round(state, tenant_name, &round)
        .await
        .map_err(|e| e.to_string())?;
    Ok(rid)
}

pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    a: Staff,
    mp: MultipartForm,
) -> AppResult<Response> {
    let Some(file) = mp.file("bestand") else {
        return index_page(
            &state,
            &ctx,
            &tenant,
            ctx.t("buurtbudget.import.no_file").into(),
        )
        .await;
    };
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        return index_page(
            &state,
            &ctx,
            &tenant,
            ctx.t("buurtbudget.register.not_utf8").into(),
        )
        .await;
    };
    let name: String = file.filename.chars().take(100).collect();
    match import_pabulib(&state, tenant.id, &tenant.name, text, &name).await {
        Ok(id) => {
            let mut tx = state.db.begin().await?;
            audit::record(
                &mut tx,
                Some(tenant.id),
                Some(a.user.as_ref()),
                "buurtbudget.import",
                "bb_round",
                Some(id),
                &format!("buurtbudgetronde {id} geïmporteerd uit pabulib"),
            )
            .await?;
            tx.commit().await?;
            invalidate(&state, tenant.id);
            Ok(redirect_with_flash(
                &format!("/{}/buurtbudget/{id}/uitslag", tenant.slug),
                "buurtbudget.flash.imported",
            ))
        }
        Err(e) => {
            let m = tf(ctx.lang, "buurtbudget.import.error", &[("fout", &e)]);
            index_page(&state, &ctx, &tenant, m).await
        }
    }
}
