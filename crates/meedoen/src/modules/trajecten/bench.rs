//! Data at the scale of a large city for the load benchmark (`meedoen bench-seed`):
//! many published trajectories spread over the wijken, many reactions, many accounts.
//! Rows are inserted in multi-row batches inside transactions.

use crate::db::{Db, now};

pub struct Scale {
    pub trajectories: usize,
    pub reactions: usize,
    pub users: usize,
}

async fn batch_insert(
    db: &Db,
    head: &str,
    cols: usize,
    rows: &[Vec<SqlVal>],
) -> anyhow::Result<()> {
    // At most ~30,000 parameters per statement (PostgreSQL allows 65,535, SQLite 32,766).
    let per = (30_000 / cols).max(1);
    let mut tx = db.begin().await?;
    for chunk in rows.chunks(per) {
        let mut sql = String::from(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..cols {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            for v in r {
                q = match v {
                    SqlVal::I(i) => q.bind(*i),
                    SqlVal::OptI(i) => q.bind(*i),
                    SqlVal::S(s) => q.bind(s.clone()),
                };
            }
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

enum SqlVal {
    I(i64),
    OptI(Option<i64>),
    S(String),
}

/// Add `scale` to the municipality `slug` (which must exist, e.g. from the demo).
pub async fn seed(db: &Db, slug: &str, scale: &Scale) -> anyhow::Result<()> {
    let tenant_id: i64 = sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
        .bind(slug)
        .fetch_one(db.pool())
        .await?;
    let areas: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM areas WHERE tenant_id = $1 AND kind IN ('wijk', 'buurt') ORDER BY id",
    )
    .bind(tenant_id)
    .fetch_all(db.pool())
    .await?;
    let topics: Vec<i64> = sqlx::query_scalar("SELECT id FROM topics WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_all(db.pool())
        .await?;
    let ts = now();
    let stamp = ts.to_string();
    let users: Vec<Vec<SqlVal>> = (0..scale.users)
        .map(|i| {
            vec![
                SqlVal::S(format!("bench{stamp}-{i}@{slug}.bench")),
                SqlVal::S(format!("Inwoner {i}")),
                SqlVal::OptI(Some(tenant_id)),
                SqlVal::I(ts),
            ]
        })
        .collect();
    batch_insert(
        db,
        "INSERT INTO users (email, name, home_tenant_id, created_at)",
        4,
        &users,
    )
    .await?;
    let first_user: i64 = sqlx::query_scalar("SELECT MIN(id) FROM users WHERE email LIKE $1")
        .bind(format!("bench{stamp}-%"))
        .fetch_one(db.pool())
        .await?;
    let today = chrono::Utc::now().date_naive();
    let trajs: Vec<Vec<SqlVal>> = (0..scale.trajectories)
        .map(|i| {
            let start = today + chrono::Duration::days((i as i64 % 400) - 300);
            let end = start + chrono::Duration::days(60 + (i as i64 % 90));
            vec![
                SqlVal::I(tenant_id),
                SqlVal::S(if i % 7 == 0 { "gesloten" } else { "gepubliceerd" }.into()),
                SqlVal::S(format!("Plan {i}: verbetering van de openbare ruimte")),
                SqlVal::S("Een plan om de buurt groener, veiliger en prettiger te maken. Praat mee over de inrichting.".into()),
                SqlVal::S("Een betere openbare ruimte.".into()),
                SqlVal::OptI(areas.get(i % areas.len().max(1)).copied()),
                SqlVal::OptI(topics.get(i % topics.len().max(1)).copied()),
                SqlVal::S("Inrichting en materialen.".into()),
                SqlVal::S("Budget en bestemmingsplan.".into()),
                SqlVal::S("Bewoners van de buurt.".into()),
                SqlVal::I(3),
                SqlVal::S(start.to_string()),
                SqlVal::S(end.to_string()),
                SqlVal::I(ts),
                SqlVal::I(ts),
                SqlVal::I(ts),
            ]
        })
        .collect();
    batch_insert(
        db,
        "INSERT INTO trajectories (tenant_id, status, title, summary, goal, area_id, topic_id, influence, \
         frames, target_groups, ladder_position, starts_on, ends_on, created_at, updated_at, published_at)",
        16,
        &trajs,
    )
    .await?;
    let traj_ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM trajectories WHERE tenant_id = $1 AND title LIKE 'Plan %' ORDER BY id",
    )
    .bind(tenant_id)
    .fetch_all(db.pool())
    .await?;
    anyhow::ensure!(!traj_ids.is_empty(), "geen trajecten aangemaakt");
    let mut tx = db.begin().await?;
    for id in &traj_ids {
        sqlx::query(
            "INSERT INTO trajectory_phases (trajectory_id, position, name, starts_on, ends_on) \
             SELECT id, 1, 'Meedenken', starts_on, ends_on FROM trajectories WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let statuses = ["open", "overgenomen", "deels", "niet"];
    let reactions: Vec<Vec<SqlVal>> = (0..scale.reactions)
        .map(|i| {
            let st = statuses[i % 4];
            vec![
                SqlVal::I(traj_ids[i % traj_ids.len()]),
                SqlVal::OptI(Some(first_user + (i % scale.users.max(1)) as i64)),
                SqlVal::S(format!("Inwoner {}", i % scale.users.max(1))),
                SqlVal::S(
                    "Goed plan, maar let op de verkeersveiligheid bij de school en houd de bomen."
                        .into(),
                ),
                SqlVal::I(ts - (i as i64 % 10_000)),
                SqlVal::S(st.into()),
                SqlVal::S(if st == "open" {
                    String::new()
                } else {
                    "Dank voor uw reactie; we nemen dit mee in het ontwerp.".into()
                }),
            ]
        })
        .collect();
    batch_insert(
        db,
        "INSERT INTO reactions (trajectory_id, user_id, author_name, body, created_at, status, response)",
        7,
        &reactions,
    )
    .await?;
    Ok(())
}
