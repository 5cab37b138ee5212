//! Accounts and roles. An account is one person (e-mail address) across the installation;
//! roles are held per municipality.

use crate::db::{Db, DbError, Tx, flag, now};
use crate::web::ctx::Role;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub is_platform_admin: i64,
    pub disabled: i64,
    pub created_at: i64,
    pub home_tenant_id: Option<i64>,
}

impl Account {
    pub fn platform_admin(&self) -> bool {
        flag(self.is_platform_admin)
    }
    pub fn is_disabled(&self) -> bool {
        flag(self.disabled)
    }
}

const COLS: &str = "id, email, name, is_platform_admin, disabled, created_at, home_tenant_id";

pub fn normalise_email(e: &str) -> String {
    e.trim().to_lowercase()
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<Account>, DbError> {
    let sql = format!("SELECT {COLS} FROM users WHERE email = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(normalise_email(email))
        .fetch_optional(db.pool())
        .await
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Account>, DbError> {
    let sql = format!("SELECT {COLS} FROM users WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

pub async fn password_hash(db: &Db, user_id: i64) -> Result<Option<String>, DbError> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND disabled = 0")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
        .map(Option::flatten)
}

pub async fn create(
    tx: &mut Tx,
    email: &str,
    name: &str,
    password_hash: Option<&str>,
    home_tenant_id: Option<i64>,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, home_tenant_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(normalise_email(email))
    .bind(name)
    .bind(password_hash)
    .bind(home_tenant_id)
    .bind(now())
    .fetch_one(&mut **tx)
    .await
}

pub async fn set_password(tx: &mut Tx, user_id: i64, hash: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    // A new password ends every session.
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn grant(tx: &mut Tx, user_id: i64, tenant_id: i64, role: Role) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO memberships (user_id, tenant_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, tenant_id, role) DO NOTHING",
    )
    .bind(user_id)
    .bind(tenant_id)
    .bind(role.key())
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn revoke(tx: &mut Tx, user_id: i64, tenant_id: i64, role: Role) -> Result<(), DbError> {
    sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND tenant_id = $2 AND role = $3")
        .bind(user_id)
        .bind(tenant_id)
        .bind(role.key())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn roles_in(db: &Db, user_id: i64, tenant_id: i64) -> Result<Vec<Role>, DbError> {
    let rows = sqlx::query("SELECT role FROM memberships WHERE user_id = $1 AND tenant_id = $2")
        .bind(user_id)
        .bind(tenant_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<String, _>("role").ok())
        .filter_map(|s| Role::parse(&s))
        .collect())
}

/// A member of a municipality's staff with their roles.
#[derive(Debug, serde::Serialize)]
pub struct StaffMember {
    pub account: Account,
    pub roles: Vec<Role>,
}

/// Everyone with a role in the municipality, plus accounts whose home it is, by name;
/// `q` filters on name or e-mail.
pub async fn people_of(db: &Db, tenant_id: i64, q: &str) -> Result<Vec<StaffMember>, DbError> {
    let like = format!("%{}%", q.to_lowercase());
    let sql = format!(
        "SELECT {COLS} FROM users u WHERE (u.home_tenant_id = $1 OR EXISTS \
         (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = $1)) \
         AND (LOWER(u.name) LIKE $2 OR u.email LIKE $2) ORDER BY u.name LIMIT 200"
    );
    let accounts: Vec<Account> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(like)
        .fetch_all(db.pool())
        .await?;
    let mut out = Vec::with_capacity(accounts.len());
    for a in accounts {
        let roles = roles_in(db, a.id, tenant_id).await?;
        out.push(StaffMember { account: a, roles });
    }
    Ok(out)
}

/// Start a session for `user_id`; returns the token for the cookie.
pub async fn start_session(tx: &mut Tx, user_id: i64) -> Result<String, DbError> {
    let token = crate::web::security::random_token();
    let hash = crate::web::security::sha256_hex(token.as_bytes());
    let t = now();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash)
    .bind(user_id)
    .bind(t)
    .bind(t + crate::web::ctx::SESSION_TTL)
    .bind(t)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

pub async fn end_session(db: &Db, session_hash: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(session_hash)
        .execute(db.writer())
        .await?;
    Ok(())
}
