//! Feature modules (DESIGN.md). Each owns its routes, views, domain logic, queries, tests.
//! This file is the one place where modules are wired into the application: routes, job
//! kinds, navigation, and the hooks through which the kern asks modules for their part
//! (home page blocks, map counts, a resident's data for export and deletion).

pub mod burgerberaad;
pub mod buurtbudget;
pub mod kern;
pub mod trajecten;

use crate::db::Tx;
use crate::jobs::{JobFn, JobStatus};
use crate::web::AppState;
use crate::web::access::TenantCtx;
use crate::web::ctx::{Ctx, Role};
use crate::web::error::AppResult;
use crate::web::routes::Routes;
use kern::pages::HomeSection;
use std::collections::HashMap;

/// Every module's routes.
pub fn routes() -> Routes {
    Routes::new()
        .merge(kern::routes())
        .merge(trajecten::routes())
        .merge(buurtbudget::routes())
        .merge(burgerberaad::routes())
}

/// Every module's background job kinds.
pub fn job_handlers() -> Vec<(&'static str, JobFn)> {
    let mut v = Vec::new();
    v.extend(kern::job_handlers());
    v.extend(burgerberaad::job_handlers());
    v
}

/// Extra public navigation entries of modules: (href, message key).
pub fn public_nav(base: &str) -> Vec<(String, &'static str)> {
    vec![(format!("{base}/buurtbudget"), "buurtbudget.nav.public")]
}

/// Staff navigation entries: (href, message key, roles that see it).
pub fn staff_nav(base: &str) -> Vec<(String, &'static str, &'static [Role])> {
    use crate::web::access::{Administer, Capability, ManageParticipation, Moderate};
    vec![
        (
            format!("{base}/beheer/trajecten"),
            "trajecten.nav.manage",
            ManageParticipation::ROLES,
        ),
        (
            format!("{base}/beheer/buurtbudget"),
            "buurtbudget.nav.manage",
            ManageParticipation::ROLES,
        ),
        (
            format!("{base}/beheer/burgerberaad"),
            "burgerberaad.nav.manage",
            ManageParticipation::ROLES,
        ),
        (
            format!("{base}/moderatie"),
            "trajecten.nav.moderate",
            Moderate::ROLES,
        ),
        (
            format!("{base}/beheer"),
            "kern.nav.admin",
            Administer::ROLES,
        ),
    ]
}

/// Blocks for a municipality's home page, in order.
pub async fn home_sections(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
) -> AppResult<Vec<HomeSection>> {
    Ok(vec![
        trajecten::public::home_section(state, ctx, tenant).await?,
        buurtbudget::public::home_section(state, ctx, tenant).await?,
        burgerberaad::public::home_section(state, ctx, tenant).await?,
    ])
}

/// Per wijk, the number of things going on there (shades the map).
pub async fn area_counts(state: &AppState, tenant_id: i64) -> AppResult<HashMap<i64, i64>> {
    let mut counts = trajecten::public::counts(state, tenant_id).await?;
    for (area, n) in buurtbudget::public::counts(state, tenant_id).await? {
        *counts.entry(area).or_insert(0) += n;
    }
    Ok(counts)
}

/// Where the result of a finished job can be seen.
pub fn job_result_url(tenant_slug: &str, job: &JobStatus) -> Option<String> {
    burgerberaad::job_result_url(tenant_slug, job)
}

/// Add a resident's data held by modules to their export.
pub async fn export_user_data(
    state: &AppState,
    user_id: i64,
    out: &mut serde_json::Value,
) -> AppResult<()> {
    let rows: Vec<(i64, String, i64, String, String)> = sqlx::query_as(
        "SELECT trajectory_id, body, created_at, status, response FROM reactions WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(state.db.pool())
    .await?;
    burgerberaad::export_user_data(state, user_id, out).await?;
    out["reacties"] = serde_json::json!(
        rows.into_iter()
            .map(|(t, body, at, status, response)| serde_json::json!({
                "traject": t, "tekst": body, "geplaatst": at, "verwerking": status, "antwoord": response
            }))
            .collect::<Vec<_>>()
    );
    let plans: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT round_id, title, description, cost FROM bb_plans WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(state.db.pool())
    .await?;
    out["buurtbudget_plannen"] = serde_json::json!(
        plans
            .into_iter()
            .map(|(r, title, description, cost)| serde_json::json!({
                "ronde": r, "titel": title, "beschrijving": description, "kosten": cost
            }))
            .collect::<Vec<_>>()
    );
    let supports: Vec<i64> =
        sqlx::query_scalar("SELECT plan_id FROM bb_supports WHERE user_id = $1 ORDER BY plan_id")
            .bind(user_id)
            .fetch_all(state.db.pool())
            .await?;
    out["buurtbudget_steun"] = serde_json::json!(supports);
    Ok(())
}

/// Remove or anonymise a resident's data held by modules (account deletion).
pub async fn delete_user_data(tx: &mut Tx, user_id: i64) -> AppResult<()> {
    // Reactions stay part of the public record of a trajectory, without their author.
    sqlx::query("UPDATE reactions SET user_id = NULL, author_name = '' WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    // Plans stay part of the round's public record, without their author; support is
    // removed (it counts towards the threshold only while the account exists).
    sqlx::query("UPDATE bb_plans SET user_id = NULL, author_name = '' WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM bb_supports WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    burgerberaad::delete_user_data(tx, user_id).await?;
    Ok(())
}

/// How many records of modules use a topic (a used topic cannot be deleted).
pub async fn topic_usage(state: &AppState, tenant_id: i64, topic_id: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM trajectories WHERE tenant_id = $1 AND topic_id = $2",
    )
    .bind(tenant_id)
    .bind(topic_id)
    .fetch_one(state.db.pool())
    .await?)
}

/// Each module's demo content, after the kern demo (tenants, areas, accounts) exists.
pub async fn load_demo(state: &AppState) -> anyhow::Result<()> {
    trajecten::demo::load(state).await?;
    buurtbudget::demo::load(state).await?;
    burgerberaad::demo::load(state).await
}
