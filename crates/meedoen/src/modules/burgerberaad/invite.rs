//! Invitations: personal registration codes, storing the drawn invitees, and the letters
//! (CSV for a print shop, tagged PDF).
//!
//! A code is derived as HMAC-SHA256(assembly code key, "bb:{assembly}:{position}") and
//! written in the letter; the database keeps only its SHA-256 hash (for the lookup at
//! registration) and the per-assembly key (so the letters can be printed again). The
//! retention job deletes the key with the other personal data.

use super::draw::{Entry, Register};
use super::store::Assembly;
use crate::db::{Db, DbError, Tx};
use crate::pdf::{Block, Document};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::HashMap;

const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// The registration code of invitation `position` of an assembly: 12 characters in
/// three groups (`ABCD-EFGH-JKMN`), about 59 bits.
pub fn code_for(code_key: &str, assembly_id: i64, position: i64) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(code_key.as_bytes()).expect("any key length");
    mac.update(format!("bb:{assembly_id}:{position}").as_bytes());
    let bytes = mac.finalize().into_bytes();
    let mut out = String::with_capacity(14);
    for (i, b) in bytes.iter().take(12).enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[(*b as usize) % ALPHABET.len()] as char);
    }
    out
}

/// Upper case, without spaces, dashes or other separators.
pub fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// What the database keeps of a code.
pub fn code_hash(raw: &str) -> String {
    crate::web::security::sha256_hex(format!("bb-code:{}", normalise_code(raw)).as_bytes())
}

/// Every wijk and buurt code of the tenant, mapped to its wijk code.
pub async fn wijk_map(db: &Db, tenant_id: i64) -> Result<HashMap<String, String>, DbError> {
    let rows: Vec<(i64, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT id, kind, code, parent_id FROM areas WHERE tenant_id = $1 AND kind IN ('wijk', 'buurt')",
    )
    .bind(tenant_id)
    .fetch_all(db.pool())
    .await?;
    let by_id: HashMap<i64, (String, String)> = rows
        .iter()
        .map(|(id, kind, code, _)| (*id, (kind.clone(), code.clone())))
        .collect();
    let mut out = HashMap::new();
    for (_, kind, code, parent) in &rows {
        if kind == "wijk" {
            out.insert(code.to_uppercase(), code.clone());
        } else if let Some((pk, pc)) = parent.and_then(|p| by_id.get(&p))
            && pk == "wijk"
        {
            out.insert(code.to_uppercase(), pc.clone());
        }
    }
    Ok(out)
}

/// Store the drawn invitees (in draw order) with their code hashes, in the caller's
/// transaction, in multi-row batches.
pub async fn insert_invitations(
    tx: &mut Tx,
    assembly_id: i64,
    code_key: &str,
    register: &Register,
    drawn: &[usize],
) -> Result<(), DbError> {
    const COLS: usize = 8;
    for (chunk_no, chunk) in drawn.chunks(1000).enumerate() {
        let mut sql = String::from(
            "INSERT INTO ba_invitations (assembly_id, position, name, address, postcode, city, \
             wijk_code, code_hash) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..COLS {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", i * COLS + c + 1));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (i, &row) in chunk.iter().enumerate() {
            let e: &Entry = &register.entries[row];
            let position = (chunk_no * 1000 + i + 1) as i64;
            let code = code_for(code_key, assembly_id, position);
            q = q
                .bind(assembly_id)
                .bind(position)
                .bind(e.name.clone())
                .bind(e.address.clone())
                .bind(e.postcode.clone())
                .bind(e.city.clone())
                .bind(e.wijk.clone())
                .bind(code_hash(&code));
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// One letter's data.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitee {
    pub position: i64,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub wijk_code: String,
}

pub async fn invitees(db: &Db, assembly_id: i64) -> Result<Vec<Invitee>, DbError> {
    sqlx::query_as(
        "SELECT position, name, address, postcode, city, wijk_code FROM ba_invitations \
         WHERE assembly_id = $1 ORDER BY position",
    )
    .bind(assembly_id)
    .fetch_all(db.pool())
    .await
}

/// Where residents register.
pub fn registration_url(public_url: &str, slug: &str, assembly_id: i64) -> String {
    format!(
        "{}/{slug}/burgerberaad/{assembly_id}/aanmelden",
        public_url.trim_end_matches('/')
    )
}

/// The print shop's file: one line per letter, with the code.
pub fn letters_csv(a: &Assembly, invitees: &[Invitee], url: &str) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::with_capacity(invitees.len() * 120));
    w.write_record([
        "volgnummer",
        "naam",
        "adres",
        "postcode",
        "woonplaats",
        "wijk",
        "code",
        "aanmelden",
        "uiterlijk",
    ])?;
    for i in invitees {
        let name = if i.name.is_empty() {
            "De bewoners van dit adres"
        } else {
            i.name.as_str()
        };
        w.write_record([
            i.position.to_string().as_str(),
            name,
            i.address.as_str(),
            i.postcode.as_str(),
            i.city.as_str(),
            i.wijk_code.as_str(),
            code_for(&a.code_key, a.id, i.position).as_str(),
            url,
            a.registration_deadline.as_str(),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The letters as one tagged PDF, each letter under its own heading.
pub fn letters_pdf(
    a: &Assembly,
    invitees: &[Invitee],
    url: &str,
    municipality: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut doc = Document::new(format!("Uitnodiging burgerberaad: {}", a.title));
    for i in invitees {
        let name = if i.name.is_empty() {
            "De bewoners van dit adres".to_string()
        } else {
            i.name.clone()
        };
        doc.push(Block::Heading2(format!("Brief {} · {name}", i.position)));
        doc.push(Block::Paragraph(format!(
            "{name}\n{}\n{} {}",
            i.address, i.postcode, i.city
        )));
        doc.push(Block::Paragraph(format!(
            "Beste {name}, u bent door loting gekozen voor een uitnodiging voor het burgerberaad \
             van de gemeente {municipality}: {}",
            a.question
        )));
        doc.push(Block::Facts(vec![
            ("Aanmelden".into(), url.to_string()),
            (
                "Uw persoonlijke code".into(),
                code_for(&a.code_key, a.id, i.position),
            ),
            (
                "Aanmelden kan tot en met".into(),
                a.registration_deadline.clone(),
            ),
        ]));
        doc.push(Block::Paragraph(
            "Na de aanmelding trekken we opnieuw een loting, zo dat het burgerberaad lijkt op \
             alle inwoners. U krijgt bericht of u bent gekozen."
                .into(),
        ));
        // One letter per page, so the print shop can fold and post each sheet.
        doc.push(Block::PageBreak);
    }
    doc.to_pdf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_readable_and_hashed_after_normalising() {
        let c = code_for("key", 1, 7);
        assert_eq!(c, code_for("key", 1, 7));
        assert_ne!(c, code_for("key", 1, 8));
        assert_ne!(c, code_for("key", 2, 7));
        assert_eq!(c.len(), 14);
        assert!(
            c.chars()
                .all(|ch| ch == '-' || ALPHABET.contains(&(ch as u8)))
        );
        let sloppy = c.to_lowercase().replace('-', " ");
        assert_eq!(code_hash(&c), code_hash(&sloppy));
    }
}
