//! Panel selection through the sortition engine, as a background job, and replacements.
//!
//! The pool is written as the two anonymised CSV files that `meedoen sortition select`
//! reads (quotas `category,feature,min,max`; people `id,<feature>...`), and the instance
//! is read back from exactly those files, so that anyone who downloads them from the
//! transparency page and runs the command with the public seed gets the same panel.
//!
//! The job writes its whole result in one transaction at the end. A job interrupted by
//! a restart is claimed again when its lease runs out and runs from the start; the run
//! is deterministic (same files, same seed), and a result already stored is kept.

use super::store::{self, Assembly, Quota, Registration};
use crate::db::{Tx, now};
use crate::jobs::{JobCtx, JobFuture};
use crate::modules::kern::audit;
use crate::web::AppState;
use crate::web::ctx::SessionUser;
use serde_json::{Value, json};
use sortition::{
    Algorithm, HouseholdColumn, Instance, SelectOptions, SortitionError, read_categories,
    read_people,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub const JOB_KIND: &str = "burgerberaad.selectie";

/// The anonymised pool: quotas CSV, people CSV, and the pool id of each registration.
pub struct Pool {
    pub categories_csv: String,
    pub people_csv: String,
    pub ids: Vec<(i64, String)>,
}

/// Everyone registered (not withdrawn) goes into the pool, in a fixed order (by their
/// features, then by registration), with ids `p0001`, `p0002`, ... that say nothing
/// about the person.
pub fn build_pool(
    features: &[String],
    quotas: &[Quota],
    regs: &[Registration],
) -> anyhow::Result<Pool> {
    let mut cw = csv::Writer::from_writer(Vec::new());
    cw.write_record(["category", "feature", "min", "max"])?;
    for f in features {
        for q in quotas.iter().filter(|q| &q.feature == f) {
            cw.write_record([
                f.as_str(),
                q.value.as_str(),
                q.min_seats.to_string().as_str(),
                q.max_seats.to_string().as_str(),
            ])?;
        }
    }
    let categories_csv = String::from_utf8(cw.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    let mut pool: Vec<(Vec<String>, i64)> = regs
        .iter()
        .filter(|r| r.status == "aangemeld")
        .map(|r| {
            let m = r.feature_map();
            (
                features
                    .iter()
                    .map(|f| m.get(f).cloned().unwrap_or_default())
                    .collect(),
                r.id,
            )
        })
        .collect();
    pool.sort();
    let mut pw = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["id".to_string()];
    head.extend(features.iter().cloned());
    pw.write_record(&head)?;
    let mut ids = Vec::new();
    for (i, (vals, reg)) in pool.iter().enumerate() {
        let pid = format!("p{:04}", i + 1);
        let mut rec = vec![pid.clone()];
        rec.extend(vals.iter().cloned());
        pw.write_record(&rec)?;
        ids.push((*reg, pid));
    }
    let people_csv = String::from_utf8(pw.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    Ok(Pool {
        categories_csv,
        people_csv,
        ids,
    })
}

/// The instance exactly as `meedoen sortition select` reads it from the two files.
pub fn instance(
    categories_csv: &str,
    people_csv: &str,
    panel_size: usize,
) -> Result<Instance, SortitionError> {
    let cats = read_categories(categories_csv.as_bytes(), "categorieen.csv")?;
    let people = read_people(
        people_csv.as_bytes(),
        "deelnemers.csv",
        &cats,
        &HouseholdColumn::None,
    )?;
    Instance::new(cats, people, panel_size)
}

/// A public seed: a random number below 2^53 (exact in every spreadsheet).
pub fn random_seed() -> u64 {
    rand::random::<u64>() >> 11
}

pub fn job_handler(ctx: JobCtx) -> JobFuture {
    Box::pin(run(ctx))
}

async fn run(ctx: JobCtx) -> anyhow::Result<Value> {
    let state = ctx.state.clone();
    let id = ctx.payload["assembly"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("geen burgerberaad in de opdracht"))?;
    let a = store::get_any(&state.db, id)
        .await?
        .filter(|a| Some(a.tenant_id) == ctx.tenant_id)
        .ok_or_else(|| anyhow::anyhow!("burgerberaad {id} bestaat niet"))?;
    if store::selection(&state.db, a.id).await?.is_some() {
        // A run before a restart already stored its result: keep it.
        return Ok(json!({"assembly": a.id, "tenant": a.tenant_id}));
    }
    let algorithm: Algorithm = ctx.payload["algorithm"]
        .as_str()
        .unwrap_or("leximin")
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let seed = ctx.payload["seed"]
        .as_str()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| anyhow::anyhow!("geen seed in de opdracht"))?;
    let features = a.feature_list();
    let quotas = store::quotas(&state.db, a.id).await?;
    let regs = store::registrations(&state.db, a.id).await?;
    let pool = build_pool(&features, &quotas, &regs)?;
    ctx.progress(0, 100, "Loting voorbereiden").await?;
    let inst = match instance(
        &pool.categories_csv,
        &pool.people_csv,
        a.panel_size as usize,
    ) {
        Ok(i) => i,
        Err(e) => {
            store_error(
                &state,
                a.id,
                &json!({"structural": [e.to_string()], "relaxations": []}),
            )
            .await?;
            return Ok(json!({"assembly": a.id, "tenant": a.tenant_id, "infeasible": true}));
        }
    };
    let opts = SelectOptions {
        algorithm,
        seed,
        ..SelectOptions::default()
    };
    let progress: Arc<Mutex<Option<(String, i64, i64)>>> = Arc::new(Mutex::new(None));
    let cancel = Arc::new(AtomicBool::new(false));
    let (p2, c2, inst2) = (progress.clone(), cancel.clone(), inst.clone());
    let mut handle = tokio::task::spawn_blocking(move || {
        let mut cb = |p: &sortition::Progress| {
            if let Ok(mut g) = p2.lock() {
                *g = Some((
                    format!("{:?}: {} panels", p.phase, p.panels),
                    p.fixed as i64,
                    p.people.max(1) as i64,
                ));
            }
        };
        sortition::select(&inst2, &opts, &mut cb, Some(c2.as_ref()))
    });
    let result = loop {
        tokio::select! {
            r = &mut handle => break r?,
            _ = tokio::time::sleep(std::time::Duration::from_millis(700)) => {
                let snapshot = progress.lock().ok().and_then(|g| g.clone());
                if let Some((msg, done, total)) = snapshot {
                    ctx.progress(done, total, &msg).await?;
                }
                if ctx.cancelled().await {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        }
    };
    let sel = match result {
        Ok(s) => s,
        Err(SortitionError::Infeasible(inf)) => {
            let relax: Vec<Value> = inf
                .relaxations
                .iter()
                .map(|r| {
                    json!({"feature": r.category, "value": r.value, "is_min": r.is_min,
                           "from": r.from, "to": r.to})
                })
                .collect();
            store_error(
                &state,
                a.id,
                &json!({"structural": inf.structural, "relaxations": relax}),
            )
            .await?;
            return Ok(json!({"assembly": a.id, "tenant": a.tenant_id, "infeasible": true}));
        }
        Err(e) => return Err(e.into()),
    };
    let panel_ids: Vec<String> = sel
        .panel
        .iter()
        .map(|&i| inst.people[i].id.clone())
        .collect();
    let mut tx = state.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO ba_selections (assembly_id, algorithm, seed, lottery_size, support, drawn, \
         max_deviation, pool_size, categories_csv, people_csv, panel, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (assembly_id) DO NOTHING",
    )
    .bind(a.id)
    .bind(sel.algorithm.name())
    .bind(seed.to_string())
    .bind(sel.lottery.panels.len() as i64)
    .bind(sel.lottery.support() as i64)
    .bind(sel.drawn as i64)
    .bind(sel.lottery.max_deviation)
    .bind(inst.people.len() as i64)
    .bind(&pool.categories_csv)
    .bind(&pool.people_csv)
    .bind(serde_json::to_string(&panel_ids)?)
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        tx.rollback().await?;
        return Ok(json!({"assembly": a.id, "tenant": a.tenant_id}));
    }
    for (reg, pid) in &pool.ids {
        let idx = inst.person_index(pid).unwrap_or(usize::MAX);
        let p = sel.probabilities.get(idx).copied().unwrap_or(0.0);
        let on = sel.panel.contains(&idx);
        sqlx::query(
            "UPDATE ba_registrations SET pool_id = $1, probability = $2, panel_status = $3 WHERE id = $4",
        )
        .bind(pid)
        .bind(p)
        .bind(if on { "lid" } else { "" })
        .bind(reg)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE ba_assemblies SET status = 'geselecteerd', selection_error = '', updated_at = $1 WHERE id = $2",
    )
    .bind(now())
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(a.tenant_id),
        None,
        "burgerberaad.selected",
        "ba_assembly",
        Some(a.id),
        &format!(
            "panel van {} geloot uit {} aanmeldingen ({}, seed {seed}, lot {} van {})",
            sel.panel.len(),
            inst.people.len(),
            sel.algorithm.name(),
            sel.drawn + 1,
            sel.lottery.panels.len()
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(json!({"assembly": a.id, "tenant": a.tenant_id}))
}

async fn store_error(state: &AppState, id: i64, v: &Value) -> anyhow::Result<()> {
    sqlx::query("UPDATE ba_assemblies SET selection_error = $1, updated_at = $2 WHERE id = $3")
        .bind(v.to_string())
        .bind(now())
        .bind(id)
        .execute(state.db.writer())
        .await?;
    Ok(())
}

/// Queue the selection job in the caller's transaction.
pub async fn enqueue(
    tx: &mut Tx,
    a: &Assembly,
    algorithm: Algorithm,
    seed: u64,
    user: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let id = crate::jobs::JobRunner::enqueue_tx(
        tx,
        Some(a.tenant_id),
        JOB_KIND,
        &json!({"assembly": a.id, "algorithm": algorithm.name(), "seed": seed.to_string()}),
        user,
    )
    .await?;
    sqlx::query(
        "UPDATE ba_assemblies SET selection_job_id = $1, selection_error = '', updated_at = $2 WHERE id = $3",
    )
    .bind(id)
    .bind(now())
    .bind(a.id)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Run the selection now, in this task (the demo and tests of the engine wiring use
/// this; the web pages use the job).
pub async fn run_now(
    state: &AppState,
    a: &Assembly,
    algorithm: Algorithm,
    seed: u64,
) -> anyhow::Result<Value> {
    let ctx = JobCtx {
        state: state.clone(),
        id: 0,
        tenant_id: Some(a.tenant_id),
        payload: json!({"assembly": a.id, "algorithm": algorithm.name(), "seed": seed.to_string()}),
        attempt: 1,
    };
    run(ctx).await
}

#[derive(Debug)]
pub struct Replaced {
    pub new_registration: i64,
    pub same_features: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    #[error("not a member")]
    NotMember,
    #[error("no selection")]
    NoSelection,
    #[error("nobody left")]
    NobodyLeft,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A member withdraws: draw a replacement with the same features (the engine's
/// `replacement`, seed = public seed + number of earlier replacements + 1) from the
/// registrants not on the panel and not withdrawn; log it in the audit log.
pub async fn replace(
    state: &AppState,
    a: &Assembly,
    registration_id: i64,
    actor: &SessionUser,
) -> Result<Replaced, ReplaceError> {
    let sel = store::selection(&state.db, a.id)
        .await?
        .ok_or(ReplaceError::NoSelection)?;
    let regs = store::registrations(&state.db, a.id).await?;
    let member = regs
        .iter()
        .find(|r| r.id == registration_id && r.panel_status == "lid")
        .ok_or(ReplaceError::NotMember)?;
    let inst = instance(&sel.categories_csv, &sel.people_csv, a.panel_size as usize)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let idx = |r: &Registration| inst.person_index(&r.pool_id);
    let panel: Vec<usize> = regs
        .iter()
        .filter(|r| r.panel_status == "lid")
        .filter_map(idx)
        .collect();
    let unavailable: Vec<usize> = regs
        .iter()
        .filter(|r| r.status != "aangemeld" || r.panel_status == "teruggetrokken")
        .filter_map(idx)
        .collect();
    let withdrawn = idx(member).ok_or(ReplaceError::NotMember)?;
    let base: u64 = sel.seed.parse().unwrap_or(0);
    let seed = base.wrapping_add(sel.replacements as u64 + 1);
    let r = match sortition::replacement(&inst, &panel, withdrawn, &unavailable, seed) {
        Ok(r) => r,
        Err(SortitionError::Replacement(_)) => return Err(ReplaceError::NobodyLeft),
        Err(e) => return Err(anyhow::anyhow!("{e}").into()),
    };
    let new_pid = inst.people[r.person].id.clone();
    let new_reg = regs
        .iter()
        .find(|x| x.pool_id == new_pid)
        .ok_or_else(|| anyhow::anyhow!("vervanger {new_pid} niet gevonden"))?;
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE ba_registrations SET panel_status = 'teruggetrokken' WHERE id = $1")
        .bind(member.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE ba_registrations SET panel_status = 'lid', replaces_id = $1 WHERE id = $2")
        .bind(member.id)
        .bind(new_reg.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE ba_selections SET replacements = replacements + 1 WHERE assembly_id = $1")
        .bind(a.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(a.tenant_id),
        Some(actor),
        "burgerberaad.replaced",
        "ba_assembly",
        Some(a.id),
        &format!(
            "lid {} teruggetrokken, vervangen door {} (zelfde kenmerken: {}, {} kandidaten, seed {seed})",
            member.pool_id,
            new_pid,
            if r.same_features { "ja" } else { "nee" },
            r.candidates
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Replaced {
        new_registration: new_reg.id,
        same_features: r.same_features,
    })
}

/// Per quota value: (feature, value, min, max probability) over the pool.
pub fn ranges(quotas: &[Quota], regs: &[Registration]) -> Vec<(String, String, f64, f64, usize)> {
    quotas
        .iter()
        .map(|q| {
            let ps: Vec<f64> = regs
                .iter()
                .filter(|r| !r.pool_id.is_empty() && r.value(&q.feature) == q.value)
                .filter_map(|r| r.probability)
                .collect();
            let mn = ps.iter().copied().fold(f64::INFINITY, f64::min);
            let mx = ps.iter().copied().fold(0.0, f64::max);
            (
                q.feature.clone(),
                q.value.clone(),
                if ps.is_empty() { 0.0 } else { mn },
                mx,
                ps.len(),
            )
        })
        .collect()
}
