//! `meedoen bb-bench-seed`: data for the voting benchmark (scripts/bench/vote.sh). A round
//! in its voting phase with N vote codes (the codes are written to a file, one per line,
//! for the load generator), and optionally a finished round with M random ballots whose
//! result is computed and published here, timed.

use super::store;
use crate::db::{Db, now};
use crate::web::AppState;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct SeedArgs {
    /// Database: `sqlite://...` or `postgres://...`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://meedoen.db")]
    pub database_url: String,
    /// Municipality slug (of the demo).
    #[arg(long, default_value = "haarlem")]
    pub tenant: String,
    /// Eligible vote codes in the voting round.
    #[arg(long, default_value_t = 100_000)]
    pub codes: usize,
    /// Where to write the codes (one per line).
    #[arg(long, default_value = "bb-codes.txt")]
    pub out: PathBuf,
    /// Ballots in a finished round whose result is then computed and published (timed).
    #[arg(long, default_value_t = 0)]
    pub ballots: usize,
}

async fn bench_round(
    db: &Db,
    tenant_id: i64,
    title: &str,
    voting: bool,
) -> anyhow::Result<(i64, Vec<i64>)> {
    let d = |o: i64| (chrono::Utc::now().date_naive() + chrono::Duration::days(o)).to_string();
    let dates: [i64; 7] = if voting {
        [-30, -20, -15, -10, -1, 30, 35]
    } else {
        [-40, -30, -25, -20, -10, -1, 5]
    };
    let mut tx = db.begin().await?;
    let rid: i64 = sqlx::query_scalar(
        "INSERT INTO bb_rounds (tenant_id, title, budget, submit_from, submit_until, support_until, check_until, \
         vote_from, vote_until, result_on, ballot_kind, within_budget, rule, status, created_at) \
         VALUES ($1, $2, 100000, $3, $4, $5, $6, $7, $8, $9, 'basket', 1, 'mes-add1', 'open', $10) RETURNING id",
    )
    .bind(tenant_id)
    .bind(title)
    .bind(d(dates[0]))
    .bind(d(dates[1]))
    .bind(d(dates[2]))
    .bind(d(dates[3]))
    .bind(d(dates[4]))
    .bind(d(dates[5]))
    .bind(d(dates[6]))
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let mut plans = Vec::new();
    for i in 0..12i64 {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO bb_plans (round_id, title, cost, feasible, municipal_cost, on_ballot, created_at, updated_at) \
             VALUES ($1, $2, $3, 1, $3, 1, $4, $4) RETURNING id",
        )
        .bind(rid)
        .bind(format!("Plan {}", i + 1))
        .bind(5_000 + i * 4_000)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        plans.push(id);
    }
    tx.commit().await?;
    Ok((rid, plans))
}

pub fn run_seed(args: SeedArgs) -> std::process::ExitCode {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    match rt.block_on(seed(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fout: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let db = Db::connect(&args.database_url).await?;
    crate::db::migrate::run(&db).await?;
    let state = AppState::new(
        db.clone(),
        crate::config::Config::for_tests(args.database_url.clone()),
    )
    .await?;
    crate::modules::kern::demo::load(&state).await?;
    let tenant = state
        .tenants
        .by_slug(&db, &args.tenant)
        .await?
        .ok_or_else(|| anyhow::anyhow!("onbekende gemeente {}", args.tenant))?;
    let (rid, plans) = bench_round(&db, tenant.id, "Benchmark: stemmen", true).await?;
    let t0 = Instant::now();
    let codes: Vec<(String, String)> = (0..args.codes)
        .map(|_| (store::new_code(), store::new_reference()))
        .collect();
    let mut tx = db.begin().await?;
    super::codes::insert_codes(&mut tx, rid, None, &codes).await?;
    tx.commit().await?;
    let mut f = std::io::BufWriter::new(std::fs::File::create(&args.out)?);
    for (c, _) in &codes {
        writeln!(f, "{c}")?;
    }
    f.flush()?;
    println!(
        "ronde {rid} ({}/buurtbudget/{rid}/stemmen): {} codes in {:.1} s, geschreven naar {}; plannen {}..{}",
        args.tenant,
        codes.len(),
        t0.elapsed().as_secs_f64(),
        args.out.display(),
        plans[0],
        plans[plans.len() - 1]
    );
    if args.ballots > 0 {
        let (rid, plans) = bench_round(&db, tenant.id, "Benchmark: uitslag", false).await?;
        let t0 = Instant::now();
        let mut tx = db.begin().await?;
        let mut rows = Vec::with_capacity(500);
        for i in 0..args.ballots {
            // A basket within the budget: 1 to 5 plans, cheapest first until it fits.
            let mut sel: Vec<(i64, i64)> = Vec::new();
            let mut total = 0;
            let k = 1 + rand::random_range(0..5);
            for _ in 0..k {
                let j = rand::random_range(0..plans.len());
                let cost = 5_000 + j as i64 * 4_000;
                if total + cost <= 100_000 && !sel.iter().any(|(p, _)| *p == plans[j]) {
                    total += cost;
                    sel.push((plans[j], 1));
                }
            }
            let choices = store::encode_choices(&sel, false);
            let receipt = format!("BENCH-{i:07}");
            let hash = store::contents_hash(rid, &receipt, &choices);
            rows.push((receipt, choices, hash));
            if rows.len() == 500 || i + 1 == args.ballots {
                let mut sql = String::from(
                    "INSERT INTO bb_ballots (receipt, round_id, choices, contents_hash) VALUES ",
                );
                for n in 0..rows.len() {
                    if n > 0 {
                        sql.push_str(", ");
                    }
                    let b = n * 4;
                    sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
                }
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (r, c, h) in rows.drain(..) {
                    q = q.bind(r).bind(rid).bind(c).bind(h);
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        println!(
            "ronde {rid}: {} stemmen ingevoegd in {:.1} s",
            args.ballots,
            t0.elapsed().as_secs_f64()
        );
        let round = store::get_round(&db, tenant.id, rid)
            .await?
            .ok_or_else(|| anyhow::anyhow!("ronde"))?;
        let t0 = Instant::now();
        let (res, parts) = super::results::compute_round_timed(&state, &tenant.name, &round)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "uitslag van {} stemmen berekend en gepubliceerd in {:.2} s (laden {:.2} s, tellen met certificaat en pabulib {:.2} s, opslaan {:.2} s; regel {}, {} winnaars)",
            res.ballots,
            t0.elapsed().as_secs_f64(),
            parts[0],
            parts[1],
            parts[2],
            res.rule,
            res.plans.iter().filter(|p| p.selected).count()
        );
    }
    Ok(())
}
