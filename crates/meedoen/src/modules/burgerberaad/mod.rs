//! Burgerberaad: a citizens' assembly inside a trajectory, from the invitation lottery to
//! the council's response. Set-up with quotas proposed from CBS figures; the invitation
//! draw from a register extract (stratified by wijk, one per address, replayable from
//! its seed) with letters and personal codes; registration and withdrawal; the panel
//! selected by the sortition engine as a background job, with a public transparency page
//! from which anyone can replay the draw; replacements; meetings with attendance;
//! recommendations with responses; deletion of personal data after a retention period.

pub mod bench;
pub mod demo;
pub mod draw;
pub mod features;
pub mod invite;
pub mod manage;
pub mod public;
pub mod retention;
pub mod selection;
pub mod store;

use crate::db::Tx;
use crate::jobs::{JobFn, JobStatus};
use crate::web::AppState;
use crate::web::access::ManageParticipation;
use crate::web::error::AppResult;
use crate::web::i18n::{Lang, t};
use crate::web::routes::{Access, Routes};
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use std::collections::BTreeMap;

/// A register extract of 500,000 persons is about 40 MB.
const REGISTER_LIMIT: usize = 96 * 1024 * 1024;
/// The quota form has three fields per value (a large city has 30+ wijken): read it
/// whole, also when every field is far too long, so the answer is a page with messages.
const QUOTA_FORM_LIMIT: usize = 16 * 1024 * 1024;

pub fn routes() -> Routes {
    let staff = Access::cap::<ManageParticipation>();
    Routes::new()
        .get("/{tenant}/burgerberaad", Access::Public, public::list)
        .get(
            "/{tenant}/burgerberaad/{beraad}",
            Access::Public,
            public::show,
        )
        .get(
            "/{tenant}/burgerberaad/{beraad}/aanmelden",
            Access::Public,
            public::register_form,
        )
        .post(
            "/{tenant}/burgerberaad/{beraad}/aanmelden",
            Access::Public,
            public::register_submit,
        )
        .get(
            "/{tenant}/burgerberaad/{beraad}/afmelden",
            Access::Public,
            public::withdraw_form,
        )
        .post(
            "/{tenant}/burgerberaad/{beraad}/afmelden",
            Access::Public,
            public::withdraw_submit,
        )
        .get(
            "/{tenant}/burgerberaad/{beraad}/afmelden/{token}",
            Access::Public,
            public::withdraw_link,
        )
        .get(
            "/{tenant}/burgerberaad/{beraad}/loting",
            Access::Public,
            public::transparency,
        )
        .get(
            "/{tenant}/burgerberaad/{beraad}/loting/categorieen.csv",
            Access::Public,
            public::categories_csv,
        )
        .get(
            "/{tenant}/burgerberaad/{beraad}/loting/deelnemers.csv",
            Access::Public,
            public::people_csv,
        )
        .get(
            "/{tenant}/beheer/burgerberaad",
            staff.clone(),
            manage::index,
        )
        .get(
            "/{tenant}/beheer/burgerberaad/nieuw",
            staff.clone(),
            manage::new_form,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/nieuw",
            staff.clone(),
            manage::create,
        )
        .get(
            "/{tenant}/beheer/burgerberaad/{beraad}",
            staff.clone(),
            manage::show,
        )
        .get(
            "/{tenant}/beheer/burgerberaad/{beraad}/quota",
            staff.clone(),
            manage::quota_form,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/quota",
            staff.clone(),
            manage::quota_save.layer(DefaultBodyLimit::max(QUOTA_FORM_LIMIT)),
        )
        .get(
            "/{tenant}/beheer/burgerberaad/{beraad}/uitnodigen",
            staff.clone(),
            manage::invite_form,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/uitnodigen",
            staff.clone(),
            manage::invite_submit.layer(DefaultBodyLimit::max(REGISTER_LIMIT)),
        )
        .get(
            "/{tenant}/beheer/burgerberaad/{beraad}/brieven.csv",
            staff.clone(),
            manage::letters_csv,
        )
        .get(
            "/{tenant}/beheer/burgerberaad/{beraad}/brieven.pdf",
            staff.clone(),
            manage::letters_pdf,
        )
        .get(
            "/{tenant}/beheer/burgerberaad/{beraad}/selectie",
            staff.clone(),
            manage::result,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/selectie",
            staff.clone(),
            manage::select_submit,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/publiceren",
            staff.clone(),
            manage::publish,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/leden/{lid}/vervangen",
            staff.clone(),
            manage::replace,
        )
        .get(
            "/{tenant}/beheer/burgerberaad/{beraad}/verloop",
            staff.clone(),
            manage::course,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/bijeenkomsten",
            staff.clone(),
            manage::meeting_add,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/bijeenkomsten/{bijeenkomst}",
            staff.clone(),
            manage::attendance_save,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/aanbevelingen",
            staff.clone(),
            manage::recommendation_add,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/aanbevelingen/{aanbeveling}",
            staff.clone(),
            manage::recommendation_save,
        )
        .post(
            "/{tenant}/beheer/burgerberaad/{beraad}/afronden",
            staff,
            manage::finish,
        )
}

pub fn job_handlers() -> Vec<(&'static str, JobFn)> {
    vec![
        (selection::JOB_KIND, selection::job_handler as JobFn),
        (retention::JOB_KIND, retention::job_handler as JobFn),
    ]
}

/// The selection job's result page.
pub fn job_result_url(tenant_slug: &str, job: &JobStatus) -> Option<String> {
    if job.kind != selection::JOB_KIND {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(job.result.as_deref()?).ok()?;
    let id = v["assembly"].as_i64()?;
    Some(format!("/{tenant_slug}/beheer/burgerberaad/{id}/selectie"))
}

/// A share as a Dutch-style percentage with one decimal.
pub fn fmt_pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The label of a feature value: a wijk's name, or the catalogue's text.
pub fn value_label(
    lang: Lang,
    feature: &str,
    value: &str,
    wijk_names: &BTreeMap<String, String>,
) -> String {
    if feature == "wijk" {
        return wijk_names
            .get(value)
            .cloned()
            .unwrap_or_else(|| value.to_string());
    }
    if value.is_empty() {
        return "–".into();
    }
    t(lang, &format!("burgerberaad.value.{feature}.{value}")).to_string()
}

/// A resident's registrations (matched on their account's e-mail address) for the
/// export of their data.
pub async fn export_user_data(
    state: &AppState,
    user_id: i64,
    out: &mut serde_json::Value,
) -> AppResult<()> {
    let rows: Vec<(i64, String, String, String, String, i64, String)> = sqlx::query_as(
        "SELECT r.assembly_id, a.title, r.features, r.availability, r.phone, r.created_at, r.status \
         FROM ba_registrations r JOIN ba_assemblies a ON a.id = r.assembly_id \
         JOIN users u ON u.email = r.email WHERE u.id = $1 ORDER BY r.id",
    )
    .bind(user_id)
    .fetch_all(state.db.pool())
    .await?;
    out["burgerberaad_aanmeldingen"] = serde_json::json!(
        rows.into_iter()
            .map(|(id, title, f, avail, phone, at, status)| serde_json::json!({
                "burgerberaad": id, "titel": title, "kenmerken": serde_json::from_str::<serde_json::Value>(&f).unwrap_or_default(),
                "beschikbaarheid": avail, "telefoon": phone, "aangemeld": at, "status": status
            }))
            .collect::<Vec<_>>()
    );
    Ok(())
}

/// Account deletion: the contact details of the resident's registrations go; the
/// anonymous features stay (they are part of the published selection).
pub async fn delete_user_data(tx: &mut Tx, user_id: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE ba_registrations SET name = '', email = '', phone = '', availability = '', withdraw_hash = '' \
         WHERE email <> '' AND email = (SELECT email FROM users WHERE id = $1)",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
