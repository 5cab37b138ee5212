//! The audit log: every administrative action, written in the same transaction as the
//! action itself, readable by the municipality's administrator.

use crate::db::{Db, DbError, Tx, now};
use crate::web::ctx::SessionUser;
use sqlx::FromRow;

/// Record an action. `summary` is a short human description without personal data
/// beyond the actor's name (e.g. "rol beheerder gegeven aan account 12").
pub async fn record(
    tx: &mut Tx,
    tenant_id: Option<i64>,
    actor: Option<&SessionUser>,
    action: &str,
    object_type: &str,
    object_id: Option<i64>,
    summary: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, actor_user_id, actor_name, action, object_type, \
         object_id, summary, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(actor.map(|a| a.id))
    .bind(actor.map(|a| a.name.as_str()).unwrap_or("systeem"))
    .bind(action)
    .bind(object_type)
    .bind(object_id)
    .bind(summary)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_name: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub summary: String,
    pub at: i64,
}

pub const PAGE_SIZE: i64 = 50;

/// A page of the tenant's audit log, newest first; `before` is the id to continue after.
pub async fn page(
    db: &Db,
    tenant_id: i64,
    before: Option<i64>,
    action: Option<&str>,
) -> Result<Vec<AuditEntry>, DbError> {
    sqlx::query_as(
        "SELECT id, actor_name, action, object_type, object_id, summary, at FROM audit_log \
         WHERE tenant_id = $1 AND id < $2 AND ($3 = '' OR action = $3) \
         ORDER BY id DESC LIMIT $4",
    )
    .bind(tenant_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(action.unwrap_or(""))
    .bind(PAGE_SIZE)
    .fetch_all(db.pool())
    .await
}
