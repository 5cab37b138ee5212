//! Demo content: a real Amsterdam round per municipality imported from pabulib (see
//! demo/pabulib/SOURCES.md), one round open for plans, and one round in its voting phase
//! with fixed demo vote codes (README) so a tester can vote.

use super::codes::{generate, parse_register};
use super::results::import_pabulib;
use crate::db::now;
use crate::modules::kern::areas;
use crate::web::AppState;
use crate::web::i18n::Lang;
use chrono::Days;

static RIJNBUURT: &str = include_str!("../../../demo/pabulib/Netherlands_Amsterdam_588.pb");
static DIAMANTBUURT: &str = include_str!("../../../demo/pabulib/Netherlands_Amsterdam_522.pb");

/// Vote codes of the demo's voting round in Haarlem (README); Zaanstad's use `ZSTD`.
pub fn demo_codes(slug: &str) -> Vec<String> {
    let tag = if slug == "haarlem" { "HLEM" } else { "ZSTD" };
    (1..=20)
        .map(|i| format!("DEMO-{tag}-STEM-{i:04}"))
        .collect()
}

const PLANS: [(&str, &str, i64, &str); 6] = [
    (
        "Geveltuinen in de hele buurt",
        "Bewoners krijgen tegels eruit en planten erin: minder hitte, meer vlinders. De buurtvereniging helpt met aanleggen.",
        18_000,
        "groen",
    ),
    (
        "Speelplek bij de school opknappen",
        "Nieuwe klimtoestellen en een zandbak bij de basisschool, ontworpen samen met de kinderen.",
        42_000,
        "spelen",
    ),
    (
        "Buurtkamer in het oude wijkgebouw",
        "Een plek om koffie te drinken, huiswerk te maken en elkaar te leren kennen, drie dagen per week open.",
        35_000,
        "ontmoeten",
    ),
    (
        "Bomen langs de singel",
        "Twaalf nieuwe bomen met boomspiegels en bankjes eronder.",
        30_000,
        "groen",
    ),
    (
        "Pannaveldje",
        "Een klein voetbalveldje met boarding voor de jongeren uit de buurt.",
        25_000,
        "spelen",
    ),
    (
        "Buurtfeest en straatmarkt",
        "Eén keer per jaar een feest met markt, muziek en eten uit de hele wereld.",
        8_000,
        "ontmoeten",
    ),
];

fn day(offset: i64) -> String {
    let today = chrono::Utc::now().date_naive();
    if offset >= 0 {
        today + Days::new(offset as u64)
    } else {
        today - Days::new((-offset) as u64)
    }
    .to_string()
}

async fn user(state: &AppState, email: &str) -> anyhow::Result<(i64, String)> {
    Ok(
        sqlx::query_as("SELECT id, name FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(state.db.pool())
            .await?,
    )
}

/// A round with the given phase dates (offsets in days from today) and the demo plans.
#[allow(clippy::too_many_arguments)]
async fn round(
    state: &AppState,
    tenant_id: i64,
    slug: &str,
    title: &str,
    dates: [i64; 7],
    on_ballot: bool,
    plans: usize,
) -> anyhow::Result<(i64, Vec<i64>)> {
    let t = now();
    let mut tx = state.db.begin().await?;
    let rid: i64 = sqlx::query_scalar(
        "INSERT INTO bb_rounds (tenant_id, title, intro, budget, submit_from, submit_until, support_until, \
         check_until, vote_from, vote_until, result_on, ballot_kind, within_budget, category_caps, \
         support_threshold, min_age, rule, status, created_at) VALUES ($1, $2, $3, 100000, $4, $5, $6, $7, \
         $8, $9, $10, 'basket', 1, 'groen=2', 1, 12, 'mes-add1', 'open', $11) RETURNING id",
    )
    // Support threshold 1: the demo has one supporter per plan (one demo resident writes the
    // plans, the other supports them).
    .bind(tenant_id)
    .bind(title)
    .bind("Heeft u een idee voor uw buurt? Dien het in, verzamel steun en stem daarna mee over welke plannen de gemeente uitvoert. Er is € 100.000 te verdelen.")
    .bind(day(dates[0]))
    .bind(day(dates[1]))
    .bind(day(dates[2]))
    .bind(day(dates[3]))
    .bind(day(dates[4]))
    .bind(day(dates[5]))
    .bind(day(dates[6]))
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    let (author, author_name) = user(state, &format!("inwoner2@{slug}.demo")).await?;
    let (fan, _) = user(state, &format!("inwoner@{slug}.demo")).await?;
    let wijken = areas::of_tenant(&state.db, tenant_id, Some("wijk")).await?;
    let mut ids = Vec::new();
    for (i, (title, desc, cost, cat)) in PLANS.iter().take(plans).enumerate() {
        let area = wijken.get(i % wijken.len().max(1)).map(|a| a.id);
        let pid: i64 = sqlx::query_scalar(
            "INSERT INTO bb_plans (round_id, user_id, author_name, title, description, cost, area_id, category, \
             feasible, check_reason, municipal_cost, on_ballot, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(rid)
        .bind(author)
        .bind(&author_name)
        .bind(*title)
        .bind(*desc)
        .bind(*cost)
        .bind(area)
        .bind(*cat)
        .bind(on_ballot.then_some(1i64))
        .bind(if on_ballot { "Haalbaar; kosten geraamd door de gemeente." } else { "" })
        .bind(on_ballot.then_some(cost + 2_000))
        .bind(i64::from(on_ballot))
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO bb_supports (plan_id, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(pid)
            .bind(fan)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        ids.push(pid);
    }
    tx.commit().await?;
    Ok((rid, ids))
}

pub async fn load(state: &AppState) -> anyhow::Result<()> {
    for (slug, past) in [("haarlem", RIJNBUURT), ("zaanstad", DIAMANTBUURT)] {
        let tenant = state
            .tenants
            .by_slug(&state.db, slug)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo tenant {slug} missing"))?;
        import_pabulib(
            state,
            tenant.id,
            "Amsterdam",
            past,
            "pabulib.org (gemeente Amsterdam)",
        )
        .await
        .map_err(|e| anyhow::anyhow!("pabulib import: {e}"))?;
        let name = if slug == "haarlem" {
            "Haarlem"
        } else {
            "Zaanstad"
        };
        // Open for plans and support.
        round(
            state,
            tenant.id,
            slug,
            &format!("Buurtbudget {name} 2027: dien uw plan in"),
            [-5, 20, 30, 45, 50, 64, 70],
            false,
            2,
        )
        .await?;
        // Voting now, with demo codes and one letter batch for a small register extract.
        let (rid, _) = round(
            state,
            tenant.id,
            slug,
            &format!("Buurtbudget {name} 2026: stem nu"),
            [-90, -60, -50, -30, -3, 30, 37],
            true,
            6,
        )
        .await?;
        let codes: Vec<(String, String)> = demo_codes(slug)
            .into_iter()
            .enumerate()
            .map(|(i, c)| (c, format!("BDEMO{:04}", i + 1)))
            .collect();
        let mut tx = state.db.begin().await?;
        super::codes::insert_codes(&mut tx, rid, None, &codes).await?;
        tx.commit().await?;
        let all = areas::of_tenant(&state.db, tenant.id, None).await?;
        let Some(w) = all.iter().find(|a| a.kind == "wijk") else {
            continue;
        };
        let register = format!(
            "adres;postcode;gebied;geboortejaar\nVoorbeeldstraat 1;2011AA;{c};1970\nVoorbeeldstraat 3;2011AA;{c};1985\nVoorbeeldstraat 5;2011AB;{c};2001\nVoorbeeldstraat 7;2011AB;{c};2020\n",
            c = w.code
        );
        let people = parse_register(Lang::Nl, &register, &all, 2026)
            .map_err(|e| anyhow::anyhow!("demo register: {e:?}"))?;
        let r = super::store::get_round(&state.db, tenant.id, rid)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo round"))?;
        generate(state, &tenant, &r, &all, &people, None, None)
            .await
            .map_err(|e| anyhow::anyhow!("demo letters: {e}"))?;
    }
    Ok(())
}
