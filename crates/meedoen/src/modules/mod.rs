//! Feature modules (DESIGN.md). Each owns its routes, views, domain logic, queries, tests.
//! This file is the one place where modules are wired into the application: routes, job
//! kinds, navigation, and the hooks through which the kern asks modules for their part
//! (home page blocks, map counts, a resident's data for export and deletion).

pub mod kern;

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
    Routes::new().merge(kern::routes())
}

/// Every module's background job kinds.
pub fn job_handlers() -> Vec<(&'static str, JobFn)> {
    let mut v = Vec::new();
    v.extend(kern::job_handlers());
    v
}

/// Extra public navigation entries of modules: (href, message key).
pub fn public_nav(_base: &str) -> Vec<(String, &'static str)> {
    Vec::new()
}

/// Staff navigation entries: (href, message key, roles that see it).
pub fn staff_nav(base: &str) -> Vec<(String, &'static str, &'static [Role])> {
    use crate::web::access::{Administer, Capability};
    vec![(
        format!("{base}/beheer"),
        "kern.nav.admin",
        Administer::ROLES,
    )]
}

/// Blocks for a municipality's home page, in order.
pub async fn home_sections(
    _state: &AppState,
    _ctx: &Ctx,
    _tenant: &TenantCtx,
) -> AppResult<Vec<HomeSection>> {
    Ok(Vec::new())
}

/// Per wijk, the number of things going on there (shades the map).
pub async fn area_counts(_state: &AppState, _tenant_id: i64) -> AppResult<HashMap<i64, i64>> {
    Ok(HashMap::new())
}

/// Where the result of a finished job can be seen.
pub fn job_result_url(_tenant_slug: &str, _job: &JobStatus) -> Option<String> {
    None
}

/// Add a resident's data held by modules to their export.
pub async fn export_user_data(
    _state: &AppState,
    _user_id: i64,
    _out: &mut serde_json::Value,
) -> AppResult<()> {
    Ok(())
}

/// Remove or anonymise a resident's data held by modules (account deletion).
pub async fn delete_user_data(_tx: &mut Tx, _user_id: i64) -> AppResult<()> {
    Ok(())
}

/// How many records of modules use a topic (a used topic cannot be deleted).
pub async fn topic_usage(_state: &AppState, _tenant_id: i64, _topic_id: i64) -> AppResult<i64> {
    Ok(0)
}

/// Each module's demo content, after the kern demo (tenants, areas, accounts) exists.
pub async fn load_demo(_state: &AppState) -> anyhow::Result<()> {
    Ok(())
}
