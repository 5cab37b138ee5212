//! Queries of the burgerberaad module. Every query names the tenant or goes through a
//! record already loaded for the tenant.

use super::features::QuotaRow;
use crate::db::{Db, DbError, Tx};
use sqlx::FromRow;
use std::collections::BTreeMap;

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Assembly {
    pub id: i64,
    pub tenant_id: i64,
    pub trajectory_id: i64,
    pub title: String,
    pub question: String,
    pub panel_size: i64,
    pub invite_count: i64,
    pub registration_deadline: String,
    pub starts_on: String,
    pub ends_on: String,
    pub features: String,
    pub consent_text: String,
    pub retention_days: i64,
    pub status: String,
    pub code_key: String,
    pub invite_seed: Option<i64>,
    pub register_sha256: String,
    pub register_rows: i64,
    pub register_kind: String,
    pub selection_job_id: Option<i64>,
    pub selection_error: String,
    pub published: i64,
    pub anonymised_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Assembly {
    pub fn feature_list(&self) -> Vec<String> {
        serde_json::from_str(&self.features).unwrap_or_default()
    }
    pub fn is_published(&self) -> bool {
        self.published != 0
    }
    /// Registration is open: invitations sent, no panel yet, deadline not passed.
    pub fn registration_open(&self, today: &str) -> bool {
        self.status == "uitgenodigd" && today <= self.registration_deadline.as_str()
    }
    pub fn status_key(&self) -> String {
        format!("burgerberaad.status.{}", self.status)
    }
    /// The invitation seed as the unsigned number shown to people.
    pub fn invite_seed_u64(&self) -> Option<u64> {
        self.invite_seed.map(|s| s as u64)
    }
}

pub const COLS: &str = "id, tenant_id, trajectory_id, title, question, panel_size, invite_count, \
    registration_deadline, starts_on, ends_on, features, consent_text, retention_days, status, \
    code_key, invite_seed, register_sha256, register_rows, register_kind, selection_job_id, \
    selection_error, published, anonymised_at, created_at, updated_at";

pub async fn get(db: &Db, tenant_id: i64, id: i64) -> Result<Option<Assembly>, DbError> {
    let sql = format!("SELECT {COLS} FROM ba_assemblies WHERE tenant_id = $1 AND id = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

pub async fn get_any(db: &Db, id: i64) -> Result<Option<Assembly>, DbError> {
    let sql = format!("SELECT {COLS} FROM ba_assemblies WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

pub async fn list(db: &Db, tenant_id: i64, public_only: bool) -> Result<Vec<Assembly>, DbError> {
    let sql = format!(
        "SELECT {COLS} FROM ba_assemblies WHERE tenant_id = $1 AND ($2 = 0 OR status <> 'concept') \
         ORDER BY starts_on DESC, id DESC"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(i64::from(public_only))
        .fetch_all(db.pool())
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Quota {
    pub id: i64,
    pub feature: String,
    pub value: String,
    pub label: String,
    pub position: i64,
    pub population: Option<i64>,
    pub min_seats: i64,
    pub max_seats: i64,
}

impl Quota {
    pub fn row(&self) -> QuotaRow {
        QuotaRow {
            feature: self.feature.clone(),
            value: self.value.clone(),
            label: self.label.clone(),
            population: self.population,
            min: self.min_seats,
            max: self.max_seats,
        }
    }
}

pub async fn quotas(db: &Db, assembly_id: i64) -> Result<Vec<Quota>, DbError> {
    sqlx::query_as(
        "SELECT id, feature, value, label, position, population, min_seats, max_seats \
         FROM ba_quotas WHERE assembly_id = $1 ORDER BY position",
    )
    .bind(assembly_id)
    .fetch_all(db.pool())
    .await
}

pub async fn replace_quotas(
    tx: &mut Tx,
    assembly_id: i64,
    rows: &[QuotaRow],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM ba_quotas WHERE assembly_id = $1")
        .bind(assembly_id)
        .execute(&mut **tx)
        .await?;
    for (i, r) in rows.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ba_quotas (assembly_id, feature, value, label, position, population, \
             min_seats, max_seats) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(assembly_id)
        .bind(&r.feature)
        .bind(&r.value)
        .bind(&r.label)
        .bind(i as i64)
        .bind(r.population)
        .bind(r.min)
        .bind(r.max)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct Registration {
    pub id: i64,
    pub invitation_id: Option<i64>,
    pub features: String,
    pub availability: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub status: String,
    pub pool_id: String,
    pub probability: Option<f64>,
    pub panel_status: String,
    pub replaces_id: Option<i64>,
    pub created_at: i64,
}

impl Registration {
    pub fn feature_map(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.features).unwrap_or_default()
    }
    pub fn value(&self, feature: &str) -> String {
        self.feature_map().get(feature).cloned().unwrap_or_default()
    }
    pub fn percent(&self) -> String {
        match self.probability {
            Some(p) => format!("{:.1}%", p * 100.0),
            None => "–".into(),
        }
    }
}

const REG_COLS: &str = "id, invitation_id, features, availability, name, email, phone, status, \
    pool_id, probability, panel_status, replaces_id, created_at";

pub async fn registrations(db: &Db, assembly_id: i64) -> Result<Vec<Registration>, DbError> {
    let sql = format!("SELECT {REG_COLS} FROM ba_registrations WHERE assembly_id = $1 ORDER BY id");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(assembly_id)
        .fetch_all(db.pool())
        .await
}

pub async fn registration(
    db: &Db,
    assembly_id: i64,
    id: i64,
) -> Result<Option<Registration>, DbError> {
    let sql = format!("SELECT {REG_COLS} FROM ba_registrations WHERE assembly_id = $1 AND id = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(assembly_id)
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Selection {
    pub algorithm: String,
    pub seed: String,
    pub lottery_size: i64,
    pub support: i64,
    pub drawn: i64,
    pub max_deviation: f64,
    pub pool_size: i64,
    pub categories_csv: String,
    pub people_csv: String,
    pub panel: String,
    pub replacements: i64,
    pub created_at: i64,
}

impl Selection {
    pub fn panel_ids(&self) -> Vec<String> {
        serde_json::from_str(&self.panel).unwrap_or_default()
    }
}

pub async fn selection(db: &Db, assembly_id: i64) -> Result<Option<Selection>, DbError> {
    sqlx::query_as(
        "SELECT algorithm, seed, lottery_size, support, drawn, max_deviation, pool_size, \
         categories_csv, people_csv, panel, replacements, created_at FROM ba_selections \
         WHERE assembly_id = $1",
    )
    .bind(assembly_id)
    .fetch_optional(db.pool())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Meeting {
    pub id: i64,
    pub held_on: String,
    pub title: String,
    pub place: String,
}

pub async fn meetings(db: &Db, assembly_id: i64) -> Result<Vec<Meeting>, DbError> {
    sqlx::query_as(
        "SELECT id, held_on, title, place FROM ba_meetings WHERE assembly_id = $1 ORDER BY held_on, id",
    )
    .bind(assembly_id)
    .fetch_all(db.pool())
    .await
}

/// (meeting id, registration id) of everyone marked present.
pub async fn attendance(db: &Db, assembly_id: i64) -> Result<Vec<(i64, i64)>, DbError> {
    sqlx::query_as(
        "SELECT a.meeting_id, a.registration_id FROM ba_attendance a \
         JOIN ba_meetings m ON m.id = a.meeting_id WHERE m.assembly_id = $1 AND a.present = 1",
    )
    .bind(assembly_id)
    .fetch_all(db.pool())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Recommendation {
    pub id: i64,
    pub position: i64,
    pub title: String,
    pub body: String,
    pub support_pct: Option<i64>,
    pub responder: String,
    pub response: String,
    pub follow_up: String,
    pub published: i64,
}

impl Recommendation {
    pub fn follow_up_key(&self) -> String {
        format!("burgerberaad.follow_up.{}", self.follow_up)
    }
    pub fn responder_key(&self) -> String {
        format!("burgerberaad.responder.{}", self.responder)
    }
}

pub async fn recommendations(
    db: &Db,
    assembly_id: i64,
    published_only: bool,
) -> Result<Vec<Recommendation>, DbError> {
    sqlx::query_as(
        "SELECT id, position, title, body, support_pct, responder, response, follow_up, published \
         FROM ba_recommendations WHERE assembly_id = $1 AND ($2 = 0 OR published = 1) \
         ORDER BY position, id",
    )
    .bind(assembly_id)
    .bind(i64::from(published_only))
    .fetch_all(db.pool())
    .await
}

/// Wijk code → name for the tenant's wijken.
pub async fn wijk_names(db: &Db, tenant_id: i64) -> Result<BTreeMap<String, String>, DbError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT code, name FROM areas WHERE tenant_id = $1 AND kind = 'wijk'")
            .bind(tenant_id)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().collect())
}
