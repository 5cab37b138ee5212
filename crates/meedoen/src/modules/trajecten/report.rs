//! The final report (eindverslag) and the Omgevingswet participation report, generated from
//! the records. One document model feeds both the accessible HTML page and the tagged PDF.
//! Reports name no residents: reactions are quoted without their author.

use super::public::{is_staff, period, visible};
use super::store::{self, Trajectory};
use crate::modules::kern::admin::ladder_of;
use crate::pdf::{Block, Document};
use crate::web::AppState;
use crate::web::access::TenantCtx;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::i18n::tf;
use crate::web::page::{Chrome, fmt_date, fmt_datetime, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Final,
    Omgevingswet,
}

impl Kind {
    fn title_key(self) -> &'static str {
        match self {
            Kind::Final => "trajecten.report.final_title",
            Kind::Omgevingswet => "trajecten.report.ow_title",
        }
    }
    fn slug(self) -> &'static str {
        match self {
            Kind::Final => "eindverslag",
            Kind::Omgevingswet => "participatieverslag-omgevingswet",
        }
    }
}

/// Build the document of a report from the records.
pub async fn build(
    state: &AppState,
    ctx: &Ctx,
    tenant_name: &str,
    t: &Trajectory,
    kind: Kind,
) -> AppResult<Document> {
    let l = ctx.lang;
    let tr = |k: &str| ctx.t(k).to_string();
    let phases = store::phases(&state.db, t.id).await?;
    let acts = store::activities(&state.db, t.id).await?;
    // Hidden reactions are counted (the report says how many) but not reproduced.
    let (hidden, reactions): (Vec<_>, Vec<_>) = store::reactions(&state.db, t.id, true)
        .await?
        .into_iter()
        .partition(|r| r.hidden);
    let tally = store::tally(&reactions);
    let participants = {
        let mut ids: Vec<i64> = reactions.iter().filter_map(|r| r.user_id).collect();
        ids.sort();
        ids.dedup();
        ids.len()
    };
    let ladder = ladder_of(&state.db, t.tenant_id).await?;
    let level = t
        .ladder_position
        .and_then(|p| ladder.iter().find(|x| x.position == p));
    let mut d = Document::new(format!("{} – {}", tr(kind.title_key()), t.title));
    d.lang = match l {
        crate::web::i18n::Lang::Nl => "nl-NL",
        crate::web::i18n::Lang::En => "en-GB",
    };
    let meta = vec![
        (tr("trajecten.report.municipality"), tenant_name.to_string()),
        (tr("trajecten.report.period"), period(l, t)),
        (
            tr("trajecten.report.area"),
            t.area_name
                .clone()
                .unwrap_or_else(|| tr("trajecten.report.whole_municipality")),
        ),
        (
            tr("trajecten.report.generated"),
            fmt_datetime(l, crate::db::now()),
        ),
    ];
    d.push(Block::Facts(meta));
    let activity_rows: Vec<Vec<String>> = acts
        .iter()
        .map(|a| {
            vec![
                a.title.clone(),
                tr(&format!("trajecten.form.{}", a.form)),
                a.held_on
                    .as_deref()
                    .map(|x| fmt_date(l, x))
                    .unwrap_or_default(),
                a.place.clone(),
            ]
        })
        .collect();
    let activity_head = vec![
        tr("trajecten.report.col_activity"),
        tr("trajecten.report.col_form"),
        tr("trajecten.report.col_date"),
        tr("trajecten.report.col_place"),
    ];
    let tally_rows = vec![
        vec![
            tr("trajecten.reaction.status.overgenomen"),
            tally.overgenomen.to_string(),
        ],
        vec![
            tr("trajecten.reaction.status.deels"),
            tally.deels.to_string(),
        ],
        vec![tr("trajecten.reaction.status.niet"), tally.niet.to_string()],
        vec![tr("trajecten.reaction.status.open"), tally.open.to_string()],
        vec![tr("trajecten.report.total"), tally.total.to_string()],
        vec![tr("trajecten.report.hidden"), hidden.len().to_string()],
    ];
    let tally_head = vec![
        tr("trajecten.report.col_status"),
        tr("trajecten.report.col_count"),
    ];
    let reaction_items: Vec<Block> = reactions
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let mut v = vec![Block::Heading3(tf(
                l,
                "trajecten.report.reaction_n",
                &[("n", &(i + 1).to_string())],
            ))];
            v.push(Block::Quote(r.body.clone()));
            v.push(Block::Paragraph(format!(
                "{}: {}. {}",
                tr("trajecten.report.processing"),
                tr(r.status_key()),
                r.response
            )));
            v
        })
        .collect();

    match kind {
        Kind::Final => {
            d.push(Block::Heading2(tr("trajecten.report.h_goal")));
            d.para(&t.goal);
            d.para(&t.subject);
            d.push(Block::Heading2(tr("trajecten.report.h_influence")));
            d.para(&t.influence);
            d.push(Block::Heading3(tr("trajecten.field.frames")));
            d.para(&t.frames);
            if let Some(level) = level {
                d.push(Block::Paragraph(tf(
                    l,
                    "trajecten.report.level",
                    &[
                        ("niveau", &level.name),
                        ("n", &level.position.to_string()),
                        ("van", &ladder.len().to_string()),
                    ],
                )));
                d.para(&level.description);
            }
            d.push(Block::Heading2(tr("trajecten.report.h_who")));
            d.para(&t.target_groups);
            d.para(&t.stakeholders);
            d.push(Block::Paragraph(format!(
                "{}: {}",
                tr("trajecten.field.decision_maker"),
                t.decision_maker
            )));
            d.push(Block::Heading2(tr("trajecten.report.h_phases")));
            d.push(Block::List(
                phases
                    .iter()
                    .map(|p| {
                        format!(
                            "{} ({} – {}){}",
                            p.name,
                            fmt_date(l, &p.starts_on),
                            fmt_date(l, &p.ends_on),
                            if p.description.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", p.description)
                            }
                        )
                    })
                    .collect(),
            ));
            d.push(Block::Heading2(tr("trajecten.report.h_activities")));
            d.push(Block::Table {
                caption: tr("trajecten.report.h_activities"),
                head: activity_head,
                rows: activity_rows,
            });
            d.push(Block::Heading2(tr("trajecten.report.h_input")));
            d.push(Block::Paragraph(tf(
                l,
                "trajecten.report.input_summary",
                &[
                    ("n", &tally.total.to_string()),
                    ("mensen", &participants.to_string()),
                ],
            )));
            d.push(Block::Table {
                caption: tr("trajecten.report.tally_caption"),
                head: tally_head,
                rows: tally_rows,
            });
            d.blocks.extend(reaction_items);
            d.push(Block::Heading2(tr("trajecten.report.h_conclusion")));
            d.para(&t.conclusion);
            d.push(Block::Heading2(tr("trajecten.report.h_next")));
            d.para(&t.outcome_use);
            d.para(&t.feedback_text);
            if !t.lessons.is_empty() {
                d.push(Block::Heading2(tr("trajecten.report.h_lessons")));
                d.para(&t.lessons);
            }
        }
        Kind::Omgevingswet => {
            d.push(Block::Paragraph(tr("trajecten.report.ow_intro")));
            d.push(Block::Heading2(tr("trajecten.report.ow_h_initiative")));
            d.push(Block::Facts(vec![
                (
                    tr("trajecten.field.initiator"),
                    if t.initiator.is_empty() {
                        tenant_name.to_string()
                    } else {
                        t.initiator.clone()
                    },
                ),
                (tr("trajecten.field.application"), t.application.clone()),
            ]));
            d.para(&t.goal);
            d.push(Block::Heading2(tr("trajecten.report.ow_h_whether")));
            let took_place = !acts.is_empty() || tally.total > 0;
            d.push(Block::Paragraph(if took_place {
                tf(l, "trajecten.report.ow_yes", &[("periode", &period(l, t))])
            } else {
                tr("trajecten.report.ow_no")
            }));
            d.push(Block::Heading2(tr("trajecten.report.ow_h_how")));
            if let Some(level) = level {
                d.push(Block::Paragraph(tf(
                    l,
                    "trajecten.report.level",
                    &[
                        ("niveau", &level.name),
                        ("n", &level.position.to_string()),
                        ("van", &ladder.len().to_string()),
                    ],
                )));
            }
            d.push(Block::Table {
                caption: tr("trajecten.report.h_activities"),
                head: activity_head,
                rows: activity_rows,
            });
            d.push(Block::Heading2(tr("trajecten.report.ow_h_with_whom")));
            d.para(&t.target_groups);
            d.para(&t.stakeholders);
            d.push(Block::Paragraph(tf(
                l,
                "trajecten.report.input_summary",
                &[
                    ("n", &tally.total.to_string()),
                    ("mensen", &participants.to_string()),
                ],
            )));
            d.push(Block::Heading2(tr("trajecten.report.ow_h_result")));
            d.push(Block::Table {
                caption: tr("trajecten.report.tally_caption"),
                head: tally_head,
                rows: tally_rows,
            });
            d.blocks.extend(reaction_items);
            d.para(&t.conclusion);
            d.push(Block::Heading2(tr("trajecten.report.ow_h_frames")));
            d.para(&t.frames);
        }
    }
    Ok(d)
}

#[derive(Template)]
#[template(path = "trajecten/report.html")]
struct ReportTpl {
    c: Chrome,
    doc: Document,
    pdf_href: String,
    back_href: String,
    draft: bool,
}

async fn load(state: &AppState, ctx: &Ctx, tenant: &TenantCtx, id: &str) -> AppResult<Trajectory> {
    let t = visible(state, ctx, tenant.id, id).await?;
    // Residents see reports once the trajectory is closed; staff can preview them earlier.
    if t.status != "gesloten" && !is_staff(ctx, tenant.id) {
        return Err(AppError::NotFound);
    }
    Ok(t)
}

async fn html(
    state: AppState,
    ctx: Ctx,
    tenant: TenantCtx,
    id: String,
    kind: Kind,
) -> AppResult<Response> {
    let t = load(&state, &ctx, &tenant, &id).await?;
    let doc = build(&state, &ctx, &tenant.name, &t, kind).await?;
    let base = format!("/{}/trajecten/{}", tenant.slug, t.id);
    render(&ReportTpl {
        c: Chrome::new(&ctx, Some(&tenant.0), doc.title.clone()),
        pdf_href: format!("{base}/{}.pdf", kind.slug()),
        back_href: base,
        draft: t.status != "gesloten",
        doc,
    })
}

async fn pdf(
    state: AppState,
    ctx: Ctx,
    tenant: TenantCtx,
    id: String,
    kind: Kind,
) -> AppResult<Response> {
    let t = load(&state, &ctx, &tenant, &id).await?;
    let doc = build(&state, &ctx, &tenant.name, &t, kind).await?;
    let bytes = tokio::task::spawn_blocking(move || doc.to_pdf())
        .await
        .map_err(anyhow::Error::from)?
        .map_err(AppError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}-{}.pdf\"", kind.slug(), t.id),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn final_html(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    html(state, ctx, tenant, id, Kind::Final).await
}

pub async fn ow_html(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    html(state, ctx, tenant, id, Kind::Omgevingswet).await
}

pub async fn final_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    pdf(state, ctx, tenant, id, Kind::Final).await
}

pub async fn ow_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    pdf(state, ctx, tenant, id, Kind::Omgevingswet).await
}
