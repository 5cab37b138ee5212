//! Open data: buurtbudget rounds and published results as JSON (in the OpenAPI document
//! at `/api/openapi.json`).

use super::store::{self, Round, StoredResult};
use crate::web::AppState;
use crate::web::access::TenantCtx;
use crate::web::error::{AppError, AppResult, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct RoundSummary {
    pub id: i64,
    pub title: String,
    pub area: Option<String>,
    /// Whole euros.
    pub budget: i64,
    /// `binnenkort`, `indienen`, `steunen`, `toetsen`, `stemmen`, `tellen` or `uitslag`.
    pub phase: String,
    /// `greedy`, `mes-add1` or `mes-add1-greedy`.
    pub rule: String,
    pub vote_from: String,
    pub vote_until: String,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct PlanJson {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub cost: i64,
    pub category: String,
    pub area: Option<String>,
    pub supports: i64,
    pub on_ballot: bool,
    /// '', `voorbereiding`, `uitvoering` or `gereed`.
    pub execution: String,
}

#[derive(Serialize, ToSchema)]
pub struct RoundDetail {
    #[serde(flatten)]
    pub summary: RoundSummary,
    pub plans: Vec<PlanJson>,
    /// Present once the result is published.
    pub result: Option<StoredResult>,
    /// Anonymous ballots in pabulib format, once published.
    pub ballots_url: Option<String>,
    pub certificate_url: Option<String>,
}

fn summary(state: &AppState, slug: &str, r: &Round) -> RoundSummary {
    RoundSummary {
        id: r.id,
        title: r.title.clone(),
        area: r.area_name.clone(),
        budget: r.budget,
        phase: r.phase().key().to_string(),
        rule: r.rule.clone(),
        vote_from: r.vote_from.clone(),
        vote_until: r.vote_until.clone(),
        url: format!(
            "{}/{slug}/buurtbudget/{}",
            state.config.public_url.trim_end_matches('/'),
            r.id
        ),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/buurtbudget",
    params(("tenant" = String, Path, description = "Municipality slug")),
    responses((status = 200, description = "Published buurtbudget rounds", body = [RoundSummary]))
)]
pub async fn list(State(state): State<AppState>, tenant: TenantCtx) -> AppResult<Response> {
    let rounds = store::rounds(&state.db, tenant.id, true).await?;
    let v: Vec<RoundSummary> = rounds
        .iter()
        .map(|r| summary(&state, &tenant.slug, r))
        .collect();
    Ok(Json(v).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/{tenant}/buurtbudget/{ronde}",
    params(
        ("tenant" = String, Path, description = "Municipality slug"),
        ("ronde" = i64, Path, description = "Round id")
    ),
    responses(
        (status = 200, description = "A round with its plans and, once published, the result", body = RoundDetail),
        (status = 404, description = "Unknown or not published")
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    tenant: TenantCtx,
    path: Path<(String, String)>,
) -> AppResult<Response> {
    let id = path_id(&path.0.1)?;
    let r = store::get_round(&state.db, tenant.id, id)
        .await?
        .filter(Round::is_public)
        .ok_or(AppError::NotFound)?;
    let plans = store::plans(&state.db, r.id, false).await?;
    let published = r.status == "uitslag";
    let s = summary(&state, &tenant.slug, &r);
    let base = s.url.clone();
    Ok(Json(RoundDetail {
        summary: s,
        plans: plans
            .into_iter()
            .map(|p| PlanJson {
                id: p.id,
                cost: p.ballot_cost(),
                title: p.title,
                description: p.description,
                category: p.category,
                area: p.area_name,
                supports: p.supports,
                on_ballot: p.on_ballot,
                execution: p.exec_status,
            })
            .collect(),
        result: if published {
            store::stored_result(&state.db, r.id).await?
        } else {
            None
        },
        ballots_url: published.then(|| format!("{base}/stemmen.pb")),
        certificate_url: published.then(|| format!("{base}/certificaat.json")),
    })
    .into_response())
}

#[derive(OpenApi)]
#[openapi(
    paths(list, detail),
    components(schemas(
        RoundSummary,
        RoundDetail,
        PlanJson,
        StoredResult,
        store::PlanResult,
        store::Why
    ))
)]
pub struct ApiDoc;
