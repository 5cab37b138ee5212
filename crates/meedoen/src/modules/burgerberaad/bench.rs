//! Benchmarks of the invitation draw and the letters (not timed tests; run by
//! `scripts/bench/burgerberaad.sh`, figures in BENCHMARKS.md):
//!
//! - parse and validate a register of 500,000 persons, draw 10,000 invitations and write
//!   the print shop's CSV with their codes;
//! - the PDF letters per second;
//! - [`seed_load`]: a database with an assembly whose registration is open and whose
//!   codes are written to a file, for the registration load test with `wrk`.

use super::draw::{self, Register};
use super::invite;
use super::store::Assembly;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A register extract of `persons` rows over `wijken` (1–4 persons per address).
pub fn register_csv(persons: usize, wijken: &[String]) -> Vec<u8> {
    let mut rng = draw::SplitMix64::new(1);
    let mut out = String::with_capacity(persons * 70);
    out.push_str("persoonsnummer;naam;adres;postcode;woonplaats;wijk\n");
    let mut house = 0u64;
    let mut i = 0usize;
    while i < persons {
        house += 1;
        let size = 1 + rng.below(4) as usize;
        let w = &wijken[(house as usize) % wijken.len()];
        for _ in 0..size.min(persons - i) {
            i += 1;
            out.push_str(&format!(
                "{i};Inwoner {i};Langestraat {house};{} {}{};Stad;{w}\n",
                1000 + house % 9000,
                (b'A' + (house % 26) as u8) as char,
                (b'A' + ((house / 26) % 26) as u8) as char,
            ));
        }
    }
    out.into_bytes()
}

pub struct DrawFigures {
    pub parse: Duration,
    pub draw: Duration,
    pub csv: Duration,
    pub invitations: usize,
}

/// Parse, draw and write the letters' CSV; the times of each step.
pub fn draw_and_csv(
    bytes: &[u8],
    wijk_of: &HashMap<String, String>,
    n: usize,
) -> anyhow::Result<DrawFigures> {
    let t0 = Instant::now();
    let reg: Register = draw::parse_register(bytes, wijk_of)
        .map_err(|(p, _)| anyhow::anyhow!("register ongeldig: {:?}", p.first()))?;
    let t1 = Instant::now();
    let drawn = draw::draw(&reg, n, 42)?;
    let t2 = Instant::now();
    let a = bench_assembly(n);
    let invitees: Vec<invite::Invitee> = drawn
        .iter()
        .enumerate()
        .map(|(k, &row)| {
            let e = &reg.entries[row];
            invite::Invitee {
                position: k as i64 + 1,
                name: e.name.clone(),
                address: e.address.clone(),
                postcode: e.postcode.clone(),
                city: e.city.clone(),
                wijk_code: e.wijk.clone(),
            }
        })
        .collect();
    let csv = invite::letters_csv(
        &a,
        &invitees,
        "https://meedoen.example/stad/burgerberaad/1/aanmelden",
    )?;
    let t3 = Instant::now();
    anyhow::ensure!(csv.len() > n * 40, "CSV te klein");
    Ok(DrawFigures {
        parse: t1 - t0,
        draw: t2 - t1,
        csv: t3 - t2,
        invitations: drawn.len(),
    })
}

pub fn bench_assembly(n: usize) -> Assembly {
    Assembly {
        id: 1,
        tenant_id: 1,
        trajectory_id: 1,
        title: "Benchmark".into(),
        question: "Hoe meten we de snelheid?".into(),
        panel_size: 100,
        invite_count: n as i64,
        registration_deadline: "2026-12-31".into(),
        starts_on: "2027-01-15".into(),
        ends_on: "2027-03-01".into(),
        features: "[]".into(),
        consent_text: String::new(),
        retention_days: 90,
        status: "uitgenodigd".into(),
        code_key: "bench-key".into(),
        invite_seed: Some(42),
        register_sha256: String::new(),
        register_rows: 0,
        register_kind: "personen".into(),
        selection_job_id: None,
        selection_error: String::new(),
        published: 0,
        anonymised_at: None,
        created_at: 0,
        updated_at: 0,
    }
}

/// Letters per second of the PDF (one document of `n` letters).
pub fn pdf_rate(n: usize) -> anyhow::Result<(f64, usize)> {
    let a = bench_assembly(n);
    let invitees: Vec<invite::Invitee> = (0..n)
        .map(|k| invite::Invitee {
            position: k as i64 + 1,
            name: format!("Inwoner {k}"),
            address: format!("Langestraat {k}"),
            postcode: "2011 AB".into(),
            city: "Stad".into(),
            wijk_code: "WK000101".into(),
        })
        .collect();
    let t = Instant::now();
    let pdf = invite::letters_pdf(
        &a,
        &invitees,
        "https://meedoen.example/stad/burgerberaad/1/aanmelden",
        "Stad",
    )?;
    let secs = t.elapsed().as_secs_f64();
    Ok((n as f64 / secs, pdf.len()))
}

/// For the registration load test: a demo database (SQLite or PostgreSQL at `url`)
/// gets an assembly with `codes` invitations and registration open; the codes are
/// written to `codes_file`, one per line. Returns the registration path.
pub async fn seed_load(
    url: &str,
    codes: usize,
    codes_file: &std::path::Path,
) -> anyhow::Result<String> {
    use crate::db::{Db, now};
    let db = Db::connect(url).await?;
    crate::db::migrate::run(&db).await?;
    let state =
        crate::web::AppState::new(db, crate::config::Config::for_tests(url.to_string())).await?;
    crate::modules::kern::demo::load(&state).await?;
    let tenant: i64 = sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'haarlem'")
        .fetch_one(state.db.pool())
        .await?;
    let traj: i64 =
        sqlx::query_scalar("SELECT id FROM trajectories WHERE tenant_id = $1 ORDER BY id LIMIT 1")
            .bind(tenant)
            .fetch_one(state.db.pool())
            .await?;
    let wijk_of = invite::wijk_map(&state.db, tenant).await?;
    let wijken: Vec<String> = {
        let mut v: Vec<String> = wijk_of.values().cloned().collect();
        v.sort();
        v.dedup();
        v
    };
    let reg = draw::parse_register(&register_csv(codes * 3, &wijken), &wijk_of)
        .map_err(|(p, _)| anyhow::anyhow!("{:?}", p.first()))?;
    let drawn = draw::draw(&reg, codes, 7)?;
    let key = "bench-load-key";
    let day = |o: i64| (chrono::Utc::now().date_naive() + chrono::Duration::days(o)).to_string();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ba_assemblies (tenant_id, trajectory_id, title, question, panel_size, invite_count, \
         registration_deadline, starts_on, ends_on, features, status, code_key, invite_seed, created_at, updated_at) \
         VALUES ($1, $2, 'Belastingtest', 'Hoe snel?', 50, $3, $4, $5, $6, '[\"geslacht\",\"leeftijd\",\"wijk\"]', \
         'uitgenodigd', $7, 7, $8, $8) RETURNING id",
    )
    .bind(tenant)
    .bind(traj)
    .bind(codes as i64)
    .bind(day(30))
    .bind(day(40))
    .bind(day(90))
    .bind(key)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    invite::insert_invitations(&mut tx, id, key, &reg, &drawn).await?;
    tx.commit().await?;
    let mut out = String::new();
    for p in 1..=codes as i64 {
        out.push_str(&invite::code_for(key, id, p));
        out.push('\n');
    }
    std::fs::write(codes_file, out)?;
    Ok(format!("/haarlem/burgerberaad/{id}/aanmelden"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wijken(n: usize) -> (Vec<String>, HashMap<String, String>) {
        let v: Vec<String> = (0..n).map(|i| format!("WK0001{i:02}")).collect();
        let m = v.iter().map(|w| (w.clone(), w.clone())).collect();
        (v, m)
    }

    #[test]
    fn a_small_run_of_the_benchmark_works() {
        let (v, m) = wijken(5);
        let f = draw_and_csv(&register_csv(2000, &v), &m, 100).unwrap();
        assert_eq!(f.invitations, 100);
        let (rate, bytes) = pdf_rate(5).unwrap();
        assert!(rate > 0.0 && bytes > 1000);
    }

    /// `cargo test --release -p meedoen --lib burgerberaad::bench -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn bench_draw_500k_and_pdf() {
        let (v, m) = wijken(20);
        let bytes = register_csv(500_000, &v);
        let f = draw_and_csv(&bytes, &m, 10_000).unwrap();
        println!(
            "BENCH register 500000 rows ({} MB): parse+validate {:.3}s, draw 10000 {:.3}s, letters CSV {:.3}s, total {:.3}s",
            bytes.len() / 1_000_000,
            f.parse.as_secs_f64(),
            f.draw.as_secs_f64(),
            f.csv.as_secs_f64(),
            (f.parse + f.draw + f.csv).as_secs_f64()
        );
        let (rate, size) = pdf_rate(1000).unwrap();
        println!(
            "BENCH PDF letters: {rate:.0} letters/s (1000 letters, {} KB)",
            size / 1000
        );
    }

    /// Seeds the registration load test: `MEEDOEN_BENCH_DB=sqlite:///tmp/x.db
    /// MEEDOEN_BENCH_CODES=/tmp/codes.txt cargo test ... seed_registration_load -- --ignored`
    #[tokio::test(flavor = "multi_thread")]
    #[ignore]
    async fn seed_registration_load() {
        let url = std::env::var("MEEDOEN_BENCH_DB").expect("MEEDOEN_BENCH_DB");
        let file = std::env::var("MEEDOEN_BENCH_CODES").expect("MEEDOEN_BENCH_CODES");
        let n: usize = std::env::var("MEEDOEN_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(40_000);
        let path = seed_load(&url, n, std::path::Path::new(&file))
            .await
            .unwrap();
        println!("BENCH_PATH {path}");
    }
}
