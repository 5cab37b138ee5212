//! Municipalities (tenants). Every record belongs to one; no request crosses tenants
//! unless a page is explicitly regional.

use crate::db::{Db, DbError};
use sqlx::FromRow;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct Tenant {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub cbs_code: Option<String>,
    pub region: String,
    pub intro: String,
    pub contact_email: String,
    pub color_primary: String,
    pub color_primary_text: String,
    pub color_accent: String,
    pub logo_file_id: Option<i64>,
}

impl Tenant {
    /// Changes whenever the theme does, for cache busting of the theme stylesheet.
    pub fn theme_version(&self) -> String {
        let s = format!(
            "{}{}{}{:?}",
            self.color_primary, self.color_primary_text, self.color_accent, self.logo_file_id
        );
        crate::web::security::sha256_hex(s.as_bytes())[..8].to_string()
    }
}

pub const TENANT_COLS: &str = "id, slug, name, cbs_code, region, intro, contact_email, \
    color_primary, color_primary_text, color_accent, logo_file_id";

/// Tenants are read on nearly every request and change rarely: a short-lived cache.
/// Several processes may share one database, so entries expire after a few seconds
/// instead of relying on invalidation alone.
#[derive(Default)]
pub struct TenantCache {
    map: RwLock<HashMap<String, (Arc<Tenant>, Instant)>>,
}

const TTL: Duration = Duration::from_secs(5);

impl TenantCache {
    pub async fn by_slug(&self, db: &Db, slug: &str) -> Result<Option<Arc<Tenant>>, DbError> {
        if let Some((t, at)) = self.map.read().unwrap_or_else(|p| p.into_inner()).get(slug)
            && at.elapsed() < TTL
        {
            return Ok(Some(t.clone()));
        }
        if slug.len() > 64 {
            return Ok(None);
        }
        let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE slug = $1");
        let t: Option<Tenant> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(slug)
            .fetch_optional(db.pool())
            .await?;
        let t = t.map(Arc::new);
        if let Some(t) = &t {
            self.map
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(slug.to_string(), (t.clone(), Instant::now()));
        }
        Ok(t)
    }

    pub fn invalidate(&self) {
        self.map.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

pub async fn all(db: &Db) -> Result<Vec<Tenant>, DbError> {
    let sql = format!("SELECT {TENANT_COLS} FROM tenants ORDER BY name");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Tenant>, DbError> {
    let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// A slug: lowercase letters, digits and hyphens, 2–40 characters.
pub fn valid_slug(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !RESERVED.contains(&s)
}

/// First path segments that are not municipalities.
pub const RESERVED: &[&str] = &[
    "assets",
    "api",
    "health",
    "metrics",
    "inloggen",
    "uitloggen",
    "taal",
    "platform",
    "account",
    "regio",
    "over",
];
