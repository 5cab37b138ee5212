//! The public JSON API of trajectories (open data), described by OpenAPI at
//! `/api/openapi.json`. Only published and closed trajectories; reactions without authors.

use super::store::{self, Filter, Stage, Trajectory};
use crate::web::AppState;
use crate::web::access::TenantCtx;
use crate::web::error::{AppError, AppResult, path_id};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct TrajectorySummary {
    pub id: i64,
    pub title: String,
    pub summary: String,
    /// `binnenkort`, `loopt`, `verwerking` or `afgerond`.
    pub stage: String,
    pub area: Option<String>,
    pub area_id: Option<i64>,
    pub topic: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct TrajectoryList {
    pub total: i64,
    pub page: i64,
    pub items: Vec<TrajectorySummary>,
}

#[derive(Serialize, ToSchema)]
pub struct PhaseJson {
    pub name: String,
    pub description: String,
    pub starts_on: String,
    pub ends_on: String,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityJson {
    pub title: String,
    pub form: String,
    pub held_on: Option<String>,
    pub place: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReactionJson {
    pub id: i64,
    pub body: String,
    pub created_at: i64,
    /// `open`, `overgenomen`, `deels` or `niet`.
    pub status: String,
    pub response: String,
}

#[derive(Serialize, ToSchema)]
pub struct TrajectoryDetail {
    #[serde(flatten)]
    pub summary: TrajectorySummary,
    pub goal: String,
    pub subject: String,
    pub influence: String,
    pub frames: String,
    pub target_groups: String,
    pub stakeholders: String,
    pub decision_maker: String,
    pub ladder_level: Option<String>,
    pub outcome_use: String,
    pub feedback_text: String,
    pub feedback_on: Option<String>,
    pub conclusion: String,
    pub phases: Vec<PhaseJson>,
    pub activities: Vec<ActivityJson>,
    pub reactions: Vec<ReactionJson>,
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Area id (wijk or buurt).
    pub gebied: Option<i64>,
    /// Topic id.
    pub thema: Option<i64>,
    /// `binnenkort`, `loopt`, `verwerking` or `afgerond`.
    pub fase: Option<String>,
    /// Page number, from 1; 50 per page.
    pub pagina: Option<i64>,
}

fn summary(state: &AppState, slug: &str, t: &Trajectory) -> TrajectorySummary {
    TrajectorySummary {
        id: t.id,
        title: t.title.clone(),
        summary: t.summary.clone(),
        stage: t.stage().key().to_string(),
        area: t.area_name.clone(),
        area_id: t.area_id,
        topic: t.topic_name.clone(),
        starts_on: t.starts_on.clone(),
        ends_on: t.ends_on.clone(),
        url: format!("{}/{slug}/trajecten/{}", state.config.public_url, t.id),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/trajecten",
    params(("tenant" = String, Path, description = "Municipality slug, e.g. haarlem"), ListQuery),
    responses(
        (status = 200, description = "Published trajectories", body = TrajectoryList),
        (status = 404, description = "Unknown municipality")
    )
)]
pub async fn list(
    State(state): State<AppState>,
    tenant: TenantCtx,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let page = q.pagina.unwrap_or(1).clamp(1, 100_000);
    let stage = match q.fase.as_deref() {
        None | Some("") => None,
        Some(s) => Some(Stage::parse(s).ok_or_else(|| AppError::BadRequest("fase".into()))?),
    };
    let f = Filter {
        area: q.gebied,
        topic: q.thema,
        stage,
        include_drafts: false,
    };
    let (items, total) = store::list(&state.db, tenant.id, &f, 50, (page - 1) * 50).await?;
    Ok(Json(TrajectoryList {
        total,
        page,
        items: items
            .iter()
            .map(|t| summary(&state, &tenant.slug, t))
            .collect(),
    })
    .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/trajecten/{id}",
    params(
        ("tenant" = String, Path, description = "Municipality slug"),
        ("id" = i64, Path, description = "Trajectory id")
    ),
    responses(
        (status = 200, description = "One trajectory with phases, activities and processed reactions", body = TrajectoryDetail),
        (status = 404, description = "Unknown or not published")
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    tenant: TenantCtx,
    path: Path<(String, String)>,
) -> AppResult<Response> {
    let id = path_id(&path.0.1)?;
    let t = store::get(&state.db, tenant.id, id)
        .await?
        .filter(|t| t.is_public())
        .ok_or(AppError::NotFound)?;
    let ladder = crate::modules::kern::admin::ladder_of(&state.db, tenant.id).await?;
    let detail = TrajectoryDetail {
        summary: summary(&state, &tenant.slug, &t),
        goal: t.goal.clone(),
        subject: t.subject.clone(),
        influence: t.influence.clone(),
        frames: t.frames.clone(),
        target_groups: t.target_groups.clone(),
        stakeholders: t.stakeholders.clone(),
        decision_maker: t.decision_maker.clone(),
        ladder_level: t
            .ladder_position
            .and_then(|p| ladder.iter().find(|l| l.position == p))
            .map(|l| l.name.clone()),
        outcome_use: t.outcome_use.clone(),
        feedback_text: t.feedback_text.clone(),
        feedback_on: t.feedback_on.clone(),
        conclusion: t.conclusion.clone(),
        phases: store::phases(&state.db, t.id)
            .await?
            .into_iter()
            .map(|p| PhaseJson {
                name: p.name,
                description: p.description,
                starts_on: p.starts_on,
                ends_on: p.ends_on,
            })
            .collect(),
        activities: store::activities(&state.db, t.id)
            .await?
            .into_iter()
            .map(|a| ActivityJson {
                title: a.title,
                form: a.form,
                held_on: a.held_on,
                place: a.place,
            })
            .collect(),
        reactions: store::reactions(&state.db, t.id, false)
            .await?
            .into_iter()
            .map(|r| ReactionJson {
                id: r.id,
                body: r.body,
                created_at: r.created_at,
                status: r.status,
                response: r.response,
            })
            .collect(),
    };
    Ok(Json(detail).into_response())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Meedoen open data API",
        description = "Public data of participation trajectories per municipality."
    ),
    paths(list, detail),
    components(schemas(
        TrajectoryList,
        TrajectorySummary,
        TrajectoryDetail,
        PhaseJson,
        ActivityJson,
        ReactionJson
    ))
)]
pub struct ApiDoc;

pub async fn openapi() -> Response {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::modules::buurtbudget::api::ApiDoc::openapi());
    Json(doc).into_response()
}
