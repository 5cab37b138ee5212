//! E-mail: every message is first written to the `outbox` table in the transaction that
//! caused it. A sender loop delivers pending messages through SMTP when one is configured;
//! without SMTP the outbox is the development mailbox that the administrator can read.

use crate::db::{DbError, Tx, now};
use crate::web::AppState;
use sqlx::FromRow;
use std::time::Duration;

pub async fn queue(
    tx: &mut Tx,
    tenant_id: Option<i64>,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO outbox (tenant_id, to_addr, subject, body_text, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(tenant_id)
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(now())
    .fetch_one(&mut **tx)
    .await
}

#[derive(Debug, FromRow, serde::Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

pub async fn recent(state: &AppState, tenant_id: i64) -> Result<Vec<OutboxMessage>, DbError> {
    sqlx::query_as(
        "SELECT id, to_addr, subject, body_text, created_at, sent_at, last_error FROM outbox \
         WHERE tenant_id = $1 ORDER BY id DESC LIMIT 100",
    )
    .bind(tenant_id)
    .fetch_all(state.db.pool())
    .await
}

/// Deliver pending messages through SMTP, forever. Does nothing without SMTP.
pub fn spawn_sender(state: AppState) {
    let Some(url) = state.config.smtp_url.clone() else {
        tracing::info!("geen SMTP ingesteld: e-mail blijft in de ontwikkel-outbox");
        return;
    };
    tokio::spawn(async move {
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
        let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&url) {
            Ok(b) => b.build(),
            Err(e) => {
                tracing::error!(error = %e, "SMTP-URL ongeldig; e-mail wordt niet verstuurd");
                return;
            }
        };
        loop {
            let pending: Vec<OutboxMessage> = sqlx::query_as(
                "SELECT id, to_addr, subject, body_text, created_at, sent_at, last_error \
                 FROM outbox WHERE sent_at IS NULL AND attempts < 5 ORDER BY id LIMIT 50",
            )
            .fetch_all(state.db.pool())
            .await
            .unwrap_or_default();
            for m in &pending {
                let msg = Message::builder()
                    .from(
                        state
                            .config
                            .mail_from
                            .parse()
                            .expect("mail_from checked at start"),
                    )
                    .to(match m.to_addr.parse() {
                        Ok(a) => a,
                        Err(_) => {
                            mark(&state, m.id, Some("ongeldig adres")).await;
                            continue;
                        }
                    })
                    .subject(&m.subject)
                    .body(m.body_text.clone());
                let res = match msg {
                    Ok(msg) => transport
                        .send(msg)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                mark(&state, m.id, res.err().as_deref()).await;
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    });
}

async fn mark(state: &AppState, id: i64, error: Option<&str>) {
    let q = match error {
        None => sqlx::query("UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
            .bind(now())
            .bind(id),
        Some(e) => sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2")
            .bind(e.to_string())
            .bind(id),
    };
    if let Err(e) = q.execute(state.db.writer()).await {
        tracing::warn!(error = %e, "outbox bijwerken mislukt");
    }
}
