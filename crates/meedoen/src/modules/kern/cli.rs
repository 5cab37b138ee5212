//! The `meedoen admin` commands: account management from the shell.

use super::{accounts, audit};
use crate::db::Db;
use crate::web::ctx::Role;
use crate::web::form::valid_email;
use crate::web::security::hash_password;

fn check_password(pw: &str) -> anyhow::Result<()> {
    if pw.chars().count() < super::auth::MIN_PASSWORD {
        anyhow::bail!(
            "het wachtwoord moet minstens {} tekens hebben",
            super::auth::MIN_PASSWORD
        );
    }
    Ok(())
}

pub async fn create_user(
    db: &Db,
    email: &str,
    name: &str,
    password: &str,
    tenant: Option<&str>,
    role: Option<&str>,
    platform: bool,
) -> anyhow::Result<String> {
    let email = accounts::normalise_email(email);
    if !valid_email(&email) {
        anyhow::bail!("ongeldig e-mailadres: {email}");
    }
    if name.trim().is_empty() {
        anyhow::bail!("geef een naam op");
    }
    check_password(password)?;
    let role = match role {
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            anyhow::anyhow!("onbekende rol {r}; kies procesbegeleider, moderator, griffie, raadslid of beheerder")
        })?),
        None => None,
    };
    if role.is_some() != tenant.is_some() {
        anyhow::bail!("--role en --tenant horen bij elkaar");
    }
    let tenant_id: Option<i64> = match tenant {
        Some(slug) => Some(
            sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
                .bind(slug)
                .fetch_optional(db.pool())
                .await?
                .ok_or_else(|| anyhow::anyhow!("gemeente {slug} bestaat niet"))?,
        ),
        None => None,
    };
    if accounts::by_email(db, &email).await?.is_some() {
        anyhow::bail!("er is al een account met e-mailadres {email}");
    }
    let hash = hash_password(password)?;
    let mut tx = db.begin().await?;
    let id = accounts::create(&mut tx, &email, name.trim(), Some(&hash), tenant_id).await?;
    if platform {
        sqlx::query("UPDATE users SET is_platform_admin = 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    if let (Some(t), Some(r)) = (tenant_id, role) {
        accounts::grant(&mut tx, id, t, r).await?;
    }
    audit::record(
        &mut tx,
        tenant_id,
        None,
        "user.created_cli",
        "user",
        Some(id),
        "account aangemaakt via de opdrachtregel",
    )
    .await?;
    tx.commit().await?;
    Ok(format!("account {email} aangemaakt (id {id})"))
}

pub async fn reset_password(db: &Db, email: &str, password: &str) -> anyhow::Result<String> {
    check_password(password)?;
    let acc = accounts::by_email(db, email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("geen account met e-mailadres {email}"))?;
    let hash = hash_password(password)?;
    let mut tx = db.begin().await?;
    accounts::set_password(&mut tx, acc.id, &hash).await?;
    audit::record(
        &mut tx,
        acc.home_tenant_id,
        None,
        "user.password_reset_cli",
        "user",
        Some(acc.id),
        "wachtwoord opnieuw ingesteld via de opdrachtregel",
    )
    .await?;
    tx.commit().await?;
    Ok(format!("wachtwoord van {} opnieuw ingesteld", acc.email))
}
