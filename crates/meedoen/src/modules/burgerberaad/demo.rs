//! Demo content: in Haarlem and Zaanstad a finished assembly (panel selected and
//! published, meetings with attendance, recommendations with the council's responses)
//! in the finished trajectory "Woningbouw op het oude sportpark"; in Haarlem also a
//! running one with registration open in "Een groener en veiliger plein", whose
//! invitations 1 to 10 are still unused (their codes are in the README; see
//! [`demo_code`]). Everything goes through the module's own functions: the register is
//! synthetic, drawn like a real one, and the panel is selected by the engine.

use super::draw::{self, Entry, Register, RegisterKind, SplitMix64};
use super::features;
use super::invite;
use super::selection;
use super::store::{self, Assembly};
use crate::db::now;
use crate::modules::kern::areas;
use crate::web::AppState;
use std::collections::BTreeMap;

/// The code key of the running demo assembly (demo only: real keys are random).
pub const RUNNING_KEY: &str = "demo-haarlem-burgerberaad-groen-plein";

/// The registration code of invitation `position` of the running Haarlem demo assembly.
pub async fn demo_code(state: &AppState, position: i64) -> anyhow::Result<String> {
    let id: i64 = sqlx::query_scalar("SELECT id FROM ba_assemblies WHERE code_key = $1")
        .bind(RUNNING_KEY)
        .fetch_one(state.db.pool())
        .await?;
    Ok(invite::code_for(RUNNING_KEY, id, position))
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

struct Spec {
    trajectory: &'static str,
    title: &'static str,
    question: &'static str,
    size: i64,
    invites: i64,
    registrations: usize,
    key: String,
    dates: (i64, i64, i64),
}

const FIRST_NAMES: [&str; 16] = [
    "Anna", "Mohammed", "Sanne", "Daan", "Fatima", "Lucas", "Emma", "Youssef", "Noor", "Thijs",
    "Lotte", "Sem", "Ayşe", "Bram", "Priya", "Jan",
];
const LAST_NAMES: [&str; 12] = [
    "de Vries",
    "Jansen",
    "Bakker",
    "El Amrani",
    "Visser",
    "Smit",
    "Yılmaz",
    "Meijer",
    "de Boer",
    "Mulder",
    "Kaya",
    "Bos",
];

/// A synthetic register: per wijk persons in proportion to the population (1 per
/// `per` inhabitants), two to a household address on average.
fn register(wijken: &[areas::Area], per: i64, rng: &mut SplitMix64, city: &str) -> Register {
    let mut entries = Vec::new();
    let mut line = 1;
    for w in wijken {
        let n = (w.population.or(w.stats().inhabitants).unwrap_or(1000) / per).max(4);
        let mut house = 0;
        let mut i = 0;
        while i < n {
            house += 1;
            let size = 1 + rng.below(3) as i64;
            for _ in 0..size.min(n - i) {
                line += 1;
                i += 1;
                let name = format!(
                    "{} {}",
                    FIRST_NAMES[rng.below(16) as usize],
                    LAST_NAMES[rng.below(12) as usize]
                );
                let address = format!(
                    "{}straat {house}",
                    w.name.split_whitespace().next().unwrap_or("Dorp")
                );
                let postcode = format!("{} {}", 2000 + (w.id % 7000), "AB");
                entries.push(Entry {
                    line,
                    name,
                    address_key: format!("{postcode}|{}", address.to_lowercase()),
                    address,
                    postcode,
                    city: city.to_string(),
                    wijk: w.code.clone(),
                });
            }
        }
    }
    Register {
        kind: RegisterKind::Persons,
        entries,
    }
}

/// Pick a value with probability proportional to its population (values without a
/// figure get a small weight).
fn pick(rng: &mut SplitMix64, values: &[(String, Option<i64>)]) -> String {
    let known: i64 = values.iter().filter_map(|v| v.1).sum::<i64>().max(1);
    let weights: Vec<i64> = values
        .iter()
        .map(|v| v.1.unwrap_or(known / 50).max(1))
        .collect();
    let total: i64 = weights.iter().sum();
    let mut x = rng.below(total as u64) as i64;
    for (v, w) in values.iter().zip(weights) {
        if x < w {
            return v.0.clone();
        }
        x -= w;
    }
    values[0].0.clone()
}

async fn create(
    state: &AppState,
    tenant_id: i64,
    slug: &str,
    city: &str,
    spec: &Spec,
    seed: u64,
) -> anyhow::Result<Option<Assembly>> {
    let Some(trajectory): Option<i64> =
        sqlx::query_scalar("SELECT id FROM trajectories WHERE tenant_id = $1 AND title = $2")
            .bind(tenant_id)
            .bind(spec.trajectory)
            .fetch_optional(state.db.pool())
            .await?
    else {
        return Ok(None);
    };
    let all = areas::of_tenant(&state.db, tenant_id, None).await?;
    let gemeente = all.iter().find(|a| a.kind == "gemeente");
    let wijken: Vec<areas::Area> = all.iter().filter(|a| a.kind == "wijk").cloned().collect();
    let chosen: Vec<String> = ["geslacht", "leeftijd", "opleiding", "wijk"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut quotas = Vec::new();
    let mut pops: BTreeMap<String, Vec<(String, Option<i64>)>> = BTreeMap::new();
    for f in &chosen {
        let vals = features::population(f, gemeente, &wijken);
        pops.insert(
            f.clone(),
            vals.iter().map(|(v, _, p)| (v.clone(), *p)).collect(),
        );
        quotas.extend(features::propose(spec.size, &vals, f));
    }
    let mut rng = SplitMix64::new(seed);
    let reg = register(&wijken, 60, &mut rng, city);
    let drawn = draw::draw(&reg, spec.invites as usize, seed)?;
    let (deadline, starts, ends) = spec.dates;
    let t = now();
    let mut tx = state.db.begin().await?;
    let staff: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(format!("procesbegeleider@{slug}.demo"))
        .fetch_optional(&mut *tx)
        .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ba_assemblies (tenant_id, trajectory_id, title, question, panel_size, invite_count, \
         registration_deadline, starts_on, ends_on, features, consent_text, retention_days, status, \
         code_key, invite_seed, register_sha256, register_rows, register_kind, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 365, 'uitgenodigd', $12, $13, $14, $15, 'personen', $16, $17, $17) \
         RETURNING id",
    )
    .bind(tenant_id)
    .bind(trajectory)
    .bind(spec.title)
    .bind(spec.question)
    .bind(spec.size)
    .bind(spec.invites)
    .bind(day(deadline))
    .bind(day(starts))
    .bind(day(ends))
    .bind(serde_json::to_string(&chosen)?)
    .bind(crate::web::i18n::t(crate::web::i18n::Lang::Nl, "burgerberaad.new.consent_default"))
    .bind(&spec.key)
    .bind(seed as i64)
    .bind(format!("synthetisch demoregister ({} regels)", reg.entries.len()))
    .bind(reg.entries.len() as i64)
    .bind(staff)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    store::replace_quotas(&mut tx, id, &quotas).await?;
    invite::insert_invitations(&mut tx, id, &spec.key, &reg, &drawn).await?;
    // Registrations: invitations from position 11 on (1–10 stay free for the README).
    let step = (drawn.len().saturating_sub(10) / spec.registrations.max(1)).max(1);
    for k in 0..spec.registrations {
        let position = (11 + k * step) as i64;
        let Some(&row) = drawn.get(position as usize - 1) else {
            break;
        };
        let e = &reg.entries[row];
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for f in &chosen {
            let v = if f == "wijk" {
                e.wijk.clone()
            } else {
                pick(&mut rng, &pops[f])
            };
            values.insert(f.clone(), v);
        }
        let inv: i64 = sqlx::query_scalar(
            "UPDATE ba_invitations SET used = 1 WHERE assembly_id = $1 AND position = $2 RETURNING id",
        )
        .bind(id)
        .bind(position)
        .fetch_one(&mut *tx)
        .await?;
        let local = e.name.to_lowercase().replace([' ', 'ş', 'ı'], "");
        sqlx::query(
            "INSERT INTO ba_registrations (assembly_id, invitation_id, features, availability, name, email, \
             phone, consent_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, '', $7, $7)",
        )
        .bind(id)
        .bind(inv)
        .bind(serde_json::to_string(&values)?)
        .bind(if k % 5 == 0 { "Niet op woensdagavond" } else { "" })
        .bind(&e.name)
        .bind(format!("{local}{k}@voorbeeld.nl"))
        .bind(t - 86_400 * (k as i64 % 9))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(store::get(&state.db, tenant_id, id).await?)
}

async fn finish(state: &AppState, a: &Assembly, seed: u64) -> anyhow::Result<()> {
    let r = selection::run_now(state, a, sortition::Algorithm::Leximin, seed).await?;
    if r["infeasible"].as_bool() == Some(true) {
        anyhow::bail!("demo-burgerberaad {}: quota niet haalbaar", a.title);
    }
    let regs = store::registrations(&state.db, a.id).await?;
    let members: Vec<i64> = regs
        .iter()
        .filter(|r| r.panel_status == "lid")
        .map(|r| r.id)
        .collect();
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE ba_assemblies SET published = 1, status = 'afgerond' WHERE id = $1")
        .bind(a.id)
        .execute(&mut *tx)
        .await?;
    let meetings = [
        (
            -150,
            "Kennismaking en uitleg over het plan",
            "Stadhuis, raadzaal",
        ),
        (-136, "Deskundigen aan het woord", "Wijkcentrum"),
        (
            -122,
            "Afwegen en aanbevelingen schrijven",
            "Stadhuis, raadzaal",
        ),
    ];
    for (n, (d, title, place)) in meetings.iter().enumerate() {
        let mid: i64 = sqlx::query_scalar(
            "INSERT INTO ba_meetings (assembly_id, held_on, title, place) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(a.id)
        .bind(day(*d))
        .bind(*title)
        .bind(*place)
        .fetch_one(&mut *tx)
        .await?;
        for (i, m) in members.iter().enumerate() {
            sqlx::query(
                "INSERT INTO ba_attendance (meeting_id, registration_id, present) VALUES ($1, $2, $3)",
            )
            .bind(mid)
            .bind(m)
            .bind(i64::from((i + n) % 9 != 0))
            .execute(&mut *tx)
            .await?;
        }
    }
    let recs = [
        (
            "Bouw minstens de helft sociale huur",
            "Het beraad vraagt om minstens 60 van de 120 woningen als sociale huurwoning te bouwen, met voorrang voor jongeren en ouderen uit de wijk.",
            88i64,
            "raad",
            "De raad neemt de aanbeveling over: in het bestemmingsplan staat nu 50% sociale huur. Voorrang voor de wijk regelen we in de huisvestingsverordening.",
            "overgenomen",
        ),
        (
            "Houd het groene hart open voor iedereen",
            "Het park in het midden blijft openbaar, zonder hekken, en krijgt een speelplek en bankjes.",
            95i64,
            "college",
            "Het college neemt dit over. Het park wordt openbaar gebied en de gemeente beheert het.",
            "uitgevoerd",
        ),
        (
            "Niet hoger dan vier lagen aan de randen",
            "Aan de kant van de bestaande woningen niet hoger bouwen dan vier bouwlagen.",
            71i64,
            "raad",
            "Deels overgenomen: aan de oostkant vier lagen, aan de spoorkant zes lagen om genoeg woningen te kunnen bouwen.",
            "deels",
        ),
        (
            "Autoluwe wijk met deelauto's",
            "Parkeren aan de rand van het terrein en deelauto's voor de bewoners.",
            64i64,
            "college",
            "Niet overgenomen: de parkeernorm blijft, omdat de busverbinding nog niet goed genoeg is. We kijken over twee jaar opnieuw.",
            "niet",
        ),
    ];
    for (i, (title, body, support, who, response, follow)) in recs.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ba_recommendations (assembly_id, position, title, body, support_pct, responder, \
             response, follow_up, published, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)",
        )
        .bind(a.id)
        .bind(i as i64 + 1)
        .bind(*title)
        .bind(*body)
        .bind(*support)
        .bind(*who)
        .bind(*response)
        .bind(*follow)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    }
    let done = store::get(&state.db, a.tenant_id, a.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo-burgerberaad verdwenen"))?;
    super::retention::schedule(&mut tx, &done).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn load(state: &AppState) -> anyhow::Result<()> {
    let tenants: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, slug, name FROM tenants WHERE slug IN ('haarlem', 'zaanstad') ORDER BY id",
    )
    .fetch_all(state.db.pool())
    .await?;
    for (tenant_id, slug, city) in tenants {
        let finished = Spec {
            trajectory: "Woningbouw op het oude sportpark",
            title: "Burgerberaad over het oude sportpark",
            question: "Hoe bouwen we op het oude sportpark betaalbare woningen met een groen hart dat ook van de buurt is?",
            size: if slug == "haarlem" { 24 } else { 16 },
            invites: 250,
            registrations: 80,
            key: crate::web::security::random_token(),
            dates: (-170, -150, -120),
        };
        if let Some(a) = create(state, tenant_id, &slug, &city, &finished, 20_260_301).await? {
            finish(state, &a, 7_361_204_551).await?;
        }
        if slug == "haarlem" {
            let running = Spec {
                trajectory: "Een groener en veiliger plein",
                title: "Burgerberaad Groen en veilig plein",
                question: "Hoe maken we van het plein een groene, veilige plek waar iedereen graag komt?",
                size: 30,
                invites: 400,
                registrations: 90,
                key: RUNNING_KEY.to_string(),
                dates: (21, 35, 90),
            };
            create(state, tenant_id, &slug, &city, &running, 20_261_101).await?;
        }
    }
    Ok(())
}
