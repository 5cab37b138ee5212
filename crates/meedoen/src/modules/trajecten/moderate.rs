//! Moderation: a moderator hides an abusive reaction with a reason, or shows it again.
//! Every decision is written to the audit log in the same transaction; the public page
//! keeps a visible placeholder with the reason (so the count of reactions stays honest),
//! and the author is told by e-mail.

use crate::modules::kern::{audit, mail};
use crate::web::AppState;
use crate::web::access::{Authorized, Moderate};
use crate::web::ctx::{Ctx, redirect_with_flash};
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{FieldErrors, Form, Validator};
use crate::web::i18n::tf;
use crate::web::page::{Chrome, fmt_datetime, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use sqlx::Row;

pub type Moderator = Authorized<Moderate>;

/// Reactions per page of the moderation list.
const PAGE: i64 = 50;
/// The longest reason a moderator can give.
const REASON_MAX: usize = 500;

pub struct Item {
    pub id: i64,
    pub trajectory_id: i64,
    pub trajectory_title: String,
    pub author_name: String,
    pub body: String,
    pub when: String,
    pub hidden: bool,
    pub hidden_reason: String,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// Continue with reactions older than this id.
    #[serde(default)]
    voor: Option<i64>,
    /// Only hidden reactions.
    #[serde(default)]
    verborgen: Option<String>,
}

#[derive(Template)]
#[template(path = "trajecten/manage/moderation.html")]
struct ModerationTpl {
    c: Chrome,
    base: String,
    items: Vec<Item>,
    only_hidden: bool,
    older_href: Option<String>,
    errors: FieldErrors,
    error_for: i64,
    typed_reason: String,
}

fn base(m: &Moderator) -> String {
    format!("/{}/moderatie", m.tenant.slug)
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    m: &Moderator,
    q: &ListQuery,
    errors: FieldErrors,
    error_for: i64,
    typed_reason: String,
) -> AppResult<Response> {
    let only_hidden = q.verborgen.as_deref() == Some("1");
    let rows = sqlx::query(
        "SELECT r.id, r.trajectory_id, t.title, r.author_name, r.body, r.created_at, r.hidden, \
         r.hidden_reason FROM reactions r JOIN trajectories t ON t.id = r.trajectory_id \
         WHERE t.tenant_id = $1 AND r.id < $2 AND ($3 = 0 OR r.hidden = 1) \
         ORDER BY r.id DESC LIMIT $4",
    )
    .bind(m.tenant.id)
    .bind(q.voor.unwrap_or(i64::MAX))
    .bind(i64::from(only_hidden))
    .bind(PAGE)
    .fetch_all(state.db.pool())
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        items.push(Item {
            id: r.try_get("id")?,
            trajectory_id: r.try_get("trajectory_id")?,
            trajectory_title: r.try_get("title")?,
            author_name: r.try_get("author_name")?,
            body: r.try_get("body")?,
            when: fmt_datetime(ctx.lang, r.try_get("created_at")?),
            hidden: r.try_get::<i64, _>("hidden")? != 0,
            hidden_reason: r.try_get("hidden_reason")?,
        });
    }
    let older_href = (items.len() as i64 == PAGE).then(|| {
        let last = items.last().map(|i| i.id).unwrap_or(0);
        format!(
            "{}?voor={last}{}",
            base(m),
            if only_hidden { "&verborgen=1" } else { "" }
        )
    });
    let status = errors.status();
    render_status(
        status,
        &ModerationTpl {
            c: Chrome::new(ctx, Some(&m.tenant), ctx.t("trajecten.moderation.title")),
            base: base(m),
            items,
            only_hidden,
            older_href,
            errors,
            error_for,
            typed_reason,
        },
    )
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    m: Moderator,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    page(&state, &ctx, &m, &q, FieldErrors::new(), 0, String::new()).await
}

/// The reaction (of this municipality) with its trajectory title and author's e-mail.
async fn load(
    state: &AppState,
    m: &Moderator,
    rid: &str,
) -> AppResult<(i64, i64, String, Option<String>, bool)> {
    let rid = path_id(rid)?;
    let row = sqlx::query(
        "SELECT r.id, r.trajectory_id, t.title, u.email, r.hidden FROM reactions r \
         JOIN trajectories t ON t.id = r.trajectory_id LEFT JOIN users u ON u.id = r.user_id \
         WHERE r.id = $1 AND t.tenant_id = $2",
    )
    .bind(rid)
    .bind(m.tenant.id)
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::NotFound)?;
    Ok((
        row.try_get("id")?,
        row.try_get("trajectory_id")?,
        row.try_get("title")?,
        row.try_get("email")?,
        row.try_get::<i64, _>("hidden")? != 0,
    ))
}

pub async fn hide(
    State(state): State<AppState>,
    ctx: Ctx,
    m: Moderator,
    Path((_, rid)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let (rid, tid, title, email, _) = load(&state, &m, &rid).await?;
    let mut v = Validator::new(&ctx, &form);
    let reason = v.text("reason", REASON_MAX);
    if !reason.is_empty() && reason.trim().chars().count() < 3 {
        v.error("reason", "trajecten.moderation.reason_short");
    }
    let errors = v.finish();
    if !errors.is_empty() {
        return page(
            &state,
            &ctx,
            &m,
            &ListQuery::default(),
            errors,
            rid,
            form.get("reason"),
        )
        .await;
    }
    let reason = reason.trim();
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE reactions SET hidden = 1, hidden_reason = $1 WHERE id = $2")
        .bind(reason)
        .bind(rid)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(m.tenant.id),
        Some(&m.user),
        "reaction.hidden",
        "reaction",
        Some(rid),
        &format!("reactie verborgen op traject {tid}; reden: {reason}"),
    )
    .await?;
    if let Some(email) = email {
        let url = format!(
            "{}/{}/trajecten/{tid}#reactie-{rid}",
            state.config.public_url, m.tenant.slug
        );
        mail::queue(
            &mut tx,
            Some(m.tenant.id),
            &email,
            &tf(
                ctx.lang,
                "trajecten.mail.hidden_subject",
                &[("traject", &title)],
            ),
            &tf(
                ctx.lang,
                "trajecten.mail.hidden_body",
                &[("traject", &title), ("reden", reason), ("url", &url)],
            ),
        )
        .await?;
    }
    tx.commit().await?;
    super::public::invalidate(&state, m.tenant.id);
    Ok(redirect_with_flash(
        &format!("{}#moderatie-{rid}", base(&m)),
        "trajecten.flash.hidden",
    ))
}

pub async fn show(
    State(state): State<AppState>,
    m: Moderator,
    Path((_, rid)): Path<(String, String)>,
) -> AppResult<Response> {
    let (rid, tid, _, _, hidden) = load(&state, &m, &rid).await?;
    if hidden {
        let mut tx = state.db.begin().await?;
        sqlx::query("UPDATE reactions SET hidden = 0, hidden_reason = '' WHERE id = $1")
            .bind(rid)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            Some(m.tenant.id),
            Some(&m.user),
            "reaction.shown",
            "reaction",
            Some(rid),
            &format!("reactie op traject {tid} weer zichtbaar gemaakt"),
        )
        .await?;
        tx.commit().await?;
        super::public::invalidate(&state, m.tenant.id);
    }
    Ok(redirect_with_flash(
        &format!("{}#moderatie-{rid}", base(&m)),
        "trajecten.flash.shown",
    ))
}
