//! Retention: a configurable number of days after an assembly ends, the personal data of
//! its invitees and registrants is deleted (names, addresses, contact details,
//! availability, code hashes and the code key; invitations keep only their wijk). What remains is anonymous: per
//! registration its features, selection probability and panel status under its pool
//! id, and so every aggregate figure. The deletion is in the audit log.
//!
//! Finishing an assembly queues the job to run on the due date (`run_after`); no
//! scheduler is needed. A job that finds the date moved queues itself again.

use super::store::{self, Assembly};
use crate::db::{Tx, now};
use crate::jobs::{JobCtx, JobFuture};
use crate::modules::kern::audit;
use crate::web::AppState;
use serde_json::{Value, json};

pub const JOB_KIND: &str = "burgerberaad.bewaartermijn";

/// Unix time at which the personal data of `a` is due for deletion.
pub fn due_at(a: &Assembly) -> i64 {
    let end = chrono::NaiveDate::parse_from_str(&a.ends_on, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
        .unwrap_or_else(now);
    end + 86_400 * (a.retention_days + 1)
}

/// Queue the retention job for the due date, in the caller's transaction.
pub async fn schedule(tx: &mut Tx, a: &Assembly) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO jobs (tenant_id, kind, payload, run_after, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(a.tenant_id)
    .bind(JOB_KIND)
    .bind(json!({"assembly": a.id}).to_string())
    .bind(due_at(a))
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub fn job_handler(ctx: JobCtx) -> JobFuture {
    Box::pin(async move {
        let id = ctx.payload["assembly"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("geen burgerberaad in de opdracht"))?;
        let Some(a) = store::get_any(&ctx.state.db, id)
            .await?
            .filter(|a| Some(a.tenant_id) == ctx.tenant_id)
        else {
            return Ok(json!({"skipped": "verwijderd"}));
        };
        if a.anonymised_at.is_some() {
            return Ok(json!({"assembly": a.id, "tenant": a.tenant_id}));
        }
        if due_at(&a) > now() {
            let mut tx = ctx.state.db.begin().await?;
            schedule(&mut tx, &a).await?;
            tx.commit().await?;
            return Ok(json!({"assembly": a.id, "tenant": a.tenant_id, "rescheduled": true}));
        }
        anonymise(&ctx.state, &a).await
    })
}

/// Delete the personal data of an assembly now (one transaction) and log it.
pub async fn anonymise(state: &AppState, a: &Assembly) -> anyhow::Result<Value> {
    let mut tx = state.db.begin().await?;
    let regs = sqlx::query(
        "UPDATE ba_registrations SET name = '', email = '', phone = '', availability = '', \
         withdraw_hash = '' WHERE assembly_id = $1",
    )
    .bind(a.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // Invitations keep only their wijk (for the response figures per wijk).
    let invs = sqlx::query(
        "UPDATE ba_invitations SET name = '', address = '', postcode = '', city = '', \
         code_hash = 'verwijderd-' || CAST(id AS TEXT) WHERE assembly_id = $1",
    )
    .bind(a.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE ba_assemblies SET code_key = '', anonymised_at = $1, updated_at = $1 WHERE id = $2",
    )
    .bind(now())
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(a.tenant_id),
        None,
        "burgerberaad.anonymised",
        "ba_assembly",
        Some(a.id),
        &format!(
            "bewaartermijn ({} dagen) verstreken: persoonsgegevens van {regs} aanmeldingen en {invs} uitnodigingen verwijderd",
            a.retention_days
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(json!({"assembly": a.id, "tenant": a.tenant_id, "registrations": regs, "invitations": invs}))
}
