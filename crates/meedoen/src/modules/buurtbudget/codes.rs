//! Vote codes. From a register extract (CSV: address, postcode, area, birth year) every
//! eligible person (old enough, living in the round's area) gets one random code; only its
//! SHA-256 is stored. The plaintext codes exist only in the letters (PDF, and CSV for a
//! print shop) made at generation time; those are kept in `bb_letter_batches` until the
//! civil servant destroys them after downloading (and purged when the result is computed).
//! A help desk can issue a single code (shown once), and revoke a code by the reference
//! printed on its letter.

use super::manage::staff_round;
use super::public::normalise_postcode;
use super::store::{self, Round};
use crate::db::{Backend, Tx, now};
use crate::modules::kern::areas::{self, Area};
use crate::modules::kern::audit;
use crate::modules::kern::tenants::Tenant;
use crate::pdf::{Block, Document};
use crate::web::AppState;
use crate::web::access::{Authorized, ManageParticipation, TenantCtx};
use crate::web::ctx::{Ctx, redirect_with_flash};
use crate::web::error::{AppError, AppResult, path_id};
use crate::web::form::{Form, MultipartForm};
use crate::web::i18n::{Lang, tf};
use crate::web::page::{Chrome, fmt_datetime, fmt_int, render_status};
use crate::web::security::sha256_hex;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;

type Staff = Authorized<ManageParticipation>;

pub struct BatchRow {
    pub id: i64,
    pub letters: String,
    pub when: String,
    pub destroyed: bool,
    pub has_pdf: bool,
}

#[derive(Template)]
#[template(path = "buurtbudget/manage/codes.html")]
struct CodesTpl {
    c: Chrome,
    r: Round,
    base: String,
    issued: i64,
    used: i64,
    revoked: i64,
    batches: Vec<BatchRow>,
    new_code: Option<(String, String)>,
    message: String,
    errors: Vec<String>,
}

async fn codes_page(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantCtx,
    r: Round,
    new_code: Option<(String, String)>,
    message: String,
    errors: Vec<String>,
) -> AppResult<Response> {
    let (issued, used, revoked) = store::code_counts(&state.db, r.id).await?;
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, letters, created_at, destroyed, CASE WHEN pdf_bytes IS NULL THEN 0 ELSE 1 END \
         FROM bb_letter_batches WHERE round_id = $1 ORDER BY id DESC",
    )
    .bind(r.id)
    .fetch_all(state.db.pool())
    .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &CodesTpl {
            c: Chrome::new(ctx, Some(&tenant.0), ctx.t("buurtbudget.codes.title")),
            base: format!("/{}/beheer/buurtbudget/{}", tenant.slug, r.id),
            issued,
            used,
            revoked,
            batches: rows
                .into_iter()
                .map(|(id, n, at, d, pdf)| BatchRow {
                    id,
                    letters: fmt_int(ctx.lang, n),
                    when: fmt_datetime(ctx.lang, at),
                    destroyed: d != 0,
                    has_pdf: pdf != 0,
                })
                .collect(),
            new_code,
            message,
            errors,
            r,
        },
    )
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    _a: Staff,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    codes_page(&state, &ctx, &tenant, r, None, String::new(), vec![]).await
}

/// One person of the register extract.
#[derive(Debug, Clone)]
pub struct Resident {
    pub line: usize,
    pub address: String,
    pub postcode: String,
    pub area_id: i64,
    pub area_name: String,
    pub birth_year: i32,
}

/// Parse and check a register extract completely; nothing is written when any line is
/// wrong. Returns the residents or line-numbered messages.
pub fn parse_register(
    lang: Lang,
    text: &str,
    areas: &[Area],
    this_year: i32,
) -> Result<Vec<Resident>, Vec<String>> {
    let first = text.lines().next().unwrap_or("");
    let delim = if first.matches(';').count() >= first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let msg = |key: &str, args: &[(&str, &str)]| tf(lang, key, args);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_lowercase())
            .collect(),
        Err(_) => return Err(vec![msg("buurtbudget.register.no_header", &[])]),
    };
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(ca), Some(cp), Some(cg), Some(cy)) = (
        col(&["adres", "address"]),
        col(&["postcode"]),
        col(&["gebied", "area", "wijk", "buurt"]),
        col(&["geboortejaar", "birth_year"]),
    ) else {
        return Err(vec![msg("buurtbudget.register.no_header", &[])]);
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let l = line.to_string();
        let rec = match rec {
            Ok(r) => r,
            Err(_) => {
                errors.push(msg("buurtbudget.register.unreadable", &[("regel", &l)]));
                continue;
            }
        };
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        if rec.len() != headers.len() {
            errors.push(msg(
                "buurtbudget.register.columns",
                &[
                    ("regel", &l),
                    ("n", &rec.len().to_string()),
                    ("verwacht", &headers.len().to_string()),
                ],
            ));
            continue;
        }
        let address = rec.get(ca).unwrap_or("").to_string();
        if address.is_empty()
            || address.chars().count() > 200
            || address.chars().any(char::is_control)
        {
            errors.push(msg("buurtbudget.register.address", &[("regel", &l)]));
        }
        let pc_raw = rec.get(cp).unwrap_or("");
        let postcode = normalise_postcode(pc_raw);
        if postcode.is_none() {
            errors.push(msg(
                "buurtbudget.register.postcode",
                &[
                    ("regel", &l),
                    ("waarde", &pc_raw.chars().take(20).collect::<String>()),
                ],
            ));
        }
        let g = rec.get(cg).unwrap_or("");
        let area = areas
            .iter()
            .find(|a| a.code.eq_ignore_ascii_case(g) || a.name.eq_ignore_ascii_case(g));
        if area.is_none() {
            errors.push(msg(
                "buurtbudget.register.area",
                &[
                    ("regel", &l),
                    ("waarde", &g.chars().take(40).collect::<String>()),
                ],
            ));
        }
        let y_raw = rec.get(cy).unwrap_or("");
        let year = y_raw
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=this_year).contains(y));
        if year.is_none() {
            errors.push(msg(
                "buurtbudget.register.year",
                &[
                    ("regel", &l),
                    ("waarde", &y_raw.chars().take(10).collect::<String>()),
                ],
            ));
        }
        if let (Some(pc), Some(a), Some(y)) = (postcode, area, year) {
            out.push(Resident {
                line,
                address,
                postcode: pc,
                area_id: a.id,
                area_name: a.name.clone(),
                birth_year: y,
            });
        }
        if errors.len() > 100 {
            break;
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(msg("buurtbudget.register.empty", &[]));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Whether a resident may vote in the round: in its area (or a buurt of it) and at least
/// the minimum age in the year voting starts (by birth year: the register extract has no
/// birth dates).
pub fn eligible(r: &Round, areas: &[Area], p: &Resident) -> bool {
    let vote_year = r
        .vote_from
        .get(..4)
        .and_then(|y| y.parse::<i32>().ok())
        .unwrap_or(0);
    let old_enough = i64::from(vote_year - p.birth_year) >= r.min_age;
    let in_area = match r.area_id {
        None => true,
        Some(a) => {
            p.area_id == a
                || areas
                    .iter()
                    .any(|x| x.id == p.area_id && x.parent_id == Some(a))
        }
    };
    old_enough && in_area
}

/// Insert code hashes in batches (one statement per 500 codes).
pub async fn insert_codes(
    tx: &mut Tx,
    round_id: i64,
    batch: Option<i64>,
    codes: &[(String, String)],
) -> Result<(), sqlx::Error> {
    for chunk in codes.chunks(500) {
        let mut sql =
            String::from("INSERT INTO bb_codes (round_id, code_hash, reference, batch_id) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 4;
            sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (code, reference) in chunk {
            q = q
                .bind(round_id)
                .bind(store::code_hash(code))
                .bind(reference.clone())
                .bind(batch);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn vote_link(state: &AppState, tenant: &str, round: i64) -> String {
    format!(
        "{}/{tenant}/buurtbudget/{round}/stemmen",
        state.config.public_url.trim_end_matches('/')
    )
}

/// Letters above this count get only the CSV for the print shop (a PDF of that size is
/// the print shop's job).
const PDF_MAX_LETTERS: usize = 5000;

pub async fn import_register(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    a: Staff,
    Path((_, id)): Path<(String, String)>,
    mp: MultipartForm,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let Some(file) = mp.file("register") else {
        let e = vec![ctx.t("buurtbudget.register.no_file").to_string()];
        return codes_page(&state, &ctx, &tenant, r, None, String::new(), e).await;
    };
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        let e = vec![ctx.t("buurtbudget.register.not_utf8").to_string()];
        return codes_page(&state, &ctx, &tenant, r, None, String::new(), e).await;
    };
    // The same extract twice would give every resident on it a second code.
    let sha = sha256_hex(&file.bytes);
    let earlier: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, created_at FROM bb_letter_batches WHERE round_id = $1 AND register_sha256 = $2",
    )
    .bind(r.id)
    .bind(&sha)
    .fetch_optional(state.db.pool())
    .await?;
    if let Some((batch, at)) = earlier {
        let e = vec![tf(
            ctx.lang,
            "buurtbudget.register.same_file",
            &[
                ("set", &batch.to_string()),
                ("datum", &fmt_datetime(ctx.lang, at)),
            ],
        )];
        return codes_page(&state, &ctx, &tenant, r, None, String::new(), e).await;
    }
    let all_areas = areas::of_tenant(&state.db, tenant.id, None).await?;
    let year = chrono::Utc::now().year();
    let people = match parse_register(ctx.lang, text, &all_areas, year) {
        Ok(p) => p,
        Err(e) => return codes_page(&state, &ctx, &tenant, r, None, String::new(), e).await,
    };
    let (_, n) = generate(
        &state,
        &tenant,
        &r,
        &all_areas,
        &people,
        Some(&sha),
        Some(a.user.as_ref()),
    )
    .await?;
    let message = tf(
        ctx.lang,
        "buurtbudget.codes.generated",
        &[
            ("n", &fmt_int(ctx.lang, n as i64)),
            ("regels", &fmt_int(ctx.lang, people.len() as i64)),
            ("niet", &fmt_int(ctx.lang, (people.len() - n) as i64)),
        ],
    );
    codes_page(&state, &ctx, &tenant, r, None, message, vec![]).await
}

/// Make codes and letters for the eligible residents of a checked register extract.
/// Returns the letter batch and the number of codes.
pub async fn generate(
    state: &AppState,
    tenant: &Tenant,
    r: &Round,
    all_areas: &[Area],
    people: &[Resident],
    register_sha256: Option<&str>,
    actor: Option<&crate::web::ctx::SessionUser>,
) -> AppResult<(i64, usize)> {
    let eligible: Vec<&Resident> = people
        .iter()
        .filter(|p| eligible(r, all_areas, p))
        .collect();
    let link = vote_link(state, &tenant.slug, r.id);
    let mut codes = Vec::with_capacity(eligible.len());
    let mut csv_out = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    csv_out
        .write_record([
            "referentie",
            "adres",
            "postcode",
            "gebied",
            "stemcode",
            "stemlink",
        ])
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut doc = Document::new(tf(
        Lang::Nl,
        "buurtbudget.letter.doc_title",
        &[("ronde", &r.title)],
    ));
    let make_pdf = eligible.len() <= PDF_MAX_LETTERS;
    for p in &eligible {
        let code = store::new_code();
        let reference = store::new_reference();
        csv_out
            .write_record([
                &reference,
                &p.address,
                &p.postcode,
                &p.area_name,
                &code,
                &link,
            ])
            .map_err(|e| AppError::Internal(e.into()))?;
        if make_pdf {
            letter(
                &mut doc,
                r,
                &link,
                &p.address,
                &p.postcode,
                &code,
                &reference,
            );
        }
        codes.push((code, reference));
    }
    let csv_bytes = csv_out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let pdf = if make_pdf && !codes.is_empty() {
        Some(doc.to_pdf()?)
    } else {
        None
    };
    let mut tx = state.db.begin().await?;
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO bb_letter_batches (round_id, letters, csv_text, pdf_bytes, created_at, \
         register_sha256) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(r.id)
    .bind(codes.len() as i64)
    .bind(String::from_utf8_lossy(&csv_bytes).to_string())
    .bind(pdf)
    .bind(now())
    .bind(register_sha256)
    .fetch_one(&mut *tx)
    .await?;
    insert_codes(&mut tx, r.id, Some(batch), &codes).await?;
    audit::record(
        &mut tx,
        Some(tenant.id),
        actor,
        "buurtbudget.codes_gemaakt",
        "bb_round",
        Some(r.id),
        &format!("{} stemcodes gemaakt (brievenset {batch})", codes.len()),
    )
    .await?;
    tx.commit().await?;
    Ok((batch, codes.len()))
}

fn letter(
    doc: &mut Document,
    r: &Round,
    link: &str,
    address: &str,
    postcode: &str,
    code: &str,
    reference: &str,
) {
    let t = |k: &str, args: &[(&str, &str)]| tf(Lang::Nl, k, args);
    doc.push(Block::Heading2(t(
        "buurtbudget.letter.to",
        &[("adres", address), ("postcode", postcode)],
    )));
    doc.push(Block::Paragraph(t(
        "buurtbudget.letter.body",
        &[
            ("ronde", &r.title),
            ("van", &r.vote_from),
            ("tot", &r.vote_until),
        ],
    )));
    doc.push(Block::Facts(vec![
        (t("buurtbudget.letter.code", &[]), code.to_string()),
        (t("buurtbudget.letter.link", &[]), link.to_string()),
        (
            t("buurtbudget.letter.reference", &[]),
            reference.to_string(),
        ),
    ]));
    doc.push(Block::Paragraph(t("buurtbudget.letter.privacy", &[])));
    // One letter per page, so the print shop can fold and post each sheet.
    doc.push(Block::PageBreak);
}

async fn batch_of(state: &AppState, r: &Round, batch: &str) -> AppResult<i64> {
    let id = path_id(batch)?;
    let ok: Option<i64> =
        sqlx::query_scalar("SELECT id FROM bb_letter_batches WHERE id = $1 AND round_id = $2")
            .bind(id)
            .bind(r.id)
            .fetch_optional(state.db.pool())
            .await?;
    ok.ok_or(AppError::NotFound)
}

fn download(bytes: Vec<u8>, mime: &'static str, name: String) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub async fn letters_pdf(
    State(state): State<AppState>,
    tenant: TenantCtx,
    _a: Staff,
    Path((_, id, batch)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let b = batch_of(&state, &r, &batch).await?;
    let pdf: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT pdf_bytes FROM bb_letter_batches WHERE id = $1")
            .bind(b)
            .fetch_one(state.db.pool())
            .await?;
    let Some(pdf) = pdf else {
        return Ok(redirect_with_flash(
            &format!("/{}/beheer/buurtbudget/{}/codes", tenant.slug, r.id),
            "buurtbudget.flash.letters_gone",
        ));
    };
    Ok(download(
        pdf,
        "application/pdf",
        format!("stembrieven-{}-{b}.pdf", r.id),
    ))
}

pub async fn letters_csv(
    State(state): State<AppState>,
    tenant: TenantCtx,
    _a: Staff,
    Path((_, id, batch)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let b = batch_of(&state, &r, &batch).await?;
    let csv: Option<String> =
        sqlx::query_scalar("SELECT csv_text FROM bb_letter_batches WHERE id = $1")
            .bind(b)
            .fetch_one(state.db.pool())
            .await?;
    let Some(csv) = csv else {
        return Ok(redirect_with_flash(
            &format!("/{}/beheer/buurtbudget/{}/codes", tenant.slug, r.id),
            "buurtbudget.flash.letters_gone",
        ));
    };
    Ok(download(
        csv.into_bytes(),
        "text/csv; charset=utf-8",
        format!("stembrieven-{}-{b}.csv", r.id),
    ))
}

pub async fn destroy(
    State(state): State<AppState>,
    tenant: TenantCtx,
    a: Staff,
    Path((_, id, batch)): Path<(String, String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let b = batch_of(&state, &r, &batch).await?;
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE bb_letter_batches SET csv_text = NULL, pdf_bytes = NULL, destroyed = 1 WHERE id = $1",
    )
    .bind(b)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(tenant.id),
        Some(a.user.as_ref()),
        "buurtbudget.brieven_vernietigd",
        "bb_round",
        Some(r.id),
        &format!("brievenset {b} vernietigd"),
    )
    .await?;
    tx.commit().await?;
    if state.db.backend() == Backend::Sqlite {
        // Let SQLite reuse the pages that held the codes.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(state.db.writer())
            .await;
    }
    Ok(redirect_with_flash(
        &format!("/{}/beheer/buurtbudget/{}/codes", tenant.slug, r.id),
        "buurtbudget.flash.letters_destroyed",
    ))
}

/// Help desk: one new code, shown once on the page and nowhere stored in plain text.
pub async fn help_desk(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    a: Staff,
    Path((_, id)): Path<(String, String)>,
    _form: Form,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let (code, reference) = issue_one(&state, &tenant, &a, &r).await?;
    let message = ctx.t("buurtbudget.codes.issued").to_string();
    codes_page(
        &state,
        &ctx,
        &tenant,
        r,
        Some((code, reference)),
        message,
        vec![],
    )
    .await
}

async fn issue_one(
    state: &AppState,
    tenant: &TenantCtx,
    a: &Staff,
    r: &Round,
) -> AppResult<(String, String)> {
    let code = store::new_code();
    let reference = store::new_reference();
    let mut tx = state.db.begin().await?;
    insert_codes(&mut tx, r.id, None, &[(code.clone(), reference.clone())]).await?;
    audit::record(
        &mut tx,
        Some(tenant.id),
        Some(a.user.as_ref()),
        "buurtbudget.code_balie",
        "bb_round",
        Some(r.id),
        &format!("stemcode {reference} uitgegeven aan de balie"),
    )
    .await?;
    tx.commit().await?;
    Ok((code, reference))
}

/// Revoke a code by the reference on its letter; optionally issue a new one at once.
pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    tenant: TenantCtx,
    a: Staff,
    Path((_, id)): Path<(String, String)>,
    form: Form,
) -> AppResult<Response> {
    let r = staff_round(&state, tenant.id, &id).await?;
    let reference = form.get("reference").to_uppercase();
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT used, revoked FROM bb_codes WHERE round_id = $1 AND reference = $2")
            .bind(r.id)
            .bind(&reference)
            .fetch_optional(state.db.pool())
            .await?;
    let error = match row {
        None => Some("buurtbudget.codes.unknown_reference"),
        Some((1, _)) => Some("buurtbudget.codes.already_used"),
        Some((_, 1)) => Some("buurtbudget.codes.already_revoked"),
        Some(_) => None,
    };
    if let Some(k) = error {
        let e = vec![ctx.t(k).to_string()];
        return codes_page(&state, &ctx, &tenant, r, None, String::new(), e).await;
    }
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE bb_codes SET revoked = 1 WHERE round_id = $1 AND reference = $2 AND used = 0",
    )
    .bind(r.id)
    .bind(&reference)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(tenant.id),
        Some(a.user.as_ref()),
        "buurtbudget.code_ingetrokken",
        "bb_round",
        Some(r.id),
        &format!("stemcode {reference} ingetrokken"),
    )
    .await?;
    tx.commit().await?;
    let message = tf(
        ctx.lang,
        "buurtbudget.codes.revoked",
        &[("ref", &reference)],
    );
    let new_code = if form.checked("reissue") {
        Some(issue_one(&state, &tenant, &a, &r).await?)
    } else {
        None
    };
    codes_page(&state, &ctx, &tenant, r, new_code, message, vec![]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(id: i64, parent: Option<i64>, code: &str, name: &str) -> Area {
        Area {
            id,
            tenant_id: 1,
            parent_id: parent,
            kind: if parent.is_some() { "buurt" } else { "wijk" }.into(),
            code: code.into(),
            name: name.into(),
            population: None,
            stats: String::new(),
        }
    }

    #[test]
    fn register_is_checked_completely_with_line_numbers() {
        let areas = vec![
            area(1, None, "WK1", "Noord"),
            area(2, Some(1), "BU1", "Oost"),
        ];
        let ok = "adres;postcode;gebied;geboortejaar\nDorpsstraat 1;1234 ab;WK1;1980\nKade 2;2000AA;Oost;2015\n";
        let people = parse_register(Lang::Nl, ok, &areas, 2026).unwrap();
        assert_eq!(people.len(), 2);
        assert_eq!(people[0].postcode, "1234AB");
        assert_eq!(people[1].area_id, 2);
        let bad =
            "adres;postcode;gebied;geboortejaar\nDorpsstraat 1;12;WK1;1980\n;1234AB;Zuid;abc\n";
        let errs = parse_register(Lang::Nl, bad, &areas, 2026).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("Regel 2")), "{errs:?}");
        assert!(
            errs.iter().filter(|e| e.contains("Regel 3")).count() >= 3,
            "{errs:?}"
        );
    }
}
