//! The background job runner, kept in the database (no extra server).
//!
//! A job is a row in `jobs`. Workers in every `meedoen serve` process claim queued jobs
//! with a conditional UPDATE (safe with several processes on one PostgreSQL), keep a lease
//! (`locked_until`) alive with a heartbeat while they run, and record progress that the
//! page which started the job shows. A job whose process died is claimed again when its
//! lease runs out and runs from the start: handlers must write their result in one
//! transaction at the end, so an interrupted run never leaves a partial result.

use crate::db::{Db, now};
use crate::web::AppState;
use serde_json::Value;
use sqlx::Row;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub const LEASE_SECS: i64 = 30;

pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<Value>> + Send>>;
pub type JobFn = fn(JobCtx) -> JobFuture;

#[derive(Clone)]
pub struct JobRunner {
    db: Db,
    notify: Arc<Notify>,
    worker_id: Arc<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct JobStatus {
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub kind: String,
    pub status: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub message: String,
    pub result: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl JobStatus {
    pub fn percent(&self) -> i64 {
        if self.status == "done" {
            return 100;
        }
        if self.progress_total <= 0 {
            0
        } else {
            (self.progress_done * 100 / self.progress_total).clamp(0, 100)
        }
    }
    /// The message key naming the status, e.g. `kern.job.status.running`.
    pub fn status_key(&self) -> &'static str {
        match self.status.as_str() {
            "queued" => "kern.job.status.queued",
            "running" => "kern.job.status.running",
            "done" => "kern.job.status.done",
            "failed" => "kern.job.status.failed",
            _ => "kern.job.status.cancelled",
        }
    }
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "done" | "failed" | "cancelled")
    }
}

/// What a running job sees.
#[derive(Clone)]
pub struct JobCtx {
    pub state: AppState,
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub payload: Value,
    pub attempt: i64,
}

impl JobCtx {
    /// Record progress (`done` of `total`) with a short message for the page.
    ///
    /// Never call this while holding a write transaction ([`crate::db::Db::begin`]): on
    /// SQLite that transaction holds the only writer connection and this call would wait
    /// for it until the pool times out.
    pub async fn progress(&self, done: i64, total: i64, message: &str) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE jobs SET progress_done = $1, progress_total = $2, message = $3 WHERE id = $4",
        )
        .bind(done)
        .bind(total)
        .bind(message)
        .bind(self.id)
        .execute(self.state.db.writer())
        .await?;
        Ok(())
    }

    /// Whether someone asked to cancel this job.
    pub async fn cancelled(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT cancel_requested FROM jobs WHERE id = $1")
            .bind(self.id)
            .fetch_one(self.state.db.pool())
            .await
            .map(|v| v != 0)
            .unwrap_or(false)
    }
}

fn row_to_status(r: &sqlx::any::AnyRow) -> Result<JobStatus, sqlx::Error> {
    Ok(JobStatus {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        progress_done: r.try_get("progress_done")?,
        progress_total: r.try_get("progress_total")?,
        message: r.try_get("message")?,
        result: r.try_get("result")?,
        error: r.try_get("error")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

const STATUS_COLS: &str = "id, tenant_id, kind, status, progress_done, progress_total, message, \
                           result, error, created_at, finished_at";

impl JobRunner {
    pub fn new(db: Db) -> JobRunner {
        let worker_id = format!(
            "{}-{}",
            std::process::id(),
            &crate::web::security::random_token()[..8]
        );
        JobRunner {
            db,
            notify: Arc::new(Notify::new()),
            worker_id: Arc::new(worker_id),
        }
    }

    /// Queue a job inside the caller's transaction; call [`JobRunner::wake`] after commit.
    pub async fn enqueue_tx(
        tx: &mut crate::db::Tx,
        tenant_id: Option<i64>,
        kind: &str,
        payload: &Value,
        created_by: Option<i64>,
    ) -> Result<i64, sqlx::Error> {
        let t = now();
        sqlx::query_scalar(
            "INSERT INTO jobs (tenant_id, kind, payload, run_after, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(tenant_id)
        .bind(kind)
        .bind(payload.to_string())
        .bind(t)
        .bind(created_by)
        .bind(t)
        .fetch_one(&mut **tx)
        .await
    }

    /// Queue a job and wake a worker.
    pub async fn enqueue(
        &self,
        tenant_id: Option<i64>,
        kind: &str,
        payload: &Value,
        created_by: Option<i64>,
    ) -> Result<i64, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let id = Self::enqueue_tx(&mut tx, tenant_id, kind, payload, created_by).await?;
        tx.commit().await?;
        self.wake();
        Ok(id)
    }

    pub fn wake(&self) {
        self.notify.notify_one();
    }

    pub async fn status(&self, id: i64) -> Result<Option<JobStatus>, sqlx::Error> {
        let sql = format!("SELECT {STATUS_COLS} FROM jobs WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(row_to_status).transpose()
    }

    pub async fn request_cancel(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE id = $1")
            .bind(id)
            .execute(self.db.writer())
            .await?;
        sqlx::query(
            "UPDATE jobs SET status = 'cancelled', finished_at = $1 WHERE id = $2 AND status = 'queued'",
        )
        .bind(now())
        .bind(id)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// Claim the next runnable job, if any.
    async fn claim(&self) -> Result<Option<(i64, Option<i64>, String, String, i64)>, sqlx::Error> {
        let t = now();
        let row = sqlx::query(
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, \
                 attempts = attempts + 1, started_at = $3 \
             WHERE id = (SELECT id FROM jobs \
                         WHERE (status = 'queued' OR (status = 'running' AND locked_until < $3)) \
                           AND run_after <= $3 ORDER BY id LIMIT 1) \
               AND (status = 'queued' OR (status = 'running' AND locked_until < $3)) \
             RETURNING id, tenant_id, kind, payload, attempts",
        )
        .bind(self.worker_id.as_str())
        .bind(t + LEASE_SECS)
        .bind(t)
        .fetch_optional(self.db.writer())
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((
                r.try_get("id")?,
                r.try_get("tenant_id")?,
                r.try_get("kind")?,
                r.try_get("payload")?,
                r.try_get("attempts")?,
            ))),
        }
    }

    /// Start `workers` worker loops for this process.
    pub fn start(&self, state: AppState, workers: usize) {
        let handlers: Arc<HashMap<&'static str, JobFn>> =
            Arc::new(crate::modules::job_handlers().into_iter().collect());
        for _ in 0..workers {
            let runner = self.clone();
            let state = state.clone();
            let handlers = handlers.clone();
            tokio::spawn(async move {
                loop {
                    match runner.claim().await {
                        Ok(Some(job)) => runner.run_one(&state, &handlers, job).await,
                        Ok(None) => {
                            let _ = tokio::time::timeout(
                                Duration::from_secs(2),
                                runner.notify.notified(),
                            )
                            .await;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "taak ophalen mislukt");
                            tokio::time::sleep(Duration::from_secs(2)).await;
                        }
                    }
                }
            });
        }
    }

    async fn run_one(
        &self,
        state: &AppState,
        handlers: &HashMap<&'static str, JobFn>,
        (id, tenant_id, kind, payload, attempt): (i64, Option<i64>, String, String, i64),
    ) {
        let span = tracing::info_span!("job", id, kind = kind.as_str(), attempt);
        let _e = span.enter();
        let Some(handler) = handlers.get(kind.as_str()).copied() else {
            let _ = self
                .finish(id, "failed", None, Some("onbekend soort taak"))
                .await;
            return;
        };
        let payload: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
        let ctx = JobCtx {
            state: state.clone(),
            id,
            tenant_id,
            payload,
            attempt,
        };
        // Heartbeat: keep the lease while the job runs.
        let db = self.db.clone();
        let hb = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs((LEASE_SECS / 3) as u64)).await;
                let _ = sqlx::query(
                    "UPDATE jobs SET locked_until = $1 WHERE id = $2 AND status = 'running'",
                )
                .bind(now() + LEASE_SECS)
                .bind(id)
                .execute(db.writer())
                .await;
            }
        });
        let result = tokio::spawn(handler(ctx.clone())).await;
        hb.abort();
        let cancelled = ctx.cancelled().await;
        match result {
            Ok(Ok(value)) => {
                let _ = self.finish(id, "done", Some(value.to_string()), None).await;
                tracing::info!("taak klaar");
            }
            Ok(Err(_)) | Err(_) if cancelled => {
                let _ = self.finish(id, "cancelled", None, None).await;
            }
            Ok(Err(e)) => self.retry_or_fail(id, attempt, &format!("{e:#}")).await,
            Err(e) => {
                self.retry_or_fail(id, attempt, &format!("taak afgebroken: {e}"))
                    .await
            }
        }
    }

    async fn retry_or_fail(&self, id: i64, attempt: i64, error: &str) {
        tracing::warn!(id, attempt, error, "taak mislukt");
        let max: i64 = sqlx::query_scalar("SELECT max_attempts FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(self.db.pool())
            .await
            .unwrap_or(1);
        if attempt < max {
            let _ = sqlx::query(
                "UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, \
                 run_after = $1, error = $2 WHERE id = $3",
            )
            .bind(now() + 5 * attempt)
            .bind(error)
            .bind(id)
            .execute(self.db.writer())
            .await;
        } else {
            let _ = self.finish(id, "failed", None, Some(error)).await;
        }
    }

    async fn finish(
        &self,
        id: i64,
        status: &str,
        result: Option<String>,
        error: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE jobs SET status = $1, result = $2, error = $3, finished_at = $4, \
             locked_by = NULL, locked_until = NULL WHERE id = $5",
        )
        .bind(status)
        .bind(result)
        .bind(error)
        .bind(now())
        .bind(id)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }
}
